"""Why a write into the output failed, in words a user can act on.

Some writers report a failed write without its cause: OpenJPEG (through glymur) raises an empty
error when its stream callback fails, HDF5 (through PyTables) says "Problems creating the CArray."
for a full disk or a file-size limit alike. :func:`describe_write_error` keeps the original message
and adds the cause found on the system: no space left on the file system, or the process's file
size limit (``ulimit -f``, RLIMIT_FSIZE).
"""
from __future__ import annotations

import errno
import logging
import os
import resource
import shutil
from pathlib import Path

from sen2cor.errors import ConfigError

log = logging.getLogger(__name__)

#: Free space (bytes) under which a failed write is attributed to a full file system.
LOW_SPACE_BYTES = 1 << 20


def write_failure_cause(folder: Path, needed_bytes: int = 0) -> str:
    """The system condition that explains a failed write into ``folder``, or "" when none is found.

    Parameters
    ----------
    folder : directory written into (its nearest existing parent is inspected).
    needed_bytes : size of what was being written (bytes), 0 when unknown.
    """
    folder = Path(folder)
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    causes = []
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        free = None
    if free is not None and free < max(int(needed_bytes), LOW_SPACE_BYTES):
        causes.append(f"{os.strerror(errno.ENOSPC)}: {free} bytes free on the file system of {folder}")
    soft, _ = resource.getrlimit(resource.RLIMIT_FSIZE)
    if soft != resource.RLIM_INFINITY:
        causes.append(f"{os.strerror(errno.EFBIG)}: the process may write files of at most {soft} bytes "
                      "(ulimit -f)")
    return "; ".join(causes)


def describe_write_error(exc: BaseException, folder: Path, needed_bytes: int = 0) -> str:
    """``str(exc)`` completed with :func:`write_failure_cause` when the library did not name the cause."""
    message = str(exc).strip().rstrip(":").strip()
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
        return message
    cause = write_failure_cause(folder, needed_bytes)
    if not cause:
        return message or type(exc).__name__
    return f"{message} ({cause})" if message else cause


#: Options naming folders a run writes into, and options naming its inputs.
WRITTEN_OPTIONS = ("output_dir", "work_dir", "img_database_dir", "res_database_dir")
INPUT_OPTIONS = ("input_dir", "datastrip", "tile")


def check_outside_inputs(options) -> None:
    """Refuse, before any work, a folder the run writes into that lies inside one of its inputs.

    ``options`` is a :class:`sen2cor.config.RunOptions`; symbolic links are resolved. Writing into the
    L1C product (e.g. ``--output_dir <L1C.SAFE>/GRANULE``) would damage it: its next run finds two tiles.

    Raises
    ------
    ConfigError
        naming both the option with its folder and the input product.
    """
    for out_name in WRITTEN_OPTIONS:
        out = getattr(options, out_name, None)
        if out is None:
            continue
        out_real = Path(os.path.realpath(out))
        for in_name in INPUT_OPTIONS:
            source = getattr(options, in_name, None)
            if source is None or not Path(source).is_dir():
                continue
            source_real = Path(os.path.realpath(source))
            if out_real == source_real or source_real in out_real.parents:
                raise ConfigError(f"--{out_name} {out} lies inside the input {source} "
                                  f"({'input_dir' if in_name == 'input_dir' else '--' + in_name}); the input is never "
                                  "written: choose a folder outside it")
