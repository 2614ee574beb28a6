import numpy as np
import pytest

from sen2cor.sceneclass import cirrus, vegetation
from sen2cor.sceneclass.thresholds import CloudThresholds

TH = CloudThresholds()


def test_ndvi_membership_and_vegetation():
    # NDVI (0.35-0.04)/0.39 = 0.795 -> 1 ; (0.39*... ) NDVI 0.39 -> 0.5
    nd = vegetation.ndvi(np.array([0.35]), np.array([0.04]))
    assert nd[0] == pytest.approx(0.31 / 0.39, rel=1e-5)
    m = vegetation.ndvi_membership(np.array([nd[0], 0.39, 0.2]), TH)
    np.testing.assert_allclose(m, [1.0, 0.5, 0.0], atol=1e-5)
    assert vegetation.vegetation(m, np.array([0.1, 0.1, 0.1])).tolist() == [True, False, False]
    assert not vegetation.vegetation(m, np.array([0.15, 0, 0]))[0]     # B02 must be < 0.15


def test_dark_vegetation_recovery_by_ndvi_or_nir_green_ratio():
    ndvi = np.array([0.5, 0.1, 0.1])
    b8a = np.array([0.1, 0.26, 0.2])
    b03 = np.array([0.1, 0.1, 0.1])                 # ratios 1.0, 2.6, 2.0
    assert vegetation.dark_vegetation_recovery(ndvi, b8a, b03, TH).tolist() == [True, True, False]


def test_thin_cirrus_window_and_dem_limit():
    b10 = np.array([0.02, 0.02, 0.011, 0.02, 0.02])
    b02 = np.array([0.3, 0.6, 0.3, 0.3, 0.3])
    p = np.array([0.1, 0.1, 0.1, 0.3, 0.1], np.float32)
    assert cirrus.thin_cirrus(b10, b02, p, TH).tolist() == [True, False, False, False, True]
    dem = np.array([0, 0, 0, 0, 1600.0])
    assert cirrus.thin_cirrus(b10, b02, p, TH, dem).tolist() == [True, False, False, False, False]


def test_thick_cirrus():
    b10 = np.array([0.035, 0.04, 0.03])
    p = np.array([0.5, 0.9, 0.5], np.float32)
    assert cirrus.thick_cirrus(b10, p, TH).tolist() == [True, False, False]


def test_cirrus_recovery_thresholds():
    soil = np.array([0.001, 0.003], np.float32)     # mean 0.002, std 0.001 -> 0.005
    wat = np.array([0.0005, 0.0005], np.float32)    # mean+std 0.0005 -> floor 0.002
    t_land, t_water = cirrus.cirrus_recovery_thresholds(soil, wat)
    assert t_land == pytest.approx(0.005, rel=1e-4)
    assert t_water == pytest.approx(0.002)
    assert cirrus.cirrus_recovery_thresholds(np.array([]), np.array([])) == (0.003, 0.002)
