"""``python -m sen2cor`` is ``L2A_Process``."""
import sys

from sen2cor.cli import main

sys.exit(main())
