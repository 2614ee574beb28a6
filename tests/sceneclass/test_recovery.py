import numpy as np
import pytest

from sen2cor.sceneclass import recovery
from sen2cor.sceneclass.thresholds import NOT_CLASSIFIED, SCL


def test_cci_water_recovery_classes():
    scl = np.array([2, 3, 7, NOT_CLASSIFIED, 4, 2], np.uint8)
    wbi = np.array([2, 2, 2, 2, 2, 1])
    assert recovery.cci_water_recovery(scl, wbi).tolist() == [True, True, True, True, False, False]


def test_dem_cleanings():
    scl = np.array([3, 3, 3, 8, 8], np.uint8)
    sdw = np.array([10, 0, 40, 100, 100])
    assert recovery.shaded_shadow(scl, sdw).tolist() == [True, False, False, False, False]
    wbi = np.array([1, 1, 1, 1, 2])
    b02 = np.full(5, 0.3)
    b04 = np.full(5, 0.25)                      # B02 - B04 = 0.05 > 0.034
    b8a = np.full(5, 0.2)
    assert recovery.topographic_dark(scl, sdw, wbi, b02, b04, b8a).tolist() == [False, False, False, True, False]


def test_soil_recovery():
    scl = np.array([2, 2, 5], np.uint8)
    assert recovery.soil_recovery(scl, np.array([0.1, 0.2, 0.1]), np.array([0.2, 0.2, 0.2])).tolist() == \
        [True, False, False]


def _land_scene(n_hpc):
    # 100 pixels of 2 km (4 km2 each): 60 land (B10 0.002), n_hpc high clouds, rest water
    scl = np.full(100, SCL.WATER, np.uint8)
    scl[:60] = SCL.VEGETATION
    scl[60:60 + n_hpc] = SCL.HIGH_PROBA_CLOUDS
    b10 = np.full(100, 0.002, np.float32)
    b10[60:60 + n_hpc] = np.linspace(0.01, 0.03, n_hpc) if n_hpc else 0
    return scl.reshape(10, 10), b10.reshape(10, 10)


def test_land_b10_threshold_low_hpc_is_the_land_mean():
    scl, b10 = _land_scene(1)                   # 1 % HPC
    assert recovery.land_b10_threshold(scl, b10, 2000.0) == pytest.approx(0.002)


def test_land_b10_threshold_high_hpc():
    scl, b10 = _land_scene(30)                  # 30 % HPC: mean 0.02, std of linspace(0.01, 0.03, 30)
    vals = np.linspace(0.01, 0.03, 30)
    inner = min(0.002, vals.mean() - 2 * vals.std())          # = 0.002 (mean - 2 std = 0.0084)
    assert recovery.land_b10_threshold(scl, b10, 2000.0) == pytest.approx(min(max(0.0015, inner), 0.002), rel=1e-5)


def test_land_b10_threshold_middle_case_reproduces_the_0_0015_quirk():
    scl, b10 = _land_scene(10)                  # 10 %; 2 km pixels are blobs > (300 m)^2
    assert recovery.land_b10_threshold(scl, b10, 2000.0) == pytest.approx(0.0015)


def test_land_b10_threshold_skipped_for_small_land():
    scl, b10 = _land_scene(1)
    assert recovery.land_b10_threshold(scl, b10, 20.0) is None           # 60 px * 400 m2 << 121 km2


def test_land_recovery_selection():
    scl = np.array([8, 9, 9, 8, 4], np.uint8)
    lcm = np.array([10, 10, 210, 10, 10])
    b10 = np.array([0.001, 0.001, 0.001, 0.01, 0.001])
    b09 = np.full(5, 0.1)
    b8a = np.full(5, 0.5)
    sel = recovery.land_recovery(scl, lcm, b09, b8a, b10, t_b10=0.002, t_ratio=0.3)
    assert sel.tolist() == [True, True, False, False, False]


def test_urban_blob_recovered_when_its_ring_is_mostly_clear():
    scl = np.full((7, 7), SCL.VEGETATION, np.uint8)
    scl[2:4, 2:4] = SCL.MEDIUM_PROBA_CLOUDS     # 2x2 blob; ring of 12 pixels (3x3 grey dilation)
    scl[1, 1:5] = SCL.HIGH_PROBA_CLOUDS         # 4 of the ring pixels cloudy: 4/12 = 33 % <= 35 %
    lcm = np.zeros((7, 7), np.int32)
    lcm[2:4, 2:4] = 190
    out = recovery.urban_bare_recovery(scl, lcm)
    assert out[2:4, 2:4].all() and out.sum() == 4
    scl[4, 2] = SCL.CLOUD_SHADOWS               # 5/12 = 42 % > 35 %
    assert not recovery.urban_bare_recovery(scl, lcm).any()


def test_urban_and_bare_unclassified_pixels_become_soil():
    scl = np.array([[NOT_CLASSIFIED, NOT_CLASSIFIED, NOT_CLASSIFIED]], np.uint8)
    lcm = np.array([[190, 201, 50]])
    assert recovery.urban_bare_recovery(scl, lcm).tolist() == [[True, True, False]]
