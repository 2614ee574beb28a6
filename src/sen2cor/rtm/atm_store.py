"""Sen2Cor's ``.atm`` tables packed losslessly into one ``.npz`` per spacecraft (``luts/sen2cor_<S2x>.npz``).

Every float of the original files is kept bit for bit (tests/rtm/test_atm_store.py compares them all).
A season / aerosol block holds the files of all ozone letters and water-vapour levels, shaped
(ozone, water vapour, band, visibility, sun zenith, record) with the 13 bands of ``STORE_BANDS`` (the
12 of the ``20_60`` files, then B08 of the ``10`` files, whose B02-B04 equal those of ``20_60``).
Encoding, all in unsigned 32-bit wrap-around arithmetic on the float bit patterns: minus the
reference spacecraft's block (S2B is stored relative to S2A), differences along ozone, water vapour
and sun zenith (neighbouring nodes share most high-order bits), zig-zag to small unsigned numbers,
the four byte planes split apart, deflate. Decoding is the exact inverse.
"""
from __future__ import annotations

import io
import logging
import zipfile
from functools import lru_cache
from pathlib import Path

import numpy as np

from sen2cor.config.resources import luts_dir
from sen2cor.errors import LutError
from sen2cor.rtm import grid

log = logging.getLogger(__name__)

STORE_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B10", "B11", "B12", "B08")
RESOLUTION_BANDS = {
    "20_60": STORE_BANDS[:12],
    "10": ("B02", "B03", "B04", "B08"),
}
#: Floats per (band, visibility, sun zenith) record: 2 header values + 6 elevations x 17 values.
RECORD = 104
#: Axes of a block that are differenced (ozone, water vapour, sun zenith).
DELTA_AXES = (0, 1, 4)
FORMAT = "sen2cor-atm-npz-1"


def store_path(spacecraft: str, directory: Path | None = None) -> Path:
    """``luts/sen2cor_<spacecraft>.npz``."""
    return (directory or luts_dir()) / f"sen2cor_{spacecraft}.npz"


def packaged_spacecraft(directory: Path | None = None) -> tuple[str, ...]:
    """Spacecraft whose Sen2Cor tables are packaged (``("S2A", "S2B")``)."""
    return tuple(sorted(p.stem.split("_", 1)[1] for p in (directory or luts_dir()).glob("sen2cor_S2*.npz")))


def block_key(season: str, aerosol: str) -> str:
    return f"{season}_{aerosol}"


def block_shape(season: str) -> tuple[int, ...]:
    nvis, nsza = grid.VISIBILITY_KM.size, grid.SZA_DEG.size
    return (len(grid.OZONE_DU[season]), grid.WATER_VAPOUR_CM[season].size, len(STORE_BANDS), nvis, nsza, RECORD)


def _bits(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype="<f4").view(np.uint32)


def encode_block(values: np.ndarray, reference: np.ndarray | None = None) -> np.ndarray:
    """float32 block -> (4, n) uint8 byte planes of the zig-zagged differences."""
    d = _bits(values).copy()
    if reference is not None:
        d -= _bits(reference)
    for axis in DELTA_AXES:
        d = np.diff(d, axis=axis, prepend=np.zeros_like(np.take(d, [0], axis=axis)))
    signed = d.view(np.int32)
    zig = (signed.astype(np.uint32) << np.uint32(1)) ^ (signed >> 31).astype(np.uint32)
    return np.ascontiguousarray(zig.reshape(-1).view(np.uint8).reshape(-1, 4).T)


def decode_block(planes: np.ndarray, shape: tuple[int, ...], reference: np.ndarray | None = None) -> np.ndarray:
    """Inverse of :func:`encode_block`: the float32 block of ``shape``."""
    zig = np.ascontiguousarray(planes.T).view(np.uint32).reshape(shape)
    d = (zig >> np.uint32(1)) ^ (np.uint32(0) - (zig & np.uint32(1)))
    for axis in DELTA_AXES:
        np.cumsum(d, axis=axis, dtype=np.uint32, out=d)
    if reference is not None:
        d += _bits(reference)
    return d.view("<f4")


def write_store(path: Path, blocks: dict[str, np.ndarray], reference: str | None,
                reference_blocks: dict[str, np.ndarray] | None, provenance: str) -> None:
    """Write the encoded blocks (``{block_key: float32 block}``) as an .npz (deflate level 9)."""
    arrays = {"format": np.array(FORMAT), "bands": np.array(STORE_BANDS), "reference": np.array(reference or ""),
              "provenance": np.array(provenance)}
    for key, values in blocks.items():
        ref = None if reference_blocks is None else reference_blocks[key]
        arrays[key] = encode_block(values, ref)
    tmp = path.with_suffix(".tmp.npz")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.asanyarray(array), allow_pickle=False)
            zf.writestr(f"{name}.npy", buffer.getvalue())
    tmp.replace(path)


@lru_cache(maxsize=4)
def read_block(spacecraft: str, season: str, aerosol: str, directory: Path | None = None) -> np.ndarray:
    """The float32 block (ozone, wv, band, vis, sza, record) of one packaged spacecraft / season / aerosol."""
    path = store_path(spacecraft, directory)
    key = block_key(season, aerosol)
    try:
        with np.load(path, allow_pickle=False) as npz:
            if str(npz["format"]) != FORMAT:
                raise LutError(f"{path}: format {npz['format']}, expected {FORMAT}")
            planes, reference = npz[key], str(npz["reference"])
    except (OSError, KeyError, ValueError) as exc:
        raise LutError(f"cannot read block {key} of the packaged Sen2Cor tables {path}: {exc}") from exc
    ref = read_block(reference, season, aerosol, directory) if reference else None
    block = decode_block(planes, block_shape(season), ref)
    block.setflags(write=False)
    return block
