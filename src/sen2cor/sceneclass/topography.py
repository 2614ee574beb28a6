"""Terrain illumination from a DEM: hillshade (self-shadow), slope and cast shadows (evolution).

Sen2Cor's SDW layer is ``gdaldem hillshade -compute_edges`` lit by the tile-mean sun (facts A.1):
``SDW = 1 + 254 max(cos i, 0)`` rounded, i = local solar incidence angle, so 1 = self-shadow and 0 is
gdaldem's no-data value. The step 15 thresholds (SDW < 128, 0 < SDW < 32) apply to that scale, and the
same convention (and the same Horn gradients and cosine of incidence) is used by
:mod:`sen2cor.dem.terrain`, which this module calls, so the DEM layer's hillshade can be passed as
``SceneAux.sdw`` unchanged. The evolution's cast shadows are found by marching from each pixel towards
the sun and testing whether the terrain rises above the solar ray.
"""
from __future__ import annotations

import logging
import math
from typing import Iterator

import numpy as np

log = logging.getLogger(__name__)

#: Cast-shadow ray marching: exact 1-pixel steps up to this distance, then steps grow geometrically.
CAST_EXACT_STEPS_PX = 16
CAST_STEP_GROWTH = 1.05
#: gdaldem hillshade value of self-shadowed terrain (cos i <= 0).
SDW_SELF_SHADOW = 1
#: Rows per strip of :func:`terrain_layers`.
TERRAIN_STRIP_ROWS = 512


def _terrain():
    """:mod:`sen2cor.dem.terrain`, imported on first use: it loads GDAL (~50 MB), needed only with a DEM."""
    from sen2cor.dem import terrain
    return terrain


def slope_deg(dem_m: np.ndarray, resolution_m: float) -> np.ndarray:
    """Terrain slope in degrees (``gdaldem slope -compute_edges``; :func:`sen2cor.dem.terrain.slope_aspect`)."""
    return _terrain().slope_aspect(dem_m, resolution_m)[0]


def hillshade(dem_m: np.ndarray, resolution_m: float, sun_zenith_deg: float, sun_azimuth_deg: float) -> np.ndarray:
    """SDW: ``1 + 254 max(cos i, 0)`` rounded (uint8, 1 = self-shadow), as ``gdaldem hillshade``."""
    terrain = _terrain()
    slope, aspect = terrain.slope_aspect(dem_m, resolution_m)
    return terrain.hillshade(slope, aspect, sun_zenith_deg, sun_azimuth_deg)


def _strips(n_rows: int, rows: int) -> Iterator[tuple[slice, slice, slice]]:
    for r0 in range(0, n_rows, rows):
        r1 = min(r0 + rows, n_rows)
        lo, hi = max(r0 - 1, 0), min(r1 + 1, n_rows)
        yield slice(lo, hi), slice(r0 - lo, r0 - lo + (r1 - r0)), slice(r0, r1)


def terrain_layers(dem_m: np.ndarray, resolution_m: float, sun_zenith_deg: float, sun_azimuth_deg: float,
                   rows: int = TERRAIN_STRIP_ROWS) -> tuple[np.ndarray, np.ndarray]:
    """``(SDW uint8, slope float32 degrees)`` of a DEM, over row strips with a 1-row halo.

    Equal to :func:`hillshade` and :func:`slope_deg` on the whole DEM (the halo feeds the 3x3 gradients).
    """
    terrain = _terrain()
    sdw = np.empty(dem_m.shape, np.uint8)
    slope = np.empty(dem_m.shape, np.float32)
    for read, inner, core in _strips(dem_m.shape[0], rows):
        s, a = terrain.slope_aspect(dem_m[read], resolution_m)
        slope[core] = s[inner]
        sdw[core] = terrain.hillshade(s, a, sun_zenith_deg, sun_azimuth_deg)[inner]
    return sdw, slope


def _march_distances(max_px: float) -> list[float]:
    dists, d = [], 1.0
    while d <= max_px:
        dists.append(d)
        d = d + 1 if d < CAST_EXACT_STEPS_PX else d * CAST_STEP_GROWTH
    return dists


def cast_shadow(dem_m: np.ndarray, resolution_m: float, sun_zenith_deg: float, sun_azimuth_deg: float) -> np.ndarray:
    """Pixels hidden from the sun by terrain elsewhere (bool).

    A pixel is shadowed when, at some horizontal distance ``d`` towards the sun, the terrain is higher
    than the pixel by more than ``d tan(solar elevation)``. Distances reach the one at which the tile's
    relief can no longer shade; beyond 16 px they grow by 5 % per step.
    """
    z = dem_m.astype(np.float32, copy=False)
    tan_elev = math.tan(math.radians(90.0 - sun_zenith_deg))
    relief = float(z.max() - z.min()) if z.size else 0.0
    if relief <= 0 or tan_elev <= 0:
        return np.zeros(z.shape, bool)
    max_px = relief / (tan_elev * resolution_m)
    az = math.radians(sun_azimuth_deg)
    # towards the sun: north component cos(az) -> rows decrease, east component sin(az) -> columns increase
    step_r, step_c = -math.cos(az), math.sin(az)
    n_rows, n_cols = z.shape
    shadow = np.zeros(z.shape, bool)
    for d in _march_distances(max_px):
        dr, dc = int(round(d * step_r)), int(round(d * step_c))
        if abs(dr) >= n_rows or abs(dc) >= n_cols:
            break
        rise = np.float32(d * resolution_m * tan_elev)
        # compare z[r + dr, c + dc] - rise with z[r, c] on the overlapping window
        src = z[max(dr, 0):n_rows + min(dr, 0), max(dc, 0):n_cols + min(dc, 0)]
        dst = (slice(max(-dr, 0), n_rows + min(-dr, 0)), slice(max(-dc, 0), n_cols + min(-dc, 0)))
        shadow[dst] |= (src - rise) > z[dst]
    return shadow


def topographic_shadow(sdw: np.ndarray, cast: np.ndarray | None = None,
                       self_shadow_max: int = SDW_SELF_SHADOW) -> np.ndarray:
    """Topographic shadow: self-shadow (``0 < SDW <= self_shadow_max``, gdaldem scale) or cast shadow."""
    out = (sdw > 0) & (sdw <= self_shadow_max)
    if cast is not None:
        out |= cast
    return out
