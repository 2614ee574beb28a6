"""Cases that kill the surviving mutants of atmcorr/wvp.py (issue 20; docs/mutation_equivalents_mutA.md).

Every expected value is derived by hand from the APDA model R = a exp(-b u^c) (u in cm*1000, algorithm
facts B.9) and from the documented behaviour of each function, never taken from the code's output.
"""

import logging
import warnings

import numpy as np
import pytest

from sen2cor.atmcorr import wvp

LEVELS = np.array([0.4, 1.0, 2.0, 2.9, 4.0, 5.0])
A, B, C = 0.95, 0.03, 0.45


def _ratio(u_cm, a=A, b=B, c=C):
    return a * np.exp(-b * (np.asarray(u_cm, dtype=np.float64) * 1000.0) ** c)


# --- inversion u = ((ln a - ln R) / b)^(1/c) / 1000, valid for 0 < R <= min(1, a) ---

@pytest.mark.parametrize("u_cm", [0.0005, 0.7, 3.3])
def test_invert_ratio_round_trip_to_float32_precision(u_cm):
    # 0.0005 cm = 0.5 cm*1000: b u^c = 0.03 * 0.5^0.45 < b, i.e. the bracket is below 1 (no floor at 1)
    u = wvp.invert_ratio(np.array([_ratio(u_cm)]), A, B, C)
    assert u.dtype == np.float32
    assert float(u[0]) == pytest.approx(u_cm, rel=2e-5)


def test_invert_ratio_domain_ends():
    a = 1.2  # a curve above 1 at u = 0: R = 1 is inside the domain, R > 1 is not
    u_at_1 = (np.log(a) / B) ** (1 / C) / 1000.0
    out = wvp.invert_ratio(np.array([1.0, 1.0001, 0.0, -0.2, np.nan, np.inf]), a, B, C)
    assert float(out[0]) == pytest.approx(u_at_1, rel=2e-5)
    assert out[1:].tolist() == [0.0] * 5


def test_invert_ratio_is_float32_for_float64_input():
    assert wvp.invert_ratio(np.array([0.5, 0.6], np.float64), A, B, C).dtype == np.float32


# --- the curve fit: bounds and the log-linear fallback ---

def test_fit_stays_inside_its_bounds():
    u = LEVELS * 1000.0
    a, b, _ = wvp.fit_ratio(LEVELS, 20.0 * np.exp(-B * u**C))     # a > 10 is out of bounds
    assert a == pytest.approx(10.0, rel=1e-9) and b == pytest.approx(1e-6, rel=1e-6)
    _, _, c = wvp.fit_ratio(LEVELS, 0.95 * np.exp(-1e-6 * u**2.05))  # c > 2 is out of bounds
    assert c == pytest.approx(2.0, rel=1e-9)


def test_fit_falls_back_to_a_log_linear_fit(monkeypatch, caplog):
    # a real non-convergence (e.g. R = 0.95 exp(-1e-7 u^2.5) on these levels) takes ~12 s of curve_fit;
    # the failure is injected instead. Fallback: ln R = ln a - b u (c = 1), least squares in u.
    def no_convergence(*args, **kwargs):
        raise RuntimeError("Optimal parameters not found")

    monkeypatch.setattr(wvp, "curve_fit", no_convergence)
    u = LEVELS * 1000.0
    ln_r = np.log(0.9) - 2e-4 * u + np.array([0.01, -0.01, 0.0, 0.01, -0.01, 0.0])  # not exactly linear
    slope = np.sum((u - u.mean()) * (ln_r - ln_r.mean())) / np.sum((u - u.mean()) ** 2)
    intercept = ln_r.mean() - slope * u.mean()
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.wvp"):
        a, b, c = wvp.fit_ratio(LEVELS, np.exp(ln_r))
    assert (a, b, c) == pytest.approx((np.exp(intercept), -slope, 1.0), rel=1e-9)
    assert caplog.messages == ["APDA curve fit did not converge (Optimal parameters not found); using c = 1"]


# --- interpolation of the curves and path radiances over three elevation nodes ---

def test_three_elevation_nodes_are_interpolated_linearly_and_clamped():
    nodes = np.array([0.5, 1.0, 2.0])          # not starting at 0, unequal spacing
    a_node = np.array([0.95, 0.90, 0.80])
    lp_ref_node = np.array([0.8, 0.7, 0.5])
    lp_abs_node = np.array([0.20, 0.15, 0.10])
    lp_ref = np.repeat(lp_ref_node[:, None], LEVELS.size, axis=1)
    lp_abs = lp_abs_node[:, None] - 0.02 * LEVELS[None, :]           # B09 path radiance falls with u
    ratios = np.stack([_ratio(LEVELS, a=x) for x in a_node])
    curves = wvp.ApdaCurves(nodes, LEVELS, lp_ref, lp_abs, ratios)
    z = np.array([[0.3, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.6]])
    zc = np.clip(z, 0.5, 2.0)
    # hand-interpolated node values: between 0.5 and 1.0 the weight is (z - 0.5) / 0.5, between 1 and 2 z - 1
    def at(values):
        return np.where(zc <= 1.0, values[0] + (values[1] - values[0]) * (zc - 0.5) / 0.5,
                        values[1] + (values[2] - values[1]) * (zc - 1.0))

    u_true = 2.0
    l_ref = at(lp_ref_node) + 5.0
    l_abs = at(lp_abs_node) - 0.02 * u_true + 5.0 * _ratio(u_true, a=at(a_node))
    # start between two levels; the passes converge on u_true (the path radiance is linear in u)
    u = wvp.retrieve_water_vapour(l_ref, l_abs, z, curves, start_cm=1.3, passes=6)
    np.testing.assert_allclose(u, u_true, rtol=2e-4)


# --- the water-vapour position on the levels: segments, clamping at both ends ---

def _nonlinear_curves(lp_abs_levels=(0.30, 0.26, 0.20, 0.17, 0.16, 0.155)):
    lp_ref = np.full((1, LEVELS.size), 0.8)
    lp_abs = np.array([lp_abs_levels], dtype=np.float64)
    return wvp.ApdaCurves(np.array([0.1]), LEVELS, lp_ref, lp_abs, _ratio(LEVELS)[None, :])


def _lp_abs_at(curves, u_cm):
    """Path radiance held at the end values outside the levels, linear between them."""
    return np.interp(u_cm, LEVELS, curves.lp_abs[0])


def test_position_segments_and_clamping_with_a_nonlinear_path_radiance():
    curves = _nonlinear_curves()
    u_true = np.array([[0.1, 0.7, 1.5, 2.5, 3.5, 4.5, 6.0]])   # below, in each segment, above the levels
    reflected = 5.0
    l_ref = np.full(u_true.shape, 0.8 + reflected)
    l_abs = _lp_abs_at(curves, u_true) + reflected * _ratio(u_true)
    u = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0, passes=8)
    np.testing.assert_allclose(u, u_true, rtol=1e-4)


def _scene(rows, u_true, reflected=1.0):
    curves = _nonlinear_curves((0.30, 0.27, 0.22, 0.18, 0.15, 0.13))
    l_ref = np.full(u_true.shape, 0.8 + reflected)
    l_abs = _lp_abs_at(curves, u_true) + reflected * _ratio(u_true)
    return l_ref, l_abs, curves


def test_default_is_three_passes():
    u_true = np.linspace(0.6, 4.5, 12).reshape(3, 4)
    l_ref, l_abs, curves = _scene(3, u_true)
    run = [wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=3.0, passes=p) for p in (3, 4)]
    assert not np.array_equal(run[0], run[1])        # a fourth pass still moves the result
    np.testing.assert_array_equal(wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=3.0), run[0])


def test_a_pixel_without_retrieval_keeps_its_position_for_the_smoothing():
    # u = start everywhere: every retrieval lands on 1.0 at once; the invalid row (R > 1) must keep the
    # position 1.0, or the 10-row smoothing would move its neighbours' path radiance
    u_true = np.full((120, 3), 1.0)
    l_ref, l_abs, curves = _scene(120, u_true)
    l_abs[60] = 3.0 * l_ref[60]
    u = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0)
    assert np.all(u[60] == 0.0)
    np.testing.assert_allclose(np.delete(u, 60, axis=0), 1.0, rtol=1e-4)


def test_position_smoothing_extends_the_edge_rows():
    # nearest-edge smoothing: the image behaves as if its first and last rows continued; padding it with 5
    # copies of them (the reach of a 10-row box) therefore changes nothing inside (two passes: one smoothing)
    u_true = np.full((120, 2), 1.2)
    u_true[:3] = 4.0
    u_true[-2:] = 0.6
    l_ref, l_abs, curves = _scene(120, u_true)
    padded = [np.pad(x, ((5, 5), (0, 0)), mode="edge") for x in (l_ref, l_abs)]
    u = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0, passes=2)
    u_pad = wvp.retrieve_water_vapour(*padded, 0.1, curves, start_cm=1.0, passes=2)
    np.testing.assert_allclose(u, u_pad[5:-5], rtol=1e-6)


def test_strips_with_an_elevation_map_give_the_whole_image_result():
    rng = np.random.default_rng(3)
    rows = 150
    u_true = np.clip(1.5 + np.cumsum(rng.normal(0, 0.2, (rows, 4)), axis=0) * 0.3, 0.5, 4.8)
    lp_ref = np.full((2, LEVELS.size), 0.8)
    lp_abs = np.stack([0.3 - 0.04 * LEVELS, 0.25 - 0.03 * LEVELS])
    curves = wvp.ApdaCurves(np.array([0.0, 1.0]), LEVELS, lp_ref, lp_abs,
                            np.stack([_ratio(LEVELS), _ratio(LEVELS, a=0.9)]))
    z = np.linspace(0.0, 1.0, rows * 4).reshape(rows, 4)
    l_ref = np.full(u_true.shape, 1.8)
    l_abs = 0.28 - 0.035 * u_true + _ratio(u_true)
    whole = wvp.retrieve_water_vapour(l_ref, l_abs, z, curves, start_cm=1.0)
    assert whole.dtype == np.float32
    for strip_rows in (1, 13, 40):
        strips = wvp.retrieve_water_vapour(l_ref, l_abs, z, curves, start_cm=1.0, strip_rows=strip_rows)
        np.testing.assert_allclose(strips, whole, rtol=1e-6, err_msg=f"strip_rows={strip_rows}")


def test_zero_over_zero_ratios_give_0_silently():
    # at the start level (1.0 cm, weight 0) the path radiances are exactly 0.5 and 0.25: pixel 0 gives
    # 0 / 0, pixel 1 x / 0; neither is a retrieval, and numpy must not warn on a full tile of them
    lp_ref = np.full((1, LEVELS.size), 0.5)
    lp_abs = np.full((1, LEVELS.size), 0.25)
    curves = wvp.ApdaCurves(np.array([0.1]), LEVELS, lp_ref, lp_abs, _ratio(LEVELS)[None, :])
    l_ref = np.array([[0.5, 0.5, 5.5]], np.float32)
    l_abs = np.array([[0.25, 0.3, 0.25 + 5.0 * _ratio(2.0)]], np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        u = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0, passes=1)
    assert u[0, :2].tolist() == [0.0, 0.0]
    assert float(u[0, 2]) == pytest.approx(2.0, rel=1e-4)


# --- column above the ground ---

def test_column_fraction_between_2_and_2_5_km_is_linear():
    # 2.25 km: halfway between 0.34 and 0.25 (the decay formula applies only above 2.5 km)
    assert float(wvp.column_above_ground(2.0, 2.25)) == pytest.approx(2 * 0.295, rel=1e-6)
    assert float(wvp.column_above_ground(np.array([2.0]), np.array([2.25]))[0]) == pytest.approx(0.59, rel=1e-6)


def test_column_below_sea_level_is_the_whole_column_and_float32():
    out = wvp.column_above_ground(np.array([1.5, 1.5], np.float64), np.array([-0.2, 0.0], np.float64))
    assert out.dtype == np.float32 and out.tolist() == [1.5, 1.5]
    scalar = wvp.column_above_ground(np.array([[2.0, 4.0]]), 1.0)   # one elevation for the whole map
    assert scalar.dtype == np.float32
    np.testing.assert_allclose(scalar, [[1.18, 2.36]], rtol=1e-6)


# --- post-processing: land average, WV_Watermask, limits, messages ---

def test_default_watermask_is_1():
    # every non-land pixel takes the land average 8/3 (WV_Watermask 2 would give the rows' 1.5 and 5)
    wv = np.array([[1.0, 2.0, 9.0], [5.0, 9.0, 9.0]], np.float32)
    scl = np.array([[4, 4, 6], [4, 6, 6]], np.uint8)
    out, mean = wvp.fill_water_vapour(wv, scl)
    assert mean == pytest.approx(8 / 3)
    np.testing.assert_allclose(out, [[1.0, 2.0, 8 / 3], [5.0, 8 / 3, 8 / 3]], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_a_column_of_exactly_0_01_cm_is_kept(dtype):
    # Sen2Cor: values < 10 (cm*1000) are replaced, so 10 is a retrieval and counts in the land average
    wv = np.array([[1.0, 3.0, 0.01]], dtype)
    out, mean = wvp.fill_water_vapour(wv, np.array([[4, 4, 4]], np.uint8), 0)
    assert mean == pytest.approx(4.01 / 3, rel=1e-6)
    assert out.dtype == np.float32 and out[0, 2] == np.float32(0.01)


def test_without_land_the_valid_retrievals_average_and_the_message(caplog):
    # SCL 2 (dark features) counts as a valid pixel, SCL 1 (saturated) and SCL 0 do not; 0.01 cm counts
    wv = np.array([[0.2, 0.4, 0.8, 0.9, 0.01]], np.float32)
    scl = np.array([[6, 2, 1, 0, 8]], np.uint8)
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.wvp"):
        out, mean = wvp.fill_water_vapour(wv, scl, 1)
    expected = (0.2 + 0.4 + 0.01) / 3
    assert mean == pytest.approx(expected, rel=1e-6)
    np.testing.assert_allclose(out, [[expected, expected, 0.0, 0.0, expected]], rtol=1e-6)
    assert caplog.messages == ["no land pixels (SCL 4, 5, 11) with a water-vapour retrieval: the average "
                               "0.203 cm of the 3 other valid pixels' retrievals replaces the land average"]


def test_nothing_retrieved_without_a_start_value_gives_0_and_the_message(caplog):
    scl = np.array([[6, 8]], np.uint8)
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.wvp"):
        out, mean = wvp.fill_water_vapour(np.zeros((1, 2), np.float32), scl, 1)
    assert mean == 0.0 and out.tolist() == [[0.0, 0.0]]
    assert caplog.messages == ["no valid pixel with a water-vapour retrieval: the start value 0.000 cm "
                               "replaces the land average"]


def test_watermask_2_uses_each_rows_own_land_average():
    wv = np.array([[1.0, 9.0, 9.0],      # one land pixel: row average 1.0
                   [2.0, 4.0, 9.0],      # two land pixels: 3.0
                   [9.0, 9.0, 9.0]],     # no land: the land average (1 + 2 + 4) / 3
                  np.float64)
    scl = np.array([[4, 6, 8], [5, 11, 6], [6, 6, 1]], np.uint8)
    out, mean = wvp.fill_water_vapour(wv, scl, 2)
    land = 7.0 / 3
    assert mean == pytest.approx(land)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, [[1.0, 1.0, 1.0], [2.0, 4.0, 3.0], [land, land, 0.0]], rtol=1e-6)


# --- Smooth_WV_Map ---

def test_any_positive_smoothing_length_gives_at_least_a_3_px_box():
    wv = np.zeros((9, 9), np.float32)
    wv[4, 4] = 9.0
    out = wvp.smooth_water_vapour(wv, 1.0, 20.0)                  # 1 m: rounds to 0 px, at least 3
    assert np.count_nonzero(out) == 9 and out[4, 4] == pytest.approx(1.0)


def test_smoothing_extends_the_edges_and_keeps_no_data_at_0():
    wv = np.zeros((9, 9), np.float64)
    wv[0, 0] = 25.0
    valid = np.ones((9, 9), bool)
    valid[8, 8] = False
    out = wvp.smooth_water_vapour(wv, 100.0, 20.0, valid)        # 5 x 5 box
    assert out.dtype == np.float32
    # the corner repeats itself over the 2-px margin: 3 x 3 of the 25 box samples are the corner
    assert out[0, 0] == pytest.approx(9.0)
    assert out[2, 2] == pytest.approx(1.0) and abs(out[3, 3]) < 1e-6
    wv[8, 8] = 25.0
    out = wvp.smooth_water_vapour(wv, 100.0, 20.0, valid)
    assert out[8, 8] == 0.0 and out[7, 7] == pytest.approx(4 * 25.0 / 25)
