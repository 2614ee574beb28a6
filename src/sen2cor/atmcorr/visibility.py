"""Sen2Cor's extended visibility grid (183 indices) and the visibility-index / AOT550 maps.

Algorithm facts B.2, B.3, B.7 (steps 10-11).  Index ``i`` (0 = clearest) stands for the total
optical depth ``0.182 + step i``, step = (1.3116 - 0.182) / 182 = 0.0062 (the facts quote the
step as 0.006 and the end points 0.182 ≙ 187.81 km and 1.3116 ≙ 5.0 km; only the exact step
reproduces both end points); the eight LUT visibilities sit at the depths
``LUT_DEPTHS``.  Those depths equal the sea-level AOT550 of Sen2Cor's visibility relation
(``grid.visibility_to_aot550``) plus a constant 0.1283 (Rayleigh and gas part), so the grid is
``visext[i] = V(AOT550 = 0.182 + 0.006 i - 0.1283)``: 187.8 km at i = 0, 5.0 km at i = 182.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from sen2cor.rtm import grid

log = logging.getLogger(__name__)

N_VIS_INDEX = 183
DEPTH_START = 0.182
DEPTH_END = 1.3116
DEPTH_STEP = (DEPTH_END - DEPTH_START) / 182
#: Total optical depth of the LUT visibilities 5, 7, 10, 15, 23, 40, 80, 120 km (facts B.2).
LUT_DEPTHS = np.array([1.3159, 1.0193, 0.7853, 0.5930, 0.4509, 0.3294, 0.2396, 0.2070])
#: depth - AOT550(V, 0 km): the same for all eight nodes within 2e-4.
DEPTH_OFFSET = float(np.mean(LUT_DEPTHS - grid.visibility_to_aot550(grid.VISIBILITY_KM, 0.0)))
#: Largest visibility Sen2Cor reports as a scene visibility (km).
MAX_SCENE_VISIBILITY_KM = 120.0


def index_depth(index: np.ndarray | float) -> np.ndarray:
    """Total optical depth of visibility index ``index`` (may be fractional)."""
    return DEPTH_START + DEPTH_STEP * np.asarray(index, dtype=np.float64)


def index_to_visibility(index: np.ndarray | float) -> np.ndarray:
    """Visibility (km) of a visibility index (0 = 187.8 km ... 182 = 5.0 km)."""
    aot = np.maximum(index_depth(index) - DEPTH_OFFSET, 1e-4)
    return grid.aot550_to_visibility(aot)  # at sea level


#: The 183 visibilities of the extended grid (km), Sen2Cor's ``visext``.
VISEXT_KM = index_to_visibility(np.arange(N_VIS_INDEX))


def visibility_to_index(visibility_km: np.ndarray | float) -> np.ndarray:
    """Nearest visibility index (int, clipped to 0..182) of a visibility in km."""
    depth = grid.visibility_to_aot550(np.asarray(visibility_km, dtype=np.float64)) + DEPTH_OFFSET  # sea level
    index = np.rint((depth - DEPTH_START) / DEPTH_STEP)
    return np.clip(index, 0, N_VIS_INDEX - 1).astype(np.int32)


def depth_to_index(depth: np.ndarray) -> np.ndarray:
    """Fractional visibility index of a total optical depth (not clipped)."""
    return (np.asarray(depth, dtype=np.float64) - DEPTH_START) / DEPTH_STEP


def scene_visibility_km(mean_index: float) -> float:
    """Scene visibility from the mean index, capped at 120 km (``visibility_from_ddv``)."""
    index = int(np.clip(np.rint(mean_index), 0, N_VIS_INDEX - 1))
    return float(min(VISEXT_KM[index], MAX_SCENE_VISIBILITY_KM))


def odd(n: float) -> int:
    """``n`` rounded down to an integer and made odd (Sen2Cor's filter sizes)."""
    n = int(n)
    return n if n % 2 else n + 1


def block_mean(image: np.ndarray, k: int) -> np.ndarray:
    """Mean over k x k blocks (edge-padded to a multiple of k), float32."""
    rows, cols = image.shape
    padded = np.asarray(image, dtype=np.float32)
    if rows % k or cols % k:
        padded = np.pad(padded, ((0, (-rows) % k), (0, (-cols) % k)), mode="edge")
    return padded.reshape(padded.shape[0] // k, k, padded.shape[1] // k, k).mean(axis=(1, 3))


def expand(small: np.ndarray, k: int, shape: tuple[int, int]) -> np.ndarray:
    """Separable linear interpolation of a k-times block-averaged grid back to ``shape`` (float32).

    Block centres sit at (i + 0.5) k - 0.5; outside the first / last centre the edge value is kept.
    """
    small = np.asarray(small, dtype=np.float32)
    m_rows, m_cols = small.shape
    x = np.clip((np.arange(shape[1]) + 0.5) / k - 0.5, 0, m_cols - 1)
    c0 = np.floor(x).astype(np.intp)
    c1 = np.minimum(c0 + 1, m_cols - 1)
    wc = (x - c0).astype(np.float32)

    def row(i):  # one block row interpolated along the columns (no (m_rows, cols) intermediate)
        return small[i, c0] * (1 - wc) + small[i, c1] * wc

    y = np.clip((np.arange(shape[0]) + 0.5) / k - 0.5, 0, m_rows - 1)
    r0 = np.floor(y).astype(np.intp)
    out = np.empty(shape, dtype=np.float32)
    nxt = row(0)
    for i in range(m_rows):  # output rows between block centres i and i + 1
        cur, nxt = nxt, (row(i + 1) if i + 1 < m_rows else nxt)
        lo, hi = np.searchsorted(r0, i), np.searchsorted(r0, i + 1)  # r0 ascends: the rows of block i
        if hi <= lo:
            continue
        w = (y[lo:hi] - i).astype(np.float32)[:, None]
        np.subtract(nxt, cur, out=out[lo])
        out[lo:hi] = cur + w * out[lo]
    return out


def decimation(sigma_px: float, shape: tuple[int, ...]) -> int:
    """Block size k of :func:`gaussian_smooth`: sigma // 4 for sigma > 8 px on images of >= 64 px, else 1."""
    return 1 if sigma_px <= 8 or min(shape) < 64 else int(sigma_px // 4)


def gaussian_smooth(image: np.ndarray, sigma_px: float) -> np.ndarray:
    """``scipy.ndimage.gaussian_filter`` with sigma ``sigma_px`` (Sen2Cor passes the filter size as sigma).

    For sigma > 8 px the image is block-averaged by ``k = sigma // 4`` first, filtered with
    sigma / k and expanded back by linear interpolation: the result differs from the full-resolution
    filter by far less than the map's quantisation (the maps are smooth by construction) and is
    ~k^2 times cheaper on a full tile.
    """
    image = np.asarray(image, dtype=np.float32)
    k = decimation(sigma_px, image.shape)
    if k == 1:
        return ndimage.gaussian_filter(image, sigma_px)
    return expand(ndimage.gaussian_filter(block_mean(image, k), sigma_px / k), k, image.shape)


def visibility_index_map(
    ddv_index: np.ndarray,
    ddv_mask: np.ndarray,
    valid: np.ndarray,
    mean_index: float,
    pixel_m: float,
    smoothing_window_km: float = 1.0,
) -> np.ndarray:
    """Smoothed visibility-index map (facts B.7 step 10), uint8 0..182, 0 outside ``valid``.

    Non-DDV and no-data pixels take ``mean_index``; the map is Gaussian-filtered with
    sigma = odd(max(AC_Ddv_Smooting_Window * 1000 / pixel, 3)) pixels and rounded.
    """
    index = np.where(ddv_mask, ddv_index, mean_index)  # float32 in gaussian_smooth
    sigma = odd(max(smoothing_window_km * 1000.0 / pixel_m, 3))
    smooth = gaussian_smooth(index, sigma) if smoothing_window_km > 0 else index
    out = np.clip(np.rint(smooth), 0, N_VIS_INDEX - 1).astype(np.uint8)
    out[~valid] = 0
    return out


#: Rows per strip when the AOT map is gathered (memory, not results).
STRIP_ROWS = 1024


def aot550_map(
    vis_index: np.ndarray, elevation_km: np.ndarray | float, valid: np.ndarray, pixel_m: float
) -> np.ndarray:
    """AOT550 per pixel (facts B.7 step 11): Gauss(exp(a(z) + b(z) ln V)), 0 outside ``valid``.

    sigma = odd(max(int(100 / pixel), 3)) limited to 21 (5 px at 20 m, 3 px at 60 m).  Before the
    smoothing the pixels outside ``valid`` take the (truncated) mean index of the valid ones, as in
    Sen2Cor, so that no-data borders do not pull the AOT towards the clearest visibility.  The AOT of
    each (20 m elevation class, visibility index) pair is tabulated once and gathered per pixel.
    """
    index = np.asarray(vis_index)  # uint8 fancy index: no 8 B/px intp copy
    if valid.any() and not valid.all():
        fill = np.uint8(int(index[valid].mean()))
        index = np.where(valid, index, fill).astype(np.uint8)
    if np.ndim(elevation_km) == 0:
        z0 = float(np.clip(elevation_km, 0.0, 3.5))
        table = grid.visibility_to_aot550(VISEXT_KM, z0).astype(np.float32)

        def gather(rows):
            return table[index[rows]]

    else:
        table = grid.visibility_to_aot550(VISEXT_KM[None, :], 0.02 * np.arange(176)[:, None]).astype(
            np.float32
        )

        def gather(rows):
            z_km = np.asarray(elevation_km[rows], dtype=np.float32)
            return table[np.clip(np.rint(z_km / np.float32(0.02)), 0, 175).astype(np.int16), index[rows]]

    sigma = min(odd(max(int(100.0 / pixel_m), 3)), 21)
    k = decimation(sigma, index.shape)
    if k == 1:
        aot = ndimage.gaussian_filter(gather(slice(None)), sigma)
    else:  # gaussian_smooth's block means, of the AOT strip by strip (k-aligned): no full-resolution map
        step = max(STRIP_ROWS // k, 1) * k
        small = np.concatenate(
            [block_mean(gather(slice(a, a + step)), k) for a in range(0, index.shape[0], step)]
        )
        aot = expand(ndimage.gaussian_filter(small, sigma / k), k, index.shape)
    aot[~valid] = 0.0
    return aot
