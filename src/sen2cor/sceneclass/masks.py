"""No-data and saturated/defective masks (algorithm facts A.3 step 0, A.6).

Sen2Cor marks no-data where any band has DN 0. Reflectance with the PB >= 04.00 offset is no longer 0
there, so callers that hold DNs pass them, or pass the no-data mask they built from the DNs.
Class 1 (SATURATED_DEFECTIVE) comes from saturated DNs and, with Handle_L1C_QLT_Mask TRUE, from the
L1C MSK_QUALIT defective/saturated layers of the bands GENERAL_QUALITY.xml reports degraded. The exact
2.10+ rule is not public (facts E.2): here a pixel is class 1 when any band is saturated or flagged.
"""
from __future__ import annotations

import logging
from typing import Iterable, Mapping

import numpy as np

log = logging.getLogger(__name__)

#: L1C DN marking no data and saturation (MTD_MSIL1C Special_Values defaults).
NODATA_DN = 0
SATURATED_DN = 65535


def nodata_from_dn(dn: Mapping[str, np.ndarray], nodata_dn: int = NODATA_DN) -> np.ndarray:
    """No-data where any band equals ``nodata_dn``."""
    arrays = iter(dn.values())
    out = next(arrays) == nodata_dn
    for a in arrays:
        out |= a == nodata_dn
    return out


def nodata_from_reflectance(toa: Mapping[str, np.ndarray]) -> np.ndarray:
    """No-data where any band's reflectance is exactly 0 or not finite (inputs without offset)."""
    arrays = iter(toa.values())
    first = next(arrays)
    out = (first == 0) | ~np.isfinite(first)
    for a in arrays:
        out |= (a == 0) | ~np.isfinite(a)
    return out


def saturated_from_dn(dn: Mapping[str, np.ndarray], saturated_dn: int = SATURATED_DN) -> np.ndarray:
    """Saturated where any band equals ``saturated_dn``."""
    arrays = iter(dn.values())
    out = next(arrays) == saturated_dn
    for a in arrays:
        out |= a == saturated_dn
    return out


def saturated_defective(shape: tuple[int, int], saturated: np.ndarray | None = None,
                        quality_masks: Mapping[str, np.ndarray] | None = None,
                        degraded_bands: Iterable[str] | None = None,
                        handle_l1c_qlt_mask: bool = False) -> np.ndarray:
    """Class-1 mask from saturation and (Handle_L1C_QLT_Mask TRUE) the L1C quality masks.

    ``quality_masks`` maps band -> boolean defective/saturated layer on the SC grid; only the bands in
    ``degraded_bands`` are used when that is given.
    """
    out = np.zeros(shape, bool) if saturated is None else saturated.astype(bool, copy=True)
    if handle_l1c_qlt_mask and quality_masks:
        wanted = set(quality_masks) if degraded_bands is None else set(degraded_bands)
        for band, mask in quality_masks.items():
            if band in wanted:
                out |= mask.astype(bool, copy=False)
    return out
