"""``python -m tlcim``: the command line, as the ``tlcim`` script runs it."""

import sys

from .cli import main

sys.exit(main())
