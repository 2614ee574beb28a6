"""Slope, aspect and hillshade of a DEM on the tile grid.

The product path uses GDAL's DEM tools like Sen2Cor (``gdaldem slope|aspect|hillshade
-compute_edges``, hillshade lit from the tile-mean sun: ``-az <mean SAA> -alt <90 - mean SZA>``,
algorithm facts A.1). The numpy functions below implement the same Horn (1981) 3x3
gradients and the same hillshade formula; tests check the two agree, and the atmospheric
correction may use :func:`illumination_cos` with per-pixel sun angles.

Conventions: slope in degrees from horizontal; aspect = azimuth of the downslope direction,
degrees clockwise from grid north (0..360), ``ASPECT_FLAT`` (-9999, gdaldem's value) where the
slope is zero; hillshade = 1 + 254 * max(cos i, 0) as uint8 (1 = self-shadowed), with
cos i = cos(SZA) cos(slope) + sin(SZA) sin(slope) cos(SAA - aspect).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from osgeo import gdal, gdal_array

log = logging.getLogger(__name__)

gdal.UseExceptions()

#: gdaldem's aspect value for flat pixels.
ASPECT_FLAT = -9999.0


@dataclass(frozen=True)
class TerrainLayers:
    """DEM-derived layers on one tile grid (the Tables layer stores them as SLP, ASP, SDW)."""

    slope_deg: np.ndarray  # float32 (rows, cols)
    aspect_deg: np.ndarray | None  # float32, None when not requested (Sen2Cor skips it at 10 m)
    hillshade: np.ndarray  # uint8, 1..255


def terrain_layers(
    elevation_m: np.ndarray,
    pixel_size_m: float,
    sun_zenith_deg: float,
    sun_azimuth_deg: float,
    *,
    with_aspect: bool = True,
) -> TerrainLayers:
    """Slope, aspect and hillshade with ``gdal.DEMProcessing`` (edges computed, scale 1 m/m)."""
    source = _mem_dem(elevation_m, pixel_size_m)
    slope = _process(source, "slope")
    aspect = _process(source, "aspect") if with_aspect else None
    shade = _process(
        source, "hillshade", azimuth=float(sun_azimuth_deg), altitude=90.0 - float(sun_zenith_deg)
    )
    return TerrainLayers(
        slope.astype(np.float32, copy=False),
        None if aspect is None else aspect.astype(np.float32, copy=False),
        shade.astype(np.uint8, copy=False),
    )


def flat_terrain(shape: tuple[int, int], sun_zenith_deg: float, *, with_aspect: bool = True) -> TerrainLayers:
    """Layers of a flat surface: slope 0, aspect flat, hillshade of a horizontal plane."""
    shade = hillshade(np.zeros(1), np.zeros(1), sun_zenith_deg, 0.0)[0]
    return TerrainLayers(
        np.zeros(shape, np.float32),
        np.full(shape, ASPECT_FLAT, np.float32) if with_aspect else None,
        np.full(shape, shade, np.uint8),
    )


def _mem_dem(elevation_m: np.ndarray, pixel_size_m: float) -> gdal.Dataset:
    """A MEM dataset viewing the array (no copy for int16/float32 input)."""
    if elevation_m.dtype not in (np.int16, np.float32):
        elevation_m = elevation_m.astype(np.float32)
    dataset = gdal_array.OpenArray(np.ascontiguousarray(elevation_m))
    dataset.SetGeoTransform((0.0, float(pixel_size_m), 0.0, 0.0, 0.0, -float(pixel_size_m)))
    return dataset


def _process(source: gdal.Dataset, mode: str, **options) -> np.ndarray:
    result = gdal.DEMProcessing("", source, mode, format="MEM", computeEdges=True, **options)
    array = result.GetRasterBand(1).ReadAsArray()
    result = None  # free the MEM copy before the next layer
    return array


def horn_gradients(elevation_m: np.ndarray, pixel_size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Horn (1981) gradients (dz/dx east, dz/dy north), m/m; edges by linear extrapolation."""
    z = np.pad(np.asarray(elevation_m, dtype=np.float64), 1, mode="reflect", reflect_type="odd")
    a, b, c = z[:-2, :-2], z[:-2, 1:-1], z[:-2, 2:]
    d, f = z[1:-1, :-2], z[1:-1, 2:]
    g, h, i = z[2:, :-2], z[2:, 1:-1], z[2:, 2:]
    dz_dx = ((c + 2 * f + i) - (a + 2 * d + g)) / (8.0 * pixel_size_m)
    dz_dy = ((a + 2 * b + c) - (g + 2 * h + i)) / (8.0 * pixel_size_m)  # row 0 is north
    return dz_dx, dz_dy


def slope_aspect(elevation_m: np.ndarray, pixel_size_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Slope (deg) and downslope aspect (deg clockwise from north, ASPECT_FLAT if flat), float32."""
    dz_dx, dz_dy = horn_gradients(elevation_m, pixel_size_m)
    slope = np.degrees(np.arctan(np.hypot(dz_dx, dz_dy)))
    aspect = np.mod(np.degrees(np.arctan2(-dz_dx, -dz_dy)), 360.0)
    aspect = np.where((dz_dx == 0) & (dz_dy == 0), ASPECT_FLAT, aspect)
    return slope.astype(np.float32), aspect.astype(np.float32)


def illumination_cos(
    slope_deg: np.ndarray,
    aspect_deg: np.ndarray,
    sun_zenith_deg: np.ndarray | float,
    sun_azimuth_deg: np.ndarray | float,
) -> np.ndarray:
    """cos of the local solar incidence angle on the slope (may be < 0: self-shadow), float32.

    Flat pixels (aspect = ASPECT_FLAT) give cos(SZA).
    """
    s, sza = np.radians(slope_deg), np.radians(sun_zenith_deg)
    relative = np.radians(np.asarray(sun_azimuth_deg) - np.where(aspect_deg == ASPECT_FLAT, 0.0, aspect_deg))
    cos_i = np.cos(sza) * np.cos(s) + np.sin(sza) * np.sin(s) * np.cos(relative)
    return cos_i.astype(np.float32)


def hillshade(
    slope_deg: np.ndarray, aspect_deg: np.ndarray, sun_zenith_deg: float, sun_azimuth_deg: float
) -> np.ndarray:
    """gdaldem's hillshade value 1 + 254 * max(cos i, 0), rounded, uint8."""
    cos_i = illumination_cos(slope_deg, aspect_deg, sun_zenith_deg, sun_azimuth_deg)
    return np.round(np.where(cos_i <= 0, 1.0, 1.0 + 254.0 * cos_i)).astype(np.uint8)
