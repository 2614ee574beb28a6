"""sen2cor.run.output_checks: the cause of a failed write, from the real system state."""
from __future__ import annotations

import errno
import os
import subprocess
import sys

import pytest

from sen2cor.run.output_checks import describe_write_error, write_failure_cause
from tests.faults.helpers import try_mount, umount


def test_no_cause_on_a_roomy_file_system(tmp_path):
    import shutil

    if shutil.disk_usage(tmp_path).free < 64 << 20:
        pytest.skip("less than 64 MiB free in the temporary folder")
    assert write_failure_cause(tmp_path, needed_bytes=1000) == ""
    assert describe_write_error(RuntimeError(""), tmp_path) == "RuntimeError"
    assert describe_write_error(RuntimeError("codec said no"), tmp_path) == "codec said no"


def test_an_errno_message_is_kept_as_is(tmp_path):
    exc = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert describe_write_error(exc, tmp_path) == str(exc)


def test_full_file_system(tmp_path):
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    reason = try_mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)])
    if reason is not None:
        pytest.skip(f"no tiny file system: {reason}")
    try:
        with pytest.raises(OSError):
            (mount_point / "fill").write_bytes(bytes(128 << 10))
        cause = write_failure_cause(mount_point / "not" / "yet" / "created")
        message = describe_write_error(RuntimeError("OpenJPEG library error: "), mount_point, 4096)
    finally:
        umount(mount_point)
    assert cause.startswith("No space left on device: 0 bytes free")
    assert message.startswith("OpenJPEG library error (No space left on device")


def test_file_size_limit_of_the_process(tmp_path):
    code = ("import resource, sys\nresource.setrlimit(resource.RLIMIT_FSIZE, (50000, 50000))\n"
            "from sen2cor.run.output_checks import write_failure_cause\nprint(write_failure_cause(sys.argv[1]))")
    result = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, check=True)
    assert "File too large: the process may write files of at most 50000 bytes (ulimit -f)" in result.stdout
