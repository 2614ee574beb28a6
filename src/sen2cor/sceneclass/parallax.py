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
#: Rows per strip when counting and looking up blob labels (bounds int64 temporaries).
STRIP_ROWS = 1024
#: Below this variance of either ratio a window carries no parallax information and the CDI is undefined
#: (NaN): sensor noise alone keeps both well above it on real data; an exactly proportional band (a copy)
#: or a uniform area does not.
CDI_MIN_VARIANCE = 1e-6


def _local_variance(x: np.ndarray, window_px: int) -> np.ndarray:
    mean = ndimage.uniform_filter(x, window_px, mode="nearest")
    mean_sq = ndimage.uniform_filter(x * x, window_px, mode="nearest")
    return np.maximum(mean_sq - mean * mean, 0)


def cloud_displacement_index(b07: np.ndarray, b08: np.ndarray, b8a: np.ndarray,
                             window_px: int = CDI_WINDOW_PX) -> np.ndarray:
    """CDI in [-1, 1] (float32); NaN where either ratio's local variance is <= 1e-6 (no information)."""
    v7 = _local_variance(ratio(b07, b8a), window_px)
    v8 = _local_variance(ratio(b08, b8a), window_px)
    out = np.full(b8a.shape, np.nan, np.float32)
    np.divide(v7 - v8, v7 + v8, out=out, where=(v7 > CDI_MIN_VARIANCE) & (v8 > CDI_MIN_VARIANCE))
    return out


def parallax_masks(cdi: np.ndarray, cdi_max: float = CDI_PARALLAX_MAX) -> tuple[np.ndarray, np.ndarray]:
    """``(textured, moving)``: finite CDI, and CDI below ``cdi_max`` (parallax)."""
    with np.errstate(invalid="ignore"):
        return np.isfinite(cdi), cdi < cdi_max


def blob_parallax_fraction(mask: np.ndarray, textured: np.ndarray,
                           moving: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Label 8-connected blobs of ``mask``; return ``(labels, fraction)``.

    ``fraction[k]`` is the share of blob ``k``'s textured pixels that are ``moving``; NaN for a blob
    without texture (no evidence either way); ``fraction[0]`` is the background.
    """
    labels, n = ndimage.label(mask, structure=np.ones((3, 3), bool))
    n_textured = np.zeros(n + 1)
    hits = np.zeros(n + 1)
    for r in range(0, labels.shape[0], STRIP_ROWS):       # strips: bincount copies its input to int64
        lab, tex = labels[r:r + STRIP_ROWS], textured[r:r + STRIP_ROWS]
        n_textured += np.bincount(lab[tex], minlength=n + 1)
        hits += np.bincount(lab[tex & moving[r:r + STRIP_ROWS]], minlength=n + 1)
    fraction = np.full(n + 1, np.nan)
    np.divide(hits, n_textured, out=fraction, where=n_textured > 0)
    return labels, fraction


def label_lookup(table: np.ndarray, labels: np.ndarray, rows: int = 1024) -> np.ndarray:
    """``table[labels]`` computed over row strips (fancy indexing makes int64 copies of the index)."""
    out = np.empty(labels.shape, table.dtype)
    for r in range(0, labels.shape[0], rows):
        out[r:r + rows] = table[labels[r:r + rows]]
    return out


def static_blobs(mask: np.ndarray, textured: np.ndarray, moving: np.ndarray, max_fraction: float) -> np.ndarray:
    """Pixels of textured blobs of ``mask`` with fewer than ``max_fraction`` parallax pixels."""
    labels, fraction = blob_parallax_fraction(mask, textured, moving)
    with np.errstate(invalid="ignore"):
        static = fraction < max_fraction
    static[0] = False
    return label_lookup(static, labels)


def moving_blobs(mask: np.ndarray, textured: np.ndarray, moving: np.ndarray, min_fraction: float) -> np.ndarray:
    """Pixels of textured blobs of ``mask`` with at least ``min_fraction`` parallax pixels."""
    labels, fraction = blob_parallax_fraction(mask, textured, moving)
    with np.errstate(invalid="ignore"):
        moving = fraction >= min_fraction
    moving[0] = False
    return label_lookup(moving, labels)
