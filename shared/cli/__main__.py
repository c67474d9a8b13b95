"""`python -m shared.cli` — the same as the `tapstart` console script."""

import sys

from shared.cli import main

sys.exit(main())
