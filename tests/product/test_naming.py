"""Product, granule, datastrip and file names against names of official L2A products."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sen2cor.errors import ConfigError, ProductError
from sen2cor.product import naming


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# Official S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE (values read from its name,
# its granule/datastrip folder names and the TILE_ID / DATASTRIP_ID of its MTD_TL.xml).
SENSING = utc(2022, 10, 5, 11, 54, 11, 24000)
GENERATED = utc(2022, 10, 5, 16, 44, 54)
DS_START = utc(2022, 10, 5, 11, 54, 7)


def test_product_name_of_the_official_n0400_product():
    name = naming.product_name("S2A", SENSING, "04.00", 23, "29UNU", GENERATED)
    assert name == "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"


def test_toolbox_default_baseline_gives_n9999():
    # Real toolbox product of the config facts §5.1.
    name = naming.product_name(
        "S2A",
        utc(2021, 2, 2, 3, 29, 41),
        naming.DEFAULT_BASELINE,
        18,
        "49SCT",
        utc(2021, 12, 10, 13, 10, 28, 715000),
    )
    assert name == "S2A_MSIL2A_20210202T032941_N9999_R018_T49SCT_20211210T131028.SAFE"


def test_granule_datastrip_and_long_identifiers_of_the_official_product():
    assert naming.granule_name("29UNU", 38058, DS_START) == "L2A_T29UNU_A038058_20221005T115407"
    assert naming.datastrip_name("ATOS", GENERATED, DS_START) == "DS_ATOS_20221005T164454_S20221005T115407"
    assert (
        naming.tile_identifier("S2A", "ATOS", GENERATED, 38058, "29UNU", "04.00")
        == "S2A_OPER_MSI_L2A_TL_ATOS_20221005T164454_A038058_T29UNU_N04.00"
    )
    assert (
        naming.datastrip_identifier("S2A", "ATOS", GENERATED, DS_START, "04.00")
        == "S2A_OPER_MSI_L2A_DS_ATOS_20221005T164454_S20221005T115407_N04.00"
    )
    assert naming.datatake_identifier("S2A", SENSING, 38058, "04.00") == "GS2A_20221005T115411_038058_N04.00"


def test_centre_with_trailing_underscore_gives_double_underscore():
    assert naming.datastrip_name("SGS_", GENERATED, DS_START).startswith("DS_SGS__20221005T164454")


def test_image_and_preview_stems():
    assert naming.image_stem("29UNU", SENSING, "B8A", 60) == "T29UNU_20221005T115411_B8A_60m"
    assert naming.pvi_stem("29UNU", SENSING) == "T29UNU_20221005T115411_PVI"


def test_generation_time_formats():
    assert naming.xml_time(utc(2021, 12, 10, 13, 10, 28, 715000)) == "2021-12-10T13:10:28.715000Z"
    assert naming.xml_time(SENSING, 3) == "2022-10-05T11:54:11.024Z"


@pytest.mark.parametrize("bad", ["5.11", "05.1", "0511", "N05.11", ""])
def test_invalid_baseline_is_rejected_with_the_expected_form(bad):
    with pytest.raises(ConfigError, match="dd.dd"):
        naming.baseline_field(bad)


def test_invalid_centre_is_rejected():
    with pytest.raises(ConfigError, match="4 characters"):
        naming.datastrip_name("ATOSX", GENERATED, DS_START)


def test_parse_safe_name_round_trip_and_acquisition_key():
    l2a = naming.parse_safe_name("S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE")
    l1c = naming.parse_safe_name("S2B_MSIL1C_20241115T100159_N0511_R122_T32TQM_20241115T120232")
    assert (l2a.level, l2a.baseline_field, l2a.relative_orbit, l2a.tile_id) == ("L2A", "N0511", 122, "32TQM")
    assert l1c.level == "L1C"
    assert l1c.acquisition_key == l2a.acquisition_key
    assert naming.parse_safe_name("S2B_MSIL2A_junk") is None


def test_parse_folders():
    assert naming.parse_datastrip_folder("DS_SGS__20180101T124911_S20180101T105435") == (
        "SGS_",
        utc(2018, 1, 1, 12, 49, 11),
        utc(2018, 1, 1, 10, 54, 35),
    )
    assert naming.parse_granule_folder("L1C_T31TDH_A013204_20180101T105435") == (
        "31TDH",
        13204,
        utc(2018, 1, 1, 10, 54, 35),
    )
    with pytest.raises(ProductError, match="DS_<centre>"):
        naming.parse_datastrip_folder("DS_bad")
