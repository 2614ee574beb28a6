"""Terrain illumination from a DEM: hillshade (self-shadow), slope and cast shadows (evolution).

Sen2Cor's classic SDW layer is ``gdaldem hillshade`` (0-255 = 255 cos(local incidence angle), self-shadow
only, facts A.1). The evolution separates topographic from cloud shadow; here cast shadows are found by
marching from each pixel towards the sun and testing whether the terrain rises above the solar ray.
"""
from __future__ import annotations

import logging
import math

import numpy as np
from scipy import ndimage

log = logging.getLogger(__name__)

#: Cast-shadow ray marching: exact 1-pixel steps up to this distance, then steps grow geometrically.
CAST_EXACT_STEPS_PX = 16
CAST_STEP_GROWTH = 1.05


def gradients(dem_m: np.ndarray, resolution_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Horn (Sobel) terrain gradients ``(dz/d_east, dz/d_north)`` (unitless), edges replicated."""
    z = dem_m.astype(np.float32, copy=False)
    d_east = ndimage.sobel(z, axis=1, mode="nearest") / np.float32(8 * resolution_m)
    d_north = -ndimage.sobel(z, axis=0, mode="nearest") / np.float32(8 * resolution_m)
    return d_east, d_north


def slope_deg(dem_m: np.ndarray, resolution_m: float) -> np.ndarray:
    """Terrain slope in degrees (``gdaldem slope`` with ``-compute_edges``)."""
    d_east, d_north = gradients(dem_m, resolution_m)
    return np.degrees(np.arctan(np.hypot(d_east, d_north))).astype(np.float32)


def hillshade(dem_m: np.ndarray, resolution_m: float, sun_zenith_deg: float, sun_azimuth_deg: float) -> np.ndarray:
    """Self-shadow layer SDW: ``255 max(cos i, 0)`` rounded, i = local solar incidence angle (uint8)."""
    d_east, d_north = gradients(dem_m, resolution_m)
    zen, az = math.radians(sun_zenith_deg), math.radians(sun_azimuth_deg)
    sun = (math.sin(zen) * math.sin(az), math.sin(zen) * math.cos(az), math.cos(zen))
    cos_i = (-d_east * sun[0] - d_north * sun[1] + sun[2]) / np.sqrt(1 + d_east ** 2 + d_north ** 2)
    return np.rint(255 * np.clip(cos_i, 0, 1)).astype(np.uint8)


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


def topographic_shadow(sdw: np.ndarray, cast: np.ndarray | None = None, self_shadow_max: int = 0) -> np.ndarray:
    """Topographic shadow: self-shadow (``SDW <= self_shadow_max``) or cast shadow."""
    out = sdw <= self_shadow_max
    if cast is not None:
        out |= cast
    return out
