"""After Ctrl-C: a product that its worker published in the instant before being stopped is reported processed."""
from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sen2cor.batch.engine import settle_interrupted
from sen2cor.batch.inputs import SAFE, BatchItem
from sen2cor.batch.summary import ProductRecord
from sen2cor.config.options import RunOptions

A = "S2A_MSIL1C_20221005T114533_N0510_R023_T29UNU_20221005T133546"
B = "S2A_MSIL1C_20221015T114533_N0510_R023_T29UNU_20221015T133546"


def _l2a(out: Path, sensing: str, generated: str) -> Path:
    product = out / f"S2A_MSIL2A_{sensing}_N9999_R023_T29UNU_{generated}.SAFE"
    (product / "GRANULE").mkdir(parents=True)
    return product


def test_only_products_published_during_the_batch_count(tmp_path):
    since = datetime(2026, 12, 6, 19, 0, 0, tzinfo=UTC)
    fresh = _l2a(tmp_path, "20221005T114533", "20261206T190003")      # A, published during the batch
    _l2a(tmp_path, "20221015T114533", "20261206T185959")               # B, from an earlier batch
    items = [BatchItem(A, tmp_path / f"{A}.SAFE", SAFE), BatchItem(B, tmp_path / f"{B}.SAFE", SAFE)]
    records = [ProductRecord(A, status="interrupted", error="interrupted by the user"),
               ProductRecord(B, status="pending")]
    settled = settle_interrupted(records, items, RunOptions(output_dir=tmp_path), since)
    assert (settled[0].status, settled[0].output, settled[0].error) == ("processed", str(fresh), None)
    assert settled[1] == records[1]
