"""`python -m asbhub.cli`: the same as the `asbhub` command."""

import sys

from asbhub.cli.main import main

sys.exit(main())
