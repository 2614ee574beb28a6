"""Ctrl-C in the middle of a batch, then the same command again: the interrupted batch publishes nothing
half-written, says what it did, and the re-run completes it without redoing the finished products."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest

from tests.batch.conftest import batch_command, run_batch


@pytest.mark.parametrize("signum, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_interrupt_then_resume(l1c_products, tmp_path, signum, code):
    products = l1c_products[:3]
    out, home = tmp_path / "L2A", tmp_path / "home"
    args = [*products, "--output_dir", out, "--workers", "1", "--resolution", "60"]
    with (tmp_path / "stderr.txt").open("w") as err:
        # a session of its own: Ctrl-C on a terminal signals the whole process group, workers included
        process = subprocess.Popen(batch_command(*args, "--progress", "lines"), stdout=subprocess.PIPE, stderr=err,
                                   text=True, env={**os.environ, "SEN2COR_HOME": str(home)}, start_new_session=True)
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and process.poll() is None:
            published = list(out.glob("S2A_MSIL2A_*.SAFE"))
            running = list(out.glob(".S2A_MSIL2A_*.SAFE.tmp"))
            if published and running:
                break
            time.sleep(0.05)
        assert process.poll() is None, "the batch ended before it could be interrupted"
        os.killpg(process.pid, signum) if signum == signal.SIGINT else process.send_signal(signum)
        stdout, _ = process.communicate(timeout=120)
    stderr = (tmp_path / "stderr.txt").read_text()
    assert process.returncode == code, stderr
    summary = json.loads((out / "batch_summary.json").read_text())
    statuses = [r["status"] for r in summary["products"]]
    assert "processed" in statuses and set(statuses) - {"processed"} and set(statuses) <= {
        "processed", "interrupted", "pending"}
    assert summary["batch"]["interrupted"] is True and summary["batch"]["exit_code"] == code
    assert f"exit code {code}" in stdout
    # nothing half-written: every product under a final name is complete, no temporary folder is left
    finished = {r["output"] for r in summary["products"] if r["status"] == "processed"}
    assert {str(p) for p in out.glob("S2A_MSIL2A_*.SAFE")} == finished
    assert all((p / "manifest.safe").is_file() for p in out.glob("S2A_MSIL2A_*.SAFE"))
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    if signum == signal.SIGTERM:
        return                           # the same path as Ctrl-C from here on

    again = run_batch(*args, home=home)
    assert again.returncode == 0, again.stderr
    rows = {r["product"]: r for r in json.loads((out / "batch_summary.json").read_text())["products"]}
    for row in summary["products"]:
        expected = "already_processed" if row["status"] == "processed" else "processed"
        assert rows[row["product"]]["status"] == expected
    assert len(list(out.glob("S2A_MSIL2A_*.SAFE"))) == 3
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
