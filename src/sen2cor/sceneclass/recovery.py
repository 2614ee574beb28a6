"""Recovery steps run after the cloud and shadow tests (algorithm facts A.3 steps 14-20).

Spectral per-pixel recoveries of vegetation, water and snow live next to their tests
(:mod:`vegetation`, :mod:`water`, :mod:`snow`); this module holds those that need auxiliary maps
(ESA-CCI water bodies and land cover, DEM hillshade) or tile-wide statistics.
"""
from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from sen2cor.sceneclass.ramps import ratio
from sen2cor.sceneclass.thresholds import in_classes, NOT_CLASSIFIED, SCL

log = logging.getLogger(__name__)

#: Step 15b: cloud shadows on strongly self-shadowed terrain (0 < SDW < 32) become dark features.
SDW_DEEP_SHADOW = 32
#: Step 15c and 15a: self-shadow limit of the 0-255 hillshade.
SDW_SELF_SHADOW = 128
#: Step 15c spectral conditions (hard-coded).
TOPO_B02_MINUS_B04_MIN = 0.034
TOPO_B02_MIN = 0.20
#: Step 17: dark features with B02/B11 below this become NOT_VEGETATED.
SOIL_RECOVERY_B02_B11_MAX = 0.65
#: Step 18 land-recovery limits.
LAND_MIN_FRACTION = 0.05
LAND_MIN_AREA_KM2 = 121.0
HPC_HIGH_PERCENT = 20.0
HPC_LOW_PERCENT = 2.0
HPC_MIN_BLOB_M = 300.0
LAND_B10_FLOOR = 0.0015
#: ESA-CCI land-cover (LCCS) codes; bare areas are the codes 200 to 202 (both included).
LCM_URBAN = 190
LCM_BARE = (200, 202)
LCM_WATER = 210
#: Step 20: a blob is recovered when at most this fraction of its outer ring is cloud, cirrus or shadow.
URBAN_RING_CLOUD_MAX = 0.35
_CLOUDY_RING_CLASSES = (SCL.CLOUD_SHADOWS, SCL.UNCLASSIFIED, SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS,
                        SCL.THIN_CIRRUS)


def cci_water_recovery(scl: np.ndarray, water_bodies: np.ndarray) -> np.ndarray:
    """Step 14: pixels on CCI water (WBI == 2) classed dark, shadow, unclassified or not classified."""
    candidates = in_classes(scl, (SCL.DARK_FEATURES, SCL.CLOUD_SHADOWS, SCL.UNCLASSIFIED, NOT_CLASSIFIED))
    return candidates & (water_bodies == 2)


def shaded_shadow(scl: np.ndarray, sdw: np.ndarray) -> np.ndarray:
    """Step 15b: CLOUD_SHADOWS on deeply self-shadowed terrain (0 < SDW < 32)."""
    return (scl == SCL.CLOUD_SHADOWS) & (sdw > 0) & (sdw < SDW_DEEP_SHADOW)


def topographic_dark(scl: np.ndarray, sdw: np.ndarray, water_bodies: np.ndarray, b02: np.ndarray,
                     b04: np.ndarray, b8a: np.ndarray) -> np.ndarray:
    """Step 15c: bright, blue, self-shadowed non-water pixels (snow in shadow) that become DARK_FEATURES."""
    spectral = ((b02 - b04) > TOPO_B02_MINUS_B04_MIN) & (b8a < b04) & (b02 > TOPO_B02_MIN)
    classes = in_classes(scl, (NOT_CLASSIFIED, SCL.UNCLASSIFIED, SCL.MEDIUM_PROBA_CLOUDS))
    return (sdw < SDW_SELF_SHADOW) & (water_bodies != 2) & spectral & classes


def soil_recovery(scl: np.ndarray, b02: np.ndarray, b11: np.ndarray) -> np.ndarray:
    """Step 17: DARK_FEATURES with ``B02/B11 < 0.65`` (to NOT_VEGETATED)."""
    return (scl == SCL.DARK_FEATURES) & (ratio(b02, b11) < SOIL_RECOVERY_B02_B11_MAX)


def land_b10_threshold(scl: np.ndarray, b10: np.ndarray, resolution_m: float) -> float | None:
    """Step 18: B10 threshold below which MEDIUM/HIGH clouds over land are recovered; None = skip.

    Skipped when land ({VEGETATION, NOT_VEGETATED}) covers < 5 % of valid pixels or < 121 km². With the
    high-probability cloud share HPC% of valid pixels: HPC% < 2 -> mean(B10 | land); HPC% > 20 ->
    ``min(mean(B10|land), max(0.0015, min(mean(B10|land), mean(B10|HPC) - 2 std(B10|HPC))))``; in between
    Sen2Cor 2.8 also puts 0.0015 inside the ``min`` (restricted to HPC blobs > (300 m)²), which makes the
    threshold 0.0015 whenever the land mean exceeds it; that quirk is reproduced.
    """
    valid = scl != SCL.NO_DATA
    n_valid = int(valid.sum())
    land = in_classes(scl, (SCL.VEGETATION, SCL.NOT_VEGETATED))
    n_land = int(land.sum())
    if n_valid == 0 or n_land < LAND_MIN_FRACTION * n_valid or n_land * resolution_m ** 2 / 1e6 < LAND_MIN_AREA_KM2:
        return None
    land_mean = float(b10[land].mean(dtype=np.float64))
    hpc = scl == SCL.HIGH_PROBA_CLOUDS
    hpc_percent = 100.0 * hpc.sum() / n_valid
    if hpc_percent < HPC_LOW_PERCENT:
        return land_mean
    if hpc_percent > HPC_HIGH_PERCENT:
        values = b10[hpc]
        inner = min(land_mean, float(values.mean(dtype=np.float64) - 2 * values.std(dtype=np.float64)))
        return min(max(LAND_B10_FLOOR, inner), land_mean)
    labels, n = ndimage.label(hpc)
    sizes = np.bincount(labels.ravel(), minlength=n + 1)
    big = sizes > (HPC_MIN_BLOB_M / resolution_m) ** 2
    big[0] = False
    values = b10[big[labels]]
    if values.size == 0:
        return land_mean
    inner = min(LAND_B10_FLOOR, land_mean, float(values.mean(dtype=np.float64) - 2 * values.std(dtype=np.float64)))
    return min(max(LAND_B10_FLOOR, inner), land_mean)


def land_ratio_threshold(scl: np.ndarray, b09: np.ndarray, b8a: np.ndarray) -> float:
    """Step 18: ``mean + std`` of B09/B8A over land."""
    land = in_classes(scl, (SCL.VEGETATION, SCL.NOT_VEGETATED))
    r = ratio(b09[land], b8a[land])
    return float(r.mean(dtype=np.float64) + r.std(dtype=np.float64)) if r.size else 0.0


def land_recovery(scl: np.ndarray, land_cover: np.ndarray, b09: np.ndarray, b8a: np.ndarray, b10: np.ndarray,
                  t_b10: float, t_ratio: float) -> np.ndarray:
    """Step 18: MEDIUM/HIGH clouds off CCI water with ``B10 < t_b10`` and ``B09/B8A < t_ratio``."""
    clouds = in_classes(scl, (SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS))
    return clouds & (land_cover != LCM_WATER) & (b10 < t_b10) & (ratio(b09, b8a) < t_ratio)


def clear_ring_blobs(candidates: np.ndarray, scl: np.ndarray) -> np.ndarray:
    """Step 20: 4-connected blobs of ``candidates`` whose 1-pixel outer ring is at most 35 % cloudy.

    The ring of a blob is the 3x3 grey dilation of the label image outside all blobs. Returns the
    pixels of the accepted blobs.
    """
    labels, n = ndimage.label(candidates)
    if n == 0:
        return np.zeros(candidates.shape, bool)
    grown = ndimage.grey_dilation(labels, size=(3, 3))
    ring = (labels == 0) & (grown > 0)
    ring_labels = grown[ring]
    total = np.bincount(ring_labels, minlength=n + 1)
    cloudy = np.bincount(ring_labels, weights=in_classes(scl[ring], _CLOUDY_RING_CLASSES), minlength=n + 1)
    accept = cloudy <= URBAN_RING_CLOUD_MAX * total
    accept[0] = False
    return accept[labels]


def urban_bare_recovery(scl: np.ndarray, land_cover: np.ndarray) -> np.ndarray:
    """Step 20: pixels to set NOT_VEGETATED from the CCI urban (190) and bare (200-202) classes.

    Not-classified pixels of either class directly; UNCLASSIFIED/MEDIUM cloud blobs of each class when
    their ring is clear enough (:func:`clear_ring_blobs`).
    """
    out = np.zeros(scl.shape, bool)
    cloudish = in_classes(scl, (SCL.UNCLASSIFIED, SCL.MEDIUM_PROBA_CLOUDS))
    for cover in (land_cover == LCM_URBAN, (land_cover >= LCM_BARE[0]) & (land_cover <= LCM_BARE[1])):
        out |= cover & (scl == NOT_CLASSIFIED)
        out |= clear_ring_blobs(cover & cloudish, scl)
    return out
