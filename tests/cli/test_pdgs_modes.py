"""L2A_Process --mode generate_datastrip / process_tile from the command line (manual §3.3.1)."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sen2cor.cli import main
from sen2cor.testing import make_l1c


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=60, seed=5)


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))


def test_generate_datastrip_then_process_tile_structure(l1c, tmp_path, capsys):
    ds_l1c = next((l1c / "DATASTRIP").iterdir())
    tile_l1c = next((l1c / "GRANULE").iterdir())
    out, work = tmp_path / "out", tmp_path / "work"
    assert main(["--mode", "generate_datastrip", "--datastrip", str(ds_l1c), "--output_dir", str(out),
                 "--work_dir", str(work), "--processing_centre", "EDRS", "--archiving_centre", "SGS_",
                 "--processing_baseline", "05.11"]) == 0
    (ds_l2a,) = out.iterdir()
    assert ds_l2a.name.startswith("S2A_OPER_MSI_L2A_DS_EDRS_") and ds_l2a.name.endswith("_N05.11")
    tiles = tmp_path / "tiles"
    argv = ["--mode", "process_tile", "--datastrip", str(ds_l2a), "--tile", str(tile_l1c), "--output_dir",
            str(tiles), "--work_dir", str(work), "--cr_only"]
    assert main(argv) == 0
    (tile_l2a,) = tiles.iterdir()
    assert tile_l2a.name.startswith("S2A_OPER_MSI_L2A_TL_EDRS_") and "_T29UNU_" in tile_l2a.name
    assert tile_l2a.name.endswith("_N05.11")
    capsys.readouterr()
    assert main(argv) == 0                                   # second run: already processed, exit 0
    assert "already processed" in capsys.readouterr().err
    assert len(list(tiles.iterdir())) == 1


def test_process_tile_image_processing_is_reported_unavailable(l1c, tmp_path, capsys):
    ds_l1c = next((l1c / "DATASTRIP").iterdir())
    tile_l1c = next((l1c / "GRANULE").iterdir())
    out = tmp_path / "out"
    assert main(["--mode", "generate_datastrip", "--datastrip", str(ds_l1c), "--output_dir", str(out),
                 "--processing_centre", "EDRS", "--archiving_centre", "SGS_"]) == 0
    (ds_l2a,) = out.iterdir()
    tiles = tmp_path / "tiles"
    assert main(["--mode", "process_tile", "--datastrip", str(ds_l2a), "--tile", str(tile_l1c),
                 "--output_dir", str(tiles)]) == 1
    assert "--cr_only" in capsys.readouterr().err
    assert not tiles.exists() or list(tiles.iterdir()) == []


def test_wrong_datastrip_folder_fails_cleanly(tmp_path, capsys):
    bogus = tmp_path / "not_a_datastrip"
    bogus.mkdir()
    out = tmp_path / "out"
    assert main(["--mode", "generate_datastrip", "--datastrip", str(bogus), "--output_dir", str(out),
                 "--processing_centre", "EDRS", "--archiving_centre", "SGS_"]) == 1
    assert "not_a_datastrip" in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []
