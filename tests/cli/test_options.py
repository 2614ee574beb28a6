"""L2A_Process option parsing: names, choices, help text and usage errors (manual §3.3)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sen2cor.api import as_run_options, check_options, prepare_options
from sen2cor.cli import build_parser, main

def _options_from(args):
    return prepare_options(as_run_options(args))


OPTIONS = [
    "--mode", "--resolution", "--datastrip", "--tile", "--output_dir", "--work_dir", "--img_database_dir",
    "--res_database_dir", "--processing_centre", "--archiving_centre", "--processing_baseline", "--raw", "--tif",
    "--sc_only", "--sc_classic", "--sc_cog", "--cr_only", "--debug", "--GIP_L2A", "--GIP_L2A_SC", "--GIP_L2A_AC",
    "--GIP_L2A_PB",
]


def test_help_lists_every_option_version_and_psd_range():
    proc = subprocess.run([sys.executable, "-m", "sen2cor", "-h"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for option in OPTIONS + ["input_dir"]:
        assert option in proc.stdout, option
    assert "2.12.04" in proc.stdout
    assert "14.2 - 15.1" in proc.stdout
    assert "generate_datastrip" in proc.stdout and "process_tile" in proc.stdout
    assert "{10,20,60}" in proc.stdout


@pytest.mark.parametrize("argv, fragment", [
    (["x.SAFE", "--resolution", "30"], "invalid choice"),
    (["x.SAFE", "--mode", "batch"], "invalid choice"),
])
def test_argparse_errors_exit_with_1(argv, fragment, capsys):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 1
    assert fragment in capsys.readouterr().err


@pytest.mark.parametrize("argv, fragment", [
    ([], "input_dir is mandatory"),
    (["x.SAFE", "--processing_centre", "sgs"], "--processing_centre 'sgs' is invalid"),
    (["x.SAFE", "--archiving_centre", "SGS12"], "--archiving_centre 'SGS12' is invalid"),
    (["x.SAFE", "--processing_baseline", "5.1"], "dd.dd"),
    (["--mode", "generate_datastrip", "--datastrip", "DS"], "--processing_centre, --archiving_centre, --output_dir"),
    (["--mode", "process_tile", "--datastrip", "DS", "--output_dir", "o"], "requires --tile"),
    (["x.SAFE", "--raw", "--tif"], "exclusive"),
])
def test_usage_errors_name_the_option_and_exit_1(argv, fragment, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert fragment in err
    assert list(tmp_path.iterdir()) == []


def test_valid_centres_and_baseline_pass():
    args = build_parser().parse_args(["x.SAFE", "--processing_centre", "SGS_", "--archiving_centre", "EDRS",
                                      "--processing_baseline", "05.11"])
    options = _options_from(args)
    check_options(options)  # does not raise
    assert (options.processing_centre, options.archiving_centre) == ("SGS_", "EDRS")


def test_relative_input_resolves_against_cwd_and_output_defaults_to_parent(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = _options_from(build_parser().parse_args(["products/S2A_MSIL1C_X.SAFE"]))
    assert args.input_dir == tmp_path / "products" / "S2A_MSIL1C_X.SAFE"
    assert args.output_dir == tmp_path / "products"


def test_explicit_output_dir_is_kept_absolute(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = _options_from(build_parser().parse_args(["in.SAFE", "--output_dir", "out"]))
    assert args.output_dir == Path(tmp_path, "out")
