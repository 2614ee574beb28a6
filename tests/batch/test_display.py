"""What a batch user sees: progress counts and estimate, plain lines or a bar, summary table and files."""
from __future__ import annotations

import csv
import io
import json

import pytest

from sen2cor.batch.progress import BatchProgress
from sen2cor.batch.summary import ProductRecord, format_table, read_summary, write_summary


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _done(name: str, seconds: float, **extra) -> ProductRecord:
    return ProductRecord(name, status="processed", wall_time_s=seconds, output=f"/o/{name}.L2A", **extra)


def test_counts_elapsed_and_estimate_from_processed_products():
    clock, out = Clock(), io.StringIO()
    progress = BatchProgress(5, stream=out, bar=False, now=clock, workers=2)
    assert "0/5 done, 0 running, 0 failed" in progress.status() and "ETA --:--" in progress.status()
    progress.product_finished(ProductRecord("skip", status="already_processed", wall_time_s=0.1))
    for name in ("a", "b", "c"):
        progress.product_started(name)
    clock.t += 20.0
    progress.product_finished(_done("a", 20.0, cloud_percent=12.5, aot=0.11, wv=1.6))
    progress.product_progress("b", 40.0, "20 m: scene classification")
    progress.product_finished(ProductRecord("d", status="failed", error="broken.jp2: truncated"))
    status = progress.status()
    # 5 products: 1 skipped, 1 processed, 1 failed, 2 running (b at 40 %); the 1.6 products still to
    # process take 20 s each, two at a time: 16 s
    assert status.startswith("3/5 done (1 already processed), 2 running, 1 failed | elapsed 0:00:20 | ETA 0:00:16")
    lines = out.getvalue().splitlines()
    assert lines[0] == "[1/5] ALREADY PROCESSED skip (0.1 s)"
    assert lines[1] == "[2/5] PROCESSED a (20.0 s, cloud 12.5 %, AOT 0.110, WV 1.60 cm)"
    assert lines[2] == "[3/5] FAILED d: broken.jp2: truncated"


def test_plain_status_lines_are_periodic():
    clock, out = Clock(), io.StringIO()
    progress = BatchProgress(2, stream=out, bar=False, now=clock)
    progress.tick()
    assert out.getvalue() == ""
    clock.t += 61.0
    progress.tick()
    assert out.getvalue().startswith("progress: 0/2 done, 0 running, 0 failed | elapsed 0:01:01")


def test_bar_is_redrawn_in_place_with_finished_lines_above():
    clock, out = Clock(), io.StringIO()
    progress = BatchProgress(4, stream=out, bar=True, now=clock)
    progress.product_started("a")
    progress.product_progress("a", 50.0, "10 m")
    progress.tick()
    assert out.getvalue().endswith("[###.....................] 0/4 done, 1 running, 0 failed | elapsed 0:00:00 | "
                                   "ETA --:--")
    progress.product_finished(_done("a", 5.0))
    text = out.getvalue()
    assert "\r\x1b[2K[1/4] PROCESSED a (5.0 s)\n\r\x1b[2K[######" in text
    progress.close()
    assert out.getvalue().endswith("\n")


def test_summary_files_and_table(tmp_path):
    records = [_done("S2A_one", 61.25, peak_rss_mib=2210.4, cloud_percent=3.5, aot=0.123, wv=1.25,
                     aot_method="SEN2COR_DDV", attempts=2),
               ProductRecord("S2B_two", status="failed", error="cannot read metadata file X: truncated", attempts=1)]
    csv_path, json_path = write_summary(records, tmp_path / "out", {"exit_code": 2})
    rows = list(csv.DictReader(csv_path.open()))
    assert [r["product"] for r in rows] == ["S2A_one", "S2B_two"]
    assert rows[0]["wall_time_s"] == "61.25" and rows[0]["attempts"] == "2" and rows[1]["aot"] == ""
    assert rows[1]["error"] == "cannot read metadata file X: truncated"
    assert json.loads(json_path.read_text())["batch"] == {"exit_code": 2}
    assert read_summary(json_path) == records
    assert not list((tmp_path / "out").glob(".*"))          # temporary names renamed
    table = format_table(records).splitlines()
    assert table[0].split() == ["product", "status", "time[s]", "RSS[MiB]", "cloud%", "AOT", "WV[cm]", "output", "/",
                                "error"]
    assert table[1].split() == ["S2A_one", "processed", "61.2", "2210", "3.5", "0.123", "1.25", "S2A_one.L2A"]
    assert table[2].split()[:2] == ["S2B_two", "failed"]
    assert table[2].endswith("  cannot read metadata file X: truncated")


@pytest.mark.parametrize("status, ok", [("processed", True), ("already_processed", True), ("created", True),
                                        ("failed", False), ("interrupted", False), ("pending", False)])
def test_what_counts_as_success(status, ok):
    assert ProductRecord("x", status=status).succeeded is ok
