import numpy as np
import pytest

from sen2cor.sceneclass import cloud
from sen2cor.sceneclass.thresholds import NOT_CLASSIFIED, SCL, CloudThresholds

TH = CloudThresholds()


@pytest.mark.parametrize(("b04", "expected"), [(0.05, 0.0), (0.155, 0.25), (0.30, 1.0)])
def test_red_brightness_is_a_squared_ramp(b04, expected):
    assert cloud.red_brightness(np.array([b04]), TH)[0] == pytest.approx(expected, abs=1e-6)


def test_dark_features_need_dark_red_and_nir_inside_its_interval():
    b04 = np.array([0.05, 0.05, 0.05, 0.12])
    b8a = np.array([0.10, 0.03, 0.16, 0.10])
    assert cloud.dark_features(b04, b8a).tolist() == [True, False, False, False]


def test_ndsi_cloud_membership():
    # NDSI of (B03 0.3, B11 0.5) = -0.25 -> 0 ; (0.4, 0.5) = -0.111 -> 1 ; -0.20 -> 0.5
    nd = cloud.ndsi(np.array([0.3, 0.4]), np.array([0.5, 0.5]))
    assert nd[0] == pytest.approx(-0.25)
    m = cloud.ndsi_cloud_membership(np.array([nd[0], nd[1], -0.20]), TH)
    np.testing.assert_allclose(m, [0.0, 1.0, 0.5], atol=1e-6)


def test_soil_test_on_b02_b11():
    # R = 0.10/0.32 = 0.3125 -> B02_FT = clip(-0.4*0.3125+0.46 = 0.335, .15, .32) = 0.32 -> soil
    # R = 0.17/0.20 = 0.85 -> B02_FT = clip(0.12, .15, .32) = 0.15 ; B02 0.17 > 0.15 -> nothing
    # R = 0.12/0.15 = 0.80 -> B02_FT = clip(0.14) = 0.15 ; B02 0.12 < 0.15, 0.7 < R < 1 -> ramp 1/3
    soil, ambiguous, factor = cloud.soil_b02_b11(np.array([0.10, 0.17, 0.12]), np.array([0.32, 0.20, 0.15]), TH)
    assert soil.tolist() == [True, False, False]
    assert ambiguous.tolist() == [False, False, True]
    assert factor[2] == pytest.approx(1 / 3, abs=1e-5)


def test_rocks_test_on_b8a_b11():
    # R = 0.3/0.4 = 0.75 -> B02_FT = clip(-0.25*0.75 + 0.475 = 0.2875) ; B02 0.2 < 0.2875, 0.2 < 0.8*0.4
    # R = 0.4/0.4 = 1.0 -> ambiguous (0.9 < R < 1.1), B02_FT = 0.225 > B02 0.2 -> factor 0.5
    b02 = np.array([0.2, 0.2, 0.2])
    b8a = np.array([0.3, 0.4, 0.3])
    b11 = np.array([0.4, 0.4, 0.2])         # third: B02 0.2 >= 0.8*0.2 -> not rocks
    rocks, ambiguous, factor = cloud.rocks_b8a_b11(b02, b8a, b11, TH)
    assert rocks.tolist() == [True, False, False]
    assert ambiguous.tolist() == [False, True, False]
    assert factor[1] == pytest.approx(0.5, abs=1e-5)


def test_b04_b11_ratio_ramp_between_3_and_6():
    m = cloud.ratio_b04_b11_membership(np.array([0.2, 0.45, 0.7]), np.array([0.1, 0.1, 0.1]))
    np.testing.assert_allclose(m, [0.0, 0.5, 1.0], atol=1e-5)


def test_cloud_classes_use_the_gipp_probability_limits():
    p = np.array([0.0, 0.1, 0.2, 0.79, 0.8, 1.0], np.float32)
    expected = [NOT_CLASSIFIED, SCL.UNCLASSIFIED, SCL.MEDIUM_PROBA_CLOUDS, SCL.MEDIUM_PROBA_CLOUDS,
                SCL.HIGH_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS]
    assert cloud.cloud_classes(p, TH).tolist() == expected
