"""L2A_Batch usage errors: one line, exit code 1, before any cluster starts or anything is written."""
from __future__ import annotations

import pytest

from sen2cor.batch.cli import build_parser, main
from tests.cli.test_options import OPTIONS


def test_every_l2a_process_option_is_accepted():
    text = build_parser().format_help()
    for option in OPTIONS:
        if option != "--mode":
            assert option in text, option
    for option in ("--workers", "--memory-limit", "--scheduler", "--cluster", "--progress"):
        assert option in text


@pytest.mark.parametrize("argv, message", [
    ([], "no input given"),
    (["{empty}"], "no L1C product found"),
    (["{empty}", "--GIP_L2A", "{empty}/missing_gipp.xml"], "missing_gipp.xml"),
    (["{empty}", "--tile", "x"], "--tile is not an L2A_Batch option"),
    (["{empty}", "--mode", "process_tile"], "--mode process_tile requires --datastrip"),
    (["{empty}", "--raw", "--tif"], "--raw and --tif are exclusive"),
    (["{empty}", "--sc_only", "--cr_only"], "--sc_only and --cr_only are exclusive"),
    (["{empty}", "--output_dir", ""], "--output_dir is empty"),
    (["{empty}", "--resolution", "10", "--processing_baseline", "5.1"], "--processing_baseline '5.1' is invalid"),
])
def test_usage_errors(argv, message, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    (tmp_path / "empty").mkdir()
    argv = [a.replace("{empty}", str(tmp_path / "empty")) for a in argv]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("L2A_Batch: error: ") and message in err.splitlines()[-1]
    assert list((tmp_path / "empty").iterdir()) == []


def test_bad_memory_limit_and_cluster_without_workers(l1c_products, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    assert main([str(l1c_products[0]), "--output_dir", str(tmp_path), "--memory-limit", "lots"]) == 1
    assert "--memory-limit 'lots' is invalid" in capsys.readouterr().err
    assert main([str(l1c_products[0]), "--output_dir", str(tmp_path), "--cluster", "slurm"]) == 1
    assert "--cluster slurm needs --workers N" in capsys.readouterr().err
    assert list(tmp_path.glob("S2*")) == [] and not (tmp_path / "batch_summary.csv").exists()
