"""Step 2 pieces of the surface reflectance (``atmcorr.step2``) with hand-derived values: cos(beta) as
Sen2Cor stores it (uint8, 255 cos beta, floor 26, facts B.5), the sky view, the cloud / clear counts of the
adjacency switch and the clear mean that replaces clouds in the background (facts B.11)."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.atmcorr import step2
from sen2cor.atmcorr.inputs import SceneInputs
from sen2cor.atmcorr.settings import AcSettings


def _scene(shape=(3, 4), scl=None, **kw) -> SceneInputs:
    return SceneInputs(20, {}, np.full(shape, 4, np.uint8) if scl is None else scl, {}, 30.0, 150.0, **kw)


@pytest.mark.parametrize("strip_rows", [1, 2, 100])
def test_cbeta_from_slope_and_aspect_with_the_per_pixel_sun(strip_rows):
    """Flat pixels: cos(beta) = cos(SZA of the pixel), not of the tile mean (30 deg): 0 deg -> 255/255,
    60 deg -> 127.5 -> 128/255, 87 deg -> 0.052 -> 13 -> the floor 26/255."""
    shape = (3, 4)
    sza_map = np.array([0.0, 60.0, 87.0])[:, None] * np.ones((1, 4))
    scene = _scene(shape, sza_map_deg=sza_map, slope_deg=np.zeros(shape), aspect_deg=np.zeros(shape))
    cbeta, vsky = step2.terrain_maps(scene, strip_rows)
    got = cbeta[:, :]
    assert got.dtype == np.float32 and cbeta.shape == shape
    np.testing.assert_array_equal(got, np.float32(np.array([255.0, 128.0, 26.0]) / 255.0)[:, None] * np.ones((1, 4)))
    np.testing.assert_array_equal(cbeta[1:2, 2:], np.full((1, 2), np.float32(128 / 255)))
    np.testing.assert_array_equal(vsky[:, :], np.ones(shape, np.float32))   # flat: the whole sky


def test_cbeta_with_the_tile_mean_sun_when_no_map():
    shape = (2, 2)
    scene = SceneInputs(20, {}, np.full(shape, 4, np.uint8), {}, 60.0, 150.0, slope_deg=np.zeros(shape),
                        aspect_deg=np.zeros(shape))
    cbeta, _ = step2.terrain_maps(scene, 1)
    np.testing.assert_array_equal(cbeta[:, :], np.full(shape, np.float32(128 / 255)))


@pytest.mark.parametrize("strip_rows", [1, 5])
def test_cbeta_from_the_hillshade_without_aspect(strip_rows):
    """gdaldem hillshade h = 1 + 254 cos i: h 1 -> cos 0 -> floor 26; h 128 -> 0.5 -> 128; h 255 -> 1."""
    shade = np.array([[1, 128, 255], [255, 128, 1]], np.uint8)
    scene = _scene((2, 3), slope_deg=np.full((2, 3), 60.0), hillshade=shade)
    cbeta, vsky = step2.terrain_maps(scene, strip_rows)
    np.testing.assert_array_equal(cbeta[:, :] * np.float32(255.0), [[26, 128, 255], [255, 128, 26]])
    # V_sky = (1 + cos 60 deg) / 2
    np.testing.assert_allclose(vsky[:, :], np.full((2, 3), 0.75), rtol=1e-6)
    assert vsky[:, :].dtype == np.float32


def test_sky_view_read_from_the_precomputed_layer():
    sky = np.full((2, 3), 0.3, np.float64)
    scene = _scene((2, 3), slope_deg=np.zeros((2, 3)), hillshade=np.full((2, 3), 255, np.uint8), sky_view=sky)
    _, vsky = step2.terrain_maps(scene, 1)
    got = vsky[0:1, 1:]
    assert got.dtype == np.float32 and vsky.shape == (2, 3)
    np.testing.assert_array_equal(got, np.full((1, 2), np.float32(0.3)))


@pytest.mark.parametrize("strip_rows", [0, 1, 2, 5, 100])
def test_count_classes_counts_clouds_8_9_10_and_clear_4_5_6(strip_rows):
    scl = np.arange(12, dtype=np.uint8).reshape(4, 3)     # one pixel of each class 0..11
    scl = np.concatenate([scl, [[9, 9, 9], [6, 0, 0]]]).astype(np.uint8)   # three more clouds (9), one more water
    assert step2.count_classes(scl, strip_rows) == (6, 4)


def _step2(scl, valid, strip_rows):
    scene = SceneInputs(20, {}, scl, {}, 30.0, 150.0)
    return step2.Step2(scene, AcSettings(), None, 0, 0, 1.0, 0.15, valid, 0, False, None, None, None, strip_rows)


@pytest.mark.parametrize("strip_rows", [0, 1, 2, 3, 50])
def test_clear_mean_replaces_clouds_and_no_data(strip_rows):
    """The value clouds (8, 9, 10) and no data take in the background: the mean of the other valid pixels."""
    base = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
    scl = np.array([[4, 8, 5], [9, 6, 10], [7, 4, 0]], np.uint8)
    valid = scl > 0
    got = _step2(scl, valid, strip_rows)._clear_mean(base)
    assert got == pytest.approx((0.1 + 0.3 + 0.5 + 0.7 + 0.8) / 5, rel=1e-6)
    # nothing to replace: no value
    assert _step2(np.full((3, 3), 4, np.uint8), np.ones((3, 3), bool), strip_rows)._clear_mean(base) is None
    # everything replaced: 0
    assert _step2(np.full((3, 3), 8, np.uint8), np.ones((3, 3), bool), strip_rows)._clear_mean(base) == 0.0


# --- step 1 of flat terrain, T_sun gathered from its table ---

@pytest.fixture(scope="module")
def table():
    from sen2cor.atmcorr.rtables import tabulate
    from tests.atmcorr.analytic_atmosphere import make_table

    lut = make_table()
    levels = np.asarray(lut.water_vapour_cm, dtype=np.float64)
    return tabulate(lut, ("B04", "B09"), 40.0, 5.0, 100.0, np.array([1512.8, 817.6]), np.array([0.0, 0.5]), levels)


def _fields(table, band, **key):
    from sen2cor.atmcorr.rtables import field_table

    return [field_table(table, name, band, **key) for name in ("e0t", "edift", "lp")]


def test_flat_step1_is_pi_l_minus_lp_over_e_per_pixel(table):
    """rho = (pi L - pi s Lp) / E with L = rho_TOA E0[mW cm-2 um-1] cos(SZA) / pi and E = E0t cos(SZA) + Edift,
    per pixel over more than one 128-row block; capped at AC_Topo_Corr_Cutoff."""
    rng = np.random.default_rng(1)
    shape = (300, 3)
    z = rng.integers(0, 6, shape).astype(np.int16)
    vis = rng.integers(0, 183, shape).astype(np.uint8)
    toa = rng.uniform(0.02, 0.4, shape).astype(np.float32)
    toa[0, 0] = 50.0                                          # far above the cutoff
    e0t, edift, lp = _fields(table, "B04", water_vapour_cm=1.0)
    cos_sza = table.cos_sza
    e = e0t[z, vis] * cos_sza + edift[z, vis]
    expected = (toa * (151.28 * cos_sza) - np.pi * 1.1 * lp[z, vis]) / e
    expected[0, 0] = 1.5
    got = step2.flat_step1(table, "B04", toa, 1512.8, 1.1, z, vis, 1.0, 1.5)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=1e-6)
    # one class and one visibility for the whole array
    single = step2.flat_step1(table, "B04", toa[1:4], 1512.8, 1.1, 2, 50, 1.0, 1.5)
    assert single.dtype == np.float32
    np.testing.assert_allclose(single, (toa[1:4] * 151.28 * cos_sza - np.pi * 1.1 * lp[2, 50])
                               / (e0t[2, 50] * cos_sza + edift[2, 50]), rtol=2e-5)


def test_flat_step1_with_per_pixel_water_vapour_clamps_at_the_last_step(table):
    """Water-vapour bands at 20 m: per-pixel 0.01 cm classes at the scene visibility; a class beyond the
    table's last water vapour takes the last one."""
    e0t, edift, lp = _fields(table, "B09", vis_index=40)
    last = e0t.shape[1] - 1
    wv = np.array([[0, 150, last, last + 1, 32000]], np.int16)
    toa = np.full(wv.shape, 0.3, np.float32)
    got = step2.flat_step1(table, "B09", toa, 817.6, 1.0, 1, 40, wv, 100.0)    # (a cutoff not reached)
    cols = np.minimum(wv[0], last)
    e = e0t[1, cols] * table.cos_sza + edift[1, cols]
    np.testing.assert_allclose(got[0], (0.3 * 81.76 * table.cos_sza - np.pi * lp[1, cols]) / e, rtol=2e-5)
    assert got[0, 2] == got[0, 3] == got[0, 4]


def test_gather_tabulates_t_sun_once_per_band_and_water_vapour(table):
    from sen2cor.atmcorr.rtables import lookup
    from sen2cor.atmcorr.surface import sun_transmittance

    z = np.array([[0, 3], [5, 1]], np.int16)
    vis = np.array([[0, 90], [182, 7]], np.uint8)
    table.cache.clear()
    lp, tsun = step2.gather(table, ("lp", "tsun"), "B04", z, vis, 1.0)
    assert ("tsun", "B04", 1.0) in table.cache                    # the per-pixel path tabulates T_sun once
    np.testing.assert_array_equal(lp, lookup(table, "lp", "B04", z, vis, 1.0))
    np.testing.assert_allclose(tsun, sun_transmittance(lookup(table, "t_dir", "B04", z, vis, 1.0), table.cos_sza),
                               rtol=1e-6)
    # a scalar visibility takes the plain look-up: same values
    lp1, tsun1 = step2.gather(table, ("lp", "tsun"), "B04", z, 90, 1.0)
    np.testing.assert_array_equal(lp1, lookup(table, "lp", "B04", z, 90, 1.0))
    np.testing.assert_allclose(tsun1[0, 1], tsun[0, 1], rtol=1e-6)


# --- BRDF after step 2 (facts B.12) ---

def test_brdf_factor_of_the_slope_facing_away_from_the_sun():
    """SZA 35, SAA 150, slope 25 deg: facing the sun (aspect 150) cos i = cos 10 deg, beta < beta_T = 55 deg,
    G = 1; facing away (aspect 330) cos i = cos 35 cos 25 - sin 35 sin 25 = 0.5, stored as 128/255, so
    G = (128/255 / cos 55)^e: e = 1 (code 1) 0.8751; code 2 e = 1/2; code 11 on vegetation e = 3/4 (B04,
    < 720 nm) and 1/3 (B8A); BRDF_Lower_Bound 0.95 floors it."""
    from sen2cor.atmcorr import driver
    from tests.atmcorr.analytic_atmosphere import make_table
    from tests.atmcorr.test_driver import _rugged_scene

    lut = make_table()
    scene, _ = _rugged_scene(lut)
    half = scene.scl.shape[1] // 2

    def run(**changes):
        return driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, **changes)).surface_reflectance

    plain = run()
    ratio = (128 / 255) / np.cos(np.deg2rad(55.0))
    for changes, band, g in (({"brdf_correction": 1}, "B8A", ratio), ({"brdf_correction": 2}, "B04", ratio ** 0.5),
                             ({"brdf_correction": 11}, "B04", ratio ** 0.75),
                             ({"brdf_correction": 11}, "B8A", ratio ** (1 / 3)),
                             ({"brdf_correction": 1, "brdf_lower_bound": 0.95}, "B8A", 0.95)):
        got = run(**changes)[band]
        np.testing.assert_allclose(got[:, half:], plain[band][:, half:] * g, rtol=2e-6, err_msg=str(changes))
        np.testing.assert_array_equal(got[:, :half], plain[band][:, :half])


def test_cbeta_of_a_tall_narrow_image_in_one_row_strips():
    """More rows than columns: every row strip is filled (cos i = 0, 0.5, 1 from the hillshade)."""
    shade = np.array([[1], [128], [255], [255], [128], [1]], np.uint8)
    scene = _scene((6, 1), slope_deg=np.zeros((6, 1)), hillshade=shade)
    cbeta, _ = step2.terrain_maps(scene, 1)
    np.testing.assert_array_equal(cbeta[:, :] * np.float32(255.0), [[26], [128], [255], [255], [128], [26]])


def test_flat_step1_with_per_pixel_class_and_one_visibility(table):
    z = np.array([[0, 1, 2], [3, 4, 5]], np.int16)
    toa = np.full(z.shape, 0.2, np.float32)
    e0t, edift, lp = _fields(table, "B04", water_vapour_cm=1.0)
    e = e0t[z, 60] * table.cos_sza + edift[z, 60]
    got = step2.flat_step1(table, "B04", toa, 1512.8, 1.0, z, 60, 1.0, 1.5)
    np.testing.assert_allclose(got, (0.2 * 151.28 * table.cos_sza - np.pi * lp[z, 60]) / e, rtol=2e-5)


def test_step2_terrain_strips_read_their_window_of_the_elevation_classes(table):
    """Step 2 with terrain in 8-row strips (halo 3 rows, AC_Rng_Nbhd_Terrain_Corr 0.06 km at 20 m) equals the
    whole-image terrain step on the same inputs followed by the spherical-albedo term; the upper half lies in
    elevation class 0, the lower in class 5 (0.5 km), so a strip reading the wrong classes shows. Slopes of
    50 deg (sky view 0.82) and a bright neighbourhood (0.3-0.5 against the start reflectance 0.1) make the
    terrain term larger than its floor of 1 % of the direct irradiance, so the step changes every pixel."""
    from sen2cor.atmcorr.rtables import lookup
    from sen2cor.atmcorr.surface import spherical_albedo_correction

    shape = (40, 30)
    rng = np.random.default_rng(5)
    z = np.where(np.arange(40)[:, None] < 20, 0, 5).astype(np.int16) * np.ones((1, 30), np.int16)
    scene = _scene(shape, slope_deg=np.full(shape, 50.0), aspect_deg=rng.uniform(0.0, 360.0, shape))
    cbeta, vsky = step2.terrain_maps(scene, 8)
    settings = AcSettings(adj_km=0.0, rng_nbhd_terrain_corr_km=0.06)
    base = rng.uniform(0.3, 0.5, shape).astype(np.float32)
    work = base.copy()
    step2.Step2(scene, settings, table, z, 50, 1.0, 0.15, np.ones(shape, bool), 0, True, cbeta, vsky, None,
                8).run(work, "B04")
    terrain = step2._terrain_step2(base, "B04", table, z, 50, 1.0, cbeta[:, :], vsky[:, :], settings, 3, False)
    assert (np.abs(terrain / base - 1.0) > 0.01).all()                 # the terrain step acts on every pixel
    at_sea_level = step2._terrain_step2(base, "B04", table, np.zeros_like(z), 50, 1.0, cbeta[:, :], vsky[:, :],
                                        settings, 3, False)
    change = np.abs(at_sea_level / terrain - 1.0)
    assert change[:20].max() == 0.0 and change[20:].max() > 5e-4       # class 5 (0.5 km) differs from class 0
    s = lookup(table, "s", "B04", z, 50, 1.0)
    np.testing.assert_allclose(work, spherical_albedo_correction(terrain, terrain, s, 0.15), rtol=1e-5)


def test_terrain_step2_uses_the_gipp_start_reflectance_and_cutoff(table):
    """E_old = AC_Terrain_Refl_Start (here 0.3, not the default 0.1) x ... and the result capped at
    AC_Topo_Corr_Cutoff (here 0.25): rho2 = min(rho1 (E_pix + E_old) / (E_pix + E_new), cutoff)."""
    from sen2cor.atmcorr import terrain
    from sen2cor.atmcorr.rtables import lookup
    from sen2cor.atmcorr.surface import pixel_irradiance, sun_transmittance, terrain_start_irradiance

    rng = np.random.default_rng(6)
    shape = (50, 20)
    z = rng.integers(0, 6, shape).astype(np.int16)
    vis = rng.integers(0, 183, shape).astype(np.uint8)
    rho1 = rng.uniform(0.05, 0.3, shape).astype(np.float32)
    cbeta = (rng.integers(26, 256, shape) / 255.0).astype(np.float32)
    vsky = rng.uniform(0.7, 1.0, shape).astype(np.float32)
    settings = AcSettings(terrain_refl_start=0.3, topo_corr_cutoff=0.25)
    get = lambda name: lookup(table, name, "B04", z, vis, 1.0)  # noqa: E731
    e0t, edift, cos_sza = get("e0t"), get("edift"), table.cos_sza
    e_pix = pixel_irradiance(e0t, edift, cbeta, cos_sza, vsky, sun_transmittance(get("t_dir"), cos_sza))
    e_old = terrain_start_irradiance(e0t, edift, cos_sza, vsky, 0.3)
    e_new = terrain.terrain_irradiance(rho1, vsky, e0t, edift, cos_sza, 4, False)
    expected = np.minimum(rho1 * (e_pix + e_old) / (e_pix + e_new), 0.25)
    got = step2._terrain_step2(rho1, "B04", table, z, vis, 1.0, cbeta, vsky, settings, 4, False)
    np.testing.assert_allclose(got, expected, rtol=2e-6)
    assert (got == np.float32(0.25)).any() and (got < 0.25).any()


def test_adjacency_step_per_pixel_class_clouds_no_data_and_border(table):
    """The adjacency step of Step 2 by hand (facts B.11): rho' = (rho + q' (rho - bg)) (1 - (bg - rho_ref) S)
    with q and S of each pixel's elevation class (upper half class 0, lower half class 5), the background a
    box mean in which clouds (SCL 8-10) and no-data pixels take the clear mean, and q' = 1.1 q on the border
    zone next to the no data (also on the first row). Strips of 8 rows; n_adj 3."""
    from sen2cor.atmcorr import adjacency
    from sen2cor.atmcorr.rtables import lookup

    shape, n_adj, r_ref = (40, 30), 3, 0.15
    rng = np.random.default_rng(9)
    z = np.where(np.arange(40)[:, None] < 20, 0, 5).astype(np.int16) * np.ones((1, 30), np.int16)
    scl = np.full(shape, 4, np.uint8)
    scl[5:12, 5:12] = 9                     # a bright cloud
    valid = np.ones(shape, bool)
    valid[25:40, 24:] = False               # no data in the lower right corner
    valid[0:3, 26:] = False                 # and in the upper right one: the border zone reaches row 0
    scl[~valid] = 0
    base = rng.uniform(0.05, 0.2, shape).astype(np.float32)
    base[scl == 9] = 0.8
    base[~valid] = 0.0
    settings = AcSettings(adj_km=0.06)
    work = base.copy()
    step2.Step2(_scene(shape, scl), settings, table, z, 50, 1.0, r_ref, valid, n_adj, False, None, None, None,
                8).run(work, "B04")

    clear = valid & (scl != 9)
    replace = ~clear
    bg = adjacency.background_reflectance(base, n_adj, replace, float(base[clear].mean()))
    q, s = lookup(table, "q", "B04", z, 50, 1.0), lookup(table, "s", "B04", z, 50, 1.0)
    assert np.abs(q[25] - q[5]).max() > 1e-3 * q[5].max()           # the two classes differ
    border = adjacency.border_zone(valid, n_adj)
    assert border[0].any() and border[30].any() and not border[:20, :18].any()
    q_eff = np.where(border, 1.1 * q, q)
    expected = (base + q_eff * (base - bg)) * (1.0 - (bg - r_ref) * s)
    expected[~valid] = 0.0
    np.testing.assert_allclose(work, expected, rtol=2e-5, atol=1e-7)
    # the cloud does not brighten its surroundings: its background is the clear mean, not 0.8
    assert bg[8, 8] == pytest.approx(base[clear].mean(), rel=1e-5)


def test_brdf_only_on_rugged_terrain_and_when_switched_on(table):
    """The BRDF factor needs rugged terrain and BRDF_Correction > 0: flat terrain keeps its reflectance with
    BRDF_Correction 1 (no cos beta map exists there), rugged terrain with cos beta 0.1 (far below the lower
    bound) keeps it with BRDF_Correction 0 (no adjacency, no terrain step)."""
    shape = (6, 5)
    base = np.full(shape, 0.2, np.float32)
    cbeta = np.full(shape, 0.1, np.float32)
    out = {}
    for rugged, code in ((True, 0), (False, 0), (True, 1), (False, 1)):
        work = base.copy()
        settings = AcSettings(adj_km=0.0, max_nr_topo_iter=0, brdf_correction=code)
        maps = (cbeta, np.ones(shape, np.float32)) if rugged else (None, None)
        step2.Step2(_scene(shape), settings, table, np.int16(0), 50, 1.0, 0.15, np.ones(shape, bool), 0, rugged,
                    *maps, None, 3).run(work, "B04")
        out[rugged, code] = work
    np.testing.assert_array_equal(out[True, 0], out[False, 0])
    np.testing.assert_array_equal(out[False, 1], out[False, 0])
    assert (out[True, 1] < out[True, 0] - 0.01).all()                 # with BRDF_Correction 1 it acts
