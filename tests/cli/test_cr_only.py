"""L2A_Process --cr_only end to end on L1C products assembled from real metadata, and its bad inputs."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sen2cor.cli import main
from tests.faults.helpers import set_read_only, tree_digest
from tests.l1c.builders import assemble, edit_xml
from tests.privileges import run_without_permission_override


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))


def test_cr_only_writes_the_full_tree_from_a_read_only_input(tmp_path):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    set_read_only(l1c)
    before = tree_digest(l1c)
    out = tmp_path / "out"
    try:
        assert main([str(l1c), "--cr_only", "--output_dir", str(out)]) == 0
    finally:
        after = tree_digest(l1c)
        set_read_only(l1c, False)
    assert before == after
    (product,) = out.iterdir()
    assert product.name.startswith("S2A_MSIL2A_20240101T102431_N9999_R065_T30NWM_")
    for rel in ("MTD_MSIL2A.xml", "INSPIRE.xml", "manifest.safe", "HTML", "rep_info", "AUX_DATA"):
        assert (product / rel).exists(), rel
    (ds,) = (product / "DATASTRIP").iterdir()
    assert (ds / "MTD_DS.xml").is_file() and (ds / "QI_DATA").is_dir()
    (granule,) = (product / "GRANULE").iterdir()
    assert granule.name.startswith("L2A_T30NWM_A044535_")
    for rel in ("MTD_TL.xml", "IMG_DATA/R10m", "IMG_DATA/R20m", "IMG_DATA/R60m", "QI_DATA", "AUX_DATA"):
        assert (granule / rel).exists(), rel
    mtd = etree.parse(str(product / "MTD_MSIL2A.xml")).getroot()
    assert mtd.xpath("string(//*[local-name()='PROCESSING_BASELINE'])") == "99.99"
    assert mtd.xpath("string(//*[local-name()='PRODUCT_TYPE'])") == "S2MSI2A"
    reports = list((product / "HTML").glob("*_report.log"))
    assert len(reports) == 1 and "Application terminated successfully" in reports[0].read_text()


def test_processing_baseline_option_names_the_product(tmp_path):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    out = tmp_path / "out"
    assert main([str(l1c), "--cr_only", "--output_dir", str(out), "--processing_baseline", "05.11"]) == 0
    (product,) = out.iterdir()
    assert "_N0511_" in product.name


def test_relative_input_and_default_output_next_to_the_input(tmp_path, monkeypatch):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    monkeypatch.chdir(tmp_path)
    assert main([l1c.name, "--cr_only"]) == 0
    assert len(list(tmp_path.glob("S2A_MSIL2A_*.SAFE"))) == 1


def _expect_failure(argv, out: Path, capsys, *fragments: str) -> None:
    assert main(argv) == 1
    err = capsys.readouterr().err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert not out.exists() or list(out.iterdir()) == []


def test_not_a_product_fails_cleanly(tmp_path, capsys):
    folder = tmp_path / "holiday_photos"
    folder.mkdir()
    out = tmp_path / "out"
    _expect_failure([str(folder), "--cr_only", "--output_dir", str(out)], out, capsys, "holiday_photos")


def test_missing_tile_metadata_fails_cleanly(tmp_path, capsys):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    next(l1c.glob("GRANULE/*/MTD_TL.xml")).unlink()
    out = tmp_path / "out"
    _expect_failure([str(l1c), "--cr_only", "--output_dir", str(out)], out, capsys, "MTD_TL.xml")


def test_malformed_product_metadata_fails_cleanly(tmp_path, capsys):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    mtd = l1c / "MTD_MSIL1C.xml"
    mtd.write_text(mtd.read_text()[:500])
    out = tmp_path / "out"
    _expect_failure([str(l1c), "--cr_only", "--output_dir", str(out)], out, capsys, "MTD_MSIL1C.xml")


def test_unsupported_psd_version_fails_cleanly(tmp_path, capsys):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    edit_xml(l1c / "MTD_MSIL1C.xml", "psd-14.sentinel2", "psd-13.sentinel2", count=-1)
    out = tmp_path / "out"
    _expect_failure([str(l1c), "--cr_only", "--output_dir", str(out)], out, capsys, "PSD")


def test_invalid_gipp_fails_cleanly_naming_file_element_and_value(tmp_path, capsys):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    from sen2cor.config.resources import cfg_dir

    gipp = tmp_path / "my_gipp.xml"
    gipp.write_text((cfg_dir() / "L2A_GIPP.xml").read_text().replace(
        "<Aerosol_Type>RURAL</Aerosol_Type>", "<Aerosol_Type>DESERT</Aerosol_Type>"))
    out = tmp_path / "out"
    _expect_failure([str(l1c), "--cr_only", "--output_dir", str(out), "--GIP_L2A", str(gipp)], out, capsys,
                    "my_gipp.xml", "Aerosol_Type", "DESERT", "RURAL")


def test_output_directory_not_writable_fails_cleanly(tmp_path, capsys):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:  # as root: in a child process held to the permission bits
        run_without_permission_override(
            _expect_failure, [str(l1c), "--cr_only", "--output_dir", str(out)], out, capsys, str(out))
    finally:
        out.chmod(0o700)


def test_output_directory_that_cannot_be_created_fails_cleanly(tmp_path, capsys):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = blocker / "out"
    _expect_failure([str(l1c), "--cr_only", "--output_dir", str(out)], out, capsys, "a_file")


def test_failure_reason_is_in_the_run_log(tmp_path, capsys):
    l1c = assemble(tmp_path, "N0510", datastrip_mtd=True)
    next(l1c.glob("GRANULE/*/MTD_TL.xml")).unlink()
    assert main([str(l1c), "--cr_only", "--output_dir", str(tmp_path / "out")]) == 1
    (log_file,) = (tmp_path / "home" / "log").glob(f"{l1c.stem}_*_report.log")
    text = log_file.read_text()
    assert "ERROR" in text and "MTD_TL.xml" in text
