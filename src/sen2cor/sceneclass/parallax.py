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


def _local_variance(x: np.ndarray, window_px: int) -> np.ndarray:
    mean = ndimage.uniform_filter(x, window_px, mode="nearest")
    mean_sq = ndimage.uniform_filter(x * x, window_px, mode="nearest")
    return np.maximum(mean_sq - mean * mean, 0)


def cloud_displacement_index(b07: np.ndarray, b08: np.ndarray, b8a: np.ndarray,
                             window_px: int = CDI_WINDOW_PX) -> np.ndarray:
    """CDI in [-1, 1] (float32); 0 where both variances vanish."""
    v7 = _local_variance(ratio(b07, b8a), window_px)
    v8 = _local_variance(ratio(b08, b8a), window_px)
    total = v7 + v8
    out = np.zeros(b8a.shape, np.float32)
    np.divide(v7 - v8, total, out=out, where=total > 0)
    return out


def blob_parallax_fraction(mask: np.ndarray, parallax: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label 8-connected blobs of ``mask``; return ``(labels, fraction)`` with ``fraction[k]`` the share
    of blob ``k``'s pixels showing parallax (``fraction[0]`` belongs to the background)."""
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    sizes = np.bincount(labels.ravel(), minlength=n + 1).astype(np.float64)
    hits = np.bincount(labels.ravel(), weights=parallax.ravel(), minlength=n + 1)
    fraction = np.divide(hits, sizes, out=np.zeros_like(hits), where=sizes > 0)
    return labels, fraction


def static_blobs(mask: np.ndarray, parallax: np.ndarray, min_fraction: float) -> np.ndarray:
    """Pixels of blobs of ``mask`` in which fewer than ``min_fraction`` of the pixels show parallax."""
    labels, fraction = blob_parallax_fraction(mask, parallax)
    static = fraction < min_fraction
    static[0] = False
    return static[labels]


def moving_blobs(mask: np.ndarray, parallax: np.ndarray, min_fraction: float) -> np.ndarray:
    """Pixels of blobs of ``mask`` in which at least ``min_fraction`` of the pixels show parallax."""
    labels, fraction = blob_parallax_fraction(mask, parallax)
    moving = fraction >= min_fraction
    moving[0] = False
    return moving[labels]
