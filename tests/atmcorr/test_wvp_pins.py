"""Sen2Cor's numbers of the APDA water-vapour retrieval (algorithm facts B.9, rtm facts "Elevation"),
each exercised on both sides with hand-derived cases."""

import numpy as np
import pytest

from sen2cor.atmcorr import wvp

LEVELS = np.array([0.4, 1.0, 2.0, 2.9, 4.0, 5.0])


def _ratio(u_cm, a=0.95, b=0.03, c=0.45):
    return a * np.exp(-b * (np.asarray(u_cm) * 1000.0) ** c)


# --- column above the ground: fractions 1, 0.77, 0.59, 0.45, 0.34, 0.25 of the sea-level column ---

@pytest.mark.parametrize(("z_km", "fraction"), [(0.0, 1.0), (0.5, 0.77), (1.0, 0.59), (1.5, 0.45), (2.0, 0.34),
                                                 (2.5, 0.25), (0.25, 0.885), (1.75, 0.395)])
def test_column_fraction_at_each_node_and_between(z_km, fraction):
    assert float(wvp.column_above_ground(np.array([2.0]), np.array([z_km]))[0]) == pytest.approx(2 * fraction,
                                                                                                 rel=1e-6)
    assert float(wvp.column_above_ground(2.0, z_km)) == pytest.approx(2 * fraction, rel=1e-6)


@pytest.mark.parametrize(("z_km", "fraction"), [(3.0, 0.25 * 0.25 / 0.34), (3.5, 0.25 * (0.25 / 0.34) ** 2),
                                                 (4.2, 0.25 * (0.25 / 0.34) ** 2)])
def test_column_fraction_above_2_5_km_continues_the_last_decay_to_3_5_km(z_km, fraction):
    assert float(wvp.column_above_ground(np.array([1.0]), np.array([z_km]))[0]) == pytest.approx(fraction, rel=1e-5)
    assert float(wvp.column_above_ground(1.0, z_km)) == pytest.approx(fraction, rel=1e-5)


# --- the LUT ratio: L - Lp = (rho / pi) E / (1 - (rho - rho_ref) S), rho = 0.3, rho_ref = 0.15 ---

def test_lut_ratio_with_the_spherical_albedo_term():
    # abs: 0.3 * 5 / (1 - 0.15 * 0.2) = 1.5 / 0.97 ; ref: 0.3 * 10 / (1 - 0.15 * 0.1) = 3 / 0.985
    expected = (1.5 / 0.97) / (3.0 / 0.985)
    assert float(wvp.lut_ratio(10.0, 0.1, 5.0, 0.2)) == pytest.approx(expected, rel=1e-9)
    # reference albedo 0.3 = rho: the S term vanishes, the ratio is the irradiance ratio
    assert float(wvp.lut_ratio(10.0, 0.1, 5.0, 0.2, reference_albedo=0.3)) == pytest.approx(0.5, rel=1e-9)
    # black reference background: 1 - 0.3 S
    assert float(wvp.lut_ratio(10.0, 0.1, 5.0, 0.2, reference_albedo=0.0)) == pytest.approx(
        (1.5 / 0.94) / (3.0 / 0.97), rel=1e-9)


# --- position smoothing between the passes: box of 10 rows, only for images of more than 100 lines ---

def _curves():
    lp_ref = np.full((1, LEVELS.size), 0.8)
    lp_abs = (0.3 - 0.05 * LEVELS)[None, :]  # path radiance depends on WV: the position matters
    return wvp.ApdaCurves(np.array([0.1]), LEVELS, lp_ref, lp_abs, _ratio(LEVELS)[None, :])


def _image(rows: int, anomaly_row: int):
    u_true = np.full((rows, 3), 1.2)
    u_true[anomaly_row] = 4.5
    curves = _curves()
    reflected = 5.0
    l_ref = np.full(u_true.shape, 0.8 + reflected)
    l_abs = np.interp(u_true, LEVELS, curves.lp_abs[0]) + reflected * _ratio(u_true)
    return l_ref, l_abs, curves


def _influenced_rows(rows: int, anomaly_row: int) -> np.ndarray:
    """Rows whose result differs from a row far from a one-row anomaly (two passes: one smoothing)."""
    l_ref, l_abs, curves = _image(rows, anomaly_row)
    u = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0, passes=2)
    far = u[0 if anomaly_row > rows // 2 else -1, 0]
    return np.nonzero(np.abs(u[:, 0] - far) > 1e-4)[0] - anomaly_row


def test_position_smoothing_box_is_10_rows():
    # scipy's box of 10 reaches 4 rows before and 5 after: the anomaly influences rows -4 .. +5.
    np.testing.assert_array_equal(_influenced_rows(140, 60), np.arange(-4, 6))


@pytest.mark.parametrize(("rows", "smoothed"), [(100, False), (101, True)])
def test_position_smoothing_only_above_100_lines(rows, smoothed):
    influenced = _influenced_rows(rows, 50)
    assert influenced.tolist() == (list(range(-4, 6)) if smoothed else [0])


def test_strips_give_the_whole_image_result():
    l_ref, l_abs, curves = _image(300, 150)
    whole = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0)
    for strip_rows in (7, 64, 149):
        strips = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0, strip_rows=strip_rows)
        np.testing.assert_allclose(strips, whole, rtol=1e-6)


# --- post-processing: columns below 0.01 cm are replaced by the land average ---

@pytest.mark.parametrize(("value", "replaced"), [(0.0099, True), (0.0101, False)])
def test_minimum_column_0_01_cm(value, replaced):
    wv = np.array([[1.0, 3.0, value]], np.float32)
    scl = np.array([[4, 4, 4]], np.uint8)
    out, mean = wvp.fill_water_vapour(wv, scl, 0)
    land_mean = 2.0 if replaced else (4.0 + value) / 3
    assert mean == pytest.approx(land_mean, rel=1e-5)
    assert out[0, 2] == pytest.approx(land_mean if replaced else value, rel=1e-5)


@pytest.mark.parametrize(("cls", "land"), [(4, True), (5, True), (11, True), (6, False), (3, False), (8, False)])
def test_land_classes_of_the_average_are_4_5_11(cls, land):
    wv = np.array([[1.0, 3.0]], np.float32)
    scl = np.array([[4, cls]], np.uint8)
    assert wvp.fill_water_vapour(wv, scl, 0)[1] == pytest.approx(2.0 if land else 1.0)


@pytest.mark.parametrize(("smooth_m", "pixel_m", "box"), [(100.0, 20.0, 5), (120.0, 20.0, 7), (40.0, 20.0, 3),
                                                          (200.0, 20.0, 11), (100.0, 60.0, 3)])
def test_smooth_wv_map_box(smooth_m, pixel_m, box):
    # box = round(Smooth_WV_Map / pixel), at least 3, made odd: an impulse spreads over box x box pixels
    wv = np.zeros((31, 31), np.float32)
    wv[15, 15] = 1.0
    out = wvp.smooth_water_vapour(wv, smooth_m, pixel_m)
    assert np.count_nonzero(out > 1e-9) == box * box
    assert out[15, 15] == pytest.approx(1.0 / box**2)


def test_apda_coefficients_are_linear_in_elevation_between_nodes():
    # two elevation nodes whose curves differ in a (0.95 at 0 km, 0.85 at 1 km); a pixel at z uses
    # a(z) = 0.95 - 0.1 z (clamped to the nodes), so R = a(z) exp(-b u^c) inverts to the true u everywhere
    lp_ref = np.full((2, LEVELS.size), 0.8)
    lp_abs = np.full((2, LEVELS.size), 0.2)   # no dependence on u: one pass is exact
    ratios = np.stack([_ratio(LEVELS, a=0.95), _ratio(LEVELS, a=0.85)])
    curves = wvp.ApdaCurves(np.array([0.0, 1.0]), LEVELS, lp_ref, lp_abs, ratios)
    z = np.array([[0.0, 0.25, 0.5, 1.0, 1.5, -0.2]])
    u_true = 2.0
    a_z = 0.95 - 0.1 * np.clip(z, 0.0, 1.0)
    l_ref = np.full(z.shape, 0.8 + 5.0)
    l_abs = 0.2 + 5.0 * _ratio(u_true, a=a_z)
    u = wvp.retrieve_water_vapour(l_ref, l_abs, z, curves, start_cm=1.0, passes=1)
    np.testing.assert_allclose(u, u_true, rtol=2e-3)
    # with the other node's curve the answer would be far off: the interpolation is what matters
    wrong = wvp.retrieve_water_vapour(l_ref, l_abs, np.zeros(z.shape), curves, start_cm=1.0, passes=1)
    assert abs(float(wrong[0, 3]) - u_true) > 0.3
