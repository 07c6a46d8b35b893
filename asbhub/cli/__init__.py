"""`asbhub ...`: the command line (entry point ``asbhub = "asbhub.cli:main"``).

One module per command group (``store``, ``analysis``, ``evaluate``, ``forecast``, ``places``,
``admin``, ``api``, ``people``, ``weekly``), each with ``register(sub)``; the shared helpers in
:mod:`asbhub.cli.common`; the parser and :func:`main` in :mod:`asbhub.cli.main`.
"""

from asbhub.cli.main import build_parser, main

__all__ = ["build_parser", "main"]
