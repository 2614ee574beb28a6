import numpy as np
import pytest

from sen2cor.sceneclass import snow
from sen2cor.sceneclass.thresholds import CloudThresholds

TH = CloudThresholds()


def _one(x):
    return np.array([x], np.float32)


def test_snow_probability_multiplies_the_ramps():
    # NDSI 0.425 -> 0.5 ; B8A 0.25 -> 0.5 ; B02 0.21 -> 0.75 ; B02/B04 = 0.21/0.233333 = 0.9 -> 0.5
    s = snow.snow_probability(_one(0.425), _one(0.7), _one(0.21), _one(0.21 / 0.9), _one(0.25), _one(0.25), TH)
    assert s[0] == pytest.approx(0.5 * 0.5 * 0.75 * 0.5, rel=1e-4)


@pytest.mark.parametrize("case", ["no_cloud_probability", "b05_b8a_low", "excluded"])
def test_snow_probability_zero_cases(case):
    p, b05, excluded = _one(0.7), _one(0.8), None
    if case == "no_cloud_probability":
        p = _one(0.0)
    elif case == "b05_b8a_low":
        b05 = _one(0.8 * 0.84)                      # B05/B8A = 0.84 < 0.85
    else:
        excluded = np.array([True])
    s = snow.snow_probability(_one(0.8), p, _one(0.8), _one(0.7), b05, _one(0.8), TH, excluded=excluded)
    assert s[0] == 0.0


def test_snow_mask_threshold_and_ring():
    s = np.zeros((9, 9), np.float32)
    s[4, 4] = 0.13                                  # > T1_SNOW 0.12
    s[0, 0] = 0.12                                  # not strictly above
    mask = snow.snow_mask(s, TH)
    assert mask.sum() == 1 and mask[4, 4]
    ring = snow.snow_ring(mask)
    # diamond of radius 3 around (4, 4): 25 pixels minus the centre
    assert ring.sum() == 24
    assert ring[1, 4] and ring[4, 7] and ring[3, 6] and not ring[1, 5] and not ring[4, 4]


def test_ring_cloud_reset_needs_dark_swir():
    ring = np.array([True, True, False])
    b12 = np.array([0.2, 0.3, 0.1])
    assert snow.ring_cloud_reset(ring, b12, TH).tolist() == [True, False, False]


def test_cci_water_rule_applies_only_to_tiles_with_little_snow():
    snc = np.array([[254, 254], [5, 10]], np.uint8)            # land mean 7.5 < 10
    np.testing.assert_array_equal(snow.cci_snow_water_mask(snc), snc == 254)
    assert snow.cci_snow_water_mask(np.array([[254, 20], [30, 40]], np.uint8)) is None
    assert snow.cci_snow_water_mask(np.array([[254, 0]], np.uint8)) is None      # land sum 0
    assert snow.cci_snow_water_mask(None) is None


def test_climatology_excludes_never_snowy_and_water_but_not_no_data():
    clim = np.array([0, 1, 50, 254, 255], np.uint8)
    assert snow.climatology_excludes_snow(clim).tolist() == [True, False, False, True, False]
    assert snow.climatology_excludes_snow(clim, min_percent=1).tolist() == [True, True, False, True, False]


def test_snow_recovery_within_radius_three_and_b11_below_b03():
    mask = np.zeros((1, 9), bool)
    mask[0, 0] = True
    b03 = np.full((1, 9), 0.5, np.float32)
    b11 = np.full((1, 9), 0.2, np.float32)
    b11[0, 2] = 0.6
    rec = snow.snow_recovery(mask, b03, b11)
    assert rec[0].tolist() == [True, True, False, True, False, False, False, False, False]
