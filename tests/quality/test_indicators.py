"""Quality indicators from arrays: hand-computed percentages, means, ozone, flags (facts C.2/C.3, §6.4)."""

from __future__ import annotations

import numpy as np
import pytest

from sen2cor.l1c import read_grib
from sen2cor.product.metadata import PRODUCT_QI, TILE_QI
from sen2cor.quality import (
    NOT_COMPUTED,
    AerosolRetrieval,
    atmosphere_indicators,
    aux_indicators,
    compute_indicators,
    granule_mean,
    negative_boa_percentages,
    ozone_indicator,
    scene_indicators,
)
from tests.conftest import shared_path

# 2 x 5 SCL: 1 no-data, 1 saturated, 8 valid: 2 vegetation, 1 water, 1 dark, 1 shadow, 3 clouds (8, 9, 10)
SCL = np.array([[0, 1, 4, 4, 6],
                [2, 3, 8, 9, 10]], np.uint8)


def test_class_percentages_use_sen2cor_denominators():
    scene, counts = scene_indicators(SCL)
    assert counts == {"N_FULL": 10, "N_NODATA": 1, "N_VALID": 8}
    assert scene["NODATA_PIXEL_PERCENTAGE"] == pytest.approx(100 * 1 / 10)
    assert scene["SATURATED_DEFECTIVE_PIXEL_PERCENTAGE"] == pytest.approx(100 * 1 / 9)
    assert scene["VEGETATION_PERCENTAGE"] == pytest.approx(100 * 2 / 8)
    assert scene["WATER_PERCENTAGE"] == pytest.approx(100 * 1 / 8)
    assert scene["DARK_FEATURES_PERCENTAGE"] == pytest.approx(100 * 1 / 8)
    assert scene["CLOUD_SHADOW_PERCENTAGE"] == pytest.approx(100 * 1 / 8)
    for name in ("MEDIUM_PROBA_CLOUDS_PERCENTAGE", "HIGH_PROBA_CLOUDS_PERCENTAGE", "THIN_CIRRUS_PERCENTAGE"):
        assert scene[name] == pytest.approx(100 * 1 / 8)
    assert scene["CLOUDY_PIXEL_PERCENTAGE"] == pytest.approx(100 * 3 / 8)
    # land without a CCI map: SCL > 1 and not water -> 7 pixels, 3 of them cloudy
    assert scene["CLOUDY_PIXEL_OVER_LAND_PERCENTAGE"] == pytest.approx(100 * 3 / 7)
    assert scene["UNCLASSIFIED_PERCENTAGE"] == 0.0 and scene["SNOW_ICE_PERCENTAGE"] == 0.0


def test_file_order_land_mask_degraded_and_psd15_name():
    land = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 0, 0]], bool)   # CCI: right two columns are water
    scene, _ = scene_indicators(SCL, land=land, degraded_msi_percent=0.0264, psd15=True)
    assert list(scene)[:5] == ["CLOUDY_PIXEL_PERCENTAGE", "CLOUDY_PIXEL_OVER_LAND_PERCENTAGE",
                               "DEGRADED_MSI_DATA_PERCENTAGE", "NODATA_PIXEL_PERCENTAGE",
                               "SATURATED_DEFECTIVE_PIXEL_PERCENTAGE"]
    assert list(scene)[5] == "CAST_SHADOW_PERCENTAGE" and "DARK_FEATURES_PERCENTAGE" not in scene
    # land & SCL > 1: (0,2) veg, (1,0) dark, (1,1) shadow, (1,2) medium cloud -> 1 cloud of 4
    assert scene["CLOUDY_PIXEL_OVER_LAND_PERCENTAGE"] == pytest.approx(25.0)
    assert scene["DEGRADED_MSI_DATA_PERCENTAGE"] == 0.0264


def test_cropped_raster_counts_missing_pixels_as_nodata():
    scene, counts = scene_indicators(SCL, n_full=20)
    assert counts["N_NODATA"] == 11
    assert scene["NODATA_PIXEL_PERCENTAGE"] == pytest.approx(55.0)
    assert scene["SATURATED_DEFECTIVE_PIXEL_PERCENTAGE"] == pytest.approx(100 / 9)
    assert scene["VEGETATION_PERCENTAGE"] == pytest.approx(25.0)


def test_all_nodata_tile_gives_zero_percentages_not_errors():
    scene, counts = scene_indicators(np.zeros((3, 3), np.uint8))
    assert scene["NODATA_PIXEL_PERCENTAGE"] == 100.0
    assert counts["N_VALID"] == 0
    assert all(v == 0.0 for k, v in scene.items() if k != "NODATA_PIXEL_PERCENTAGE")


def test_granule_mean_ignores_zero_and_scales():
    assert granule_mean(np.array([[0, 100], [200, 300]], np.uint16)) == pytest.approx(0.2)
    assert granule_mean(np.array([0, 1500, 2500], np.uint16), 1000.0) == pytest.approx(2.0)
    assert granule_mean(np.zeros((4, 4), np.uint16)) == 0.0


def test_ozone_sources_in_priority_order():
    assert ozone_indicator(np.array([0.0064]), configured_du=300.0) == (300.0, "CONFIG")
    value, source = ozone_indicator(np.array([[0.006428, 0.006428], [0.0, np.nan]]))
    assert source == "AUX_ECMWFT" and value == pytest.approx(300.0, rel=1e-6)  # 300 DU = 6.428e-3 kg m-2
    assert ozone_indicator(None) == (331.0, "OTHER")
    assert ozone_indicator(np.zeros(3)) == (331.0, "OTHER")


@pytest.mark.parametrize("product, expected", [
    (("l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"), 321.750572),
    (("l2a", "S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE"), 296.662689),
    (("metadata", "stactools", "S2B_MSIL2A_20230122T231849_N0400_R087_T01UBT_20230124T042703.SAFE"), 372.600490),
])
def test_ozone_value_of_official_products_from_their_ecmwf_grib(product, expected):
    grib = next(shared_path("data", "real", *product, "GRANULE").glob("*/AUX_DATA/AUX_ECMWFT"))
    value, source = ozone_indicator(read_grib(grib)["tco3"].values)
    assert source == "AUX_ECMWFT"
    assert "%f" % value == "%f" % expected                                  # OZONE_VALUE of L2A_QUALITY.xml


def test_negative_boa_from_dn_with_offset_and_from_reflectance():
    dn = {"B04": np.array([0, 500, 999, 1000, 2000], np.uint16),
          "B02": np.array([1200, 1300, 0, 900, 900], np.uint16)}
    out = negative_boa_percentages(dn, add_offset_dn=-1000)
    assert list(out) == ["B02", "B04"]
    assert out["B04"] == pytest.approx(50.0)        # 500, 999 negative of 4 non-zero
    assert out["B02"] == pytest.approx(50.0)
    valid = np.array([True, True, True, False, False])
    assert negative_boa_percentages(dn, add_offset_dn=-1000, valid=valid)["B04"] == pytest.approx(100.0)
    rho = {"B8A": np.array([-0.01, 0.2, np.nan, 0.3], np.float32)}
    assert negative_boa_percentages(rho)["B8A"] == pytest.approx(100 / 3)


def test_atmosphere_values_flags_and_sc_only():
    retrieval = AerosolRetrieval(method="CAMS", start_visibility_km=40.0, ddv_visibility_km=4.5,
                                 ddv_pixel_percent=2.5, lut_files=("h99000_wv20_rura.atm",))
    aot, wvp = np.array([1500, 0, 900], np.uint16), np.array([5200, 5400], np.uint16)
    values, control = atmosphere_indicators(aot, wvp,
                                            retrieval, ozone_du=321.7, mean_sun_zenith_deg=57.8)
    assert values["GRANULE_MEAN_AOT"] == pytest.approx(1.2)
    assert values["GRANULE_MEAN_WV"] == pytest.approx(5.3)
    assert values["FINAL_VISIBILITY_KM"] == 4.5 and values["AVERAGE_SOLAR_ZENITH_ANGLE"] == 57.8
    assert control == {"AC_ENABLED": True, "WV_RETRIEVAL_METHOD": "SEN2COR_APDA",
                       "AOT_RETRIEVAL_METHOD": "CAMS",
                       "VISIBILITY_LESS_THAN_5_KM": True, "AOT_ABOVE_1": True, "GRANULE_WV_ABOVE_5_CM": True}
    values, control = atmosphere_indicators(None, None, retrieval, ozone_du=331.0, mean_sun_zenith_deg=30.0,
                                            sc_only=True)
    for name in ("GRANULE_MEAN_AOT", "GRANULE_MEAN_WV", "DDV_PIXEL_PERCENTAGE", "FINAL_VISIBILITY_KM"):
        assert values[name] == NOT_COMPUTED, name
    assert values["OZONE_VALUE"] == 331.0 and values["AOT_RETRIEVAL_ACCURACY"] == 0.0
    assert control["AC_ENABLED"] is False and control["WV_RETRIEVAL_METHOD"] == "NA"
    assert control["AOT_RETRIEVAL_METHOD"] == "DEFAULT"
    with pytest.raises(ValueError, match="AOT_RETRIEVAL_METHOD 'DDV' is invalid"):
        AerosolRetrieval(method="DDV")


def test_aux_dem_statistics_and_flags():
    aux = aux_indicators(ozone_source="AUX_ECMWFT", mean_sun_zenith_deg=72.0, dem_type="COPERNICUS_90",
                         dem_m=np.array([[0.0, 3500.0]]), slope_deg=np.array([[2.0, 4.0]]))
    assert aux == {"DEM_TYPE": "COPERNICUS_90", "DEM_MEAN_ALTITUDE_KM": 1.75, "DEM_MEAN_SLOPE": 3.0,
                   "GROUND_ELEVATION_ABOVE_3_KM": True, "SOLAR_ZENITH_ANGLE_ABOVE_70_DEG": True,
                   "OZONE_SOURCE": "AUX_ECMWFT"}
    flat = aux_indicators(ozone_source="OTHER", mean_sun_zenith_deg=30.0, dem_type="SRTM_90")
    assert flat["DEM_TYPE"] == "NA" and flat["DEM_MEAN_ALTITUDE_KM"] == 0.0
    assert flat["GROUND_ELEVATION_ABOVE_3_KM"] is False
    with pytest.raises(ValueError, match="OZONE_SOURCE 'ECMWF'"):
        aux_indicators(ozone_source="ECMWF", mean_sun_zenith_deg=30.0)


def test_compute_indicators_and_metadata_values_use_metadata_names():
    boa = {"B04": np.array([[0, 500, 1500, 1500, 1500], [1500] * 5], np.uint16)}
    qi = compute_indicators(SCL, aot_dn=np.full(SCL.shape, 120, np.uint16),
                            wvp_dn=np.full(SCL.shape, 800, np.uint16),
                            mean_sun_zenith_deg=45.0, tco3_kg_m2=np.array([0.006428]), boa=boa,
                            boa_add_offset_dn=-1000)
    # negative BOA over SCL > 1 (8 pixels; DN 500 sits on SCL 1 and is excluded)
    assert qi.negative_boa["B04"] == 0.0
    values = qi.metadata_values()
    allowed = set(TILE_QI) | set(PRODUCT_QI) | {"CAST_SHADOW_PERCENTAGE", "CLOUD_COVERAGE_ASSESSMENT"}
    assert set(values) <= allowed
    assert values["CLOUD_COVERAGE_ASSESSMENT"] == values["CLOUDY_PIXEL_PERCENTAGE"] == pytest.approx(37.5)
    assert values["GRANULE_MEAN_AOT"] == pytest.approx(0.12)
    assert values["GRANULE_MEAN_WV"] == pytest.approx(0.8)
    assert values["OZONE_SOURCE"] == "AUX_ECMWFT" and values["OZONE_VALUE"] == pytest.approx(300.0)
    assert "DEGRADED_MSI_DATA_PERCENTAGE" not in values          # stays the L1C value in the metadata
    sc_only = compute_indicators(SCL, aot_dn=None, wvp_dn=None, mean_sun_zenith_deg=45.0, sc_only=True,
                                 retrieval=AerosolRetrieval(lut_files=("x.atm",)))
    assert sc_only.lut_files == () and set(sc_only.negative_boa.values()) == {NOT_COMPUTED}
    assert sc_only.metadata_values()["AOT_RETRIEVAL_METHOD"] == "DEFAULT"


def test_official_scl_and_aot_reproduce_the_official_quality_report():
    """Real 20 m SCL and AOT of an official N04.00 product give its L2A_QUALITY.xml values to 6 decimals."""
    from sen2cor.io.jp2 import read_jp2
    from sen2cor.quality import read_quality_values
    from sen2cor.quality.report import format_value

    granule = next(shared_path("data", "real", "l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_"
                               "20221005T164454.SAFE", "GRANULE").iterdir())
    official = read_quality_values(granule / "QI_DATA" / "L2A_QUALITY.xml")
    scene, _ = scene_indicators(read_jp2(next((granule / "IMG_DATA" / "R20m").glob("*_SCL_20m.jp2"))))
    # CLOUDY_PIXEL_OVER_LAND needs the ESA-CCI land mask, DEGRADED_MSI comes from the L1C metadata
    for name in set(scene) - {"CLOUDY_PIXEL_OVER_LAND_PERCENTAGE", "DEGRADED_MSI_DATA_PERCENTAGE"}:
        assert format_value(name, scene[name]) == official[name], name
    aot = read_jp2(next((granule / "IMG_DATA" / "R20m").glob("*_AOT_20m.jp2")))
    assert format_value("GRANULE_MEAN_AOT", granule_mean(aot)) == official["GRANULE_MEAN_AOT"]
