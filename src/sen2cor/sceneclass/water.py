"""Water tests and water recoveries (algorithm facts A.3 steps 5.2, 13, 14, 15a)."""
from __future__ import annotations

import logging

import numpy as np

from sen2cor.sceneclass.ramps import ramp, ratio
from sen2cor.sceneclass.thresholds import CloudThresholds

log = logging.getLogger(__name__)

#: Clip bounds of the water SWIR threshold B12_FT (hard-coded in Sen2Cor).
WATER_B12_FT_RANGE = (0.07, 0.21)
#: Water needs B02 below this TOA reflectance (hard-coded).
WATER_B02_MAX = 0.2
#: Second water test: B02 - B04 above this (hard-coded).
WATER_B02_MINUS_B04_MIN = 0.034
#: Step 13: not-classified pixels recovered as water need B8A below this (hard-coded).
WATER_RECOVERY_B8A_MAX = 0.3
#: ESA-CCI water-bodies value for water.
WBI_WATER = 2
#: Step 15a: water on self-shadowed (SDW < 128) slopes steeper than this (degrees) becomes dark feature.
WATER_SLOPE_MAX_DEG = 15.0
SDW_SELF_SHADOW = 128


def water_b02_b11(b02: np.ndarray, b04: np.ndarray, b8a: np.ndarray, b11: np.ndarray, b12: np.ndarray,
                  th: CloudThresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 5.2 first water test.

    With ``R = B02/B11`` and ``B12_FT = clip(T21_B12 R + T22_B12, 0.07, 0.21)`` the common conditions are
    ``B12 < B12_FT & B8A < B04 & B02 < 0.2``.

    Returns
    -------
    water : bool ndarray
        Common conditions and ``R > T22_R_B02_B11``.
    ambiguous : bool ndarray
        Common conditions and ``T21_R_B02_B11 <= R < T22_R_B02_B11``.
    factor : ndarray
        ``1 - ramp(R; T21, T22)`` (= ``2 - 0.5 R`` with the defaults), the P multiplier on ``ambiguous``.
    """
    r = ratio(b02, b11)
    b12_ft = np.clip(th.t21_b12 * r + th.t22_b12, *WATER_B12_FT_RANGE)
    common = (b12 < b12_ft) & (b8a < b04) & (b02 < WATER_B02_MAX)
    water = common & (r > th.t22_r_b02_b11)
    ambiguous = common & (r >= th.t21_r_b02_b11) & (r < th.t22_r_b02_b11)
    return water, ambiguous, 1 - ramp(r, th.t21_r_b02_b11, th.t22_r_b02_b11)


def water_blue_red(b02: np.ndarray, b04: np.ndarray, b8a: np.ndarray) -> np.ndarray:
    """Step 5.2 second water test: ``B02 - B04 > 0.034 & B8A < B04 & B02 < 0.2``."""
    return ((b02 - b04) > WATER_B02_MINUS_B04_MIN) & (b8a < b04) & (b02 < WATER_B02_MAX)


def water_recovery(b02: np.ndarray, b04: np.ndarray, b8a: np.ndarray, b11: np.ndarray,
                   th: CloudThresholds) -> tuple[np.ndarray, np.ndarray]:
    """Step 13: ``(from_dark, from_unclassified)`` masks of pixels to recover as WATER.

    Both need ``B02/B11 > T22_R_B02_B11 & B8A < B04``; the second also ``B8A < 0.3``. The driver applies
    the first to DARK_FEATURES and the second to not-yet-classified pixels.
    """
    base = (ratio(b02, b11) > th.t22_r_b02_b11) & (b8a < b04)
    return base, base & (b8a < WATER_RECOVERY_B8A_MAX)


def steep_shaded_water(sdw: np.ndarray, slope_deg: np.ndarray) -> np.ndarray:
    """Step 15a: self-shadowed steep terrain where WATER is reclassified DARK_FEATURES."""
    return (sdw < SDW_SELF_SHADOW) & (slope_deg > WATER_SLOPE_MAX_DEG)
