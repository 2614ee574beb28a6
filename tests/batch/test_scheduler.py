"""L2A_Batch --scheduler: an existing cluster (``dask scheduler`` + two ``dask worker`` processes on 127.0.0.1,
started here as a user would start them)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.batch.conftest import run_batch


@pytest.fixture
def cluster(tmp_path):
    """(scheduler address, worker pids); everything is stopped afterwards."""
    from distributed import Client

    home = tmp_path / "worker_home"
    env = {**os.environ, "SEN2COR_HOME": str(home)}
    scheduler_file = tmp_path / "scheduler.json"
    processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                                   "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    try:
        deadline = time.monotonic() + 60
        while not scheduler_file.is_file() and time.monotonic() < deadline:
            time.sleep(0.1)
        address = json.loads(scheduler_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for name in ("w1", "w2"):
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1", "--nworkers", "1",
                 "--no-dashboard", "--no-nanny", "--name", name, "--host", "127.0.0.1"],
                env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        with Client(address, timeout="60s") as client:
            client.wait_for_workers(2, timeout=120)
        yield address, {p.pid for p in processes[1:]}, home
    finally:
        for process in reversed(processes):
            process.kill()
            process.wait(timeout=30)


def test_products_run_on_the_existing_workers(l1c_products, cluster, tmp_path):
    address, worker_pids, worker_home = cluster
    out = tmp_path / "L2A"
    result = run_batch(*l1c_products, "--output_dir", out, "--scheduler", address, "--resolution", "60",
                       home=tmp_path / "client_home")
    assert result.returncode == 0, result.stderr
    assert f"scheduler {address}" in result.stderr
    rows = json.loads((out / "batch_summary.json").read_text())["products"]
    assert [r["status"] for r in rows] == ["processed"] * len(l1c_products)
    used = {int(r["worker"].rsplit(":", 1)[1]) for r in rows}
    assert used == worker_pids                          # both workers took products
    assert all(Path(r["report"]).parent == worker_home / "log" for r in rows)   # the workers' SEN2COR_HOME
    assert len(list(out.glob("S2A_MSIL2A_*.SAFE"))) == len(l1c_products)
