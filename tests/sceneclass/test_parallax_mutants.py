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
    textured, moving = parallax.parallax_masks(np.array([-0.6, -0.5, -0.4, np.nan], np.float32))
    assert textured.tolist() == [True, True, True, False]
    assert moving.tolist() == [True, False, False, False]
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
