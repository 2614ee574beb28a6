"""A worker process that dies while processing a product: the product is retried once, then recorded
as failed; nothing is left under a final name or as a temporary folder."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.batch.conftest import batch_command, run_batch


def _worker_temporaries(out: Path) -> list[Path]:
    return sorted(out.glob(".S2A_MSIL2A_*")) if out.is_dir() else []


def _writer_pid(container: Path) -> int | None:
    """Process id of the run writing into ``.<product>.tmp`` (its lock file records host, pid, start)."""
    try:
        text = (container / ".sen2cor.lock").read_text()
    except OSError:
        return None
    fields = dict(f.split("=", 1) for f in text.split() if "=" in f)
    return int(fields["pid"]) if "pid" in fields else None


def _kill_workers_mid_product(out: Path, process: subprocess.Popen, kills: int, timeout_s: float = 240.0
                              ) -> list[int]:
    """SIGKILL the worker process that writes a temporary product (the pid in its lock file), ``kills``
    times; returns the pids killed."""
    killed: list[int] = []
    deadline = time.monotonic() + timeout_s
    while len(killed) < kills and time.monotonic() < deadline and process.poll() is None:
        for folder in out.glob(".S2A_MSIL2A_*.SAFE.tmp") if out.is_dir() else ():
            pid = _writer_pid(folder)
            if pid is not None and pid not in killed:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
        time.sleep(0.05)
    return killed


def _summary(out: Path) -> dict:
    return json.loads((out / "batch_summary.json").read_text())


def test_killed_worker_product_is_retried_and_completes(l1c_products, tmp_path):
    out = tmp_path / "L2A"
    with (tmp_path / "stderr.txt").open("w") as err:
        process = subprocess.Popen(batch_command(l1c_products[0], "--output_dir", out, "--workers", "1",
                                                 "--resolution", "20", "--progress", "lines"),
                                   stdout=subprocess.PIPE, stderr=err, text=True,
                                   env={**os.environ, "SEN2COR_HOME": str(tmp_path / "home")})
        killed = _kill_workers_mid_product(out, process, kills=1)
        process.communicate(timeout=300)
    assert len(killed) == 1
    log = (tmp_path / "stderr.txt").read_text()
    assert process.returncode == 0, log
    (row,) = _summary(out)["products"]
    assert row["status"] == "processed" and row["attempts"] == 2
    assert int(row["worker"].rsplit(":", 1)[1]) != killed[0]
    assert "RETRY  " in log and "attempt 2 of 2" in log
    assert _worker_temporaries(out) == []                  # the killed attempt's folder was removed
    (product,) = out.glob("S2A_MSIL2A_*.SAFE")
    assert Path(row["output"]) == product and (product / "manifest.safe").is_file()


def test_worker_over_its_memory_limit_twice_fails_the_product(l1c_products, tmp_path):
    """250 MB per worker: a worker's nanny restarts it as soon as the run's imports and arrays pass 95 %
    of that, twice; the product is recorded failed with the cause, exit code 2."""
    out = tmp_path / "L2A"
    result = run_batch(l1c_products[1], "--output_dir", out, "--workers", "1", "--memory-limit", "250MB",
                       home=tmp_path / "home")
    assert result.returncode == 2, result.stderr
    (row,) = _summary(out)["products"]
    assert row["status"] == "failed" and row["attempts"] == 2
    assert "died 2 times" in row["error"] and "memory limit of 0.23 GiB" in row["error"]
    assert "exceeded 95% memory budget" in result.stderr       # dask's nanny says why
    assert not list(out.glob("S2A_MSIL2A_*")) and _worker_temporaries(out) == []
