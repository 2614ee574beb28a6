"""LUT source selection from L2A_CAL_AC_GIPP Lib_Dir (atmcorr.stage.lut_source)."""
from __future__ import annotations

from sen2cor.atmcorr.stage import LutSource, lut_source


def test_lib_dir_with_sen2cor_tables_selects_them_relative_to_home(tmp_path):
    (tmp_path / "lib" / "lib_S2B").mkdir(parents=True)
    assert lut_source("lib", tmp_path) == LutSource("atm", tmp_path / "lib")


def test_absolute_lib_dir_is_used_as_given(tmp_path):
    (tmp_path / "sen2cor_luts" / "lib_S2A").mkdir(parents=True)
    assert lut_source(str(tmp_path / "sen2cor_luts"), tmp_path / "home") == LutSource("atm", tmp_path / "sen2cor_luts")


def test_missing_or_empty_lib_dir_falls_back_to_the_packaged_6s_tables(tmp_path):
    (tmp_path / "lib").mkdir()
    assert lut_source("lib", tmp_path) == LutSource("6s")
    assert lut_source("nowhere", tmp_path) == LutSource("6s")
    assert lut_source(None, tmp_path) == LutSource("6s")
