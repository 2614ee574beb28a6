"""Resampling between the 10/20/60 m grids and their pixel-exact co-registration."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import median_filter
from skimage.transform import resize

from sen2cor.io.geo import Geocoding
from sen2cor.tables.resample import (downsample_mean, downsample_median, resample, resample_band,
                                     resample_mask, upsample_interpolated, upsample_nearest)


def test_block_mean_rounds_half_up_on_integers():
    a = np.array([[1, 2, 4, 4], [2, 2, 4, 5]], np.uint16)
    # blocks: (1+2+2+2)/4 = 1.75 -> 2 ; (4+4+4+5)/4 = 4.25 -> 4 ; with +0.5 truncation
    assert downsample_mean(a, 2).tolist() == [[2, 4]]
    b = np.array([[1, 2], [1, 2]], np.uint16)  # mean 1.5 -> 2
    assert downsample_mean(b, 2).tolist() == [[2]]
    big = np.full((6, 6), 65535, np.uint16)
    assert downsample_mean(big, 6).tolist() == [[65535]]


def test_block_mean_float_and_shape_check():
    a = np.arange(36, dtype=np.float32).reshape(6, 6)
    np.testing.assert_allclose(downsample_mean(a, 3), [[7, 10], [25, 28]])
    with pytest.raises(ValueError, match="3x3"):
        downsample_mean(np.zeros((7, 6), np.float32), 3)


def test_scl_median_equals_median_filter_then_nearest():
    scl = np.random.default_rng(4).integers(0, 12, (90, 60)).astype(np.uint8)
    sen2cor_rule = resize(median_filter(scl, size=3), (30, 20), order=0, preserve_range=True,
                          anti_aliasing=False).astype(np.uint8)
    np.testing.assert_array_equal(downsample_median(scl, 3), sen2cor_rule)
    np.testing.assert_array_equal(resample_band("SCL", scl, 20, 60), sen2cor_rule)


def test_nearest_upsampling_equals_skimage_order0():
    a = np.random.default_rng(5).integers(0, 1000, (15, 10)).astype(np.uint16)
    ref = resize(a, (45, 30), order=0, preserve_range=True, anti_aliasing=False).astype(np.uint16)
    np.testing.assert_array_equal(upsample_nearest(a, 3), ref)
    np.testing.assert_array_equal(downsample_mean(upsample_nearest(a, 6), 6), a)


def test_grids_share_pixel_corners():
    geo10 = Geocoding(499980.0, 5900040.0, 10.0, -10.0, 32629)
    for res, factor in ((20, 2), (60, 6)):
        coarse = geo10.at_resolution(res)
        # corner of coarse pixel (i, j) == corner of fine pixel (factor*i, factor*j)
        for i, j in ((0, 0), (7, 3), (182, 1829 // factor)):
            assert coarse.ulx + j * coarse.xdim == geo10.ulx + factor * j * geo10.xdim
            assert coarse.uly + i * coarse.ydim == geo10.uly + factor * i * geo10.ydim


def test_feature_stays_in_place_through_down_and_up_sampling():
    fine = np.zeros((60, 60), np.uint16)
    fine[12:18, 30:36] = 600  # exactly 60 m pixel (2, 5)
    coarse = resample(fine, 10, 60)
    assert np.argwhere(coarse == 600).tolist() == [[2, 5]]
    assert coarse.sum() == 600
    back = resample(coarse, 60, 10, order=0)
    np.testing.assert_array_equal(back, fine)
    mid = resample(fine, 10, 20)
    assert np.argwhere(mid == 600).tolist() == [[6, 15], [6, 16], [6, 17], [7, 15], [7, 16], [7, 17],
                                                [8, 15], [8, 16], [8, 17]]


def test_bilinear_upsampling_has_no_half_pixel_shift():
    # a linear ramp sampled at 20 m pixel centres x = 20 (j + 0.5) must be reproduced at the
    # 10 m centres x = 10 (j + 0.5) away from the edges
    cols20 = 20 * (np.arange(30) + 0.5)
    ramp20 = np.tile(cols20.astype(np.float32), (30, 1))
    up = upsample_interpolated(ramp20, 2, order=1)
    cols10 = 10 * (np.arange(60) + 0.5)
    np.testing.assert_allclose(up[5, 2:-2], cols10[2:-2], atol=1e-3)
    cubic = resample(ramp20, 20, 10, order=3)
    np.testing.assert_allclose(cubic[5, 16:-16], cols10[16:-16], atol=1e-2)  # spline edge effects decay


def test_integer_bilinear_is_rounded_back():
    a = np.array([[0, 10], [0, 10]], np.uint16)
    up = upsample_interpolated(a, 2, order=1)
    # fine centres at coarse x = -0.25, 0.25, 0.75, 1.25; edges mirror (x=-1 is x=1):
    # 2.5, 2.5, 7.5, 7.5 -> rounded half up
    assert up.dtype == np.uint16 and up[0].tolist() == [3, 3, 8, 8]


def test_masks_any_down_nearest_up():
    m = np.zeros((6, 6), bool)
    m[0, 5] = True
    assert resample_mask(m, 10, 60).tolist() == [[True]]
    assert resample_mask(m, 10, 20).tolist() == [[False, False, True], [False, False, False],
                                                 [False, False, False]]
    assert resample_mask(np.array([[True]]), 60, 20).sum() == 9
