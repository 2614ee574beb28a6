import numpy as np
import pytest

from sen2cor.sceneclass import water
from sen2cor.sceneclass.thresholds import CloudThresholds

TH = CloudThresholds()


def test_water_b02_b11_clear_and_ambiguous():
    # pixel 0: R = 0.10/0.01 = 10 > 4, B12_FT = clip(0.91) = 0.21 > B12 0.005, B8A < B04, B02 < 0.2 -> water
    # pixel 1: R = 0.12/0.04 = 3 -> ambiguous, B12_FT = clip(0.21) = 0.21 > 0.02 ; factor 2 - 0.5*3 = 0.5
    # pixel 2: R = 10 but B8A > B04 -> neither
    b02 = np.array([0.10, 0.12, 0.10])
    b04 = np.array([0.05, 0.05, 0.05])
    b8a = np.array([0.02, 0.02, 0.08])
    b11 = np.array([0.01, 0.04, 0.01])
    b12 = np.array([0.005, 0.02, 0.005])
    wat, amb, factor = water.water_b02_b11(b02, b04, b8a, b11, b12, TH)
    assert wat.tolist() == [True, False, False]
    assert amb.tolist() == [False, True, False]
    assert factor[1] == pytest.approx(0.5, abs=1e-5)


def test_water_b12_threshold_is_clipped_from_below():
    # R = 1.6/0.4 = 4.0... use R = 0.19/0.038 = 5 -> B12_FT = clip(0.41) = 0.21 ; B12 0.22 too bright
    wat, _, _ = water.water_b02_b11(np.array([0.19]), np.array([0.1]), np.array([0.05]), np.array([0.038]),
                                    np.array([0.22]), TH)
    assert not wat[0]


def test_second_water_test_blue_minus_red():
    b02 = np.array([0.15, 0.15, 0.25])
    b04 = np.array([0.10, 0.12, 0.20])
    b8a = np.array([0.05, 0.05, 0.05])
    assert water.water_blue_red(b02, b04, b8a).tolist() == [True, False, False]


def test_water_recovery_masks():
    b02 = np.array([0.1, 0.1])
    b04 = np.array([0.5, 0.5])
    b8a = np.array([0.2, 0.35])
    b11 = np.array([0.02, 0.02])                  # R = 5 > 4
    from_dark, from_free = water.water_recovery(b02, b04, b8a, b11, TH)
    assert from_dark.tolist() == [True, True]
    assert from_free.tolist() == [True, False]    # B8A 0.35 >= 0.3


def test_steep_shaded_water():
    sdw = np.array([100, 100, 200])
    slope = np.array([20.0, 10.0, 20.0])
    assert water.steep_shaded_water(sdw, slope).tolist() == [True, False, False]
