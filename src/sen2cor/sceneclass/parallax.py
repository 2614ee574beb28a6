"""Parallax between MSI bands to separate elevated clouds from bright static surfaces (evolution).

The MSI detectors see B08 and B8A from different along-track angles, while B07 and B8A are close in the
focal plane. L1C is ortho-rectified at ground level, so ground features coincide in all bands but clouds
are displaced between B08 and B8A. The cloud displacement index (CDI, Frantz et al. 2018, Remote Sens.
Environ. 215, the parallax test of Fmask 4) compares the local variance of the ratios B08/B8A and
B07/B8A in a 7x7 window: ``CDI = (v(B07/B8A) - v(B08/B8A)) / (v(B07/B8A) + v(B08/B8A))``; clouds give
CDI close to -1, ground surfaces larger values. Sen2Cor 2.10+'s own parallax test is not public
(facts A.5); docs/sceneclass.md records this choice.
"""
from __future__ import annotations

import logging

import numpy as np
from scipy import ndimage

from sen2cor.sceneclass.ramps import ratio

log = logging.getLogger(__name__)

#: CDI below this is parallax (Frantz et al. 2018).
CDI_PARALLAX_MAX = -0.5
#: Window of the local variance, pixels.
CDI_WINDOW_PX = 7
#: Below this summed ratio variance a window carries no texture and the CDI is undefined (NaN).
CDI_MIN_VARIANCE = 1e-6


def _local_variance(x: np.ndarray, window_px: int) -> np.ndarray:
    mean = ndimage.uniform_filter(x, window_px, mode="nearest")
    mean_sq = ndimage.uniform_filter(x * x, window_px, mode="nearest")
    return np.maximum(mean_sq - mean * mean, 0)


def cloud_displacement_index(b07: np.ndarray, b08: np.ndarray, b8a: np.ndarray,
                             window_px: int = CDI_WINDOW_PX) -> np.ndarray:
    """CDI in [-1, 1] (float32); NaN where the window has no texture (summed variance <= 1e-6)."""
    v7 = _local_variance(ratio(b07, b8a), window_px)
    v8 = _local_variance(ratio(b08, b8a), window_px)
    total = v7 + v8
    out = np.full(b8a.shape, np.nan, np.float32)
    np.divide(v7 - v8, total, out=out, where=total > CDI_MIN_VARIANCE)
    return out


def blob_parallax_fraction(mask: np.ndarray, cdi: np.ndarray,
                           cdi_max: float = CDI_PARALLAX_MAX) -> tuple[np.ndarray, np.ndarray]:
    """Label 8-connected blobs of ``mask``; return ``(labels, fraction)``.

    ``fraction[k]`` is the share of blob ``k``'s textured pixels (finite CDI) whose CDI is below
    ``cdi_max``; NaN for a blob without texture (no evidence either way); ``fraction[0]`` is the background.
    """
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    flat = labels.ravel()
    textured = np.isfinite(cdi).ravel()
    with np.errstate(invalid="ignore"):
        moving = (cdi < cdi_max).ravel()
    n_textured = np.bincount(flat, weights=textured, minlength=n + 1)
    hits = np.bincount(flat, weights=moving & textured, minlength=n + 1)
    fraction = np.full(n + 1, np.nan)
    np.divide(hits, n_textured, out=fraction, where=n_textured > 0)
    return labels, fraction


def static_blobs(mask: np.ndarray, cdi: np.ndarray, max_fraction: float,
                 cdi_max: float = CDI_PARALLAX_MAX) -> np.ndarray:
    """Pixels of textured blobs of ``mask`` with fewer than ``max_fraction`` parallax pixels."""
    labels, fraction = blob_parallax_fraction(mask, cdi, cdi_max)
    with np.errstate(invalid="ignore"):
        static = fraction < max_fraction
    static[0] = False
    return static[labels]


def moving_blobs(mask: np.ndarray, cdi: np.ndarray, min_fraction: float,
                 cdi_max: float = CDI_PARALLAX_MAX) -> np.ndarray:
    """Pixels of textured blobs of ``mask`` with at least ``min_fraction`` parallax pixels."""
    labels, fraction = blob_parallax_fraction(mask, cdi, cdi_max)
    with np.errstate(invalid="ignore"):
        moving = fraction >= min_fraction
    moving[0] = False
    return moving[labels]
