"""The orchestration of one resolution (``atmcorr.driver``) on small synthetic scenes, with hand-derived
expectations: the 10 m reuse of the 20 m visibility (land mean, rounding, up-sampling), the valid area, the
APDA switch, the strip helpers and the preliminary water vapour of the DDV search."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import driver, radiance, visibility
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr.analytic_atmosphere import make_table
from tests.atmcorr.test_driver import make_scene


@pytest.fixture(scope="module")
def lut():
    return make_table()


# --- strip helpers ---

def test_upsample_repeats_each_20m_pixel_and_the_last_row_and_column():
    """Nearest by 2 onto 4101 x 7 px from 2050 x 3: pixel (r, c) takes (r // 2, c // 2), clipped at the last
    20 m row / column (the 10 m grid may be one pixel larger); the 2048-row blocks join without a gap, also
    past the second block (a 10 m tile has 10980 rows, i.e. six blocks)."""
    index = (np.arange(2050)[:, None] % 250 + 3 * np.arange(3)[None, :]).astype(np.uint8)
    out = driver._upsample(index, (4101, 7), 2)
    assert out.dtype == np.uint8 and out.shape == (4101, 7)
    rows, cols = np.minimum(np.arange(4101) // 2, 2049), np.minimum(np.arange(7) // 2, 2)
    np.testing.assert_array_equal(out, index[rows][:, cols])
    np.testing.assert_array_equal(out[4098:4101, 6], index[2049, 2])
    np.testing.assert_array_equal(driver._upsample(index[:2, :2], (5, 5), 2),
                                  [[0, 0, 3, 3, 3], [0, 0, 3, 3, 3], [1, 1, 4, 4, 4], [1, 1, 4, 4, 4], [1, 1, 4, 4, 4]])


def test_positive_mean_counts_only_positive_pixels():
    image = np.array([[0.0, 2.0], [4.0, -1.0], [0.0, 6.0]], np.float32)
    for strips in (1, 2, 3, 50):
        assert driver._positive_mean(image, strips) == pytest.approx(4.0)
    assert driver._positive_mean(np.zeros((3, 2), np.float32), 2) == 0.0


def test_in_strips_fills_every_row():
    rows = driver._in_strips(lambda r: np.arange(9)[r, None] * np.ones((1, 2)) + 1, (9, 2), np.float32, 2)
    np.testing.assert_array_equal(rows[:, 0], np.arange(1, 10))
    assert rows.dtype == np.float32
    assert driver._in_strips(lambda r: 7.0, (), np.float32) == 7.0   # 0-d: the value itself


def test_elevation_km_in_strips_and_per_rows(lut):
    scene, _ = make_scene(lut, n=6)
    dem = np.array([[100.0], [-5.0], [4000.0]]) * np.ones((1, 6))
    scene = replace(scene, elevation_m=np.repeat(dem, 2, axis=0))
    z = driver._elevation_km(scene, AcSettings())
    np.testing.assert_allclose(z[:, 0], [0.1, 0.1, 0.0, 0.0, 3.5, 3.5], rtol=1e-6)
    per_rows = driver._ElevationKm(scene, AcSettings())
    assert per_rows.shape == (6, 6) and np.ndim(per_rows) == 2
    np.testing.assert_allclose(per_rows[2:4], 0.0)
    assert driver._elevation_km(replace(scene, elevation_m=None), AcSettings(altitude_km=0.25)) == 0.25


# --- the valid area ---

def test_scl_classes_0_and_1_are_background(lut):
    """Sen2Cor's AC treats SCL <= 1 as background (facts A.6, getNodataMap): class 1 (saturated or
    defective) and class 0 give 0 in every output; class 2 is corrected."""
    scene, rho = make_scene(lut, n=30)
    scl = scene.scl.copy()
    scl[:3] = 1
    scl[3:6] = 2
    scl[-3:] = 0
    res = driver.correct_resolution(replace(scene, scl=scl), lut, AcSettings(adj_km=0.0, reference_albedo=0.0))
    r = res.surface_reflectance["B8A"]
    for rows in (slice(0, 3), slice(-3, None)):
        assert np.all(r[rows] == 0.0) and np.all(res.aot550[rows] == 0.0) and np.all(res.wv_cm[rows] == 0.0)
    assert np.abs(r[3:6] - rho["B8A"][3:6]).mean() < 0.01
    assert np.all(res.aot550[3:6] > 0.0) and np.all(res.wv_cm[3:6] > 0.0)


# --- the APDA switch ---

def test_water_vapour_default_without_b09(lut):
    scene, _ = make_scene(lut, n=30, wv_cm=4.0)
    toa = {b: a for b, a in scene.toa.items() if b != "B09"}
    res = driver.correct_resolution(replace(scene, toa=toa), lut, AcSettings(adj_km=0.0))
    assert res.info["WV_RETRIEVAL_METHOD"] == "DEFAULT"
    assert res.wv_label_mean_cm == 2.0     # the summer tables' main level, not the scene's 4 cm
    # WVP = 2 cm x the column fraction above 0.1 km (1 at 0 km, 0.77 at 0.5 km)
    np.testing.assert_allclose(res.wv_cm, 2.0 * np.interp(0.1, [0.0, 0.5], [1.0, 0.77]), rtol=1e-5)


def test_preliminary_water_vapour_uses_every_4th_pixel(lut):
    """Pixels on rows and columns that are multiples of 4 were simulated with 1 cm, all others with 4 cm:
    the preliminary value (every 4th pixel) is 1 cm."""
    scene1, _ = make_scene(lut, n=40, wv_cm=1.0, noise=0.0)
    scene4, _ = make_scene(lut, n=40, wv_cm=4.0, noise=0.0)
    grid = np.zeros((40, 40), bool)
    grid[::4, ::4] = True
    toa = {b: np.where(grid, scene1.toa[b], scene4.toa[b]) for b in scene1.toa}
    rad = {b: radiance.toa_radiance(toa[b], scene1.e0_w_m2_um[b], scene1.sza_deg) for b in ("B8A", "B09")}
    levels = np.asarray(lut.water_vapour_cm, dtype=np.float64)
    nodes = driver.elevation_nodes(lut.elevation_km, 0.1)
    e0 = np.array([scene1.e0_w_m2_um[b] for b in lut.bands])
    nadir = driver.tabulate(lut, lut.bands, scene1.sza_deg, 0.0, 0.0, e0, nodes, levels)
    wv = driver._preliminary_wv(rad, scene1.scl, 0.1, nadir, AcSettings(visibility_km=20.0), 1.0, 0.0)
    assert wv == pytest.approx(1.0, abs=0.1)
    # the scene's own mean would be ~4 cm
    assert driver._preliminary_wv({b: r[1::4, 1::4] for b, r in rad.items()}, scene1.scl[1::4, 1::4], 0.1, nadir,
                                  AcSettings(visibility_km=20.0), 1.0, 0.0) == pytest.approx(4.0, abs=0.2)


# --- 10 m: the 20 m visibility and water vapour reused ---

BANDS_10M = ("B02", "B03", "B04", "B8A")   # the analytic table has no B08; B8A stands in


def _ten_metre(lut, scl, prior_cols):
    scene, _ = make_scene(lut, n=10)
    scene = replace(scene, resolution_m=10, scl=scl, toa={b: scene.toa[b] for b in BANDS_10M})
    vis20 = np.tile(np.array(prior_cols, np.uint8), (5, 1))
    prior = driver.Prior(vis20, 1.5, 1.0, {"AOT_RETRIEVAL_METHOD": "SEN2COR_DDV", "FINAL_VISIBILITY": -1.0})
    return driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0), prior=prior)


def test_ten_metre_visibility_is_the_rounded_mean_index_of_the_land():
    lut = make_table()
    cols = [100, 100, 53, 50, 50]
    land = np.full((10, 10), 4, np.uint8)
    res = _ten_metre(lut, land, cols)
    # 10 m columns: 100 x 4, 53 x 2, 50 x 4 -> mean 70.6 -> index 71
    assert res.info["FINAL_VISIBILITY"] == visibility.scene_visibility_km(71)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV"
    np.testing.assert_array_equal(res.vis_index[3], [100, 100, 100, 100, 53, 53, 50, 50, 50, 50])
    assert res.wv_label_mean_cm == 1.5 and res.blue_scaling == 1.0 and res.ddv_mask is None
    # land (4 vegetation, 5 soil) on the left half only: 100 x 4 and 53 -> 90.6 -> 91
    half = land.copy()
    half[:, 5:] = 6
    half[:, 4] = 5
    assert _ten_metre(lut, half, cols).info["FINAL_VISIBILITY"] == visibility.scene_visibility_km(91)
    # no land: the mean of every valid pixel; no data takes index 0
    water = np.full((10, 10), 6, np.uint8)
    water[:, 8:] = 0
    res = _ten_metre(lut, water, cols)
    # valid columns 0..7: 100 x 4, 53 x 2, 50 x 2 -> 75.75 -> 76
    assert res.info["FINAL_VISIBILITY"] == visibility.scene_visibility_km(76)
    assert np.all(res.vis_index[:, 8:] == 0)
    assert _ten_metre(lut, np.zeros((10, 10), np.uint8), cols).info["FINAL_VISIBILITY"] == \
        visibility.scene_visibility_km(0)


# --- what the metadata reports about the retrievals ---

def test_info_of_a_ddv_run(lut):
    """Vegetation with B12 ~ 0.04 (< the first SWIR limit 0.05): DDV found at the first threshold, the start
    visibility is the GIPP's 40 km, the DDV visibility near the scene's 20 km; no blue rescaling (disabled)."""
    scene, _ = make_scene(lut, n=40)
    res = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0))
    info = res.info
    assert info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV" and info["WV_RETRIEVAL_METHOD"] == "SEN2COR_APDA"
    assert info["START_VISIBILITY"] == 40.0
    assert 17.0 <= info["VISIBILITY_FROM_DDV"] <= 23.0
    assert info["DDV_REFLECTANCE_RANGE"] == 0.05
    # percentage = DDV pixels / (valid - water) pixels
    assert info["DDV_PIXEL_PERCENTAGE"] == pytest.approx(100.0 * res.ddv_mask.mean()) and res.ddv_mask.mean() > 0.5
    assert info["AEROSOL_DOUBLE_RATIO"] > 0.0
    assert info["BLUE_PATH_RADIANCE_RESCALING_FACTOR"] == 1.0 == res.blue_scaling
    constant = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, vis_update_mode=0)).info
    assert constant["DDV_REFLECTANCE_RANGE"] is None and constant["AEROSOL_DOUBLE_RATIO"] is None
    assert constant["START_VISIBILITY"] == 40.0 and constant["FINAL_VISIBILITY"] == 40.0   # the configured value


def _uniform_scene(lut, changes, vis_km, wv_cm, scl_class=4):
    """40 x 40 px of the vegetation of test_driver (with ``changes``) through the forward model, no noise."""
    from tests.atmcorr.analytic_atmosphere import toa_reflectance
    from tests.atmcorr.test_driver import SZA, VEG

    rho = {b: np.full((40, 40), changes.get(b, VEG[b]), np.float32) for b in lut.bands}
    f = lut.interpolate(SZA, 0.0, 0.0, 0.1, vis_km, wv_cm)
    scene, _ = make_scene(lut, n=40)
    return replace(scene, toa={b: toa_reflectance(f, i, rho[b]) for i, b in enumerate(lut.bands)},
                   scl=np.full((40, 40), scl_class, np.uint8))


def test_dbv_incidence_test_only_on_rugged_terrain(lut):
    """No DDV (bare-soil SCL) but dense bright vegetation (B8A 0.45, red 0.02 = AC_Red_Ref_Refl_Th) under a
    60 km visibility: the DBV fall-back finds ~60 km (> the start 40 km, <= 80 km). On rugged terrain the
    hillshade 128 (cos beta 0.5, beta 60 deg, 25 deg from the 35 deg sun: not below 15 deg) rules every
    candidate out, so the start visibility stays; with DEM_Terrain_Correction FALSE the hillshade is not used."""
    scene = _uniform_scene(lut, {"B8A": 0.45, "B09": 0.45, "B04": 0.02}, 60.0, 2.0, scl_class=5)
    n = scene.scl.shape[0]
    terrain = dict(elevation_m=500.0 + np.tile(np.linspace(0, 400, n), (n, 1)), slope_deg=np.full((n, n), 25.0),
                   hillshade=np.full((n, n), 128, np.uint8))
    settings = AcSettings(adj_km=0.0)
    flat = driver.correct_resolution(replace(scene, **terrain), lut, replace(settings, dem_terrain_correction=False))
    assert 50.0 < flat.info["FINAL_VISIBILITY"] < 75.0
    rugged = driver.correct_resolution(replace(scene, **terrain), lut, settings)
    assert rugged.info["FINAL_VISIBILITY"] == pytest.approx(visibility.VISEXT_KM[visibility.visibility_to_index(40.0)])
    # the flat sun-facing hillshade 1 + 254 cos 35 deg keeps the candidates
    facing = dict(terrain, hillshade=np.full((n, n), round(1 + 254 * np.cos(np.deg2rad(35.0))), np.uint8))
    assert 50.0 < driver.correct_resolution(replace(scene, **facing), lut, settings).info["FINAL_VISIBILITY"] < 75.0


# --- cirrus correction (20 m) ---

def _cirrus_scene(lut, gammas):
    """Rows 0-29 under a cirrus of rho_cir 0.03 (B10), which adds 0.03 / gamma_b to each visible band."""
    scene, _ = make_scene(lut, n=100, noise=0.0)
    toa = dict(scene.toa)
    cir = np.zeros(scene.scl.shape, np.float32)
    cir[:30] = 0.03
    toa["B10"] = cir
    for b, g in gammas.items():
        toa[b] = toa[b] + cir / np.float32(g)
    return replace(scene, toa=toa)


def test_cirrus_gamma_is_estimated_from_b01_b02_and_b03_together(lut):
    """gamma = 1 / mean over B01-B03 of (excess / rho_cir): 1 / mean(1/0.6, 1/1.0, 1/0.8) = 0.766; any
    band left out gives 0.889, 0.686 or 0.750."""
    scene = _cirrus_scene(lut, {"B01": 0.6, "B02": 1.0, "B03": 0.8})
    res = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, cirrus_correction=True))
    assert res.info["CIRRUS_GAMMA"] == pytest.approx(1.0 / np.mean([1 / 0.6, 1.0, 1 / 0.8]), abs=0.004)
    # without B01 in the scene: the two others
    toa = {b: a for b, a in scene.toa.items() if b != "B01"}
    res = driver.correct_resolution(replace(scene, toa=toa), lut, AcSettings(adj_km=0.0, cirrus_correction=True))
    assert res.info["CIRRUS_GAMMA"] == pytest.approx(1.0 / np.mean([1.0, 1 / 0.8]), abs=0.004)


def test_cirrus_correction_without_b10_or_without_cirrus(lut, caplog):
    scene = _cirrus_scene(lut, {"B02": 0.8})
    toa = {b: a for b, a in scene.toa.items() if b != "B10"}
    res = driver.correct_resolution(replace(scene, toa=toa), lut, AcSettings(adj_km=0.0, cirrus_correction=True))
    assert "CIRRUS_GAMMA" not in res.info   # no B10 band: nothing to correct with
    clear = dict(scene.toa, B10=np.zeros(scene.scl.shape, np.float32))
    with caplog.at_level("INFO", logger="sen2cor.atmcorr.driver"):
        res = driver.correct_resolution(replace(scene, toa=clear), lut,
                                        AcSettings(adj_km=0.0, cirrus_correction=True))
    assert "CIRRUS_GAMMA" not in res.info
    assert [r.getMessage() for r in caplog.records if r.name == "sen2cor.atmcorr.driver"] == [
        "cirrus correction skipped: too few cirrus / cirrus-free pixels"]


def test_ddv_search_uses_the_preliminary_water_vapour(lut):
    """Vegetation with B12 = 0.0485 under 0.4 cm of water vapour: with the preliminary APDA value (~0.4 cm) the
    flat B12 reflectance is ~0.0485 < 0.05, DDV at the first SWIR limit; with the tables' main level 2 cm the
    B12 absorption would be over-corrected by exp(0.02 (2^0.6 - 0.4^0.6) (1/cos 35 + 1)) = 1.043 -> 0.0506,
    above 0.05, and the search would go on to the limit 0.10."""
    scene = _uniform_scene(lut, {"B12": 0.0485, "B04": 0.5 * 0.0485}, 20.0, 0.4)
    res = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0))
    assert res.wv_label_mean_cm == pytest.approx(0.4, abs=0.1)
    assert res.info["DDV_REFLECTANCE_RANGE"] == 0.05
    main = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, wv_correction=0))
    assert main.info["DDV_REFLECTANCE_RANGE"] == 0.10     # the same scene searched with 2 cm


# --- nadir geometry of the retrievals (facts B.6) ---

def test_retrieval_tables_are_at_nadir(lut, monkeypatch):
    """DDV masking, rescaling and the negativity checks use "nadir geometry": VZA 0, relative azimuth 0 and
    the tile-mean sun zenith, whatever the tile's view angles (here VZA 8, VAA 100 deg)."""
    calls = []
    real = driver.tabulate

    def recording(table, bands, sza, vza, raa, *args):
        calls.append((sza, vza, raa))
        return real(table, bands, sza, vza, raa, *args)

    monkeypatch.setattr(driver, "tabulate", recording)
    scene, _ = make_scene(lut, n=20)
    scene = replace(scene, vza_deg=8.0, vaa_deg=100.0)
    driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0))
    assert calls == [(scene.sza_deg, 0.0, 0.0)]
    calls.clear()
    driver.auto_aerosol(scene, {"rural": lut, "maritime": lut})
    assert calls == [(scene.sza_deg, 0.0, 0.0)] * 2


def test_aerosol_type_auto_over_a_dem():
    """AUTO picks the maritime table the scene was made with, also with a DEM (elevation 50-150 m)."""
    tables = {"rural": make_table(angstrom=1.3), "maritime": make_table(angstrom=0.3)}
    scene, _ = make_scene(tables["maritime"], blue_from_red=True)
    n = scene.scl.shape[0]
    scene = replace(scene, elevation_m=np.tile(np.linspace(50.0, 150.0, n), (n, 1)))
    choice, ratios = driver.auto_aerosol(scene, tables)
    assert choice == "maritime" and ratios["maritime"] == pytest.approx(1.0, abs=0.05)


def _levels(table, index):
    """``table`` cut to the water-vapour levels ``index`` (a list of positions on its WV axis)."""
    return replace(table, water_vapour_cm=table.water_vapour_cm[index],
                   values={k: v[..., index] for k, v in table.values.items()})


def test_a_table_with_one_water_vapour_level_has_it_as_main_level(lut):
    """WV_Correction 0 uses the LUT's main level: Sen2Cor's default (2 cm in summer) when the table has
    several levels, the only level of a one-level table (here 2.9 cm)."""
    one = _levels(lut, [3])
    assert list(one.water_vapour_cm) == [2.9]
    scene, _ = make_scene(lut, n=20)
    res = driver.correct_resolution(scene, one, AcSettings(adj_km=0.0, wv_correction=0))
    assert res.wv_label_mean_cm == 2.9
    np.testing.assert_allclose(res.wv_cm, 2.9 * np.interp(0.1, [0.0, 0.5], [1.0, 0.77]), rtol=1e-5)
    two = _levels(lut, [1, 3])                                  # 1.0 and 2.9 cm: Sen2Cor's default 2 cm
    assert driver.correct_resolution(scene, two, AcSettings(adj_km=0.0, wv_correction=0)).wv_label_mean_cm == 2.0


# --- a DEM, CAMS heights and the green/red check through the driver ---

def test_dem_elevations_are_used_by_the_retrievals_and_the_surface_reflectance(lut):
    """Left half at 100 m, right half at 900 m (a DEM without slopes: no terrain correction); each half
    simulated at its own elevation. The visibility, water vapour and reflectance come back on both halves,
    which needs each pixel's elevation class in the retrievals and in the tables."""
    from tests.atmcorr.analytic_atmosphere import toa_reflectance
    from tests.atmcorr.test_driver import SZA, VEG

    n = 40
    low = np.arange(n)[None, :] < n // 2
    rho = {b: np.full((n, n), VEG[b], np.float32) for b in lut.bands}
    rho["B04"][:] = 0.5 * rho["B12"]
    toa = {}
    for i, b in enumerate(lut.bands):
        f_low = lut.interpolate(SZA, 0.0, 0.0, 0.1, 20.0, 2.0)
        f_high = lut.interpolate(SZA, 0.0, 0.0, 0.9, 20.0, 2.0)
        toa[b] = np.where(low, toa_reflectance(f_low, i, rho[b]), toa_reflectance(f_high, i, rho[b]))
    scene, _ = make_scene(lut, n=n)
    scene = replace(scene, toa=toa, elevation_m=np.where(low, 100.0, 900.0) * np.ones((n, 1)))
    res = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, reference_albedo=0.0))
    assert res.info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV"
    assert abs(int(np.median(res.vis_index)) - int(visibility.visibility_to_index(20.0))) <= 2
    assert res.wv_label_mean_cm == pytest.approx(2.0, abs=0.1)
    for b in ("B02", "B04", "B8A", "B09", "B12"):
        r = res.surface_reflectance[b]
        assert np.abs(r[:, :n // 2] - rho[b][:, :n // 2]).mean() < 0.003, b
        assert np.abs(r[:, n // 2:] - rho[b][:, n // 2:]).mean() < 0.003, b


def test_cams_geopotential_sets_the_height_of_the_cams_visibility(lut):
    """No DDV (bare soil), CAMS AOD 0.25: the visibility follows aot.cams_visibility_km of the AOD at the
    CAMS surface height, 0 m or 1500 m."""
    from sen2cor.atmcorr import aot

    scene, _ = make_scene(lut, soil_cols=60)
    aod = np.full((9, 9), 0.25)
    got = {}
    for height in (0.0, 1500.0):
        geo = np.full((9, 9), height * 9.80665)
        res = driver.correct_resolution(replace(scene, cams_aod550=aod, cams_geopotential=geo), lut,
                                        AcSettings(adj_km=0.0))
        assert res.info["AOT_RETRIEVAL_METHOD"] == "CAMS"
        got[height] = int(np.median(res.vis_index))
        expected = int(visibility.visibility_to_index(float(aot.cams_visibility_km(aod, geo)[0, 0])))
        assert got[height] == expected
    assert got[0.0] != got[1500.0]


def test_green_red_check_of_the_ddv_needs_b03(lut):
    """DDV vegetation with green = red = 0.02 (Sen2Cor expects green >= 1.08 red): the check raises the
    visibility above the DDV value when B03 is there; without B03 there is no green and no check."""
    scene = _uniform_scene(lut, {"B03": 0.02, "B04": 0.02}, 20.0, 2.0)
    with_green = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0))
    toa = {b: a for b, a in scene.toa.items() if b != "B03"}
    without = driver.correct_resolution(replace(scene, toa=toa), lut, AcSettings(adj_km=0.0))
    assert without.info["FINAL_VISIBILITY"] == pytest.approx(without.info["VISIBILITY_FROM_DDV"], rel=0.15)
    assert with_green.info["FINAL_VISIBILITY"] > 1.2 * without.info["FINAL_VISIBILITY"]


# --- the water vapour of the Aerosol_Type AUTO trials ---

def test_auto_trial_reads_the_tables_at_the_seasons_default_water_vapour():
    """The AUTO trials run at Sen2Cor's default WV of the season (2.0 cm summer, 0.4 cm winter), i.e. as with
    a table holding only that level; a one- or two-level table is read the same way (only level / default)."""
    tables = {"rural": make_table(angstrom=1.3), "maritime": make_table(angstrom=0.3)}
    assert list(tables["rural"].water_vapour_cm) == [0.4, 1.0, 2.0, 2.9, 4.0, 5.0]
    scene, _ = make_scene(tables["maritime"], blue_from_red=True)      # summer, made with 2.0 cm
    winter = replace(scene, season="winter")

    def ratios(s, index=None):
        cut = tables if index is None else {k: _levels(t, index) for k, t in tables.items()}
        return driver.auto_aerosol(s, cut)[1]

    at_2cm, at_04cm = ratios(scene, [2]), ratios(scene, [0])
    assert abs(at_2cm["maritime"] - at_04cm["maritime"]) > 0.005       # B8A/B12 absorb: the level matters
    for name in tables:
        assert ratios(scene)[name] == pytest.approx(at_2cm[name], abs=1e-9)
        assert ratios(winter)[name] == pytest.approx(at_04cm[name], abs=1e-9)
        assert ratios(scene, [0, 2])[name] == pytest.approx(at_2cm[name], abs=1e-9)   # two levels: the default
        assert ratios(winter, [2])[name] == pytest.approx(at_2cm[name], abs=1e-9)     # one level: that level


def _sea_level_and_2km(lut):
    """40 x 40 px, left half at sea level, right half at 2 km (DEM and TOA), both under a 2 cm sea-level column."""
    low, _ = make_scene(lut, n=40, wv_cm=2.0, altitude_km=0.0, noise=0.0)
    high, _ = make_scene(lut, n=40, wv_cm=2.0, altitude_km=2.0, noise=0.0)
    right = np.zeros((40, 40), bool)
    right[:, 20:] = True
    return replace(low, toa={b: np.where(right, high.toa[b], low.toa[b]) for b in low.toa},
                   elevation_m=np.where(right, 2000.0, 0.0).astype(np.float32))


def test_preliminary_water_vapour_reads_each_pixel_at_its_elevation(lut):
    """Left half at sea level, right half at 2 km, both simulated with a 2 cm (sea-level) column: read at each
    pixel's elevation, the preliminary WV is 2 cm; read at sea level, the thinner column above 2 km would look
    like less water vapour."""
    low = _sea_level_and_2km(lut)
    z = low.elevation_m / np.float32(1000.0)
    rad = {b: radiance.toa_radiance(low.toa[b], low.e0_w_m2_um[b], low.sza_deg) for b in ("B8A", "B09")}
    e0 = np.array([low.e0_w_m2_um[b] for b in lut.bands])
    nodes = driver.elevation_nodes(lut.elevation_km, z)
    assert nodes[0] == 0.0 and nodes[-1] >= 2.0
    nadir = driver.tabulate(lut, lut.bands, low.sza_deg, 0.0, 0.0, e0, nodes,
                            np.asarray(lut.water_vapour_cm, dtype=np.float64))
    settings = AcSettings(visibility_km=20.0)
    assert driver._preliminary_wv(rad, low.scl, z, nadir, settings, 2.0, 0.0) == pytest.approx(2.0, abs=0.1)
    # read at sea level, the 2 km half shows its own column, 2 cm x exp(-2 km / 2 km) (the analytic
    # atmosphere's scale height): the mean is (2 + 0.74) / 2 cm
    at_sea_level = driver._preliminary_wv(rad, low.scl, np.float32(0.0), nadir, settings, 2.0, 0.0)
    assert at_sea_level == pytest.approx((2.0 + 2.0 * np.exp(-1.0)) / 2, abs=0.1)


def test_surface_reflectance_of_absorbing_bands_reads_the_per_pixel_water_vapour(lut):
    """Left half simulated with 1 cm, right half with 4 cm (on LUT nodes): the APDA map follows the halves, and
    B12 (absorbing ~5 % more at 4 cm than at 1 cm) comes back within 0.5 % of the truth on both halves; read
    at the scene-mean WV instead, each half would be off by 2-4 %."""
    n = 40
    dry, rho = make_scene(lut, n=n, wv_cm=1.0, noise=0.0)
    wet, _ = make_scene(lut, n=n, wv_cm=4.0, noise=0.0)
    right = np.zeros((n, n), bool)
    right[:, n // 2:] = True
    scene = replace(dry, toa={b: np.where(right, wet.toa[b], dry.toa[b]) for b in dry.toa})
    res = driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, reference_albedo=0.0, smooth_wv_map_m=20.0))
    inner = (slice(5, n - 5), slice(5, n // 2 - 5)), (slice(5, n - 5), slice(n // 2 + 5, n - 5))
    column = np.interp(0.1, [0.0, 0.5], [1.0, 0.77])          # WV above 0.1 km: share of the sea-level column
    assert np.median(res.wv_cm[inner[0]]) == pytest.approx(1.0 * column, abs=0.1)
    assert np.median(res.wv_cm[inner[1]]) == pytest.approx(4.0 * column, abs=0.3)
    for half in inner:
        np.testing.assert_allclose(res.surface_reflectance["B12"][half], rho["B12"][half], rtol=5e-3)


def test_ddv_search_gets_the_preliminary_water_vapour_of_each_pixels_elevation(lut, monkeypatch):
    """DEM: left half at sea level, right half at 2 km, both simulated with a 2 cm (sea-level) column. The DDV
    search reads its tables at the preliminary WV, which is retrieved at each pixel's elevation: 2 cm (read at
    sea level, the 2 km half would look drier: see test_preliminary_water_vapour_reads_each_pixel_at_its_elevation)."""
    scene = _sea_level_and_2km(lut)
    seen = []
    real = driver.retrieve_aot
    monkeypatch.setattr(driver, "retrieve_aot", lambda sr, *a: seen.append(sr.water_vapour_cm) or real(sr, *a))
    driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0))
    assert seen == [pytest.approx(2.0, abs=0.1)]
