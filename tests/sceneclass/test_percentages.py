import numpy as np
import pytest

from sen2cor.sceneclass.percentages import class_percentages


def test_denominators_follow_the_2_10_quality_report():
    scl = np.array([0, 0, 1, 4, 4, 4, 8, 9, 10, 6], np.uint8)
    q = class_percentages(scl, n_full=12)                  # 2 tile pixels outside the raster
    # N_nodata = 2 + 2 = 4 ; N_valid = 12 - 4 - 1 = 7
    assert (q["N_FULL"], q["N_NODATA"], q["N_VALID"]) == (12, 4, 7)
    assert q["NODATA_PIXEL_PERCENTAGE"] == pytest.approx(100 * 4 / 12)
    assert q["SATURATED_DEFECTIVE_PIXEL_PERCENTAGE"] == pytest.approx(100 * 1 / 8)
    assert q["VEGETATION_PERCENTAGE"] == pytest.approx(100 * 3 / 7)
    assert q["WATER_PERCENTAGE"] == pytest.approx(100 / 7)
    assert q["CLOUDY_PIXEL_PERCENTAGE"] == pytest.approx(100 * 3 / 7)
    # land without a CCI map: SCL > 1 and not water -> 6 pixels, 3 cloudy
    assert q["CLOUDY_PIXEL_OVER_LAND_PERCENTAGE"] == pytest.approx(50.0)
    assert "DARK_FEATURES_PERCENTAGE" in q and "CAST_SHADOW_PERCENTAGE" not in q


def test_land_mask_and_psd15_name():
    scl = np.array([8, 8, 4, 6], np.uint8)
    land = np.array([True, False, True, False])
    q = class_percentages(scl, land=land, psd15=True)
    assert q["CLOUDY_PIXEL_OVER_LAND_PERCENTAGE"] == pytest.approx(50.0)
    assert q["CAST_SHADOW_PERCENTAGE"] == 0.0


def test_all_no_data_gives_zero_not_nan():
    q = class_percentages(np.zeros(4, np.uint8))
    assert q["NODATA_PIXEL_PERCENTAGE"] == 100.0
    assert q["CLOUDY_PIXEL_PERCENTAGE"] == 0.0
