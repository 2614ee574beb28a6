"""Sentinel-2 tiling grid: MGRS tile id -> UTM CRS and upper-left corner, footprints.

The tile's upper-left corner is the north-west corner of its MGRS 100 km square
(real tiles are offset by 0-40 m from it; the offsets of the real tiles used in the
project's test material are listed in ``KNOWN_TILE_ORIGINS``). Tiles are 109.8 km wide.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from osgeo import osr

osr.UseExceptions()

_BANDS = "CDEFGHJKLMNPQRSTUVWX"          # latitude bands, 8 deg each from 80 S
_COLUMN_SETS = ("ABCDEFGH", "JKLMNPQR", "STUVWXYZ")
_ROWS = "ABCDEFGHJKLMNPQRSTUV"
_TILE_RE = re.compile(r"^(\d{1,2})([C-HJ-NP-X])([A-HJ-NP-Z])([A-HJ-NP-V])$")

#: Upper-left corners (m) of real tiles, read from their MTD_TL.xml Geoposition.
KNOWN_TILE_ORIGINS: dict[str, tuple[float, float]] = {
    "29UNU": (499980.0, 5900040.0),
    "31TDH": (399960.0, 4800000.0),
    "32TQM": (699960.0, 4700040.0),
    "56LMM": (399960.0, 8700040.0),
    "05VPH": (600000.0, 6800040.0),
}

TILE_EXTENT_M = 109800.0


@dataclass(frozen=True)
class TileGrid:
    """Geolocation of a (possibly cropped) tile: CRS and upper-left corner in metres."""

    tile_id: str
    epsg: int
    ulx_m: float
    uly_m: float
    size_10m_px: int

    @property
    def crs_name(self) -> str:
        zone = self.epsg % 100
        hemi = "N" if self.epsg < 32700 else "S"
        return f"WGS84 / UTM zone {zone}{hemi}"

    def extent_m(self) -> float:
        return self.size_10m_px * 10.0

    def pixel_centres(self, resolution_m: int) -> tuple[np.ndarray, np.ndarray]:
        """Easting (columns) and northing (rows) of pixel centres at ``resolution_m``, metres."""
        n = int(self.extent_m() // resolution_m)
        x = self.ulx_m + (np.arange(n) + 0.5) * resolution_m
        y = self.uly_m - (np.arange(n) + 0.5) * resolution_m
        return x, y

    def to_lonlat(self, x_m: np.ndarray, y_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Transform UTM coordinates (m) of this tile to longitude/latitude (deg)."""
        src = osr.SpatialReference()
        src.ImportFromEPSG(self.epsg)
        dst = osr.SpatialReference()
        dst.ImportFromEPSG(4326)
        dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        tr = osr.CoordinateTransformation(src, dst)
        pts = np.column_stack([np.ravel(x_m), np.ravel(y_m)]).astype(np.float64)
        out = np.asarray(tr.TransformPoints(pts))
        shape = np.shape(x_m)
        return out[:, 0].reshape(shape), out[:, 1].reshape(shape)

    def footprint_lonlat(self) -> list[tuple[float, float]]:
        """Closed ring (lon, lat) of the product corners: UL, UR, LR, LL, UL."""
        e = self.extent_m()
        xs = np.array([self.ulx_m, self.ulx_m + e, self.ulx_m + e, self.ulx_m, self.ulx_m])
        ys = np.array([self.uly_m, self.uly_m, self.uly_m - e, self.uly_m - e, self.uly_m])
        lon, lat = self.to_lonlat(xs, ys)
        return list(zip(lon.tolist(), lat.tolist()))


def tile_grid(tile_id: str, size_10m_px: int = 10980, offset_10m_px: tuple[int, int] = (0, 0)) -> TileGrid:
    """Geolocate MGRS tile ``tile_id`` (e.g. "29UNU"), cropped to ``size_10m_px`` from ``offset_10m_px`` (row, col)."""
    m = _TILE_RE.match(tile_id.upper())
    if not m:
        raise ValueError(f"tile id {tile_id!r} is not an MGRS tile id like '29UNU'")
    zone, band, col, row = int(m.group(1)), m.group(2), m.group(3), m.group(4)
    if not 1 <= zone <= 60:
        raise ValueError(f"tile id {tile_id!r}: UTM zone {zone} outside 1..60")
    north = band >= "N"
    epsg = (32600 if north else 32700) + zone
    if tile_id.upper() in KNOWN_TILE_ORIGINS:
        ulx, uly = KNOWN_TILE_ORIGINS[tile_id.upper()]
    else:
        columns = _COLUMN_SETS[(zone - 1) % 3]
        if col not in columns:
            raise ValueError(f"tile id {tile_id!r}: column letter {col} not used in zone {zone}")
        west = (columns.index(col) + 1) * 100000.0
        row_index = (_ROWS.index(row) - (5 if zone % 2 == 0 else 0)) % 20
        south_mod = row_index * 100000.0
        band_lat = -80.0 + 8.0 * _BANDS.index(band)
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        geo = osr.SpatialReference()
        geo.ImportFromEPSG(4326)
        geo.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        tr = osr.CoordinateTransformation(geo, srs)
        central_lon = -183.0 + 6.0 * zone
        _, band_north_m, _ = tr.TransformPoint(central_lon, band_lat)
        south = south_mod
        while south + 100000.0 <= band_north_m - 1.0:
            south += 2000000.0
        ulx, uly = west, south + 100000.0
    r0, c0 = offset_10m_px
    if size_10m_px + max(r0, c0) > 10980:
        raise ValueError(f"crop of {size_10m_px} px at offset {offset_10m_px} exceeds the 10980 px tile")
    return TileGrid(tile_id.upper(), epsg, ulx + 10.0 * c0, uly - 10.0 * r0, size_10m_px)
