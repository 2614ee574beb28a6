"""DN <-> reflectance codecs and the L2A encodings (symmetric encode/decode pairs).

L1C: rho_TOA = (DN + RADIO_ADD_OFFSET) / QUANTIFICATION_VALUE, DN 0 = no data,
DN 65535 = saturated (config facts §5.4). L2A (algorithm facts B.14): BOA reflectance,
BOA_QUANTIFICATION_VALUE 10000 and BOA_ADD_OFFSET -1000 from processing baseline 04.00;
AOT (tau550) and WVP (cm) quantified by 1000; DEM heights stored +10000 m.
Large arrays are converted in row blocks so that no full-tile float64 array is created.
"""
from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

NODATA_DN = 0
SATURATED_DN = 65535
BOA_QUANTIFICATION_VALUE = 10000.0
AOT_QUANTIFICATION_VALUE = 1000.0
WVP_QUANTIFICATION_VALUE = 1000.0  # DN per cm of water vapour
BOA_ADD_OFFSET = -1000  # processing baseline >= 04.00
L2A_MAX_DN = 32767
DEM_OFFSET_M = 10000
#: Rows converted at once (1024 x 10980 float64 = 90 MB).
BLOCK_ROWS = 1024


def _row_blocks(rows: int, block_rows: int = BLOCK_ROWS):
    for start in range(0, rows, block_rows):
        yield slice(start, min(start + block_rows, rows))


def boa_add_offset(processing_baseline: str) -> int:
    """BOA_ADD_OFFSET of the output: -1000 for baseline >= '04.00', else 0."""
    major, minor = (int(p) for p in processing_baseline.split(".")[:2])
    return BOA_ADD_OFFSET if (major, minor) >= (4, 0) else 0


def nodata_mask(dn: np.ndarray) -> np.ndarray:
    """True where the L1C DN is the no-data value 0."""
    return dn == NODATA_DN


def saturation_mask(dn: np.ndarray) -> np.ndarray:
    """True where the L1C DN is the saturation value 65535."""
    return dn == SATURATED_DN


def dn_to_reflectance(dn: np.ndarray, quantification: float, add_offset: int = 0, *,
                      nodata_value: float = np.nan) -> np.ndarray:
    """L1C DN -> TOA reflectance (unitless, float32).

    Parameters
    ----------
    dn : uint16 digital numbers.
    quantification : QUANTIFICATION_VALUE of the product (DN per unit reflectance, 10000).
    add_offset : RADIO_ADD_OFFSET of the band (DN; -1000 from baseline 04.00, else 0).
    nodata_value : value given to DN 0 (NaN by default; 0 for Sen2Cor-like arrays).
    """
    out = np.empty(dn.shape, dtype=np.float32)
    scale = np.float32(1.0 / quantification)
    for rows in _row_blocks(dn.shape[0]):
        block = dn[rows]
        rho = (block.astype(np.float32) + np.float32(add_offset)) * scale
        rho[block == NODATA_DN] = nodata_value
        out[rows] = rho
    return out


def reflectance_to_dn(rho: np.ndarray, quantification: float, add_offset: int = 0) -> np.ndarray:
    """Inverse of :func:`dn_to_reflectance` for valid pixels (rounded; NaN -> 0)."""
    out = np.zeros(rho.shape, dtype=np.uint16)
    for rows in _row_blocks(rho.shape[0]):
        block = rho[rows].astype(np.float64)
        dn = np.rint(block * quantification - add_offset)
        good = np.isfinite(dn)
        out[rows][good] = np.clip(dn[good], 1, SATURATED_DN - 1).astype(np.uint16)
    return out


def reflectance_to_boa_dn(rho: np.ndarray, nodata: np.ndarray | None = None, *,
                          quantification: float = BOA_QUANTIFICATION_VALUE,
                          add_offset: int = BOA_ADD_OFFSET) -> np.ndarray:
    """BOA reflectance -> L2A uint16 DN (algorithm facts B.14).

    ``add_offset`` -1000 (baseline >= 04.00): DN = trunc(rho*Q - offset + 0.5), DN < 0 -> 1,
    clipped to [0, 32767]; rho exactly 0 is no data as in Sen2Cor. ``add_offset`` 0 (older baselines):
    DN = round(max(rho, 1e-4)*Q),
    clipped to 32767. No data (``nodata`` True or non-finite rho) -> 0.
    """
    out = np.empty(rho.shape, dtype=np.uint16)
    for rows in _row_blocks(rho.shape[0]):
        block = rho[rows].astype(np.float64)
        bad = ~np.isfinite(block)
        if nodata is not None:
            bad |= nodata[rows]
        block[bad] = 0.0
        if add_offset:
            bad |= block == 0.0  # B.14: only rho != 0 is encoded
            dn = np.trunc(block * quantification - add_offset + 0.5)
            dn[dn < 0] = 1
        else:
            dn = np.rint(np.maximum(block, 1e-4) * quantification)
        dn = np.clip(dn, 0, L2A_MAX_DN)
        dn[bad] = 0
        out[rows] = dn.astype(np.uint16)
    return out


def boa_dn_to_reflectance(dn: np.ndarray, *, quantification: float = BOA_QUANTIFICATION_VALUE,
                          add_offset: int = BOA_ADD_OFFSET) -> np.ndarray:
    """L2A DN -> BOA reflectance (float32, NaN where DN 0)."""
    return dn_to_reflectance(dn, quantification, add_offset)


def encode_quantity(values: np.ndarray, quantification: float, nodata: np.ndarray | None = None
                    ) -> np.ndarray:
    """Physical value -> uint16 ``trunc(value*Q + 0.5)`` clipped to [0, 65535]; no data -> 0.

    Used for AOT (tau550, Q = 1000) and WVP (cm, Q = 1000).
    """
    out = np.empty(values.shape, dtype=np.uint16)
    for rows in _row_blocks(values.shape[0]):
        block = values[rows].astype(np.float64)
        bad = ~np.isfinite(block)
        if nodata is not None:
            bad |= nodata[rows]
        dn = np.clip(np.trunc(np.where(bad, 0.0, block) * quantification + 0.5), 0, SATURATED_DN)
        dn[bad] = 0
        out[rows] = dn.astype(np.uint16)
    return out


def decode_quantity(dn: np.ndarray, quantification: float) -> np.ndarray:
    """uint16 -> physical value (float32)."""
    return (dn.astype(np.float32) / np.float32(quantification)).astype(np.float32)


def encode_aot(aot550: np.ndarray, nodata: np.ndarray | None = None) -> np.ndarray:
    """AOT at 550 nm -> uint16 (x1000)."""
    return encode_quantity(aot550, AOT_QUANTIFICATION_VALUE, nodata)


def encode_wvp(wv_cm: np.ndarray, nodata: np.ndarray | None = None) -> np.ndarray:
    """Water vapour column (cm) -> uint16 (x1000)."""
    return encode_quantity(wv_cm, WVP_QUANTIFICATION_VALUE, nodata)


def encode_dem(height_m: np.ndarray) -> np.ndarray:
    """DEM heights (m) -> uint16 height + 10000 (Sen2Cor's DEM output; avoids negatives)."""
    out = np.empty(height_m.shape, dtype=np.uint16)
    for rows in _row_blocks(height_m.shape[0]):
        block = np.rint(height_m[rows].astype(np.float64)) + DEM_OFFSET_M
        out[rows] = np.clip(block, 0, SATURATED_DN).astype(np.uint16)
    return out


def decode_dem(dn: np.ndarray) -> np.ndarray:
    """uint16 DEM output -> heights in m (int32)."""
    return dn.astype(np.int32) - DEM_OFFSET_M


def encode_percent(probability: np.ndarray) -> np.ndarray:
    """Probability 0..1 (or %) -> uint8 percent for MSK_CLDPRB/MSK_SNWPRB; NaN -> 0.

    Values > 1 are taken as already in percent.
    """
    values = np.nan_to_num(probability.astype(np.float32), nan=0.0)
    if values.size and float(values.max()) <= 1.0:
        values = values * np.float32(100.0)
    return np.clip(np.trunc(values + np.float32(0.5)), 0, 100).astype(np.uint8)


def tci_from_boa_dn(b04: np.ndarray, b03: np.ndarray, b02: np.ndarray, *,
                    add_offset: int = BOA_ADD_OFFSET) -> np.ndarray:
    """True-colour image (rows, cols, 3) uint8 from L2A BOA DN (Sen2Cor's scaleTci).

    uint8 = trunc(clip(DN + offset, 0, 2500) * 254/2500) + 1, and 0 where DN + offset <= 0
    (no data and reflectance <= 0). Identical to every pixel of the TCI_60m of the real
    N0400 product computed from its B04/B03/B02.
    """
    out = np.empty(b04.shape + (3,), dtype=np.uint8)
    for channel, band in enumerate((b04, b03, b02)):
        for rows in _row_blocks(band.shape[0]):
            dn = band[rows]
            scaled = np.clip(dn.astype(np.int32) + add_offset, 0, 2500) * 254 // 2500 + 1
            scaled[dn.astype(np.int32) + add_offset <= 0] = 0
            out[rows, :, channel] = scaled.astype(np.uint8)
    return out
