"""``reflectance.surface_reflectance`` on small analytic scenes (issue 20, mutation survivors of
``atmcorr/reflectance.py``): the sun zenith of each processing cell, which bands follow the per-pixel water
vapour (facts B.9), the per-pixel visibility of the other bands, and the high-cloud switch of the adjacency
step (facts B.10).  The TOA is made with the analytic atmosphere from a known surface, so the expected
surface reflectance is that surface (the closed loop of tests/atmcorr/test_driver.py, to 0.002)."""

import numpy as np
import pytest

from sen2cor.atmcorr import driver, reflectance, rtables, visibility
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr.analytic_atmosphere import E0, make_table, toa_reflectance
from tests.atmcorr.test_driver import SAA, SOIL, SZA, VEG

ELEVATION_KM = 0.1


@pytest.fixture(scope="module")
def lut():
    return make_table()


def toa_of(lut, rho: dict, sza: float, vis_km: float, wv_cm: float) -> dict:
    f = lut.interpolate(sza, 0.0, 0.0, ELEVATION_KM, vis_km, wv_cm)
    return {b: toa_reflectance(f, i, np.asarray(rho[b], np.float32)) for i, b in enumerate(lut.bands)}


def inputs(lut, toa, scl, *, vis_index, mean_vis_index, wv_label, wv_mean, sza_map=None, settings=None):
    scene = driver.SceneInputs(20, toa, scl, {b: E0[b] for b in lut.bands}, SZA, SAA, 0.0, SAA,
                               sza_map_deg=sza_map)
    return reflectance.SurfaceInputs(
        scene, lut, settings or AcSettings(adj_km=0.0, reference_albedo=0.0), lut.bands,
        np.array([E0[b] for b in lut.bands]), 0.0, np.int16(0),
        rtables.elevation_nodes(lut.elevation_km, ELEVATION_KM), np.asarray(lut.water_vapour_cm, float),
        vis_index, mean_vis_index, wv_label, wv_mean, 1.0, 0.0, scl > 0)


def index_of(v_km: float) -> int:
    return int(visibility.visibility_to_index(v_km))


def grid_vis(v_km: float) -> float:
    return float(visibility.VISEXT_KM[index_of(v_km)])


def test_each_processing_cell_is_corrected_with_its_own_sun_zenith(lut):
    """1000 columns = two cells (915 + 85 columns, facts B.6); the sun zenith map is 30 deg on the first and
    40 deg on the second, and the TOA of each was made with its angle: both give the surface back.  (With
    the tile-mean 35 deg, or the other cell's angle, they would not: the check below.)"""
    shape = (4, 1000)
    rho = {b: np.full(shape, VEG[b], np.float32) for b in lut.bands}
    sza_map = np.where(np.arange(1000)[None, :] < 915, 30.0, 40.0) * np.ones((4, 1))
    v = grid_vis(20.0)
    left, right = toa_of(lut, rho, 30.0, v, 2.0), toa_of(lut, rho, 40.0, v, 2.0)
    toa = {b: np.where(sza_map < 35, left[b], right[b]).astype(np.float32) for b in lut.bands}
    scl = np.full(shape, 4, np.uint8)
    scl[0, 900:930] = 0                                      # no data on both sides of the cell edge: 0
    vis = np.full(shape, index_of(20.0), np.uint8)
    p = inputs(lut, toa, scl, vis_index=vis, mean_vis_index=index_of(20.0), wv_label=2.0, wv_mean=2.0,
               sza_map=sza_map)
    out = reflectance.surface_reflectance(p, toa)
    assert "B10" not in out and set(out) == set(lut.bands) - {"B10"}
    for b in ("B02", "B04", "B8A", "B12"):
        np.testing.assert_allclose(out[b][scl > 0], VEG[b], atol=0.002, err_msg=b)
        assert np.all(out[b][scl == 0] == 0)
    # the same TOA without the map (35 deg everywhere) misses the surface in the blue
    flat = reflectance.surface_reflectance(
        inputs(lut, toa, scl, vis_index=vis, mean_vis_index=index_of(20.0), wv_label=2.0, wv_mean=2.0), toa)
    assert np.abs(flat["B02"][scl > 0] - VEG["B02"]).max() > 0.004


def test_water_vapour_bands_follow_the_per_pixel_water_vapour_at_the_scene_visibility(lut):
    """Left half 1 cm, right half 3 cm of water vapour; visibility-index map 20 km left, 40 km right, scene
    mean index 20 km.  The bands of facts B.9 (B05-B07, B09, B11, B12) take the per-pixel water vapour at
    the scene-mean visibility, the others the per-pixel visibility at the scene water vapour: the TOA is
    made that way and every band gives the surface back."""
    shape = (6, 40)
    rho = {b: np.full(shape, SOIL[b], np.float32) for b in lut.bands}
    right = np.arange(40)[None, :] >= 20
    wv = np.where(right, 3.0, 1.0) * np.ones((6, 1))
    v20, v40 = grid_vis(20.0), grid_vis(40.0)
    toa = {}
    for b in lut.bands:
        if b in reflectance.WV_BANDS:       # scene visibility (20 km), own water vapour
            parts = toa_of(lut, rho, SZA, v20, 1.0)[b], toa_of(lut, rho, SZA, v20, 3.0)[b]
        else:                               # own visibility, scene water vapour (2 cm)
            parts = toa_of(lut, rho, SZA, v20, 2.0)[b], toa_of(lut, rho, SZA, v40, 2.0)[b]
        toa[b] = np.where(right, parts[1], parts[0]).astype(np.float32)
    scl = np.full(shape, 5, np.uint8)
    vis = np.where(right, index_of(40.0), index_of(20.0)).astype(np.uint8)
    p = inputs(lut, toa, scl, vis_index=vis, mean_vis_index=index_of(20.0), wv_label=wv.astype(np.float32),
               wv_mean=2.0)
    out = reflectance.surface_reflectance(p, toa)
    assert reflectance.WV_BANDS == ("B05", "B06", "B07", "B09", "B10", "B11", "B12")
    for b in out:
        np.testing.assert_allclose(out[b], SOIL[b], atol=0.002, err_msg=b)


@pytest.mark.parametrize("n_cloud, adjacency", [(950, True), (951, False)])
def test_adjacency_is_skipped_above_95_percent_cloud(lut, n_cloud, adjacency):
    """Cloud (SCL 9) / (cloud + clear) <= 0.95 keeps the adjacency step (2.10.2, facts B.10): 950 of 1000
    pixels (95.0 %) keep it, 951 (95.1 %) do not; the 50 / 49 clear pixels alternate soil and vegetation,
    so the adjacency term changes them."""
    shape = (20, 50)
    scl = np.full(shape, 9, np.uint8)
    flat_scl = scl.reshape(-1)
    clear = np.arange(1000 - n_cloud) * (1000 // (1000 - n_cloud))
    flat_scl[clear] = np.where(np.arange(clear.size) % 2 == 0, 4, 5)
    rho = {b: np.where(scl == 4, VEG[b], np.where(scl == 5, SOIL[b], 0.6)).astype(np.float32) for b in lut.bands}
    toa = toa_of(lut, rho, SZA, grid_vis(20.0), 2.0)
    kw = dict(vis_index=np.full(shape, index_of(20.0), np.uint8), mean_vis_index=index_of(20.0), wv_label=2.0,
              wv_mean=2.0)
    with_adj = reflectance.surface_reflectance(
        inputs(lut, toa, scl, settings=AcSettings(adj_km=0.2, reference_albedo=0.0), **kw), toa)
    without = reflectance.surface_reflectance(inputs(lut, toa, scl, **kw), toa)
    differs = [not np.array_equal(with_adj[b][scl != 9], without[b][scl != 9]) for b in ("B02", "B04", "B8A")]
    assert all(differs) if adjacency else not any(differs)
