"""`python -m promisebot` runs the command line."""

import sys

from promisebot.cli import main

sys.exit(main())
