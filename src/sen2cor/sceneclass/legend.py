"""How the scene classification is shown: Sen2Cor's class names and the usual SCL colours.

Names are the labels of manual Table 2-1 (the classificator names of the metadata); colours are the
palette of ESA's Sentinel-2 L2A documentation that SNAP, EO Browser and most SCL viewers use
(0 black, 1 red, 2 very dark grey, 3 dark brown, 4 green, 5 dark yellow, 6 blue, 7 dark grey,
8 grey, 9 white, 10 light blue, 11 pink).
"""
from __future__ import annotations

import logging

import numpy as np

from sen2cor.sceneclass.thresholds import SCL

log = logging.getLogger(__name__)

#: Class label (manual Table 2-1) and (r, g, b) colour of each SCL value.
LEGEND: dict[int, tuple[str, tuple[int, int, int]]] = {
    SCL.NO_DATA: ("NO_DATA", (0, 0, 0)),
    SCL.SATURATED_DEFECTIVE: ("SATURATED_OR_DEFECTIVE", (255, 0, 0)),
    SCL.DARK_FEATURES: ("CAST_SHADOWS", (47, 47, 47)),
    SCL.CLOUD_SHADOWS: ("CLOUD_SHADOWS", (100, 50, 0)),
    SCL.VEGETATION: ("VEGETATION", (0, 160, 0)),
    SCL.NOT_VEGETATED: ("NOT_VEGETATED", (255, 230, 90)),
    SCL.WATER: ("WATER", (0, 0, 255)),
    SCL.UNCLASSIFIED: ("UNCLASSIFIED", (128, 128, 128)),
    SCL.MEDIUM_PROBA_CLOUDS: ("CLOUD_MEDIUM_PROBABILITY", (192, 192, 192)),
    SCL.HIGH_PROBA_CLOUDS: ("CLOUD_HIGH_PROBABILITY", (255, 255, 255)),
    SCL.THIN_CIRRUS: ("THIN_CIRRUS", (100, 200, 255)),
    SCL.SNOW_ICE: ("SNOW", (255, 150, 255)),
}
SCL_NAMES: dict[int, str] = {value: name for value, (name, _) in LEGEND.items()}
SCL_COLOURS: dict[int, tuple[int, int, int]] = {value: rgb for value, (_, rgb) in LEGEND.items()}

#: MSK_DDVPXL (Generate_DDV_Output): Sen2Cor's DDV map keeps the SCL codes of no data, dark features and
#: water, marks the DDV reference pixels with the vegetation code and everything else with 5.
DDV_LEGEND: dict[int, tuple[str, tuple[int, int, int]]] = {
    0: ("NO_DATA", (0, 0, 0)),
    2: ("CAST_SHADOWS", (47, 47, 47)),
    4: ("DDV_REFERENCE", (0, 160, 0)),
    5: ("NOT_DDV", (210, 210, 210)),
    6: ("WATER", (0, 0, 255)),
}


def class_names(legend: dict[int, tuple[str, tuple[int, int, int]]]) -> tuple[str, ...]:
    """GDAL category names of ``legend``: the name of value 0, 1, 2, ... up to its largest value ("" if unused)."""
    return tuple(legend[v][0] if v in legend else "" for v in range(max(legend) + 1))


def colours(legend: dict[int, tuple[str, tuple[int, int, int]]]) -> dict[int, tuple[int, int, int]]:
    """GDAL colour table entries of ``legend``: value -> (r, g, b)."""
    return {value: rgb for value, (_, rgb) in legend.items()}


def scl_rgb(scl: np.ndarray) -> np.ndarray:
    """(rows, cols, 3) uint8 picture of an SCL array; values outside 0..11 are black."""
    palette = np.zeros((256, 3), np.uint8)
    for value, rgb in SCL_COLOURS.items():
        palette[value] = rgb
    return palette[np.asarray(scl, dtype=np.uint8)]


__all__ = ["LEGEND", "DDV_LEGEND", "SCL_NAMES", "SCL_COLOURS", "class_names", "colours", "scl_rgb"]
