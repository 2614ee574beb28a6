"""sen2cor: an open Python re-implementation of ESA's Sen2Cor 2.12.04 Level-2A processor."""
import os as _os

# Input products and GIPPs are read-only for us: GDAL must never drop .aux.xml side-car files next to
# the files it reads (statistics, PAM metadata). Set before any osgeo import; a user's explicit value wins.
_os.environ.setdefault("GDAL_PAM_ENABLED", "NO")

__version__ = "0.1.0"

#: The Sen2Cor release whose behaviour, names and outputs this package reproduces.
SEN2COR_VERSION = "2.12.04"

#: Range of Level-1C product specification (PSD) versions accepted as input.
PSD_MIN, PSD_MAX = "14.2", "15.1"
