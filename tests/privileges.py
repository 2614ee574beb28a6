"""Run a test body without root's power to ignore file permissions.

CI runs as root, and root writes into a read-only folder, so permission tests would prove nothing there.
:func:`run_without_permission_override` forks the test process; the child drops the capabilities
CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH (capset(2), what ``setpriv --inh-caps=-dac_override`` does for a
new program) and runs the body, so root is held to the permission bits like any user, while it still owns
the test's files. Without root the body runs as it is.
"""
from __future__ import annotations

import ctypes
import os
import traceback

import pytest

_CAPABILITY_VERSION_3 = 0x20080522
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_permission_override() -> None:
    """Remove CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH from this process (irreversible)."""
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _Header(_CAPABILITY_VERSION_3, 0), (_Data * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    keep = ~((1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH)) & 0xFFFFFFFF
    for field in ("effective", "permitted", "inheritable"):
        setattr(data[0], field, getattr(data[0], field) & keep)
    if libc.capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def run_without_permission_override(body, *args, **kwargs) -> None:
    """``body(*args, **kwargs)`` held to the file permission bits; fails the test with the child's traceback."""
    if os.geteuid() != 0:
        body(*args, **kwargs)
        return
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: never returns into pytest
        os.close(read_end)
        code = 0
        try:
            drop_permission_override()
            body(*args, **kwargs)
        except BaseException:  # every failure, pytest's outcomes included, goes back to the parent
            os.write(write_end, traceback.format_exc().encode())
            code = 1
        os.close(write_end)
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        report = pipe.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        pytest.fail(f"test body failed without the permission override:\n{report}", pytrace=False)
