import datetime as dt

import numpy as np
import pytest

from sen2cor.rtm import selection
from sen2cor.errors import ConfigError


@pytest.mark.parametrize(
    ("date", "lat", "expected"),
    [
        (dt.date(2022, 3, 31), 45.0, "winter"),
        (dt.date(2022, 4, 1), 45.0, "summer"),
        (dt.date(2022, 9, 30), 45.0, "summer"),
        (dt.date(2022, 10, 1), 45.0, "winter"),
        (dt.date(2022, 1, 15), -40.0, "summer"),
        (dt.date(2022, 7, 15), -40.0, "winter"),
        (dt.date(2022, 1, 15), 29.9, "summer"),  # int(29.9) = 29 < 30: tropics
        (dt.date(2024, 4, 1), 50.0, "summer"),
    ],
)  # leap year: DOY 92
def test_mid_latitude_auto_follows_date_and_hemisphere(date, lat, expected):
    assert selection.mid_latitude_season("AUTO", date, lat) == expected


def test_mid_latitude_fixed_settings_ignore_the_date():
    assert selection.mid_latitude_season("WINTER", dt.date(2022, 7, 1), 45.0) == "winter"
    with pytest.raises(ConfigError, match="Mid_Latitude"):
        selection.mid_latitude_season("SPRING", dt.date(2022, 7, 1), 45.0)


def test_ozone_from_ecmwf_converts_kg_m2_to_dobson_units():
    # 6.428e-3 kg m-2 = 300 DU; negative / NaN values are ignored
    tco3 = np.array([[6.428e-3, 6.428e-3 * 1.1], [-1.0, np.nan]])
    assert selection.ozone_from_ecmwf(tco3) == pytest.approx(315.0)


def test_ozone_content_zero_takes_the_nearest_lut_level_of_the_ecmwf_value():
    value, letter, source = selection.select_ozone(0, "summer", np.full((9, 9), 6.428e-3 * 1.2))  # 360 DU
    assert (round(value), letter, source) == (360, "i", "AUX_ECMWFT")  # 370
    value, letter, source = selection.select_ozone(0, "winter", None)
    assert (value, letter, source) == (331.0, "v", "DEFAULT")  # 330


def test_ozone_content_from_the_gipp():
    assert selection.select_ozone(250, "summer") == (250.0, "f", "GIPP")
    assert selection.select_ozone(460, "winter") == (460.0, "y", "GIPP")


def test_aerosol_double_ratio_and_auto_choice():
    d = selection.aerosol_double_ratio(2.0, 1.0, 1.5, 1.0)
    assert d == pytest.approx(2.0 / 1.5)
    assert selection.choose_aerosol("AUTO", {"rural": 1.3, "maritime": 0.95}) == "maritime"
    assert selection.choose_aerosol("AUTO", {"rural": 1.02, "maritime": 0.9}) == "rural"
    assert selection.choose_aerosol("AUTO", {"rural": None, "maritime": None}) == "rural"
    assert selection.choose_aerosol("MARITIME", {"rural": 1.0}) == "maritime"
    with pytest.raises(ConfigError, match="Aerosol_Type"):
        selection.choose_aerosol("DESERT")


def test_select_lut_records_every_choice():
    sel = selection.select_lut(
        "AUTO",
        "AUTO",
        0,
        dt.date(2022, 12, 1),
        52.0,
        np.full((2, 2), 6.428e-3),
        {"rural": 0.7, "maritime": 1.1},
    )
    assert (sel.season, sel.aerosol, sel.ozone_letter, sel.ozone_source) == (
        "winter",
        "maritime",
        "u",
        "AUX_ECMWFT",
    )
    assert sel.table_ozone_du == 290
    meta = sel.metadata()
    assert meta["AEROSOL_TYPE"] == "MARITIME" and meta["MID_LATITUDE"] == "WINTER"
    assert meta["OZONE_VALUE"] == 300.0 and meta["OZONE_SOURCE"] == "AUX_ECMWFT"
    assert meta["OZONE_LUT_VALUE"] == 290
