"""L2A_Batch --mode process_tile: the L2A datastrip is generated once, then the tiles run in parallel;
a re-run reuses that datastrip and finds the tiles processed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from sen2cor.testing import make_l1c
from sen2cor.testing.pdgs import write_pdgs_inputs
from tests.batch.conftest import DATES, run_batch, tile_qi


def test_datastrip_once_then_tiles_in_parallel(l1c_products, tmp_path):
    first = write_pdgs_inputs(l1c_products[0], tmp_path / "in")
    neighbour = make_l1c(tmp_path / "gen", size_px=120, seed=3, acquisition_date=DATES[0], tile_id="29UPU",
                         write_truth=False)
    second = write_pdgs_inputs(neighbour, tmp_path / "in_b")
    tiles = tmp_path / "tiles"
    tiles.mkdir()
    for tile in (first.tile_dir, second.tile_dir):
        shutil.move(str(tile), tiles / tile.name)
    out, home = tmp_path / "L2A", tmp_path / "home"
    args = [tiles, "--mode", "process_tile", "--datastrip", first.datastrip_dir, "--processing_centre", "SGS_",
            "--archiving_centre", "SGS_", "--output_dir", out, "--resolution", "60", "--workers", "2"]
    result = run_batch(*args, home=home)
    assert result.returncode == 0, result.stderr
    assert "L2A datastrip generated" in result.stderr
    (datastrip,) = out.glob("S2A_OPER_MSI_L2A_DS_SGS_*")
    produced = sorted(out.glob("S2A_OPER_MSI_L2A_TL_SGS_*"))
    assert ["_T29UNU_" in produced[0].name, "_T29UPU_" in produced[1].name] == [True, True]
    rows = {r["product"]: r for r in json.loads((out / "batch_summary.json").read_text())["products"]}
    assert sorted(rows) == sorted(p.name for p in tiles.iterdir())
    for row in rows.values():
        assert row["status"] == "processed", row
        assert float(tile_qi(Path(row["output"]))["GRANULE_MEAN_AOT"]) == row["aot"]

    again = run_batch(*args, home=home)
    assert again.returncode == 0, again.stderr
    assert f"L2A datastrip of an earlier run reused: {datastrip}" in again.stderr
    rows = json.loads((out / "batch_summary.json").read_text())["products"]
    assert [r["status"] for r in rows] == ["already_processed"] * 2
    assert len(list(out.glob("S2A_OPER_MSI_L2A_DS_*"))) == 1 and sorted(out.glob("S2A_OPER_MSI_L2A_TL_*")) == produced
