"""Seeded smooth random fields (multi-octave value noise) generated coarse and upsampled."""
from __future__ import annotations

import numpy as np

from sen2cor.tables import resample


def bilinear(coarse: np.ndarray, pos_y: np.ndarray, pos_x: np.ndarray) -> np.ndarray:
    """Separable bilinear interpolation of ``coarse`` at fractional node positions (rows, cols)."""
    y0 = np.clip(np.floor(pos_y).astype(np.intp), 0, coarse.shape[0] - 2)
    x0 = np.clip(np.floor(pos_x).astype(np.intp), 0, coarse.shape[1] - 2)
    wy = (pos_y - y0).astype(np.float32)[:, None]
    wx = (pos_x - x0).astype(np.float32)[None, :]
    rows = coarse[:, x0] * (1 - wx) + coarse[:, x0 + 1] * wx
    return rows[y0] * (1 - wy) + rows[y0 + 1] * wy


def smooth_field(shape: tuple[int, int], rng: np.random.Generator, feature_px: float,
                 octaves: int = 4, persistence: float = 0.5) -> np.ndarray:
    """Zero-mean, unit-std float32 field of ``shape`` with features of about ``feature_px`` pixels.

    Octave k is white noise on nodes every ``feature_px / 2**k`` pixels; octaves are summed on
    the finest node grid, then one bilinear upsampling gives the full-resolution field.
    """
    ny, nx = shape
    finest = max(feature_px / 2 ** (octaves - 1), 1.0)
    gy, gx = int(np.ceil(ny / finest)) + 2, int(np.ceil(nx / finest)) + 2
    acc = np.zeros((gy, gx), dtype=np.float32)
    amp = 1.0
    for k in range(octaves):
        cell = max(feature_px / 2 ** k, 1.0)
        cy, cx = int(np.ceil(ny / cell)) + 2, int(np.ceil(nx / cell)) + 2
        coarse = rng.standard_normal((cy, cx)).astype(np.float32)
        acc += amp * bilinear(coarse, np.arange(gy) * finest / cell, np.arange(gx) * finest / cell)
        amp *= persistence
    out = bilinear(acc, (np.arange(ny) + 0.5) / finest, (np.arange(nx) + 0.5) / finest)
    out -= out.mean(dtype=np.float64)
    std = out.std(dtype=np.float64)
    return out / np.float32(std) if std > 0 else out


def regional_field(shape: tuple[int, int], rng: np.random.Generator, pixel_m: float, feature_m: float,
                   domain_m: float = 109_800.0) -> np.ndarray:
    """Smooth float32 field of ``shape`` whose features have a physical size of about ``feature_m`` metres.

    The field is built (two octaves, :func:`smooth_field`) on a coarse grid spanning ``domain_m`` (at least
    the scene) and normalised there to zero mean and unit standard deviation; the scene is the upper-left
    part of that domain.  A scene much smaller than ``feature_m`` therefore sees a gentle gradient, not a
    field stretched to unit variance over the scene.
    """
    cell_m = feature_m / 8.0
    extent = max(shape) * pixel_m
    n_cells = int(np.ceil(max(domain_m, extent) / cell_m)) + 2
    coarse = smooth_field((n_cells, n_cells), rng, 8.0, octaves=2)
    pos_y = (np.arange(shape[0]) + 0.5) * pixel_m / cell_m
    pos_x = (np.arange(shape[1]) + 0.5) * pixel_m / cell_m
    return bilinear(coarse, pos_y, pos_x).astype(np.float32)


def block_mean(a: np.ndarray, factor: int) -> np.ndarray:
    """Mean over non-overlapping ``factor`` x ``factor`` blocks (shape divisible by ``factor``)."""
    ny, nx = a.shape
    work = a if a.dtype.kind == "f" else a.astype(np.float32)
    summed = work.reshape(ny // factor, factor, nx // factor, factor).sum(axis=3).sum(axis=1)
    return (summed * (1.0 / (factor * factor))).astype(a.dtype if a.dtype.kind == "f" else np.float32)


upsample_nearest = resample.upsample_nearest   # re-exported for the generator modules
