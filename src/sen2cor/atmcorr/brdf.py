"""Empirical BRDF correction of rugged terrain (BRDF_Correction, BRDF_Lower_Bound; facts B.12).

Pixels whose illumination angle beta exceeds a threshold beta_T (set from the sun zenith) are
darkened by G = max((cos beta / cos beta_T)^e, g), G <= 1; e = 1 (code 1) or 1/2 (code 2).
Codes 11/12/21/22 treat vegetation (rho_NIR > 0.1 and rho_NIR / rho_red > 3) separately with
e = 3/4 below 720 nm and 1/3 (x1) or 1 (x2) above.  Code 0 = off.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from sen2cor.errors import ConfigError

log = logging.getLogger(__name__)

BRDF_CODES = (0, 1, 2, 11, 12, 21, 22)
VEGETATION_SPLIT_UM = 0.72


def threshold_angle_deg(sza_deg: float) -> float:
    """beta_T from the sun zenith: +25 (< 35), +20 (< 45), +15 (< 50), +10 (< 60), else max(70, SZA + 5)."""
    for limit, add in ((35.0, 25.0), (45.0, 20.0), (50.0, 15.0), (60.0, 10.0)):
        if sza_deg < limit:
            return sza_deg + add
    return max(70.0, sza_deg + 5.0)


def brdf_exponent(code: int, wavelength_um: float, vegetation: bool) -> float:
    """Exponent e of G for a BRDF_Correction code, band and cover type."""
    if code not in BRDF_CODES or code == 0:
        raise ConfigError(f"BRDF_Correction = {code}; allowed: {BRDF_CODES} (0 = off)")
    base = 1.0 if code in (1, 11, 12) else 0.5
    if code < 10 or not vegetation:
        return base
    if wavelength_um < VEGETATION_SPLIT_UM:
        return 0.75
    return 1.0 / 3.0 if code % 10 == 1 else 1.0


def vegetation_mask(rho_nir: np.ndarray, rho_red: np.ndarray, vegetation_index_th: float = 3.0) -> np.ndarray:
    """rho_NIR > 0.1 and rho_NIR / rho_red > AC_Vegetation_Index_Th, 5x5 median-cleaned."""
    with np.errstate(divide="ignore", invalid="ignore"):
        veg = (rho_nir > 0.1) & (rho_nir > vegetation_index_th * np.maximum(rho_red, 1e-6))
    return ndimage.median_filter(veg.astype(np.uint8), size=5, mode="nearest").astype(bool)


def brdf_factor(
    cos_beta: np.ndarray, sza_deg: float, exponent: np.ndarray | float, lower_bound: float = 0.22
) -> np.ndarray:
    """G = max((cos beta / cos beta_T)^e, g), capped at 1 (only beta > beta_T changes)."""
    cos_t = np.cos(np.deg2rad(threshold_angle_deg(sza_deg)))
    ratio = np.maximum(np.asarray(cos_beta, dtype=np.float64), 0.0) / cos_t
    g = np.maximum(np.power(ratio, exponent), lower_bound)
    return np.minimum(g, 1.0).astype(np.float32)


def brdf_correct(
    rho: np.ndarray,
    cos_beta: np.ndarray,
    sza_deg: float,
    code: int,
    wavelength_um: float,
    lower_bound: float = 0.22,
    vegetation: np.ndarray | None = None,
) -> np.ndarray:
    """rho * G for BRDF_Correction ``code`` (0 returns rho unchanged)."""
    if code == 0:
        return rho
    e = brdf_exponent(code, wavelength_um, False)
    if code > 10 and vegetation is not None:
        e = np.where(vegetation, brdf_exponent(code, wavelength_um, True), e)
    return (rho * brdf_factor(cos_beta, sza_deg, e, lower_bound)).astype(np.float32)
