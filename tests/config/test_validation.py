"""Invalid GIPPs stop the run with a ConfigError naming file, element, bad value and allowed values."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from sen2cor.config import load_config, read_ac_gipp, read_pb_gipp, read_sc_gipp, read_user_gipp
from sen2cor.errors import ConfigError
from sen2cor.config.resources import cfg_dir
from tests.conftest import shared_path

GIPP_NAMES = ("L2A_GIPP", "L2A_CAL_SC_GIPP", "L2A_CAL_AC_GIPP", "L2A_PB_GIPP")


def _error(path: Path, reader=read_user_gipp) -> str:
    with pytest.raises(ConfigError) as info:
        reader(path)
    return str(info.value)


# (replacement, element path, bad value, words of the allowed values)
USER_GIPP_CASES = [
    ("<Log_Level>INFO<", "<Log_Level>VERBOSE<", "Common_Section/Log_Level", "'VERBOSE'",
     "one of NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL"),
    ("<Visibility>40.0<", "<Visibility>150<", "Atmospheric_Correction/Calibration/Visibility", "'150'",
     "a number from 5 to 120"),
    ("<Altitude>0.100<", "<Altitude>-0.5<", "Atmospheric_Correction/Calibration/Altitude", "'-0.5'",
     "a number from 0 to 2.5"),
    ("<Nr_Threads>AUTO<", "<Nr_Threads>16<", "Common_Section/Nr_Threads", "'16'",
     "one of AUTO or an integer from 1 to 8"),
    ("<Aerosol_Type>RURAL<", "<Aerosol_Type>DESERT<", "Atmospheric_Correction/Look_Up_Tables/Aerosol_Type",
     "'DESERT'", "one of RURAL, MARITIME, AUTO"),
    ("<Ozone_Content>331<", "<Ozone_Content>300<", "Atmospheric_Correction/Look_Up_Tables/Ozone_Content",
     "'300'", "one of 0, 250, 290, 330, 331, 370, 377, 410, 420, 450, 460"),
    ("<Generate_TCI_Output>TRUE<", "<Generate_TCI_Output>yes<", "Common_Section/Generate_TCI_Output", "'yes'",
     "one of TRUE, FALSE"),
    ("<row0>OFF<", "<row0>MIDDLE<", "Common_Section/Region_Of_Interest/row0", "'MIDDLE'",
     "one of OFF, AUTO or an integer from 0 to 10980"),
    ("<nrow_win>1200<", "<nrow_win>12000<", "Common_Section/Region_Of_Interest/nrow_win", "'12000'",
     "one of OFF, AUTO or an integer from 0 to 10980"),
    ("<Median_Filter>0<", "<Median_Filter>x<", "Scene_Classification/Filters/Median_Filter", "'x'",
     "an integer from 0 to 10"),
    ("<WV_Threshold_Cirrus>0.25<", "<WV_Threshold_Cirrus>2<",
     "Atmospheric_Correction/Calibration/WV_Threshold_Cirrus", "'2'", "a number from 0.1 to 1.0"),
    ("<PSD_Version>DEFAULT<", "<PSD_Version>13.1<", "Common_Section/PSD_Version", "'13.1'",
     "one of DEFAULT, 14.6, 14.7, 14.8, 14.9, 15.0"),
]


@pytest.mark.parametrize(("old", "new", "element", "value", "allowed"), USER_GIPP_CASES,
                         ids=[c[2].rsplit("/", 1)[-1] for c in USER_GIPP_CASES])
def test_schema_violation_names_file_element_value_and_allowed(gipp_variant, old, new, element, value, allowed):
    path = gipp_variant("L2A_GIPP.xml", (old, new))
    message = _error(path)
    assert str(path) in message
    assert f"{element} = {value} is invalid" in message
    assert f"allowed: {allowed}" in message
    assert re.search(r"L2A_GIPP\.xml, line \d+", message)


def test_bad_attribute_is_reported_with_its_element(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ('PSD_Version="14.7"', 'PSD_Version="14.75"'))
    message = _error(path)
    assert "PSD_Scheme" in message and "attribute PSD_Version = '14.75' is invalid" in message
    assert "pattern [0-9][0-9]\\.[0-9]" in message


def test_every_violation_is_listed(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<Log_Level>INFO<", "<Log_Level>LOUD<"),
                        ("<Visibility>40.0<", "<Visibility>1<"))
    message = _error(path)
    assert "2 problems" in message and "'LOUD'" in message and "'1'" in message


def test_missing_element_is_named(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<Product_DOI>https://doi.org/10.5270/S2_-znk9xsj</Product_DOI>", ""))
    message = _error(path)
    assert "Common_Section/Product_DOI is missing" in message and "expected: Product_DOI" in message


def test_missing_last_element_is_named(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<Database_Compression_Level>0</Database_Compression_Level>", ""))
    message = _error(path)
    assert "Calibration/Database_Compression_Level is missing" in message


def test_unknown_element_is_named(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<Log_Level>INFO</Log_Level>",
                                         "<Log_Level>INFO</Log_Level><Target_Directory>x</Target_Directory>"))
    message = _error(path)
    assert "unknown element Common_Section/Target_Directory" in message and "expected: Region_Of_Interest" in message


def test_malformed_xml_names_file_and_line(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("</Log_Level>", "</LogLevel>"))
    message = _error(path)
    assert str(path) in message and "not well-formed XML" in message and re.search(r"line \d+", message)


def test_nonexistent_file(tmp_path):
    missing = tmp_path / "nowhere" / "L2A_GIPP.xml"
    assert f"GIPP file does not exist: {missing}" in _error(missing)


def test_wrong_kind_of_gipp_names_the_expected_root():
    message = _error(cfg_dir() / "L2A_CAL_SC_GIPP.xml", read_user_gipp)
    assert "root element Level-2A_CAL_SC_Ground_Image_Processing_Parameter is not allowed" in message
    assert "expected: Level-2A_Ground_Image_Processing_Parameter" in message


@pytest.mark.parametrize(("roi", "words"), [
    (("5490", "5490", "1000", "1200"), "nrow_win = 1000 is invalid"),          # 1000 % 6 != 0
    (("5491", "5490", "1200", "1200"), "row0 = 5491 is invalid"),
    (("600", "5490", "1800", "1200"), "must be non-empty and lie inside 0..10980"),   # rows -300..1500
    (("5490", "10500", "1200", "1200"), "must be non-empty and lie inside 0..10980"),  # cols 9900..11100
    (("5490", "OFF", "1200", "1200"), "col0 = 'OFF' is invalid when row0 = 5490"),
])
def test_roi_semantic_checks(gipp_variant, roi, words):
    tags = ("row0", "col0", "nrow_win", "ncol_win")
    defaults = ("OFF", "OFF", "1200", "1200")
    path = gipp_variant("L2A_GIPP.xml", *[(f"<{t}>{d}</{t}>", f"<{t}>{v}</{t}>")
                                          for t, d, v in zip(tags, defaults, roi)])
    message = _error(path)
    assert str(path) in message and words in message and "Region_Of_Interest" in message


def test_manual_roi_window_per_resolution(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<row0>OFF</row0>", "<row0>5490</row0>"),
                        ("<col0>OFF</col0>", "<col0>600</col0>"))
    roi = read_user_gipp(path)[0].region_of_interest
    assert roi.mode == "MANUAL"
    # rows 5490 -/+ 600, cols 600 -/+ 600 at 10 m; halved at 20 m; divided by 6 at 60 m
    assert roi.window_px(10) == (4890, 6090, 0, 1200)
    assert roi.window_px(20) == (2445, 3045, 0, 600)
    assert roi.window_px(60) == (815, 1015, 0, 200)


def test_psd_version_without_scheme_is_rejected(gipp_variant):
    start = '<PSD_Scheme PSD_Version="14.8"'
    text = (cfg_dir() / "L2A_GIPP.xml").read_text()
    block = text[text.index(start):text.index("</PSD_Scheme>", text.index(start)) + len("</PSD_Scheme>")]
    path = gipp_variant("L2A_GIPP.xml", ("<PSD_Version>DEFAULT<", "<PSD_Version>14.8<"), (block, ""))
    message = _error(path)
    assert "PSD_Version = '14.8' has no PSD_Scheme entry" in message and "allowed: DEFAULT or one of" in message


def test_ozone_table_must_exist_for_the_season(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<Mid_Latitude>SUMMER<", "<Mid_Latitude>WINTER<"))
    message = _error(path)
    assert "Ozone_Content = 331" in message and "WINTER: 0, 250, 290, 330, 377, 420, 460" in message


@pytest.mark.parametrize(("old", "new", "words"), [
    ("<T1_B04>0.06<", "<T1_B04>0.30<", "T1_B04 = 0.3 must be smaller than T2_B04 = 0.25"),
    ("<T2_NDVI>0.42<", "<T2_NDVI>0.36<", "T1_NDVI = 0.36 must be smaller than T2_NDVI = 0.36"),
    ("<T_CLOUD_HP>0.80<", "<T_CLOUD_HP>0.10<", "T_CLOUD_LP <= T_CLOUD_MP < T_CLOUD_HP"),
])
def test_sc_ramp_order(gipp_variant, old, new, words):
    path = gipp_variant("L2A_CAL_SC_GIPP.xml", (old, new))
    message = _error(path, read_sc_gipp)
    assert str(path) in message and words in message


def test_sc_threshold_out_of_range(gipp_variant):
    path = gipp_variant("L2A_CAL_SC_GIPP.xml", ("<T_SDW>0.75<", "<T_SDW>11<"))
    message = _error(path, read_sc_gipp)
    assert "Thresholds/T_SDW = '11' is invalid; allowed: a number from -10 to 10" in message


def test_sc_class_codes_are_fixed(gipp_variant):
    path = gipp_variant("L2A_CAL_SC_GIPP.xml", ("<WATER>6<", "<WATER>12<"))
    assert "Classificators/WATER = '12' is invalid; allowed: one of 6" in _error(path, read_sc_gipp)


def test_ac_flag_and_range_and_band_count(gipp_variant):
    path = gipp_variant("L2A_CAL_AC_GIPP.xml", ("<Scaling_Limiter>true<", "<Scaling_Limiter>TRUE<"))
    assert "Flags/Scaling_Limiter = 'TRUE' is invalid; allowed: true or false" in _error(path, read_ac_gipp)
    path = gipp_variant("L2A_CAL_AC_GIPP.xml", ("<AC_Slope_Th>6.0<", "<AC_Slope_Th>95<"),
                        filename="slope.xml")
    assert "ACL_Prio_1/AC_Slope_Th = '95' is invalid; allowed: a number from 0 to 90" in _error(path, read_ac_gipp)
    path = gipp_variant("L2A_CAL_AC_GIPP.xml", ("<fwhm>0.180</fwhm>", ""), filename="fwhm.xml")
    assert "Band_List/fwhm is missing" in _error(path, read_ac_gipp)


def test_ac_wavelengths_must_increase(gipp_variant):
    path = gipp_variant("L2A_CAL_AC_GIPP.xml", ('c1="0.001">0.490<', 'c1="0.001">0.400<'))
    message = _error(path, read_ac_gipp)
    assert "wavelength of B02 = 0.4 um must be larger than that of B01 = 0.443 um" in message


def test_pb_baseline_must_fit_dd_dd(gipp_variant):
    path = gipp_variant("L2A_PB_GIPP.xml", ("<Baseline_Version>99.99<", "<Baseline_Version>123.4<"))
    message = _error(path, read_pb_gipp)
    assert "DATA/Baseline_Version = '123.4' is invalid; allowed: a number from 0 to 99.99" in message


def test_invalid_gipp_given_on_the_command_line_stops_load_config(gipp_variant):
    path = gipp_variant("L2A_GIPP.xml", ("<Visibility>40.0<", "<Visibility>0<"))
    with pytest.raises(ConfigError, match=r"Visibility = '0' is invalid; allowed: a number from 5 to 120"):
        load_config(gip_l2a=path)


# --- Sen2Cor 2.11 schemas (../shared) -------------------------------------------------------------

def _schema_211(name: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(shared_path("schemas", "sen2cor-2.11-gipp", f"{name}.xsd"))))


@pytest.mark.parametrize("name", GIPP_NAMES)
def test_packaged_gipps_are_valid_against_the_2_11_schemas(name):
    schema = _schema_211(name)
    doc = etree.parse(str(cfg_dir() / f"{name}.xml"))
    assert schema.validate(doc), [str(e) for e in schema.error_log]


def test_home_copy_loaded_by_a_run_is_valid_against_2_11(isolated_home):
    config = load_config()
    assert config.files.l2a == isolated_home / "cfg" / "L2A_GIPP.xml"
    for name, path in zip(GIPP_NAMES, (config.files.l2a, config.files.sc, config.files.ac, config.files.pb)):
        assert _schema_211(name).validate(etree.parse(str(path))), name


def test_psd_version_15_is_the_documented_difference_from_2_11(gipp_variant):
    """2.12 accepts PSD_Version 15.0 (PSD 15 input); the 2.11 schema does not know it."""
    path = gipp_variant("L2A_GIPP.xml", ("<PSD_Version>DEFAULT<", "<PSD_Version>15.0<"))
    assert read_user_gipp(path)[0].psd_version == "15.0"
    schema = _schema_211("L2A_GIPP")
    assert not schema.validate(etree.parse(str(path)))
    assert [e.path.rsplit("/", 1)[-1] for e in schema.error_log] == ["PSD_Version"]


def test_folder_instead_of_file(tmp_path):
    assert f"GIPP path is not a file: {tmp_path}" in _error(tmp_path)
