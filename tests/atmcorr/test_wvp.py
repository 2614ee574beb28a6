import logging

import numpy as np
import pytest

from sen2cor.atmcorr import wvp

LEVELS = np.array([0.4, 1.0, 2.0, 2.9, 4.0, 5.0])


def _ratio(u_cm, a=0.95, b=0.03, c=0.45):
    return a * np.exp(-b * (u_cm * 1000.0) ** c)


def test_fit_recovers_the_curve_and_the_inverse_gives_u():
    a, b, c = wvp.fit_ratio(LEVELS, _ratio(LEVELS))
    u = np.array([0.7, 1.5, 3.3])
    np.testing.assert_allclose(wvp.invert_ratio(_ratio(u), a, b, c), u, rtol=1e-3)
    assert wvp.invert_ratio(np.array([1.2, -0.1]), a, b, c).tolist() == [0.0, 0.0]


def test_apda_retrieval_returns_the_known_water_vapour():
    lp_ref = np.array([[0.8] * 6])
    lp_abs = 0.3 - 0.02 * LEVELS[None, :]  # path radiance drops with WV
    curves = wvp.ApdaCurves(np.array([0.1]), LEVELS, lp_ref, lp_abs, _ratio(LEVELS)[None, :])
    u_true = np.array([[0.6, 1.8], [2.4, 4.5]])
    reflected = np.full(u_true.shape, 5.0)
    l_ref = 0.8 + reflected
    l_abs = np.interp(u_true, LEVELS, lp_abs[0]) + reflected * _ratio(u_true)
    u = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0)
    np.testing.assert_allclose(u, u_true, rtol=2e-3)


def test_lut_ratio_for_equal_bands_is_one():
    assert wvp.lut_ratio(10.0, 0.1, 10.0, 0.1) == pytest.approx(1.0)
    # absorption band with half the irradiance
    assert wvp.lut_ratio(10.0, 0.0, 5.0, 0.0) == pytest.approx(0.5)


def _wv_scene():
    wv = np.array([[1.0, 2.0, 3.0], [0.0, 5.0, 4.0]], np.float32)
    scl = np.array([[4, 5, 6], [4, 6, 0]], np.uint8)
    return wv, scl


def test_wv_watermask_options():
    wv, scl = _wv_scene()
    land_mean = (1.0 + 2.0) / 2  # land pixels with WV >= 0.01
    keep, mean = wvp.fill_water_vapour(wv, scl, 0)
    assert mean == pytest.approx(land_mean)
    np.testing.assert_allclose(keep, [[1.0, 2.0, 3.0], [land_mean, 5.0, 0.0]])  # < 0.01 -> mean, SCL 0 -> 0
    one, _ = wvp.fill_water_vapour(wv, scl, 1)
    np.testing.assert_allclose(one, [[1.0, 2.0, land_mean], [land_mean, land_mean, 0.0]])
    two, _ = wvp.fill_water_vapour(wv, scl, 2)
    np.testing.assert_allclose(two, [[1.0, 2.0, 1.5], [land_mean, land_mean, 0.0]])  # row 0 average 1.5


def test_no_land_pixels_keeps_the_retrieved_water_vapour(caplog):
    """Winter scene without land classes (water, snow-free clouds, dark features): with WV_Watermask 1 the
    map was the land average of nothing, 0 (WVP's no-data) on every valid pixel."""
    wv = np.array([[0.21, 0.24, 0.0], [0.22, 0.23, 0.5]], np.float32)
    scl = np.array([[6, 6, 2], [8, 6, 0]], np.uint8)
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.wvp"):
        out, mean = wvp.fill_water_vapour(wv, scl, 1, fallback_cm=0.4)
    assert mean == pytest.approx(np.mean([0.21, 0.24, 0.22, 0.23]))       # valid retrievals, SCL 0 excluded
    np.testing.assert_allclose(out, [[mean] * 3, [mean, mean, 0.0]], rtol=1e-6)
    assert "no land pixels" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.wvp"):
        out, mean = wvp.fill_water_vapour(np.zeros((2, 3), np.float32), scl, 1, fallback_cm=0.4)
    assert mean == 0.4 and np.all(out[scl > 0] == np.float32(0.4)) and "start value" in caplog.text


def test_smooth_wv_map_box_length():
    wv = np.zeros((15, 15), np.float32)
    wv[7, 7] = 25.0
    assert wvp.smooth_water_vapour(wv, 0.0, 20.0) is wv
    five = wvp.smooth_water_vapour(wv, 100.0, 20.0)  # 100 m / 20 m = 5 px box
    assert five[7, 7] == pytest.approx(1.0) and five[7, 9] == pytest.approx(1.0) and five[7, 10] == 0.0
    assert wvp.smooth_water_vapour(wv, 100.0, 60.0)[7, 7] == pytest.approx(25.0 / 9)  # at least 3 px


def test_column_above_ground():
    np.testing.assert_allclose(
        wvp.column_above_ground(np.array([2.0, 2.0, 2.0]), np.array([0.0, 1.0, 2.5])),
        [2.0, 1.18, 0.5],
        rtol=1e-6,
    )
