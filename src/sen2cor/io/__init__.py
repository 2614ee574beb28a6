"""Image file I/O: JPEG 2000 (glymur, :mod:`sen2cor.io.jp2`) and GDAL formats
(:mod:`sen2cor.io.gdal_io`); grids in :mod:`sen2cor.io.geo`."""
from sen2cor.io.geo import Geocoding, as_geocoding

__all__ = ["Geocoding", "as_geocoding"]
