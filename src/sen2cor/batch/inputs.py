"""What ``L2A_Batch`` processes: L1C products found from the command-line inputs.

An input is an L1C product folder (``*.SAFE`` holding MTD_MSIL1C.xml), a ``.zip`` archive as downloaded
from the Copernicus hubs (``<name>.SAFE.zip`` or ``<name>.zip``), a glob pattern (``'/data/*.zip'``,
expanded here when the shell did not), a folder scanned for products (with its sub-folders; product
folders are not entered), or a text file with one input per line (blank lines and ``#`` comments
ignored; relative paths are taken from the list file's folder). In ``--mode process_tile`` the products
are L1C tile folders (``S2?_OPER_MSI_L1C_TL*`` or ``L1C_T*``) instead.

Inputs that do not exist become items with an ``error``: they are reported as failed in the summary
and do not stop the others.
"""
from __future__ import annotations

import glob
import logging
import os
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from sen2cor.errors import UsageError

log = logging.getLogger(__name__)

SAFE, ZIP, TILE = "safe", "zip", "tile"
L1C_METADATA = "MTD_MSIL1C.xml"
TILE_PATTERNS = ("S2?_OPER_MSI_L1C_TL*", "L1C_T*")
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class BatchItem:
    """One product of a batch: its name (L1C product or tile folder name, without ``.SAFE``), where it
    is, what it is (``safe``, ``zip`` or ``tile``) and, for an input that cannot be used, why."""

    name: str
    source: Path
    kind: str
    error: str | None = None


def collect_inputs(inputs: Sequence[str | Path], *, tiles: bool = False, cwd: Path | None = None
                   ) -> list[BatchItem]:
    """Items for ``inputs`` in the order given, each product once (the first occurrence wins).

    Raises UsageError when no input is given or a list file cannot be read.
    """
    if not inputs:
        raise UsageError("no input given: name L1C products, .zip archives, folders, glob patterns or list files")
    base = Path.cwd() if cwd is None else Path(cwd)
    items: dict[str, BatchItem] = {}
    for item in _expand(inputs, base, tiles, seen_lists=set()):
        first = items.get(item.name)
        if first is None:
            items[item.name] = item
        elif first.source != item.source:
            log.warning("%s is given twice (%s and %s); processing %s", item.name, first.source, item.source,
                        first.source)
    return list(items.values())


def archive_product_name(archive: Path) -> str:
    """Name of the L1C product inside a .zip archive (its top folder ``<name>.SAFE``), from the archive's
    directory alone; the file name without ``.zip`` / ``.SAFE.zip`` when the archive cannot be read."""
    return _l1c_in_archive(archive) or archive.name.removesuffix(".zip").removesuffix(".SAFE")


def _l1c_in_archive(archive: Path) -> str | None:
    try:
        with zipfile.ZipFile(archive) as zf:
            for member in zf.namelist():
                top, _, rest = member.partition("/")
                if top.endswith(".SAFE") and rest == L1C_METADATA:
                    return top.removesuffix(".SAFE")
    except (OSError, zipfile.BadZipFile):
        pass
    return None


def _holds_l1c(archive: Path) -> bool:
    return _l1c_in_archive(archive) is not None


def is_l1c_product(folder: Path) -> bool:
    return (folder / L1C_METADATA).is_file()


def is_l1c_tile(folder: Path) -> bool:
    if not any(fnmatch(folder.name, p) for p in TILE_PATTERNS):
        return False
    return (folder / "MTD_TL.xml").is_file() or any(folder.glob("S2?_OPER_MTD_L1C_TL_*.xml"))


# --------------------------------------------------------------------------- expansion
def _expand(inputs: Iterable[str | Path], base: Path, tiles: bool, seen_lists: set[Path]) -> Iterable[BatchItem]:
    for raw in inputs:
        text = os.path.expanduser(str(raw))
        path = Path(os.path.abspath(base / text))
        if _GLOB_CHARS & set(text) and not path.exists():
            matches = sorted(glob.glob(str(path)))
            if not matches:
                yield BatchItem(Path(text).name, path, SAFE, f"no file or folder matches {text!r}")
            for match in matches:
                yield from _expand([match], base, tiles, seen_lists)
            continue
        if not path.exists():
            yield BatchItem(path.name.removesuffix(".zip").removesuffix(".SAFE"), path, SAFE,
                            f"input {path} does not exist")
        elif path.is_dir():
            yield from _folder(path, tiles)
        elif path.suffix.lower() == ".zip":
            if tiles:
                yield BatchItem(path.name, path, ZIP, f"{path}: archives are not accepted with --mode process_tile; "
                                                      "give L1C tile folders")
            else:
                yield BatchItem(archive_product_name(path), path, ZIP)
        else:
            yield from _list_file(path, tiles, seen_lists)


def _folder(path: Path, tiles: bool) -> Iterable[BatchItem]:
    """The folder itself when it is a product (tile), else the products (tiles) below it."""
    if not tiles and is_l1c_product(path):
        yield BatchItem(path.name.removesuffix(".SAFE"), path, SAFE)
        return
    if tiles and is_l1c_tile(path):
        yield BatchItem(path.name, path, TILE)
        return
    found = 0
    for root, dirs, files in os.walk(path):
        dirs.sort()
        here = Path(root)
        for name in list(dirs):
            sub = here / name
            if not tiles and is_l1c_product(sub):
                yield BatchItem(name.removesuffix(".SAFE"), sub, SAFE)
            elif tiles and is_l1c_tile(sub):
                yield BatchItem(name, sub, TILE)
            else:
                continue
            dirs.remove(name)   # never look inside a product
            found += 1
        if not tiles:
            for name in sorted(f for f in files if f.lower().endswith(".zip")):
                if _holds_l1c(here / name) or "MSIL1C" in name:
                    yield BatchItem(archive_product_name(here / name), here / name, ZIP)
                    found += 1
    if not found:
        log.warning("no L1C %s found in folder %s", "tile" if tiles else "product", path)


def _list_file(path: Path, tiles: bool, seen_lists: set[Path]) -> Iterable[BatchItem]:
    resolved = path.resolve()
    if resolved in seen_lists:
        raise UsageError(f"list file {path} includes itself (directly or through another list)")
    seen_lists.add(resolved)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the list file {path}: {exc}; expected a text file with one L1C product, "
                         "archive or folder per line") from exc
    entries = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    yield from _expand(entries, path.parent, tiles, seen_lists)
