"""Cases that kill the surviving mutants of atmcorr/visibility.py (issue 20; algorithm facts B.2, B.3, B.7).

Expected values come from the facts (AOT = exp(a(z) + b(z) ln V) on the 20 m elevation classes, DEM
clipped to 3.5 km; Gaussian smoothing of the maps) through ``sen2cor.rtm.grid`` and scipy, or from the
documented interpolation rule of :func:`visibility.expand`, never from the functions under test.
"""

import numpy as np
import pytest
from scipy import ndimage

from sen2cor.atmcorr import visibility
from sen2cor.rtm import grid


def _aot(index, z_km=0.0):
    return grid.visibility_to_aot550(visibility.VISEXT_KM[index], z_km)


def test_scene_visibility_clips_the_mean_index_to_the_grid():
    assert visibility.scene_visibility_km(-3.0) == 120.0                         # index 0: capped at 120 km
    assert visibility.scene_visibility_km(200.0) == pytest.approx(visibility.VISEXT_KM[182])  # 5 km


# --- expand: block centres at (i + 0.5) k - 0.5, linear between them, edge values outside ---

@pytest.mark.parametrize("shape", [(9, 12), (12, 9), (12, 12), (10, 11)])
def test_expand_interpolates_between_block_centres(shape):
    k = 4
    small = np.array([[0.0, 10.0, 40.0], [5.0, 20.0, 30.0], [100.0, 50.0, 0.0]])
    centres = (np.arange(3) + 0.5) * k - 0.5
    rows, cols = np.arange(shape[0]), np.arange(shape[1])
    along_cols = np.array([np.interp(cols, centres, r) for r in small])            # (3, cols)
    expected = np.array([np.interp(rows, centres, c) for c in along_cols.T]).T     # (rows, cols)
    out = visibility.expand(small, k, shape)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-4)


def test_block_mean_pads_with_the_edge_values_and_is_float32():
    image = np.array([[1.0, 2.0, 3.0, 4.0, 5.0],
                      [6.0, 7.0, 8.0, 9.0, 10.0],
                      [11.0, 12.0, 13.0, 14.0, 15.0]])           # float64, 3 x 5: padded to 4 x 6
    out = visibility.block_mean(image, 2)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[(1 + 2 + 6 + 7) / 4, (3 + 4 + 8 + 9) / 4, (5 + 5 + 10 + 10) / 4],
                                     [(11 + 12) / 2, (13 + 14) / 2, 15.0]], rtol=1e-6)


# --- gaussian_smooth: scipy's filter up to sigma 8 or below 64 px, else block mean / filter / expand ---

def _field(rows, cols, seed=0):
    rng = np.random.default_rng(seed)
    return ndimage.uniform_filter(rng.random((rows, cols)), 9) * 100


def test_gaussian_smooth_is_scipys_filter_up_to_sigma_8():
    img = _field(64, 70).astype(np.float32)
    np.testing.assert_array_equal(visibility.gaussian_smooth(img, 8), ndimage.gaussian_filter(img, 8))
    small = _field(63, 200)                                        # float64 in, float32 out
    out = visibility.gaussian_smooth(small, 17)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ndimage.gaussian_filter(small.astype(np.float32), 17), rtol=1e-6)


@pytest.mark.parametrize(("sigma", "k"), [(9, 2), (17, 4), (51, 12)])
def test_gaussian_smooth_decimates_by_sigma_over_4_from_sigma_9_and_64_px(sigma, k):
    img = _field(64, 100, seed=sigma).astype(np.float32)
    decimated = visibility.expand(ndimage.gaussian_filter(visibility.block_mean(img, k), sigma / k), k, img.shape)
    np.testing.assert_allclose(visibility.gaussian_smooth(img, sigma), decimated, rtol=1e-6)


# --- visibility-index map: uint8 0 .. 182, 0 outside the valid pixels ---

def test_visibility_index_map_clips_at_0_and_blanks_no_data():
    ddv = np.zeros((10, 10), bool)
    ddv[2, 2] = True
    index = np.zeros((10, 10), np.float32)
    index[2, 2] = -40.0                       # an index beyond the clearest end stays 0, not 216 (uint8)
    valid = np.ones((10, 10), bool)
    valid[9, 9] = False
    out = visibility.visibility_index_map(index, ddv, valid, 57.0, 60.0, smoothing_window_km=0)
    assert out[2, 2] == 0 and out[9, 9] == 0 and out[5, 5] == 57


def test_visibility_index_map_sigma_is_the_window_in_pixels_truncated_and_made_odd():
    # 0.8995 km / 50 m = 17.99 px -> 17 (int), odd: 17 (rounding would give 18 -> 19)
    index = np.zeros((40, 200), np.float32)
    index[:, 100:] = 180.0
    ddv = index > 0
    out = visibility.visibility_index_map(index, ddv, np.ones(ddv.shape, bool), 0.0, 50.0, 0.8995)
    np.testing.assert_array_equal(out, np.rint(ndimage.gaussian_filter(index, 17)).astype(np.uint8))


# --- AOT map ---

def test_aot_map_of_no_valid_pixel_is_0():
    out = visibility.aot550_map(np.full((8, 8), 40, np.uint8), 0.2, np.zeros((8, 8), bool), 60.0)
    assert not out.any()


def test_aot_map_fills_no_data_with_the_valid_mean_index_before_smoothing():
    # 60 m: sigma 3 px (radius 12). Columns 0-39 no data (index 0, the clearest), 40-79 index 100,
    # 80-119 index 120: the no-data pixels take int(mean) = 110 before the smoothing
    index = np.zeros((64, 120), np.uint8)
    index[:, 40:80] = 100
    index[:, 80:] = 120
    valid = index > 0
    aot = visibility.aot550_map(index, 0.0, valid, 60.0)
    assert aot[30, 60] == pytest.approx(_aot(100), rel=1e-5)   # more than 12 px from any other index
    assert aot[30, 100] == pytest.approx(_aot(120), rel=1e-5)
    assert _aot(100) <= aot[30, 40] <= _aot(110)                 # the border is mixed with 110, not with 0
    assert not aot[:, :40].any()


def test_aot_map_on_the_20_m_elevation_classes_clipped_to_0_3_5_km():
    # blocks of 30 columns at one elevation each; 60 m: sigma 3 px, so a block centre sees only its block
    z_blocks = [(-0.1, 0.0), (0.509, 0.50), (0.511, 0.52), (1.0, 1.0), (3.0, 3.0), (4.0, 3.5)]
    z = np.repeat(np.array([zb for zb, _ in z_blocks], np.float32), 30)[None, :].repeat(40, axis=0)
    index = np.full(z.shape, 60, np.uint8)
    aot = visibility.aot550_map(index, z, np.ones(z.shape, bool), 60.0)
    for j, (_, z_class) in enumerate(z_blocks):
        assert aot[20, 15 + 30 * j] == pytest.approx(_aot(60, z_class), rel=1e-5), z_class
    for z_scalar, z_class in [(-0.1, 0.0), (4.0, 3.5)]:                  # one elevation for the tile
        out = visibility.aot550_map(np.full((8, 8), 60, np.uint8), z_scalar, np.ones((8, 8), bool), 60.0)
        assert out[4, 4] == pytest.approx(_aot(60, z_class), rel=1e-5)


def test_aot_map_at_10_m_is_the_block_decimated_gaussian_over_strips():
    # 10 m: sigma 11 px, decimated by k = 2; 1100 rows are gathered in two strips of 1024 rows
    rows, cols = 1100, 64
    r, c = np.mgrid[0:rows, 0:cols]
    index = np.clip(60 + 40 * np.sin(r / 90.0) + 0.5 * c, 0, 182).astype(np.uint8)
    z = (0.3 + 0.0004 * r + 0.001 * c).astype(np.float32)
    valid = np.ones((rows, cols), bool)
    aot = visibility.aot550_map(index, z, valid, 10.0)
    gathered = _aot(index, np.rint(z / np.float32(0.02)) * 0.02).astype(np.float32)
    decimated = visibility.expand(ndimage.gaussian_filter(visibility.block_mean(gathered, 2), 11 / 2), 2,
                                  (rows, cols))
    np.testing.assert_allclose(aot, decimated, rtol=1e-5)
    full = ndimage.gaussian_filter(gathered, 11)        # the decimation stays far below the 0.001 AOT quantum
    assert np.abs(aot - full)[20:-20, 20:-20].max() < 5e-4


def test_aot_map_sigma_is_100_m_in_pixels_truncated_and_made_odd():
    index = np.full((64, 120), 30, np.uint8)
    index[:, 60:] = 150
    valid = np.ones(index.shape, bool)
    gathered = _aot(index).astype(np.float32)
    # 16.7 m: 100 / 16.7 = 5.99 -> 5 px, scipy's filter (small sigma)
    np.testing.assert_allclose(visibility.aot550_map(index[:40], 0.0, valid[:40], 16.7),
                               ndimage.gaussian_filter(gathered[:40], 5), rtol=1e-6)
    # 12 m: 8.3 -> 8 -> odd 9 px, above 8: decimated by k = 2
    decimated = visibility.expand(ndimage.gaussian_filter(visibility.block_mean(gathered, 2), 9 / 2), 2,
                                  index.shape)
    np.testing.assert_allclose(visibility.aot550_map(index, 0.0, valid, 12.0), decimated, rtol=1e-5)
