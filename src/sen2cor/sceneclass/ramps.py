"""Threshold ramps and band indices shared by every scene-classification test (algorithm facts A.2).

All tests work on TOA reflectance (unitless, 0-1) as float32; a ramp turns a threshold pair into a
membership in [0, 1] that multiplies the cloud or snow probability.
"""
from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

#: Floor for ratio denominators and NDSI/NDVI sums (facts A.2).
MIN_DENOMINATOR = 1e-6


def ramp(x: np.ndarray, t1: float, t2: float) -> np.ndarray:
    """Linear membership in [0, 1]: 0 at or below ``t1``, 1 at or above ``t2``.

    Parameters
    ----------
    x : ndarray
        Tested quantity (reflectance, ratio or index).
    t1, t2 : float
        Lower and upper GIPP thresholds, ``t1 < t2``.

    Examples
    --------
    >>> ramp(np.array([0.0, 0.5, 2.0]), 0.0, 1.0).tolist()
    [0.0, 0.5, 1.0]
    """
    lo, hi = np.float32(t1), np.float32(t2)
    # same float32 operands above and below the line, so the result is exactly 0 or 1 outside [t1, t2]
    return (np.clip(np.asarray(x, dtype=np.float32), lo, hi) - lo) / (hi - lo)


def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """Band ratio with the denominator floored at :data:`MIN_DENOMINATOR` (float32)."""
    den = np.maximum(np.asarray(denominator, dtype=np.float32), np.float32(MIN_DENOMINATOR))
    return np.asarray(numerator, dtype=np.float32) / den


def normalized_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(a - b) / max(a + b, 1e-6)``: NDSI with (B03, B11), NDVI with (B8A, B04)."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    return (a - b) / np.maximum(a + b, np.float32(MIN_DENOMINATOR))


def scale_inside_ramp(probability: np.ndarray, membership: np.ndarray, where: np.ndarray | None = None,
                      decreasing: bool = False) -> np.ndarray:
    """Multiply ``probability`` by a ramp only where the ramp is strictly between 0 and 1.

    Sen2Cor applies a ramp that lowers cloudiness as ``P * (1 - r)`` on ``0 < r < 1`` only (facts A.2);
    increasing ramps are applied as ``P * r`` on the same open interval. ``where`` restricts further.
    Returns a new array.
    """
    inside = (membership > 0) & (membership < 1)
    if where is not None:
        inside &= where
    factor = (1 - membership) if decreasing else membership
    out = probability.copy()
    out[inside] *= factor[inside]
    return out
