import numpy as np

from sen2cor.sceneclass import grids


def test_scl_to_60m_takes_the_median_of_each_3x3_block():
    scl = np.zeros((6, 6), np.uint8)
    scl[0:3, 0:3] = [[4, 4, 4], [4, 4, 8], [8, 8, 8]]        # sorted: 4 4 4 4 4 8 8 8 8 -> 4
    scl[0:3, 3:6] = [[9, 9, 9], [9, 8, 8], [8, 8, 8]]        # five 8 -> 8
    scl[3:6, 0:3] = 6
    scl[3:6, 3:6] = [[0, 0, 0], [0, 0, 1], [1, 1, 1]]        # five 0 -> 0
    np.testing.assert_array_equal(grids.scl_to_60m(scl), [[4, 8], [6, 0]])


def test_scl_to_60m_generic_path_matches_block_path_on_interior():
    rng = np.random.default_rng(1)
    scl = rng.integers(0, 12, (9, 9)).astype(np.uint8)
    fast = grids.scl_to_60m(scl)
    generic = grids.scl_to_60m(np.pad(scl, ((0, 1), (0, 1)), mode="edge"), shape_60m=(3, 3))
    # 10x10 -> 3x3: centres at 1.1667, 4.5, 7.83 -> rows/cols 1, 4 (half to even of 4.5), 8
    np.testing.assert_array_equal(fast[1, 1], generic[1, 1])


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
    up = grids.upsample_nearest(np.array([[1, 2], [3, 4]], np.uint8))
    assert up.tolist() == [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
