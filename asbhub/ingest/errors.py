"""The error every reader raises for a wrong file.

It lives apart from :mod:`asbhub.ingest.common` so that :mod:`asbhub.ingest.archives` can
raise it without importing ``common``, which itself reads archives: no import circle.
"""

from __future__ import annotations


class WrongFileError(ValueError):
    """The file as a whole is not what the reader expects (header, encoding, format).

    The message says what was found and what was expected, so the user can fix the input.
    """
