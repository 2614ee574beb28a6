"""Cases that kill the surviving mutants of atmcorr/cirrus.py (issue 20; algorithm facts B.13)."""

import logging

import numpy as np
import pytest

from sen2cor.atmcorr import cirrus


def test_cirrus_reflectance_is_a_3x3_median_in_float32():
    b10 = np.zeros((12, 8), np.float64)
    b10[5:7] = 0.04   # a 2-row band: 6 of the 9 samples of its own rows, 3 of 9 on the rows beside it
    b10[10] = 0.05    # a 1-row band: 3 of 9, removed
    rho = cirrus.cirrus_reflectance(b10)
    assert rho.dtype == np.float32
    assert np.all(rho[5:7] == np.float32(0.04))
    assert not rho[:5].any() and not rho[7:].any()


def test_a_single_cirrus_pixel_is_enough_for_gamma():
    # 1 cirrus pixel (rho_cir 0.02, TOA 0.06) against 2000 clear pixels of TOA 0.05: gamma = 0.02 / 0.01
    n = 2001
    rho_cir = np.zeros(n, np.float32)
    rho_cir[0] = 0.02
    band = np.full(n, 0.05, np.float32)
    band[0] = 0.05 + 0.02 / 0.8
    cir = np.zeros(n, bool)
    cir[0] = True
    gamma = cirrus.estimate_gamma([band], rho_cir, cir, ~cir)
    assert gamma == pytest.approx(0.8, rel=1e-5)


def test_wv_threshold_cirrus_is_inclusive_and_the_skip_is_logged(caplog):
    assert cirrus.cirrus_enabled(True, 20, 0.25, 0.25)         # "reaches" the threshold
    with caplog.at_level(logging.INFO, logger="sen2cor.atmcorr.cirrus"):
        assert not cirrus.cirrus_enabled(True, 60, 0.2, 0.25)
    assert caplog.messages == ["cirrus correction skipped: scene water vapour 0.20 cm < WV_Threshold_Cirrus "
                               "0.25 cm"]


def test_cirrus_free_pixels_are_below_0_8_percent():
    rho_cir = np.array([0.0, 0.0079, 0.008, 0.0081, 0.0079])
    valid = np.array([True, True, True, True, False])
    assert cirrus.clear_pixels(rho_cir, valid).tolist() == [True, True, False, False, False]
