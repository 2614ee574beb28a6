"""L2A_CAL_SC_GIPP Thresholds: one test per element, at the function that reads it (issue 13 item 9).

Each test puts a pixel where the element decides (between T1 and T2 of a ramp, or beside a limit),
moves only that element past the pixel and checks the documented direction of the change
(docs/configuration.md, algorithm facts A.3)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.config import CloudThresholds
from sen2cor.sceneclass import cirrus, cloud, shadow, snow, vegetation, water
from sen2cor.sceneclass.thresholds import NOT_CLASSIFIED

DEFAULT = CloudThresholds()


def a(*values) -> np.ndarray:
    return np.array(values, np.float32)


def th(**changes) -> CloudThresholds:
    return replace(DEFAULT, **changes)


# ---------------------------------------------------------------------------- step 1a, 1b: red, NDSI
def test_t1_b04_t2_b04_bound_the_red_brightness_ramp():
    b04 = a(0.155)                                    # halfway: ramp 0.5, squared 0.25
    assert cloud.red_brightness(b04, DEFAULT)[0] == pytest.approx(0.25)
    assert cloud.red_brightness(b04, th(t1_b04=0.16))[0] == 0.0    # below T1_B04: no cloud probability
    assert cloud.red_brightness(b04, th(t2_b04=0.15))[0] == 1.0    # above T2_B04: full


def test_t1_ndsi_cld_t2_ndsi_cld_bound_the_ndsi_cloud_ramp():
    x = a(-0.2)
    assert cloud.ndsi_cloud_membership(x, DEFAULT)[0] == pytest.approx(0.5)
    assert cloud.ndsi_cloud_membership(x, th(t1_ndsi_cld=-0.19))[0] == 0.0
    assert cloud.ndsi_cloud_membership(x, th(t2_ndsi_cld=-0.21))[0] == 1.0


# ---------------------------------------------------------------------------- step 5.1: soil (B02/B11)
def test_t11_b02_t12_b02_set_the_blue_limit_of_the_soil_test():
    b02, b11 = a(0.2), a(0.4)                         # R = 0.5; B02_FT = -0.4 * 0.5 + 0.46 = 0.26 > B02
    assert cloud.soil_b02_b11(b02, b11, DEFAULT)[0][0]
    assert not cloud.soil_b02_b11(b02, b11, th(t12_b02=0.38))[0][0]   # B02_FT 0.18 < B02: not soil
    assert not cloud.soil_b02_b11(b02, b11, th(t11_b02=-0.6))[0][0]   # B02_FT 0.16 < B02: not soil


def test_t11_r_b02_b11_t12_r_b02_b11_bound_the_soil_ratio():
    b02, b11 = a(0.12), a(0.15)                       # R = 0.8: between T11 (0.70) and T12 (1.0)
    soil, ambiguous, factor = cloud.soil_b02_b11(b02, b11, DEFAULT)
    assert not soil[0] and ambiguous[0] and factor[0] == pytest.approx(1 / 3, rel=1e-5)
    assert cloud.soil_b02_b11(b02, b11, th(t11_r_b02_b11=0.85))[0][0]         # R < T11: soil
    soil, ambiguous, _ = cloud.soil_b02_b11(b02, b11, th(t12_r_b02_b11=0.75))
    assert not soil[0] and not ambiguous[0]                                   # R > T12: untouched


# ---------------------------------------------------------------------------- step 6: rocks (B8A/B11)
def test_t1_r_b8a_b11_t2_r_b8a_b11_bound_the_rocks_ratio():
    b02, b8a, b11 = a(0.1), a(0.3), a(0.3)            # R = 1.0 between 0.90 and 1.10
    rocks, ambiguous, factor = cloud.rocks_b8a_b11(b02, b8a, b11, DEFAULT)
    assert not rocks[0] and ambiguous[0] and factor[0] == pytest.approx(0.5)
    assert cloud.rocks_b8a_b11(b02, b8a, b11, th(t1_r_b8a_b11=1.05))[0][0]    # R < T1: rocks
    rocks, ambiguous, _ = cloud.rocks_b8a_b11(b02, b8a, b11, th(t2_r_b8a_b11=0.95))
    assert not rocks[0] and not ambiguous[0]


# ---------------------------------------------------------------------------- step 7: cloud classes
def test_t_cloud_lp_mp_hp_split_the_cloud_probability_into_classes():
    p = a(0.1, 0.5, 0.9)
    assert cloud.cloud_classes(p, DEFAULT).tolist() == [7, 8, 9]
    assert cloud.cloud_classes(p, th(t_cloud_lp=0.15)).tolist() == [NOT_CLASSIFIED, 8, 9]   # T_CLOUD_LP
    assert cloud.cloud_classes(p, th(t_cloud_mp=0.6)).tolist() == [7, 7, 9]                 # T_CLOUD_MP
    assert cloud.cloud_classes(p, th(t_cloud_hp=0.95)).tolist() == [7, 8, 8]                # T_CLOUD_HP


# ---------------------------------------------------------------------------- steps 2.1-2.5: snow
def _snow(**values):
    """Snow probability of one pixel that passes every test except those given in ``values``."""
    x = dict(ndsi=0.6, b02=0.5, b04=0.45, b05=0.5, b8a=0.5) | values
    return snow.snow_probability(a(x["ndsi"]), a(0.5), a(x["b02"]), a(x["b04"]), a(x["b05"]), a(x["b8a"]),
                                 values.pop("th", DEFAULT))[0]


@pytest.mark.parametrize(("low", "high", "pixel"), [
    ("t1_ndsi_snw", "t2_ndsi_snw", dict(ndsi=0.425)),
    ("t1_b8a", "t2_b8a", dict(b8a=0.25, b05=0.25)),
    ("t1_b02", "t2_b02", dict(b02=0.20, b04=0.10)),
    ("t1_r_b02_b04", "t2_r_b02_b04", dict(b04=0.5 / 0.9)),
])
def test_snow_ramps_bound_the_snow_probability(low, high, pixel):
    assert _snow(**pixel) == pytest.approx(0.5, abs=1e-4)
    middle = {"t1_ndsi_snw": 0.425, "t1_b8a": 0.25, "t1_b02": 0.20, "t1_r_b02_b04": 0.9}[low]
    assert _snow(**pixel, th=th(**{low: middle + 0.01})) == 0.0   # T1 above the pixel: no snow
    assert _snow(**pixel, th=th(**{high: middle - 0.01})) == 1.0  # T2 below the pixel: full snow


def test_t1_snow_is_the_snow_probability_limit():
    s = a(0.2)
    assert snow.snow_mask(s, DEFAULT)[0]
    assert not snow.snow_mask(s, th(t1_snow=0.21))[0]


def test_t2_snow_is_the_b12_limit_of_the_snow_ring():
    ring, b12 = np.array([True]), a(0.2)
    assert snow.ring_cloud_reset(ring, b12, DEFAULT)[0]              # B12 < 0.25: cloud probability reset
    assert not snow.ring_cloud_reset(ring, b12, th(t2_snow=0.15))[0]


# ---------------------------------------------------------------------------- step 3, 12: vegetation
def test_t1_ndvi_t2_ndvi_bound_the_ndvi_ramp():
    x = a(0.39)
    assert vegetation.ndvi_membership(x, DEFAULT)[0] == pytest.approx(0.5, abs=1e-4)
    assert vegetation.ndvi_membership(x, th(t1_ndvi=0.40))[0] == 0.0
    assert vegetation.ndvi_membership(x, th(t2_ndvi=0.38))[0] == 1.0


def test_t2_ndvi_t2_r_b8a_b03_recover_dark_vegetation():
    assert vegetation.dark_vegetation_recovery(a(0.45), a(0.2), a(0.15), DEFAULT)[0]             # NDVI > 0.42
    assert not vegetation.dark_vegetation_recovery(a(0.45), a(0.2), a(0.15), th(t2_ndvi=0.5))[0]
    assert vegetation.dark_vegetation_recovery(a(0.1), a(0.3), a(0.1), DEFAULT)[0]               # B8A/B03 3 > 2.5
    assert not vegetation.dark_vegetation_recovery(a(0.1), a(0.3), a(0.1), th(t2_r_b8a_b03=3.5))[0]


# ---------------------------------------------------------------------------- step 5.2, 13: water
def _water(b12=0.05, thresholds=DEFAULT):
    return water.water_b02_b11(a(0.15), a(0.06), a(0.05), a(0.05), a(b12), thresholds)   # R = B02/B11 = 3


def test_t21_r_b02_b11_t22_r_b02_b11_bound_the_water_ratio():
    is_water, ambiguous, factor = _water()
    assert not is_water[0] and ambiguous[0] and factor[0] == pytest.approx(0.5)
    assert not _water(thresholds=th(t21_r_b02_b11=3.5))[1][0]           # R < T21: not ambiguous
    assert _water(thresholds=th(t22_r_b02_b11=2.5))[0][0]               # R > T22: water
    assert water.water_recovery(a(0.15), a(0.06), a(0.05), a(0.05), th(t22_r_b02_b11=2.5))[0][0]
    assert not water.water_recovery(a(0.15), a(0.06), a(0.05), a(0.05), DEFAULT)[0][0]


def test_t21_b12_t22_b12_set_the_b12_limit_of_the_water_test():
    assert _water(b12=0.1)[1][0]                                        # B12_FT = 0.1 * 3 - 0.09 = 0.21
    assert not _water(b12=0.1, thresholds=th(t21_b12=0.05))[1][0]       # B12_FT 0.07 (clipped)
    assert not _water(b12=0.1, thresholds=th(t22_b12=-0.25))[1][0]      # B12_FT 0.07 (clipped)


# ---------------------------------------------------------------------------- step 7: cirrus
def test_t1_b10_t2_b10_bound_thin_cirrus():
    b10, b02, p = a(0.02), a(0.1), a(0.1)
    assert cirrus.thin_cirrus(b10, b02, p, DEFAULT)[0] and not cirrus.thick_cirrus(b10, p, DEFAULT)[0]
    assert not cirrus.thin_cirrus(b10, b02, p, th(t1_b10=0.025))[0]     # B10 below T1_B10: clear
    assert not cirrus.thin_cirrus(b10, b02, p, th(t2_b10=0.015))[0]     # B10 above T2_B10: thick cirrus
    assert cirrus.thick_cirrus(b10, p, th(t2_b10=0.015))[0]


# ---------------------------------------------------------------------------- cloud shadow
def test_t_b02_b12_is_the_spectral_distance_limit_of_the_shadow_test():
    mad = np.full((3, 3), 0.015, np.float32)                            # 1 - 0.015 = 0.985 >= 1 - 0.018
    zeros, no = np.zeros((3, 3), np.float32), np.zeros((3, 3), bool)
    assert shadow.spectral_shadow_score(zeros, mad, no, no, DEFAULT)[1, 1] == pytest.approx(0.985)
    assert shadow.spectral_shadow_score(zeros, mad, no, no, th(t_b02_b12=0.01))[1, 1] == 0.0
