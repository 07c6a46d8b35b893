"""The JSON API's tokens (app label ``api``): the model and :mod:`.services` (create, check,
revoke). The endpoints are pages, in :mod:`asbhub.web.api`.

Constants here import nothing, so the command line can read them before Django is set up.
"""

#: A token's life in days when none is asked for, and the longest allowed.
DEFAULT_DAYS = 90
MAX_DAYS = 366
