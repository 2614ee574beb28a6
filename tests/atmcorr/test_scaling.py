import numpy as np
import pytest

from sen2cor.atmcorr import scaling


def test_scaling_disabler_keeps_the_lut_path_radiance():
    assert scaling.blue_scaling_factor(3.0, 2.0, disabler=True) == 1.0


def test_scaling_limiter_clips_to_min_max():
    assert scaling.blue_scaling_factor(3.0, 2.0, disabler=False, limiter=True) == pytest.approx(1.1)
    assert scaling.blue_scaling_factor(3.0, 2.0, disabler=False, limiter=False) == pytest.approx(1.5)
    assert scaling.blue_scaling_factor(
        1.0, 2.0, disabler=False, limiter=True, min_sc_blu=0.8
    ) == pytest.approx(0.8)


def test_small_or_negative_scaling_is_not_applied():
    assert scaling.blue_scaling_factor(2.08, 2.0, disabler=False) == 1.0  # |sc - 1| <= 0.05
    assert scaling.blue_scaling_factor(-0.1, 2.0, disabler=False) == 1.0


def test_band_factors_are_log_linear_between_blue_and_red():
    f = scaling.band_scaling_factors(
        {"B01": 0.443, "B02": 0.490, "B03": 0.560, "B04": 0.665, "B12": 2.19}, 1.1
    )
    assert f["B02"] == pytest.approx(1.1) and f["B04"] == 1.0 and f["B12"] == 1.0
    t = (np.log(0.665) - np.log(0.560)) / (np.log(0.665) - np.log(0.490))
    assert f["B03"] == pytest.approx(1.1**t)
    assert f["B01"] > 1.1


def test_scene_path_radiance_and_blue_reference():
    # L* = 5 + 0.5 * 0.2 * (5 - 7) = 4.8 ; minus 0.02 * (100 * 0.5 + 20) / pi
    lp = scaling.scene_path_radiance(5.0, 7.0, 0.2, 0.02, 100.0, 20.0, 0.5)
    assert lp == pytest.approx(4.8 - 0.02 * 70.0 / np.pi)
    assert scaling.ddv_blue_reflectance(0.02, 0.5) == pytest.approx(0.015)


def test_ddv_fraction_for_scaling():
    assert scaling.ddv_fraction_sufficient(30, 10000)
    assert not scaling.ddv_fraction_sufficient(20, 10000)  # 0.2 % < 0.25 %
