"""PDGS input folders, their metadata files, and atomic output folders (manual §3.3.1, config facts §7.2).

Inputs come in standard SAFE (``S2A_OPER_MSI_L1C_DS_...`` holding ``S2A_OPER_MTD_L1C_DS_....xml``) or compact
SAFE form (``DS_...`` / ``L1C_T...`` holding ``MTD_DS.xml`` / ``MTD_TL.xml``); outputs are standard SAFE
folders written under a hidden temporary name and renamed when complete.
"""

from __future__ import annotations

import fnmatch
import logging
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from sen2cor.errors import ConfigError, OutputError, ProductError, ProductReadError
from sen2cor.product.metadata import child, local, text_of
from sen2cor.product import publishing
from sen2cor.product.writer import discard_product, rename_into_place

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FolderKind:
    """Accepted folder masks (fnmatch) and metadata file masks of one PDGS input."""

    what: str
    folder_masks: tuple[str, ...]
    metadata_masks: tuple[str, ...]
    root_element: str


L1C_DATASTRIP = FolderKind("L1C datastrip", ("S2?_OPER_MSI_L1C_DS*", "DS_*"),
                           ("MTD_DS.xml", "S2?_OPER_MTD_L1C_DS_*.xml"), "Level-1C_DataStrip_ID")
L2A_DATASTRIP = FolderKind("L2A datastrip", ("S2?_OPER_MSI_L2A_DS*", "DS_*"),
                           ("MTD_DS.xml",), "Level-2A_DataStrip_ID")
L1C_TILE = FolderKind("L1C tile", ("S2?_OPER_MSI_L1C_TL*", "L1C_T*"),
                      ("MTD_TL.xml", "S2?_OPER_MTD_L1C_TL_*.xml"), "Level-1C_Tile_ID")

_TILE_NAME = re.compile(r"_A(?P<orbit>\d{6})_T(?P<tile>\d{2}[A-Z]{3})(_|$)")
_COMPACT_TILE = re.compile(r"^L1C_T(?P<tile>\d{2}[A-Z]{3})_A(?P<orbit>\d{6})_")
_L2A_DS_NAME = re.compile(
    r"^(?P<sc>S2[A-D])_OPER_MSI_L2A_DS_(?P<centre>.{4})_(?P<created>\d{8}T\d{6})_S(?P<start>\d{8}T\d{6})"
    r"_N(?P<baseline>\d{2}\.\d{2})$"
)


def check_folder(folder: Path | None, kind: FolderKind, option: str) -> Path:
    """The existing input folder ``folder`` (given by ``option``), checked against the masks of ``kind``."""
    if folder is None:
        raise ConfigError(f"{option} is required: the {kind.what} folder")
    folder = Path(folder).absolute()
    if not folder.is_dir():
        raise ProductError(f"{option} {folder}: the {kind.what} folder does not exist")
    if not any(fnmatch.fnmatch(folder.name, mask) for mask in kind.folder_masks):
        raise ProductError(
            f"{option} {folder}: the {kind.what} folder name must match "
            f"{' (standard SAFE) or '.join(kind.folder_masks)} (compact SAFE), but is {folder.name!r}"
        )
    return folder


def metadata_file(folder: Path, kind: FolderKind) -> Path:
    """The metadata file of an input folder (first mask that matches exactly one file)."""
    for mask in kind.metadata_masks:
        found = sorted(p for p in folder.glob(mask) if p.is_file())
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise ProductReadError(f"{folder}: several {kind.what} metadata files match {mask}: "
                                   f"{', '.join(p.name for p in found)}; expected exactly one")
    raise ProductReadError(f"{folder}: {kind.what} metadata file missing; expected "
                           f"{' or '.join(kind.metadata_masks)}")


def read_metadata(path: Path, kind: FolderKind) -> etree._Element:
    """Parse a metadata file and check its root element is that of ``kind``."""
    try:
        root = etree.parse(str(path), etree.XMLParser(remove_blank_text=True)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ProductReadError(f"cannot read {kind.what} metadata {path}: {exc}") from exc
    if local(root) != kind.root_element:
        hint = ""
        if local(root) == "Level-1C_DataStrip_ID" and kind is L2A_DATASTRIP:
            hint = "; run --mode generate_datastrip on it first and pass the resulting L2A datastrip"
        raise ProductError(f"{path}: root element is {local(root)!r}; expected {kind.root_element} "
                           f"({kind.what}){hint}")
    return root


def required_text(root: etree._Element, path: Path, *names: str) -> str:
    """Text of ``names`` below ``root``; ProductReadError naming file and element when absent/empty."""
    value = text_of(root, *names)
    if not value:
        raise ProductReadError(f"{path}: element {'/'.join(names)} is missing or empty")
    return value


def spacecraft_of(root: etree._Element, folder_name: str, path: Path) -> str:
    """"S2A"/"S2B"/"S2C" from SPACECRAFT_NAME, DATASTRIP_ID, the folder name or the datatake id."""
    name = text_of(root, "General_Info", "SPACECRAFT_NAME") or ""
    if re.fullmatch(r"Sentinel-2[A-D]", name):
        return "S2" + name[-1]
    candidates = [text_of(root, "General_Info", "DATASTRIP_ID") or "", folder_name]
    datatake = child(root, "General_Info", "Datatake_Info")
    if datatake is not None:
        candidates.append((datatake.get("datatakeIdentifier") or "")[1:])
    for text in candidates:
        if re.match(r"^S2[A-D]_", text):
            return text[:3]
    raise ProductReadError(f"{path}: spacecraft unknown; expected General_Info/SPACECRAFT_NAME "
                           "(Sentinel-2A/B/C) or a DATASTRIP_ID / folder name starting with "
                           "S2A_, S2B_ or S2C_")


def psd_major(root: etree._Element) -> int:
    """15 when the metadata namespace is PSD 15, else 14."""
    return 15 if "psd-15." in (etree.QName(root).namespace or "") else 14


def tile_and_orbit(folder_name: str, tile_identifier: str, path: Path) -> tuple[str, int]:
    """(tile "05VPH", absolute orbit) from the tile folder name or the long TILE_ID."""
    for text in (folder_name, tile_identifier):
        match = _COMPACT_TILE.match(text) or _TILE_NAME.search(text)
        if match:
            return match["tile"], int(match["orbit"])
    raise ProductReadError(f"{path}: no tile and absolute orbit in folder name {folder_name!r} or "
                           f"General_Info/TILE_ID {tile_identifier!r}; expected ..._A<6 digits>_T<tile>...")


def parse_l2a_datastrip_name(name: str) -> dict[str, str] | None:
    """Fields of ``S2A_OPER_MSI_L2A_DS_<centre>_<created>_S<start>_N<dd.dd>`` (None for other names)."""
    match = _L2A_DS_NAME.match(name)
    return match.groupdict() if match else None


# --------------------------------------------------------------------------- atomic output folders
def writable_dir(folder: Path | None, option: str) -> Path:
    """Create ``folder`` if needed and check it is writable (OutputError naming the option)."""
    if folder is None:
        raise OutputError(f"{option} is required in PDGS mode")
    folder = Path(folder).absolute()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{option} {folder} cannot be created: {exc}") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"{option} {folder} is not writable")
    return folder


def temporary_for(final: Path) -> Path:
    """Reserve ``final`` and return the hidden folder ``.<name>.tmp/<name>`` in which it is assembled
    (:mod:`sen2cor.product.publishing`); OutputError when the name is taken."""
    reservation = publishing.reserve(final)
    if reservation is None:
        raise OutputError(f"output {final} already exists or is being written by another run; not overwriting it")
    return reservation.work


def remove_stale(folder: Path, name_mask: str) -> None:
    """Remove the temporary folders of ``name_mask`` outputs in ``folder`` left by runs that died (e.g. SIGKILL)."""
    publishing.remove_stale(folder, name_mask)


def publish(temporary: Path, final: Path) -> Path:
    """Rename the finished temporary folder to its final name."""
    reservation = publishing.reservation_for(temporary)
    return reservation.publish() if reservation is not None else rename_into_place(temporary, final)


def discard(temporary: Path) -> None:
    """Remove a temporary folder after a failure (never raises)."""
    discard_product(temporary)


def copy_files(source: Path, target: Path) -> None:
    """Copy the regular files below ``source`` into ``target`` (sub-folders kept, symlinks followed)."""
    if not source.is_dir():
        return
    for path in sorted(source.rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)
