"""Terrain: illumination, sky view, terrain-reflected irradiance (facts B.5, B.11).

``cos_beta`` is the cosine of the local solar incidence angle (from
:func:`sen2cor.dem.illumination_cos`), ``sky_view`` V_sky = (1 + cos slope) / 2 the fraction of
the sky hemisphere seen by a tilted pixel; 1 - V_sky is the fraction of terrain it sees.
"""

from __future__ import annotations

import logging

import numpy as np

from sen2cor.atmcorr.adjacency import box_mean

log = logging.getLogger(__name__)

#: cos(beta) floor before the reflectance retrieval (26/255, beta <= 84.1 deg).
MIN_COS_BETA = 26.0 / 255.0


def sky_view_factor(slope_deg: np.ndarray) -> np.ndarray:
    """V_sky = (1 + cos slope) / 2 (float32; 1 on flat terrain)."""
    return ((1.0 + np.cos(np.deg2rad(slope_deg))) / 2.0).astype(np.float32)


def illumination(cos_i: np.ndarray) -> np.ndarray:
    """Sen2Cor's cbeta: cos(beta) quantised to 1/255 (uint8 storage) and floored at 26/255."""
    cbeta = np.rint(np.clip(cos_i, 0.0, 1.0) * 255.0) / 255.0
    return np.maximum(cbeta, MIN_COS_BETA).astype(np.float32)


def is_quasi_flat(
    elevation_m: np.ndarray,
    slope: np.ndarray,
    dem_p2p_val_m: float = 50.0,
    slope_th: float = 6.0,
    topo_corr_th: float = 0.01,
    *,
    slope_transform=None,
    strip_rows: int = 1024,
) -> bool:
    """Sen2Cor's quasi-flat test (facts B.5).

    Flat if the peak-to-peak DEM (pixels > 0) is below AC_Dem_P2p_Val and the fraction of
    pixels with slope > AC_Slope_Th is below AC_Topo_Corr_Th.  Sen2Cor compares the slope in
    radians with 6; pass the slope in radians (or degrees with ``slope_transform=np.deg2rad``) to
    reproduce that (only the 50 m test then matters), in degrees for the intended test.
    Both layers may be any 2-D arrays sliced by rows (e.g. read from the database); they are
    tested ``strip_rows`` rows at a time.
    """
    lo = hi = None
    steep = 0
    rows = np.shape(elevation_m)[0]
    for a in range(0, rows, strip_rows):
        z = np.asarray(elevation_m[a:a + strip_rows])
        land = z > 0   # a mask, not a copy of the heights
        if land.any():
            z_hi, z_lo = float(np.max(z, where=land, initial=z.min())), float(np.min(z, where=land, initial=z.max()))
            lo, hi = (z_lo, z_hi) if lo is None else (min(lo, z_lo), max(hi, z_hi))
        part = np.asarray(slope[a:a + strip_rows])
        if slope_transform is not None:
            part = slope_transform(part)
        steep += int(np.count_nonzero(part > slope_th))
    size = int(np.prod(np.shape(slope)))
    p2p = 0.0 if lo is None else hi - lo
    return p2p < dem_p2p_val_m and (steep / size if size else 0.0) < topo_corr_th


def terrain_irradiance(
    rho1: np.ndarray,
    sky_view: np.ndarray,
    e0t: np.ndarray,
    edift: np.ndarray,
    cos_sza: float,
    radius_px: int,
    block_grid: bool | None = None,
) -> np.ndarray:
    """Irradiance reflected by the neighbouring terrain, step 2 (facts B.11, Sirguey 2009).

    rho_t = box mean of rho_1 over (2 n + 1)^2, x = (1 - V_sky) rho_t, x_bar = (1 - box(V_sky)) rho_t;
    E_ter = max((E0t cos SZA + Edift) x / (1 - x_bar), 0.01 E0t cos SZA).
    ``block_grid``: see :func:`sen2cor.atmcorr.adjacency.box_mean` (the whole image's choice for a strip).
    """
    rho_t = np.maximum(box_mean(rho1, radius_px, block_grid), 0.0)
    return irradiance_of_neighbourhood(rho_t, sky_view, box_mean(sky_view, radius_px, block_grid), e0t, edift,
                                       cos_sza)


def irradiance_of_neighbourhood(rho_t: np.ndarray, sky_view: np.ndarray, sky_view_mean: np.ndarray, e0t: np.ndarray,
                                edift: np.ndarray, cos_sza: float) -> np.ndarray:
    """The per-pixel part of :func:`terrain_irradiance` from its box means ``rho_t`` (>= 0) and
    ``sky_view_mean``: max((E0t cos SZA + Edift) x / (1 - x_bar), 0.01 E0t cos SZA)."""
    x = (1.0 - sky_view) * rho_t
    x_bar = (1.0 - sky_view_mean) * rho_t
    e_flat = e0t * cos_sza + edift
    return np.maximum(e_flat * x / (1.0 - x_bar), 0.01 * e0t * cos_sza)


def terrain_radius_px(rng_nbhd_terrain_corr_km: float, pixel_m: float) -> int:
    """nf_rad = max(AC_Rng_Nbhd_Terrain_Corr * 1000 / pixel, 3) pixels."""
    return max(int(rng_nbhd_terrain_corr_km * 1000.0 / pixel_m), 3)
