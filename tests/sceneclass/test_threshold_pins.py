"""Every threshold, ratio and window of the classic per-pixel tests (algorithm facts A.3), exercised just
inside and just outside its value. Each case is derived by hand from the facts: the other conditions of
the test are met by a margin, only the pinned quantity sits next to its threshold."""

import numpy as np
import pytest

from sen2cor.config import CloudThresholds
from sen2cor.sceneclass import cirrus, cloud, recovery, snow, vegetation, water
from sen2cor.sceneclass.thresholds import NOT_CLASSIFIED, SCL

TH = CloudThresholds()


def a(*values):
    return np.array(values, dtype=np.float32)


def test_gipp_defaults_are_sen2cors():
    """L2A_CAL_SC_GIPP.xml defaults (facts A.3, "Default SC thresholds")."""
    expected = dict(t1_b02=0.18, t2_b02=0.22, t1_b04=0.06, t2_b04=0.25, t1_b8a=0.15, t2_b8a=0.35, t1_b10=0.012,
                    t2_b10=0.035, t1_b12=0.25, t2_b12=0.12, t_cloud_lp=0.0, t_cloud_mp=0.20, t_cloud_hp=0.80,
                    t1_ndsi_cld=-0.24, t2_ndsi_cld=-0.16, t1_ndsi_snw=0.35, t2_ndsi_snw=0.50, t1_ndvi=0.36,
                    t2_ndvi=0.42, t1_snow=0.12, t2_snow=0.25, t1_r_b02_b04=0.85, t2_r_b02_b04=0.95,
                    t1_r_b8a_b03=1.50, t2_r_b8a_b03=2.50, t1_r_b8a_b11=0.90, t2_r_b8a_b11=1.10, t11_b02=-0.40,
                    t12_b02=0.46, t11_r_b02_b11=0.70, t12_r_b02_b11=1.0, t21_r_b02_b11=2.00, t22_r_b02_b11=4.00,
                    t21_b12=0.1, t22_b12=-0.09)
    for name, value in expected.items():
        assert getattr(TH, name) == pytest.approx(value), name


# --- step 1a: dark features B04 < 0.1 and 0.04 < B8A < 0.15 ---

@pytest.mark.parametrize(("b04", "b8a", "dark"), [
    (0.099, 0.10, True), (0.101, 0.10, False),
    (0.05, 0.041, True), (0.05, 0.039, False),
    (0.05, 0.149, True), (0.05, 0.151, False),
])
def test_dark_features_bounds(b04, b8a, dark):
    assert bool(cloud.dark_features(a(b04), a(b8a))[0]) is dark


# --- step 1a: red brightness ramp T1_B04 0.06 .. T2_B04 0.25, squared ---

@pytest.mark.parametrize(("b04", "expected"), [(0.059, 0.0), (0.061, (0.001 / 0.19) ** 2), (0.249, (0.189 / 0.19) ** 2),
                                              (0.251, 1.0), (0.1, (0.04 / 0.19) ** 2)])
def test_red_brightness_ramp_ends(b04, expected):
    assert float(cloud.red_brightness(a(b04), TH)[0]) == pytest.approx(expected, rel=1e-3, abs=1e-9)


# --- step 1b: NDSI cloud ramp -0.24 .. -0.16 ---

@pytest.mark.parametrize(("nd", "expected"), [(-0.241, 0.0), (-0.239, 0.001 / 0.08), (-0.161, 0.079 / 0.08),
                                             (-0.159, 1.0)])
def test_ndsi_cloud_ramp_ends(nd, expected):
    assert float(cloud.ndsi_cloud_membership(a(nd), TH)[0]) == pytest.approx(expected, rel=1e-3)


def test_ndsi_is_green_minus_swir_over_the_sum():
    assert float(cloud.ndsi(a(0.6), a(0.2))[0]) == pytest.approx(0.5)


# --- step 5.1: soil B02_FT = clip(-0.40 R + 0.46, 0.15, 0.32), R = B02/B11, soil R < 0.70, ramp 0.70 .. 1.0 ---

@pytest.mark.parametrize(("b02", "r", "soil", "ambiguous"), [
    (0.10, 0.69, True, False), (0.10, 0.71, False, True),     # R limit 0.70 (B02_FT 0.184 / 0.176)
    (0.10, 0.99, False, True), (0.10, 1.01, False, False),    # ambiguous up to T12 = 1.0 (B02_FT clipped 0.15)
    (0.259, 0.5, True, False), (0.261, 0.5, False, False),    # B02_FT = -0.2 + 0.46 = 0.26
    (0.149, 0.9, False, True), (0.151, 0.9, False, False),    # B02_FT = 0.10 -> clipped to 0.15
    (0.319, 0.1, True, False), (0.321, 0.1, False, False),    # B02_FT = 0.42 -> clipped to 0.32
])
def test_soil_b02_b11_bounds(b02, r, soil, ambiguous):
    s, amb, _ = cloud.soil_b02_b11(a(b02), a(b02 / r), TH)
    assert (bool(s[0]), bool(amb[0])) == (soil, ambiguous)


def test_soil_ratio_is_clipped_at_100():
    # B02/B11 = 200 -> 100: B02_FT stays 0.15 either way; the ramp is 1 -> not soil, not ambiguous
    s, amb, factor = cloud.soil_b02_b11(a(0.1), a(0.0005), TH)
    assert not s[0] and not amb[0] and factor[0] == 1.0


# --- step 6: rocks B02_FT = clip(-0.25 R + 0.475, 0.16, 0.35), R = B8A/B11 < 0.90, B02 < 0.8 B11 ---

@pytest.mark.parametrize(("b02", "r", "b11", "rocks"), [
    (0.274, 0.8, 0.5, True), (0.276, 0.8, 0.5, False),        # B02_FT = -0.2 + 0.475 = 0.275 (slope sign)
    (0.349, 0.3, 0.6, True), (0.351, 0.3, 0.6, False),        # B02_FT = 0.4 -> clipped to 0.35
    (0.2, 0.3, 0.2505, True), (0.2, 0.3, 0.2495, False),      # B02 < 0.8 B11: 0.2004 / 0.1996
    (0.2, 0.89, 0.5, True), (0.2, 0.91, 0.5, False),          # R limit T1_R_B8A_B11 = 0.90
])
def test_rocks_b8a_b11_bounds(b02, r, b11, rocks):
    got, _, _ = cloud.rocks_b8a_b11(a(b02), a(r * b11), a(b11), TH)
    assert bool(got[0]) is rocks


@pytest.mark.parametrize(("b02", "r", "ambiguous", "factor"), [
    (0.2, 0.91, True, 0.05), (0.2, 1.09, True, 0.95), (0.2, 1.11, False, 1.0), (0.2, 0.95, True, 0.25),
    (0.23, 0.95, True, 0.25), (0.24, 0.95, False, 0.25),      # B02_FT = -0.2375 + 0.475 = 0.2375
])
def test_rocks_ambiguous_ramp(b02, r, ambiguous, factor):
    _, amb, f = cloud.rocks_b8a_b11(a(b02), a(r * 0.5), a(0.5), TH)
    assert bool(amb[0]) is ambiguous
    assert float(f[0]) == pytest.approx(factor, abs=1e-4)


# --- step 6bis: B04/B11 ramp 3 .. 6 ---

@pytest.mark.parametrize(("r", "expected"), [(2.99, 0.0), (3.03, 0.01), (5.97, 0.99), (6.01, 1.0)])
def test_b04_b11_ramp_ends(r, expected):
    assert float(cloud.ratio_b04_b11_membership(a(0.1 * r), a(0.1))[0]) == pytest.approx(expected, abs=1e-4)


# --- step 5.2: water ---

def _water(b02=0.15, b04=0.05, b8a=0.03, r=4.5, b12=0.01):
    return water.water_b02_b11(a(b02), a(b04), a(b8a), a(b02 / r), a(b12), TH)


@pytest.mark.parametrize(("kwargs", "is_water", "is_ambiguous"), [
    (dict(r=4.01), True, False), (dict(r=3.99), False, True),          # T22_R_B02_B11 = 4.0
    (dict(r=2.0), False, True), (dict(r=1.99), False, False),          # T21_R_B02_B11 = 2.0 (inclusive)
    (dict(b02=0.199), True, False), (dict(b02=0.201), False, False),   # B02 < 0.2
    (dict(b8a=0.049), True, False), (dict(b8a=0.051), False, False),   # B8A < B04
    (dict(r=4.5, b12=0.209), True, False), (dict(r=4.5, b12=0.211), False, False),  # B12_FT 0.36 -> 0.21
    (dict(r=2.5, b12=0.159), False, True), (dict(r=2.5, b12=0.161), False, False),  # B12_FT = 0.25 - 0.09
])
def test_water_b02_b11_bounds(kwargs, is_water, is_ambiguous):
    w, amb, _ = _water(**kwargs)
    assert (bool(w[0]), bool(amb[0])) == (is_water, is_ambiguous)


@pytest.mark.parametrize(("r", "factor"), [(2.0, 1.0), (3.0, 0.5), (3.5, 0.25), (4.0, 0.0)])
def test_water_ambiguous_factor_is_2_minus_half_r(r, factor):
    assert float(_water(r=r)[2][0]) == pytest.approx(factor, abs=1e-4)


@pytest.mark.parametrize(("b02", "b04", "b8a", "is_water"), [
    (0.10, 0.065, 0.03, True), (0.10, 0.067, 0.03, False),    # B02 - B04 > 0.034
    (0.199, 0.10, 0.05, True), (0.201, 0.10, 0.05, False),    # B02 < 0.2
    (0.10, 0.05, 0.049, True), (0.10, 0.05, 0.051, False),    # B8A < B04
])
def test_second_water_test_bounds(b02, b04, b8a, is_water):
    assert bool(water.water_blue_red(a(b02), a(b04), a(b8a))[0]) is is_water


@pytest.mark.parametrize(("r", "b8a", "b04", "from_dark", "from_unclassified"), [
    (4.01, 0.299, 0.31, True, True), (4.01, 0.301, 0.31, True, False), (3.99, 0.1, 0.31, False, False),
    (4.01, 0.2, 0.19, False, False),
])
def test_water_recovery_bounds(r, b8a, b04, from_dark, from_unclassified):
    dark, unclassified = water.water_recovery(a(0.1), a(b04), a(b8a), a(0.1 / r), TH)
    assert (bool(dark[0]), bool(unclassified[0])) == (from_dark, from_unclassified)


@pytest.mark.parametrize(("sdw", "slope", "steep"), [(127, 15.1, True), (128, 15.1, False), (127, 14.9, False)])
def test_steep_shaded_water_bounds(sdw, slope, steep):
    assert bool(water.steep_shaded_water(np.array([sdw]), a(slope))[0]) is steep


# --- step 3 and 12: vegetation ---

@pytest.mark.parametrize(("nd", "expected"), [(0.359, 0.0), (0.361, 0.001 / 0.06), (0.419, 0.059 / 0.06), (0.421, 1.0)])
def test_ndvi_ramp_ends(nd, expected):
    assert float(vegetation.ndvi_membership(a(nd), TH)[0]) == pytest.approx(expected, rel=2e-3)


@pytest.mark.parametrize(("b02", "is_vegetation"), [(0.149, True), (0.151, False)])
def test_vegetation_needs_b02_below_0_15(b02, is_vegetation):
    assert bool(vegetation.vegetation(a(1.0), a(b02))[0]) is is_vegetation
    assert not vegetation.vegetation(a(0.999), a(0.05))[0]


@pytest.mark.parametrize(("nd", "r", "recovered"), [(0.421, 1.0, True), (0.419, 1.0, False), (0.0, 2.51, True),
                                                    (0.0, 2.49, False)])
def test_dark_vegetation_recovery_bounds(nd, r, recovered):
    assert bool(vegetation.dark_vegetation_recovery(a(nd), a(0.1 * r), a(0.1), TH)[0]) is recovered


def test_ndvi_is_nir_minus_red_over_the_sum():
    assert float(vegetation.ndvi(a(0.3), a(0.1))[0]) == pytest.approx(0.5)


# --- step 2: snow ---

def _snow(ndsi=0.6, p=0.5, b02=0.5, b04=0.4, b05=0.5, b8a=0.5, excluded=None):
    return float(snow.snow_probability(a(ndsi), a(p), a(b02), a(b04), a(b05), a(b8a), TH, excluded)[0])


@pytest.mark.parametrize(("kwargs", "expected"), [
    (dict(), 1.0),
    (dict(ndsi=0.351), 0.001 / 0.15), (dict(ndsi=0.349), 0.0), (dict(ndsi=0.499), 0.149 / 0.15),  # 0.35 .. 0.50
    (dict(p=0.0), 0.0),                                                          # only potential clouds
    (dict(b05=0.4251), 1.0), (dict(b05=0.4249), 0.0),                            # B05/B8A >= 0.85
    (dict(b8a=0.349, b05=0.349), 0.199 / 0.2), (dict(b8a=0.151, b05=0.151), 0.001 / 0.2),  # B8A 0.15 .. 0.35
    (dict(b02=0.219, b04=0.1), 0.039 / 0.04), (dict(b02=0.181, b04=0.1), 0.001 / 0.04),    # B02 0.18 .. 0.22
    (dict(b02=0.5, b04=0.5 / 0.949), 0.099 / 0.1), (dict(b02=0.5, b04=0.5 / 0.851), 0.001 / 0.1),  # 0.85 .. 0.95
])
def test_snow_probability_ramps(kwargs, expected):
    assert _snow(**kwargs) == pytest.approx(expected, rel=5e-3, abs=1e-6)


def test_snow_probability_is_zero_where_excluded():
    assert _snow(excluded=np.array([True])) == 0.0


@pytest.mark.parametrize(("s", "is_snow"), [(0.121, True), (0.119, False)])
def test_snow_mask_above_0_12(s, is_snow):
    assert bool(snow.snow_mask(a(s), TH)[0]) is is_snow


@pytest.mark.parametrize(("b12", "reset"), [(0.249, True), (0.251, False)])
def test_snow_ring_cloud_reset_below_0_25(b12, reset):
    assert bool(snow.ring_cloud_reset(np.array([True]), a(b12), TH)[0]) is reset


def test_snow_ring_is_a_radius_3_diamond():
    mask = np.zeros((11, 11), bool)
    mask[5, 5] = True
    ring = snow.snow_ring(mask)
    rows, cols = np.nonzero(ring)
    distance = np.abs(rows - 5) + np.abs(cols - 5)
    assert distance.max() == 3 and distance.min() == 1
    assert ring.sum() == 2 * 3 * 4  # |dr| + |dc| <= 3 minus the centre: 1 + 4 + 8 + 12 - 1
    assert not ring[5, 5]


@pytest.mark.parametrize(("mean_snc", "applies"), [(9.9, True), (10.0, False)])
def test_cci_snow_water_rule_below_10_percent(mean_snc, applies):
    snc = np.array([254, mean_snc, mean_snc], dtype=np.float64)
    got = snow.cci_snow_water_mask(snc)
    assert (got is not None) is applies


@pytest.mark.parametrize(("b11", "recovered"), [(0.29, True), (0.31, False)])
def test_snow_recovery_needs_b11_below_b03(b11, recovered):
    mask = np.zeros((9, 9), bool)
    mask[4, 4] = True
    got = snow.snow_recovery(mask, np.full((9, 9), 0.3, np.float32), np.full((9, 9), b11, np.float32))
    assert bool(got[4, 7]) is recovered and not got[4, 8]


# --- step 7: cirrus ---

@pytest.mark.parametrize(("b10", "b02", "p", "dem", "thin"), [
    (0.013, 0.3, 0.1, None, True), (0.011, 0.3, 0.1, None, False),   # T1_B10 = 0.012
    (0.034, 0.3, 0.1, None, True), (0.036, 0.3, 0.1, None, False),   # T2_B10 = 0.035
    (0.02, 0.49, 0.1, None, True), (0.02, 0.51, 0.1, None, False),   # B02 < 0.5
    (0.02, 0.3, 0.19, None, True), (0.02, 0.3, 0.21, None, False),   # P < T_CLOUD_MP
    (0.02, 0.3, 0.1, 1499.0, True), (0.02, 0.3, 0.1, 1501.0, False),  # DEM < 1500 m
])
def test_thin_cirrus_bounds(b10, b02, p, dem, thin):
    dem_m = None if dem is None else a(dem)
    assert bool(cirrus.thin_cirrus(a(b10), a(b02), a(p), TH, dem_m)[0]) is thin


@pytest.mark.parametrize(("b10", "p", "thick"), [(0.035, 0.5, True), (0.0349, 0.5, False), (0.04, 0.79, True),
                                                 (0.04, 0.81, False)])
def test_thick_cirrus_bounds(b10, p, thick):
    assert bool(cirrus.thick_cirrus(a(b10), a(p), TH)[0]) is thick


def test_cirrus_recovery_thresholds_and_floors():
    soil = a(0.001, 0.003)   # mean 0.002, std 0.001 -> 0.005
    wat = a(0.0005, 0.0015)  # mean 0.001, std 0.0005 -> 0.0015 -> floor 0.002
    t_land, t_water = cirrus.cirrus_recovery_thresholds(soil, wat)
    assert t_land == pytest.approx(0.005) and t_water == pytest.approx(0.002)
    t_land, t_water = cirrus.cirrus_recovery_thresholds(a(0.0, 0.0), a(0.002, 0.004))
    assert t_land == pytest.approx(0.003) and t_water == pytest.approx(0.004)


# --- step 7: cloud classes at T_CLOUD_LP 0, MP 0.20, HP 0.80 ---

@pytest.mark.parametrize(("p", "cls"), [(0.0, NOT_CLASSIFIED), (1e-4, SCL.UNCLASSIFIED), (0.199, SCL.UNCLASSIFIED),
                                        (0.201, SCL.MEDIUM_PROBA_CLOUDS), (0.799, SCL.MEDIUM_PROBA_CLOUDS),
                                        (0.801, SCL.HIGH_PROBA_CLOUDS)])
def test_cloud_class_limits(p, cls):
    assert int(cloud.cloud_classes(a(p), TH)[0]) == cls


# --- steps 15 and 17: DEM cleanings and soil recovery ---

@pytest.mark.parametrize(("sdw", "shaded"), [(1, True), (31, True), (32, False), (0, False)])
def test_cloud_shadow_on_deep_self_shadow(sdw, shaded):
    got = recovery.shaded_shadow(np.array([SCL.CLOUD_SHADOWS], np.uint8), np.array([sdw]))
    assert bool(got[0]) is shaded


@pytest.mark.parametrize(("kwargs", "dark"), [
    (dict(), True), (dict(sdw=128), False), (dict(wbi=2), False),
    (dict(b02=0.25, b04=0.215), True), (dict(b02=0.25, b04=0.217), False),   # B02 - B04 > 0.034
    (dict(b02=0.201, b04=0.1), True), (dict(b02=0.199, b04=0.1), False),     # B02 > 0.20
    (dict(b8a=0.099), True), (dict(b8a=0.101), False),                       # B8A < B04
    (dict(cls=SCL.HIGH_PROBA_CLOUDS), False), (dict(cls=SCL.MEDIUM_PROBA_CLOUDS), True),
])
def test_topographic_shadow_over_snow_bounds(kwargs, dark):
    k = dict(sdw=127, wbi=1, b02=0.3, b04=0.1, b8a=0.05, cls=SCL.UNCLASSIFIED) | kwargs
    got = recovery.topographic_dark(np.array([k["cls"]], np.uint8), np.array([k["sdw"]]), np.array([k["wbi"]]),
                                    a(k["b02"]), a(k["b04"]), a(k["b8a"]))
    assert bool(got[0]) is dark


@pytest.mark.parametrize(("r", "soil"), [(0.649, True), (0.651, False)])
def test_soil_recovery_below_0_65(r, soil):
    got = recovery.soil_recovery(np.array([SCL.DARK_FEATURES], np.uint8), a(0.1 * r), a(0.1))
    assert bool(got[0]) is soil


@pytest.mark.parametrize(("cloudy_ring_pixels", "accepted"), [(2, True), (3, False)])
def test_urban_ring_at_most_35_percent_cloudy(cloudy_ring_pixels, accepted):
    # one-pixel blob: its ring has 8 pixels; 2/8 = 25 % <= 35 %, 3/8 = 37.5 % > 35 %
    scl = np.full((5, 5), SCL.NOT_VEGETATED, np.uint8)
    scl[2, 2] = SCL.MEDIUM_PROBA_CLOUDS
    ring = [(1, 1), (1, 2), (1, 3), (2, 1), (2, 3), (3, 1), (3, 2), (3, 3)]
    for r, c in ring[:cloudy_ring_pixels]:
        scl[r, c] = SCL.HIGH_PROBA_CLOUDS
    candidates = np.zeros((5, 5), bool)
    candidates[2, 2] = True
    assert bool(recovery.clear_ring_blobs(candidates, scl)[2, 2]) is accepted
