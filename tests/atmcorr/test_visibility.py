import numpy as np
import pytest

from sen2cor.atmcorr import visibility
from sen2cor.rtm import grid


def test_extended_grid_end_points_match_sen2cor():
    assert visibility.VISEXT_KM[0] == pytest.approx(187.81, abs=0.1)
    assert visibility.VISEXT_KM[-1] == pytest.approx(5.0, abs=0.05)
    assert np.all(np.diff(visibility.VISEXT_KM) < 0)


def test_lut_depths_are_aot_plus_a_constant():
    depth = grid.visibility_to_aot550(grid.VISIBILITY_KM, 0.0) + visibility.DEPTH_OFFSET
    np.testing.assert_allclose(depth, visibility.LUT_DEPTHS, atol=2e-3)


def test_index_round_trip():
    idx = np.arange(183)
    np.testing.assert_array_equal(visibility.visibility_to_index(visibility.index_to_visibility(idx)), idx)
    assert visibility.visibility_to_index(5.0) == 182
    assert visibility.visibility_to_index(500.0) == 0


def test_scene_visibility_is_capped_at_120_km():
    assert visibility.scene_visibility_km(0) == 120.0
    assert visibility.scene_visibility_km(100.4) == pytest.approx(visibility.VISEXT_KM[100])


def test_aot_map_of_a_constant_index_is_sen2cors_relation():
    vis_index = np.full((20, 20), 43, np.uint8)  # ~23 km
    valid = np.ones((20, 20), bool)
    valid[0, 0] = False
    aot = visibility.aot550_map(vis_index, 0.5, valid, 20.0)
    expected = grid.visibility_to_aot550(visibility.VISEXT_KM[43], 0.5)
    assert aot[10, 10] == pytest.approx(expected, rel=1e-5)
    assert aot[0, 0] == 0.0


def test_visibility_index_map_without_ddv_is_the_mean():
    valid = np.ones((30, 30), bool)
    out = visibility.visibility_index_map(np.zeros((30, 30)), np.zeros((30, 30), bool), valid, 57.4, 20.0)
    assert np.all(out == 57)


def test_visibility_index_map_smooths_ddv_indices():
    ddv = np.zeros((101, 101), bool)
    ddv[50, 50] = True
    index = np.zeros((101, 101), np.float32)
    index[50, 50] = 150
    out = visibility.visibility_index_map(index, ddv, np.ones_like(ddv), 50.0, 60.0)  # sigma 17 px
    assert out[50, 50] == 50  # a single pixel is smoothed away
    out2 = visibility.visibility_index_map(index, ddv, np.ones_like(ddv), 50.0, 60.0, smoothing_window_km=0)
    assert out2[50, 50] == 150


def test_decimated_gaussian_agrees_with_the_full_filter():
    from scipy import ndimage

    rng = np.random.default_rng(0)
    img = ndimage.uniform_filter(rng.random((300, 300)).astype(np.float32), 15) * 100
    full = ndimage.gaussian_filter(img, 25)
    fast = visibility.gaussian_smooth(img, 25)
    assert np.abs(fast - full)[30:-30, 30:-30].max() < 0.3
