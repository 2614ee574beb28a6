"""Checks of the L1C input made before any output is written, so bad products fail early and clearly.

Sen2Cor stops with exit code 1 when a product cannot be read (facts §7.3). Here every band JPEG 2000
listed in MTD_MSIL1C.xml is checked up front, from its headers only (no decoding):

* the file exists and is not empty;
* its box structure is complete: each box lies inside the file and the code stream (``jp2c``) ends
  with the EOC marker ``FFD9`` — a truncated copy fails here;
* its header opens in OpenJPEG (through :func:`sen2cor.io.jp2.jp2_shape`) and gives the size that the
  tile geoposition (MTD_TL.xml, ``Geoposition`` of the band's native resolution) announces;
* when the product's ``manifest.safe`` lists the file, its size agrees (and, on request, its checksum);
  a disagreement is a warning by default (Sen2Cor does not read the manifest) or an error on request.

A code stream damaged *inside* the entropy-coded data keeps a valid structure; OpenJPEG then either
fails at decode time (:func:`sen2cor.io.jp2.read_jp2` raises ProductReadError naming the file) or
decodes wrong pixels silently — only ``verify_checksums=True`` (against manifest.safe) catches that.

:func:`warn_if_no_data` is the all-no-data tile rule of Sen2Cor 2.1/2.3 (release note §3.1.3.2.6):
a warning, no failure.
"""
from __future__ import annotations

import hashlib
import logging
import struct
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from lxml import etree

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M
from sen2cor.errors import ProductReadError
from sen2cor.io.jp2 import jp2_shape

log = logging.getLogger(__name__)

#: JPEG 2000 signature box (ISO/IEC 15444-1 I.5.1): length 12, type 'jP  ', content 0D0A870A.
JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"
#: Start of a raw code stream (SOC + SIZ markers), for .j2k/.jpc files.
J2K_SIGNATURE = b"\xff\x4f\xff\x51"
#: End-of-codestream marker.
EOC_MARKER = b"\xff\xd9"

_HASHES = {"MD5": "md5", "SHA3-256": "sha3_256", "SHA-256": "sha256", "SHA256": "sha256"}


@dataclass(frozen=True)
class Jp2Box:
    """One top-level box: type (4 characters), offset of its header and total length (bytes)."""

    box_type: str
    offset: int
    length: int


@dataclass(frozen=True)
class ManifestEntry:
    """A data object of manifest.safe: size (bytes) and checksum (algorithm name, hex digest)."""

    size_bytes: int | None
    checksum_name: str | None
    checksum: str | None


# --------------------------------------------------------------------------- JPEG 2000 structure
def jp2_boxes(path: Path) -> list[Jp2Box]:
    """Top-level boxes of a JP2 file from their 8/16-byte headers (no decoding).

    Raises
    ------
    ProductReadError
        Not a JPEG 2000 file, or a box extends beyond the end of the file (truncated copy).
    """
    path = Path(path)
    size = path.stat().st_size
    boxes: list[Jp2Box] = []
    with open(path, "rb") as f:
        if f.read(12) != JP2_SIGNATURE:
            raise ProductReadError(f"{path}: not a JPEG 2000 (JP2) file: the signature box 'jP  ' is missing")
        offset = 0
        while offset < size:
            f.seek(offset)
            header = f.read(8)
            if len(header) < 8:
                raise ProductReadError(f"{path}: truncated box header at byte {offset} (file size {size} bytes)")
            length, box_type = struct.unpack(">I4s", header)
            if length == 1:  # 64-bit extended length follows the type
                extended = f.read(8)
                if len(extended) < 8:
                    raise ProductReadError(f"{path}: truncated box header at byte {offset} (file size {size} bytes)")
                (length,) = struct.unpack(">Q", extended)
            elif length == 0:  # last box, up to the end of the file
                length = size - offset
            name = box_type.decode("latin-1")
            if length < 8 or offset + length > size:
                raise ProductReadError(
                    f"{path}: box '{name}' at byte {offset} declares {length} bytes but the file ends after "
                    f"{size - offset}: the file is truncated or corrupt")
            boxes.append(Jp2Box(name, offset, length))
            offset += length
    return boxes


def check_jp2_structure(path: Path) -> None:
    """Every box complete and the code stream closed by EOC (``FFD9``); raises ProductReadError.

    A raw code stream (``.j2k``: SOC+SIZ at the start, no boxes) is accepted when it ends with EOC.
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read(4) == J2K_SIGNATURE
    if raw:
        end = path.stat().st_size
    else:
        codestreams = [b for b in jp2_boxes(path) if b.box_type == "jp2c"]
        if not codestreams:
            raise ProductReadError(f"{path}: no code stream box 'jp2c' found; not a valid JPEG 2000 image")
        end = codestreams[-1].offset + codestreams[-1].length
    with open(path, "rb") as f:
        f.seek(max(end - 2, 0))
        tail = f.read(2)
    if tail != EOC_MARKER:
        raise ProductReadError(
            f"{path}: the code stream does not end with the EOC marker FFD9 (found {tail.hex().upper()}): "
            "the file is truncated or corrupt")


def check_jp2_file(path: Path, expected_shape: tuple[int, int] | None = None, *, label: str = "",
                   components: int | None = 1) -> tuple[int, int]:
    """Check one JPEG 2000 image from its headers; returns its (rows, cols).

    Parameters
    ----------
    path : JP2 file.
    expected_shape : (rows, cols) it must have, or None.
    label : what the file is, for the message (e.g. "band B05 (20 m)").
    components : number of image components it must have (1 for a band), or None for any.

    Raises
    ------
    ProductReadError
        Missing, empty, truncated, not decodable by OpenJPEG, or of another size than expected.
    """
    path = Path(path)
    what = f"{label} file" if label else "JPEG 2000 file"
    if not path.is_file():
        raise ProductReadError(f"{path}: {what} is missing")
    if path.stat().st_size == 0:
        raise ProductReadError(f"{path}: {what} is empty (0 bytes)")
    check_jp2_structure(path)
    with warnings.catch_warnings(record=True) as caught:  # glymur reports header inconsistencies as warnings
        warnings.simplefilter("always")
        shape = jp2_shape(path)
    problems = [str(w.message) for w in caught if issubclass(w.category, UserWarning)]
    if problems:
        raise ProductReadError(f"{path}: {what} has an inconsistent JPEG 2000 header: {'; '.join(problems)}")
    found = (int(shape[0]), int(shape[1]))
    count = 1 if len(shape) == 2 else int(shape[2])
    if components is not None and count != components:
        raise ProductReadError(f"{path}: {what} has {count} image components; expected {components}")
    if expected_shape is not None and found != tuple(expected_shape):
        raise ProductReadError(
            f"{path}: {what} is {found[0]} x {found[1]} pixels (rows x cols); expected "
            f"{expected_shape[0]} x {expected_shape[1]} as given by the tile geoposition")
    return found


# --------------------------------------------------------------------------- manifest.safe
def read_manifest(safe_dir: Path) -> dict[str, ManifestEntry]:
    """Data objects of ``<safe_dir>/manifest.safe`` keyed by product-relative POSIX path; {} when absent.

    Raises
    ------
    ProductReadError
        The manifest exists but is not well-formed XML.
    """
    manifest = Path(safe_dir) / "manifest.safe"
    if not manifest.is_file():
        return {}
    try:
        root = etree.parse(str(manifest), etree.XMLParser(resolve_entities=False, no_network=True)).getroot()
    except etree.XMLSyntaxError as exc:
        raise ProductReadError(f"{manifest}: malformed XML ({exc})") from exc
    entries: dict[str, ManifestEntry] = {}
    for stream in root.iter("{*}byteStream", "byteStream"):
        location = next(stream.iter("{*}fileLocation", "fileLocation"), None)
        href = location.get("href") if location is not None else None
        if not href:
            continue
        checksum = next(stream.iter("{*}checksum", "checksum"), None)
        size = stream.get("size")
        entries[Path(href).as_posix().removeprefix("./")] = ManifestEntry(
            int(size) if size and size.isdigit() else None,
            checksum.get("checksumName") if checksum is not None else None,
            (checksum.text or "").strip().lower() if checksum is not None else None)
    return entries


def file_checksum(path: Path, algorithm: str) -> str:
    """Hex digest (lower case) of ``path`` with a manifest algorithm name ("MD5", "SHA3-256")."""
    digest = hashlib.new(_HASHES[algorithm.upper()])
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_against_manifest(safe_dir: Path, path: Path, entries: dict[str, ManifestEntry], *,
                           verify_checksum: bool = False, on_mismatch: str = "error") -> bool:
    """Compare ``path`` with its manifest.safe entry; returns False when it differs or is not listed.

    Parameters
    ----------
    verify_checksum : also recompute the checksum (reads the whole file).
    on_mismatch : "error" raises ProductReadError, "warn" logs a warning.
    """
    relative = Path(path).relative_to(safe_dir).as_posix()
    entry = entries.get(relative)
    if entry is None:
        return False
    problem = None
    actual = Path(path).stat().st_size
    if entry.size_bytes is not None and actual != entry.size_bytes:
        problem = (f"{path}: file size {actual} bytes differs from the {entry.size_bytes} bytes listed in "
                   "manifest.safe: the file is truncated or was replaced")
    elif verify_checksum and entry.checksum and (entry.checksum_name or "").upper() in _HASHES:
        found = file_checksum(path, entry.checksum_name)
        if found != entry.checksum:
            problem = (f"{path}: {entry.checksum_name} checksum {found} differs from {entry.checksum} in "
                       "manifest.safe: the file is corrupt or was replaced")
    if problem is None:
        return True
    if on_mismatch == "error":
        raise ProductReadError(problem)
    log.warning("%s", problem)
    return False


# --------------------------------------------------------------------------- the L1C product
def expected_band_shape(product: Any, band: str) -> tuple[int, int]:
    """(rows, cols) of ``band`` from the tile geoposition of its native resolution (MTD_TL.xml)."""
    resolution = NATIVE_RESOLUTION_M[band]
    try:
        geo = product.tile.geoposition[resolution]
    except KeyError:
        raise ProductReadError(
            f"{product.tile_mtd_path}: Geometric_Info/Tile_Geocoding has no Size/Geoposition for "
            f"resolution {resolution} m (needed for band {band})") from None
    return int(geo.nrows), int(geo.ncols)


def check_band_files(product: Any, bands: Iterable[str] = BAND_IDS, *, manifest: str = "warn",
                     verify_checksums: bool = False) -> dict[str, tuple[int, int]]:
    """Check every band JPEG 2000 of an L1C product before processing; returns {band: (rows, cols)}.

    Parameters
    ----------
    product : L1CProduct (``band_files``, ``tile.geoposition``, ``path``, ``tile_mtd_path``).
    bands : bands to check (default all 13).
    manifest : what a disagreement with manifest.safe does: "warn" (default; Sen2Cor ignores the
        manifest, and re-packaged products often carry a stale one), "error", or "off" (not read).
    verify_checksums : also recompute the manifest checksums (reads every byte: SHA3-256 ~190 MB/s here,
        about 4 s for the ~700 MB of bands of a full tile).

    Raises
    ------
    ProductReadError
        Naming the band file and what is wrong with it (missing, truncated, undecodable header,
        wrong size: expected vs found rows x cols; with ``manifest="error"`` a size/checksum mismatch).
    """
    if manifest not in ("warn", "error", "off"):
        raise ValueError(f"manifest={manifest!r}; expected 'warn', 'error' or 'off'")
    entries = read_manifest(product.path) if manifest != "off" else {}
    shapes = {}
    for band in bands:
        path = Path(product.band_files[band])
        label = f"band {band} ({NATIVE_RESOLUTION_M[band]} m)"
        if not path.is_file():
            raise ProductReadError(f"{path}: {label} file listed in MTD_MSIL1C.xml is missing")
        if entries:
            check_against_manifest(product.path, path, entries, verify_checksum=verify_checksums,
                                   on_mismatch=manifest)
        shapes[band] = check_jp2_file(path, expected_band_shape(product, band), label=label)
    log.debug("checked %d band files of %s", len(shapes), Path(product.path).name)
    return shapes


# --------------------------------------------------------------------------- empty tiles
def warn_if_no_data(nodata: np.ndarray, *, tile_id: str, resolution_m: int) -> bool:
    """Log Sen2Cor's warning for a tile without any valid pixel; returns True for such a tile.

    Sen2Cor 2.1/2.3 (release note §3.1.3.2.6): the atmospheric correction cannot work on an empty tile,
    so processing of that tile stops with a warning instead of an error; the product stays valid
    (every pixel SCL 0 NO_DATA, NODATA_PIXEL_PERCENTAGE 100).

    Parameters
    ----------
    nodata : boolean mask, True where the pixel has no data.
    tile_id : e.g. "29UNU", for the message.
    resolution_m : resolution of the mask, for the message.
    """
    if nodata.size and not bool(np.all(nodata)):
        return False
    log.warning("tile %s contains no valid pixel at %d m (all no-data): the scene classification labels "
                "every pixel NO_DATA and the atmospheric correction is skipped", tile_id, resolution_m)
    return True
