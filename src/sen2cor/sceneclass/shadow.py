"""Cloud-shadow detection: spectral darkness combined with the projection of clouds (facts A.4).

The shadow score is ``spectral * geometric``; SCL becomes CLOUD_SHADOWS where it exceeds
:data:`SHADOW_SCORE_MIN`.

Geometry. A cloud at height ``h`` casts its shadow ``h / tan(solar elevation)`` away from the sun. Image
rows grow southwards and columns eastwards, so with the solar azimuth ``phi`` (clockwise from north) the
shadow of a cloud pixel lies at ``(d cos(phi), -d sin(phi))`` (rows, columns) for a horizontal distance ``d``.
Cloud heights are weighted by Sen2Cor's height prior (201 samples on a 30 m height grid).
"""
from __future__ import annotations

import dataclasses
import logging
import math

import numpy as np
from scipy import ndimage, signal

from sen2cor.sceneclass.dilation import dilate_cross, median3x3
from sen2cor.sceneclass.ramps import ramp, ratio
from sen2cor.sceneclass.thresholds import SCL, CloudThresholds, in_classes

log = logging.getLogger(__name__)

#: Bands and reference "shadow spectrum" (TOA reflectance) of the spectral test (hard-coded in Sen2Cor).
SHADOW_BANDS = ("B02", "B03", "B04", "B8A", "B11", "B12")
SHADOW_REFERENCE = (0.12, 0.08, 0.06, 0.10, 0.0545, 0.0255)
#: Water (B02/B11 above this) is never cloud shadow in the spectral test.
SHADOW_WATER_B02_B11 = 6.0
#: Pixels whose smoothed cloud probability exceeds this cast shadows.
SHADOW_CASTING_PROBABILITY = 0.33
#: Height step of the cloud-height prior, metres.
HEIGHT_STEP_M = 30.0
#: Gaussian smoothing of the geometric shadow probability, pixels (used as sigma, facts D).
SHADOW_GAUSSIAN_SIGMA_PX = 3.0
#: CLOUD_SHADOWS where spectral * geometric exceeds this.
SHADOW_SCORE_MIN = 0.05
#: Rows per FFT strip of the projection (bounds memory on full tiles).
PROJECTION_STRIP_ROWS = 512


def spectral_distance(bands: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel comparison with the reference shadow spectrum.

    Returns ``(dark_fraction, mean_abs_deviation)``: the fraction of the six bands below their reference
    and the mean absolute difference to it (float32, TOA reflectance).
    """
    shape = bands[SHADOW_BANDS[0]].shape
    below = np.zeros(shape, np.uint8)
    total = np.zeros(shape, np.float32)
    for band, ref in zip(SHADOW_BANDS, SHADOW_REFERENCE):
        d = bands[band].astype(np.float32, copy=False) - np.float32(ref)
        below += d < 0
        total += np.abs(d)
    return below / np.float32(len(SHADOW_BANDS)), total / np.float32(len(SHADOW_BANDS))


def shadow_water(b02: np.ndarray, b11: np.ndarray) -> np.ndarray:
    """Water for the spectral shadow test: ``B02/B11 > 6``."""
    return ratio(b02, b11) > SHADOW_WATER_B02_B11


def spectral_shadow_score(dark_fraction: np.ndarray, mean_abs_deviation: np.ndarray, water: np.ndarray,
                          cirrus: np.ndarray, th: CloudThresholds) -> np.ndarray:
    """Spectral part ``csd1`` in [0, 1] (facts A.4).

    ``m = 1 - median3x3(mean |d|)``; 0 where ``m < 1 - T_B02_B12``; 1 where the 3x3 median of the dark
    fraction is 1 (spectrum entirely below the reference); 0 on ``water`` (:func:`shadow_water`) and on
    ``cirrus`` (THIN_CIRRUS pixels).
    """
    m = 1 - median3x3(mean_abs_deviation.astype(np.float32, copy=False))
    m[m < 1 - th.t_b02_b12] = 0
    m[median3x3(dark_fraction) >= 1] = 1
    m[water] = 0
    m[cirrus] = 0
    return m


def relative_darkness(b8a: np.ndarray, local_mean: np.ndarray, ratio_range: tuple[float, float]) -> np.ndarray:
    """Evolution: darkness of B8A relative to the clear-sky mean of its surroundings, in [0, 1].

    ``1 - ramp(B8A / local_mean; lo, hi)``: 1 at or below ``lo`` times the local mean (a shadow receives
    only diffuse light, a small share in the NIR), 0 at or above ``hi``; 0 where the local mean is unknown (0).
    """
    rel = 1 - ramp(ratio(b8a, local_mean), *ratio_range)
    rel[local_mean <= 0] = 0
    return rel


def coarse_local_mean(sums: np.ndarray, weights: np.ndarray, window_px: int | tuple[int, ...],
                      min_weight: float = 1e-6, fallback_global: bool = False) -> np.ndarray:
    """Weighted moving mean on a coarse grid: ``uniform(sums) / uniform(weights)``.

    With several windows (increasing), each cell takes the mean of the smallest window whose mean
    weight per cell is at least ``min_weight``; cells no window satisfies get the mean over the whole
    grid with ``fallback_global`` (if any weight), else 0.
    """
    windows = (window_px,) if isinstance(window_px, int) else tuple(window_px)
    sums = sums.astype(np.float32, copy=False)
    weights = weights.astype(np.float32, copy=False)
    out = np.zeros(sums.shape, np.float32)
    done = np.zeros(sums.shape, bool)
    for win in windows:
        num = ndimage.uniform_filter(sums, win, mode="nearest")
        den = ndimage.uniform_filter(weights, win, mode="nearest")
        sel = (den >= max(min_weight, 1e-6)) & ~done
        out[sel] = num[sel] / den[sel]
        done |= sel
    total = float(weights.sum(dtype=np.float64))
    if fallback_global and total > 0:
        out[~done] = np.float32(sums.sum(dtype=np.float64) / total)
    return out


#: Classes left out of the clear-sky B8A reference of the relative-darkness test (evolution).
NOT_CLEAR = (SCL.NO_DATA, SCL.WATER, SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS, SCL.THIN_CIRRUS, SCL.SNOW_ICE)


@dataclasses.dataclass(frozen=True)
class DarknessReference:
    """Evolution: sunlit clear-sky B8A reference of the relative-darkness shadow test.

    Attributes
    ----------
    window_m : float
        First (smallest) averaging window, metres (0 = no relative-darkness test).
    ratio : tuple of float
        Ramp of B8A / reference: fully shadow-like at or below the first value, not above the second.
    sunlit_only : bool
        Leave out of the reference the pixels where a projected cloud can fall (geometric score above
        :data:`SHADOW_SCORE_MIN`): they may be shadowed themselves.
    fallback_scales : int
        Number of 3x larger windows tried where the first one holds too few reference pixels; then the
        mean over the image.
    min_clear_fraction : float
        Share of a window's pixels that must be reference pixels for its mean to be used.
    """

    window_m: float = 0.0
    ratio: tuple[float, float] = (0.4, 0.65)
    sunlit_only: bool = True
    fallback_scales: int = 2
    min_clear_fraction: float = 0.1


def _block_sum(a: np.ndarray, factor: int) -> np.ndarray:
    """Sum of each ``factor`` x ``factor`` block (edges padded with zeros), float32."""
    pad_r, pad_c = -a.shape[0] % factor, -a.shape[1] % factor
    if pad_r or pad_c:
        a = np.pad(a, ((0, pad_r), (0, pad_c)))
    return a.reshape(a.shape[0] // factor, factor, a.shape[1] // factor, factor).sum(axis=(1, 3), dtype=np.float32)


def clear_b8a_reference(bands, cm: np.ndarray, resolution_m: float, ref: DarknessReference,
                        geometric: np.ndarray | None = None, strip_rows: int = PROJECTION_STRIP_ROWS
                        ) -> tuple[np.ndarray, int]:
    """Clear-sky B8A mean on a ~60 m grid; returns ``(coarse mean, block factor)``.

    ``bands.get("B8A", rows)`` gives B8A reflectance for a row slice. Clear = class not in
    :data:`NOT_CLEAR`; with ``geometric`` also ``geometric <= SHADOW_SCORE_MIN`` (sunlit). The mean is over
    ``ref.window_m``, then 3x larger windows where too few pixels are clear (:func:`coarse_local_mean`).
    """
    factor = max(1, int(round(60.0 / resolution_m)))
    n_rows, n_cols = bands.shape
    c_rows, c_cols = -(-n_rows // factor), -(-n_cols // factor)
    sums = np.zeros((c_rows, c_cols), np.float32)
    weights = np.zeros((c_rows, c_cols), np.float32)
    step = factor * max(1, strip_rows // factor)
    for r in range(0, n_rows, step):
        rows = slice(r, min(r + step, n_rows))
        w = ~in_classes(cm[rows], NOT_CLEAR)
        if geometric is not None:
            w &= geometric[rows] <= np.float32(SHADOW_SCORE_MIN)
        v = np.where(w, bands.get("B8A", rows), np.float32(0))
        c0 = r // factor
        block_sums = _block_sum(v, factor)
        sums[c0:c0 + block_sums.shape[0]] = block_sums
        weights[c0:c0 + block_sums.shape[0]] = _block_sum(w.astype(np.float32), factor)
    window = max(1, int(round(ref.window_m / (resolution_m * factor))))
    windows = tuple(window * 3 ** k for k in range(ref.fallback_scales + 1))
    return coarse_local_mean(sums, weights, windows, min_weight=ref.min_clear_fraction * factor ** 2,
                             fallback_global=ref.fallback_scales > 0), factor


def cloud_height_prior() -> np.ndarray:
    """Sen2Cor's cloud-height weights, 201 samples; sample ``j`` is a cloud height of ``30 j`` metres."""
    rising = 1 / (1 + (np.arange(51) / 30.0) ** 10)
    falling = 1 / (1 + (np.arange(150) / 90.0) ** 10)
    return np.concatenate([rising[::-1], falling]).astype(np.float32)


def shadow_kernel(sun_zenith_deg: float, sun_azimuth_deg: float,
                  resolution_m: float) -> tuple[np.ndarray, tuple[int, int]]:
    """Projection kernel of one cloud pixel: shadow weight at each (row, col) offset.

    Returns ``(kernel, (row0, col0))`` where ``kernel[i, j]`` is the weight at offset
    ``(row0 + i, col0 + j)`` from the cloud pixel. Offsets are sampled every half pixel along the
    anti-solar direction; where several samples fall in one cell the largest weight is kept.
    """
    prior = cloud_height_prior()
    tan_elev = math.tan(math.radians(90.0 - sun_zenith_deg))
    if tan_elev <= 0:
        raise ValueError(f"sun_zenith_deg={sun_zenith_deg} must be below 90 for a shadow projection")
    max_dist_px = (len(prior) - 1) * HEIGHT_STEP_M / (tan_elev * resolution_m)
    dist = np.arange(0.0, max_dist_px + 0.5, 0.5)
    heights = dist * resolution_m * tan_elev / HEIGHT_STEP_M       # in prior samples
    weights = np.interp(heights, np.arange(len(prior)), prior).astype(np.float32)
    az = math.radians(sun_azimuth_deg)
    rows = np.rint(dist * math.cos(az)).astype(np.int64)
    cols = np.rint(-dist * math.sin(az)).astype(np.int64)
    row0, col0 = int(rows.min()), int(cols.min())
    kernel = np.zeros((rows.max() - row0 + 1, cols.max() - col0 + 1), np.float32)
    np.maximum.at(kernel, (rows - row0, cols - col0), weights)
    return kernel, (row0, col0)


def project(mask: np.ndarray, kernel: np.ndarray, origin: tuple[int, int],
            strip_rows: int = PROJECTION_STRIP_ROWS) -> np.ndarray:
    """Sum of ``kernel`` placed at every ``mask`` pixel (offsets from ``origin``), cropped to the image.

    FFT overlap-add over row strips, float32 throughout; only the image-sized result is kept.
    """
    n_rows, n_cols = mask.shape
    kh, kw = kernel.shape
    row0, col0 = origin
    out = np.zeros((n_rows, n_cols), np.float32)
    # a full-convolution index (i, j) of a strip starting at row r is the target (r + i + row0, j + col0)
    c_lo, c_hi = max(-col0, 0), min(n_cols + kw - 1, n_cols - col0)
    if c_hi <= c_lo:
        return out
    for r in range(0, n_rows, strip_rows):
        strip = mask[r:r + strip_rows]
        if not strip.any():
            continue
        conv = signal.fftconvolve(strip.astype(np.float32), kernel, mode="full")
        t_lo, t_hi = max(r + row0, 0), min(r + row0 + conv.shape[0], n_rows)
        if t_hi > t_lo:
            out[t_lo:t_hi, c_lo + col0:c_hi + col0] += conv[t_lo - r - row0:t_hi - r - row0, c_lo:c_hi]
    return out


def shadow_casting_clouds(probability: np.ndarray, rows: int = PROJECTION_STRIP_ROWS) -> np.ndarray:
    """Classic cloud mask for the projection: cross dilation of ``median3x3(P) > 0.33``.

    The median runs over row strips with a 1-row halo (the image's border rows/columns stay untouched).
    """
    n_rows = probability.shape[0]
    smooth = np.empty(probability.shape, bool)
    for r0 in range(0, n_rows, rows):
        r1 = min(r0 + rows, n_rows)
        lo, hi = max(r0 - 1, 0), min(r1 + 1, n_rows)
        med = median3x3(probability[lo:hi].astype(np.float32, copy=False))
        smooth[r0:r1] = med[r0 - lo:r1 - lo] > SHADOW_CASTING_PROBABILITY
    return dilate_cross(smooth, 1)


def geometric_shadow_probability(clouds: np.ndarray, nodata: np.ndarray, sun_zenith_deg: float,
                                 sun_azimuth_deg: float, resolution_m: float) -> np.ndarray:
    """Geometric part ``csd2`` in [0, 1]: projected clouds minus the clouds, Gaussian sigma 3 px."""
    if not clouds.any():
        return np.zeros(clouds.shape, np.float32)
    kernel, origin = shadow_kernel(sun_zenith_deg, sun_azimuth_deg, resolution_m)
    projected = project(clouds, kernel, origin)
    np.clip(projected, 0, 1, out=projected)
    projected -= clouds
    np.maximum(projected, 0, out=projected)
    ndimage.gaussian_filter(projected, SHADOW_GAUSSIAN_SIGMA_PX, output=projected)   # in place (line buffers)
    projected[nodata] = 0
    return projected


def cloud_shadow(spectral: np.ndarray, geometric: np.ndarray, rows: int = PROJECTION_STRIP_ROWS) -> np.ndarray:
    """CLOUD_SHADOWS where ``spectral * geometric > 0.05`` (row strips: no full-size float temporary)."""
    out = np.empty(spectral.shape, bool)
    for r in range(0, spectral.shape[0], rows):
        out[r:r + rows] = spectral[r:r + rows] * geometric[r:r + rows] > SHADOW_SCORE_MIN
    return out
