"""Every rejected input: error class, message naming file/element/expected value, nothing written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sen2cor.errors import ProductError, ProductReadError
from sen2cor.l1c import read_l1c_product, read_tile_metadata
from tests.l1c.builders import assemble, edit_xml, real
from tests.l1c.test_product import listing

L2A = "l2a/S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE"


def _rejects(path: Path, error: type, *patterns: str) -> str:
    """read_l1c_product(path) raises ``error`` with every pattern in its message, and changes nothing."""
    before = listing(path) if path.is_dir() else None
    with pytest.raises(error) as info:
        read_l1c_product(path)
    message = str(info.value)
    for pattern in patterns:
        assert pattern in message, f"{pattern!r} not in {message!r}"
    if before is not None:
        assert listing(path) == before
    return message


def _granule(path: Path) -> Path:
    return next((path / "GRANULE").iterdir())


def test_missing_path(tmp_path):
    _rejects(tmp_path / "S2A_MSIL1C_nothing.SAFE", ProductError, "does not exist")


def test_a_file_is_not_a_product(tmp_path):
    file = tmp_path / "product.zip"
    file.write_bytes(b"PK")
    _rejects(file, ProductError, "is not a directory")


def test_random_folder_names_the_missing_metadata(tmp_path):
    folder = tmp_path / "holiday_pictures"
    folder.mkdir()
    (folder / "beach.jpg").write_bytes(b"\xff\xd8")
    _rejects(folder, ProductReadError, "MTD_MSIL1C.xml", "not a Level-1C compact SAFE product")


def test_l2a_product_is_refused(tmp_path):
    product = tmp_path / Path(L2A).name
    product.mkdir()
    shutil.copy(real(L2A, "MTD_MSIL2A.xml"), product / "MTD_MSIL2A.xml")
    _rejects(product, ProductError, "Level-2A", "expected a Level-1C product")


def test_l2a_metadata_under_an_l1c_name_is_refused(tmp_path):
    product = tmp_path / "S2B_MSIL1C_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE"
    product.mkdir()
    shutil.copy(real(L2A, "MTD_MSIL2A.xml"), product / "MTD_MSIL1C.xml")
    _rejects(
        product, ProductError, "MTD_MSIL1C.xml", "Level-2A_User_Product", "expected Level-1C_User_Product"
    )


def test_standard_psd13_safe_is_refused(tmp_path):
    product = tmp_path / "S2A_OPER_PRD_MSIL1C_PDMC_20160116T183541_R051_V20160116T105451_20160116T105451.SAFE"
    (product / "GRANULE" / "S2A_OPER_MSI_L1C_TL_SGS__20160116T152314_A002893_T31TDH_N02.01").mkdir(
        parents=True
    )
    (
        product / "S2A_OPER_MTD_SAFL1C_PDMC_20160116T183541_R051_V20160116T105451_20160116T105451.xml"
    ).write_text("<x/>")
    _rejects(product, ProductError, "non-compact", "PSD 13", "14.2-15.1")


@pytest.mark.parametrize(
    ("namespace", "words"), [("psd-13", "older than 14.2"), ("psd-16", "newer than 15.1")]
)
def test_psd_outside_the_supported_range(tmp_path, namespace, words):
    path = assemble(tmp_path, "N0510", qi=False, aux=False)
    edit_xml(path / "MTD_MSIL1C.xml", "psd-14.sentinel2", f"{namespace}.sentinel2", count=2)
    _rejects(path, ProductError, "MTD_MSIL1C.xml", words, "14.2-15.1")


def test_pre_compact_baseline_is_older_than_14_2(tmp_path):
    path = assemble(tmp_path, "N0206", qi=False, aux=False)
    edit_xml(path / "MTD_MSIL1C.xml", "<PROCESSING_BASELINE>02.06<", "<PROCESSING_BASELINE>02.03<")
    _rejects(path, ProductError, "PSD 14.0", "baseline 02.03", "older than 14.2")


def test_missing_tile_metadata(tmp_path):
    path = assemble(tmp_path, "N0509", qi=False, aux=False)
    (_granule(path) / "MTD_TL.xml").unlink()
    _rejects(path, ProductReadError, "MTD_TL.xml", "tile metadata is missing")


def test_malformed_product_metadata(tmp_path):
    path = assemble(tmp_path, "N0510", qi=False, aux=False)
    mtd = path / "MTD_MSIL1C.xml"
    mtd.write_text(mtd.read_text()[:5000])
    _rejects(path, ProductReadError, str(mtd), "malformed XML")


def test_malformed_tile_metadata(tmp_path):
    path = assemble(tmp_path, "N0301", qi=False, aux=False)
    tile = _granule(path) / "MTD_TL.xml"
    tile.write_text(tile.read_text().replace("</Tile_Geocoding>", "</Tile_Geocodin>", 1))
    _rejects(path, ProductReadError, "MTD_TL.xml", "malformed XML")


def test_missing_required_element_names_its_xpath(tmp_path):
    path = assemble(tmp_path, "N0206", qi=False, aux=False)
    edit_xml(path / "MTD_MSIL1C.xml", '<QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>', "")
    _rejects(
        path,
        ProductReadError,
        "MTD_MSIL1C.xml",
        "General_Info/Product_Image_Characteristics/QUANTIFICATION_VALUE is missing",
    )


def test_missing_offsets_from_baseline_04(tmp_path):
    path = assemble(tmp_path, "N0510", qi=False, aux=False)
    mtd = path / "MTD_MSIL1C.xml"
    text = mtd.read_text()
    start, end = text.index("<Radiometric_Offset_List>"), text.index("</Radiometric_Offset_List>")
    mtd.write_text(text[:start] + text[end + len("</Radiometric_Offset_List>") :])
    _rejects(
        path,
        ProductReadError,
        "Radiometric_Offset_List/RADIO_ADD_OFFSET is missing",
        "baseline 04.00",
        "05.10",
    )


def test_non_numeric_value_names_element_and_value(tmp_path):
    path = assemble(tmp_path, "N0509", qi=False, aux=False)
    mtd = path / "MTD_MSIL1C.xml"
    text = mtd.read_text()
    start = text.index("<U>") + 3
    mtd.write_text(text[:start] + "one" + text[text.index("</U>") :])
    _rejects(path, ProductReadError, "Reflectance_Conversion/U = 'one' is not a number")


def test_missing_sun_grid_names_its_xpath(tmp_path):
    path = assemble(tmp_path, "N0301", qi=False, aux=False)
    tile = _granule(path) / "MTD_TL.xml"
    text = tile.read_text()
    start, end = text.index("<Sun_Angles_Grid>"), text.index("</Sun_Angles_Grid>") + len("</Sun_Angles_Grid>")
    tile.write_text(text[:start] + text[end:])
    _rejects(
        path, ProductReadError, "MTD_TL.xml", "Geometric_Info/Tile_Angles/Sun_Angles_Grid/Zenith is missing"
    )


def test_missing_band_file_is_named(tmp_path):
    path = assemble(tmp_path, "N0510", qi=False, aux=False)
    band = next((_granule(path) / "IMG_DATA").glob("*_B03.jp2"))
    band.unlink()
    _rejects(path, ProductReadError, "B03 (", str(band))


def test_two_tiles_are_not_compact(tmp_path):
    path = assemble(tmp_path, "N0509", qi=False, aux=False)
    (path / "GRANULE" / "L1C_T34UDE_A032566_20230601T094546").mkdir()
    _rejects(path, ProductError, "2 tiles found", "exactly one")


def test_empty_granule_folder(tmp_path):
    path = assemble(tmp_path, "N0509", qi=False, aux=False, bands=False)
    shutil.rmtree(_granule(path))
    _rejects(path, ProductReadError, "GRANULE", "no tile folder")


def test_standard_product_format_is_refused(tmp_path):
    path = assemble(tmp_path, "N0510", qi=False, aux=False)
    edit_xml(path / "MTD_MSIL1C.xml", "<PRODUCT_FORMAT>SAFE_COMPACT<", "<PRODUCT_FORMAT>SAFE<")
    _rejects(path, ProductError, "PRODUCT_FORMAT = 'SAFE'", "expected SAFE_COMPACT")


def test_unknown_spacecraft(tmp_path):
    path = assemble(tmp_path, "N0510", qi=False, aux=False)
    edit_xml(path / "MTD_MSIL1C.xml", "<SPACECRAFT_NAME>Sentinel-2A<", "<SPACECRAFT_NAME>Landsat-9<")
    _rejects(path, ProductError, "SPACECRAFT_NAME = 'Landsat-9'", "Sentinel-2A, Sentinel-2B, Sentinel-2C")


def test_tile_reader_rejects_other_xml(tmp_path):
    other = tmp_path / "MTD_TL.xml"
    shutil.copy(real(L2A, "MTD_MSIL2A.xml"), other)
    with pytest.raises(ProductReadError, match="expected Level-1C_Tile_ID"):
        read_tile_metadata(other)
