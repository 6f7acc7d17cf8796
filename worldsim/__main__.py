"""`python -m worldsim ...`: the command line without the installed console script."""

import sys

from .cli import main

sys.exit(main())
