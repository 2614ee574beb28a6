"""SEN2COR_HOME handling and the precedence packaged < home < --GIP_* < command-line options."""
from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest

from sen2cor.config import RunOptions, ensure_user_gipp, load_config, resolve_home
from sen2cor.errors import ConfigError
from sen2cor.config.resources import cfg_dir


def _set_visibility(path: Path, km: str) -> None:
    text = path.read_text()
    assert text.count("<Visibility>40.0</Visibility>") == 1
    path.write_text(text.replace("<Visibility>40.0</Visibility>", f"<Visibility>{km}</Visibility>"))


def test_home_defaults_to_sen2cor_2_12_under_the_user_home(monkeypatch, tmp_path):
    monkeypatch.delenv("SEN2COR_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_home() == tmp_path / "sen2cor" / "2.12"


def test_home_argument_wins_over_the_environment(isolated_home, tmp_path):
    assert resolve_home() == isolated_home
    assert resolve_home(tmp_path / "other") == tmp_path / "other"


def test_first_run_copies_the_packaged_user_gipp(isolated_home):
    config = load_config()
    copy = isolated_home / "cfg" / "L2A_GIPP.xml"
    assert config.files.l2a == copy
    assert copy.read_bytes() == (cfg_dir() / "L2A_GIPP.xml").read_bytes()
    assert sorted(p.name for p in copy.parent.iterdir()) == ["L2A_GIPP.xml"]   # no temporary file left
    assert config.home == isolated_home


def test_user_edits_in_home_are_used_and_never_overwritten(isolated_home):
    load_config()
    copy = isolated_home / "cfg" / "L2A_GIPP.xml"
    _set_visibility(copy, "23.0")
    edited = copy.read_bytes()
    for _ in range(2):
        assert load_config().atmcorr.visibility_km == 23.0
    assert copy.read_bytes() == edited
    assert b"<Visibility>40.0</Visibility>" in (cfg_dir() / "L2A_GIPP.xml").read_bytes()


def test_ensure_user_gipp_keeps_an_existing_file_untouched(isolated_home):
    target = isolated_home / "cfg" / "L2A_GIPP.xml"
    target.parent.mkdir(parents=True)
    target.write_text("user content")
    os.utime(target, (1_000_000_000, 1_000_000_000))
    assert ensure_user_gipp(isolated_home) == target
    assert target.read_text() == "user content" and target.stat().st_mtime == 1_000_000_000


def test_unwritable_home_falls_back_to_the_packaged_gipp(tmp_path, caplog):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="sen2cor"):
        config = load_config(home=blocker / "home")
    assert config.files.l2a == cfg_dir() / "L2A_GIPP.xml"
    assert "using the packaged L2A_GIPP.xml" in caplog.text


def test_gip_l2a_file_wins_over_the_home_copy(isolated_home, gipp_variant):
    load_config()
    _set_visibility(isolated_home / "cfg" / "L2A_GIPP.xml", "23.0")
    given = gipp_variant("L2A_GIPP.xml", ("<Visibility>40.0<", "<Visibility>60.0<"), filename="mine.xml")
    assert load_config(options=RunOptions(GIP_L2A=given)).atmcorr.visibility_km == 60.0
    assert load_config(gip_l2a=given).files.l2a == given


def test_argument_wins_over_the_same_option(gipp_variant):
    a = gipp_variant("L2A_GIPP.xml", ("<Visibility>40.0<", "<Visibility>60.0<"), filename="a.xml")
    b = gipp_variant("L2A_GIPP.xml", ("<Visibility>40.0<", "<Visibility>80.0<"), filename="b.xml")
    assert load_config(gip_l2a=b, options=RunOptions(GIP_L2A=a)).atmcorr.visibility_km == 80.0


def test_gip_name_is_looked_up_in_home_cfg(isolated_home, tmp_path, monkeypatch):
    (isolated_home / "cfg").mkdir(parents=True)
    custom = isolated_home / "cfg" / "my_gipp.xml"
    custom.write_bytes((cfg_dir() / "L2A_GIPP.xml").read_bytes())
    _set_visibility(custom, "77.0")
    monkeypatch.chdir(tmp_path)
    assert load_config(options=RunOptions(GIP_L2A="my_gipp.xml")).atmcorr.visibility_km == 77.0


def test_relative_gip_path_resolves_against_the_current_directory(tmp_path, monkeypatch, gipp_variant):
    given = gipp_variant("L2A_CAL_SC_GIPP.xml", ("<T_SDW>0.75<", "<T_SDW>0.5<"))
    monkeypatch.chdir(given.parent)
    config = load_config(options=RunOptions(GIP_L2A_SC=Path(given.name)))
    assert config.sc.thresholds.t_sdw == 0.5 and config.files.sc == given


def test_missing_gip_file_names_the_option(tmp_path):
    with pytest.raises(ConfigError, match=r"--GIP_L2A_AC: GIPP file does not exist: .*nothing\.xml"):
        load_config(options=RunOptions(GIP_L2A_AC=tmp_path / "nothing.xml"))


def test_expert_gipps_come_from_the_package_unless_given(isolated_home, gipp_variant):
    (isolated_home / "cfg").mkdir(parents=True)
    decoy = isolated_home / "cfg" / "L2A_CAL_AC_GIPP.xml"
    decoy.write_text("<not-a-gipp/>")
    config = load_config()
    assert config.files.ac == cfg_dir() / "L2A_CAL_AC_GIPP.xml"
    given = gipp_variant("L2A_CAL_AC_GIPP.xml", ("<AC_Slope_Th>6.0<", "<AC_Slope_Th>8.0<"))
    assert load_config(gip_ac=given).cal_ac.prio_1.slope_th_deg == 8.0


def test_processing_baseline_precedence(gipp_variant):
    pb = gipp_variant("L2A_PB_GIPP.xml", ("<Baseline_Version>99.99<", "<Baseline_Version>5.1<"))
    assert load_config().processing_baseline == "99.99"
    assert load_config(gip_pb=pb).processing_baseline == "05.10"
    assert load_config(gip_pb=pb, options=RunOptions(processing_baseline="05.11")).processing_baseline == "05.11"


def test_debug_option_overrides_log_level(gipp_variant):
    quiet = gipp_variant("L2A_GIPP.xml", ("<Log_Level>INFO<", "<Log_Level>WARNING<"))
    assert load_config(gip_l2a=quiet).log_level == "WARNING"
    assert load_config(gip_l2a=quiet, options=RunOptions(debug=True)).log_level == "DEBUG"


def test_resolution_60_switches_downsampling_off():
    assert load_config().downsample_20_to_60 is True
    assert load_config(options=RunOptions(resolution=20)).downsample_20_to_60 is True
    assert load_config(options=RunOptions(resolution=60)).downsample_20_to_60 is False


def test_nr_threads(gipp_variant):
    assert load_config().common.nr_threads == len(os.sched_getaffinity(0))
    three = gipp_variant("L2A_GIPP.xml", ("<Nr_Threads>AUTO<", "<Nr_Threads>3<"))
    common = load_config(gip_l2a=three).common
    assert (common.nr_threads_setting, common.nr_threads) == (3, 3)


def test_dem_directory_is_relative_to_home(isolated_home, gipp_variant):
    dem = gipp_variant("L2A_GIPP.xml", ("<DEM_Directory>NONE<", "<DEM_Directory>dem/CopernicusDEM90_AWS<"),
                       ("<DEM_Reference>NONE<", "<DEM_Reference>https://copernicus-dem-90m.s3.eu-central-1.amazonaws.com/<"))
    config = load_config(gip_l2a=dem)
    assert config.dem_path == isolated_home / "dem" / "CopernicusDEM90_AWS"
    assert config.common.dem_reference == "https://copernicus-dem-90m.s3.eu-central-1.amazonaws.com/"
    assert load_config().dem_path is None


def test_read_only_gipps_in_a_read_only_folder_work(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    files = {}
    for name in ("L2A_GIPP.xml", "L2A_CAL_SC_GIPP.xml", "L2A_CAL_AC_GIPP.xml", "L2A_PB_GIPP.xml"):
        files[name] = folder / name
        files[name].write_bytes((cfg_dir() / name).read_bytes())
        files[name].chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    before = {n: (p.read_bytes(), p.stat().st_mtime_ns) for n, p in files.items()}
    try:
        config = load_config(*files.values())
    finally:
        folder.chmod(stat.S_IRWXU)
    assert config.files.pb == files["L2A_PB_GIPP.xml"] and config.atmcorr.visibility_km == 40.0
    assert {n: (p.read_bytes(), p.stat().st_mtime_ns) for n, p in files.items()} == before
    assert sorted(p.name for p in folder.iterdir()) == sorted(files)


def test_config_is_frozen():
    config = load_config()
    with pytest.raises(AttributeError):
        config.atmcorr.visibility_km = 10.0   # type: ignore[misc]
    with pytest.raises(AttributeError):
        config.run = RunOptions()              # type: ignore[misc]


def test_empty_dem_reference_means_none(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<DEM_Reference>NONE</DEM_Reference>", "<DEM_Reference></DEM_Reference>"))
    assert load_config(gip_l2a=path).common.dem_reference is None
