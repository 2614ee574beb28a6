"""Sen2Cor's numbers of the blue rescaling (facts B.8), terrain (B.5, B.11), BRDF (B.12) and adjacency (B.11)
steps, each on both sides of its value, with hand-derived expectations."""

import numpy as np
import pytest

from sen2cor.atmcorr import adjacency, brdf, scaling, terrain
from sen2cor.errors import ConfigError


# --- blue path-radiance rescaling (B.8) ---

@pytest.mark.parametrize(("n_ddv", "n_valid", "enough"), [
    (25, 10_000, True),      # 0.25 % and 2.5 per mille: both limits met exactly
    (24, 10_000, False),     # 0.24 % < 0.25 %
    (3, 1_000, True),        # 0.3 % and 3 per mille
    (3, 10_001, False),      # 0.029997 % < 0.25 %
    (0, 0, False),
])
def test_ddv_fraction_limits(n_ddv, n_valid, enough):
    assert scaling.ddv_fraction_sufficient(n_ddv, n_valid) is enough


def test_ddv_fraction_per_mille_limit():
    # percentage limit 0 isolates the per-mille limit 0.3: 3 of 10 000 = 0.3 per mille
    assert scaling.ddv_fraction_sufficient(3, 10_000, spr_refl_percentage=0.0)
    assert not scaling.ddv_fraction_sufficient(2, 10_000, spr_refl_percentage=0.0)


def test_blue_reference_is_half_red_plus_0_005():
    assert scaling.ddv_blue_reflectance(0.04) == pytest.approx(0.025)
    assert scaling.ddv_blue_reflectance(0.04, 0.4) == pytest.approx(0.021)


def test_scene_path_radiance_with_half_adjacency():
    # L* = 5 + 0.5 * 0.2 * (5 - 7) = 4.8; minus 0.02 * (100 * 0.5 + 30) / pi
    got = scaling.scene_path_radiance(5.0, 7.0, 0.2, 0.02, 100.0, 30.0, 0.5)
    assert got == pytest.approx(4.8 - 0.02 * 80.0 / np.pi)


@pytest.mark.parametrize(("scene", "lut", "expected"), [
    (2.11, 2.0, 1.055),      # |sc - 1| = 0.055 > 0.05: applied
    (1.89, 2.0, 0.945),
    (0.0, 2.0, 0.9),         # sc = 0 -> clipped to 0.9 (a zero path radiance is not negative)
    (2.2, 0.0, 1.0),         # no LUT path radiance
    (float("nan"), 2.0, 1.0),
])
def test_blue_scaling_limits(scene, lut, expected):
    assert scaling.blue_scaling_factor(scene, lut, disabler=False) == pytest.approx(expected)


def test_blue_scaling_threshold_is_strict():
    # sc = 1.25 exactly; |sc - 1| = 0.25 is not above AC_Aerosol_Type_Ratio_Th = 0.25
    kwargs = dict(disabler=False, limiter=False)
    assert scaling.blue_scaling_factor(2.5, 2.0, aerosol_type_ratio_th=0.25, **kwargs) == 1.0
    assert scaling.blue_scaling_factor(2.5, 2.0, aerosol_type_ratio_th=0.2499, **kwargs) == 1.25
    assert scaling.blue_scaling_factor(1.5, 2.0, aerosol_type_ratio_th=0.25, **kwargs) == 1.0


def test_blue_scaling_limits_are_the_gipp_values():
    assert scaling.blue_scaling_factor(3.0, 2.0, disabler=False, max_sc_blu=1.3) == pytest.approx(1.3)
    assert scaling.blue_scaling_factor(1.0, 2.0, disabler=False) == pytest.approx(0.9)
    assert scaling.blue_scaling_factor(2.1, 2.0, disabler=False, aerosol_type_ratio_th=0.04) == pytest.approx(1.05)


def test_band_factors_below_blue_and_at_red():
    f = scaling.band_scaling_factors({"B01": 0.443, "B04": 0.665, "B05": 0.705}, 1.1)
    t = (np.log(0.665) - np.log(0.443)) / (np.log(0.665) - np.log(0.490))
    assert f["B01"] == pytest.approx(1.1 ** t) and f["B01"] > 1.1
    assert f["B04"] == 1.0 and f["B05"] == 1.0
    assert scaling.band_scaling_factors({"B01": 0.443}, 1.0) == {"B01": 1.0}


# --- terrain ---

@pytest.mark.parametrize(("p2p_m", "flat"), [(49.0, True), (50.0, False)])
def test_quasi_flat_peak_to_peak_limit_is_50_m(p2p_m, flat):
    dem = np.array([[100.0, 100.0 + p2p_m]])
    assert terrain.is_quasi_flat(dem, np.zeros((1, 2))) is flat


def test_quasi_flat_steep_fraction_limit_is_1_percent():
    dem = np.full((10, 20), 100.0)
    slope = np.zeros((10, 20))
    slope.reshape(-1)[:1] = 7.0             # 0.5 % steeper than 6: flat
    assert terrain.is_quasi_flat(dem, slope)
    slope.reshape(-1)[:2] = 7.0             # 1.0 % is not below 1 %
    assert not terrain.is_quasi_flat(dem, slope)
    slope[:] = 6.0                          # exactly 6 is not steeper than 6
    assert terrain.is_quasi_flat(dem, slope)


def test_quasi_flat_ignores_sea_level_pixels_only():
    dem = np.array([[0.0, -5.0, 100.0, 140.0]])  # only heights > 0 count: 40 m
    assert terrain.is_quasi_flat(dem, np.zeros(dem.shape))
    assert terrain.is_quasi_flat(np.zeros((2, 2)), np.zeros((2, 2)))


@pytest.mark.parametrize(("km", "pixel", "radius"), [(0.5, 20, 25), (0.5, 60, 8), (0.5, 10, 50), (0.05, 20, 3),
                                                     (0.07, 20, 3), (0.09, 20, 4)])
def test_terrain_radius_is_at_least_3(km, pixel, radius):
    assert terrain.terrain_radius_px(km, pixel) == radius


def test_illumination_rounds_to_1_255_and_floors_at_26():
    cb = terrain.illumination(np.array([25.4 / 255, 26.6 / 255, 100.5001 / 255, 1.5]))
    np.testing.assert_allclose(cb * 255, [26, 27, 101, 255], atol=1e-4)
    assert cb.dtype == np.float32


def test_terrain_irradiance_uses_the_local_and_the_mean_sky_view():
    # rho_t 0.5; V_sky 0.5 at the centre pixel, 1 elsewhere (box 3x3: mean 17/18)
    rho = np.full((3, 3), 0.5, np.float32)
    vsky = np.ones((3, 3), np.float32)
    vsky[1, 1] = 0.5
    e = terrain.terrain_irradiance(rho, vsky, 100.0, 20.0, 0.8, 1)
    x, x_bar = 0.5 * 0.5, (1 - 17 / 18) * 0.5
    assert e[1, 1] == pytest.approx(100.0 * x / (1 - x_bar), rel=1e-5)
    assert e[0, 0] == pytest.approx(0.8, rel=1e-5)   # V_sky 1: the floor 0.01 E0t cos SZA
    neg = terrain.terrain_irradiance(-rho, vsky, 100.0, 20.0, 0.8, 1)
    assert neg[1, 1] == pytest.approx(0.8, rel=1e-5)  # negative background is clipped to 0


# --- BRDF (B.12) ---

@pytest.mark.parametrize(("sza", "beta_t"), [(34.9, 59.9), (35.0, 55.0), (44.9, 64.9), (45.0, 60.0), (49.9, 64.9),
                                             (50.0, 60.0), (59.9, 69.9), (60.0, 70.0), (64.9, 70.0), (66.0, 71.0)])
def test_brdf_threshold_angle_boundaries(sza, beta_t):
    assert brdf.threshold_angle_deg(sza) == pytest.approx(beta_t)


@pytest.mark.parametrize(("code", "wavelength", "vegetation", "exponent"), [
    (1, 0.665, False, 1.0), (2, 0.665, False, 0.5), (11, 0.665, False, 1.0), (21, 0.665, False, 0.5),
    (12, 0.665, False, 1.0), (22, 0.865, False, 0.5),
    (11, 0.719, True, 0.75), (11, 0.72, True, 1 / 3), (12, 0.865, True, 1.0), (21, 0.865, True, 1 / 3),
    (22, 0.865, True, 1.0), (22, 0.49, True, 0.75), (1, 0.865, True, 1.0), (2, 0.865, True, 0.5),
])
def test_brdf_exponents(code, wavelength, vegetation, exponent):
    assert brdf.brdf_exponent(code, wavelength, vegetation) == pytest.approx(exponent)


@pytest.mark.parametrize("code", [0, 3, 10, 13, 23, -1])
def test_brdf_invalid_codes(code):
    with pytest.raises(ConfigError, match=f"BRDF_Correction = {code}"):
        brdf.brdf_exponent(code, 0.665, False)


def test_brdf_vegetation_mask_thresholds():
    # NIR > 0.1 and NIR / red > 3 (strict); a uniform 7x7 field is unaffected by the 5x5 median
    def veg(nir, red):
        return bool(brdf.vegetation_mask(np.full((7, 7), nir), np.full((7, 7), red))[3, 3])

    assert veg(0.11, 0.03) and not veg(0.1, 0.01) and not veg(0.3, 0.1) and veg(0.3, 0.0999)


def test_brdf_vegetation_pixels_use_their_exponent():
    rho = np.full(2, 0.2, np.float32)
    cos_beta = np.full(2, np.cos(np.deg2rad(80.0)))
    veg = np.array([True, False])
    out = brdf.brdf_correct(rho, cos_beta, 30.0, 11, 0.865, 0.0, vegetation=veg)
    g = np.cos(np.deg2rad(80.0)) / np.cos(np.deg2rad(55.0))
    assert out[0] == pytest.approx(0.2 * g ** (1 / 3), rel=1e-5) and out[1] == pytest.approx(0.2 * g, rel=1e-5)
    assert out.dtype == np.float32
    shadowed = brdf.brdf_factor(np.array([-0.2]), 30.0, 1.0, 0.22)
    assert shadowed[0] == pytest.approx(0.22)


# --- adjacency (B.11) ---

@pytest.mark.parametrize(("wavelength", "corrected"), [(0.443, True), (1.349, True), (1.35, False), (1.375, False),
                                                       (1.45, False), (1.451, True), (1.61, True), (1.799, True),
                                                       (1.8, False), (1.95, False), (1.951, True), (2.19, True),
                                                       (2.46, True), (2.461, False)])
def test_adjacency_band_windows(wavelength, corrected):
    assert adjacency.band_has_adjacency(wavelength) is corrected


@pytest.mark.parametrize(("adj_km", "pixel", "radius"), [(0.024, 20, 1), (0.03, 20, 3), (0.05, 20, 3), (0.07, 20, 5),
                                                         (2.0, 20, 101), (0.009, 20, 0)])
def test_adjacency_radius_rounding(adj_km, pixel, radius):
    # round(Adj_Km * 1000 / pixel), made odd; 0 stays 0
    assert adjacency.adjacency_radius_px(adj_km, pixel) == radius


def test_adjacency_border_gets_one_tenth_more():
    rho = np.array([0.1, 0.1], np.float32)
    bg = np.array([0.3, 0.3], np.float32)
    out = adjacency.adjacency_correction(rho, bg, 0.5, border=np.array([True, False]))
    assert out[0] == pytest.approx(0.1 + 1.1 * 0.5 * (0.1 - 0.3), rel=1e-5)
    assert out[1] == pytest.approx(0.1 + 0.5 * (0.1 - 0.3), abs=1e-6)


def test_border_zone_is_strictly_between_0_and_250():
    valid = np.ones((1, 40), bool)
    valid[0, :10] = False
    zone = adjacency.border_zone(valid, 3)
    # 7 px box along a row edge-replicated: valid pixels 10..12 see 3..6 invalid neighbours -> < 250
    assert zone[0, 10:13].all() and not zone[0, 13:].any() and not zone[0, :10].any()
    assert not adjacency.border_zone(valid, 0).any()


def test_background_replaces_clouds_by_the_clear_mean_and_clips_at_zero():
    rho = np.array([[0.1, 0.3, 0.9, -0.5]], np.float32)
    cloud = np.array([[False, False, True, False]])
    bg = adjacency.background_reflectance(rho, 0, replace=cloud)
    # radius 0: the pixel itself, the cloud replaced by mean(0.1, 0.3, -0.5) = -0.0333 -> clipped 0
    np.testing.assert_allclose(bg, [[0.1, 0.3, 0.0, 0.0]], atol=1e-7)
    bg = adjacency.background_reflectance(rho, 0, replace=cloud, fill_value=0.2)
    np.testing.assert_allclose(bg, [[0.1, 0.3, 0.2, 0.0]], atol=1e-7)


# --- cirrus correction (B.13) ---

def test_cirrus_pixel_thresholds():
    from sen2cor.atmcorr import cirrus

    rho = np.array([0.02, 0.0201, 0.014, 0.0141, 0.5], np.float32)
    valid = np.array([True, True, True, True, False])
    # enough pixels above 2 %: only those (strictly above); the invalid one never counts
    assert cirrus.cirrus_pixels(rho, valid, min_pixels=1).tolist() == [False, True, False, False, False]
    # fewer than min_pixels above 2 %: the 1.4 % threshold (strict)
    assert cirrus.cirrus_pixels(rho, valid, min_pixels=2).tolist() == [True, True, False, True, False]
    assert cirrus.cirrus_pixels(rho, valid).tolist() == [True, True, False, True, False]   # 10 000 by default


def test_cirrus_gamma_and_the_swir_factor():
    from sen2cor.atmcorr import cirrus

    n = 3000
    rho_cir = np.full(n, 0.03, np.float32)
    cir = np.zeros(n, bool)
    cir[:1000] = True
    clear = ~cir
    band = np.where(cir, 0.1 + 0.03 / 0.8, 0.1).astype(np.float32)   # excess 0.0375 = rho_cir / 0.8
    assert cirrus.estimate_gamma([band], rho_cir, cir, clear) == pytest.approx(0.8, rel=1e-5)
    few_clear = clear.copy()
    few_clear[1000:1001 + n - 1000 - 1999] = False                    # 1999 clear pixels
    assert cirrus.estimate_gamma([band], rho_cir, cir, few_clear) is None
    assert cirrus.estimate_gamma([band], rho_cir, np.zeros(n, bool), clear) is None
    assert cirrus.estimate_gamma([np.full(n, 0.1, np.float32)], rho_cir, cir, clear) is None  # no excess
    assert cirrus.estimate_gamma([band], np.zeros(n, np.float32), cir, clear) is None         # no cirrus signal
    assert cirrus.estimate_gamma([np.where(cir, 0.2, 0.1)], rho_cir, cir, clear) == 0.6       # clipped
    out = cirrus.correct_cirrus(np.array([0.2], np.float32), np.array([0.04], np.float32), 0.8, 1.5)
    assert out[0] == pytest.approx(0.2 - 0.04 / 1.6) and out.dtype == np.float32
    assert cirrus.correct_cirrus(np.array([0.2]), np.array([0.04]), 0.8, 1.49)[0] == pytest.approx(0.15)
    assert cirrus.correct_cirrus(np.array([0.01]), np.array([0.04]), 0.8, 0.49)[0] == 0.0


def test_cirrus_first_threshold_needs_10000_pixels_and_gamma_is_at_most_1():
    from sen2cor.atmcorr import cirrus

    rho = np.full(10_050, 0.03, np.float32)
    rho[10_000:] = 0.017                       # between 1.4 % and 2 %
    valid = np.ones(rho.size, bool)
    assert cirrus.cirrus_pixels(rho, valid).sum() == 10_000       # 10 000 above 2 %: enough
    rho[0] = 0.017
    assert cirrus.cirrus_pixels(rho, valid).sum() == 10_050       # 9 999: the 1.4 % threshold
    n = 3000
    cir = np.zeros(n, bool)
    cir[:1000] = True
    band = np.where(cir, 0.1 + 0.03 / 1.5, 0.1).astype(np.float32)   # gamma 1.5 -> clipped to 1.0
    assert cirrus.estimate_gamma([band], np.full(n, 0.03, np.float32), cir, ~cir) == 1.0


def test_box_mean_switches_to_the_block_grid_at_radius_16():
    assert adjacency.uses_block_grid(16, (200, 200)) and not adjacency.uses_block_grid(15, (200, 200))
    assert not adjacency.uses_block_grid(16, (31, 200)) and adjacency.uses_block_grid(16, (32, 200))
