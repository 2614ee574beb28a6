"""read_l1c_product on complete products assembled in tmp_path from the real metadata of five baselines."""

from __future__ import annotations

import os
import pickle
import re
import stat
from pathlib import Path

import glymur
import numpy as np
import pytest
from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.errors import MissingBandError, ProductReadError
from sen2cor.l1c import L1CProduct, read_grib, read_l1c_product
from tests.l1c.builders import MTD_DS_VALUES, REAL_L1C, assemble

KEYS = sorted(REAL_L1C)


def listing(root: Path) -> list[tuple[str, int, int, int]]:
    """(relative path, size, mtime_ns, mode) of every entry, symlinks not followed."""
    entries = []
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            entries.append(
                (os.path.relpath(os.path.join(dirpath, name), root), st.st_size, st.st_mtime_ns, st.st_mode)
            )
    return sorted(entries)


@pytest.fixture(scope="module", params=KEYS)
def assembled(request, tmp_path_factory):
    path = assemble(
        tmp_path_factory.mktemp(request.param), request.param, datastrip_mtd=request.param == "N0510"
    )
    return request.param, path, read_l1c_product(path)


def _tile_xpath(product: L1CProduct, expr: str) -> str:
    return etree.parse(str(product.tile_mtd_path)).getroot().xpath(expr)


def test_identity_matches_name_and_metadata(assembled):
    key, path, product = assembled
    assert isinstance(product, L1CProduct)
    assert product.path == path and product.name == path.name[:-5]
    assert product.mtd_path == path / "MTD_MSIL1C.xml"
    assert product.tile_mtd_path == product.granule_dir / "MTD_TL.xml"
    assert product.spacecraft == path.name[:3]
    assert product.processing_baseline.replace(".", "") == key[1:]
    assert product.relative_orbit == int(re.search(r"_R(\d{3})_", path.name).group(1))
    assert product.absolute_orbit == int(re.search(r"_A(\d{6})_", product.granule_dir.name).group(1))
    tile_identifier = _tile_xpath(product, "string(//*[local-name()='TILE_ID'])")
    assert product.tile_id == re.search(r"_T(\d{2}[A-Z]{3})_", tile_identifier).group(1)
    assert product.sensing_start.strftime("%Y%m%dT%H%M%S") == path.name.split("_")[2]
    assert product.psd_version.startswith("14.")
    assert product.has_radiometric_offset is (int(key[1:]) >= 400)


def test_every_band_has_its_jp2(assembled):
    _, path, product = assembled
    for band in BAND_IDS:
        file = product.band_path(band)
        assert file.is_file() and file.name.endswith(f"_{band}.jp2")
        assert file.parent == product.granule_dir / "IMG_DATA"
    assert product.tci_path is not None and product.tci_path.name.endswith("_TCI.jp2")
    assert glymur.Jp2k(str(product.band_path("B8A"))).shape == (687, 687)  # the real reduced L1C band
    with pytest.raises(MissingBandError, match="B13"):
        product.band_path("B13")


def test_aux_grib_paths_follow_the_baseline(assembled):
    key, _, product = assembled
    assert product.aux_paths["AUX_ECMWFT"] == product.granule_dir / "AUX_DATA" / "AUX_ECMWFT"
    assert (product.aux_paths["AUX_CAMSFO"] is not None) is (int(key[1:]) >= 400)
    assert "tco3" in read_grib(product.aux_paths["AUX_ECMWFT"])


def test_quality_masks_follow_the_baseline(assembled):
    key, _, product = assembled
    qi = product.qi
    assert qi.qi_dir == product.granule_dir / "QI_DATA"
    if int(key[1:]) >= 400:
        assert qi.mask_format == "jp2"
        assert qi.quality_mask("B04").name == "MSK_QUALIT_B04.jp2" and qi.quality_mask("B04").is_file()
        assert (
            qi.detector_footprint("B8A").name == "MSK_DETFOO_B8A.jp2"
            and qi.detector_footprint("B8A").is_file()
        )
        assert qi.classification_mask.name == "MSK_CLASSI_B00.jp2" and qi.classification_mask.is_file()
    else:
        assert qi.mask_format == "gml"
        assert (
            qi.detector_footprint("B04").name == "MSK_DETFOO_B04.gml"
            and qi.detector_footprint("B04").is_file()
        )
        assert qi.quality_mask("B04") is None and qi.classification_mask is None
        assert qi.mask("MSK_CLOUDS").name == "MSK_CLOUDS_B00.gml"
    assert qi.reports["GENERAL_QUALITY"].is_file()
    assert qi.general_quality and all(c.status == "PASSED" for c in qi.general_quality)
    assert qi.degraded_bands == ()


def test_datastrip_facts(assembled):
    key, _, product = assembled
    ds = product.datastrip
    mtd = etree.parse(str(product.mtd_path)).getroot()
    ds_id = mtd.xpath("string(//*[local-name()='Granule']/@datastripIdentifier)")
    assert ds.datastrip_identifier == ds_id
    if key == "N0510":  # synthetic MTD_DS.xml written by the builder
        assert ds.source == "MTD_DS.xml" and product.datastrip_mtd_path.name == "MTD_DS.xml"
        assert ds.processing_centre == MTD_DS_VALUES["PROCESSING_CENTER"]
        assert ds.sensing_start.isoformat() == "2024-01-01T10:27:36.123000+00:00"
        assert ds.sensing_stop.isoformat() == "2024-01-01T10:41:02.456000+00:00"
        assert ds.granule_identifiers == (
            mtd.xpath("string(//*[local-name()='Granule']/@granuleIdentifier)"),
        )
    else:  # decoded from S2x_OPER_MSI_L1C_DS_<ctr>_<t>_S<t>_N..
        assert ds.source == "MTD_MSIL1C.xml" and product.datastrip_mtd_path is None
        assert ds.processing_centre == ds_id[20:24]
        assert ds.sensing_start.strftime("S%Y%m%dT%H%M%S") == ds_id.split("_")[-2]
        assert ds.processing_baseline == product.processing_baseline
    assert product.datastrip_dir is not None and product.datastrip_dir.parent.name == "DATASTRIP"


def test_degraded_bands_come_from_failed_general_quality_checks(tmp_path):
    path = assemble(tmp_path, "N0510")
    report = path / "GRANULE" / next((path / "GRANULE").iterdir()).name / "QI_DATA" / "GENERAL_QUALITY.xml"
    text = report.read_text()
    report.unlink()  # replace the symlink by an edited copy
    text = text.replace('id="Data_Loss" item=', 'id="Data_Loss" item=', 1)
    text = re.sub(r'(id="Data_Loss"[^>]*status=")PASSED(")', r"\1FAILED\2", text, count=1)
    text = text.replace("No data loss in this tile.", "Data loss detected in bands B3, B8A and B11.")
    report.write_text(text)
    product = read_l1c_product(path)
    failed = [c for c in product.qi.general_quality if c.status == "FAILED"]
    assert [c.check_id for c in failed] == ["Data_Loss"]
    assert product.qi.degraded_bands == ("B03", "B8A", "B11")


def test_read_only_input_is_read_and_left_untouched(tmp_path):
    path = assemble(tmp_path, "N0510", datastrip_mtd=True)
    dirs = [Path(d) for d, _, _ in os.walk(path)]
    files = [Path(d) / f for d, _, fs in os.walk(path) for f in fs if not (Path(d) / f).is_symlink()]
    for file in files:
        file.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    for directory in dirs:
        directory.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        before = listing(path)
        product = read_l1c_product(path)
        for name in ("AUX_ECMWFT", "AUX_CAMSFO"):
            read_grib(product.aux_paths[name])
        assert listing(path) == before
    finally:
        for directory in dirs:
            directory.chmod(stat.S_IRWXU)


def test_relative_path_resolves_against_the_current_directory(tmp_path, monkeypatch):
    path = assemble(tmp_path, "N0206")
    monkeypatch.chdir(tmp_path)
    product = read_l1c_product(path.name)
    assert product.path == path and product.path.is_absolute()


def test_metadata_only_products_are_accepted_on_request(tmp_path):
    path = assemble(tmp_path, "N0509", bands=False)
    with pytest.raises(
        ProductReadError, match=r"band image file\(s\) listed in MTD_MSIL1C.xml are missing: B01"
    ):
        read_l1c_product(path)
    product = read_l1c_product(path, check_band_files=False)
    with pytest.raises(ProductReadError, match=r"_B8A\.jp2: image file of band B8A .* is missing"):
        product.band_path("B8A")


def test_product_is_frozen(assembled):
    _, _, product = assembled
    with pytest.raises(AttributeError):
        product.tile_id = "00XXX"


def test_psd_version_comes_from_namespace_and_tile_schema_bundle(assembled):
    _, _, product = assembled
    root = etree.parse(str(product.mtd_path)).getroot()
    major = int(re.search(r"psd-(\d+)\.", etree.QName(root).namespace).group(1))
    location = (
        etree.parse(str(product.tile_mtd_path))
        .getroot()
        .get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")
    )
    bundle = re.search(r"/schemas/(\d\d)\.(\d\d)\.\d\d/PSD/", location)
    assert product.psd_version.split(".")[0] == str(major)
    if bundle and int(bundle.group(1)) == major:  # e.g. schemas/14.08.02 -> 14.8
        assert product.psd_version == f"{major}.{int(bundle.group(2))}"
    assert (14, 2) <= tuple(int(v) for v in product.psd_version.split(".")) <= (15, 1)


def test_product_pickles_for_worker_processes(assembled):
    _, _, product = assembled
    clone = pickle.loads(pickle.dumps(product))
    assert clone.radiometry.add_offset == product.radiometry.add_offset
    assert clone.band_path("B04") == product.band_path("B04")
    np.testing.assert_array_equal(
        clone.tile.angles.viewing_zenith["B04"], product.tile.angles.viewing_zenith["B04"]
    )
    with pytest.raises(TypeError):
        clone.radiometry.solar_irradiance["B04"] = 0.0
