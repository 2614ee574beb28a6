"""sen2cor.api: the result of one run against the product it wrote, errors as L2A_Process prints them,
progress events, memory and console behaviour."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from sen2cor.api import process, read_product_quality
from sen2cor.cli import main
from sen2cor.errors import ConfigError, ProductError
from sen2cor.run.logging_setup import logging_configured
from sen2cor.testing import make_l1c


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=120, seed=7, write_truth=False)


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _tile_qi(product: Path) -> dict[str, str]:
    (mtd,) = product.glob("GRANULE/L2A_T*/MTD_TL.xml")
    root = etree.parse(str(mtd)).getroot()
    (content,) = root.xpath("//*[local-name()='Image_Content_QI']")
    return {etree.QName(e).localname: e.text for e in content}


def test_result_describes_the_written_product(l1c, tmp_path):
    result = process(l1c, resolution=20, output_dir=tmp_path / "out", console=False)
    assert result.status == "processed" and result.mode == "toolbox" and result.exit_code == 0
    assert result.output.parent == tmp_path / "out" and result.output.name.startswith("S2A_MSIL2A_")
    assert (result.output / "manifest.safe").is_file()
    assert result.report is not None and result.report.is_file()
    assert result.report.parent == tmp_path / "home" / "log"
    qi = _tile_qi(result.output)
    quality = result.quality
    assert quality.cloud_percent == pytest.approx(float(qi["CLOUDY_PIXEL_PERCENTAGE"]))
    assert quality.aot_mean == pytest.approx(float(qi["GRANULE_MEAN_AOT"]))
    assert quality.wv_mean == pytest.approx(float(qi["GRANULE_MEAN_WV"]))
    assert quality.aot_method == qi["AOT_RETRIEVAL_METHOD"]
    assert quality.class_percentages["WATER_PERCENTAGE"] == pytest.approx(float(qi["WATER_PERCENTAGE"]))
    mtd = etree.parse(str(result.output / "MTD_MSIL2A.xml")).getroot()
    cca = mtd.xpath("string(//*[local-name()='Cloud_Coverage_Assessment'])")
    assert quality.cloud_coverage_assessment == pytest.approx(float(cca))
    assert quality.values["AC_ENABLED"] == "True"      # from L2A_QUALITY.xml
    assert read_product_quality(result.output) == quality
    assert 0 < result.cpu_time_s and 0 < result.wall_time_s
    assert result.steps and result.steps[-1].percent == 100.0


def test_sc_only_records_that_no_correction_ran(l1c, tmp_path):
    result = process(l1c, sc_only=True, output_dir=tmp_path / "out", console=False)
    assert result.quality.values["AC_ENABLED"] == "False"
    assert not list(result.output.glob("GRANULE/*/IMG_DATA/R10m/*"))


def test_cr_only_has_no_quality(l1c, tmp_path):
    result = process(l1c, cr_only=True, output_dir=tmp_path / "out", console=False)
    assert result.status == "created" and result.quality is None and result.output.is_dir()


def test_peak_memory_is_that_of_the_run(l1c, tmp_path):
    """A callback allocating 400 MB inside the run raises the run's peak; the next run, without it, is
    measured from its own start (the peak is reset), not from the process's history."""
    held = []

    def allocate(percent, step):
        held.append(np.ones(50_000_000))           # 400 MB, touched

    big = process(l1c, resolution=60, output_dir=tmp_path / "a", console=False, progress=allocate)
    held.clear()
    small = process(l1c, resolution=60, output_dir=tmp_path / "b", console=False)
    assert big.peak_rss_scope == small.peak_rss_scope == "run"
    assert big.peak_rss_bytes > 400e6
    assert small.peak_rss_bytes < big.peak_rss_bytes - 300e6


def test_failing_progress_callback_does_not_fail_the_run(l1c, tmp_path):
    def broken(percent, step):
        raise RuntimeError("callback bug")

    assert process(l1c, resolution=60, output_dir=tmp_path, console=False, progress=broken).status == "processed"


def test_errors_print_the_same_line_as_l2a_process(l1c, tmp_path, capsys):
    missing = tmp_path / "S2A_MSIL1C_20221005T114533_N0510_R023_T29UNU_20221005T133546.SAFE"
    assert main([str(missing), "--output_dir", str(tmp_path / "o")]) == 1
    cli_err = capsys.readouterr().err
    with pytest.raises(ProductError) as caught:
        process(missing, output_dir=tmp_path / "o")
    api_err = capsys.readouterr().err
    assert cli_err.splitlines()[-1] == api_err.splitlines()[-1] == f"ERROR: {caught.value}"
    assert missing.name in str(caught.value)
    assert not logging_configured()
    assert not (tmp_path / "o").exists() or not any((tmp_path / "o").iterdir())


def test_usage_errors_raise_before_any_run(tmp_path, capsys):
    with pytest.raises(ConfigError, match="--resolution 15"):
        process(tmp_path, resolution=15, console=False)
    with pytest.raises(TypeError):
        process(tmp_path, no_such_option=True, console=False)
    assert capsys.readouterr().err == ""


def test_console_false_prints_nothing(l1c, tmp_path, capsys):
    process(l1c, resolution=60, output_dir=tmp_path, console=False)
    assert capsys.readouterr().err == ""
    process(l1c, resolution=60, output_dir=tmp_path / "again")
    assert "L2A product:" in capsys.readouterr().err
