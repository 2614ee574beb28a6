"""SCL and probability maps on the 60 m and 10 m grids (algorithm facts A.7, C.1).

* SCL 20 m -> 60 m: 3x3 median filter, then nearest-neighbour resize to a third. On an exact 3x3 block
  grid the nearest sample of each 60 m pixel is the centre of its block, so the result is the median of
  the nine class codes of that block.
* Probabilities 20 m -> 60 m: 3x3 block mean of the uint8 percentages, ``+ 0.5`` and truncated.
* SCL 20 m -> 10 m: nearest neighbour (each pixel repeated 2 x 2).
"""
from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from sen2cor.tables.resample import downsample_median, upsample_nearest

log = logging.getLogger(__name__)


def probability_percent(probability: np.ndarray, nodata: np.ndarray | None = None) -> np.ndarray:
    """MSK_CLDPRB / MSK_SNWPRB encoding: ``uint8(100 P + 0.5)``, 0 on no-data (P in [0, 1])."""
    out = (np.clip(probability, 0, 1) * np.float32(100) + np.float32(0.5)).astype(np.uint8)
    if nodata is not None:
        out[nodata] = 0
    return out


def _nearest_centres(n_in: int, n_out: int) -> np.ndarray:
    """Input index nearest to the centre of each output pixel (skimage ``resize`` order 0 convention).

    Output centre i lies at input position (i + 0.5) n_in / n_out - 0.5; rounded half up that is
    floor((2 i + 1) n_in / (2 n_out)), in integers, always within 0 .. n_in - 1.
    """
    return (2 * np.arange(n_out, dtype=np.int64) + 1) * n_in // (2 * n_out)


def scl_to_60m(scl_20m: np.ndarray, shape_60m: tuple[int, int] | None = None) -> np.ndarray:
    """SCL at 60 m from the 20 m SCL: 3x3 median, then nearest neighbour to ``shape_60m``.

    ``shape_60m`` defaults to a third of the 20 m shape (rounded up).
    """
    n_rows, n_cols = scl_20m.shape
    out_shape = shape_60m or (-(-n_rows // 3), -(-n_cols // 3))
    if out_shape == (n_rows / 3, n_cols / 3):   # an exact third (true only for multiples of 3)
        return downsample_median(scl_20m, 3)   # block median = 3x3 median filter sampled at block centres
    med = ndimage.median_filter(scl_20m, size=3, mode="nearest")
    return med[np.ix_(_nearest_centres(n_rows, out_shape[0]), _nearest_centres(n_cols, out_shape[1]))]


def block_mean_uint8(values: np.ndarray, factor: int = 3) -> np.ndarray:
    """Down-sample a uint8 map by ``factor`` with a block mean, ``+ 0.5`` and truncation.

    Edges that do not fill a block are averaged over the pixels present.
    """
    n_rows, n_cols = values.shape
    out_rows, out_cols = -(-n_rows // factor), -(-n_cols // factor)
    sums = np.zeros((out_rows, out_cols), np.float64)
    counts = np.zeros((out_rows, out_cols), np.float64)
    for r in range(factor):
        for c in range(factor):
            sub = values[r::factor, c::factor].astype(np.float64)
            sums[:sub.shape[0], :sub.shape[1]] += sub
            counts[:sub.shape[0], :sub.shape[1]] += 1
    return np.floor(sums / counts + 0.5).astype(np.uint8)


def output_maps(scl: np.ndarray, cldprb: np.ndarray, snwprb: np.ndarray,
                resolution_m: int = 20) -> dict[tuple[str, int], np.ndarray]:
    """Every scene-classification raster of the product from the maps at the SC resolution.

    From 20 m: ``("SCL", 20|60|10)``, ``("CLDPRB", 20|60)``, ``("SNWPRB", 20|60)`` (the 10 m SCL is what the
    10 m atmospheric correction uses; Sen2Cor writes SCL at 20 and 60 m only). From 60 m (``--resolution 60``):
    the three maps at 60 m.
    """
    out = {("SCL", resolution_m): scl, ("CLDPRB", resolution_m): cldprb, ("SNWPRB", resolution_m): snwprb}
    if resolution_m == 20:
        out[("SCL", 60)] = scl_to_60m(scl)
        out[("CLDPRB", 60)] = block_mean_uint8(cldprb, 3)
        out[("SNWPRB", 60)] = block_mean_uint8(snwprb, 3)
        out[("SCL", 10)] = upsample_nearest(scl, 2)
    return out
