"""Geocoding of a tile grid: upper-left corner, pixel size and EPSG code.

Sentinel-2 metadata (MTD_TL ``Geoposition``) gives ULX/ULY as the outer corner of the
upper-left pixel; GDAL geotransforms use the same corner. GML-in-JPEG2000 boxes use the
centre of that pixel instead (python stack facts: ULX 499980 at 60 m is written as 500010).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Geocoding:
    """Grid of one resolution: corner of the UL pixel (m), pixel size (m), CRS.

    ``ydim`` is negative (rows go south), as in MTD_TL ``YDIM``.
    """

    ulx: float
    uly: float
    xdim: float
    ydim: float
    epsg: int

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        """GDAL geotransform (corner convention)."""
        return (float(self.ulx), float(self.xdim), 0.0, float(self.uly), 0.0, float(self.ydim))

    @property
    def resolution_m(self) -> int:
        return int(round(abs(self.xdim)))

    def at_resolution(self, resolution_m: float) -> "Geocoding":
        """Same UL corner, pixel size ``resolution_m`` (corners of all grids coincide)."""
        sign = -1.0 if self.ydim < 0 else 1.0
        return Geocoding(self.ulx, self.uly, float(resolution_m), sign * float(resolution_m), self.epsg)

    def offset(self, row0: int, col0: int) -> "Geocoding":
        """Geocoding of the sub-grid starting at pixel (row0, col0)."""
        return Geocoding(self.ulx + col0 * self.xdim, self.uly + row0 * self.ydim,
                         self.xdim, self.ydim, self.epsg)


def as_geocoding(geo: Any, epsg: int | None = None) -> Geocoding:
    """Accept a :class:`Geocoding` or any object with ``ulx, uly, xdim, ydim`` (e.g. the
    L1C reader's ``GeoPosition``); ``epsg`` is taken from the object or the argument."""
    if isinstance(geo, Geocoding) and epsg is None:
        return geo
    code = epsg if epsg is not None else getattr(geo, "epsg", None)
    if code is None:
        raise ValueError(f"no EPSG code for geocoding {geo!r}: pass epsg=")
    try:
        return Geocoding(float(geo.ulx), float(geo.uly), float(geo.xdim), float(geo.ydim), int(code))
    except AttributeError as exc:
        raise TypeError(f"{geo!r} lacks ulx/uly/xdim/ydim: {exc}") from None


def format_coordinate(value: float) -> str:
    """Exact decimal text of a coordinate (no %g rounding: 5900010 must stay 5900010)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text
