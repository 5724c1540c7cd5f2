"""``python -m pharma_kit.drills``: the terminal drill mode without the ``pharma-kit`` entry point."""
import sys

from pharma_kit.drills.cli import main

sys.exit(main())
