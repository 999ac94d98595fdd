"""`python -m bot` is the same as `supportbot`."""

import sys

from bot.cli import main

sys.exit(main())
