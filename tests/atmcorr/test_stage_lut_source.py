"""LUT source selection from L2A_CAL_AC_GIPP Lib_Dir (atmcorr.stage.lut_source) and the packaged default."""
from __future__ import annotations

import logging

import pytest

from sen2cor.atmcorr.stage import LutSource, lut_source, table_family
from sen2cor.errors import LutError
from sen2cor.rtm.sources import SOURCE_ENV, resolve_source


def _tables(root, craft):
    (root / f"lib_{craft}" / "20_60").mkdir(parents=True)


def test_lib_dir_with_the_spacecraft_tables_selects_them_relative_to_home(tmp_path):
    _tables(tmp_path / "lib", "S2B")
    assert lut_source("lib", tmp_path, "S2B") == LutSource("atm", tmp_path / "lib")


def test_absolute_lib_dir_is_used_as_given(tmp_path):
    _tables(tmp_path / "sen2cor_luts", "S2A")
    assert lut_source(str(tmp_path / "sen2cor_luts"), tmp_path / "home", "S2A") == \
        LutSource("atm", tmp_path / "sen2cor_luts")


def test_s2c_tables_of_sen2cor_2_12_03_are_used_when_present(tmp_path):
    _tables(tmp_path / "lib", "S2C")
    assert lut_source("lib", tmp_path, "S2C") == LutSource("atm", tmp_path / "lib")


def test_folder_without_the_spacecraft_tables_warns_and_names_what_is_used(tmp_path, caplog):
    """Sen2Cor 2.8's lib (S2A, S2B only) and an S2C product: never S2A's tables, a WARNING instead."""
    _tables(tmp_path / "lib", "S2A")
    _tables(tmp_path / "lib", "S2B")
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.stage"):
        assert lut_source("lib", tmp_path, "S2C") == LutSource()
    assert f"Lib_Dir {tmp_path / 'lib'} holds no Sen2Cor tables for S2C" in caplog.text
    assert "6s-corrected" in caplog.text


def test_empty_or_missing_lib_dir(tmp_path, caplog):
    (tmp_path / "lib").mkdir()
    with caplog.at_level(logging.INFO, logger="sen2cor.atmcorr.stage"):
        assert lut_source("lib", tmp_path, "S2A") == LutSource()        # empty folder: WARNING
        assert "holds no Sen2Cor tables for S2A" in caplog.text and "(sen2cor)" in caplog.text
        caplog.clear()
        assert lut_source("nowhere", tmp_path, "S2A") == LutSource()    # configured, missing: WARNING
        assert "does not exist" in caplog.text
        caplog.clear()
        assert lut_source("lib", tmp_path / "home", "S2A") == LutSource()   # the default, absent: INFO only
        assert [r.levelno for r in caplog.records] == [logging.INFO]
    assert lut_source(None, tmp_path, "S2A") == LutSource()


def test_packaged_default_per_spacecraft_and_environment(monkeypatch):
    monkeypatch.delenv(SOURCE_ENV, raising=False)
    assert resolve_source("S2A") == "sen2cor" and resolve_source("S2B") == "sen2cor"
    assert resolve_source("S2C") == "6s-corrected"
    assert table_family("S2A", LutSource(), 10) == "10" and table_family("S2C", LutSource(), 10) == "6s"
    monkeypatch.setenv(SOURCE_ENV, "6s")
    assert resolve_source("S2A") == "6s" and table_family("S2A", LutSource(), 20) == "6s"
    monkeypatch.setenv(SOURCE_ENV, "libradtran")
    with pytest.raises(LutError, match=f"{SOURCE_ENV}='libradtran'"):
        resolve_source("S2A")


def test_sun_beyond_the_last_table_node_is_logged(caplog):
    """Sun zenith 70.4 deg (winter tile): Sen2Cor clamps its queries at the 70 deg node (facts B.2); the run says so."""
    import numpy as np

    from sen2cor.atmcorr.stage import note_sun_beyond_tables     # the clamp itself: tests/rtm/test_lut.py

    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.stage"):
        assert not note_sun_beyond_tables(np.array([[65.0, 69.9], [68.0, 70.0]]))
        assert caplog.text == ""
        assert note_sun_beyond_tables(np.array([[69.8, 70.4], [np.nan, 70.1]]))
    assert "sun zenith up to 70.4 deg (67 % of the angle grid)" in caplog.text
    assert "functions of 70 deg are used" in caplog.text
