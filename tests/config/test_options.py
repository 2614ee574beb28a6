"""RunOptions: Sen2Cor's option names, choices and patterns (manual §3.3.1)."""
from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sen2cor.config import RunOptions
from sen2cor.errors import ConfigError


def test_defaults_mean_toolbox_mode_without_options():
    opts = RunOptions()
    assert opts.mode is None and opts.resolution is None and opts.processing_baseline is None
    assert not any((opts.raw, opts.tif, opts.sc_only, opts.sc_classic, opts.sc_cog, opts.cr_only, opts.debug))


def test_string_paths_become_paths_and_resolution_an_int():
    opts = RunOptions(input_dir="S2A_MSIL1C.SAFE", GIP_L2A="g.xml", resolution="20")
    assert opts.input_dir == Path("S2A_MSIL1C.SAFE") and opts.GIP_L2A == Path("g.xml") and opts.resolution == 20


@pytest.mark.parametrize(("kwargs", "words"), [
    ({"mode": "toolbox"}, "--mode 'toolbox' is invalid; allowed: generate_datastrip, process_tile"),
    ({"resolution": 30}, "--resolution 30 is invalid; allowed: 10, 20, 60"),
    ({"resolution": "ten"}, "--resolution 'ten' is invalid"),
    ({"processing_centre": "SGS"}, "--processing_centre 'SGS' is invalid"),
    ({"archiving_centre": "sgs_"}, "--archiving_centre 'sgs_' is invalid; allowed: 4 characters A-Z or _"),
    ({"processing_baseline": "5.11"}, "--processing_baseline '5.11' is invalid; allowed: dd.dd"),
    ({"processing_baseline": "05.110"}, "--processing_baseline '05.110' is invalid"),
])
def test_invalid_options_name_option_value_and_allowed(kwargs, words):
    with pytest.raises(ConfigError) as info:
        RunOptions(**kwargs)
    assert words in str(info.value)


def test_valid_pdgs_options():
    opts = RunOptions(mode="process_tile", processing_centre="SGS_", archiving_centre="EDRS",
                      processing_baseline="05.11", resolution=10)
    assert (opts.mode, opts.processing_centre, opts.archiving_centre) == ("process_tile", "SGS_", "EDRS")


def test_from_namespace_ignores_unknown_attributes():
    ns = argparse.Namespace(input_dir="x.SAFE", debug=True, verbose=3, GIP_L2A_PB=None)
    opts = RunOptions.from_namespace(ns)
    assert opts.input_dir == Path("x.SAFE") and opts.debug is True


def test_resolve_paths_makes_relative_paths_absolute(tmp_path):
    opts = RunOptions(input_dir="in/L1C.SAFE", output_dir="/abs/out", GIP_L2A="g.xml").resolve_paths(tmp_path)
    assert opts.input_dir == tmp_path / "in" / "L1C.SAFE"
    assert opts.output_dir == Path("/abs/out") and opts.GIP_L2A == tmp_path / "g.xml"
