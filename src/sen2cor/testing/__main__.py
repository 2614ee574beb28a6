"""``python -m sen2cor.testing`` = ``sen2cor-make-l1c``."""
import sys

from sen2cor.testing.cli import main

sys.exit(main())
