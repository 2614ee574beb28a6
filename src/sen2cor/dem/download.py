"""Fetch DEM geocells over HTTP(S) into DEM_Directory, atomically and safely in parallel.

Each file is written to a private temporary file in the destination folder, checked
(length, zip CRC or GDAL readability) and renamed into place with :func:`os.replace`, so
readers never see a partial file. A ``<file>.lock`` on which the downloading process holds an
exclusive ``flock`` tells other processes sharing the directory that the file is on its way; they
wait (bounded) for it instead of downloading it again. The kernel releases the lock when its holder
dies, however it dies: a lock file left by a killed run is taken over at once (INFO line), and the
``.part`` files of that run are removed. Every network call has a timeout and the whole transfer a
deadline.
"""

from __future__ import annotations

import fcntl
import http.client
import logging
import os
import socket
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

from osgeo import gdal

from sen2cor.errors import DemError

log = logging.getLogger(__name__)

gdal.UseExceptions()

#: Socket timeout for connecting and for each read, seconds.
DEFAULT_TIMEOUT_S = 60.0
#: Deadline for one file, seconds (a 5x5 SRTM zip is ~25 MB, a GLO-30 COG ~30 MB).
DEFAULT_DEADLINE_S = 900.0
#: How long a process waits for another one's download of the same file, seconds.
DEFAULT_LOCK_WAIT_S = 900.0
_CHUNK_BYTES = 1 << 20
_POLL_S = 0.1
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def join_url(base: str, relative: str) -> str:
    """``base`` (DEM_Reference, trailing blanks ignored) joined with a geocell path."""
    base = base.strip()
    return base + relative if base.endswith("/") else f"{base}/{relative}"


def fetch(
    url: str,
    destination: Path,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    deadline_s: float = DEFAULT_DEADLINE_S,
    lock_wait_s: float = DEFAULT_LOCK_WAIT_S,
) -> Path:
    """Download ``url`` to ``destination`` unless it is already there; return the path.

    Raises
    ------
    DemError
        naming the URL and the cause (HTTP status, timeout, truncated or unreadable file).
    """
    if not url.lower().startswith(("http://", "https://")):
        raise DemError(f"DEM download: only http(s) URLs are supported, got '{url}'")
    destination.parent.mkdir(parents=True, exist_ok=True)
    lock = destination.with_name(destination.name + ".lock")
    waited_until = time.monotonic() + lock_wait_s
    while not destination.is_file():
        fd = _try_lock(lock)
        if fd is not None:
            try:
                if not destination.is_file():
                    _download(url, destination, timeout_s, deadline_s)
            finally:
                lock.unlink(missing_ok=True)
                os.close(fd)
            break
        if time.monotonic() > waited_until:
            log.warning(
                "waited %.0f s for %s held by a live process; downloading it myself", lock_wait_s, lock
            )
            _download(url, destination, timeout_s, deadline_s)
            break
        time.sleep(_POLL_S)
    return destination


def _try_lock(lock: Path) -> int | None:
    """Open ``lock`` and take its exclusive flock; returns the descriptor, None while a live process holds it.

    A lock file that exists but is free was left by a process that died: it is taken over (INFO line)
    and that process's ``.part`` files are removed.
    """
    fd = os.open(lock, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        if os.fstat(fd).st_ino != os.stat(lock).st_ino:   # unlinked by its holder meanwhile: try again
            raise BlockingIOError
    except (BlockingIOError, FileNotFoundError):
        os.close(fd)
        return None
    except OSError as exc:   # no locking on this file system: fall back to the file's existence
        os.close(fd)
        log.debug("flock on %s failed (%s); downloading without a lock", lock, exc)
        return os.open(os.devnull, os.O_RDONLY)
    previous = os.read(fd, 200).decode(errors="replace").strip()
    if previous:
        parts = sorted(lock.parent.glob(f".{lock.name[:-len('.lock')]}.*.part"))
        for part in parts:
            part.unlink(missing_ok=True)
        log.info("DEM download lock %s was left by a process that no longer runs (%s); cleared it%s", lock,
                 previous, f" and removed {len(parts)} partial download(s)" if parts else "")
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"host={socket.gethostname()} pid={os.getpid()}\n".encode(), 0)
    return fd


def _open(url: str, timeout_s: float):
    host = urllib.parse.urlsplit(url).hostname or ""
    handlers = [urllib.request.ProxyHandler({})] if host in _LOOPBACK else []
    opener = urllib.request.build_opener(*handlers)
    return opener.open(
        urllib.request.Request(url, headers={"User-Agent": "sen2cor-python"}), timeout=timeout_s
    )


def _download(url: str, destination: Path, timeout_s: float, deadline_s: float) -> None:
    log.info("Trying to retrieve DEM from URL %s", url)
    start = time.monotonic()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            received, expected = _copy_body(url, out, timeout_s, start + deadline_s)
        if expected is not None and received != expected:
            raise DemError(f"DEM download {url}: truncated, received {received} of {expected} bytes")
        check_geocell_file(tmp, destination.suffix, source=url)
        os.chmod(tmp, 0o644)
        os.replace(tmp, destination)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    log.info(
        "DEM file %s retrieved (%d bytes, %.1f s)",
        destination.name,
        destination.stat().st_size,
        time.monotonic() - start,
    )


def _copy_body(url: str, out, timeout_s: float, deadline: float) -> tuple[int, int | None]:
    try:
        with _open(url, timeout_s) as response:
            length = response.headers.get("Content-Length")
            expected = int(length) if length and length.isdigit() else None
            received = 0
            while True:
                if time.monotonic() > deadline:
                    raise DemError(f"DEM download {url}: not finished within the deadline")
                chunk = response.read(_CHUNK_BYTES)
                if not chunk:
                    return received, expected
                out.write(chunk)
                received += len(chunk)
    except urllib.error.HTTPError as exc:
        raise DemError(f"DEM download {url}: HTTP {exc.code} {exc.reason}") from exc
    except urllib.error.URLError as exc:
        raise DemError(f"DEM download {url}: {exc.reason}") from exc
    except http.client.IncompleteRead as exc:
        raise DemError(
            f"DEM download {url}: truncated, connection closed after {len(exc.partial)} bytes "
            "of the last block"
        ) from exc
    except (TimeoutError, http.client.HTTPException, OSError) as exc:
        raise DemError(f"DEM download {url}: {type(exc).__name__}: {exc or 'timed out'}") from exc


def check_geocell_file(path: Path, suffix: str, *, source: str | None = None) -> None:
    """Raise DemError unless ``path`` is a complete zip (CRC-checked) or a GDAL-readable raster."""
    what = source or str(path)
    if suffix.lower() == ".zip":
        try:
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
        except (zipfile.BadZipFile, OSError) as exc:
            raise DemError(f"DEM file {what}: not a valid zip archive ({exc})") from exc
        if bad is not None:
            raise DemError(f"DEM file {what}: member {bad} is corrupt")
        return
    try:
        dataset = gdal.Open(str(path))
        band = dataset.GetRasterBand(1)
        band.ReadAsArray(0, dataset.RasterYSize - 1, dataset.RasterXSize, 1)
    except RuntimeError as exc:
        raise DemError(f"DEM file {what}: unreadable raster ({exc})") from exc
