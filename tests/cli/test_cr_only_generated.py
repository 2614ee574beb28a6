"""The L1C reader, ``L2A_Process --cr_only`` and the product writer on generated products: the same checks as
the real-file tests (tests/cli/test_cr_only.py, tests/product/test_writer.py), without ../shared."""
from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sen2cor.cli import main
from sen2cor.errors import OutputError
from sen2cor.l1c import read_l1c_product
from sen2cor.product import create_l2a_skeleton
from sen2cor.testing import make_l1c
from tests.faults.helpers import set_read_only, tree_digest
from tests.privileges import run_without_permission_override

CASES = [("S2A", "05.10", "2022-10-05", "29UNU", "14"), ("S2B", "05.09", "2023-03-01", "31TDH", "14"),
         ("S2C", "05.11", "2025-06-01", "32TQM", "15")]


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))


@pytest.fixture(scope="module", params=CASES, ids=[f"{c[0]}-N{c[1]}" for c in CASES])
def generated(request, tmp_path_factory):
    spacecraft, baseline, day, tile, psd = request.param
    safe = make_l1c(tmp_path_factory.mktemp("l1c"), size_px=120, seed=2, spacecraft=spacecraft, baseline=baseline,
                    acquisition_date=day, tile_id=tile, scene="clear", write_truth=False)
    return safe, request.param


def test_reader_returns_the_identity_the_generator_wrote(generated):
    safe, (spacecraft, baseline, day, tile, psd) = generated
    product = read_l1c_product(safe)
    assert (product.spacecraft, product.processing_baseline, product.tile_id) == (spacecraft, baseline, tile)
    assert product.psd_version.split(".")[0] == psd
    assert product.sensing_start.date().isoformat() == day
    assert product.radiometry.quantification_value == 10000.0
    assert set(product.radiometry.add_offset.values()) == {-1000}  # baselines >= 04.00
    assert product.tile.geoposition[10].nrows == 120 and product.tile.geoposition[60].ncols == 20
    for band in ("B01", "B02", "B8A", "B10", "B12"):
        assert product.band_path(band).is_file()


def test_cr_only_writes_the_full_tree_from_a_read_only_input(generated, tmp_path):
    safe, (spacecraft, baseline, day, tile, psd) = generated
    set_read_only(safe)
    before = tree_digest(safe)
    out = tmp_path / "out"
    try:
        assert main([str(safe), "--cr_only", "--output_dir", str(out)]) == 0
    finally:
        after = tree_digest(safe)
        set_read_only(safe, False)
    assert before == after
    (product,) = out.iterdir()
    l1c_parts = safe.stem.split("_")
    assert product.name.startswith(f"{spacecraft}_MSIL2A_{l1c_parts[2]}_N9999_{l1c_parts[4]}_T{tile}_")
    for rel in ("MTD_MSIL2A.xml", "INSPIRE.xml", "manifest.safe", "HTML", "rep_info", "AUX_DATA"):
        assert (product / rel).exists(), rel
    (ds,) = (product / "DATASTRIP").iterdir()
    assert (ds / "MTD_DS.xml").is_file() and (ds / "QI_DATA").is_dir()
    (granule,) = (product / "GRANULE").iterdir()
    assert granule.name.startswith(f"L2A_T{tile}_A")
    for rel in ("MTD_TL.xml", "IMG_DATA/R10m", "IMG_DATA/R20m", "IMG_DATA/R60m", "QI_DATA", "AUX_DATA"):
        assert (granule / rel).exists(), rel
    mtd = etree.parse(str(product / "MTD_MSIL2A.xml")).getroot()
    assert mtd.tag.startswith(f"{{https://psd-{psd}.sentinel2.eo.esa.int/")
    assert mtd.xpath("string(//*[local-name()='PROCESSING_BASELINE'])") == "99.99"
    assert mtd.xpath("string(//*[local-name()='PRODUCT_TYPE'])") == "S2MSI2A"
    assert mtd.xpath("string(//*[local-name()='SPACECRAFT_NAME'])") == f"Sentinel-{spacecraft[1:]}"
    assert mtd.xpath("string(//*[local-name()='PRODUCT_START_TIME'])").startswith(day)
    reports = list((product / "HTML").glob("*_report.log"))
    assert len(reports) == 1 and "Application terminated successfully" in reports[0].read_text()


def test_missing_tile_metadata_fails_cleanly_and_writes_nothing(generated, tmp_path, capsys):
    safe, _ = generated
    copy = tmp_path / safe.name
    _copy_tree(safe, copy)
    next(copy.glob("GRANULE/*/MTD_TL.xml")).unlink()
    out = tmp_path / "out"
    assert main([str(copy), "--cr_only", "--output_dir", str(out)]) == 1
    assert "MTD_TL.xml" in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []


def test_writer_refuses_a_read_only_output_directory(generated, tmp_path):
    safe, _ = generated
    product = read_l1c_product(safe)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)

    def body():
        with pytest.raises(OutputError, match="not writable"):
            create_l2a_skeleton(product, locked, "99.99")
        assert list(locked.iterdir()) == []

    try:
        run_without_permission_override(body)
    finally:
        locked.chmod(0o755)


def test_writer_does_not_overwrite_an_existing_product(generated, tmp_path):
    safe, _ = generated
    product = read_l1c_product(safe)
    first = create_l2a_skeleton(product, tmp_path, "99.99")
    assert first.is_dir() and (first / "MTD_MSIL2A.xml").is_file()
    with pytest.raises(OutputError, match="already exists"):
        create_l2a_skeleton(product, tmp_path, "99.99", generation_time=_generation_time(first))


def _generation_time(product_dir: Path):
    from datetime import datetime, timezone

    stamp = product_dir.stem.split("_")[-1]
    return datetime.strptime(stamp, "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)


def _copy_tree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)
