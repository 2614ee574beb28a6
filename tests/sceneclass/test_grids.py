import numpy as np

from sen2cor.sceneclass import grids


def test_scl_to_60m_takes_the_median_of_each_3x3_block():
    scl = np.zeros((6, 6), np.uint8)
    scl[0:3, 0:3] = [[4, 4, 4], [4, 4, 8], [8, 8, 8]]        # sorted: 4 4 4 4 4 8 8 8 8 -> 4
    scl[0:3, 3:6] = [[9, 9, 9], [9, 8, 8], [8, 8, 8]]        # five 8 -> 8
    scl[3:6, 0:3] = 6
    scl[3:6, 3:6] = [[0, 0, 0], [0, 0, 1], [1, 1, 1]]        # five 0 -> 0
    np.testing.assert_array_equal(grids.scl_to_60m(scl), [[4, 8], [6, 0]])


def test_scl_to_60m_on_a_shape_that_is_not_a_multiple_of_three():
    # 4x4 -> 2x2: output centres map to input rows/cols (i + 0.5) * 2 - 0.5 = 0.5, 2.5 -> nearest 1, 3
    scl = np.array([[4, 4, 4, 9],
                    [4, 8, 8, 9],
                    [8, 8, 6, 6],
                    [6, 6, 6, 6]], np.uint8)
    # medians: (1,1) 4 4 4 4 6 8 8 8 8 -> 6 ; (1,3) 4 6 6 6 8 9 9 9 9 -> 8 ; (3,*) edge-replicated -> 6
    assert grids.scl_to_60m(scl, shape_60m=(2, 2)).tolist() == [[6, 8], [6, 6]]
def test_probability_percent_rounds_and_zeroes_no_data():
    p = np.array([0.0, 0.004, 0.005, 0.555, 1.0], np.float32)
    nodata = np.array([False, False, False, False, True])
    assert grids.probability_percent(p, nodata).tolist() == [0, 0, 1, 56, 0]


def test_block_mean_uint8_adds_half_and_truncates():
    v = np.zeros((3, 6), np.uint8)
    v[:, :3] = [[10, 10, 10], [10, 10, 10], [10, 10, 15]]    # mean 10.56 -> 11
    v[:, 3:] = [[0, 0, 0], [0, 0, 0], [0, 0, 4]]              # mean 0.44 -> 0
    assert grids.block_mean_uint8(v).tolist() == [[11, 0]]


def test_block_mean_uint8_partial_edge_block():
    v = np.array([[3, 3, 3, 8]], np.uint8)
    assert grids.block_mean_uint8(v).tolist() == [[3, 8]]


def test_upsample_nearest_repeats_pixels():
    up = grids.upsample_nearest(np.array([[1, 2], [3, 4]], np.uint8), 2)
    assert up.tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]


def test_output_maps_from_20m():
    scl = np.full((6, 6), 4, np.uint8)
    scl[:3, :3] = 9
    cld = np.zeros((6, 6), np.uint8)
    cld[:3, :3] = 100
    out = grids.output_maps(scl, cld, np.zeros((6, 6), np.uint8), 20)
    assert out[("SCL", 60)].tolist() == [[9, 4], [4, 4]]
    assert out[("CLDPRB", 60)].tolist() == [[100, 0], [0, 0]]
    assert out[("SCL", 10)].shape == (12, 12) and out[("SCL", 10)][5, 5] == 9
    assert set(grids.output_maps(scl, cld, cld, 60)) == {("SCL", 60), ("CLDPRB", 60), ("SNWPRB", 60)}
