"""Brightness and spectral cloud tests of the classic algorithm (algorithm facts A.3, steps 1a-7).

Each function evaluates one test on arrays of any shape and returns new arrays: a probability, a
membership or a boolean mask. The drivers (:mod:`sen2cor.sceneclass.classic`, :mod:`sen2cor.sceneclass.evolution`)
apply them in order.
"""
from __future__ import annotations

import logging

import numpy as np

from sen2cor.sceneclass.ramps import normalized_difference, ramp, ratio
from sen2cor.sceneclass.thresholds import NOT_CLASSIFIED, SCL, CloudThresholds

log = logging.getLogger(__name__)

#: Step 1a dark features: B04 below this and B8A inside the interval (hard-coded in Sen2Cor, facts A.3).
DARK_B04_MAX = 0.1
DARK_B8A_RANGE = (0.04, 0.15)
#: Step 5.1 clip bounds of the soil blue threshold B02_FT (hard-coded).
SOIL_B02_FT_RANGE = (0.15, 0.32)
#: Step 5.1 clip of the B02/B11 ratio (hard-coded).
SOIL_RATIO_MAX = 100.0
#: Step 6 rocks/sand: B02_FT = clip(slope * B8A/B11 + intercept, lo, hi) and B02 < factor * B11 (hard-coded).
ROCKS_B02_FT_SLOPE = -0.25
ROCKS_B02_FT_INTERCEPT = 0.475
ROCKS_B02_FT_RANGE = (0.16, 0.35)
ROCKS_B02_B11_FACTOR = 0.8
#: Step 6bis B04/B11 ramp (hard-coded).
RATIO_B04_B11_RAMP = (3.0, 6.0)


def red_brightness(b04: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Step 1a: initial cloud probability, the squared ramp of B04 between T1_B04 and T2_B04."""
    return ramp(b04, th.t1_b04, th.t2_b04) ** 2


def dark_features(b04: np.ndarray, b8a: np.ndarray) -> np.ndarray:
    """Step 1a: dark-feature candidates, ``B04 < 0.1`` and ``0.04 < B8A < 0.15``."""
    return (b04 < DARK_B04_MAX) & (b8a > DARK_B8A_RANGE[0]) & (b8a < DARK_B8A_RANGE[1])


def ndsi(b03: np.ndarray, b11: np.ndarray) -> np.ndarray:
    """Normalised difference snow index (B03 - B11) / (B03 + B11)."""
    return normalized_difference(b03, b11)


def ndsi_cloud_membership(ndsi_value: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Step 1b: ramp of NDSI between T1_NDSI_CLD and T2_NDSI_CLD; multiplies the cloud probability."""
    return ramp(ndsi_value, th.t1_ndsi_cld, th.t2_ndsi_cld)


def soil_b02_b11(b02: np.ndarray, b11: np.ndarray, th: CloudThresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 5.1 soil test on B02/B11.

    Returns
    -------
    soil : bool ndarray
        ``B02 < B02_FT`` and ``B02/B11 < T11_R_B02_B11``; classified NOT_VEGETATED with P = 0.
    ambiguous : bool ndarray
        ``T11_R_B02_B11 < B02/B11 < T12_R_B02_B11`` and ``B02 < B02_FT``; P is multiplied by ``factor``.
    factor : ndarray
        ``ramp(B02/B11, T11_R_B02_B11, T12_R_B02_B11)``.
    """
    r = np.clip(ratio(b02, b11), 0.0, SOIL_RATIO_MAX)
    b02_ft = np.clip(th.t11_b02 * r + th.t12_b02, *SOIL_B02_FT_RANGE)
    blue_low = b02 < b02_ft
    soil = blue_low & (r < th.t11_r_b02_b11)
    ambiguous = blue_low & (r > th.t11_r_b02_b11) & (r < th.t12_r_b02_b11)
    return soil, ambiguous, ramp(r, th.t11_r_b02_b11, th.t12_r_b02_b11)


def rocks_b8a_b11(b02: np.ndarray, b8a: np.ndarray, b11: np.ndarray,
                  th: CloudThresholds) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Step 6 rocks/sand test on B8A/B11.

    Returns ``(rocks, ambiguous, factor)``: rocks = ``B02 < B02_FT & B8A/B11 < T1_R_B8A_B11 &
    B02 < 0.8 B11`` (NOT_VEGETATED, P = 0); ambiguous = ``T1 < B8A/B11 < T2 & B02 < B02_FT``, where P is
    multiplied by ``factor = ramp(B8A/B11, T1_R_B8A_B11, T2_R_B8A_B11)``.
    """
    r = ratio(b8a, b11)
    b02_ft = np.clip(ROCKS_B02_FT_SLOPE * r + ROCKS_B02_FT_INTERCEPT, *ROCKS_B02_FT_RANGE)
    blue_low = b02 < b02_ft
    rocks = blue_low & (r < th.t1_r_b8a_b11) & (b02 < ROCKS_B02_B11_FACTOR * b11)
    ambiguous = blue_low & (r > th.t1_r_b8a_b11) & (r < th.t2_r_b8a_b11)
    return rocks, ambiguous, ramp(r, th.t1_r_b8a_b11, th.t2_r_b8a_b11)


def ratio_b04_b11_membership(b04: np.ndarray, b11: np.ndarray) -> np.ndarray:
    """Step 6bis: ramp of B04/B11 between 3 and 6; 1 means "not a cloud" (P = 0), inside it lowers P."""
    return ramp(ratio(b04, b11), *RATIO_B04_B11_RAMP)


def cloud_classes(probability: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Step 7: cloud class of each probability; NOT_CLASSIFIED where P <= T_CLOUD_LP.

    ``T_CLOUD_LP < P < T_CLOUD_MP`` -> UNCLASSIFIED (low-probability cloud), ``T_CLOUD_MP <= P <
    T_CLOUD_HP`` -> MEDIUM_PROBA_CLOUDS, ``P >= T_CLOUD_HP`` -> HIGH_PROBA_CLOUDS (uint8).
    """
    out = np.full(probability.shape, NOT_CLASSIFIED, dtype=np.uint8)
    out[(probability > th.t_cloud_lp) & (probability < th.t_cloud_mp)] = SCL.UNCLASSIFIED
    out[(probability >= th.t_cloud_mp) & (probability < th.t_cloud_hp)] = SCL.MEDIUM_PROBA_CLOUDS
    out[probability >= th.t_cloud_hp] = SCL.HIGH_PROBA_CLOUDS
    return out
