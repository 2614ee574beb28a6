"""Vegetation test and dark-vegetation recovery (algorithm facts A.3 steps 3 and 12)."""
from __future__ import annotations

import logging

import numpy as np

from sen2cor.sceneclass.ramps import normalized_difference, ramp, ratio
from sen2cor.sceneclass.thresholds import CloudThresholds

log = logging.getLogger(__name__)

#: Step 3: vegetation needs B02 below this TOA reflectance (hard-coded in Sen2Cor).
VEGETATION_B02_MAX = 0.15


def ndvi(b8a: np.ndarray, b04: np.ndarray) -> np.ndarray:
    """Normalised difference vegetation index (B8A - B04) / (B8A + B04)."""
    return normalized_difference(b8a, b04)


def ndvi_membership(ndvi_value: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Step 3: ramp of NDVI between T1_NDVI and T2_NDVI (1 = vegetation-like)."""
    return ramp(ndvi_value, th.t1_ndvi, th.t2_ndvi)


def vegetation(membership: np.ndarray, b02: np.ndarray) -> np.ndarray:
    """Step 3: VEGETATION where the NDVI ramp is 1 and ``B02 < 0.15``."""
    return (membership >= 1) & (b02 < VEGETATION_B02_MAX)


def dark_vegetation_recovery(ndvi_value: np.ndarray, b8a: np.ndarray, b03: np.ndarray,
                             th: CloudThresholds) -> np.ndarray:
    """Step 12: pixels to recover as VEGETATION, ``NDVI > T2_NDVI`` or ``B8A/B03 > T2_R_B8A_B03``.

    The driver applies it to DARK_FEATURES and not-yet-classified pixels only.
    """
    return (ndvi_value > th.t2_ndvi) | (ratio(b8a, b03) > th.t2_r_b8a_b03)
