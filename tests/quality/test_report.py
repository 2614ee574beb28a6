"""L2A_QUALITY.xml: structure against the official files, value formats, round trip, metadata update."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from sen2cor.errors import ProductReadError
from sen2cor.l1c import read_l1c_product
from sen2cor.product import L2ALayout, create_l2a_skeleton
from sen2cor.quality import (
    AerosolRetrieval,
    build_quality_report,
    compute_indicators,
    read_quality_values,
    write_quality,
    write_quality_report,
)
from sen2cor.quality.indicators import NEGATIVE_BOA_BANDS
from tests.conftest import shared_path
from tests.l1c.builders import assemble

N0400 = "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"   # Sen2Cor 02.10.01, PSD 14
N0511 = "S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE"   # Sen2Cor 02.12.02, PSD 15
TOOLBOX = ("metadata", "stactools", "S2B_MSIL2A_20230122T231849_N0400_R087_T01UBT_20230124T042703.SAFE")
CREATED = datetime(2024, 11, 15, 13, 44, 15, tzinfo=UTC)
NUMBER = re.compile(r"^-?\d+\.\d{6}$")
SCL = np.array([[0, 1, 4, 4, 6, 5], [2, 3, 8, 9, 10, 11]], np.uint8)


def official(*parts: str) -> Path:
    return next(shared_path("data", "real", *parts, "GRANULE").glob("*/QI_DATA/L2A_QUALITY.xml"))


def indicators(psd15: bool = False):
    boa = {b: np.full(SCL.shape, 1500, np.uint16) for b in NEGATIVE_BOA_BANDS}
    return compute_indicators(
        SCL, aot_dn=np.full(SCL.shape, 89, np.uint16), wvp_dn=np.full(SCL.shape, 1144, np.uint16),
        mean_sun_zenith_deg=57.820576, tco3_kg_m2=np.array([0.0069]), boa=boa, boa_add_offset_dn=-1000,
        dem_m=np.array([[92.304, 168.1]]), slope_deg=np.array([[2.38907, 6.6466036]]), dem_type="DTED_90",
        dem_files=("w010_n51.dt1", "w010_n52.dt1"), degraded_msi_percent=0.0264, psd15=psd15,
        retrieval=AerosolRetrieval(ddv_visibility_km=102.97, ddv_pixel_percent=2.285885,
                                   lut_files=("h99000_wv20_rura.atm",)))


def skeleton(root: etree._Element) -> list[tuple]:
    """Every element and comment in document order: (tag path, attribute names, name attribute / comment)."""
    out = []
    for node in root.iter():
        if isinstance(node, etree._Comment):
            out.append(("#comment", (), node.text.strip()))
            continue
        path = "/".join(etree.QName(a).localname for a in [*reversed(list(node.iterancestors())), node])
        label = node.get("name") if etree.QName(node).localname == "value" else None
        out.append((path, tuple(sorted(node.attrib)), label))
    return out


def texts(root: etree._Element, tag: str) -> list[str]:
    return [n.text for n in root.iter(f"{{{root.nsmap[None]}}}{tag}")]


def test_structure_equals_the_sen2cor_2_12_pdgs_file():
    real = etree.parse(str(official("l2a", N0511))).getroot()
    ours = build_quality_report(indicators(psd15=True), mission="S2B", item_name="x", item_url="/x/AUX_DATA",
                                file_class="OPER", creation_time=CREATED)
    assert etree.QName(ours).text == etree.QName(real).text
    assert ours.nsmap == real.nsmap
    assert ours.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation") == \
        real.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation")
    assert skeleton(ours) == skeleton(real)
    for tag in ("parentID", "name", "version", "message", "File_Name", "File_Description", "Mission",
                "File_Class", "File_Type", "Validity_Start", "Validity_Stop", "File_Version", "System",
                "Creator", "Creator_Version", "Creation_Date"):
        assert texts(ours, tag) == texts(real, tag), tag
    assert ours.find(".//{*}report").attrib.keys() == real.find(".//{*}report").attrib.keys()
    assert ours.find(".//{*}report").get("gippVersion") == "02.12.04"


def test_value_names_match_the_2_10_files_except_the_2_12_additions():
    ours = build_quality_report(indicators(), mission="S2A", item_name="x", item_url="/x",
                                creation_time=CREATED)
    names = [v.get("name") for v in ours.iter("{*}value")]
    for parts in (("l2a", N0400), TOOLBOX):
        real = etree.parse(str(official(*parts))).getroot()
        expected = [v.get("name") for v in real.iter("{*}value")]
        assert [n for n in names if n not in ("AC_ENABLED", "B05")] == expected
    assert "DARK_FEATURES_PERCENTAGE" in names and "CAST_SHADOW_PERCENTAGE" not in names


@pytest.mark.parametrize("parts", [("l2a", N0400), ("l2a", N0511), TOOLBOX])
def test_number_format_is_the_official_one(parts):
    """Numbers are '%f' except the DEM statistics (float32 text); checked on the official files and ours."""
    float32_text = {"DEM_MEAN_ALTITUDE_KM", "DEM_MEAN_SLOPE"}
    for root in (etree.parse(str(official(*parts))).getroot(),
                 build_quality_report(indicators(), mission="S2A", item_name="x", item_url="/x")):
        for value in root.iter("{*}value"):
            text, name = value.text, value.get("name")
            if name in float32_text:
                assert str(np.float32(text)) == text
            elif re.match(r"^-?\d", text):
                assert NUMBER.match(text), (name, text)
            else:
                assert text in ("True", "False") or text.startswith("[") or text.isupper(), (name, text)


def test_values_round_trip(tmp_path):
    qi = indicators()
    path = write_quality_report(build_quality_report(qi, mission="S2A", item_name="x", item_url="/x"),
                                tmp_path / "L2A_QUALITY.xml")
    values = read_quality_values(path)
    numbers = {**qi.scene, **qi.atmosphere, **qi.negative_boa}
    for name, value in numbers.items():
        assert float(values[name]) == pytest.approx(value, abs=5e-7), name
    assert values["GRANULE_MEAN_AOT"] == "0.089000" and values["GRANULE_MEAN_WV"] == "1.144000"
    assert values["DEM_MEAN_SLOPE"] == str(np.float32((2.38907 + 6.6466036) / 2))
    assert values["AC_ENABLED"] == "True" and values["AOT_ABOVE_1"] == "False"
    assert values["LUT_DATA_FILES"] == "['h99000_wv20_rura.atm']"
    assert values["AUX_DATA_FILES"] == "['w010_n51.dt1', 'w010_n52.dt1']"
    assert values["OZONE_SOURCE"] == "AUX_ECMWFT" and values["DEM_TYPE"] == "DTED_90"
    assert [p.name for p in tmp_path.iterdir()] == ["L2A_QUALITY.xml"]        # no temporary left


def test_write_quality_into_a_toolbox_product(tmp_path):
    (tmp_path / "in").mkdir()
    safe = assemble(tmp_path / "in", "N0510", bands=False, aux=False, qi=False, datastrip_mtd=True)
    product = read_l1c_product(safe, check_band_files=False)
    temporary = create_l2a_skeleton(product, tmp_path / "out", "05.10", publish=False)
    layout = L2ALayout.from_root(temporary)
    path = write_quality(temporary, indicators(psd15=True), creation_time=CREATED)
    assert path == layout.l2a_quality
    report = etree.parse(str(path)).getroot()
    assert report.findtext(".//{*}File_Class") == "USER"
    assert report.find(".//{*}item").get("name") == layout.granule_name
    assert report.find(".//{*}item").get("url") == str(tmp_path / "out" / layout.name / "GRANULE" /
                                                       layout.granule_name / "AUX_DATA")
    mtd = etree.parse(str(layout.mtd_product)).getroot()
    tile = etree.parse(str(layout.mtd_tile)).getroot()
    # SCL above: 10 valid pixels, clouds 8, 9, 10 -> 30 %; Sen2Cor's float32 ratio 3/10 prints as 30.000001
    assert mtd.xpath("string(//*[local-name()='Cloud_Coverage_Assessment'])") == "30.000001"
    for root in (mtd, tile):
        assert root.xpath("string(//*[local-name()='Image_Content_QI']/*[local-name()='GRANULE_MEAN_AOT'])") \
            == "0.089000"
        assert root.xpath("string(//*[local-name()='AOT_RETRIEVAL_METHOD'])") == "SEN2COR_DDV"
        assert root.xpath("string(//*[local-name()='OZONE_SOURCE'])") == "AUX_ECMWFT"
    assert tile.xpath("string(//*[local-name()='CLOUDY_PIXEL_PERCENTAGE'])") == "30.000001"


def test_write_quality_rejects_other_folders(tmp_path):
    with pytest.raises(ProductReadError, match="neither an L2A product .* nor an L2A tile folder"):
        write_quality(tmp_path, indicators())
    assert list(tmp_path.iterdir()) == []
