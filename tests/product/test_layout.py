"""L2ALayout against the file names of official L2A products."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree

from sen2cor.bands import RESOLUTIONS_M
from sen2cor.product.layout import L2ALayout
from tests.conftest import shared_path

N0400 = "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"
N0511 = "S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE"
N0211 = "S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def official_layout(name: str, granule: str, datastrip: str, tile: str, sensing: datetime) -> L2ALayout:
    root = shared_path("data", "real", "l2a", name)
    return L2ALayout(
        root=root,
        name=name,
        granule_name=granule,
        datastrip_name=datastrip,
        tile_id=tile,
        datatake_start=sensing,
    )


def layout_n0400() -> L2ALayout:
    return official_layout(
        N0400,
        "L2A_T29UNU_A038058_20221005T115407",
        "DS_ATOS_20221005T164454_S20221005T115407",
        "29UNU",
        utc(2022, 10, 5, 11, 54, 11, 24000),
    )


def test_plan_from_l1c_attributes_reproduces_the_official_names(tmp_path):
    # An L1C with the attributes of the one the official N0400 product was made from.
    l1c = SimpleNamespace(
        spacecraft="S2A",
        sensing_start=utc(2022, 10, 5, 11, 54, 11, 24000),
        relative_orbit=23,
        psd_version="14.9",
        granule_dir=Path("GRANULE/L1C_T29UNU_A038058_20221005T115407"),
        datastrip_dir=Path("DATASTRIP/DS_ATOS_20221005T153022_S20221005T115407"),
    )
    layout = L2ALayout.plan(l1c, tmp_path, "04.00", generation_time=utc(2022, 10, 5, 16, 44, 54))
    assert layout.root == tmp_path / N0400
    assert layout.granule == tmp_path / N0400 / "GRANULE" / "L2A_T29UNU_A038058_20221005T115407"
    assert layout.datastrip.name == "DS_ATOS_20221005T164454_S20221005T115407"
    assert layout.psd_major == 14 and layout.extension == ".jp2"


def test_plan_honours_processing_centre_tif_and_psd15(tmp_path):
    l1c = SimpleNamespace(
        spacecraft="S2B",
        sensing_start=utc(2024, 11, 15, 10, 1, 59, 24000),
        relative_orbit=122,
        psd_version="15.0",
        granule_dir=Path("L1C_T32TQM_A040188_20241115T100633"),
        datastrip_dir=Path("DS_2BPS_20241115T120232_S20241115T100633"),
    )
    layout = L2ALayout.plan(
        l1c,
        tmp_path,
        "99.99",
        generation_time=utc(2024, 11, 15, 12, 55, 42),
        processing_centre="SC2_",
        tif=True,
    )
    assert layout.name == "S2B_MSIL2A_20241115T100159_N9999_R122_T32TQM_20241115T125542.SAFE"
    assert layout.datastrip_name == "DS_SC2__20241115T125542_S20241115T100633"
    assert layout.band("SCL", 20).name == "T32TQM_20241115T100159_SCL_20m.tif"
    assert layout.psd_major == 15


def test_image_file_list_equals_the_official_psd15_product():
    mtd = shared_path("data", "real", "l2a", N0511, "MTD_MSIL2A.xml")
    expected = [e.text for e in etree.parse(str(mtd)).getroot().iter("IMAGE_FILE")]
    layout = official_layout(
        N0511,
        "L2A_T32TQM_A040188_20241115T100633",
        "DS_2BPS_20241115T125542_S20241115T100633",
        "32TQM",
        utc(2024, 11, 15, 10, 1, 59, 24000),
    )
    planned = [layout.metadata_entry(p) for res in RESOLUTIONS_M for p in layout.image_files(res)]
    assert planned == expected


def test_every_official_file_name_is_planned():
    layout = layout_n0400()
    real_files = sorted(layout.granule.glob("IMG_DATA/R*m/*.jp2"))
    assert real_files, "official product has image files"
    planned = {p for res in RESOLUTIONS_M for p in layout.image_files(res)}
    assert set(real_files) <= planned
    for res in (20, 60):
        for kind in ("MSK_CLDPRB", "MSK_SNWPRB"):
            assert layout.probability_mask(kind, res).is_file()
    assert layout.pvi.is_file()
    assert (layout.l2a_quality).is_file()
    assert layout.mtd_tile.is_file() and layout.mtd_product.is_file()


def test_older_official_product_files_are_all_planned():
    # The N0211 product (PSD 14.5 era) has no B01 at 20 m; all its files are still planned names.
    layout = official_layout(
        N0211,
        "L2A_T56LMM_A019132_20190220T001625",
        "DS_EPAE_20190220T024455_S20190220T001625",
        "56LMM",
        utc(2019, 2, 20, 0, 16, 31, 24000),
    )
    real_files = set(layout.granule.glob("IMG_DATA/R*m/*.jp2"))
    planned = {p for res in RESOLUTIONS_M for p in layout.image_files(res)}
    assert len(real_files) == 35 and real_files <= planned


def test_no_scl_or_b01_at_10m_and_no_10m_probability_masks():
    layout = layout_n0400()
    assert layout.layers(10) == ("B02", "B03", "B04", "B08", "TCI", "AOT", "WVP")
    with pytest.raises(ValueError, match="not written at 10 m"):
        layout.band("SCL", 10)
    with pytest.raises(ValueError, match="does not exist"):
        layout.probability_mask("MSK_CLDPRB", 10)
    with pytest.raises(ValueError, match="resolution 30"):
        layout.img_dir(30)


def test_directories_cover_figure_2_19():
    layout = layout_n0400()
    rel = {layout.relative(d) if d != layout.root else "." for d in layout.directories()}
    assert {
        "AUX_DATA",
        "HTML",
        "rep_info",
        "DATASTRIP",
        "GRANULE",
        "DATASTRIP/DS_ATOS_20221005T164454_S20221005T115407/QI_DATA",
        "GRANULE/L2A_T29UNU_A038058_20221005T115407/IMG_DATA/R10m",
        "GRANULE/L2A_T29UNU_A038058_20221005T115407/IMG_DATA/R20m",
        "GRANULE/L2A_T29UNU_A038058_20221005T115407/IMG_DATA/R60m",
        "GRANULE/L2A_T29UNU_A038058_20221005T115407/QI_DATA",
        "GRANULE/L2A_T29UNU_A038058_20221005T115407/AUX_DATA",
    } <= rel
