"""Physical consistency of the generated scenes for the atmospheric-correction closed loop: dense
vegetation obeys Sen2Cor's DDV relations on average, AOT varies over tens of km, winter water vapour
fits the winter LUTs."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from sen2cor.testing import forward
from sen2cor.testing.noise import regional_field
from sen2cor.testing.scene import SceneOptions, synthesize_scene
from sen2cor.testing.spectra import COVERS, cover_reflectance

DENSE = COVERS.index("dense_vegetation")
#: Sea-level water-vapour columns of Sen2Cor's winter LUTs (wv02 .. wv11), cm.
WINTER_LUT_WV_CM = (0.2, 1.1)


def _scene(season: str = "summer", **options):
    opts = replace(SceneOptions.for_kind("clear"), **options)
    return synthesize_scene(300, np.random.default_rng(4), opts, 40.0, 160.0, 5.0, 100.0, season=season)


def test_regional_field_is_defined_in_metres_not_pixels():
    # the same field sampled every 20 m and every 60 m agrees at the common pixel centres
    fine = regional_field((300, 300), np.random.default_rng(1), 20.0, 30_000.0)
    coarse = regional_field((100, 100), np.random.default_rng(1), 60.0, 30_000.0)
    np.testing.assert_allclose(fine[1::3, 1::3], coarse, atol=1e-5)


def test_regional_field_small_scene_sees_a_fraction_of_the_tile_variance():
    tile = regional_field((1098, 1098), np.random.default_rng(2), 100.0, 30_000.0)   # 110 km at 100 m
    small = regional_field((300, 300), np.random.default_rng(2), 20.0, 30_000.0)     # 6 km
    assert 0.6 < tile.std() < 1.4
    assert small.std() < 0.3 * tile.std()


def test_aot_field_has_nothing_the_1km_retrieval_smoothing_would_remove():
    aot = _scene().aot550.astype(np.float64)
    smoothed = ndimage.gaussian_filter(aot, 50.0, mode="nearest")        # sigma 1 km at 20 m
    assert np.sqrt(np.mean((aot - smoothed) ** 2)) < 0.003


@pytest.mark.parametrize("spread", [0.15, 0.0])
def test_dense_vegetation_follows_sen2cors_ddv_relations_on_average(spread):
    sc = _scene(ddv_spread=spread)
    dense = sc.cover == DENSE
    assert dense.mean() > 0.1
    rho = {b: forward.surface_reflectance_20m(sc, b)[dense] for b in ("B02", "B04", "B12")}
    red_ratio = rho["B04"] / rho["B12"]
    blue_ratio = rho["B02"] / rho["B04"]
    # AC_Swir_22um_Red_Refl_Ratio = 0.5 and AC_Red_Blue_Refl_Ratio = 0.5 (L2A_CAL_AC_GIPP defaults)
    assert np.mean(red_ratio) == pytest.approx(0.5, abs=0.01)
    assert np.mean(blue_ratio) == pytest.approx(0.5, abs=0.01)
    assert np.std(red_ratio / 0.5) == pytest.approx(spread, abs=0.03)
    assert np.std(blue_ratio / 0.5) == pytest.approx(spread, abs=0.03)


def test_dense_vegetation_is_ddv_dark_and_other_covers_untouched():
    veg = cover_reflectance("dense_vegetation")
    assert 0.01 < veg["B12"] < 0.05 and veg["B8A"] < 0.38      # Sen2Cor's first DDV window, NIR limit
    sc = _scene()
    soil = sc.cover == COVERS.index("bare_soil")
    if soil.any():
        b04 = forward.surface_reflectance_20m(sc, "B04")[soil]
        expected = cover_reflectance("bare_soil")["B04"] * sc.brightness[soil]
        np.testing.assert_allclose(b04, expected, rtol=1e-6)


def test_winter_water_vapour_lies_in_the_winter_luts():
    wv = _scene("winter").wv_sea_level_cm
    assert np.mean(wv) == pytest.approx(0.8, abs=0.1)               # mid-latitude winter column ~0.85 cm
    assert WINTER_LUT_WV_CM[0] <= np.percentile(wv, 0.5) and np.percentile(wv, 99.5) <= WINTER_LUT_WV_CM[1]
    assert np.mean(_scene("summer").wv_sea_level_cm) == pytest.approx(2.0, abs=0.2)
    assert np.mean(_scene("winter", wv_sea_level_cm=1.5).wv_sea_level_cm) == pytest.approx(1.5, abs=0.1)


def test_unknown_season_is_rejected():
    with pytest.raises(ValueError, match="season"):
        _scene("monsoon")


def test_generated_winter_product_records_winter_water_vapour(truth):
    # the session product: 29UNU (53 N) on 5 October -> Sen2Cor's winter season
    wv = truth["scene"]["wv_sea_level_cm"]
    assert np.percentile(wv, 99) <= WINTER_LUT_WV_CM[1]
    assert {"ddv_red_deviation_pct", "ddv_blue_deviation_pct"} <= set(truth["scene"])


def _toa_one(band, cos_i, sky_view, cast, rho=0.2, rho_env=0.3, sza=40.0):
    from sen2cor.testing.atmosphere import AnalyticAtmosphere
    from sen2cor.testing.spectra import band_info

    atm = AnalyticAtmosphere({b: i.central_nm for b, i in band_info("S2A").items()})
    one = lambda v: np.array([v], dtype=np.float32)  # noqa: E731
    geom = forward.Geometry(one(sza), one(150.0), one(5.0), one(100.0))
    toa, _ = forward.toa_reflectance(atm, band, one(rho), one(rho_env), geom, one(0.0), one(0.15), one(2.0),
                                     one(0.0), one(0.0), one(0.0), one(cast), one(cos_i), one(sky_view),
                                     one(0.0), one(1.0))
    o = atm.optics(band, one(sza), one(5.0), one(50.0), one(0.0), one(0.15), one(2.0))
    return float(toa[0]), o


def test_flat_sunlit_ground_gets_direct_plus_diffuse_irradiance():
    cos_sza = np.cos(np.deg2rad(40.0))
    toa, o = _toa_one("B04", cos_sza, 1.0, 0.0)
    t_down = o.t_down_dir + o.t_down_dif
    expected = o.path_reflectance + o.gas_transmittance * t_down * (o.t_up_dir * 0.2 + o.t_up_dif * 0.3) / (
        1 - o.spherical_albedo * 0.3)
    assert toa == pytest.approx(float(expected[0]), rel=1e-5)


def test_shaded_slope_keeps_isotropic_sky_and_terrain_reflected_light():
    # cast shadow on a slope seeing 80 % of the sky: no beam, no circumsolar part (Hay: fraction t_down_dir
    # of the diffuse), the isotropic rest through the sky view, and 20 % of the hemisphere filled by
    # surroundings of reflectance rho_env lit like flat ground
    toa, o = _toa_one("B04", 0.5, 0.8, 1.0)
    k = o.t_down_dir
    t_down = o.t_down_dif * (1 - k) * 0.8 + (o.t_down_dir + o.t_down_dif) * 0.2 * 0.3
    expected = o.path_reflectance + o.gas_transmittance * t_down * (o.t_up_dir * 0.2 + o.t_up_dif * 0.3) / (
        1 - o.spherical_albedo * 0.3)
    assert toa == pytest.approx(float(expected[0]), rel=1e-5)
    sunlit, _ = _toa_one("B04", 0.5, 0.8, 0.0)
    assert sunlit > toa + 0.05


@pytest.mark.parametrize("range_m, blocks", [(500.0, 8), (1000.0, 17)])
def test_adjacency_environment_reaches_its_range_around_a_pixel(range_m, blocks):
    # one bright 60 m pixel in a black 12 km scene: its light reaches every pixel within the range (a box
    # of 2 blocks + 1 pixels of 60 m) with weight 1 / box area, and nothing farther away
    rho = np.zeros((600, 600), dtype=np.float32)
    rho[300:303, 300:303] = 1.0
    env = forward.environment_reflectance(rho, range_m)
    weight = 1.0 / (2 * blocks + 1) ** 2
    assert env[301, 301] == pytest.approx(weight, rel=1e-4)
    assert env[301, 301 + 3 * blocks] == pytest.approx(weight, rel=1e-4)        # at the range, east
    assert env[301, 301 + 3 * blocks + 3] == 0.0 and env[301 - 3 * blocks - 3, 301] == 0.0


@pytest.mark.parametrize("mean", [0.01, 2.0])
def test_truth_aot_stays_inside_the_lut_visibility_range(mean):
    """The forward model clamps to 5-120 km visibility at the ground height, so the truth must too: AOT550
    between Sen2Cor's values for 120 km and 5 km at each pixel's elevation (0.079 / 1.19 at sea level)."""
    from sen2cor.rtm import grid

    opts = replace(SceneOptions(), aot550_mean=mean, aot550_amplitude=0.05, relief_m=2000.0)
    scene = synthesize_scene(120, np.random.default_rng(8), opts, 40.0, 160.0, 5.0, 100.0)
    z_km = np.clip(scene.dem_m, 0.0, None) / 1000.0
    low, high = grid.visibility_to_aot550(120.0, z_km), grid.visibility_to_aot550(5.0, z_km)
    assert np.all(scene.aot550 >= low * (1 - 1e-6)) and np.all(scene.aot550 <= high * (1 + 1e-6))
    bound = low if mean < 1 else high
    assert np.allclose(scene.aot550, bound, rtol=1e-5)      # the whole field lies beyond the range: clipped
    assert np.ptp(bound) > 0.005                             # and the bound follows the terrain height
