"""The packaged GIPPs carry Sen2Cor 2.12.04's element order and default values.

Expected values are typed from docs (config facts §1.1, §2, §3, §4; manual §3.3.1), not taken
from our XML, and the XML is read with plain lxml as well as through sen2cor.config.
"""
from __future__ import annotations

import math

import pytest
from lxml import etree

from sen2cor.config import load_config
from sen2cor.config.calibration import ACL_GIPP_NAMES
from sen2cor.config.resources import cfg_dir

# Config facts §1.3: Common_Section sequence of the 2.10-2.12 L2A_GIPP.xml.
COMMON_ORDER = [
    "Log_Level", "Region_Of_Interest", "Product_DOI", "Nr_Threads", "Product_Generator", "DEM_Directory",
    "DEM_Reference", "Generate_DEM_Output", "Force_Exit_On_DEM_Error", "Generate_TCI_Output",
    "Generate_DDV_Output", "Handle_L1C_QLT_Mask", "Downsample_20_to_60", "PSD_Version",
    "PSD_Scheme", "PSD_Scheme", "PSD_Scheme", "PSD_Scheme", "PSD_Scheme", "PSD_Scheme",
    "GIPP_Scheme", "SC_Scheme", "AC_Scheme", "PB_Scheme", "QI_Scheme",
]

# Config facts §1.1 (esa_tf 2.12-era copy).
USER_GIPP_TEXT = {
    "Common_Section/Log_Level": "INFO",
    "Common_Section/Region_Of_Interest/row0": "OFF",
    "Common_Section/Region_Of_Interest/col0": "OFF",
    "Common_Section/Region_Of_Interest/nrow_win": "1200",
    "Common_Section/Region_Of_Interest/ncol_win": "1200",
    "Common_Section/Product_DOI": "https://doi.org/10.5270/S2_-znk9xsj",
    "Common_Section/Nr_Threads": "AUTO",
    "Common_Section/Product_Generator": "NONE",
    "Common_Section/DEM_Directory": "NONE",
    "Common_Section/DEM_Reference": "NONE",
    "Common_Section/Generate_DEM_Output": "FALSE",
    "Common_Section/Force_Exit_On_DEM_Error": "TRUE",
    "Common_Section/Generate_TCI_Output": "TRUE",
    "Common_Section/Generate_DDV_Output": "FALSE",
    "Common_Section/Handle_L1C_QLT_Mask": "FALSE",
    "Common_Section/Downsample_20_to_60": "TRUE",
    "Common_Section/PSD_Version": "DEFAULT",
    "Common_Section/GIPP_Scheme": "L2A_GIPP",
    "Common_Section/SC_Scheme": "L2A_CAL_SC_GIPP",
    "Common_Section/AC_Scheme": "L2A_CAL_AC_GIPP",
    "Common_Section/PB_Scheme": "L2A_PB_GIPP",
    "Common_Section/QI_Scheme": "L2A_QUALITY",
    "Scene_Classification/Filters/Median_Filter": "0",
    "Atmospheric_Correction/Look_Up_Tables/Aerosol_Type": "RURAL",
    "Atmospheric_Correction/Look_Up_Tables/Mid_Latitude": "SUMMER",
    "Atmospheric_Correction/Look_Up_Tables/Ozone_Content": "331",
    "Atmospheric_Correction/Flags/WV_Correction": "1",
    "Atmospheric_Correction/Flags/VIS_Update_Mode": "1",
    "Atmospheric_Correction/Flags/WV_Watermask": "1",
    "Atmospheric_Correction/Flags/Cirrus_Correction": "FALSE",
    "Atmospheric_Correction/Flags/DEM_Terrain_Correction": "TRUE",
    "Atmospheric_Correction/Flags/BRDF_Correction": "0",
    "Atmospheric_Correction/Flags/BRDF_Lower_Bound": "0.22",
    "Atmospheric_Correction/Calibration/Adj_Km": "1.000",
    "Atmospheric_Correction/Calibration/Visibility": "40.0",
    "Atmospheric_Correction/Calibration/Altitude": "0.100",
    "Atmospheric_Correction/Calibration/Smooth_WV_Map": "100.0",
    "Atmospheric_Correction/Calibration/WV_Threshold_Cirrus": "0.25",
    "Atmospheric_Correction/Calibration/Database_Compression_Level": "0",
}

# Config facts §2 (shipped L2A_CAL_SC_GIPP.xml).
SC_THRESHOLDS = {
    "T1_B02": 0.18, "T2_B02": 0.22, "T1_B04": 0.06, "T2_B04": 0.25, "T1_B8A": 0.15, "T2_B8A": 0.35,
    "T1_B10": 0.012, "T2_B10": 0.035, "T1_B12": 0.25, "T2_B12": 0.12, "T_B02_B12": 0.018,
    "T_CLOUD_LP": 0.0, "T_CLOUD_MP": 0.20, "T_CLOUD_HP": 0.80, "T1_NDSI_CLD": -0.24, "T2_NDSI_CLD": -0.16,
    "T1_NDSI_SNW": 0.35, "T2_NDSI_SNW": 0.50, "T1_NDVI": 0.36, "T2_NDVI": 0.42, "T1_SNOW": 0.12,
    "T2_SNOW": 0.25, "T1_R_B02_B04": 0.85, "T2_R_B02_B04": 0.95, "T1_R_B8A_B03": 1.50, "T2_R_B8A_B03": 2.50,
    "T1_R_B8A_B11": 0.90, "T2_R_B8A_B11": 1.10, "T11_B02": -0.40, "T12_B02": 0.46, "T11_R_B02_B11": 0.70,
    "T12_R_B02_B11": 1.0, "T21_R_B02_B11": 2.00, "T22_R_B02_B11": 4.00, "T21_B12": 0.1, "T22_B12": -0.09,
    "RV_B2": 6.96, "RV_B3": 5.26667, "RV_B4": 5.37708, "RV_B8": 7.52, "RV_B11": 5.45, "RV_B12": 2.55,
    "T_SDW": 0.75,
}
SC_CLASSES = ["NO_DATA", "SATURATED_DEFECTIVE", "DARK_FEATURES", "CLOUD_SHADOWS", "VEGETATION", "NOT_VEGETATED",
              "WATER", "UNCLASSIFIED", "MEDIUM_PROBA_CLOUDS", "HIGH_PROBA_CLOUDS", "THIN_CIRRUS", "SNOW_ICE"]

# Config facts §3 (shipped L2A_CAL_AC_GIPP.xml).
AC_PARAMETERS = {
    "AC_Min_Ddv_Area": 2.0, "AC_Swir_Refl_Lower_Th": 0.01, "AC_Swir_22um_Red_Refl_Ratio": 0.5,
    "AC_Red_Blue_Refl_Ratio": 0.5, "AC_Cut_Off_Aot_Iter_Vegetation": 0.01, "AC_Cut_Off_Aot_Iter_Water": -0.005,
    "AC_Aerosol_Type_Ratio_Th": 0.05, "AC_Topo_Corr_Th": 0.01, "AC_Slope_Th": 6.0, "AC_Dem_P2p_Val": 50.0,
    "AC_Swir_Refl_Ndvi_Th": 0.10, "AC_Ddv_Swir_Refl_Th1": 0.05, "AC_Ddv_Swir_Refl_Th2": 0.10,
    "AC_Ddv_Swir_Refl_Th3": 0.12, "AC_Ddv_16um_Refl_Th1": 0.10, "AC_Ddv_16um_Refl_Th2": 0.15,
    "AC_Ddv_16um_Refl_Th3": 0.18, "AC_Dbv_Nir_Refl_Th": 0.35, "AC_Dbv_Ndvi_Th": 0.66, "AC_Red_Ref_Refl_Th": 0.02,
    "AC_Dbv_Red_Veget_Tst_Ndvi_Th": 0.40, "AC_Dbv_Red_Veget_Refl_Th": 0.15, "AC_Wv_Iter_Start_Summer": 1.0,
    "AC_Wv_Iter_Start_Winter": 0.4, "AC_Rng_Nbhd_Terrain_Corr": 0.5, "AC_Max_Nr_Topo_Iter": 3,
    "AC_Topo_Corr_Cutoff": 1.5, "AC_Vegetation_Index_Th": 3.0, "AC_Limit_Area_Path_Rad_Scale": 0,
    "AC_Ddv_Smooting_Window": 1.0, "AC_Terrain_Refl_Start": 0.1, "AC_Spr_Refl_Percentage": 0.25,
    "AC_Spr_Refl_Promille": 0.3,
}
FWHM_UM = [0.020, 0.065, 0.035, 0.030, 0.015, 0.015, 0.020, 0.115, 0.020, 0.020, 0.030, 0.090, 0.180]
WAVELENGTH_UM = [0.443, 0.490, 0.560, 0.665, 0.705, 0.740, 0.783, 0.842, 0.865, 0.945, 1.375, 1.610, 2.190]
C1 = [0.001] * 10 + [0.0005, 0.0002, 0.00005]


def _root(name: str) -> etree._Element:
    return etree.parse(str(cfg_dir() / name)).getroot()


def test_user_gipp_common_section_has_the_2_12_element_order():
    tags = [e.tag for e in _root("L2A_GIPP.xml").find("Common_Section") if isinstance(e.tag, str)]
    assert tags == COMMON_ORDER


def test_user_gipp_lists_psd_schemes_up_to_15_0_with_the_cs_reference():
    schemes = _root("L2A_GIPP.xml").findall("Common_Section/PSD_Scheme")
    assert [s.get("PSD_Version") for s in schemes] == ["14.2", "14.6", "14.7", "14.8", "14.9", "15.0"]
    assert schemes[-1].get("PSD_Reference") == "S2-PDGS-CS-DI-PSD-V15.0_Schema"
    assert schemes[0].get("PSD_Reference") == "S2-PDGS-TAS-DI-PSD-V14.2_Schema"


@pytest.mark.parametrize(("path", "expected"), sorted(USER_GIPP_TEXT.items()))
def test_user_gipp_text_defaults(path, expected):
    assert _root("L2A_GIPP.xml").findtext(path).strip() == expected


def test_sc_gipp_text_defaults():
    root = _root("L2A_CAL_SC_GIPP.xml")
    thresholds = {e.tag: float(e.text) for e in root.find("Scene_Classification/Thresholds")
                  if isinstance(e.tag, str)}
    assert thresholds == SC_THRESHOLDS
    classes = [(e.tag, int(e.text)) for e in root.find("Scene_Classification/Classificators")]
    assert classes == [(name, code) for code, name in enumerate(SC_CLASSES)]
    assert root.findtext("Scene_Classification/References/ESACCI_SnowCondition_Map_Dir") == \
        "ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-v2.4"


def test_ac_gipp_text_defaults():
    root = _root("L2A_CAL_AC_GIPP.xml")
    params = {e.tag: float(e.text) for section in ("ACL_Prio_1", "ACL_Prio_2", "ACL_Prio_3")
              for e in root.find(section) if isinstance(e.tag, str)}
    assert params == AC_PARAMETERS
    assert [e.text for e in root.find("Flags")] == ["true", "true", "true"]
    assert [float(e.text) for e in root.findall("Sensor/Resolution/Band_List/fwhm")] == FWHM_UM
    waves = root.findall("Sensor/Calibration/Band_List/wavelength")
    assert [float(w.text) for w in waves] == WAVELENGTH_UM
    assert [float(w.get("c1")) for w in waves] == C1


def test_pb_gipp_is_the_toolbox_baseline():
    root = _root("L2A_PB_GIPP.xml")
    assert root.findtext("DATA/Baseline_Version") == "99.99"
    assert root.find("DATA/Idp_Sc_List").get("workflow") == "l2a"
    assert root.findtext("DATA/Idp_Sc_List/Idp_Sc_Version") == "02.12.04"   # manual §3.3.1 example


def test_loaded_defaults_have_python_types_and_units(isolated_home):
    config = load_config()
    c, a = config.common, config.atmcorr
    assert c.log_level == "INFO" and c.region_of_interest.mode == "OFF"
    assert (c.region_of_interest.nrow_win, c.region_of_interest.ncol_win) == (1200, 1200)
    assert c.nr_threads_setting == "AUTO" and c.nr_threads >= 1
    assert c.dem_directory is None and c.dem_reference is None and c.product_generator is None
    assert c.force_exit_on_dem_error is True and c.generate_tci_output is True
    assert c.generate_dem_output is False and c.generate_ddv_output is False and c.handle_l1c_qlt_mask is False
    assert c.downsample_20_to_60 is True and c.psd_version is None
    assert c.psd_scheme("15.0").psd_reference == "S2-PDGS-CS-DI-PSD-V15.0_Schema"
    assert (a.aerosol_type, a.mid_latitude, a.ozone_content_du) == ("RURAL", "SUMMER", 331)
    assert (a.wv_correction, a.vis_update_mode, a.wv_watermask, a.brdf_correction) == (1, 1, 1, 0)
    assert a.cirrus_correction is False and a.dem_terrain_correction is True
    assert (a.visibility_km, a.altitude_km, a.adj_km) == (40.0, 0.1, 1.0)
    assert (a.smooth_wv_map_m, a.wv_threshold_cirrus_cm, a.brdf_lower_bound) == (100.0, 0.25, 0.22)
    assert a.database_compression_level == 0
    assert config.sc.median_filter_px == 0
    assert config.processing_baseline == "99.99" and config.log_level == "INFO"


def test_loaded_sc_and_ac_match_the_facts(isolated_home):
    config = load_config()
    th = config.sc.thresholds
    for gipp_name, value in SC_THRESHOLDS.items():
        assert getattr(th, gipp_name.lower()) == pytest.approx(value), gipp_name
    assert config.sc.classificators.snow_ice == 11 and config.sc.classificators.thin_cirrus == 10
    ac = config.cal_ac
    assert ac.flags.scaling_limiter and ac.flags.scaling_disabler and ac.flags.rho_retrieval_step2
    assert ac.lib_dir == "lib" and (ac.min_sc_blu, ac.max_sc_blu) == (0.9, 1.1)
    assert ac.band("B8A").wavelength_um == 0.865 and ac.band("B08").fwhm_um == 0.115
    assert ac.band("B12").c1 == 0.00005 and ac.band("B01").c0 == 0.0
    values = {**vars(ac.prio_1), **vars(ac.prio_2), **vars(ac.prio_3)}
    assert set(values) == set(ACL_GIPP_NAMES)
    for field, gipp_name in ACL_GIPP_NAMES.items():
        assert math.isclose(values[field], AC_PARAMETERS[gipp_name]), gipp_name
    assert isinstance(ac.prio_2.max_nr_topo_iter, int)
