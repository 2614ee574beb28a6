"""Output grids (facts A.7, C.1) and the dilation primitives (facts A.3 steps 2.5 and 16, D), against
brute-force definitions on small non-square images."""

import numpy as np
import pytest

from sen2cor.sceneclass import dilation, grids


def _brute_median3x3(image: np.ndarray) -> np.ndarray:
    out = image.copy()
    for r in range(1, image.shape[0] - 1):
        for c in range(1, image.shape[1] - 1):
            out[r, c] = np.median(image[r - 1:r + 2, c - 1:c + 2])
    return out


@pytest.mark.parametrize("shape", [(7, 11), (11, 7), (3, 3)])
def test_median3x3_leaves_every_border_row_and_column(shape):
    image = np.random.default_rng(sum(shape)).integers(0, 12, shape).astype(np.uint8)
    np.testing.assert_array_equal(dilation.median3x3(image), _brute_median3x3(image))


def test_median3x3_of_a_single_row_or_column_is_unchanged():
    for image in (np.array([[5, 0, 5, 0]], np.uint8), np.array([[5], [0], [5]], np.uint8)):
        np.testing.assert_array_equal(dilation.median3x3(image), image)


def _brute_dilation(mask: np.ndarray, inside) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    rr, cc = np.indices(mask.shape)
    out = np.zeros(mask.shape, bool)
    for r, c in zip(rows, cols):
        out |= inside(rr - r, cc - c)
    return out


@pytest.mark.parametrize("radius", [1, 2, 3, 5, 7])
def test_disk_square_and_cross_dilations(radius):
    mask = np.zeros((23, 31), bool)
    mask[0, 3] = mask[11, 15] = mask[22, 30] = mask[12, 16] = True   # corners exercise the constant border
    np.testing.assert_array_equal(dilation.dilate_disk(mask, radius),
                                  _brute_dilation(mask, lambda dr, dc: dr**2 + dc**2 <= radius**2))
    np.testing.assert_array_equal(dilation.dilate_square(mask, radius),
                                  _brute_dilation(mask, lambda dr, dc: np.maximum(abs(dr), abs(dc)) <= radius))
    np.testing.assert_array_equal(dilation.dilate_cross(mask, radius),
                                  _brute_dilation(mask, lambda dr, dc: abs(dr) + abs(dc) <= radius))


def test_zero_radius_dilations_return_a_copy():
    mask = np.eye(4, dtype=bool)
    for fn in (dilation.dilate_disk, dilation.dilate_square, dilation.dilate_cross):
        out = fn(mask, 0)
        np.testing.assert_array_equal(out, mask)
        assert out is not mask


def test_isolated_pixels_have_no_8_connected_neighbour():
    mask = np.zeros((6, 7), bool)
    mask[0, 0] = True                     # isolated, in a corner
    mask[3, 3] = mask[4, 4] = True        # diagonal pair: not isolated
    mask[0, 5] = True                     # isolated at the border
    mask[5, 6] = mask[5, 5] = True        # pair
    assert np.argwhere(dilation.isolated_pixels(mask)).tolist() == [[0, 0], [0, 5]]


@pytest.mark.parametrize(("metres", "pixels"), [(40, 2), (30, 2), (29, 1), (9, 0), (0, 0), (-20, 0)])
def test_radius_rounds_half_up(metres, pixels):
    assert dilation.radius_px(metres, 20.0) == pixels


def test_probability_percent_rounds_clips_and_zeroes_no_data():
    p = np.array([[0.0, 0.004, 0.005, 0.5049, 1.0, 1.7, -0.3]], np.float32)
    nodata = np.zeros(p.shape, bool)
    nodata[0, 4] = True
    out = grids.probability_percent(p, nodata)
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 0, 1, 50, 0, 100, 0]]


@pytest.mark.parametrize("shape", [(9, 12), (10, 14), (8, 7)])
def test_scl_to_60m_is_the_median_sampled_at_the_nearest_centre(shape):
    scl = np.random.default_rng(shape[1]).integers(0, 12, shape).astype(np.uint8)
    from scipy import ndimage

    med = ndimage.median_filter(scl, size=3, mode="nearest")
    out_rows, out_cols = -(-shape[0] // 3), -(-shape[1] // 3)
    # nearest input index to each output centre: floor((i + 0.5) * n_in / n_out - 0.5 + 0.5), clipped
    rows = np.clip(np.floor((np.arange(out_rows) + 0.5) * shape[0] / out_rows), 0, shape[0] - 1).astype(int)
    cols = np.clip(np.floor((np.arange(out_cols) + 0.5) * shape[1] / out_cols), 0, shape[1] - 1).astype(int)
    got = grids.scl_to_60m(scl)
    assert got.shape == (out_rows, out_cols) and got.dtype == np.uint8
    np.testing.assert_array_equal(got, med[np.ix_(rows, cols)])


def test_scl_to_60m_with_an_explicit_shape():
    scl = np.arange(9 * 12, dtype=np.uint8).reshape(9, 12) % 12
    assert grids.scl_to_60m(scl, (3, 4)).shape == (3, 4)
    assert grids.scl_to_60m(scl, (4, 4)).shape == (4, 4)
    assert grids.scl_to_60m(scl, (3, 5)).shape == (3, 5)


def test_block_mean_uint8_rounds_half_up_and_averages_partial_edges():
    values = np.array([[0, 1, 0, 10, 10],
                       [0, 0, 0, 10, 11],
                       [0, 0, 0, 10, 10],
                       [200, 201, 202, 3, 4]], np.uint8)
    out = grids.block_mean_uint8(values, 3)
    # block (0, 0): 1/9 -> 0; (0, 1): 61/6 = 10.17 -> 10; (1, 0): 603/3 = 201; (1, 1): 7/2 = 3.5 -> 4
    assert out.dtype == np.uint8
    assert out.tolist() == [[0, 10], [201, 4]]
    assert grids.block_mean_uint8(np.array([[1, 2], [2, 2]], np.uint8), 2).tolist() == [[2]]  # 1.75 -> 2


def test_output_maps_from_20_m_and_from_60_m():
    scl = np.full((6, 9), 4, np.uint8)
    cld = np.full((6, 9), 30, np.uint8)
    snw = np.full((6, 9), 70, np.uint8)
    out = grids.output_maps(scl, cld, snw, 20)
    assert set(out) == {("SCL", 20), ("CLDPRB", 20), ("SNWPRB", 20), ("SCL", 60), ("CLDPRB", 60), ("SNWPRB", 60),
                        ("SCL", 10)}
    assert out[("SNWPRB", 60)].shape == (2, 3) and (out[("SNWPRB", 60)] == 70).all()
    assert out[("CLDPRB", 60)].shape == (2, 3) and (out[("CLDPRB", 60)] == 30).all()
    assert out[("SCL", 10)].shape == (12, 18)
    assert set(grids.output_maps(scl, cld, snw, 60)) == {("SCL", 60), ("CLDPRB", 60), ("SNWPRB", 60)}


def test_nodata_from_reflectance_any_band_zero_or_not_finite():
    from sen2cor.sceneclass import masks

    toa = {"B02": np.array([0.0, 0.1, 0.1, 0.1, 1.0], np.float32),
           "B03": np.array([0.1, np.nan, 0.1, 0.1, 0.2], np.float32),
           "B04": np.array([0.1, 0.1, 0.0, np.inf, 0.3], np.float32)}
    assert masks.nodata_from_reflectance(toa).tolist() == [True, True, True, True, False]


def test_saturated_defective_leaves_its_inputs_alone():
    from sen2cor.sceneclass import masks

    saturated = np.array([True, False, False])
    quality = {"B02": np.array([0, 1, 0], np.uint8), "B03": np.array([0, 0, 1], np.uint8)}
    out = masks.saturated_defective((3,), saturated, quality, degraded_bands=["B02"], handle_l1c_qlt_mask=True)
    assert out.tolist() == [True, True, False]
    assert saturated.tolist() == [True, False, False] and quality["B02"].dtype == np.uint8
    out[:] = False
    assert saturated.tolist() == [True, False, False]   # a copy, not the caller's array


def test_class_percentages_of_a_single_pixel_and_the_psd15_name():
    from sen2cor.sceneclass.percentages import class_percentages

    one = class_percentages(np.array([[4]], np.uint8))
    assert one["VEGETATION_PERCENTAGE"] == 100.0 and one["N_VALID"] == 1
    scl = np.array([[2, 4]], np.uint8)
    assert class_percentages(scl, psd15=True)["CAST_SHADOW_PERCENTAGE"] == 50.0
    assert "CAST_SHADOW_PERCENTAGE" not in class_percentages(scl)
    assert class_percentages(scl)["DARK_FEATURES_PERCENTAGE"] == 50.0
    assert class_percentages(scl, psd15=True)["VEGETATION_PERCENTAGE"] == 50.0


def test_ramp_helpers_keep_float32_and_scale_inside_only():
    from sen2cor.sceneclass import ramps

    nd = ramps.normalized_difference(np.array([0.3]), np.array([0.1]))
    assert nd.dtype == np.float32 and float(nd[0]) == pytest.approx(0.5)
    assert ramps.ramp(np.array([0.5]), 0.0, 1.0).dtype == np.float32
    p = np.array([0.8, 0.8, 0.8], np.float32)
    m = np.array([0.0, 0.25, 1.0], np.float32)
    # increasing by default: P * r on 0 < r < 1 only
    assert ramps.scale_inside_ramp(p, m).tolist() == pytest.approx([0.8, 0.2, 0.8])
    assert ramps.scale_inside_ramp(p, m, decreasing=True).tolist() == pytest.approx([0.8, 0.6, 0.8])
