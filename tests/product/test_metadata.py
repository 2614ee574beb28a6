"""MTD_MSIL2A / MTD_TL / MTD_DS conversion: element order vs official products, XSD validity, values."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from sen2cor.bands import RESOLUTIONS_M
from sen2cor.product import L2ALayout, create_l2a_skeleton, finalise_product, update_quality_indicators
from sen2cor.product.metadata import MetadataContext
from sen2cor.product.mtd_datastrip import build_datastrip_metadata
from sen2cor.product.safe_files import rep_info_schemas
from tests.conftest import shared_path
from tests.product.conftest import GENERATED, OFFICIAL_N0400, OFFICIAL_N0511, official

PSD145 = ("schemas", "sen2cor-2.8-cfg", "cfg", "S2-PDGS-TAS-DI-PSD-V14.5_Schema")
#: Elements PSD 14.7 added (config facts §5.4, §6.1); the only PSD 14.5 schema available predates them.
PSD147_ADDITIONS = {
    "PRODUCT_DOI",
    "BOA_ADD_OFFSET_VALUES_LIST",
    "CLOUDY_PIXEL_OVER_LAND_PERCENTAGE",
    "AOT_RETRIEVAL_METHOD",
    "GRANULE_MEAN_AOT",
    "GRANULE_MEAN_WV",
    "OZONE_SOURCE",
    "OZONE_VALUE",
}


def tag_sequence(path: Path) -> list[str]:
    """Element paths in document order, runs of equal siblings collapsed, values excluded."""
    out: list[str] = []

    def walk(node, prefix):
        previous = None
        for c in node:
            if not isinstance(c.tag, str):
                continue
            name = etree.QName(c).localname
            if name != previous:
                out.append(f"{prefix}/{name}")
                walk(c, f"{prefix}/{name}")
            previous = name

    walk(etree.parse(str(path)).getroot(), "")
    return out


def complete_product(l1c, out_dir: Path, baseline: str) -> L2ALayout:
    """Skeleton plus stand-in files for every image and probability mask, then finalised."""
    root = create_l2a_skeleton(l1c, out_dir, baseline, generation_time=GENERATED)
    layout = L2ALayout.from_root(root)
    for res in RESOLUTIONS_M:
        for path in layout.image_files(res):
            path.write_bytes(b"\x00" * 16)
    for res in (20, 60):
        for kind in ("MSK_CLDPRB", "MSK_SNWPRB"):
            layout.probability_mask(kind, res).write_bytes(b"\x00" * 8)
    finalise_product(root)
    return layout


def test_product_metadata_has_the_official_psd14_element_order(l1c_n0510, out_dir):
    layout = complete_product(l1c_n0510, out_dir, "05.10")
    assert tag_sequence(layout.mtd_product) == tag_sequence(official(*OFFICIAL_N0400, "MTD_MSIL2A.xml"))


def test_product_metadata_has_the_official_psd15_element_order(l1c_psd15, out_dir):
    layout = complete_product(l1c_psd15, out_dir, "05.11")
    root = etree.parse(str(layout.mtd_product)).getroot()
    assert etree.QName(root).namespace == "https://psd-15.sentinel2.eo.esa.int/PSD/User_Product_Level-2A.xsd"
    assert tag_sequence(layout.mtd_product) == tag_sequence(official(*OFFICIAL_N0511, "MTD_MSIL2A.xml"))
    assert (
        root.xpath(
            "string(//Scene_Classification_ID[SCENE_CLASSIFICATION_INDEX='2']/SCENE_CLASSIFICATION_TEXT)"
        )
        == "SC_CAST_SHADOW"
    )


@pytest.mark.parametrize(
    ("fixture", "official_product"), [("l1c_n0510", OFFICIAL_N0400), ("l1c_psd15", OFFICIAL_N0511)]
)
def test_tile_metadata_has_the_official_element_order(fixture, official_product, out_dir, request):
    layout = complete_product(request.getfixturevalue(fixture), out_dir, "05.11")
    real_tile = next(official(*official_product, "GRANULE").glob("*/MTD_TL.xml"))
    assert tag_sequence(layout.mtd_tile) == tag_sequence(real_tile)


def _strip(tree: etree._ElementTree, names: set[str]) -> None:
    for node in list(tree.iter()):
        if isinstance(node.tag, str) and etree.QName(node).localname in names:
            node.getparent().remove(node)


@pytest.mark.parametrize(
    ("kind", "xsd"),
    [("product", "S2_User_Product_Level-2A_Metadata.xsd"), ("tile", "S2_PDI_Level-2A_Tile_Metadata.xsd")],
)
def test_metadata_valid_against_psd145_schema_apart_from_psd147_additions(kind, xsd, l1c_n0206, out_dir):
    schema = etree.XMLSchema(etree.parse(str(shared_path(*PSD145, xsd))))
    root = create_l2a_skeleton(l1c_n0206, out_dir, "99.99", generation_time=GENERATED)
    layout = L2ALayout.from_root(root)
    tree = etree.parse(str(layout.mtd_product if kind == "product" else layout.mtd_tile))
    if not schema.validate(tree):
        reported = {e.message.split("'")[1] for e in schema.error_log}
        assert reported <= PSD147_ADDITIONS, [e.message for e in schema.error_log]
    _strip(tree, PSD147_ADDITIONS)
    assert schema.validate(tree), [str(e) for e in schema.error_log]


def test_radiometric_values_and_identifiers(l1c_n0510, l1c_n0206, out_dir, tmp_path):
    root = create_l2a_skeleton(l1c_n0510, out_dir, "05.10", generation_time=GENERATED)
    mtd = etree.parse(str(root / "MTD_MSIL2A.xml")).getroot()
    assert mtd.xpath("string(//BOA_QUANTIFICATION_VALUE)") == "10000"
    assert mtd.xpath("string(//AOT_QUANTIFICATION_VALUE)") == "1000.0"
    assert mtd.xpath("string(//WVP_QUANTIFICATION_VALUE/@unit)") == "cm"
    offsets = mtd.xpath("//BOA_ADD_OFFSET")
    assert [o.get("band_id") for o in offsets] == [str(i) for i in range(13)]
    assert {o.text for o in offsets} == {"-1000"}
    assert mtd.xpath("string(//PRODUCT_URI)") == root.name
    assert mtd.xpath("string(//PROCESSING_BASELINE)") == "05.10"
    assert mtd.xpath("string(//GENERATION_TIME)") == "2025-03-04T05:06:07.890000Z"
    assert mtd.xpath("string(//Datatake/@datatakeIdentifier)") == "GS2A_20240101T102431_044535_N05.10"
    granule = mtd.xpath("//Granule")[0]
    assert (
        granule.get("granuleIdentifier") == "S2A_OPER_MSI_L2A_TL_2APS_20250304T050607_A044535_T30NWM_N05.10"
    )
    assert (
        granule.get("datastripIdentifier")
        == "S2A_OPER_MSI_L2A_DS_2APS_20250304T050607_S20240101T102736_N05.10"
    )
    gipps = [(g.get("type"), g.get("version")) for g in mtd.xpath("//GIPP_FILENAME")][-3:]
    assert gipps == [("GIP_L2ACSC", "21204"), ("GIP_L2ACAC", "21204"), ("GIP_PROBA2", "0510")]
    assert [e.text for e in mtd.xpath("//Scene_Classification_ID/SCENE_CLASSIFICATION_INDEX")] == [
        str(i) for i in range(12)
    ]
    # The 02.06 input carries no radiometric offset: no BOA_ADD_OFFSET list.
    old = create_l2a_skeleton(l1c_n0206, tmp_path / "old", "99.99", generation_time=GENERATED)
    assert not etree.parse(str(old / "MTD_MSIL2A.xml")).getroot().xpath("//BOA_ADD_OFFSET_VALUES_LIST")


def test_tile_general_info_and_mask_paths(l1c_n0206, out_dir):
    root = create_l2a_skeleton(l1c_n0206, out_dir, "99.99", generation_time=GENERATED)
    layout = L2ALayout.from_root(root)
    tile = etree.parse(str(layout.mtd_tile)).getroot()
    assert (
        tile.xpath("string(//L1C_TILE_ID)")
        == "S2A_OPER_MSI_L1C_TL_SGS__20180101T124911_A013204_T31TDH_N02.06"
    )
    assert tile.xpath("string(//TILE_ID)") == "S2A_OPER_MSI_L2A_TL_SGS__20250304T050607_A013204_T31TDH_N99.99"
    masks = tile.xpath("//MASK_FILENAME/text()")
    assert masks and all(
        m.startswith("GRANULE/L2A_T31TDH_A013204_20180101T105435/QI_DATA/MSK_") for m in masks
    )
    assert (
        tile.xpath("string(//PVI_FILENAME)")
        == "GRANULE/L2A_T31TDH_A013204_20180101T105435/QI_DATA/T31TDH_20180101T105441_PVI.jp2"
    )
    # L1C tile values are kept until the run's statistics replace them.
    assert tile.xpath("string(//Image_Content_QI/CLOUDY_PIXEL_PERCENTAGE)") == "11.9204"


def test_update_quality_indicators_fills_product_and_tile(l1c_psd15, out_dir):
    root = create_l2a_skeleton(l1c_psd15, out_dir, "05.11", generation_time=GENERATED)
    written = update_quality_indicators(
        root,
        {
            "CLOUDY_PIXEL_PERCENTAGE": 59.769726,
            "VEGETATION_PERCENTAGE": 26.068041,
            "DARK_FEATURES_PERCENTAGE": 0.5,
            "AOT_RETRIEVAL_METHOD": "SEN2COR_DDV",
            "GRANULE_MEAN_AOT": 0.089132,
            "GRANULE_MEAN_WV": 1.143608,
            "OZONE_SOURCE": "AUX_ECMWFT",
            "OZONE_VALUE": 321.750572,
        },
    )
    assert len(written) == 2
    mtd = etree.parse(str(root / "MTD_MSIL2A.xml")).getroot()
    tile = etree.parse(str(written[1])).getroot()
    for doc in (mtd, tile):
        assert doc.xpath("string(//Image_Content_QI/VEGETATION_PERCENTAGE)") == "26.068041"
        assert doc.xpath("string(//Image_Content_QI/CAST_SHADOW_PERCENTAGE)") == "0.500000"
        assert doc.xpath("string(//Image_Content_QI/AOT_RETRIEVAL_METHOD)") == "SEN2COR_DDV"
        assert doc.xpath("string(//Image_Content_QI/OZONE_VALUE)") == "321.750572"
    assert mtd.xpath("string(//Cloud_Coverage_Assessment)") == "59.769726"
    assert tile.xpath("string(//Image_Content_QI/CLOUDY_PIXEL_PERCENTAGE)") == "59.769726"
    with pytest.raises(ValueError, match="CLOUDS_PERCENT"):
        update_quality_indicators(root, {"CLOUDS_PERCENT": 1.0})


def test_datastrip_conversion_of_l1c_radiometric_info(tmp_path):
    l1c_ds = etree.fromstring(
        '<n1:Level-1C_DataStrip_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/'
        'S2_PDI_Level-1C_Datastrip_Metadata.xsd"><n1:General_Info><Datatake_Info '
        'datatakeIdentifier="GS2A_20240101T102431_044535_N05.10"/><Processing_Info>'
        "<PROCESSING_BASELINE>05.10</PROCESSING_BASELINE></Processing_Info></n1:General_Info>"
        "<n1:Image_Data_Info><Tiles_Information><Tile_List>"
        '<Tile tileId="S2A_OPER_MSI_L1C_TL_2APS_20240101T122107_A044535_T30NWM_N05.10"/>'
        "</Tile_List></Tiles_Information><Radiometric_Info>"
        '<QUANTIFICATION_VALUE unit="none">10000</QUANTIFICATION_VALUE>'
        '<Radiometric_Offset_List><RADIO_ADD_OFFSET band_id="0">-1000</RADIO_ADD_OFFSET>'
        "</Radiometric_Offset_List></Radiometric_Info></n1:Image_Data_Info></n1:Level-1C_DataStrip_ID>"
    )
    layout = L2ALayout(
        root=tmp_path / "x.SAFE",
        name="x.SAFE",
        granule_name="L2A_T30NWM_A044535_20240101T102736",
        datastrip_name="DS_2APS_20250304T050607_S20240101T102736",
        tile_id="30NWM",
        datatake_start=GENERATED,
    )
    ds = build_datastrip_metadata(l1c_ds, MetadataContext(layout=layout, spacecraft="S2A", baseline="05.11"))
    assert etree.QName(ds).localname == "Level-2A_DataStrip_ID"
    assert [etree.QName(c).localname for c in ds] == [
        "General_Info",
        "Image_Data_Info",
        "Satellite_Ancillary_Data_Info",
        "Quality_Indicators_Info",
        "Auxiliary_Data_Info",
    ]
    assert ds.xpath("string(//Datatake_Info/@datatakeIdentifier)") == "GS2A_20240101T102431_044535_N05.11"
    assert ds.xpath("string(//PROCESSING_BASELINE)") == "05.11"
    assert (
        ds.xpath("string(//Tile/@tileId)") == "S2A_OPER_MSI_L2A_TL_2APS_20250304T050607_A044535_T30NWM_N05.11"
    )
    radiometric = ds.xpath("//Radiometric_Info")[0]
    assert [etree.QName(c).localname for c in radiometric] == [
        "QUANTIFICATION_VALUES_LIST",
        "BOA_ADD_OFFSET_VALUES_LIST",
    ]
    assert len(radiometric.xpath("BOA_ADD_OFFSET_VALUES_LIST/BOA_ADD_OFFSET")) == 13


@pytest.mark.parametrize("official_product", [OFFICIAL_N0400, OFFICIAL_N0511])
def test_rep_info_declarations_match_the_official_ones(official_product):
    psd = 15 if "N0511" in official_product[1] else 14
    ours = rep_info_schemas(psd)
    folder = official(*official_product, "rep_info")
    assert sorted(ours) == sorted(p.name for p in folder.iterdir())
    xs = "{http://www.w3.org/2001/XMLSchema}"
    for name, text in ours.items():
        mine = etree.fromstring(text.encode())
        theirs = etree.parse(str(folder / name)).getroot()
        assert mine.get("targetNamespace") == theirs.get("targetNamespace")
        assert [(e.get("name"), e.get("type")) for e in mine.iter(f"{xs}element")] == [
            (e.get("name"), e.get("type")) for e in theirs.iter(f"{xs}element")
        ]


def test_inspire_names_the_l2a_product(l1c_n0510, out_dir):
    root = create_l2a_skeleton(l1c_n0510, out_dir, "05.10", generation_time=GENERATED)
    text = (root / "INSPIRE.xml").read_text(encoding="utf-8")
    assert root.name in text and "MSIL1C" not in text
