"""Scene-classification quality indicators (algorithm facts C.2, C.3; config facts §6.1, §6.4).

The 2.10+ denominators (facts C.3): ``N_full`` = full-tile pixels, ``N_nodata`` = pixels outside the SCL
raster plus SCL == 0, ``N_valid = N_full - N_nodata - n(SATURATED_DEFECTIVE)``. NODATA % is over N_full,
SATURATED_DEFECTIVE % over ``N_full - N_nodata``, every other class over N_valid.
"""
from __future__ import annotations

import logging

import numpy as np

from sen2cor.sceneclass.thresholds import in_classes, SCL

log = logging.getLogger(__name__)

#: Metadata names of the per-class percentages (PSD 14.x; PSD 15 renames DARK_FEATURES to CAST_SHADOW).
CLASS_PERCENTAGE_NAMES: dict[int, str] = {
    SCL.DARK_FEATURES: "DARK_FEATURES_PERCENTAGE",
    SCL.CLOUD_SHADOWS: "CLOUD_SHADOW_PERCENTAGE",
    SCL.VEGETATION: "VEGETATION_PERCENTAGE",
    SCL.NOT_VEGETATED: "NOT_VEGETATED_PERCENTAGE",
    SCL.WATER: "WATER_PERCENTAGE",
    SCL.UNCLASSIFIED: "UNCLASSIFIED_PERCENTAGE",
    SCL.MEDIUM_PROBA_CLOUDS: "MEDIUM_PROBA_CLOUDS_PERCENTAGE",
    SCL.HIGH_PROBA_CLOUDS: "HIGH_PROBA_CLOUDS_PERCENTAGE",
    SCL.THIN_CIRRUS: "THIN_CIRRUS_PERCENTAGE",
    SCL.SNOW_ICE: "SNOW_ICE_PERCENTAGE",
}
CLOUD_CLASSES = (SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS, SCL.THIN_CIRRUS)


def _percent(count: float, total: float) -> float:
    return 100.0 * count / total if total > 0 else 0.0


def class_percentages(scl: np.ndarray, n_full: int | None = None, land: np.ndarray | None = None,
                      psd15: bool = False) -> dict[str, float]:
    """Quality-indicator percentages of an SCL raster (0-100).

    Parameters
    ----------
    scl : ndarray of uint8
        Scene classification (any resolution).
    n_full : int, optional
        Pixels of the full tile at this resolution (default: ``scl.size``); pixels missing from the
        raster count as no-data.
    land : bool ndarray, optional
        Land mask (ESA-CCI water bodies != 2) for CLOUDY_PIXEL_OVER_LAND_PERCENTAGE; without it the
        indicator uses the non-water SCL classes instead.
    psd15 : bool
        Name class 2 ``CAST_SHADOW_PERCENTAGE`` (PSD 15) instead of ``DARK_FEATURES_PERCENTAGE``.

    Returns
    -------
    dict
        Metadata names -> percentages, plus ``N_FULL``, ``N_NODATA``, ``N_VALID`` pixel counts.
    """
    counts = np.bincount(scl.ravel(), minlength=256)[:12].astype(np.float64)
    n_full = int(scl.size if n_full is None else n_full)
    n_nodata = (n_full - scl.size) + counts[SCL.NO_DATA]
    n_valid = n_full - n_nodata - counts[SCL.SATURATED_DEFECTIVE]
    out = {
        "NODATA_PIXEL_PERCENTAGE": _percent(n_nodata, n_full),
        "SATURATED_DEFECTIVE_PIXEL_PERCENTAGE": _percent(counts[SCL.SATURATED_DEFECTIVE], n_full - n_nodata),
    }
    for code, name in CLASS_PERCENTAGE_NAMES.items():
        if psd15 and code == SCL.DARK_FEATURES:
            name = "CAST_SHADOW_PERCENTAGE"
        out[name] = _percent(counts[code], n_valid)
    out["CLOUDY_PIXEL_PERCENTAGE"] = _percent(sum(counts[c] for c in CLOUD_CLASSES), n_valid)
    if land is None:
        land = scl != SCL.WATER
    land = land & (scl > SCL.SATURATED_DEFECTIVE)
    cloudy_land = in_classes(scl, CLOUD_CLASSES) & land
    out["CLOUDY_PIXEL_OVER_LAND_PERCENTAGE"] = _percent(int(cloudy_land.sum()), int(land.sum()))
    out.update(N_FULL=n_full, N_NODATA=int(n_nodata), N_VALID=int(n_valid))
    return out
