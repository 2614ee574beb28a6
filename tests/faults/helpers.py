"""Helpers of the fault tests: damaged copies of a generated L1C product, tree digests, CLI runs."""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np

from sen2cor.io.jp2 import L2A_PROFILES, write_jp2

REPO = Path(__file__).resolve().parents[2]


def tree_digest(root: Path) -> dict[str, str]:
    """{relative path: sha256 of the content, or 'dir'} of every entry below ``root`` (hidden ones too)."""
    entries = {}
    for path in sorted(Path(root).rglob("*")):
        key = path.relative_to(root).as_posix()
        entries[key] = "dir" if path.is_dir() else hashlib.sha256(path.read_bytes()).hexdigest()
    return entries


def copy_product(safe: Path, target_dir: Path) -> Path:
    """A private copy of the product ``safe`` inside ``target_dir`` (same folder name)."""
    target_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copytree(safe, target_dir / safe.name))


def band_file(safe: Path, band: str) -> Path:
    """The IMG_DATA JPEG 2000 of ``band`` in a compact L1C product."""
    (path,) = safe.glob(f"GRANULE/*/IMG_DATA/*_{band}.jp2")
    return path


def tile_mtd(safe: Path) -> Path:
    (path,) = safe.glob("GRANULE/*/MTD_TL.xml")
    return path


def replace_band_image(path: Path, image: np.ndarray) -> None:
    """Overwrite a band file by a valid lossless JPEG 2000 of ``image`` (uint16)."""
    path.unlink()
    write_jp2(path, image.astype(np.uint16), None, L2A_PROFILES[20])


def corrupt_tile_part_length(path: Path) -> None:
    """Set the Psot field (tile-part length) of the first SOT marker to 2**31 - 1 bytes: the boxes and
    the main header stay valid, OpenJPEG fails only when decoding."""
    data = bytearray(path.read_bytes())
    sot = data.find(b"\xff\x90")
    assert sot > 0, f"no SOT marker in {path}"
    data[sot + 6:sot + 10] = (2**31 - 1).to_bytes(4, "big")
    path.write_bytes(bytes(data))


def leftovers(output_dir: Path) -> list[str]:
    """Everything in ``output_dir`` (hidden temporaries included); [] when it does not exist."""
    return sorted(p.name for p in output_dir.iterdir()) if output_dir.exists() else []


def set_read_only(root: Path, read_only: bool = True) -> None:
    """chmod every entry below (and including) ``root`` to read-only, or back to user-writable. Symbolic
    links are left alone: chmod would follow them (products assembled from ../shared link into it)."""
    for path in [root, *root.rglob("*")]:
        if path.is_symlink():
            continue
        mode = path.stat().st_mode
        path.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) if read_only else mode | stat.S_IWUSR)


def try_mount(args: list[str]) -> str | None:
    """Run ``mount`` with ``args``; None on success, else the reason it is not permitted here."""
    if shutil.which("mount") is None:
        return "the mount command is not installed"
    if os.geteuid() != 0:
        return "mounting needs root (CAP_SYS_ADMIN)"
    result = subprocess.run(["mount", *args], check=False, capture_output=True, text=True)
    if result.returncode != 0:
        return f"mount {' '.join(args)} is not permitted here: {result.stderr.strip()}"
    return None


def umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=False, capture_output=True)


def cli_subprocess(args: list[str], home: Path, *, preamble: str = "") -> subprocess.Popen:
    """Start ``L2A_Process args`` as ``python -c`` in a child (``preamble`` runs first, e.g. setrlimit)."""
    code = f"{preamble}\nimport sys\nfrom sen2cor.cli import main\nsys.exit(main({args!r}))\n"
    env = dict(os.environ, SEN2COR_HOME=str(home))
    return subprocess.Popen([sys.executable, "-c", code], env=env, cwd=str(REPO),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def abandon(final: Path, content: str = "GRANULE") -> Path:
    """The hidden folder of a run that reserved ``final`` and died without publishing it: a child process
    reserves the name, writes ``content`` (a folder) into it and exits (the kernel releases its lock)."""
    code = ("import os\nfrom pathlib import Path\nfrom sen2cor.product.publishing import reserve\n"
            f"r = reserve(Path({str(final)!r}))\n(r.work / {content!r}).mkdir()\nos._exit(0)\n")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=str(REPO))
    container = final.with_name(f".{final.name}.tmp")
    assert (container / final.name / content).is_dir()
    return container


#: (exit code, stderr + log text) of every run of the current test; checked against its fault case.
SEEN: list[tuple[int, str]] = []


def record(code: int, text: str) -> tuple[int, str]:
    """Note a run's exit code and output for the fault-case check (tests/faults/conftest.py)."""
    SEEN.append((code, text))
    return code, text
