"""Sen2Cor's resampling rules (algorithm facts A.1, A.7, B.14) against brute-force definitions on non-square
grids, with the dtype each rule keeps."""
from __future__ import annotations

import numpy as np
import pytest
from skimage.transform import resize

from sen2cor.tables import resample as rs


def _blocks(image: np.ndarray, k: int) -> np.ndarray:
    return image.reshape(image.shape[0] // k, k, image.shape[1] // k, k).transpose(0, 2, 1, 3).reshape(
        image.shape[0] // k, image.shape[1] // k, k * k)


@pytest.mark.parametrize("k", [2, 3, 6])
def test_integer_block_mean_is_trunc_mean_plus_half(k):
    image = np.random.default_rng(k).integers(0, 65535, (6 * k, 4 * k)).astype(np.uint16)
    expected = np.trunc(_blocks(image, k).astype(np.float64).mean(axis=2) + 0.5)
    out = rs.downsample_mean(image, k)
    assert out.dtype == np.uint16 and out.shape == (6, 4)
    np.testing.assert_array_equal(out, expected)


def test_float_block_mean_is_float32_and_keeps_nan():
    image = np.arange(24, dtype=np.float64).reshape(4, 6)
    image[0, 0] = np.nan
    out = rs.downsample_mean(image, 2)
    assert out.dtype == np.float32
    assert np.isnan(out[0, 0]) and out[1, 2] == pytest.approx(np.mean([16, 17, 22, 23]))


@pytest.mark.parametrize("k", [2, 3])
def test_block_median_takes_the_lower_middle_value(k):
    image = np.random.default_rng(10 + k).integers(0, 12, (4 * k, 5 * k)).astype(np.uint8)
    blocks = np.sort(_blocks(image, k), axis=2)
    out = rs.downsample_median(image, k)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, blocks[:, :, (k * k - 1) // 2])


def test_rows_beyond_one_output_block_of_256():
    image = np.tile(np.arange(600, dtype=np.uint16)[:, None], (1, 4))
    assert rs.downsample_mean(image, 2)[:, 0].tolist() == [2 * i + 1 for i in range(300)]  # 2i + 0.5 -> up
    assert rs.downsample_median(image, 2)[:, 0].tolist() == [2 * i for i in range(300)]


@pytest.mark.parametrize("order", [1, 3])
def test_interpolated_upsampling_is_skimage_resize_with_reflect_edges(order):
    image = np.random.default_rng(order).uniform(0, 1, (5, 7)).astype(np.float32)
    expected = resize(image, (15, 21), order=order, mode="reflect", anti_aliasing=False, preserve_range=True)
    out = rs.upsample_interpolated(image, 3, order)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, expected, rtol=1e-6, atol=1e-7)


def test_interpolated_integer_upsampling_rounds_half_up():
    # skimage's resize clips to the input range, so the clip to the dtype range never acts
    image = np.array([[0, 0, 65535, 65535, 0, 0]] * 3, np.uint16)
    out = rs.upsample_interpolated(image, 3, 3)
    expected = resize(image.astype(np.float32), (9, 18), order=3, mode="reflect", anti_aliasing=False,
                      preserve_range=True)
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, np.clip(np.floor(expected + 0.5), 0, 65535))
    assert np.any(np.abs(expected - np.rint(expected)) > 0.1)   # the rounding matters
    small = rs.upsample_interpolated(np.array([[1, 2]], np.int16), 2, 1)
    assert small.dtype == np.int16


@pytest.mark.parametrize(("band", "order"), [("B01", 3), ("B09", 1), ("B10", 1), ("B05", 1), ("AOT", 0), ("SCL", 0),
                                           ("WVP", 0), ("VIS", 0), ("CLD", 0), ("SNW", 0)])
def test_band_specific_upsampling_orders(band, order):
    image = np.random.default_rng(3).uniform(0, 1, (4, 6)).astype(np.float32)
    out = rs.resample_band(band, image, 60, 20)
    if order == 0:
        np.testing.assert_array_equal(out, np.repeat(np.repeat(image, 3, 0), 3, 1))
    else:
        np.testing.assert_allclose(out, rs.upsample_interpolated(image, 3, order), rtol=1e-6)
        other = rs.upsample_interpolated(image, 3, 4 - order if order in (1, 3) else 1)
        assert not np.allclose(out, other)


def test_scl_down_by_median_and_bands_down_by_mean():
    scl = np.array([[4, 4, 4, 6, 6, 6], [4, 4, 6, 6, 6, 6], [9, 9, 6, 6, 6, 6]] * 2, np.uint8)
    assert rs.resample_band("SCL", scl, 20, 60).tolist() == [[4, 6], [4, 6]]   # median of 4,4,4,4,4,6,6,9,9
    assert rs.resample_band("B02", scl, 20, 60).tolist() == [[6, 6], [6, 6]]   # mean 50 / 9 = 5.56 -> 6
    assert rs.resample(scl, 20, 20) is scl


def test_resample_rejects_unknown_methods_and_grids():
    with pytest.raises(ValueError, match="'mode'"):
        rs.resample(np.zeros((6, 6)), 20, 60, method="mode")
    with pytest.raises(ValueError, match="not integer multiples"):
        rs.scale_factor(20, 50)
    assert rs.scale_factor(60, 10) == (6, False) and rs.scale_factor(10, 60) == (6, True)


def test_masks_any_down_and_copy_up():
    mask = np.zeros((6, 9), bool)
    mask[4, 7] = True
    down = rs.resample_mask(mask, 20, 60)
    assert down.dtype == bool and down.tolist() == [[False, False, False], [False, False, True]]
    up = rs.resample_mask(down, 60, 20)
    assert up.shape == (6, 9) and up[3:, 6:].all() and up.sum() == 9
    same = rs.resample_mask(mask.astype(np.uint8), 20, 20)
    assert same.dtype == bool and same.sum() == 1
    with pytest.raises(ValueError, match="3x3"):
        rs.resample_mask(np.zeros((7, 9), bool), 20, 60)


def test_more_than_two_output_blocks_of_256_rows():
    image = np.tile(np.arange(1100, dtype=np.uint16)[:, None], (1, 2))
    assert rs.downsample_mean(image, 2)[:, 0].tolist() == [2 * i + 1 for i in range(550)]
    assert rs.downsample_median(image, 2)[:, 0].tolist() == [2 * i for i in range(550)]
    assert rs.downsample_mean(image.astype(np.float32), 2)[:, 0].tolist() == [2 * i + 0.5 for i in range(550)]


def test_resample_up_defaults_to_nearest():
    image = np.array([[1.0, 2.0], [3.0, 5.0]], np.float32)
    np.testing.assert_array_equal(rs.resample(image, 60, 20), np.repeat(np.repeat(image, 3, 0), 3, 1))
