"""``python -m sen2cor.batch`` is ``L2A_Batch``."""
import sys

from sen2cor.batch.cli import main

sys.exit(main())
