import numpy as np
import pytest

from sen2cor.atmcorr import cirrus


def test_gamma_from_a_synthetic_cirrus_field():
    rng = np.random.default_rng(1)
    shape = (120, 120)
    rho_cir = np.zeros(shape, np.float32)
    rho_cir[:60] = 0.03
    clear_surface = 0.05 + 0.002 * rng.standard_normal(shape)
    gamma_true = 0.8
    blue = (clear_surface + rho_cir / gamma_true).astype(np.float32)
    valid = np.ones(shape, bool)
    cir = cirrus.cirrus_pixels(rho_cir, valid, min_pixels=100)
    clear = rho_cir < cirrus.CLEAR_THRESHOLD
    gamma = cirrus.estimate_gamma([blue], rho_cir, cir, clear)
    assert gamma == pytest.approx(gamma_true, abs=0.01)
    corrected = cirrus.correct_cirrus(blue, rho_cir, gamma, 0.490)
    assert abs(corrected[:60].mean() - corrected[60:].mean()) < 0.002
    swir = cirrus.correct_cirrus(np.full(shape, 0.2, np.float32), rho_cir, gamma, 1.61)
    assert swir[0, 0] == pytest.approx(0.2 - 0.03 / (2 * gamma), rel=1e-5)


def test_cirrus_switches():
    assert not cirrus.cirrus_enabled(False, 20, 2.0, 0.25)
    assert cirrus.cirrus_enabled(True, 20, 2.0, 0.25)
    assert not cirrus.cirrus_enabled(True, 10, 2.0, 0.25)  # never at 10 m
    assert not cirrus.cirrus_enabled(True, 60, 0.2, 0.25)  # WV_Threshold_Cirrus


def test_cirrus_reflectance_is_a_median():
    b10 = np.zeros((5, 5), np.float32)
    b10[2, 2] = 0.5  # isolated spike removed
    assert cirrus.cirrus_reflectance(b10).max() == 0.0
