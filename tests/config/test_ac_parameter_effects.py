"""L2A_CAL_AC_GIPP parameters without a test elsewhere: each moved past a crafted value at the function
that reads it (or through one resolution of the correction), checking the documented effect
(docs/configuration.md; algorithm facts B.5-B.12)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import aot, brdf, driver, scaling, surface, terrain, visibility
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr.analytic_atmosphere import make_table
from tests.atmcorr.test_driver import _rugged_scene, make_scene

DDV = aot.DdvThresholds()


def _candidates(n=100, swir=0.2, red=0.05, nir_toa=0.3):
    return dict(rho_swir=np.full(n, swir, np.float32), rho_nir=np.full(n, 0.3, np.float32),
                rho_red_toa=np.full(n, red, np.float32), rho_nir_toa=np.full(n, nir_toa, np.float32),
                scl=np.full(n, 4, np.uint8), excluded=np.zeros(n, bool))


# ----------------------------------------------------------------------------- DDV search (facts B.7 step 3)
def test_ac_min_ddv_area_is_the_share_needed_at_a_threshold():
    s = _candidates()
    s["rho_swir"][:10] = 0.03                                   # 10 % below Th1
    assert aot.select_ddv(**s, th=DDV).swir_upper == 0.05
    # 15 % required: Th1 and Th2 fail, the last threshold keeps its >= 1 % (manual)
    assert aot.select_ddv(**s, th=replace(DDV, min_ddv_area_percent=15.0)).swir_upper == 0.12


def test_ac_swir_refl_lower_th_excludes_the_darkest_swir():
    s = _candidates()
    s["rho_swir"][:10] = 0.008
    assert not aot.select_ddv(**s, th=DDV).found               # 0.008 < 0.01 (water-like)
    assert aot.select_ddv(**s, th=replace(DDV, swir_refl_lower_th=0.005)).mask.sum() == 10


def test_ac_swir_refl_ndvi_th_excludes_low_ndvi():
    s = _candidates(swir=0.03, nir_toa=0.06)                    # NDVI (0.06 - 0.05) / 0.11 = 0.09
    assert not aot.select_ddv(**s, th=DDV).found
    assert aot.select_ddv(**s, th=replace(DDV, swir_refl_ndvi_th=0.05)).found


def test_ac_ddv_swir_refl_th_are_the_successive_b12_limits():
    s = _candidates()
    s["rho_swir"][:10] = 0.07                                   # above Th1 0.05, below Th2 0.10
    assert aot.select_ddv(**s, th=DDV).swir_upper == 0.10
    assert aot.select_ddv(**s, th=replace(DDV, ddv_swir_refl_th=(0.08, 0.10, 0.12))).swir_upper == 0.08
    assert aot.select_ddv(**s, th=replace(DDV, ddv_swir_refl_th=(0.05, 0.06, 0.075))).swir_upper == 0.075


def test_ac_ddv_16um_refl_th_are_the_red_toa_limits_of_each_iteration():
    s = _candidates()
    s["rho_swir"][:10], s["rho_red_toa"][:10] = 0.03, 0.12     # too bright in red for Th1 (0.10)
    assert aot.select_ddv(**s, th=DDV).swir_upper == 0.10
    assert aot.select_ddv(**s, th=replace(DDV, ddv_16um_refl_th=(0.13, 0.15, 0.18))).swir_upper == 0.05


def test_ac_swir_22um_red_refl_ratio_scales_the_ddv_red_reference():
    assert aot.red_reference(np.array([0.04]), 0.5)[0] == pytest.approx(0.02)
    assert aot.red_reference(np.array([0.04]), 0.6)[0] == pytest.approx(0.024)


def test_ac_ddv_smooting_window_is_the_sigma_of_the_visibility_map():
    index = np.zeros((60, 60), np.float32)
    mask = np.zeros((60, 60), bool)
    patch = (slice(26, 35), slice(26, 35))
    index[patch], mask[patch] = 150.0, True                     # a hazy 9 x 9 DDV patch in a clear scene
    valid = np.ones((60, 60), bool)
    none = visibility.visibility_index_map(index, mask, valid, 0.0, 20.0, smoothing_window_km=0.0)
    assert none[30, 30] == 150 and none.sum() == 150 * 81       # 0 km: not smoothed
    small = visibility.visibility_index_map(index, mask, valid, 0.0, 20.0, smoothing_window_km=0.06)
    large = visibility.visibility_index_map(index, mask, valid, 0.0, 20.0, smoothing_window_km=0.2)
    assert 0 < large[30, 30] < small[30, 30] < 150             # sigma 3 px, then 11 px: wider, lower


# ----------------------------------------------------------------------------- negative checks (step 7)
@pytest.mark.parametrize("element", ["cut_off_aot_iter_vegetation", "cut_off_aot_iter_water"])
def test_ac_cut_off_aot_iter_is_the_reflectance_counted_as_too_dark(element):
    """Both cut-offs are the ``threshold`` of the negative-reflectance fraction (red, then B8A)."""
    rho = np.full((20, 20), 0.008, np.float32)
    scl = np.full((20, 20), 4, np.uint8)
    default = getattr(AcSettings(), element)
    counted = aot.negative_fraction(rho, scl, 0.0, default, 20.0)
    assert counted == (1.0 if default > 0.008 else 0.0)
    assert aot.negative_fraction(rho, scl, 0.0, 0.009, 20.0) == 1.0
    assert aot.negative_fraction(rho, scl, 0.0, 0.007, 20.0) == 0.0


# ----------------------------------------------------------------------------- blue rescaling (facts B.8)
def test_ac_red_blue_refl_ratio_sets_the_assumed_ddv_blue():
    assert scaling.ddv_blue_reflectance(0.02, 0.5) == pytest.approx(0.015)
    assert scaling.ddv_blue_reflectance(0.02, 0.8) == pytest.approx(0.021)


def test_max_sc_blu_bounds_the_blue_rescaling_factor():
    kw = dict(disabler=False, limiter=True)
    assert scaling.blue_scaling_factor(1.5, 1.0, **kw) == pytest.approx(1.1)
    assert scaling.blue_scaling_factor(1.5, 1.0, max_sc_blu=1.3, **kw) == pytest.approx(1.3)


def test_ac_spr_refl_percentage_and_promille_are_the_ddv_shares_needed_for_rescaling():
    assert scaling.ddv_fraction_sufficient(30, 10000)                       # 0.3 %, 3 per mille
    assert not scaling.ddv_fraction_sufficient(30, 10000, spr_refl_percentage=0.5)
    assert not scaling.ddv_fraction_sufficient(30, 10000, spr_refl_promille=4.0)


# ----------------------------------------------------------------------------- terrain (facts B.5, B.10, B.11)
def test_quasi_flat_test_elements():
    """AC_Dem_P2p_Val, AC_Slope_Th, AC_Topo_Corr_Th: flat below all three limits."""
    dem = np.linspace(100.0, 140.0, 100)                        # 40 m peak to peak
    slope = np.zeros(100)
    slope[:5] = 10.0                                            # 5 % steeper than 6
    assert not terrain.is_quasi_flat(dem, slope)                # 5 % >= AC_Topo_Corr_Th 1 %
    assert terrain.is_quasi_flat(dem, slope, topo_corr_th=0.06)
    assert terrain.is_quasi_flat(dem, slope, slope_th=12.0)
    assert not terrain.is_quasi_flat(dem, slope, dem_p2p_val_m=30.0, topo_corr_th=0.06)


def test_ac_rng_nbhd_terrain_corr_is_the_terrain_neighbourhood_radius():
    assert terrain.terrain_radius_px(0.5, 20.0) == 25
    assert terrain.terrain_radius_px(1.0, 20.0) == 50


def test_ac_topo_corr_cutoff_caps_the_step1_reflectance():
    args = (np.array([10.0]), np.array([0.0]), np.array([10.0]))
    assert surface.step1_reflectance(*args)[0] == pytest.approx(1.5)        # pi > 1.5
    assert surface.step1_reflectance(*args, cutoff=2.0)[0] == pytest.approx(2.0)


def test_ac_terrain_refl_start_is_the_start_terrain_reflectance():
    e = surface.terrain_start_irradiance(np.array([100.0]), np.array([20.0]), 0.8, 0.5, 0.1)
    assert e[0] == pytest.approx((100 * 0.8 + 20) * 0.5 * 0.1)
    assert surface.terrain_start_irradiance(np.array([100.0]), np.array([20.0]), 0.8, 0.5, 0.2)[0] == \
        pytest.approx(2 * e[0])


def test_ac_vegetation_index_th_separates_vegetation_for_the_brdf():
    nir, red = np.full((7, 7), 0.4, np.float32), np.full((7, 7), 0.1, np.float32)   # NIR / red = 4
    assert brdf.vegetation_mask(nir, red).all()
    assert not brdf.vegetation_mask(nir, red, vegetation_index_th=5.0).any()


@pytest.fixture(scope="module")
def lut():
    return make_table()


def test_ac_max_nr_topo_iter_zero_drops_the_reflected_terrain_irradiance(lut):
    scene, _ = _rugged_scene(lut)
    settings = AcSettings(adj_km=0.0)
    with_terrain = driver.correct_resolution(scene, lut, settings)
    without = driver.correct_resolution(scene, lut, replace(settings, max_nr_topo_iter=0))
    once = driver.correct_resolution(scene, lut, replace(settings, max_nr_topo_iter=1))
    for band in ("B04", "B8A"):   # no terrain irradiance: smaller denominator, brighter surface
        assert np.all(without.surface_reflectance[band] >= with_terrain.surface_reflectance[band] - 1e-7)
        assert (without.surface_reflectance[band] > with_terrain.surface_reflectance[band] + 1e-4).any()
        # a switch, not a count (Sen2Cor tests > 0): 1 and 3 give the same product
        np.testing.assert_array_equal(once.surface_reflectance[band], with_terrain.surface_reflectance[band])


def test_ac_max_nr_topo_iter_zero_leaves_no_terrain_step_at_all(lut):
    """Without reflected terrain irradiance its start value (AC_Terrain_Refl_Start, replaced in the second
    step) cannot matter: no second terrain step runs. With it, the start value matters."""
    scene, _ = _rugged_scene(lut)
    settings = AcSettings(adj_km=0.0)

    def boa(**changes):
        return driver.correct_resolution(scene, lut, replace(settings, **changes)).surface_reflectance["B04"]

    off = boa(max_nr_topo_iter=0)
    np.testing.assert_array_equal(boa(max_nr_topo_iter=0, terrain_refl_start=0.4), off)
    assert not np.array_equal(boa(terrain_refl_start=0.4), boa())


def test_adj_km_of_one_pixel_corrects_with_a_3x3_box(lut):
    """Adj_Km 0.02 km at 20 m is n_adj = 1 (odd already): the adjacency correction runs with a 3 x 3 box,
    different from none and from 0.06 km (n_adj 3)."""
    scene, _ = make_scene(lut, n=20, bg_uniform=False)
    boa = {km: driver.correct_resolution(scene, lut, AcSettings(adj_km=km)).surface_reflectance["B04"]
           for km in (0.0, 0.02, 0.06)}
    assert np.abs(boa[0.02] - boa[0.0]).max() > 1e-4
    assert np.abs(boa[0.02] - boa[0.06]).max() > 2e-5


def test_band_wavelengths_decide_which_bands_get_the_adjacency_correction(lut):
    scene, _ = make_scene(lut, bg_uniform=False)
    adjacency = AcSettings(adj_km=1.0)
    wavelengths = dict(adjacency.wavelength_um, B12=2.5)        # beyond 2.46 um: no adjacency
    moved = driver.correct_resolution(scene, lut, replace(adjacency, wavelength_um=wavelengths))
    plain = driver.correct_resolution(scene, lut, adjacency)
    off = driver.correct_resolution(scene, lut, replace(adjacency, adj_km=0.0))
    np.testing.assert_array_equal(moved.surface_reflectance["B12"], off.surface_reflectance["B12"])
    assert not np.array_equal(plain.surface_reflectance["B12"], off.surface_reflectance["B12"])
    np.testing.assert_array_equal(moved.surface_reflectance["B04"], plain.surface_reflectance["B04"])


@pytest.mark.parametrize("season", ["summer", "winter"])
def test_ac_wv_iter_start_is_the_first_water_vapour_of_the_apda_iteration(lut, season):
    """AC_Wv_Iter_Start_Summer / _Winter: the water vapour of the first path-radiance pre-correction of
    the APDA retrieval (facts B.9): a start on the truth ends nearer to it than a start far off."""
    scene, _ = make_scene(lut, wv_cm=2.0, season=season)
    field = f"wv_iter_start_{season}_cm"
    near = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, **{field: 2.0}))
    far = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, **{field: 0.1}))
    assert abs(near.wv_label_mean_cm - 2.0) < abs(far.wv_label_mean_cm - 2.0)
