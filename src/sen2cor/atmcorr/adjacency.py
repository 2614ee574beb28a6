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


def uses_block_grid(radius_px: int, shape: tuple[int, int]) -> bool:
    """True when :func:`box_mean` of an image of ``shape`` takes the block-averaged path."""
    return radius_px >= FAST_BOX_RADIUS_PX and min(shape) >= 2 * radius_px


def box_halo(radius_px: int, shape: tuple[int, int]) -> tuple[int, int]:
    """(halo rows, row alignment) for computing :func:`box_mean` of an image of ``shape`` in row strips.

    A strip starting at a multiple of the alignment, extended by the halo on both sides (clipped at
    the image), gives the same box mean on its own rows as the whole image (up to float32 rounding of
    the running sums).  Direct filter: halo = radius, alignment 1.  Block-averaged path (k = radius // 8):
    the small grid's filter reaches round(radius / k) blocks and the linear expansion one more, so
    halo = (round(radius / k) + 2) k rows, strips aligned on k.
    """
    if not uses_block_grid(radius_px, shape):
        return radius_px, 1
    k = radius_px // 8
    return (int(round(radius_px / k)) + 2) * k, k


def box_mean(image: np.ndarray, radius_px: int, block_grid: bool | None = None) -> np.ndarray:
    """Mean over a (2 radius + 1)^2 box, borders 'nearest' (Sen2Cor's uniform_filter), float32.

    From a radius of 16 px the mean is taken on a grid block-averaged by k = radius // 8 and
    expanded back linearly (the background of a 100-200 px box is smooth; the difference to the
    full filter is a few 1e-4 in reflectance, the cost ~k^2 times lower).  ``block_grid`` forces
    that choice (a strip of an image must follow the whole image's, :func:`uses_block_grid`).
    """
    from sen2cor.atmcorr.visibility import block_mean, expand

    image = np.asarray(image, dtype=np.float32)
    if radius_px <= 0:
        return image
    if block_grid is None:
        block_grid = uses_block_grid(radius_px, image.shape)
    if not block_grid:
        return ndimage.uniform_filter(image, 2 * radius_px + 1, mode="nearest")
    k = radius_px // 8
    size = 2 * int(round(radius_px / k)) + 1
    small = ndimage.uniform_filter(block_mean(image, k), size, mode="nearest")
    return expand(small, k, image.shape)


def background_reflectance(
    rho: np.ndarray,
    radius_px: int,
    replace: np.ndarray | None = None,
    fill_value: float | None = None,
    block_grid: bool | None = None,
) -> np.ndarray:
    """Box-mean background reflectance, >= 0.

    ``replace`` (e.g. clouds, no data) pixels are set to ``fill_value`` (default: mean of the
    other pixels, 0 when there are none) before the mean, so bright clouds do not brighten their
    surroundings.  ``rho`` itself is never modified.
    ``block_grid``: see :func:`box_mean` (pass the whole image's choice for a strip).
    """
    work = np.asarray(rho, dtype=np.float32)
    if replace is not None and replace.any():
        keep = ~replace
        if fill_value is None:
            fill_value = float(work.mean(where=keep, dtype=np.float64)) if keep.any() else 0.0
        work = np.where(replace, np.float32(fill_value), work)
    out = box_mean(work, radius_px, block_grid)
    return np.maximum(out, np.float32(0.0), out=None if out is rho else out)  # radius 0 returns ``rho``


def adjacency_correction(
    rho: np.ndarray, background: np.ndarray, q: np.ndarray | float, border: np.ndarray | None = None
) -> np.ndarray:
    """rho + q (rho - rho_bg) (float32); ``border`` pixels (near no data) get an extra 0.1 q (rho - rho_bg)."""
    out = np.subtract(rho, background, dtype=np.float32)
    out *= np.asarray(q, dtype=np.float32)
    if border is not None:
        out[border] *= np.float32(1.0 + BORDER_EXTRA)
    out += rho
    return out


def border_zone(valid: np.ndarray, radius_px: int, block_grid: bool | None = None) -> np.ndarray:
    """Valid pixels whose smoothed valid mask (0..255) lies strictly between 0 and 250 (facts B.11).

    A valid pixel counts itself, so its smoothed mask is > 0 and only the upper bound needs a test;
    radius 0 leaves the mask at 255 (no border).
    """
    smooth = valid.astype(np.float32)
    smooth *= np.float32(255.0)
    smooth = box_mean(smooth, radius_px, block_grid)
    return valid & (smooth < 250.0)


def strip_apply(image: np.ndarray, halo: int, align: int, strip_rows: int, fn, pool=None) -> None:
    """``image[a:b] = fn(a, b, w0, w1)`` for row strips [a, b), in place.

    ``fn`` may read ``image[w0:w1]``: the strip plus ``halo`` rows on each side (clipped at the
    image).  A strip's result is written back only once no later window reaches its rows, so every
    window sees the original values.  Strips start on multiples of ``align`` (see :func:`box_halo`).
    With a ``pool`` (``concurrent.futures.Executor``) ``pool._max_workers`` strips are computed at
    once; the result is the same.
    """
    rows = image.shape[0]
    align = max(int(align), 1)
    step = max(align, int(strip_rows) // align * align)
    halo = -(-int(halo) // align) * align
    windows = [(a, min(a + step, rows), max(a - halo, 0), min(a + step + halo, rows)) for a in range(0, rows, step)]
    ahead = max(int(getattr(pool, "_max_workers", 1)), 1) if pool is not None else 0
    submitted: list = []
    pending: list = []
    for i, (a, b, w0, w1) in enumerate(windows):
        if pool is None:
            pending.append((a, b, fn(a, b, w0, w1)))
        else:
            while len(submitted) < i + ahead and len(submitted) < len(windows):
                submitted.append(pool.submit(fn, *windows[len(submitted)]))
            pending.append((a, b, submitted[i].result()))
            submitted[i] = None
        # rows below the next window (its start is the lowest of every strip not yet computed) are final
        free_below = windows[i + 1][2] if i + 1 < len(windows) else rows
        while pending and pending[0][1] <= free_below:
            lo, hi, out = pending.pop(0)
            image[lo:hi] = out
