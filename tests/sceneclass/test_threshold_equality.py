"""Strict or inclusive: each comparison of the scene-classification tests evaluated exactly at its threshold.

The algorithm facts (A.3) give the operator of every test ("B04 < 0.1", "2.0 <= R < 4.0", "SDW < 128", ...).
TOA reflectance is float32 and NumPy compares float32 arrays with the float32 value of a Python threshold,
so a pixel can sit exactly on a threshold; these cases fix which side it falls on. Inputs are float32 values
chosen so that the tested quantity equals float32(threshold) exactly.
"""

import numpy as np
import pytest

from sen2cor.config import CloudThresholds
from sen2cor.sceneclass import cirrus, cloud, recovery, snow, vegetation, water
from sen2cor.sceneclass.thresholds import SCL, in_classes

TH = CloudThresholds()


def f(*values):
    return np.array(values, dtype=np.float32)


# --- cloud tests ---

def test_dark_features_bounds_are_strict():
    # B04 < 0.1, 0.04 < B8A < 0.15: pixels exactly on a bound are not dark features
    assert cloud.dark_features(f(0.1, 0.05, 0.05, 0.05), f(0.1, 0.04, 0.15, 0.1)).tolist() == [False, False, False,
                                                                                                 True]


def test_soil_and_rocks_bounds():
    # soil: B02 < B02_FT (strict), R < 0.70 (strict), ambiguous 0.70 < R < 1.0 (strict both); B11 = 0.125
    # makes B02 / B11 exactly float32(R), and B02 stays below B02_FT (0.18 at R 0.7, 0.15 at R 1.0)
    b11 = f(0.125, 0.125, 0.125)
    b02 = f(0.7, 1.0, 0.75) * np.float32(0.125)
    soil, amb, _ = cloud.soil_b02_b11(b02, b11, TH)
    # R = 0.7: neither soil (R < 0.7) nor ambiguous (R > 0.7); R = 1.0: not ambiguous (R < 1.0); R 0.75 is
    assert soil.tolist() == [False, False, False] and amb.tolist() == [False, False, True]
    # B02 exactly on B02_FT: R = 0.25 -> B02_FT = -0.1 + 0.46 = 0.36 -> clipped 0.32; B02 = 0.32 = 0.32 not below
    s, _, _ = cloud.soil_b02_b11(f(0.32), f(0.32 / 0.25), TH)
    assert not s[0]
    # rocks: R < 0.90 and B02 < 0.8 B11 strict; ambiguous 0.90 < R < 1.10 strict
    rocks, amb, _ = cloud.rocks_b8a_b11(f(0.1, 0.1, 0.1), f(0.9, 1.1, 0.5), f(1.0, 1.0, 1.0), TH)
    assert rocks.tolist() == [False, False, True] and amb.tolist() == [False, False, False]
    b11 = np.float32(0.25)
    rocks, _, _ = cloud.rocks_b8a_b11(f(np.float32(0.8) * b11), f(0.3 * b11), f(b11), TH)
    assert not rocks[0]  # B02 == 0.8 B11 is not below it
    rocks, _, _ = cloud.rocks_b8a_b11(f(0.35), f(0.2), f(1.0), TH)  # B02_FT = 0.425 -> 0.35; B02 = 0.35
    assert not rocks[0]


def test_cloud_classes_inclusive_lower_limits():
    # UNCLASSIFIED 0 < P < 0.2; MEDIUM 0.2 <= P < 0.8; HIGH P >= 0.8
    out = cloud.cloud_classes(f(0.0, 0.2, 0.8), TH)
    assert out.tolist() == [100, SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS]
    assert out.dtype == np.uint8


# --- cirrus ---

def test_thin_and_thick_cirrus_bounds():
    # thin: 0.012 < B10 < 0.035, B02 < 0.5, P < 0.2 (all strict), DEM < 1500 (strict)
    b10 = f(0.012, 0.035, 0.02, 0.02, 0.02, 0.02)
    b02 = f(0.1, 0.1, 0.5, 0.1, 0.1, 0.1)
    p = f(0.0, 0.0, 0.0, 0.2, 0.0, 0.0)
    dem = f(0.0, 0.0, 0.0, 0.0, 1500.0, 1499.0)
    assert cirrus.thin_cirrus(b10, b02, p, TH, dem).tolist() == [False, False, False, False, False, True]
    # thick: B10 >= 0.035 (inclusive), P < 0.8 (strict)
    assert cirrus.thick_cirrus(f(0.035, 0.035), f(0.5, 0.8), TH).tolist() == [True, False]


def test_cirrus_recovery_uses_mean_plus_three_std_over_soil():
    soil = f(0.010, 0.020, 0.030, 0.040)  # mean 0.025, std sqrt(1.25e-4) = 0.01118
    t_land, _ = cirrus.cirrus_recovery_thresholds(soil, f())
    assert t_land == pytest.approx(0.025 + 3 * np.sqrt(1.25e-4), rel=1e-6)
    _, t_water = cirrus.cirrus_recovery_thresholds(f(), soil)
    assert t_water == pytest.approx(0.025 + np.sqrt(1.25e-4), rel=1e-6)


# --- water ---

def test_water_bounds():
    # common: B12 < B12_FT, B8A < B04, B02 < 0.2 (strict); water R > 4.0 (strict); ambiguous 2.0 <= R < 4.0
    def run(b02=0.15, b04=0.05, b8a=0.03, b11=None, b12=0.01):
        b11 = b02 / 4.5 if b11 is None else b11
        w, amb, _ = water.water_b02_b11(f(b02), f(b04), f(b8a), f(b11), f(b12), TH)
        return bool(w[0]), bool(amb[0])

    assert run(b02=0.2, b11=0.04) == (False, False)                 # B02 == 0.2
    assert run(b8a=0.05) == (False, False)                          # B8A == B04
    assert run(b11=0.16 / 4.0, b02=0.16) == (False, False)          # R == 4.0: not water, not ambiguous
    assert run(b11=0.16 / 2.0, b02=0.16) == (False, True)           # R == 2.0: ambiguous
    assert run(b12=0.21) == (False, False)                          # B12 == B12_FT (R 4.5 -> 0.36 -> 0.21)


def test_second_water_test_bounds():
    # B02 - B04 > 0.034, B8A < B04, B02 < 0.2, all strict
    assert water.water_blue_red(f(0.034, 0.2, 0.1), f(0.0, 0.1, 0.05), f(-0.01, 0.05, 0.05)).tolist() == \
        [False, False, False]


def test_water_recovery_bounds():
    # R > 4.0 and B8A < B04 (strict); from not-classified also B8A < 0.3 (strict)
    dark, unclassified = water.water_recovery(f(0.4, 0.4, 0.8), f(0.5, 0.3, 0.5), f(0.1, 0.3, 0.3),
                                              f(0.1, 0.05, 0.1), TH)
    assert dark.tolist() == [False, False, True] and unclassified.tolist() == [False, False, False]


def test_steep_shaded_water_bounds():
    assert water.steep_shaded_water(np.array([127, 127]), f(15.0, 15.5)).tolist() == [False, True]


# --- snow and vegetation ---

def test_snow_bounds():
    # B05/B8A >= 0.85 keeps snow (0.85 exactly kept); ring reset B12 < 0.25 (strict); recovery B11 < B03 (strict)
    s = snow.snow_probability(f(0.6), f(0.5), f(0.5), f(0.4), f(0.85), f(1.0), TH)
    assert s[0] > 0
    assert snow.ring_cloud_reset(np.array([True, True]), f(0.25, 0.2), TH).tolist() == [False, True]
    mask = np.zeros((5, 5), bool)
    mask[2, 2] = True
    rec = snow.snow_recovery(mask, np.full((5, 5), 0.3, np.float32), np.full((5, 5), 0.3, np.float32))
    assert not rec.any()


def test_snow_climatology_limits():
    # 0..100 valid occurrence, excluded where <= min_percent; 101..253 and 255 are not valid; 254 is water
    c = np.array([0, 5, 100, 101, 254, 255], np.uint8)
    assert snow.climatology_excludes_snow(c, 5.0).tolist() == [True, True, False, False, True, False]
    assert snow.climatology_excludes_snow(np.array([100], np.uint8), 100.0).tolist() == [True]


def test_cci_snow_water_rule_needs_some_snow_condition():
    # applies when the mean over non-water pixels is in (0, 10): a tile of zeros does not qualify
    assert snow.cci_snow_water_mask(np.array([254, 0, 0], np.uint8)) is None
    assert snow.cci_snow_water_mask(np.array([254, 1, 0], np.uint8)).tolist() == [True, False, False]
    assert snow.cci_snow_water_mask(np.array([254], np.uint8)) is None


def test_dark_vegetation_recovery_bounds_are_strict():
    # NDVI > 0.42 or B8A/B03 > 2.5
    assert vegetation.dark_vegetation_recovery(f(0.42, 0.0), f(0.1, 0.25), f(1.0, 0.1), TH).tolist() == [False,
                                                                                                          False]


# --- recoveries ---

def test_topographic_dark_bounds_are_strict():
    # (B02 - B04) > 0.034, B8A < B04, B02 > 0.20
    scl = np.full(3, SCL.UNCLASSIFIED, np.uint8)
    got = recovery.topographic_dark(scl, np.full(3, 100), np.ones(3), f(0.234, 0.3, 0.2), f(0.2, 0.1, 0.1),
                                    f(0.05, 0.1, 0.05))
    assert got.tolist() == [False, False, False]


def test_soil_and_land_recovery_bounds_are_strict():
    assert not recovery.soil_recovery(np.array([SCL.DARK_FEATURES], np.uint8), f(0.65), f(1.0))[0]
    scl = np.array([SCL.MEDIUM_PROBA_CLOUDS] * 3, np.uint8)
    got = recovery.land_recovery(scl, np.array([100, 100, 100]), f(0.5, 0.4, 0.4), f(1.0, 1.0, 1.0),
                                 f(0.01, 0.02, 0.01), t_b10=0.02, t_ratio=0.5)
    assert got.tolist() == [False, False, True]   # B09/B8A == t_ratio; B10 == t_b10; both below


def test_land_ratio_threshold_is_mean_plus_std_over_land():
    scl = np.array([SCL.VEGETATION, SCL.NOT_VEGETATED, SCL.WATER, SCL.VEGETATION], np.uint8)
    b09 = f(0.1, 0.3, 0.9, 0.2)
    b8a = f(1.0, 1.0, 1.0, 1.0)
    expected = np.mean([0.1, 0.3, 0.2]) + np.std([0.1, 0.3, 0.2])
    assert recovery.land_ratio_threshold(scl, b09, b8a) == pytest.approx(expected, rel=1e-6)
    assert recovery.land_ratio_threshold(np.array([SCL.WATER], np.uint8), f(0.5), f(1.0)) == 0.0


def _land_scene(n_land: int, n_total: int, hpc: int = 0):
    scl = np.full(n_total, SCL.WATER, np.uint8)
    scl[:n_land] = SCL.VEGETATION
    scl[n_land:n_land + hpc] = SCL.HIGH_PROBA_CLOUDS
    return scl.reshape(1, -1)


def test_land_b10_threshold_needs_5_percent_and_121_km2_of_land():
    # at 60 m one pixel is 0.0036 km2: 33611 px = 120.9996 km2, 33612 px = 121.0032 km2
    b10 = np.full((1, 700_000), 0.004, np.float32)
    assert recovery.land_b10_threshold(_land_scene(33611, 600_000), b10[:, :600_000], 60.0) is None
    assert recovery.land_b10_threshold(_land_scene(33612, 600_000), b10[:, :600_000], 60.0) == pytest.approx(0.004)
    # land fraction: 5 % of the valid pixels is enough, just below is not
    assert recovery.land_b10_threshold(_land_scene(35000, 700_000), b10, 60.0) == pytest.approx(0.004)
    assert recovery.land_b10_threshold(_land_scene(34999, 700_000), b10, 60.0) is None


def test_land_b10_threshold_by_high_cloud_share():
    n = 1000
    b10 = np.full((1, n), 0.004, np.float32)
    # HPC% < 2 -> land mean; exactly 2 % is the middle branch (blobs > (300 m / 20 m)^2 = 225 px)
    scl = _land_scene(900, n, hpc=19)
    assert recovery.land_b10_threshold(scl, b10, 1000.0) == pytest.approx(0.004)
    scl = _land_scene(900, n, hpc=20)
    b10[0, 900:920] = 0.02
    # middle branch at 1 km pixels: blobs > (0.3)^2 px -> every blob; min(0.0015, land mean, ...) -> 0.0015
    assert recovery.land_b10_threshold(scl, b10, 1000.0) == pytest.approx(0.0015)
    # HPC% > 20: min(land mean, max(0.0015, min(land mean, mean - 2 std of HPC B10)))
    scl = _land_scene(700, n, hpc=250)
    b10 = np.full((1, n), 0.004, np.float32)
    b10[0, 700:950] = np.linspace(0.002, 0.004, 250, dtype=np.float32)
    hpc = b10[0, 700:950].astype(np.float64)
    expected = min(0.004, max(0.0015, min(0.004, hpc.mean() - 2 * hpc.std())))
    assert recovery.land_b10_threshold(scl, b10, 1000.0) == pytest.approx(expected, rel=1e-5)
    # exactly 20 % is still the middle branch; 21 % is the high branch
    scl = _land_scene(700, n, hpc=200)
    assert recovery.land_b10_threshold(scl, b10, 1000.0) == pytest.approx(0.0015)
    scl = _land_scene(700, n, hpc=210)
    hpc = b10[0, 700:910].astype(np.float64)
    expected = min(0.004, max(0.0015, min(0.004, hpc.mean() - 2 * hpc.std())))
    assert expected > 0.0016
    assert recovery.land_b10_threshold(scl, b10, 1000.0) == pytest.approx(expected, rel=1e-5)


def test_land_b10_threshold_middle_branch_counts_only_big_blobs():
    # 20 m: blobs need more than (300 / 20)^2 = 225 px; only small blobs -> the land mean
    scl = np.full((100, 100), SCL.VEGETATION, np.uint8)
    b10 = np.full((100, 100), 0.004, np.float32)
    scl[0:15, 0:15] = SCL.HIGH_PROBA_CLOUDS     # 225 px: not bigger than 225
    scl[50:60, 50:60] = SCL.HIGH_PROBA_CLOUDS   # 100 px
    n_land_km2 = (10_000 - 325) * 0.0004
    assert n_land_km2 < 121  # too little land at 20 m: scale the scene up instead
    big = np.tile(scl, (6, 6))
    b10_big = np.tile(b10, (6, 6))
    assert recovery.land_b10_threshold(big, b10_big, 20.0) == pytest.approx(0.004)
    big[0:16, 0:16] = SCL.HIGH_PROBA_CLOUDS     # one 256 px blob -> the quirk: 0.0015
    assert recovery.land_b10_threshold(big, b10_big, 20.0) == pytest.approx(0.0015)


def test_ring_rule_at_exactly_35_percent_and_bare_codes():
    # a 1 x 2 blob has a ring of 10 pixels in the middle of a field: 3.5 -> use a 20-pixel ring (1 x 7 blob)
    scl = np.full((5, 11), SCL.NOT_VEGETATED, np.uint8)
    scl[2, 2:9] = SCL.MEDIUM_PROBA_CLOUDS        # ring: 2 rows of 9 + 2 ends = 20 pixels
    candidates = np.zeros(scl.shape, bool)
    candidates[2, 2:9] = True
    ring = [(1, c) for c in range(1, 10)] + [(3, c) for c in range(1, 10)] + [(2, 1), (2, 9)]
    assert len(ring) == 20
    for r, c in ring[:7]:                         # 7 / 20 = 35 %: accepted (<= 35 %)
        scl[r, c] = SCL.CLOUD_SHADOWS
    assert recovery.clear_ring_blobs(candidates, scl)[2, 5]
    scl[ring[7]] = SCL.THIN_CIRRUS                # 8 / 20 = 40 %
    assert not recovery.clear_ring_blobs(candidates, scl)[2, 5]
    assert recovery.clear_ring_blobs(np.zeros((3, 3), bool), scl[:3, :3]).shape == (3, 3)


@pytest.mark.parametrize(("cover", "recovered"), [(190, True), (199, False), (200, True), (202, True),
                                                  (203, False), (210, False)])
def test_urban_and_bare_codes(cover, recovered):
    scl = np.full((3, 3), 100, np.uint8)
    got = recovery.urban_bare_recovery(scl, np.full((3, 3), cover))
    assert bool(got.all()) is recovered


def test_urban_bare_blobs_need_both_the_cover_and_a_cloudish_class():
    scl = np.full((5, 5), SCL.VEGETATION, np.uint8)
    scl[2, 2] = SCL.UNCLASSIFIED
    cover = np.zeros((5, 5), int)
    cover[1:4, 1:4] = 190
    got = recovery.urban_bare_recovery(scl, cover)
    assert got[2, 2] and got.sum() == 1


def test_in_classes_for_uint8_and_other_types():
    codes = (3, 8, 255)
    for dtype in (np.uint8, np.int16, np.int64):
        scl = np.array([0, 3, 8, 9, 255], dtype=dtype)
        assert in_classes(scl, codes).tolist() == [False, True, True, False, True]
    assert in_classes(np.array([[3, 4]], np.uint16), [4]).tolist() == [[False, True]]
