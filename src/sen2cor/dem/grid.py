"""Target grid of a tile at one resolution and its geographic footprint.

The grid uses the MTD_TL ``Geoposition`` convention (ULX/ULY = outer corner of the
upper-left pixel), which is also GDAL's geotransform convention.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np
from osgeo import osr

log = logging.getLogger(__name__)

osr.UseExceptions()

#: Points per grid edge used to trace the footprint in lon/lat (UTM edges are curved there).
FOOTPRINT_EDGE_POINTS = 21


@dataclass(frozen=True)
class TileGrid:
    """A north-up raster grid: EPSG code, UL corner (m), square pixel size (m), shape."""

    epsg: int
    ulx_m: float
    uly_m: float
    pixel_size_m: float
    nrows: int
    ncols: int

    def __post_init__(self) -> None:
        if self.pixel_size_m <= 0 or self.nrows <= 0 or self.ncols <= 0:
            raise ValueError(
                f"invalid tile grid: pixel {self.pixel_size_m} m, shape {self.nrows}x{self.ncols}"
            )

    @classmethod
    def from_geoposition(cls, epsg: int, geoposition: Any) -> TileGrid:
        """From an object with ``ulx, uly, xdim, nrows, ncols`` (the L1C reader's GeoPosition)."""
        return cls(
            int(epsg),
            float(geoposition.ulx),
            float(geoposition.uly),
            abs(float(geoposition.xdim)),
            int(geoposition.nrows),
            int(geoposition.ncols),
        )

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        return (self.ulx_m, self.pixel_size_m, 0.0, self.uly_m, 0.0, -self.pixel_size_m)

    @property
    def bounds_m(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in the grid's CRS, metres."""
        return (
            self.ulx_m,
            self.uly_m - self.nrows * self.pixel_size_m,
            self.ulx_m + self.ncols * self.pixel_size_m,
            self.uly_m,
        )

    def spatial_reference(self) -> osr.SpatialReference:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(self.epsg)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        return srs

    def pixel_centres_lonlat(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude (deg) of every pixel centre, each (nrows, ncols) float64."""
        cols = self.ulx_m + (np.arange(self.ncols) + 0.5) * self.pixel_size_m
        rows = self.uly_m - (np.arange(self.nrows) + 0.5) * self.pixel_size_m
        x, y = np.meshgrid(cols, rows)
        lon, lat = _to_lonlat(self.spatial_reference(), x.ravel(), y.ravel())
        return lon.reshape(x.shape), lat.reshape(x.shape)

    def footprint_lonlat(self, margin_deg: float = 0.0) -> tuple[float, float, float, float]:
        """Bounding box (lon_min, lat_min, lon_max, lat_max) in degrees of the whole grid.

        The four edges are sampled densely, so a UTM tile whose edges are not parallel to
        meridians is fully enclosed (Sen2Cor <= 2.9 used only two corners and missed cells).
        A grid crossing the antimeridian gets ``lon_max > 180`` (e.g. 179.2 .. 180.6).
        """
        xmin, ymin, xmax, ymax = self.bounds_m
        t = np.linspace(0.0, 1.0, FOOTPRINT_EDGE_POINTS)
        xs = np.concatenate(
            [xmin + t * (xmax - xmin), np.full_like(t, xmax), xmax - t * (xmax - xmin), np.full_like(t, xmin)]
        )
        ys = np.concatenate(
            [np.full_like(t, ymax), ymax - t * (ymax - ymin), np.full_like(t, ymin), ymin + t * (ymax - ymin)]
        )
        lon, lat = _to_lonlat(self.spatial_reference(), xs, ys)
        if lon.max() - lon.min() > 180.0:  # crosses the antimeridian: express it as lon_max > 180
            lon = np.where(lon < 0.0, lon + 360.0, lon)
        return (
            float(lon.min()) - margin_deg,
            max(float(lat.min()) - margin_deg, -90.0),
            float(lon.max()) + margin_deg,
            min(float(lat.max()) + margin_deg, 90.0),
        )


def _to_lonlat(srs: osr.SpatialReference, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(srs, wgs84)
    points = np.asarray(transform.TransformPoints(np.column_stack([x, y]).tolist()))
    return points[:, 0], points[:, 1]
