"""Class codes of the SCL and the thresholds the tests read.

Thresholds are :class:`sen2cor.config.CloudThresholds` (L2A_CAL_SC_GIPP.xml Scene_Classification/Thresholds,
lowercase GIPP names, validated by the config package); this module re-exports it so the steps depend on
one small frozen object. Constants that Sen2Cor hard-codes outside the GIPP live next to the step using them.
"""
from __future__ import annotations

import enum
import logging
from typing import Iterable

import numpy as np

from sen2cor.config import CloudThresholds

log = logging.getLogger(__name__)

__all__ = ["SCL", "CloudThresholds", "NOT_CLASSIFIED", "NOT_SNOW", "in_classes"]


class SCL(enum.IntEnum):
    """Scene classification codes (Classificators; fixed enumerations in the XSD; manual Table 2-1)."""

    NO_DATA = 0
    SATURATED_DEFECTIVE = 1
    DARK_FEATURES = 2          # "CAST_SHADOWS" in manual Table 2-1 (dark area / topographic shadow)
    CLOUD_SHADOWS = 3
    VEGETATION = 4
    NOT_VEGETATED = 5
    WATER = 6
    UNCLASSIFIED = 7
    MEDIUM_PROBA_CLOUDS = 8
    HIGH_PROBA_CLOUDS = 9
    THIN_CIRRUS = 10
    SNOW_ICE = 11


#: Internal label of pixels no test has claimed yet (facts A.1); becomes UNCLASSIFIED at the end.
NOT_CLASSIFIED = 100
#: Internal "not snow" lock of Sen2Cor's snow branch (facts A.3 step 2); see :mod:`snow` for why it is unused.
NOT_SNOW = 50


def in_classes(class_map: np.ndarray, codes: Iterable[int]) -> np.ndarray:
    """Boolean mask of the pixels of a class map (SCL) whose code is in ``codes``.

    For uint8 maps a 256-entry lookup table: one byte per pixel, unlike ``np.isin`` which may build
    int64 temporaries (~12 B/px); other dtypes go through ``np.isin``.
    """
    class_map = np.asarray(class_map)
    if class_map.dtype != np.uint8:
        return np.isin(class_map, tuple(codes))
    table = np.zeros(256, bool)
    table[list(codes)] = True
    return table[class_map]
