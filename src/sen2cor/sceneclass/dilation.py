"""Morphology used by the classifier: cross/diamond, square and disk dilation, 3x3 median, isolated pixels.

Square (Chebyshev) dilations use separable maximum filters, so their cost does not grow with the radius;
this keeps the evolution's cloud dilation cheap on a full 5490 x 5490 tile.
"""
from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

log = logging.getLogger(__name__)

#: 4-connected cross (the structuring element of Sen2Cor's snow and cloud-mask dilations).
CROSS = ndimage.generate_binary_structure(2, 1)


def dilate_cross(mask: np.ndarray, iterations: int) -> np.ndarray:
    """Binary dilation by a 3x3 cross repeated ``iterations`` times (a diamond of that radius, px)."""
    if iterations <= 0:
        return mask.copy()
    return ndimage.binary_dilation(mask, structure=CROSS, iterations=iterations)


def dilate_square(mask: np.ndarray, radius_px: int) -> np.ndarray:
    """Binary dilation by a (2r+1) x (2r+1) square: every pixel within Chebyshev distance ``radius_px``."""
    if radius_px <= 0:
        return mask.copy()
    size = 2 * radius_px + 1
    return ndimage.maximum_filter(mask.view(np.uint8), size=size, mode="constant", cval=0).view(bool)


def dilate_disk(mask: np.ndarray, radius_px: int) -> np.ndarray:
    """Binary dilation by a disk: every pixel within Euclidean distance ``radius_px`` (``dx^2 + dy^2 <= r^2``).

    The disk is the union of the rectangles ``|dx| <= floor(sqrt(r^2 - b^2)), |dy| <= b`` for ``b = 0..r``,
    each a pair of 1-D maximum filters, so the cost grows with ``r`` but not with ``r^2``.
    """
    if radius_px <= 0:
        return mask.copy()
    src = mask.view(np.uint8)
    out = np.zeros(mask.shape, bool)
    half_width_prev = None
    for b in range(radius_px, -1, -1):                # growing half-widths, decreasing half-heights
        a = int(np.floor(np.sqrt(radius_px ** 2 - b ** 2)))
        if a == half_width_prev:
            continue                                  # contained in the previous (taller) rectangle
        half_width_prev = a
        rect = ndimage.maximum_filter1d(src, 2 * b + 1, axis=0, mode="constant", cval=0)
        ndimage.maximum_filter1d(rect, 2 * a + 1, axis=1, output=rect, mode="constant", cval=0)
        out |= rect.view(bool)
    return out


def median3x3(image: np.ndarray) -> np.ndarray:
    """3x3 median with the outermost rows/columns left untouched (IDL/medfilt-style borders, facts D)."""
    out = ndimage.median_filter(image, size=3, mode="nearest")
    if image.shape[0] > 0 and image.shape[1] > 0:
        out[0, :], out[-1, :] = image[0, :], image[-1, :]
        out[:, 0], out[:, -1] = image[:, 0], image[:, -1]
    return out


def isolated_pixels(mask: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` with no 8-connected neighbour in ``mask`` (blobs of size one)."""
    neighbours = ndimage.convolve(mask.view(np.uint8), np.ones((3, 3), np.uint8), mode="constant", cval=0)
    return mask & (neighbours == 1)


def radius_px(distance_m: float, resolution_m: float) -> int:
    """Dilation radius in pixels for a distance in metres (rounded half up, >= 0)."""
    return max(0, int(np.floor(distance_m / resolution_m + 0.5)))
