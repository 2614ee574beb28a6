"""Snow branch of the classic algorithm, CCI snow masks and snow recovery (facts A.3 steps 2, 16).

Sen2Cor also locks pixels whose snow ramps reached 0 with an internal label 50 ("not snow") and resets
it to "not classified" at the end of the branch; no test between the two reads the lock, so it has no
effect on the result and is not reproduced here.
"""
from __future__ import annotations

import logging

import numpy as np

from sen2cor.sceneclass.dilation import dilate_cross
from sen2cor.sceneclass.ramps import ramp, ratio
from sen2cor.sceneclass.thresholds import CloudThresholds

log = logging.getLogger(__name__)

#: Step 2.1bis: snow needs B05/B8A >= 0.85 (hard-coded in Sen2Cor).
SNOW_B05_B8A_MIN = 0.85
#: Radius (px, 4-connected diamond) of the snow dilation used for the ring and the snow recovery.
SNOW_DILATION_PX = 3
#: ESA-CCI snow-condition codes: water and no data.
SNC_WATER = 254
SNC_NODATA = 255
#: The CCI water rule applies when the mean snow condition over non-water pixels is below this (%).
SNC_LOW_SNOW_MEAN = 10.0


def snow_probability(ndsi_value: np.ndarray, cloud_probability: np.ndarray, b02: np.ndarray, b04: np.ndarray,
                     b05: np.ndarray, b8a: np.ndarray, th: CloudThresholds,
                     excluded: np.ndarray | None = None) -> np.ndarray:
    """Steps 2.1-2.4: snow probability in [0, 1] (float32).

    ``S = ramp(NDSI; T1_NDSI_SNW, T2_NDSI_SNW)``, 0 where the cloud probability is 0 and where
    ``excluded`` (CCI water or climatology), 0 where ``B05/B8A < 0.85``, then multiplied by the ramps of
    B8A (T1/T2_B8A), B02 (T1/T2_B02) and B02/B04 (T1/T2_R_B02_B04).
    """
    s = ramp(ndsi_value, th.t1_ndsi_snw, th.t2_ndsi_snw)
    s[cloud_probability == 0] = 0
    if excluded is not None:
        s[excluded] = 0
    s[ratio(b05, b8a) < SNOW_B05_B8A_MIN] = 0
    s *= ramp(b8a, th.t1_b8a, th.t2_b8a)
    s *= ramp(b02, th.t1_b02, th.t2_b02)
    s *= ramp(ratio(b02, b04), th.t1_r_b02_b04, th.t2_r_b02_b04)
    return s


def snow_mask(s: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Step 2.5: SNOW_ICE where the snow probability exceeds T1_SNOW."""
    return s > th.t1_snow


def snow_ring(mask: np.ndarray) -> np.ndarray:
    """Step 2.5: pixels within a radius-3 diamond of snow that are not snow themselves."""
    return dilate_cross(mask, SNOW_DILATION_PX) & ~mask


def ring_cloud_reset(ring: np.ndarray, b12: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Step 2.5: ring pixels whose cloud probability is reset to 0, ``B12 < T2_SNOW``."""
    return ring & (b12 < th.t2_snow)


def cci_snow_water_mask(snow_condition: np.ndarray | None) -> np.ndarray | None:
    """Pixels where the CCI water rule removes snow: SNC == 254, if the tile's mean SNC (non-water) < 10 %.

    Returns None when the rule does not apply (no map, no land values, or a snowy tile).
    """
    if snow_condition is None:
        return None
    water = snow_condition == SNC_WATER
    land = snow_condition[~water].astype(np.float64)
    if land.size == 0 or land.sum() <= 0 or land.mean() >= SNC_LOW_SNOW_MEAN:
        return None
    return water


def climatology_excludes_snow(climatology_percent: np.ndarray, min_percent: float = 0.0) -> np.ndarray:
    """Evolution: pixels where the monthly snow climatology rules snow out.

    ``climatology_percent`` is the ESA-CCI derived monthly snow occurrence (0-100 %, 254 water,
    255 no data) on the tile grid. Snow is excluded where the occurrence is ``<= min_percent`` or on
    CCI water; no-data pixels do not exclude.
    """
    c = np.asarray(climatology_percent)
    valid = c <= 100
    return (valid & (c <= min_percent)) | (c == SNC_WATER)


def snow_recovery(mask: np.ndarray, b03: np.ndarray, b11: np.ndarray) -> np.ndarray:
    """Step 16: candidates for SNOW_ICE, within the radius-3 diamond of snow and ``B11 < B03``."""
    return dilate_cross(mask, SNOW_DILATION_PX) & (b11 < b03)
