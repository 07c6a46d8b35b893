"""The JSON API: token authentication (:mod:`.tokens`) and the endpoints (:mod:`.api`).

Constants here import nothing, so the command line can read them before Django is set up.
"""

#: A token's life in days when none is asked for, and the longest allowed.
DEFAULT_DAYS = 90
MAX_DAYS = 366
