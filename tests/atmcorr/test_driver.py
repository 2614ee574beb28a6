"""End-to-end checks of one resolution on synthetic scenes built with the analytic atmosphere."""

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import driver, rtables, step2, visibility
from sen2cor.rtm import grid
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr.analytic_atmosphere import E0, make_table, toa_reflectance

SZA, SAA = 35.0, 150.0
VEG = {
    "B01": 0.025,
    "B02": 0.025,
    "B03": 0.05,
    "B04": 0.02,
    "B05": 0.08,
    "B06": 0.25,
    "B07": 0.32,
    "B8A": 0.35,
    "B09": 0.35,
    "B10": 0.2,
    "B11": 0.16,
    "B12": 0.04,
}
SOIL = {
    "B01": 0.08,
    "B02": 0.09,
    "B03": 0.12,
    "B04": 0.16,
    "B05": 0.19,
    "B06": 0.21,
    "B07": 0.23,
    "B8A": 0.25,
    "B09": 0.26,
    "B10": 0.3,
    "B11": 0.33,
    "B12": 0.28,
}


@pytest.fixture(scope="module")
def lut():
    return make_table()


def make_scene(
    lut,
    *,
    vis_km=20.0,
    wv_cm=2.0,
    altitude_km=0.1,
    n=60,
    soil_cols=0,
    noise=0.03,
    seed=0,
    bg_uniform=True,
    blue_from_red=False,
    **kw,
):
    """TOA reflectance of a vegetation (+ soil columns) scene through the 6S forward model."""
    rng = np.random.default_rng(seed)
    scl = np.full((n, n), 4, np.uint8)
    scl[:, :soil_cols] = 5
    rho = {}
    for b in lut.bands:
        r = np.full((n, n), VEG[b], np.float32)
        r[:, :soil_cols] = SOIL[b]
        rho[b] = (r * (1 + noise * rng.standard_normal((n, n)))).astype(np.float32)
    rho["B04"] = np.where(scl == 4, 0.5 * rho["B12"], rho["B04"]).astype(np.float32)  # DDV red = B12 / 2
    if blue_from_red:  # DDV blue as Sen2Cor assumes it: 0.5 red + 0.005
        rho["B02"] = np.where(scl == 4, 0.5 * rho["B04"] + 0.005, rho["B02"]).astype(np.float32)
    rho["B09"] = (rho["B8A"] * np.where(scl == 4, VEG["B09"] / VEG["B8A"], SOIL["B09"] / SOIL["B8A"])).astype(
        np.float32
    )
    f = lut.interpolate(SZA, 0.0, 0.0, altitude_km, vis_km, wv_cm)
    toa = {
        b: toa_reflectance(f, i, rho[b], None if bg_uniform else np.full_like(rho[b], rho[b].mean()))
        for i, b in enumerate(lut.bands)
    }
    scene = driver.SceneInputs(20, toa, scl, {b: E0[b] for b in lut.bands}, SZA, SAA, 0.0, SAA, **kw)
    return scene, rho


def run(scene, lut, **changes):
    """The driver with the black-background forward model's reference albedo (0; Sen2Cor's default 0.15 is
    checked in test_default_reference_albedo_is_sen2cors_for_every_table)."""
    settings = replace(AcSettings(adj_km=0.0, reference_albedo=0.0), **changes)
    return driver.correct_resolution(scene, lut, settings)


def test_ddv_retrieval_converges_to_the_true_visibility(lut):
    scene, rho = make_scene(lut)
    res = run(scene, lut)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV"
    true_index = visibility.visibility_to_index(20.0)
    assert abs(np.median(res.vis_index) - true_index) <= 1
    assert res.info["GRANULE_MEAN_AOT"] == pytest.approx(grid.visibility_to_aot550(20.0, 0.1), abs=0.01)


def test_surface_reflectance_and_water_vapour_close_the_loop(lut):
    # WV on a LUT node: between nodes the multilinear LUT and the fitted APDA curve differ by ~1 %
    scene, rho = make_scene(lut)
    res = run(scene, lut)
    assert "B10" not in res.surface_reflectance
    for b, r in res.surface_reflectance.items():
        assert np.abs(r - rho[b]).mean() < 0.002, b
    assert res.wv_label_mean_cm == pytest.approx(2.0, abs=0.03)
    assert res.info["GRANULE_MEAN_WV"] == pytest.approx(2.0 * np.interp(0.1, [0, 0.5], [1, 0.77]), abs=0.03)


def test_ten_metre_run_reuses_the_20m_visibility_and_scene_wv(lut):
    scene20, _ = make_scene(lut, n=30)
    res20 = run(scene20, lut)
    bands10 = ("B02", "B03", "B04", "B8A")  # the analytic table has no B08; B8A stands in
    scene10, rho10 = make_scene(lut, n=60)
    scene10 = replace(scene10, resolution_m=10, toa={b: scene10.toa[b] for b in bands10})
    res10 = driver.correct_resolution(scene10, lut, AcSettings(adj_km=0.0), prior=res20.for_10m())
    np.testing.assert_array_equal(res10.vis_index[::2, ::2], res20.vis_index)
    assert res10.wv_label_mean_cm == res20.wv_label_mean_cm
    assert np.all(res10.wv_cm == res10.wv_cm[0, 0])
    assert set(res10.surface_reflectance) == set(bands10)
    assert np.abs(res10.surface_reflectance["B04"] - rho10["B04"]).mean() < 0.002


def test_no_ddv_uses_the_start_visibility(lut):
    scene, _ = make_scene(lut, soil_cols=60)
    res = run(scene, lut, visibility_km=40.0)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "DEFAULT"
    assert res.info["FINAL_VISIBILITY"] == pytest.approx(
        visibility.VISEXT_KM[visibility.visibility_to_index(40)]
    )
    res15 = run(scene, lut, visibility_km=15.0)
    assert res15.info["GRANULE_MEAN_AOT"] > res.info["GRANULE_MEAN_AOT"]


def test_no_ddv_with_cams_uses_cams_aod(lut):
    aod = np.full((9, 9), 0.25)
    scene, _ = make_scene(
        lut, soil_cols=60, cams_aod550=aod, cams_geopotential=np.full((9, 9), 100 * 9.80665)
    )
    res = run(scene, lut)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "CAMS"
    assert res.info["GRANULE_MEAN_AOT"] == pytest.approx(0.25, abs=0.01)


def test_vis_update_mode_zero_gives_a_constant_map(lut):
    hazy, _ = make_scene(lut, n=120, vis_km=12.0)
    clear, _ = make_scene(lut, n=120, vis_km=60.0)
    toa = {b: np.concatenate([hazy.toa[b][:, :60], clear.toa[b][:, 60:]], axis=1) for b in hazy.toa}
    scene = replace(hazy, toa=toa)
    varying = run(scene, lut, vis_update_mode=1)
    constant = run(scene, lut, vis_update_mode=0)
    assert np.ptp(constant.vis_index) == 0
    assert varying.vis_index[:, 0].mean() > varying.vis_index[:, -1].mean() + 10  # hazier left half


def test_wv_correction_off_uses_the_lut_main_level(lut):
    scene, rho = make_scene(lut, wv_cm=4.0)
    res = run(scene, lut, wv_correction=0)
    assert res.info["WV_RETRIEVAL_METHOD"] == "DEFAULT"
    assert res.wv_label_mean_cm == 2.0
    on = run(scene, lut)
    assert on.wv_label_mean_cm == pytest.approx(4.0, abs=0.15)
    err = lambda r: np.abs(r.surface_reflectance["B09"] - rho["B09"]).mean()  # noqa: E731
    assert err(on) < err(res)


def test_smooth_wv_map_changes_the_wv_map(lut):
    scene, _ = make_scene(lut, noise=0.1)
    rough = run(scene, lut, smooth_wv_map_m=0.0).wv_cm
    smooth = run(scene, lut, smooth_wv_map_m=200.0).wv_cm
    assert smooth[5:-5, 5:-5].std() < rough[5:-5, 5:-5].std()


def test_adjacency_and_step2_switches(lut):
    scene, rho = make_scene(lut, soil_cols=30, bg_uniform=False)
    off = run(scene, lut, adj_km=0.0)
    on = run(scene, lut, adj_km=0.2)
    no_step2 = run(scene, lut, adj_km=0.2, rho_retrieval_step2=False)
    b = "B8A"
    # the scene was simulated with a scene-mean background: adjacency correction moves pixels towards truth
    assert (
        np.abs(on.surface_reflectance[b] - rho[b]).mean() < np.abs(off.surface_reflectance[b] - rho[b]).mean()
    )
    assert not np.allclose(no_step2.surface_reflectance[b], on.surface_reflectance[b])


def test_blue_scaling_changes_only_bands_below_red(lut):
    scene, _ = make_scene(lut, n=100)
    default = run(scene, lut)
    scaled = run(scene, lut, scaling_disabler=False, scaling_limiter=False, aerosol_type_ratio_th=0.0)
    assert default.blue_scaling == 1.0
    assert scaled.blue_scaling != 1.0
    assert not np.allclose(scaled.surface_reflectance["B02"], default.surface_reflectance["B02"])
    np.testing.assert_array_equal(scaled.surface_reflectance["B04"], default.surface_reflectance["B04"])


def test_flat_dem_equals_the_flat_inversion_and_terrain_switch(lut):
    scene, _ = make_scene(lut, altitude_km=0.3)
    flat = run(scene, lut, altitude_km=0.3)
    dem = np.full(scene.scl.shape, 300.0)
    zeros = np.zeros(scene.scl.shape)
    with_dem = run(replace(scene, elevation_m=dem, slope_deg=zeros, aspect_deg=zeros), lut)
    for b in flat.surface_reflectance:
        np.testing.assert_allclose(with_dem.surface_reflectance[b], flat.surface_reflectance[b], atol=1e-4)


def _rugged_scene(lut):
    scene, rho = make_scene(lut, altitude_km=0.5)
    n = scene.scl.shape[0]
    dem = 500.0 + np.tile(np.linspace(0, 400, n), (n, 1))
    slope = np.full((n, n), 25.0)
    aspect = np.where(np.arange(n)[None, :] < n // 2, 150.0, 330.0) * np.ones(
        (n, 1)
    )  # towards / away from sun
    return replace(scene, elevation_m=dem, slope_deg=slope, aspect_deg=aspect), rho


def test_dem_terrain_correction_and_brdf_switches(lut):
    scene, _ = _rugged_scene(lut)
    terrain = run(scene, lut)
    no_terrain = run(scene, lut, dem_terrain_correction=False)
    b = "B8A"
    half = scene.scl.shape[1] // 2
    # with terrain correction the sunlit slope comes out darker than the slope facing away
    assert terrain.surface_reflectance[b][:, :half].mean() < terrain.surface_reflectance[b][:, half:].mean()
    assert not np.allclose(terrain.surface_reflectance[b], no_terrain.surface_reflectance[b])
    brdf = run(scene, lut, brdf_correction=1, brdf_lower_bound=0.1)
    assert np.all(brdf.surface_reflectance[b] <= terrain.surface_reflectance[b] + 1e-7)
    assert (brdf.surface_reflectance[b] < terrain.surface_reflectance[b] - 1e-4).any()


def test_hillshade_without_aspect_gives_the_terrain_correction(lut):
    """At 10 m no aspect is staged (as in Sen2Cor): cos(beta) then comes from the gdaldem hillshade
    (1 + 254 cos i, tile-mean sun). Built here from the same slopes, it must reproduce the slope/aspect path
    (the scene's sun zenith is uniform) and differ from the uncorrected result."""
    from sen2cor.dem import illumination_cos

    scene, _ = _rugged_scene(lut)
    cos_i = illumination_cos(scene.slope_deg, scene.aspect_deg, scene.sza_deg, scene.saa_deg)
    shade = np.rint(1.0 + 254.0 * np.clip(cos_i, 0.0, 1.0)).astype(np.uint8)
    from_aspect = run(scene, lut)
    from_hillshade = run(replace(scene, aspect_deg=None, hillshade=shade), lut)
    no_terrain = run(replace(scene, aspect_deg=None), lut)   # neither aspect nor hillshade: flat
    for b in ("B04", "B8A", "B12"):
        # the hillshade's own 1/254 quantisation moves cbeta by at most one 1/255 step
        np.testing.assert_allclose(from_hillshade.surface_reflectance[b], from_aspect.surface_reflectance[b],
                                   rtol=0.02, atol=2e-3)
        assert np.abs(no_terrain.surface_reflectance[b] - from_aspect.surface_reflectance[b]).max() > 0.01


def test_cirrus_correction_switch(lut):
    scene, rho = make_scene(lut, n=100)
    toa = dict(scene.toa)
    cir = np.zeros(scene.scl.shape, np.float32)
    cir[:30] = 0.03
    toa["B10"] = cir
    for b in ("B01", "B02", "B03", "B04"):
        toa[b] = toa[b] + cir / 0.8
    scene = replace(scene, toa=toa)
    off = run(scene, lut)
    on = run(scene, lut, cirrus_correction=True)
    assert on.info["CIRRUS_GAMMA"] == pytest.approx(0.8, abs=0.05)
    assert "CIRRUS_GAMMA" not in off.info
    err = lambda r: np.abs(r.surface_reflectance["B02"][:30] - rho["B02"][:30]).mean()  # noqa: E731
    assert err(on) < err(off)
    high = run(scene, lut, cirrus_correction=True, wv_threshold_cirrus_cm=5.0)
    assert "CIRRUS_GAMMA" not in high.info


def test_wv_watermask_fills_water(lut):
    scene, _ = make_scene(lut)
    scl = scene.scl.copy()
    scl[:10] = 6
    scene = replace(scene, scl=scl)
    filled = run(scene, lut, wv_watermask=1, smooth_wv_map_m=0)
    assert np.ptp(filled.wv_cm[:10]) == 0


def test_rtables_lookup_matches_the_lut(lut):
    nodes = rtables.elevation_nodes(lut.elevation_km, np.array([0.2, 1.3]))
    e0 = np.array([E0[b] for b in lut.bands])
    t = rtables.tabulate(lut, lut.bands, SZA, 0.0, 0.0, e0, nodes, lut.water_vapour_cm)
    z = np.array([0.2, 0.7, 1.3])
    got = rtables.lookup(t, "lp", "B04", z, 43, 2.0)
    f = lut.interpolate(
        SZA, 0.0, 0.0, z, visibility.VISEXT_KM[43], 2.0, bands=("B04",), e0_w_m2_um=[E0["B04"]]
    )
    np.testing.assert_allclose(got, f.path_radiance[0], rtol=1e-5)
    got_wv = rtables.lookup(t, "e0t", "B09", z, 43, np.array([0.7, 2.4, 4.4]))
    f = lut.interpolate(
        SZA,
        0.0,
        0.0,
        z,
        visibility.VISEXT_KM[43],
        np.array([0.7, 2.4, 4.4]),
        bands=("B09",),
        e0_w_m2_um=[E0["B09"]],
    )
    np.testing.assert_allclose(got_wv, f.e0t[0], rtol=1e-4)


@pytest.mark.parametrize("truth", ["rural", "maritime"])
def test_aerosol_type_auto_picks_the_table_the_scene_was_made_with(truth):
    tables = {"rural": make_table(angstrom=1.3), "maritime": make_table(angstrom=0.3)}
    scene, rho = make_scene(tables[truth], blue_from_red=True)
    choice, ratios = driver.auto_aerosol(scene, tables)
    assert choice == truth
    assert ratios[truth] == pytest.approx(1.0, abs=0.05)


def test_aerosol_type_auto_without_ddv_keeps_rural(lut):
    scene, _ = make_scene(lut, soil_cols=60)
    assert driver.auto_aerosol(scene, {"rural": lut, "maritime": make_table(angstrom=0.3)})[0] == "rural"


def test_in_place_gives_the_same_result_and_reuses_the_toa_arrays(lut):
    scene, _ = make_scene(lut, n=40, soil_cols=10)
    copy = run(scene, lut)
    toa = {b: a.copy() for b, a in scene.toa.items()}
    res = driver.correct_resolution(replace(scene, toa=toa), lut, AcSettings(adj_km=0.0, reference_albedo=0.0),
                                    in_place=True)
    for b, r in res.surface_reflectance.items():
        np.testing.assert_array_equal(r, copy.surface_reflectance[b])
        assert np.shares_memory(r, toa[b])


def test_scene_without_valid_pixels_gives_zeros(lut):
    scene, _ = make_scene(lut, n=20)
    res = driver.correct_resolution(replace(scene, scl=np.zeros_like(scene.scl)), lut)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "DEFAULT"
    assert res.aot550.max() == 0.0 and res.wv_cm.max() == 0.0
    assert all(r.max() == 0.0 for r in res.surface_reflectance.values())


def test_non_finite_toa_is_no_data(lut):
    scene, rho = make_scene(lut)
    toa = {b: a.copy() for b, a in scene.toa.items()}
    toa["B04"][0, :5] = np.nan
    res = run(replace(scene, toa=toa), lut, adj_km=0.5)
    assert np.all(res.surface_reflectance["B02"][0, :5] == 0.0)
    assert np.all(np.isfinite(res.surface_reflectance["B04"]))
    assert np.abs(res.surface_reflectance["B04"][5:] - rho["B04"][5:]).mean() < 0.002


def test_winter_tables_and_native_60m(lut):
    winter = make_table(season="winter")
    scene, _ = make_scene(winter, wv_cm=0.8, season="winter")
    assert run(scene, winter).wv_label_mean_cm == pytest.approx(0.8, abs=0.03)
    scene60, _ = make_scene(lut)
    res = run(replace(scene60, resolution_m=60), lut, adj_km=1.0)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV"
    assert abs(int(np.median(res.vis_index)) - int(visibility.visibility_to_index(20.0))) <= 1


def test_in_place_adjacency_and_albedo_matches_the_step_functions():
    from sen2cor.atmcorr import adjacency
    from sen2cor.atmcorr.surface import spherical_albedo_correction

    rng = np.random.default_rng(2)
    rho = rng.random((30, 30)).astype(np.float32)
    bg = adjacency.background_reflectance(rho, 3)
    border = np.zeros(rho.shape, bool)
    border[:, :4] = True
    adjacent = adjacency.adjacency_correction(rho, bg, 0.2, border)
    expected = spherical_albedo_correction(adjacent, bg, 0.1, 0.15)
    work = rho.copy()
    step2._adjacency_and_albedo_in_place(work, bg, 0.2, 0.1, 0.15, border)
    np.testing.assert_allclose(work, expected, rtol=1e-6)


def test_default_reference_albedo_is_sen2cors_for_every_table(lut):
    """Sen2Cor applies rho [1 - (rho_bg - 0.15) S] whatever the table (facts B.11): on a uniform scene the
    default run returns rho (1 + 0.15 S) where the black-background forward model put rho."""
    assert lut.kind == "6s"
    scene, rho = make_scene(lut, noise=0.0)
    black = run(scene, lut)
    default = driver.correct_resolution(make_scene(lut, noise=0.0)[0], lut, AcSettings(adj_km=0.0))
    s = lut.interpolate(SZA, 0.0, 0.0, 0.1, 20.0, 2.0).spherical_albedo
    for b in ("B02", "B8A", "B11"):
        i = lut.bands.index(b)
        expected = black.surface_reflectance[b] * (1 + 0.15 * s[i])
        np.testing.assert_allclose(default.surface_reflectance[b], expected, rtol=0.01, err_msg=b)
        assert np.mean(default.surface_reflectance[b] - rho[b]) > 0.1 * 0.15 * s[i] * VEG[b]

