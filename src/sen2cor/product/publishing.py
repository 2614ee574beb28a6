"""Atomic output folders: reserve a name, assemble the folder hidden, publish it by one rename.

A run reserves the final name ``<out>/<name>`` by creating the hidden container ``<out>/.<name>.tmp``
and assembles the product inside it, as ``<out>/.<name>.tmp/<name>``; publishing renames that folder
to ``<out>/<name>`` (never over an existing one) and removes the container. So a product is either
complete under its final name or absent, whatever happens to the run.

Ownership survives process-id reuse (containers, where every run may be PID 1): the container holds a
lock file on which the live run keeps an exclusive ``flock``. The kernel drops the lock when the
process dies however it dies (SIGKILL included), so a container whose lock can be taken belongs to
nobody and is removed by the next run (:func:`remove_stale`). The lock file also records host, process
id and start time, for the messages.

The container appears under its name only once its lock is held: it is built as a uniquely named
staging folder (``.<name>.new-<pid>-<random>``) and renamed, which fails when another run holds the
name. On network file systems (where another host's run may be alive and locks may be emulated) a
free container is only removed after :data:`NETWORK_MIN_AGE_S` without any change inside.
"""
from __future__ import annotations

import ctypes
import errno
import fcntl
import logging
import os
import secrets
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sen2cor.errors import OutputError

log = logging.getLogger(__name__)

CONTAINER_SUFFIX = ".tmp"
LOCK_NAME = ".sen2cor.lock"
#: Minimum age (s, newest modification inside) of a folder whose lock cannot be judged (no lock file: killed
#: between mkdir and open; or a file system without locks) before it is taken for stale.
UNLOCKED_MIN_AGE_S = 6 * 3600.0
#: Minimum age (s, newest modification inside) of a free container on a network file system before removal.
NETWORK_MIN_AGE_S = 6 * 3600.0
#: File system types on which another host may own a folder (locks may be emulated or local only).
NETWORK_FILESYSTEMS = frozenset({
    "nfs", "nfs4", "cifs", "smb3", "smbfs", "lustre", "gpfs", "beegfs", "ceph", "glusterfs", "fuse.glusterfs",
    "fuse.sshfs", "fuse.s3fs", "fuse.gcsfuse", "afs", "9p", "panfs", "wekafs", "fuse.juicefs",
})

_RENAME_NOREPLACE = 1
_AT_FDCWD = -100
_registry: dict[Path, Reservation] = {}


@dataclass
class Reservation:
    """A reserved output name, held by this process until published or discarded."""

    final: Path
    container: Path
    lock_fd: int = field(repr=False)

    @property
    def work(self) -> Path:
        """Where the folder is assembled: ``<out>/.<name>.tmp/<name>``."""
        return self.container / self.final.name

    def publish(self) -> Path:
        """Rename the finished folder to its final name (never over an existing one); returns it."""
        try:
            rename_no_replace(self.work, self.final)
        except FileExistsError:
            raise OutputError(f"output {self.final} already exists; not overwriting it") from None
        except OSError as exc:
            raise OutputError(f"cannot rename {self.work} to {self.final}: {exc}") from exc
        self._drop_container()
        return self.final

    def discard(self) -> None:
        """Remove the folder and the container (after a failure); never raises."""
        shutil.rmtree(self.work, ignore_errors=True)
        if self.work.exists():
            log.error("could not remove the temporary folder %s", self.work)
        self._drop_container()

    def _drop_container(self) -> None:
        _registry.pop(self.work, None)
        try:
            (self.container / LOCK_NAME).unlink(missing_ok=True)
            self.container.rmdir()
        except OSError as exc:  # left behind, the next run removes it (its lock is free then)
            log.warning("could not remove the temporary folder %s: %s", self.container, exc)
        finally:
            _close(self.lock_fd)
            self.lock_fd = -1


def container_of(final: Path) -> Path:
    """``<out>/.<name>.tmp`` for ``<out>/<name>``."""
    return final.with_name(f".{final.name}{CONTAINER_SUFFIX}")


def final_location(path: Path) -> Path:
    """Where a folder being assembled will be published: ``<out>/.<name>.tmp/<name>`` -> ``<out>/<name>``
    (any other path is returned as it is)."""
    path = Path(path)
    if path.parent.name == f".{path.name}{CONTAINER_SUFFIX}":
        return path.parent.parent / path.name
    return path


def owner_line() -> str:
    """``host=<h> pid=<p> started=<UTC time>``: who holds a reservation (for the messages)."""
    started = datetime.fromtimestamp(_process_start_s(), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"host={socket.gethostname()} pid={os.getpid()} started={started}"


def reserve(final: Path) -> Reservation | None:
    """Reserve ``final`` for this process, or None when it exists or a live run holds it.

    Raises OutputError when the output directory cannot be written.
    """
    final = Path(final)
    if final.exists():
        return None
    staging = final.with_name(f".{final.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    fd = -1
    try:
        staging.mkdir()
        fd = os.open(staging / LOCK_NAME, os.O_CREAT | os.O_RDWR | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:   # a file system without locks: others judge the folder by its age only
            log.debug("no lock on %s (%s); a leftover will be removed after %.0f s without change", staging, exc,
                      UNLOCKED_MIN_AGE_S)
        os.write(fd, (owner_line() + "\n").encode())
        (staging / final.name).mkdir()
        os.rename(staging, container_of(final))
    except OSError as exc:
        _close(fd)
        shutil.rmtree(staging, ignore_errors=True)
        if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
            return None
        raise OutputError(f"cannot create a temporary folder in {final.parent}: {exc}") from exc
    reservation = Reservation(final, container_of(final), fd)
    if final.exists():  # published by another run between the check and the rename
        reservation.discard()
        return None
    _registry[reservation.work] = reservation
    return reservation


def reservation_for(work: Path) -> Reservation | None:
    """The live reservation of this process whose folder is ``work``."""
    return _registry.get(Path(work))


def rename_no_replace(source: Path, target: Path) -> None:
    """``rename(2)`` that fails with FileExistsError instead of replacing ``target`` (renameat2
    RENAME_NOREPLACE where the kernel and file system offer it, else an existence check first)."""
    renameat2 = getattr(_libc(), "renameat2", None)
    if renameat2 is not None:
        if renameat2(_AT_FDCWD, os.fsencode(source), _AT_FDCWD, os.fsencode(target), _RENAME_NOREPLACE) == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
            raise OSError(code, os.strerror(code), str(target))
    if os.path.lexists(target):
        raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(target))
    os.rename(source, target)


# --------------------------------------------------------------------------- leftovers of dead runs
def leftovers(folder: Path, name_glob: str) -> list[Path]:
    """Containers, staging and trash folders of ``name_glob`` names in ``folder`` (live ones included)."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = set()
    for pattern in (f".{name_glob}{CONTAINER_SUFFIX}", f".{name_glob}.new-*", f".{name_glob}.stale-*"):
        found.update(p for p in folder.glob(pattern) if p.is_dir())
    return sorted(found)


def is_stale(path: Path) -> bool:
    """True when no live run holds ``path`` (a container or staging folder); trash folders always are."""
    if ".stale-" in path.name:
        return True
    state = _lock_state(path)
    if state is None:
        return time.time() - newest_change_s(path) >= UNLOCKED_MIN_AGE_S
    return not state


def remove_stale(folder: Path, name_glob: str, *, min_age_s: float | None = None,
                 now_s: float | None = None) -> list[Path]:
    """Delete the leftovers (see :func:`leftovers`) of runs that no longer exist; returns those removed.

    Parameters
    ----------
    folder : output directory to clean (a missing folder gives []).
    name_glob : names of the outputs, e.g. ``S2*_MSIL2A_*.SAFE``.
    min_age_s : only remove folders unchanged for at least this many seconds. Default: 0 on a local file
        system (the lock is reliable), :data:`NETWORK_MIN_AGE_S` on a network one.
    now_s : current time (s since the epoch), for tests.
    """
    candidates = [p for p in leftovers(folder, name_glob) if is_stale(p)]
    if not candidates:
        return []
    if min_age_s is None:
        min_age_s = NETWORK_MIN_AGE_S if filesystem_type(Path(folder)) in NETWORK_FILESYSTEMS else 0.0
    now_s = time.time() if now_s is None else now_s
    removed = []
    for path in candidates:
        age_s = now_s - newest_change_s(path)
        if age_s < min_age_s:
            log.info("temporary folder %s of a finished run was changed %.0f s ago; left in place (removed after "
                     "%.0f s without change on this network file system)", path.name, age_s, min_age_s)
            continue
        owner = _owner(path)
        trash = path
        if ".stale-" not in path.name:  # out of the way first: the name is free again at once
            trash = path.with_name(f".{_output_name(path)}.stale-{secrets.token_hex(4)}")
            try:
                os.rename(path, trash)
            except OSError:
                trash = path
        shutil.rmtree(trash, ignore_errors=True)
        if trash.exists():
            log.warning("could not remove the temporary folder %s left by an interrupted run", trash)
            continue
        log.info("removed the temporary folder %s left by an interrupted run%s", path.name,
                 f" ({owner})" if owner else "")
        removed.append(path)
    return removed


def filesystem_type(path: Path) -> str:
    """Type of the file system holding ``path`` (from /proc/mounts; "" when unknown)."""
    target = os.path.realpath(path)
    best, fstype = "", ""
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            for line in mounts:
                fields = line.split()
                if len(fields) < 3:
                    continue
                mount_point = fields[1].replace("\\040", " ")
                inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
                if inside and len(mount_point) >= len(best):
                    best, fstype = mount_point, fields[2]
    except OSError:
        return ""
    return fstype


def newest_change_s(folder: Path) -> float:
    """Latest modification time (s since the epoch) of ``folder`` and everything inside it."""
    newest = Path(folder).stat().st_mtime
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            try:
                newest = max(newest, os.lstat(os.path.join(root, name)).st_mtime)
            except FileNotFoundError:
                continue
    return newest


# --------------------------------------------------------------------------- internals
def _lock_state(path: Path) -> bool | None:
    """True: a live run holds the lock of ``path``; False: free; None: no lock file (or locks unsupported)."""
    try:
        fd = os.open(Path(path) / LOCK_NAME, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:  # e.g. ENOLCK on a network file system without locking
        return None
    finally:
        os.close(fd)
    return False


def _output_name(path: Path) -> str:
    """``<name>`` of ``.<name>.tmp``, ``.<name>.new-<pid>-<token>`` or ``.<name>.stale-<token>``."""
    name = Path(path).name[1:]
    if name.endswith(CONTAINER_SUFFIX):
        return name[: -len(CONTAINER_SUFFIX)]
    for marker in (".new-", ".stale-"):
        if marker in name:
            return name.rsplit(marker, 1)[0]
    return name


def _owner(path: Path) -> str:
    try:
        return (Path(path) / LOCK_NAME).read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


def _process_start_s() -> float:
    """Start time of this process (s since the epoch), from /proc (now when unavailable)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime:
            up_s = float(uptime.read().split()[0])
        return time.time() - up_s + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.time()


def _libc():
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _close(fd: int) -> None:
    if fd >= 0:
        try:
            os.close(fd)
        except OSError:
            pass
