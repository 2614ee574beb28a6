"""L2A_Batch on a LocalCluster of worker processes (127.0.0.1): good products, an archive, a corrupt product
and a missing one in one batch; then the same command again (resume)."""
from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from tests.batch.conftest import run_batch, tile_qi, tree_digest


@pytest.fixture(scope="module")
def batch(l1c_products, tmp_path_factory):
    root = tmp_path_factory.mktemp("local")
    good_a, good_b, zipped, corrupt_src = l1c_products
    inputs = root / "inputs"
    archive = inputs / f"{zipped.name}.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(zipped.rglob("*")):
            zf.write(path, path.relative_to(zipped.parent).as_posix())
    corrupt = shutil.copytree(corrupt_src, inputs / corrupt_src.name)
    (band,) = corrupt.glob("GRANULE/*/IMG_DATA/*_B04.jp2")
    band.write_bytes(band.read_bytes()[:200])              # truncated download
    listing = root / "products.txt"
    listing.write_text(f"{good_b}\n# a comment\n{root / 'missing' / 'S2A_MSIL1C_X.SAFE'}\n")
    before = {p: tree_digest(p) for p in (good_a, good_b, inputs)}
    out, home = root / "L2A", root / "home"
    first = run_batch(good_a, inputs, listing, "--output_dir", out, "--resolution", "20", "--workers", "2",
                      home=home)
    first_summary = json.loads((out / "batch_summary.json").read_text())
    second = run_batch(good_a, inputs, listing, "--output_dir", out, "--resolution", "20", "--workers", "2",
                       home=home)
    return dict(root=root, out=out, home=home, first=first, first_summary=first_summary, second=second,
                before=before, names=[p.name.removesuffix(".SAFE") for p in l1c_products], band=band)


def _rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / "batch_summary.csv").open() as f:
        return {row["product"]: row for row in csv.DictReader(f)}


def test_one_failure_does_not_stop_the_others_and_sets_the_exit_code(batch):
    assert batch["first"].returncode == 2, batch["first"].stderr
    statuses = {r["product"]: r["status"] for r in batch["first_summary"]["products"]}
    a, b, zipped, corrupt = batch["names"]
    assert statuses == {a: "processed", zipped: "processed", corrupt: "failed", b: "processed",
                        "S2A_MSIL1C_X": "failed"}
    assert batch["first_summary"]["batch"]["counts"] == {"processed": 3, "failed": 2}
    assert batch["first_summary"]["batch"]["exit_code"] == 2


def test_errors_name_the_file(batch):
    rows = {r["product"]: r for r in batch["first_summary"]["products"]}
    corrupt = rows[batch["names"][3]]
    assert batch["band"].name in corrupt["error"] and corrupt["output"] is None
    assert "does not exist" in rows["S2A_MSIL1C_X"]["error"]
    assert f"FAILED {batch['names'][3]}: " in batch["first"].stderr


def test_summary_holds_the_products_quality_indicators(batch):
    rows = {r["product"]: r for r in batch["first_summary"]["products"]}
    for name in batch["names"][:3]:
        row = rows[name]
        output = Path(row["output"])
        assert output.parent == batch["out"] and output.is_dir() and (output / "manifest.safe").is_file()
        qi = tile_qi(output)
        assert float(row["cloud_percent"]) == pytest.approx(float(qi["CLOUDY_PIXEL_PERCENTAGE"]))
        assert float(row["aot"]) == pytest.approx(float(qi["GRANULE_MEAN_AOT"]))
        assert float(row["wv"]) == pytest.approx(float(qi["GRANULE_MEAN_WV"]))
        assert row["aot_method"] == qi["AOT_RETRIEVAL_METHOD"]
        assert 100 < row["peak_rss_mib"] < 3000 and row["wall_time_s"] > 0
        assert row["attempts"] == 1 and row["error"] is None
        assert Path(row["report"]).is_file() and Path(row["report"]).parent == batch["home"] / "log"


def test_console_shows_progress_lines_and_the_table(batch):
    err, out = batch["first"].stderr, batch["first"].stdout
    assert "local cluster: 2 worker process(es)" in err
    assert err.count("PROCESSED ") == 3 and "progress: 5/5 done, 0 running, 2 failed" in err
    assert out.splitlines()[0].split()[:3] == ["product", "status", "time[s]"]
    assert "summary: " in out and "exit code 2" in out


def test_inputs_untouched_and_nothing_temporary_left(batch):
    for path, digest in batch["before"].items():
        assert tree_digest(path) == digest
    assert sorted(p.name for p in batch["out"].iterdir() if p.name.startswith(".")) == []
    assert sorted(p.name for p in (batch["root"] / "inputs").iterdir() if p.name.startswith(".")) == []


def test_second_run_skips_completed_products(batch):
    assert batch["second"].returncode == 2                    # the corrupt product still fails
    rows = _rows(batch["out"])
    first = {r["product"]: r for r in batch["first_summary"]["products"]}
    for name in batch["names"][:3]:
        assert rows[name]["status"] == "already_processed"
        assert rows[name]["output"] == first[name]["output"]
        assert float(rows[name]["aot"]) == pytest.approx(first[name]["aot"])
    assert rows[batch["names"][3]]["status"] == "failed"
    assert len(list(batch["out"].glob("S2A_MSIL2A_*.SAFE"))) == 3
