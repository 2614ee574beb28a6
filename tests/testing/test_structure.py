"""Element structure of the generated metadata compared with real products (tag paths, indices dropped)."""
from __future__ import annotations

import re
from pathlib import Path

from lxml import etree

from tests.conftest import shared_path

L1C_N0510 = ("data", "real", "l1c", "S2A_MSIL1C_20240101T102431_N0510_R065_T30NWM_20240101T122107.SAFE")
L2A_N0400 = ("data", "real", "l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")


def tag_paths(path: Path) -> set[str]:
    """Set of element paths with namespace prefixes stripped and sibling indices removed."""
    tree = etree.parse(str(path))
    out = set()
    for el in tree.iter():
        if not isinstance(el.tag, str):
            continue
        parts = []
        node = el
        while node is not None:
            parts.append(etree.QName(node).localname)
            node = node.getparent()
        out.add("/" + "/".join(reversed(parts)))
    return out


def test_product_metadata_matches_real_n0510(product):
    real = tag_paths(shared_path(*L1C_N0510, "MTD_MSIL1C.xml"))
    ours = tag_paths(product / "MTD_MSIL1C.xml")
    assert ours == real, f"missing {sorted(real - ours)}; extra {sorted(ours - real)}"


def test_product_metadata_namespace_and_root(product):
    root = etree.parse(str(product / "MTD_MSIL1C.xml")).getroot()
    assert root.tag == "{https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd}Level-1C_User_Product"
    assert root.findtext(".//PROCESSING_BASELINE") == "05.10"
    offsets = root.findall(".//Radiometric_Offset_List/RADIO_ADD_OFFSET")
    assert [o.text for o in offsets] == ["-1000"] * 13
    assert root.findtext(".//QUANTIFICATION_VALUE") == "10000"


def test_tile_metadata_matches_real_structure(granule):
    """Real L1C tile metadata seen through a PSD 14 L2A MTD_TL: L2A-only elements removed, root renamed."""
    (real_mtd,) = shared_path(*L2A_N0400, "GRANULE").glob("*/MTD_TL.xml")
    l2a_only = re.compile(r"L1C_TILE_ID|Image_Content_QI/(?!CLOUDY_PIXEL_PERCENTAGE$|DEGRADED_MSI_DATA_PERCENTAGE$)")
    real = {p.replace("Level-2A_Tile_ID", "Level-1C_Tile_ID") for p in tag_paths(real_mtd) if not l2a_only.search(p)}
    ours = tag_paths(granule / "MTD_TL.xml")
    assert ours == real, f"missing {sorted(real - ours)}; extra {sorted(ours - real)}"


def test_tile_mask_list_like_psd14_products(granule):
    root = etree.parse(str(granule / "MTD_TL.xml")).getroot()
    masks = root.findall(".//Pixel_Level_QI/MASK_FILENAME")
    types = [m.get("type") for m in masks]
    assert types.count("MSK_DETFOO") == 13 and types.count("MSK_QUALIT") == 13 and types.count("MSK_CLASSI") == 1
    for m in masks:
        assert (granule.parents[1] / m.text).is_file(), m.text


def test_inspire_matches_real(product):
    real = tag_paths(shared_path(*L1C_N0510, "INSPIRE.xml"))
    assert tag_paths(product / "INSPIRE.xml") == real


def test_manifest_matches_real_and_lists_every_file(product):
    real = tag_paths(shared_path(*L1C_N0510, "manifest.safe"))
    ours = tag_paths(product / "manifest.safe")
    assert ours == real, f"missing {sorted(real - ours)}; extra {sorted(ours - real)}"
    root = etree.parse(str(product / "manifest.safe")).getroot()
    hrefs = {loc.get("href")[2:] for loc in root.iter("fileLocation")}
    files = {str(p.relative_to(product)) for p in product.rglob("*") if p.is_file()}
    expected = {f for f in files if not f.startswith("rep_info/") and f != "manifest.safe"}
    assert hrefs == expected


def test_manifest_ids_like_real(product):
    real = etree.parse(str(shared_path(*L1C_N0510, "manifest.safe"))).getroot()
    ours = etree.parse(str(product / "manifest.safe")).getroot()
    ids = lambda r: [d.get("ID") for d in r.iter("dataObject")]  # noqa: E731
    assert ids(ours) == ids(real)


def test_qi_reports_match_real_tile_reports(granule):
    (real_qi,) = shared_path(*L2A_N0400, "GRANULE").glob("*/QI_DATA")
    for report in ("GENERAL_QUALITY", "FORMAT_CORRECTNESS", "SENSOR_QUALITY"):
        assert tag_paths(granule / "QI_DATA" / f"{report}.xml") == tag_paths(real_qi / f"{report}.xml"), report


def test_safe_tree_like_real_n0510(product, granule):
    """Every file the real N0510 manifest lists has a counterpart in the generated product."""
    real = etree.parse(str(shared_path(*L1C_N0510, "manifest.safe"))).getroot()
    real_rel = [loc.get("href")[2:] for loc in real.iter("fileLocation")]
    generic = {re.sub(r"L1C_T\w+?/|DS_\w+?/|T\d\d[A-Z]{3}_\d{8}T\d{6}_", "", p) for p in real_rel}
    ours = {re.sub(r"L1C_T\w+?/|DS_\w+?/|T\d\d[A-Z]{3}_\d{8}T\d{6}_", "", str(p.relative_to(product)))
            for p in product.rglob("*") if p.is_file()}
    assert generic <= ours, sorted(generic - ours)
