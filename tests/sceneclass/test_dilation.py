import numpy as np

from sen2cor.sceneclass import dilation


def test_cross_dilation_three_times_is_a_diamond():
    m = np.zeros((9, 9), bool)
    m[4, 4] = True
    d = dilation.dilate_cross(m, 3)
    assert d.sum() == 25                       # 1 + 4 + 8 + 12
    assert d[4, 1] and d[2, 3] and not d[2, 2]


def test_square_dilation_is_chebyshev():
    m = np.zeros((9, 9), bool)
    m[4, 4] = True
    d = dilation.dilate_square(m, 2)
    assert d.sum() == 25 and d[2, 2] and d[6, 6] and not d[1, 4]
    assert dilation.dilate_square(m, 0).sum() == 1


def test_median3x3_keeps_borders():
    x = np.zeros((5, 5), np.float32)
    x[0, 0] = 9.0
    x[2, 2] = 9.0
    med = dilation.median3x3(x)
    assert med[0, 0] == 9.0 and med[2, 2] == 0.0


def test_isolated_pixels_are_blobs_of_one():
    m = np.zeros((6, 6), bool)
    m[0, 0] = True
    m[3, 3] = m[4, 4] = True                   # diagonal pair: 8-connected
    assert np.argwhere(dilation.isolated_pixels(m)).tolist() == [[0, 0]]


def test_radius_px_rounds_half_up():
    assert dilation.radius_px(120, 20) == 6
    assert dilation.radius_px(50, 20) == 3
    assert dilation.radius_px(0, 20) == 0


def test_disk_dilation_is_euclidean():
    m = np.zeros((15, 15), bool)
    m[7, 7] = True
    d2 = dilation.dilate_disk(m, 2)
    assert d2.sum() == 13                      # offsets with dx^2 + dy^2 <= 4
    assert d2[5, 7] and d2[6, 6] and not d2[5, 6]                  # (2, 1): 5 > 4
    # radius 5: sum over dx = -5..5 of 2 floor(sqrt(25 - dx^2)) + 1 = 11 + 2 (9 + 9 + 9 + 7 + 1) = 81
    assert dilation.dilate_disk(m, 5).sum() == 81
    assert dilation.dilate_disk(m, 0).sum() == 1
