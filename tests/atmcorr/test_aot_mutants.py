"""Pins of atmcorr.aot found by mutation testing (issue 20): the DBV thresholds exactly at their values,
the DDV percentages and their denominators, the DDV map codes, the LUT ends of the visibility inversion,
the CAMS clips, the bilinear clamping and the no-warning guarantees of the divisions. Expected values are
derived by hand from the facts (B.7) and the docstrings."""

import logging
import warnings
from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import aot, visibility
from sen2cor.config import load_config
from tests.atmcorr import test_aot_pins as pins


def _no_warnings(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn(*args, **kwargs)


# --- GIPP parameters ---

def test_thresholds_from_the_calibration_gipp_take_every_field(tmp_path):
    cal = load_config(home=tmp_path).cal_ac
    cal = replace(cal, prio_1=replace(cal.prio_1, swir_22um_red_refl_ratio=0.6),
                  prio_2=replace(cal.prio_2, ddv_16um_refl_th1=0.11, ddv_16um_refl_th2=0.16, ddv_16um_refl_th3=0.19,
                                 red_ref_refl_th=0.03))
    ddv = aot.DdvThresholds.from_calibration(cal)
    assert ddv.ddv_16um_refl_th == (0.11, 0.16, 0.19) and ddv.swir_22um_red_refl_ratio == 0.6
    assert aot.DbvThresholds.from_calibration(cal).red_ref_refl == 0.03


def test_red_reference_default_ratio_is_one_half():
    assert aot.red_reference(np.array([0.04]))[0] == pytest.approx(0.02)


# --- DBV (dense bright vegetation) candidates, float64 so that the values sit exactly on the bounds ---

def _dbv(n=6, red=0.03, nir=0.45):
    return np.full(n, red), np.full(n, nir), np.ones(n, bool)


@pytest.mark.parametrize(("nir", "selected"), [(0.35, 0), (0.3501, 6)])   # B8A > 0.35
def test_dbv_nir_bound_is_strict(nir, selected):
    assert aot.select_dbv(*_dbv(nir=nir)).sum() == selected


@pytest.mark.parametrize(("red", "selected"), [(0.25, 0), (0.2499, 6)])
def test_dbv_ndvi_bound_is_strict(red, selected):
    # NDVI = (0.75 - 0.25) / (0.75 + 0.25) = 0.5 exactly: not above 0.5
    th = aot.DbvThresholds(ndvi_th=0.5)
    assert aot.select_dbv(*_dbv(red=red, nir=0.75), th).sum() == selected


@pytest.mark.parametrize(("red", "selected"), [(0.01, 0), (0.0105, 6)])   # red TOA > 0.01
def test_dbv_red_floor_is_strict(red, selected):
    assert aot.select_dbv(*_dbv(red=red)).sum() == selected


@pytest.mark.parametrize(("offset", "selected"), [(15.0, 0), (14.99, 6)])  # |beta - SZA| < 15 deg
def test_dbv_incidence_offset_bound_is_strict(offset, selected):
    mask = aot.select_dbv(*_dbv(), incidence_offset_deg=lambda idx: np.full(idx.size, offset))
    assert mask.sum() == selected


def test_dbv_five_candidates_are_enough():
    assert aot.select_dbv(*_dbv(n=5)).sum() == 5


def test_dbv_equal_reds_are_taken_in_pixel_order():
    mask = aot.select_dbv(*_dbv(n=300))
    assert mask.sum() == 10 and mask[:10].all()


def test_dbv_background_classes_and_fallback():
    scl = np.arange(12, dtype=np.uint8)
    # clear: not 0 (no data), 1 (saturated), 2 (dark feature), 7-10 (clouds, cirrus); shadow 3 stays
    assert np.flatnonzero(aot.dbv_clear(scl)).tolist() == [3, 4, 5, 6, 11]
    # nothing clear: every pixel above 1
    assert aot.dbv_clear(np.array([0, 1, 2, 8, 9], np.uint8)).tolist() == [False, False, True, True, True]


# --- NDVI and DDV selection ---

def test_ndvi_is_zero_where_the_sum_is_zero_without_warnings():
    out = _no_warnings(aot.ndvi, np.array([0.0, 0.1, -0.1, 0.3]), np.array([0.0, -0.1, 0.1, 0.1]))
    assert out.dtype == np.float32 and out.tolist() == pytest.approx([0.0, 0.0, 0.0, 0.5])


def _ddv(n, scl=4, swir=0.2, red_toa=0.0625, nir_toa=0.1875):
    """n pixels; NDVI_TOA (3/16 - 1/16) / (4/16) = 0.5 exactly; B12 0.2 is no DDV candidate."""
    return dict(rho_swir=np.full(n, swir), rho_nir=np.full(n, 0.3), rho_red_toa=np.full(n, red_toa),
                rho_nir_toa=np.full(n, nir_toa), scl=np.full(n, scl, np.uint8), excluded=np.zeros(n, bool))


@pytest.mark.parametrize(("nir_toa", "found"), [(0.1875, False), (0.1876, True)])
def test_ddv_ndvi_bound_is_strict(nir_toa, found):
    s = _ddv(10, swir=0.03, nir_toa=nir_toa)
    assert aot.select_ddv(**s, th=aot.DdvThresholds(swir_refl_ndvi_th=0.5)).found is found


@pytest.mark.parametrize(("other", "percent"), [(0, 6.0), (1, 3.0)])
def test_ddv_percentage_counts_saturated_but_not_no_data_pixels(other, percent):
    s = _ddv(100, scl=5)
    s["scl"][:50] = other                  # 50 no-data (0) or saturated (1) pixels
    s["scl"][60:63], s["rho_swir"][60:63] = 4, 0.03
    sel = aot.select_ddv(**s)
    assert sel.swir_upper == 0.05 and sel.percent == pytest.approx(percent)


def test_ddv_single_valid_pixel_is_100_percent():
    s = _ddv(10, scl=0, swir=0.03)
    s["scl"][4] = 4
    sel = aot.select_ddv(**s)
    assert sel.found and sel.percent == 100.0


def test_ddv_second_and_third_thresholds_count_water_too():
    # 200 pixels, 100 water, 3 candidates of B12 0.07 (second threshold): 3 / 200 = 1.5 % (not 3 / 100)
    # fails 2 % twice; the third keeps them from 1 %
    s = _ddv(200, scl=5)
    s["scl"][:100] = 6
    s["scl"][150:153], s["rho_swir"][150:153] = 4, 0.07
    sel = aot.select_ddv(**s)
    assert sel.swir_upper == 0.12 and sel.percent == pytest.approx(1.5) and sel.mask.sum() == 3


@pytest.mark.parametrize("water", [0, 995])
def test_ddv_nothing_found(water):
    s = _ddv(1000, scl=5)
    s["scl"][:water] = 6
    sel = aot.select_ddv(**s)
    assert sel.mask.dtype == bool and sel.mask.shape == (1000,) and not sel.mask.any()
    assert sel.swir_upper == 0.05 and sel.percent == 0.0


def test_ddv_search_logs_each_threshold(caplog):
    s = _ddv(100, scl=5)
    s["scl"][:3], s["rho_swir"][:3] = 4, 0.03
    with caplog.at_level(logging.DEBUG, logger="sen2cor.atmcorr.aot"):
        aot.select_ddv(**s)
    assert "DDV search: B12 < 0.05 -> 3.000 %" in caplog.messages


def test_ddv_map_codes():
    scl = np.arange(12, dtype=np.uint8)
    ddv = scl == 4
    # no data 0, dark feature 2 and water 6 kept; DDV pixels 4; everything else 5
    assert aot.ddv_map(scl, ddv).tolist() == [0, 5, 2, 5, 4, 5, 6, 5, 5, 5, 5, 5]
    out = aot.ddv_map(scl, None)
    assert out.dtype == np.uint8 and out.tolist() == [0, 5, 2, 5, 5, 5, 6, 5, 5, 5, 5, 5]


# --- visibility inversion at the LUT ends ---

def _rho(depth):
    return 0.1 - 0.06 * np.asarray(depth)   # darker with more optical depth


def test_ddv_index_at_the_end_nodes():
    table = _rho(visibility.LUT_DEPTHS)[:, None] * np.ones((1, 2))
    out = aot.ddv_visibility_index(table, table[[0, -1], 0])
    # 5 km: depth 1.3159 -> index (1.3159 - 0.182) / (1.1296 / 182) = 182.7, kept at 182;
    # 120 km: (0.2070 - 0.182) / (1.1296 / 182) = 4.028
    assert out[0] == 182 and out[1] == pytest.approx(4.028, abs=1e-3)


def test_ddv_index_non_monotonic_table():
    table = np.array([0.01, 0.02, 0.03, 0.04, 0.08, 0.03, 0.02, 0.025])[:, None]
    # 0.06: the first (haziest) segment holding it is 15 km (0.04) -> 23 km (0.08), t = 0.5:
    # depth 0.5930 + 0.5 (0.4509 - 0.5930) = 0.52195; brighter than rho(120 km) = 0.025 but solved,
    # so not extrapolated
    out = aot.ddv_visibility_index(table, np.array([0.06]))
    assert out[0] == pytest.approx((0.52195 - 0.182) / (1.1296 / 182), abs=1e-3)


def test_ddv_index_of_a_flat_table_has_no_solution():
    table = np.full((8, 1), 0.03)
    assert np.isnan(_no_warnings(aot.ddv_visibility_index, table, np.array([0.03]))[0])


def test_ddv_index_flat_end_has_no_solution_and_no_warning():
    table = np.array([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.07])[:, None]
    out = _no_warnings(aot.ddv_visibility_index, table, np.array([0.08, 0.07]))
    assert np.isnan(out[0]) and out[1] == pytest.approx((0.2396 - 0.182) / (1.1296 / 182), abs=1e-3)


# --- visibility iteration ---

def test_visibility_step_from_a_fractional_value():
    assert aot.step_up_visibility(26.5) == pytest.approx(30.5)   # 26 <= v < 30: + 4


def test_iteration_from_120_km_does_not_evaluate_the_check():
    calls = []
    assert aot.iterate_visibility(120.0, lambda v: calls.append(v) or True) == 120.0
    assert calls == []


def test_shift_of_no_indices_warns_nothing():
    assert _no_warnings(aot.shift_indices, np.array([]), 50.0).size == 0


# --- negative-reflectance fraction ---

def test_negative_fraction_denominator_is_every_non_background_pixel():
    scl = np.array([[0, 0, 1, 4, 4], [5, 5, 6, 3, 4]], np.uint8)
    rho = np.array([[-1.0, -1.0, -0.5, -0.02, 0.05], [-0.01, 0.0, -0.3, -0.3, 0.02]])
    # q = 0: land (4, 5) below 0: -0.02, -0.01 (0.0 is not below): 2 of 8 pixels with SCL > 0
    assert aot.negative_fraction(rho, scl, 0.0, 0.0, 20.0) == pytest.approx(2 / 8)


def test_negative_fraction_edge_cases():
    assert aot.negative_fraction(np.full((3, 3), -1.0), np.zeros((3, 3), np.uint8), 0.1, 0.0, 20.0) == 0.0
    scl = np.zeros((3, 3), np.uint8)
    scl[1, 1] = 4
    assert aot.negative_fraction(np.full((3, 3), -0.1), scl, 0.0, 0.0, 20.0) == 1.0


def test_negative_fraction_background_ignores_no_data_values():
    # no data (SCL 0) at reflectance 0.3 beside dark land 0.01, q = 1: the background near the edge must
    # come from the land only (no data counts as 0), so rho_adj = 0.01 + (0.01 - bg) >= 0.01 > 0
    rho = np.full((20, 20), 0.01)
    scl = np.full((20, 20), 4, np.uint8)
    rho[:, :10], scl[:, :10] = 0.3, 0
    assert aot.negative_fraction(rho, scl, 1.0, 0.0, 1000.0) == 0.0


def test_negative_fraction_sigma_truncates_1000_m_over_the_pixel():
    pins.test_negative_fraction_gaussian_sigma(20.01, 49)   # int(49.98) = 49, odd


def test_cloud_proximity_box_truncates_1000_m_over_the_pixel():
    # 20.01 m: int(49.98) = 49 -> box 49, radius 24: one cloud column gives 255 / 49 = 5.2 > 5 up to 24
    # columns away (a box of 51 would give 255 / 51 = 5.0: nothing near)
    scl = np.full((40, 300), 4, np.uint8)
    scl[:, 99] = 9
    near = aot.cloud_proximity(scl, 20.01)[20]
    assert near[123] and not near[124] and near[75] and not near[74]


# --- CAMS visibility ---

def test_cams_height_defaults_to_sea_level_and_is_clipped_to_0_3_5_km():
    aod = np.array([[0.1, 0.3]])
    g0 = 9.80665
    at = {h: aot.cams_visibility_km(aod, np.full(aod.shape, h * 1000.0 * g0)) for h in (-0.2, 0.0, 3.5, 4.0)}
    np.testing.assert_array_equal(aot.cams_visibility_km(aod), at[0.0])
    np.testing.assert_array_equal(at[-0.2], at[0.0])
    np.testing.assert_array_equal(at[4.0], at[3.5])
    assert not np.array_equal(at[3.5], at[0.0])


def test_cams_visibility_is_clipped_to_5_120_km():
    assert aot.cams_visibility_km(np.array([10.0, 0.0])).tolist() == [5.0, 120.0]


# --- bilinear stretch of coarse grids ---

def test_bilinear_at_clamps_positions_to_the_end_nodes():
    coarse = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = aot.bilinear_at(coarse, np.array([-0.5, 0.5, 1.5]), np.array([-1.0, 2.5]))
    assert out.tolist() == [[1.0, 3.0], [2.5, 4.5], [4.0, 6.0]]


def test_bilinear_at_single_node_and_more_rows_than_a_block():
    assert aot.bilinear_at(np.array([[7.0]]), np.zeros(2), np.zeros(3)).tolist() == [[7.0] * 3] * 2
    out = aot.bilinear_at(np.array([[0.0, 0.0], [599.0, 599.0]]), np.linspace(0.0, 1.0, 600), np.zeros(3))
    np.testing.assert_allclose(out[:, 0], np.arange(600.0), atol=1e-3)
