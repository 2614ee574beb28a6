"""Resampling between the 10, 20 and 60 m grids (Sen2Cor SRN 2.2 / L2A_Tables.resampleBand).

All grids share the outer corner of the upper-left pixel: 60 m pixel (i, j) covers exactly
the 10 m pixels 6i..6i+5 and 6j..6j+5, so down-sampling is a block operation and nearest
up-sampling a repetition; interpolating up-sampling (skimage ``resize``) samples at pixel
centres (x_fine = (j + 0.5) / k - 0.5 in coarse pixels), never with a half-pixel shift.

* down: block mean (2x2, 3x3, 6x6), integers rounded ``+0.5`` (algorithm facts A.1);
* up: order 0 nearest (SCL/AOT/WVP/VIS), order 1 bilinear (B09, B10), order 3 bicubic (B01);
* SCL 20 -> 60 m: 3x3 median, then nearest (A.7) = the median of each 3x3 block.
"""
from __future__ import annotations

import logging

import numpy as np
from skimage.transform import resize

log = logging.getLogger(__name__)

#: skimage/Sen2Cor interpolation order used when a band is up-sampled (algorithm facts A.1).
UPSAMPLING_ORDER: dict[str, int] = {"B01": 3, "B09": 1, "B10": 1, "SCL": 0, "AOT": 0, "WVP": 0,
                                    "VIS": 0, "CLD": 0, "SNW": 0}
BLOCK_ROWS_OUT = 256


def scale_factor(src_resolution_m: int, dst_resolution_m: int) -> tuple[int, bool]:
    """(integer factor, True if down-sampling) between two of the 10/20/60 m grids."""
    big, small = max(src_resolution_m, dst_resolution_m), min(src_resolution_m, dst_resolution_m)
    if big % small:
        raise ValueError(f"resolutions {src_resolution_m} m and {dst_resolution_m} m are not "
                         "integer multiples of each other")
    return big // small, dst_resolution_m > src_resolution_m


def _check_divisible(image: np.ndarray, factor: int) -> None:
    if image.shape[0] % factor or image.shape[1] % factor:
        raise ValueError(f"array of shape {image.shape} cannot be split into {factor}x{factor} "
                         "blocks: the grids would not stay aligned")


def downsample_mean(image: np.ndarray, factor: int) -> np.ndarray:
    """Mean of each ``factor`` x ``factor`` block.

    Integer input: ``trunc(mean + 0.5)`` computed exactly with integer sums, same dtype.
    Float input: float32 mean (NaN propagates). Works in row blocks (bounded memory).
    """
    _check_divisible(image, factor)
    rows, cols = image.shape[0] // factor, image.shape[1] // factor
    integer = np.issubdtype(image.dtype, np.integer)
    out = np.empty((rows, cols), dtype=image.dtype if integer else np.float32)
    n = factor * factor
    for start in range(0, rows, BLOCK_ROWS_OUT):
        stop = min(start + BLOCK_ROWS_OUT, rows)
        block = image[start * factor:stop * factor].reshape(stop - start, factor, cols, factor)
        if integer:
            sums = block.sum(axis=(1, 3), dtype=np.int64)
            out[start:stop] = (2 * sums + n) // (2 * n)
        else:
            out[start:stop] = block.astype(np.float32).mean(axis=(1, 3), dtype=np.float32)
    return out


def downsample_median(image: np.ndarray, factor: int) -> np.ndarray:
    """Median of each block; for factor 3 this equals Sen2Cor's SCL 60 m rule (3x3 median
    filter then nearest resize, which picks each block's centre pixel). Ties of an even
    block size take the lower middle value, keeping class codes (no averaging)."""
    _check_divisible(image, factor)
    rows, cols = image.shape[0] // factor, image.shape[1] // factor
    out = np.empty((rows, cols), dtype=image.dtype)
    n = factor * factor
    for start in range(0, rows, BLOCK_ROWS_OUT):
        stop = min(start + BLOCK_ROWS_OUT, rows)
        block = image[start * factor:stop * factor].reshape(stop - start, factor, cols, factor)
        flat = block.transpose(0, 2, 1, 3).reshape(stop - start, cols, n)
        out[start:stop] = np.partition(flat, (n - 1) // 2, axis=2)[:, :, (n - 1) // 2]
    return out


def upsample_nearest(image: np.ndarray, factor: int) -> np.ndarray:
    """Repeat each pixel ``factor`` x ``factor`` times (= skimage resize order 0)."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def upsample_interpolated(image: np.ndarray, factor: int, order: int) -> np.ndarray:
    """skimage ``resize`` (order 1 bilinear, 3 bicubic; edge mode 'reflect'), pixel-centre
    aligned. Computed in float32; integer input is rounded half up back to its dtype."""
    shape = (image.shape[0] * factor, image.shape[1] * factor)
    result = resize(image.astype(np.float32), shape, order=order, mode="reflect",
                    anti_aliasing=False, preserve_range=True)
    if np.issubdtype(image.dtype, np.integer):
        info = np.iinfo(image.dtype)
        return np.clip(np.floor(result + 0.5), info.min, info.max).astype(image.dtype)
    return result.astype(np.float32, copy=False)


def resample(image: np.ndarray, src_resolution_m: int, dst_resolution_m: int, *,
             order: int = 0, method: str = "mean") -> np.ndarray:
    """Move ``image`` from one tile grid to another.

    Parameters
    ----------
    order : interpolation order when up-sampling (0 nearest, 1 bilinear, 3 bicubic).
    method : 'mean' or 'median' when down-sampling ('median' for class maps).
    """
    factor, down = scale_factor(src_resolution_m, dst_resolution_m)
    if factor == 1:
        return image
    if down:
        if method == "median":
            return downsample_median(image, factor)
        if method != "mean":
            raise ValueError(f"down-sampling method {method!r}; expected 'mean' or 'median'")
        return downsample_mean(image, factor)
    if order == 0:
        return upsample_nearest(image, factor)
    return upsample_interpolated(image, factor, order)


def resample_band(band: str, image: np.ndarray, src_resolution_m: int, dst_resolution_m: int
                  ) -> np.ndarray:
    """Resample with Sen2Cor's per-band choice (UPSAMPLING_ORDER; SCL down by block median)."""
    method = "median" if band == "SCL" else "mean"
    return resample(image, src_resolution_m, dst_resolution_m,
                    order=UPSAMPLING_ORDER.get(band, 1), method=method)


def resample_mask(mask: np.ndarray, src_resolution_m: int, dst_resolution_m: int) -> np.ndarray:
    """Boolean mask to another grid: a coarse pixel is set if ANY fine pixel under it is
    (down), a fine pixel copies its coarse pixel (up)."""
    factor, down = scale_factor(src_resolution_m, dst_resolution_m)
    if factor == 1:
        return mask.astype(bool, copy=False)
    if not down:
        return upsample_nearest(mask.astype(bool, copy=False), factor)
    _check_divisible(mask, factor)
    rows, cols = mask.shape[0] // factor, mask.shape[1] // factor
    return mask.reshape(rows, factor, cols, factor).any(axis=(1, 3))
