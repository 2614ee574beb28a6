"""Cirrus from B10 (algorithm facts A.3 steps 7 and 19)."""
from __future__ import annotations

import logging

import numpy as np

from sen2cor.sceneclass.thresholds import CloudThresholds

log = logging.getLogger(__name__)

#: Thin cirrus needs B02 below this TOA reflectance (hard-coded in Sen2Cor).
CIRRUS_B02_MAX = 0.50
#: Cirrus is not assigned above this terrain height (m) when a DEM is available (hard-coded).
CIRRUS_DEM_MAX_M = 1500.0
#: Step 19 floors of the cirrus-recovery B10 thresholds over land and water.
CIRRUS_LAND_FLOOR = 0.003
CIRRUS_WATER_FLOOR = 0.002


def thin_cirrus(b10: np.ndarray, b02: np.ndarray, probability: np.ndarray, th: CloudThresholds,
                dem_m: np.ndarray | None = None, b02_max: float | None = CIRRUS_B02_MAX) -> np.ndarray:
    """Step 7: THIN_CIRRUS where ``T1_B10 < B10 < T2_B10 & B02 < 0.5 & P < T_CLOUD_MP`` (and DEM < 1500 m).

    ``b02_max=None`` drops the B02 condition (evolution, snow ruled out by the climatology).
    """
    mask = (b10 > th.t1_b10) & (b10 < th.t2_b10) & (probability < th.t_cloud_mp)
    if b02_max is not None:
        mask &= b02 < b02_max
    if dem_m is not None:
        mask &= dem_m < CIRRUS_DEM_MAX_M
    return mask


def thick_cirrus(b10: np.ndarray, probability: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Step 7: MEDIUM_PROBA_CLOUDS ("thick cirrus") where ``B10 >= T2_B10 & P < T_CLOUD_HP``."""
    return (b10 >= th.t2_b10) & (probability < th.t_cloud_hp)


def cirrus_recovery_thresholds(b10_soil: np.ndarray, b10_water: np.ndarray) -> tuple[float, float]:
    """Step 19: B10 thresholds ``(T_land, T_water)`` from the B10 values of soil and water pixels.

    ``T_land = max(mean + 3 std, 0.003)`` over NOT_VEGETATED, ``T_water = max(mean + std, 0.002)`` over
    WATER; an empty class gives the floor.
    """
    t_land = CIRRUS_LAND_FLOOR
    if b10_soil.size:
        t_land = max(float(b10_soil.mean(dtype=np.float64) + 3 * b10_soil.std(dtype=np.float64)), CIRRUS_LAND_FLOOR)
    t_water = CIRRUS_WATER_FLOOR
    if b10_water.size:
        t_water = max(float(b10_water.mean(dtype=np.float64) + b10_water.std(dtype=np.float64)), CIRRUS_WATER_FLOOR)
    return t_land, t_water
