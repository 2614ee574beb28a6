"""Hand-derived cases that pin the boundaries and branches of sceneclass/parallax.py (mutation survivors)."""
import numpy as np
import pytest

from sen2cor.sceneclass import parallax


def test_local_variance_of_a_two_valued_pattern():
    # columns alternate 0 / 1 (ratio values); a 3 x 3 window holds 3 or 6 ones out of 9 away from the edges:
    # mean 1/3 -> variance 1/3 - 1/9 = 2/9 ; mean 2/3 -> 2/3 - 4/9 = 2/9
    b8a = np.full((7, 8), 0.5, np.float32)
    b07 = np.tile(np.array([0.0, 0.5], np.float32), (7, 4))      # B07/B8A alternates 0 and 1
    b08 = b8a * np.float32(0.9)                                   # constant ratio: variance 0 -> CDI undefined
    cdi = parallax.cloud_displacement_index(b07, b08, b8a, window_px=3)
    assert np.isnan(cdi).all()
    # B08/B8A alternates 1 and 1.5 (variance (1/2)^2 * 2/9 = 1/18): CDI = (2/9 - 1/18) / (2/9 + 1/18) = 0.6
    b08 = np.tile(np.array([0.5, 0.75], np.float32), (7, 4))
    cdi = parallax.cloud_displacement_index(b07, b08, b8a, window_px=3)
    assert cdi[3, 3] == pytest.approx(0.6, abs=1e-5) and cdi[3, 4] == pytest.approx(0.6, abs=1e-5)


def test_parallax_is_strictly_below_the_cdi_limit():
    textured, moving = parallax.parallax_masks(np.array([-0.6, -0.52, -0.5, -0.4, np.nan], np.float32))
    assert textured.tolist() == [True, True, True, True, False]
    assert moving.tolist() == [True, True, False, False, False]
    assert parallax.parallax_masks(np.array([-0.3], np.float32), cdi_max=-0.2)[1].tolist() == [True]


def test_blobs_are_8_connected():
    mask = np.zeros((4, 4), bool)
    mask[0, 0] = mask[1, 1] = mask[2, 2] = True                    # one diagonal blob
    textured = np.ones_like(mask)
    moving = np.zeros_like(mask)
    moving[0, 0] = True
    labels, fraction = parallax.blob_parallax_fraction(mask, textured, moving)
    assert labels.max() == 1 and fraction[1] == pytest.approx(1 / 3)


def test_static_blob_needs_a_fraction_strictly_below_the_limit():
    mask = np.zeros((3, 6), bool)
    mask[:, :4] = True                                             # 12 px blob, 3 moving: 25 %
    textured = np.ones_like(mask)
    moving = np.zeros_like(mask)
    moving[0, :3] = True
    assert not parallax.static_blobs(mask, textured, moving, 0.25).any()
    assert parallax.static_blobs(mask, textured, moving, 0.26).sum() == 12
    assert parallax.moving_blobs(mask, textured, moving, 0.25).sum() == 12


def test_blob_fractions_over_several_strips(monkeypatch):
    monkeypatch.setattr(parallax, "STRIP_ROWS", 2)
    mask = np.zeros((7, 3), bool)
    mask[:, 1] = True                                              # one 7 px blob over 4 strips
    textured = np.ones_like(mask)
    textured[6, 1] = False                                         # 6 textured pixels
    moving = np.zeros_like(mask)
    moving[[1, 4, 6], 1] = True                                    # 2 moving textured pixels (row 6 untextured)
    labels, fraction = parallax.blob_parallax_fraction(mask, textured, moving)
    assert fraction[1] == pytest.approx(2 / 6)
    table = np.array([5, 9], np.int16)
    np.testing.assert_array_equal(parallax.label_lookup(table, labels, rows=3), np.where(mask, 9, 5))


def _checkerboard(shape, low, high):
    board = np.indices(shape).sum(axis=0) % 2
    return np.where(board == 1, np.float32(high), np.float32(low)).astype(np.float32)


def test_cdi_window_is_7_px():
    # B07/B8A is 1 except one pixel of 2 at (10, 10): its local variance is 0 (CDI undefined) wherever the
    # 7 x 7 window misses that pixel, i.e. more than 3 px away; B08/B8A (a 1 / 1.1 checkerboard) varies everywhere
    b8a = np.ones((21, 21), np.float32)
    b07 = b8a.copy()
    b07[10, 10] = 2.0
    b08 = _checkerboard(b8a.shape, 1.0, 1.1)
    cdi = parallax.cloud_displacement_index(b07, b08, b8a)
    assert np.isfinite(cdi[10, 7:14]).all() and np.isfinite(cdi[7:14, 10]).all()
    assert np.isnan(cdi[10, [6, 14]]).all() and np.isnan(cdi[[6, 14], 10]).all()


@pytest.mark.parametrize("high, defined", [(0.00205, True), (0.00195, False)])
def test_cdi_needs_a_variance_above_1e_6(high, defined):
    # a 0 / c checkerboard: a 7 x 7 window holds 24 or 25 of c, variance (600 / 2401) c^2 =
    # 1.050e-6 for c = 0.00205 and 0.950e-6 for c = 0.00195
    b8a = np.ones((15, 15), np.float32)
    b07 = _checkerboard(b8a.shape, 0.0, high)
    b08 = _checkerboard(b8a.shape, 1.0, 1.1)
    assert np.isfinite(parallax.cloud_displacement_index(b07, b08, b8a)[7, 7]) == defined


def test_local_variance_repeats_the_edge_pixels():
    # B07/B8A = 0.1 x column, B08/B8A = 1 + 0.1 x row; at column 0 the 7 px window repeats the edge ("nearest"):
    # columns 0,0,0,0,1,2,3 -> variance 0.01 (2 - 36/49) = 0.01 x 62/49; rows 7-13 -> 0.01 x 4;
    # CDI = (62/49 - 4) / (62/49 + 4) = -134/258 (a mirrored edge would give columns 2,1,0,0,1,2,3: 52/49)
    b8a = np.ones((21, 21), np.float32)
    rows, cols = np.indices(b8a.shape).astype(np.float32)
    cdi = parallax.cloud_displacement_index(np.float32(0.1) * cols, 1 + np.float32(0.1) * rows, b8a)
    assert cdi.dtype == np.float32
    assert cdi[10, 0] == pytest.approx(-134 / 258, abs=1e-4)
    assert cdi[10, 10] == pytest.approx(0.0, abs=1e-4)                # interior: both variances 0.01 x 4


def test_a_blob_with_a_single_textured_pixel_has_a_fraction():
    mask = np.zeros((3, 5), bool)
    mask[1, 1:4] = True
    textured = np.zeros_like(mask)
    textured[1, 2] = True
    labels, fraction = parallax.blob_parallax_fraction(mask, textured, textured)
    assert fraction[1] == 1.0
    assert parallax.moving_blobs(mask, textured, textured, 0.25).sum() == 3


def test_label_lookup_covers_every_strip_of_a_tall_image():
    labels = np.zeros((3000, 2), np.int32)
    labels[::7, 1] = 1
    table = np.array([0.25, 7.5])
    out = parallax.label_lookup(table, labels, rows=1000)
    np.testing.assert_array_equal(out, np.where(labels == 1, 7.5, 0.25))
