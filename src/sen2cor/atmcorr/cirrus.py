"""Cirrus correction from B10 (Cirrus_Correction, WV_Threshold_Cirrus; manual §2.2.6, facts B.13).

ATCOR's algorithm (Richter et al. 2011): the cirrus reflectance rho_cir (3x3 median of the B10
TOA reflectance) is subtracted from the TOA reflectance of each band, scaled by 1/gamma:
rho*_b = rho_b - rho_cir / gamma (SWIR bands, lambda >= 1.5 um, use 2 gamma).  gamma (0.6 ... 1)
makes the mean corrected blue/green/coastal reflectance of cirrus pixels equal that of cirrus-free
pixels.  Sen2Cor 2.12's own implementation is a gap (facts B.13); the B09 division by the two-way
water-vapour transmittance T945 is not reproduced.  Applied at 20 m and 60 m only, and only if the
scene-average water vapour reaches WV_Threshold_Cirrus.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

log = logging.getLogger(__name__)

GAMMA_RANGE = (0.6, 1.0)
#: rho_cir above which a pixel is a cirrus pixel (2 %; 1.4 % if there are too few).
CIRRUS_THRESHOLDS = (0.02, 0.014)
MIN_CIRRUS_PIXELS = 10000
#: rho_cir below which a pixel is cirrus-free, and the minimum count.
CLEAR_THRESHOLD = 0.008
MIN_CLEAR_PIXELS = 2000
SWIR_START_UM = 1.5


def cirrus_reflectance(rho_b10: np.ndarray) -> np.ndarray:
    """3x3 median of the B10 TOA reflectance, >= 0."""
    return np.maximum(ndimage.median_filter(np.asarray(rho_b10, dtype=np.float32), size=3), 0.0)


def cirrus_pixels(rho_cir: np.ndarray, valid: np.ndarray, min_pixels: int = MIN_CIRRUS_PIXELS) -> np.ndarray:
    """Cirrus pixels: rho_cir > 2 %, or > 1.4 % when the first gives fewer than ``min_pixels``."""
    mask = valid & (rho_cir > CIRRUS_THRESHOLDS[0])
    if mask.sum() < min_pixels:
        mask = valid & (rho_cir > CIRRUS_THRESHOLDS[1])
    return mask


def clear_pixels(rho_cir: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Cirrus-free pixels: rho_cir < 0.8 %."""
    return valid & (rho_cir < CLEAR_THRESHOLD)


def estimate_gamma(
    rho_bands: list[np.ndarray], rho_cir: np.ndarray, cirrus: np.ndarray, clear: np.ndarray
) -> float | None:
    """gamma in [0.6, 1] matching mean corrected TOA of cirrus pixels to the cirrus-free mean.

    ``rho_bands``: TOA reflectances of the visible reference bands (B01, B02, B03).
    mean(rho_b[cirrus]) - mean(rho_cir[cirrus]) / gamma = mean(rho_b[clear]) per band, averaged.
    None when there are too few cirrus or clear pixels.
    """
    if cirrus.sum() < 1 or clear.sum() < MIN_CLEAR_PIXELS:
        return None
    cir_mean = float(rho_cir[cirrus].mean())
    inverse = []
    for rho in rho_bands:
        excess = float(rho[cirrus].mean() - rho[clear].mean())
        if excess > 0 and cir_mean > 0:
            inverse.append(excess / cir_mean)
    if not inverse:
        return None
    return float(np.clip(1.0 / np.mean(inverse), *GAMMA_RANGE))


def correct_cirrus(
    rho_toa: np.ndarray, rho_cir: np.ndarray, gamma: float, wavelength_um: float
) -> np.ndarray:
    """rho - rho_cir / gamma (2 gamma for lambda >= 1.5 um), floored at 0."""
    g = 2.0 * gamma if wavelength_um >= SWIR_START_UM else gamma
    return np.maximum(rho_toa - rho_cir / g, 0.0).astype(np.float32)


def cirrus_enabled(
    cirrus_correction: bool, resolution_m: int, scene_wv_cm: float, wv_threshold_cirrus_cm: float
) -> bool:
    """Whether to apply the correction: GIPP switch, 20/60 m only, scene WV >= WV_Threshold_Cirrus."""
    if not cirrus_correction or resolution_m == 10:
        return False
    if scene_wv_cm < wv_threshold_cirrus_cm:
        log.info(
            "cirrus correction skipped: scene water vapour %.2f cm < WV_Threshold_Cirrus %.2f cm",
            scene_wv_cm,
            wv_threshold_cirrus_cm,
        )
        return False
    return True
