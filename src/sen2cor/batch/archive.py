"""L1C ``.zip`` archives: unpacked into a temporary folder for one run, then removed.

The JPEG 2000 reader needs files, so an archive is unpacked next to the outputs (``--work_dir``, else the
output folder: a place sized for products, unlike a node's /tmp) into
``.L2A_Batch-unzip-<host>-<pid>-<product>``. The folder is removed when the run ends, whatever its
outcome; a worker killed with SIGKILL leaves it behind, and :func:`remove_stale_unpacked` (called when
a batch starts) removes those whose process on this host no longer exists. The archive is only read.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from sen2cor.errors import ProductReadError
from sen2cor.product.writer import pid_alive

log = logging.getLogger(__name__)

PREFIX = ".L2A_Batch-unzip-"


def host_tag() -> str:
    """This host's name without dots or dashes (it is a field of the folder name)."""
    return socket.gethostname().split(".")[0].replace("-", "_") or "localhost"


@contextlib.contextmanager
def unpacked(archive: Path, into: Path, product: str) -> Iterator[Path]:
    """Unpack ``archive`` below ``into``; yields the ``<name>.SAFE`` folder; always removes what it wrote.

    Raises ProductReadError naming the archive when it is not a readable zip, holds unsafe member names
    (absolute or with ``..``) or no ``*.SAFE/MTD_MSIL1C.xml``.
    """
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    folder = into / f"{PREFIX}{host_tag()}-{os.getpid()}-{product}"
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.mkdir()
        safe = _extract(Path(archive), folder)
        yield safe
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        if folder.exists():
            log.warning("could not remove the unpacked archive %s", folder)


def _extract(archive: Path, folder: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = zf.namelist()
            for name in names:
                member = PurePosixPath(name)
                if member.is_absolute() or ".." in member.parts:
                    raise ProductReadError(f"archive {archive}: member {name!r} points outside the archive's "
                                           "folder; expected relative paths below <product>.SAFE/")
            tops = sorted({n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".SAFE")
                           and n.split("/", 1)[-1] == "MTD_MSIL1C.xml"})
            if len(tops) != 1:
                raise ProductReadError(f"archive {archive} holds {len(tops)} L1C products (<name>.SAFE/"
                                       f"MTD_MSIL1C.xml); expected exactly one")
            zf.extractall(folder)
    except (OSError, zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise ProductReadError(f"cannot unpack archive {archive}: {exc}") from exc
    return folder / tops[0]


def remove_stale_unpacked(folder: Path) -> list[Path]:
    """Remove ``.L2A_Batch-unzip-<this host>-<pid>-*`` folders whose process no longer exists."""
    folder = Path(folder)
    removed: list[Path] = []
    if not folder.is_dir():
        return removed
    mine = f"{PREFIX}{host_tag()}-"
    for candidate in sorted(folder.glob(f"{mine}*")):
        pid_text = candidate.name[len(mine):].split("-", 1)[0]
        if not pid_text.isdigit() or pid_alive(int(pid_text)):
            continue
        shutil.rmtree(candidate, ignore_errors=True)
        if not candidate.exists():
            log.info("removed the unpacked archive %s left by an interrupted batch", candidate.name)
            removed.append(candidate)
    return removed

