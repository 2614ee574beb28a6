"""Adjacency correction over Adj_Km (algorithm facts B.11).

The background reflectance is the box mean of the step-1 reflectance over
(2 n + 1)^2 pixels, n = round(Adj_Km * 1000 / pixel) made odd (20 m: 51 -> 103 px box), with
cloud pixels replaced by the mean of the clear pixels and clipped at 0.  The correction
``rho + q (rho - rho_bg)`` sharpens the pixel against its surroundings; a uniform field is left
unchanged.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

log = logging.getLogger(__name__)

#: Bands Sen2Cor corrects for adjacency: lambda <= 2.46 um outside these absorption windows (um).
NO_ADJACENCY_WINDOWS_UM = ((1.35, 1.45), (1.80, 1.95))
MAX_ADJACENCY_WAVELENGTH_UM = 2.46
#: Extra fraction of q added near no-data borders.
BORDER_EXTRA = 0.1


def adjacency_radius_px(adj_km: float, pixel_m: float) -> int:
    """n_adj = round(Adj_Km * 1000 / pixel), made odd (0 when Adj_Km = 0)."""
    n = int(round(adj_km * 1000.0 / pixel_m))
    if n <= 0:
        return 0
    return n if n % 2 else n + 1


def band_has_adjacency(wavelength_um: float) -> bool:
    """True for bands Sen2Cor corrects for adjacency (not B10, lambda <= 2.46 um)."""
    if wavelength_um > MAX_ADJACENCY_WAVELENGTH_UM:
        return False
    return not any(lo <= wavelength_um <= hi for lo, hi in NO_ADJACENCY_WINDOWS_UM)


#: Radius (px) from which the box mean is computed on a block-averaged grid.
FAST_BOX_RADIUS_PX = 16


def box_mean(image: np.ndarray, radius_px: int) -> np.ndarray:
    """Mean over a (2 radius + 1)^2 box, borders 'nearest' (Sen2Cor's uniform_filter), float32.

    From a radius of 16 px the mean is taken on a grid block-averaged by k = radius // 8 and
    expanded back linearly (the background of a 100-200 px box is smooth; the difference to the
    full filter is a few 1e-4 in reflectance, the cost ~k^2 times lower).
    """
    from sen2cor.atmcorr.visibility import block_mean, expand

    image = np.asarray(image, dtype=np.float32)
    if radius_px <= 0:
        return image
    if radius_px < FAST_BOX_RADIUS_PX or min(image.shape) < 8 * radius_px // 4:
        return ndimage.uniform_filter(image, 2 * radius_px + 1, mode="nearest")
    k = radius_px // 8
    size = 2 * int(round(radius_px / k)) + 1
    small = ndimage.uniform_filter(block_mean(image, k), size, mode="nearest")
    return expand(small, k, image.shape)


def background_reflectance(
    rho: np.ndarray, radius_px: int, replace: np.ndarray | None = None, fill_value: float | None = None
) -> np.ndarray:
    """Box-mean background reflectance, >= 0.

    ``replace`` (e.g. clouds, no data) pixels are set to ``fill_value`` (default: mean of the
    other pixels) before the mean, so bright clouds do not brighten their surroundings.
    """
    work = np.asarray(rho, dtype=np.float32)
    if replace is not None and replace.any():
        keep = ~replace
        if fill_value is None:
            fill_value = float(work.mean(where=keep, dtype=np.float64)) if keep.any() else 0.0
        work = np.where(replace, np.float32(fill_value), work)
    out = box_mean(work, radius_px)
    return np.maximum(out, np.float32(0.0), out=out if out is not work and out is not rho else None)


def adjacency_correction(
    rho: np.ndarray, background: np.ndarray, q: np.ndarray | float, border: np.ndarray | None = None
) -> np.ndarray:
    """rho + q (rho - rho_bg); ``border`` pixels (near no data) get an extra 0.1 q (rho - rho_bg)."""
    out = np.subtract(rho, background, dtype=np.float32)
    out *= np.asarray(q, dtype=np.float32)
    if border is not None:
        out[border] *= np.float32(1.0 + BORDER_EXTRA)
    out += rho
    return out


def border_zone(valid: np.ndarray, radius_px: int) -> np.ndarray:
    """Pixels whose smoothed valid mask (0..255) lies strictly between 0 and 250 (facts B.11)."""
    if radius_px <= 0:
        return np.zeros(valid.shape, dtype=bool)
    smooth = box_mean(valid.astype(np.float32) * 255.0, radius_px)
    return valid & (smooth > 0) & (smooth < 250.0)
