"""HDF5 image and temporary databases through PyTables (manual §2.4.1).

* image database ``<name>_imgdb.h5``: L1C DN at native resolution, each band read once;
  kept over the 20 m and 10 m stages, removed after the run.
* temporary database ``<name>_resdb.h5``: resampled bands, auxiliary layers and intermediate
  products of one resolution; removed after each resolution.

Both are plain stores (what is put in comes out; no conversions), chunked in 1024 x 1024
blocks so a window or a band of rows reads only the chunks it touches. Compression follows
``Database_Compression_Level``: 0 = none; > 0 = blosc2 (lz4) at that level by default,
measured ~15x faster than zlib for a similar size (python stack facts), or ``complib='zlib'``
which is what Sen2Cor's GIPP comment names. Locations: see :func:`database_dirs`; at their peak
the two files hold about five times the size of the finished product (docs/tables.md).

Write errors (disk full, file-size limit) become one-line OutputErrors naming the file and the cause;
HDF5's own error stack goes to the log at DEBUG. PyTables' ``flush``/``close`` ignore the result of
HDF5's flush, so data held in the chunk cache could be lost without an error when the disk is full:
:meth:`Database.flush` and :meth:`Database.close` call ``H5Fflush`` themselves and check it.
"""
from __future__ import annotations

import contextlib
import ctypes
import functools
import logging
import re
from pathlib import Path
from typing import Iterator

import numpy as np
import tables

from sen2cor.errors import MissingBandError, OutputError
from sen2cor.run.output_checks import describe_write_error

log = logging.getLogger(__name__)

CHUNK_PX = 1024
DEFAULT_COMPLIB = "blosc2"
IMAGE_DB_SUFFIX = "_imgdb.h5"
TEMP_DB_SUFFIX = "_resdb.h5"
_H5_ERRNO = re.compile(r"errno = (\d+), error message = '([^']*)'")

tables.silence_hdf5_messages()   # HDF5's stack goes into the exception text; we log it at DEBUG


def hdf5_cause(exc: BaseException) -> OSError:
    """The system error inside an HDF5 error stack (e.g. errno 28, "No space left on device"), else an
    OSError holding the stack's last line; the whole stack is logged at DEBUG."""
    text = str(exc)
    log.debug("HDF5 error: %s", text)
    found = _H5_ERRNO.findall(text)
    if found:
        code, message = found[-1]
        return OSError(int(code), message)
    lines = [line.strip() for line in text.splitlines() if line.strip() and "End of HDF5" not in line]
    return OSError(lines[-1] if lines else type(exc).__name__)


@functools.lru_cache(maxsize=1)
def _h5fflush():
    """``H5Fflush`` of the HDF5 library PyTables uses (found in /proc/self/maps: the copy inside the
    PyTables distribution, else the only one loaded), or None when it cannot be told apart (GDAL may load
    another libhdf5: its file ids would mean nothing)."""
    site = Path(tables.__file__).resolve().parent.parent
    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            paths = {line.split()[-1] for line in maps if "/libhdf5" in line}
        paths = {p for p in paths if "_hl" not in Path(p).name}
        own = [p for p in paths if Path(p).resolve().is_relative_to(site)]
        chosen = own[0] if len(own) == 1 else (next(iter(paths)) if len(paths) == 1 else None)
        flush = ctypes.CDLL(chosen).H5Fflush if chosen else None
    except (OSError, AttributeError):
        return None
    if flush is not None:
        flush.argtypes, flush.restype = [ctypes.c_int64, ctypes.c_int], ctypes.c_int
    return flush


def database_dirs(tile_dir: Path, *, img_database_dir: Path | None = None,
                  res_database_dir: Path | None = None, work_dir: Path | None = None
                  ) -> tuple[Path, Path]:
    """(image database dir, temporary database dir) by Sen2Cor's rule.

    Each is ``--img_database_dir`` / ``--res_database_dir`` when given (PDGS mode), else
    ``--work_dir``, else the L2A tile directory (Toolbox mode).
    """
    fallback = Path(work_dir) if work_dir else Path(tile_dir)
    return (Path(img_database_dir) if img_database_dir else fallback,
            Path(res_database_dir) if res_database_dir else fallback)


def filters(compression_level: int, complib: str = DEFAULT_COMPLIB) -> tables.Filters | None:
    """PyTables filters for ``Database_Compression_Level`` (0 none, 1..9 ``complib``)."""
    if not 0 <= int(compression_level) <= 9:
        raise ValueError(f"Database_Compression_Level {compression_level}; expected 0..9")
    if compression_level == 0:
        return None
    return tables.Filters(complevel=int(compression_level), complib=complib, shuffle=True)


def _node_name(name: str, resolution_m: int) -> tuple[str, str]:
    return f"/R{int(resolution_m)}m", name


class Database:
    """One HDF5 file; arrays addressed by (name, resolution in metres).

    Use as a context manager; with ``remove_on_close`` the file is deleted on exit, also when
    the block raises. An existing file (left by a killed run) is truncated, never reused.
    """

    def __init__(self, path: Path, *, compression_level: int = 0, complib: str = DEFAULT_COMPLIB,
                 remove_on_close: bool = True) -> None:
        self.path = Path(path)
        self._filters = filters(compression_level, complib)
        self.remove_on_close = remove_on_close
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._h5 = tables.open_file(str(self.path), mode="w")
        except (OSError, tables.HDF5ExtError) as exc:
            cause = describe_write_error(hdf5_cause(exc) if isinstance(exc, tables.HDF5ExtError) else exc,
                                         self.path.parent)
            raise OutputError(f"cannot open database {self.path}: {cause}") from exc

    # -- lifecycle ------------------------------------------------------------------------
    def close(self, *, check: bool = True) -> None:
        """Flush (checked unless ``check`` is False), close and, with ``remove_on_close``, delete the file
        (also when the flush fails)."""
        try:
            if self._h5.isopen and check and not self.remove_on_close:
                self.flush()
        finally:
            if self._h5.isopen:
                self._h5.close()
            if self.remove_on_close:
                self.path.unlink(missing_ok=True)
                log.debug("removed database %s", self.path)

    def __enter__(self) -> "Database":
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        self.close(check=exc_type is None)

    # -- arrays ---------------------------------------------------------------------------
    def create(self, name: str, resolution_m: int, shape: tuple[int, int], dtype) -> tables.CArray:
        """Empty chunked array to be filled block by block (``node[r0:r1] = block``)."""
        where, leaf = _node_name(name, resolution_m)
        if self.has(name, resolution_m):
            self._h5.remove_node(where, leaf)
        chunk = tuple(min(CHUNK_PX, n) for n in shape[:2]) + tuple(shape[2:])
        return self._h5.create_carray(where, leaf, atom=tables.Atom.from_dtype(np.dtype(dtype)),
                                      shape=tuple(shape), chunkshape=chunk, filters=self._filters,
                                      createparents=True)

    def put(self, name: str, resolution_m: int, array: np.ndarray) -> None:
        """Store ``array`` (replacing an existing entry); a failed write (disk full, file-size limit)
        raises OutputError naming the database and the cause."""
        try:
            node = self.create(name, resolution_m, array.shape, array.dtype)
            node[...] = array
        except (OSError, tables.HDF5ExtError) as exc:
            raise self.write_error(exc, f"cannot write {name} ({resolution_m} m) into", array.nbytes) from exc

    def write_error(self, exc: BaseException, what: str, nbytes: int = 0) -> OutputError:
        """OutputError "<what> database <file>: <cause>" for a failed HDF5 write (one line)."""
        error = hdf5_cause(exc) if isinstance(exc, tables.HDF5ExtError) else exc
        return OutputError(f"{what} database {self.path}: {describe_write_error(error, self.path.parent, nbytes)}")

    def get(self, name: str, resolution_m: int,
            window: tuple[slice, slice] | None = None) -> np.ndarray:
        """The stored array, or only ``window`` (row slice, column slice) of it."""
        node = self._node(name, resolution_m)
        return node[window] if window is not None else node.read()

    def node(self, name: str, resolution_m: int) -> tables.CArray:
        """The PyTables array itself, for block-wise reading/writing."""
        return self._node(name, resolution_m)

    def _node(self, name: str, resolution_m: int) -> tables.CArray:
        where, leaf = _node_name(name, resolution_m)
        try:
            return self._h5.get_node(where, leaf)
        except tables.NoSuchNodeError:
            raise MissingBandError(f"{name} at {resolution_m} m is not in database {self.path.name}"
                                   ) from None

    def has(self, name: str, resolution_m: int) -> bool:
        where, leaf = _node_name(name, resolution_m)
        return f"{where}/{leaf}" in self._h5

    def remove(self, name: str, resolution_m: int) -> None:
        """Drop an entry no longer needed (its space is reused by later entries)."""
        where, leaf = _node_name(name, resolution_m)
        if self.has(name, resolution_m):
            self._h5.remove_node(where, leaf)

    def names(self, resolution_m: int | None = None) -> list[tuple[str, int]]:
        """(name, resolution) of every stored array."""
        found = []
        for node in self._h5.walk_nodes("/", classname="Array"):
            res = int(node._v_parent._v_name[1:-1])
            if resolution_m is None or res == resolution_m:
                found.append((node.name, res))
        return sorted(found)

    def iter_row_blocks(self, name: str, resolution_m: int, block_rows: int = CHUNK_PX
                        ) -> Iterator[tuple[slice, np.ndarray]]:
        """(row slice, block) pairs covering the array, chunk-aligned."""
        node = self._node(name, resolution_m)
        for start in range(0, node.shape[0], block_rows):
            rows = slice(start, min(start + block_rows, node.shape[0]))
            yield rows, node[rows]

    def flush(self) -> None:
        """Write cached chunks and metadata to the file; OutputError when HDF5 reports a failure."""
        try:
            self._h5.flush()
        except (OSError, tables.HDF5ExtError) as exc:
            raise self.write_error(exc, "cannot write cached arrays into") from exc
        flush = _h5fflush()
        if flush is not None and flush(self._h5._v_objectid, 0) < 0:
            raise self.write_error(OSError("HDF5 could not write its cached data"), "cannot write cached arrays into")

    def renew(self, keep: list[tuple[str, int]]) -> None:
        """Replace the file by a fresh one holding only the ``keep`` entries (e.g. AOT, WVP,
        VIS, SCL after the 20 m stage, manual §2.4.1); everything else is dropped."""
        fresh_path = self.path.with_name(f".{self.path.stem}.renew.h5")
        try:
            with tables.open_file(str(fresh_path), mode="w") as fresh:
                for name, res in keep:
                    src = self._node(name, res)
                    where, leaf = _node_name(name, res)
                    dst = fresh.create_carray(where, leaf, atom=src.atom, shape=src.shape,
                                              chunkshape=src.chunkshape, filters=self._filters,
                                              createparents=True)
                    for start in range(0, src.shape[0], CHUNK_PX):
                        dst[start:start + CHUNK_PX] = src[start:start + CHUNK_PX]
                flush = _h5fflush()
                if flush is not None and flush(fresh._v_objectid, 0) < 0:
                    raise OSError(f"HDF5 could not write {fresh_path}")
            self._h5.close()
            fresh_path.replace(self.path)
            self._h5 = tables.open_file(str(self.path), mode="a")
        except (OSError, tables.HDF5ExtError) as exc:
            fresh_path.unlink(missing_ok=True)
            raise self.write_error(exc, "cannot renew") from exc
        log.debug("renewed %s keeping %s", self.path.name, keep)


def database_path(directory: Path, name: str, kind: str) -> Path:
    """``<directory>/<name>_imgdb.h5`` (kind 'image') or ``_resdb.h5`` (kind 'temporary')."""
    suffix = {"image": IMAGE_DB_SUFFIX, "temporary": TEMP_DB_SUFFIX}.get(kind)
    if suffix is None:
        raise ValueError(f"database kind {kind!r}; expected 'image' or 'temporary'")
    return Path(directory) / f"{name}{suffix}"


@contextlib.contextmanager
def open_databases(name: str, tile_dir: Path, *, img_database_dir: Path | None = None,
                   res_database_dir: Path | None = None, work_dir: Path | None = None,
                   compression_level: int = 0, complib: str = DEFAULT_COMPLIB
                   ) -> Iterator[tuple[Database, Database]]:
    """Image and temporary databases for one tile run; both files are removed on exit,
    including after an exception."""
    img_dir, res_dir = database_dirs(tile_dir, img_database_dir=img_database_dir,
                                     res_database_dir=res_database_dir, work_dir=work_dir)
    with contextlib.ExitStack() as stack:
        img = stack.enter_context(Database(database_path(img_dir, name, "image"),
                                           compression_level=compression_level, complib=complib))
        tmp = stack.enter_context(Database(database_path(res_dir, name, "temporary"),
                                           compression_level=compression_level, complib=complib))
        yield img, tmp
