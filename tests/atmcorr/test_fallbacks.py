"""VIS_Update_Mode 0 (constant visibility) and the dense-bright-vegetation (DBV) fall-back (facts B.7)."""

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import aot, driver, visibility
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.rtm import grid
from tests.atmcorr.analytic_atmosphere import E0, make_table, toa_reflectance
from tests.atmcorr.test_driver import SAA, SOIL, SZA, make_scene

TRUE_VIS_KM = 20.0


@pytest.fixture(scope="module")
def lut():
    return make_table()


def run(scene, lut, **changes):
    return driver.correct_resolution(scene, lut, replace(AcSettings(adj_km=0.0), **changes))


# ----------------------------------------------------------------------------- VIS_Update_Mode 0
@pytest.mark.parametrize("vis_km", [5.0, 40.0, 100.0])
def test_vis_update_mode_zero_uses_the_configured_visibility_everywhere(lut, vis_km):
    scene, _ = make_scene(lut, vis_km=TRUE_VIS_KM)   # plenty of DDV: mode 1 would find 20 km
    res = run(scene, lut, vis_update_mode=0, visibility_km=vis_km)
    index = visibility.visibility_to_index(vis_km)
    assert np.all(res.vis_index == index)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "DEFAULT"
    assert res.info["DDV_PIXEL_PERCENTAGE"] == 0.0 and res.info["VISIBILITY_FROM_DDV"] is None
    assert res.info["GRANULE_MEAN_AOT"] == pytest.approx(
        grid.visibility_to_aot550(visibility.VISEXT_KM[index], 0.1), rel=1e-3)


def test_vis_update_mode_one_retrieves_instead_of_the_configured_value(lut):
    scene, _ = make_scene(lut, vis_km=TRUE_VIS_KM)
    res = run(scene, lut, vis_update_mode=1, visibility_km=100.0)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV"
    assert abs(np.median(res.vis_index) - visibility.visibility_to_index(TRUE_VIS_KM)) <= 1


def test_vis_update_mode_zero_ignores_cams(lut):
    scene, _ = make_scene(lut, soil_cols=60, cams_aod550=np.full((9, 9), 0.6))
    res = run(scene, lut, vis_update_mode=0, visibility_km=40.0)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "DEFAULT"
    assert np.all(res.vis_index == visibility.visibility_to_index(40.0))


# ----------------------------------------------------------------------------- DBV (function level)
def test_select_dbv_takes_the_ten_darkest_red_candidates():
    red = np.linspace(0.02, 0.05, 30).astype(np.float32)
    nir = np.full(30, 0.45, np.float32)
    mask = aot.select_dbv(red, nir, np.ones(30, bool))
    assert mask.sum() == 10 and mask[:10].all()


def test_select_dbv_thresholds():
    red = np.full(20, 0.03, np.float32)
    nir = np.full(20, 0.40, np.float32)            # NDVI 0.86
    valid = np.ones(20, bool)
    assert aot.select_dbv(red, nir, valid).sum() == 10
    assert aot.select_dbv(red, nir, valid, aot.DbvThresholds(nir_refl_th=0.41)).sum() == 0   # NIR test
    assert aot.select_dbv(red, nir, valid, aot.DbvThresholds(ndvi_th=0.9)).sum() == 0        # NDVI test
    few = nir.copy()
    few[4:] = 0.2                                   # 4 candidates < 5
    assert aot.select_dbv(red, few, valid).sum() == 0
    dark = red.copy()
    dark[:] = 0.009                                 # red floor 0.01
    assert aot.select_dbv(dark, nir, valid).sum() == 0
    steep = aot.select_dbv(red, nir, valid, incidence_offset_deg=lambda i: np.where(i < 12, 20.0, 5.0))
    assert steep.sum() == 8 and not steep[:12].any()


def test_dbv_visibility_floors_the_mean_of_rounded_indices():
    rounded_mean = 40.67  # 40, 41, 41: the floor gives 40 where rounding would give 41
    assert aot.dbv_visibility_km(np.array([40.4, 40.6, 41.4])) == visibility.scene_visibility_km(int(rounded_mean))


def test_dbv_clear_excludes_clouds_and_dark_features():
    scl = np.array([0, 1, 2, 4, 5, 6, 7, 8, 9, 10, 11], np.uint8)
    assert aot.dbv_clear(scl).tolist() == [False, False, False, True, True, True, False, False, False, False, True]
    assert aot.dbv_clear(np.array([0, 9, 9], np.uint8)).tolist() == [False, True, True]


# ----------------------------------------------------------------------------- DBV (one resolution)
def dbv_scene(lut, *, n=60, red_dbv=0.02):
    """Soil everywhere (no DDV), a 5 x 6 patch of bright vegetation; the red is ``red_dbv`` everywhere, so
    that the adjacency terms (Sen2Cor's half weight in the inversion) vanish and the truth is exact."""
    scl = np.full((n, n), 5, np.uint8)
    rho = {b: np.full((n, n), SOIL[b], np.float32) for b in lut.bands}
    rho["B04"][:] = red_dbv
    patch = (slice(10, 15), slice(10, 16))
    scl[patch] = 4
    for band, value in {"B04": red_dbv, "B8A": 0.45, "B12": 0.15, "B11": 0.25, "B03": 0.06, "B02": 0.03,
                        "B09": 0.45}.items():
        rho[band][patch] = value
    f = lut.interpolate(SZA, 0.0, 0.0, 0.1, TRUE_VIS_KM, 2.0)
    toa = {b: toa_reflectance(f, i, rho[b]) for i, b in enumerate(lut.bands)}
    return driver.SceneInputs(20, toa, scl, {b: E0[b] for b in lut.bands}, SZA, SAA, 0.0, SAA)


def test_dbv_raises_a_hazy_start_to_the_true_visibility(lut):
    scene = dbv_scene(lut)
    res = run(scene, lut, visibility_km=8.0)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "DEFAULT"
    assert res.info["FINAL_VISIBILITY"] == pytest.approx(TRUE_VIS_KM, rel=0.1)
    # no DBV pixel: only the negative-reflectance check, whose first step from 8 km is 23 km
    without = run(scene, lut, visibility_km=8.0, dbv=aot.DbvThresholds(nir_refl_th=0.5))
    assert without.info["FINAL_VISIBILITY"] == pytest.approx(
        visibility.VISEXT_KM[visibility.visibility_to_index(23.0)])


def test_dbv_is_not_accepted_below_the_start_visibility(lut):
    res = run(dbv_scene(lut), lut, visibility_km=40.0)
    assert res.info["FINAL_VISIBILITY"] == pytest.approx(
        visibility.VISEXT_KM[visibility.visibility_to_index(40.0)])


def test_dbv_red_reference_sets_the_visibility(lut):
    """AC_Red_Ref_Refl_Th: the darkest DBV pixels are assumed this bright; a brighter assumption leaves
    less path radiance, i.e. a clearer atmosphere."""
    scene = dbv_scene(lut, red_dbv=0.03)
    v = {ref: run(scene, lut, visibility_km=8.0, dbv=aot.DbvThresholds(red_ref_refl=ref)).info["FINAL_VISIBILITY"]
         for ref in (0.02, 0.03)}
    assert v[0.03] == pytest.approx(TRUE_VIS_KM, rel=0.1)
    assert v[0.02] < 0.8 * v[0.03]


def test_dbv_needs_vis_update_mode_one(lut):
    res = run(dbv_scene(lut), lut, visibility_km=8.0, vis_update_mode=0)
    assert np.all(res.vis_index == visibility.visibility_to_index(8.0))
