"""L1C ``.zip`` archives: unpacked into a temporary folder for one run, then removed.

The JPEG 2000 reader needs files, so an archive is unpacked next to the outputs (``--work_dir``, else the
output folder: a place sized for products, unlike a node's /tmp), hidden in
``.L2A_Batch-unzip-<product>.tmp/`` and owned like a product being written (a lock held by the live
process, :mod:`sen2cor.product.publishing`). The folder is removed when the run ends, whatever its outcome;
a worker killed with SIGKILL leaves it behind, and :func:`remove_stale_unpacked` (called when a batch
starts and ends) removes those that no live process holds. The archive is only read.
"""
from __future__ import annotations

import contextlib
import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.product import publishing

log = logging.getLogger(__name__)

PREFIX = "L2A_Batch-unzip-"


@contextlib.contextmanager
def unpacked(archive: Path, into: Path, product: str) -> Iterator[Path]:
    """Unpack ``archive`` below ``into``; yields the ``<name>.SAFE`` folder; always removes what it wrote.

    Raises ProductReadError naming the archive when it is not a readable zip, holds unsafe member names
    (absolute or with ``..``) or no ``*.SAFE/MTD_MSIL1C.xml``; OutputError when ``into`` is not writable
    or another live run is unpacking the same product there.
    """
    into = Path(into)
    into.mkdir(parents=True, exist_ok=True)
    reservation = publishing.reserve(into / f"{PREFIX}{product}")
    if reservation is None:
        raise OutputError(f"{into}: another running batch is unpacking {product} there; expected one run per "
                          "product at a time")
    try:
        yield _extract(Path(archive), reservation.work)
    finally:
        reservation.discard()


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
    """Remove the unpacked archives in ``folder`` that no live process holds; returns them."""
    return publishing.remove_stale(Path(folder), f"{PREFIX}*")
