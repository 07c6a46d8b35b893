"""The web downloads' formula-safe CSV writer; it lives in :mod:`asbhub.outputs.csvsafe`.

Kept so ``from asbhub.web.csvsafe import safe_writer`` goes on working.
"""

from asbhub.outputs.csvsafe import SafeWriter, safe_cell, safe_frame, safe_writer

__all__ = ["SafeWriter", "safe_cell", "safe_frame", "safe_writer"]
