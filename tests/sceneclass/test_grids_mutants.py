"""Pins of sceneclass.grids found by mutation testing (issue 20): values (not only shapes) of the 60 m SCL on
explicit grids that are not an exact third, and every map of ``output_maps`` with its default resolution."""

import numpy as np

from sen2cor.sceneclass import grids


def test_scl_to_60m_on_rows_that_are_not_a_multiple_of_three():
    # 7 x 6 -> 2 x 2: output centres at input rows (2 i + 1) 7 / 4 -> 1, 5 and columns (2 j + 1) 6 / 4 -> 1, 4
    scl = np.full((7, 6), 4, np.uint8)
    scl[4:] = 8                                   # the 3x3 median at row 5 sees rows 4-6: all 8
    assert grids.scl_to_60m(scl, (2, 2)).tolist() == [[4, 4], [8, 8]]


def test_scl_to_60m_on_an_explicit_grid_that_is_not_a_third():
    # 12 rows -> 3 (not 4): centres at rows (2 i + 1) 12 / 6 = 2, 6, 10; the 3x3 median of a row ramp is
    # the row itself
    rows = np.repeat(np.arange(12, dtype=np.uint8)[:, None], 6, axis=1)
    assert grids.scl_to_60m(rows, (3, 2)).tolist() == [[2, 2], [6, 6], [10, 10]]
    assert grids.scl_to_60m(rows.T.copy(), (2, 3)).tolist() == [[2, 6, 10], [2, 6, 10]]


def test_output_maps_default_to_20_m_and_average_the_snow_probability():
    scl = np.full((6, 6), 4, np.uint8)
    cld = np.zeros((6, 6), np.uint8)
    snw = np.zeros((6, 6), np.uint8)
    snw[:3, :3] = 90
    out = grids.output_maps(scl, cld, snw)        # resolution_m defaults to 20
    assert out[("SNWPRB", 60)].tolist() == [[90, 0], [0, 0]]
    assert out[("SCL", 10)].shape == (12, 12) and out[("SCL", 60)].shape == (2, 2)
