"""The speed and memory measures of the correction leave every value unchanged: threads, terrain layers
read per slice from the database, strip-wise elevation, per-pixel formulas in cache-sized row blocks."""
from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import driver, radiance, reflectance, stage, step2, terrain
from sen2cor.atmcorr.rtables import lookup
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.atmcorr.surface import (pixel_irradiance, step1_reflectance, sun_transmittance,
                                     terrain_start_irradiance)
from sen2cor.dem.prepare import TABLE_NAMES
from sen2cor.tables.store import Database
from tests.atmcorr.analytic_atmosphere import make_table
from tests.atmcorr.test_driver_strips import _rugged_cloudy_scene


@pytest.fixture(scope="module")
def lut():
    return make_table()


@pytest.fixture()
def small_cells(monkeypatch):
    """Cells of 100 x 90 px so that a 200 px scene has 6 of them (Sen2Cor's are 1830 x 915)."""
    monkeypatch.setattr(radiance, "cells", functools.partial(radiance.cells, cell_rows=100, cell_cols=90))


def _correct(scene, lut, settings, strip_rows=None):
    scene = replace(scene, toa={b: a.copy() for b, a in scene.toa.items()})
    return driver.correct_resolution(scene, lut, settings, in_place=True, strip_rows=strip_rows)


def _assert_same(a, b):
    assert a.surface_reflectance.keys() == b.surface_reflectance.keys()
    for band, values in a.surface_reflectance.items():
        np.testing.assert_array_equal(values, b.surface_reflectance[band], err_msg=band)
    np.testing.assert_array_equal(a.aot550, b.aot550)
    np.testing.assert_array_equal(a.wv_cm, b.wv_cm)
    assert a.info == b.info


def test_threads_give_the_same_reflectance_as_one_thread(lut, small_cells, monkeypatch):
    scene = _rugged_cloudy_scene(lut)
    settings = AcSettings(adj_km=1.0, brdf_correction=11)   # terrain, adjacency, BRDF with vegetation mask
    pools = []

    class RecordingPool(reflectance.ThreadPoolExecutor):
        def submit(self, fn, *args, **kwargs):
            pools.append(self._max_workers)
            return super().submit(fn, *args, **kwargs)

    monkeypatch.setattr(reflectance, "ThreadPoolExecutor", RecordingPool)
    one = _correct(scene, lut, settings, strip_rows=24)
    assert not pools   # Nr_Threads 1: no pool
    _assert_same(_correct(scene, lut, replace(settings, nr_threads=3), strip_rows=24), one)
    assert set(pools) == {3} and len(pools) > 20   # cells and strips went to a pool of Nr_Threads workers


def test_terrain_read_from_the_database_gives_the_same_reflectance(lut, small_cells, tmp_path):
    scene = _rugged_cloudy_scene(lut)
    elevation = np.rint(scene.elevation_m).astype(np.int16)   # the DEM as the tile stages it (int16 m)
    hillshade = np.full(elevation.shape, 200, np.uint8)
    scene = replace(scene, elevation_m=elevation, slope_deg=scene.slope_deg.astype(np.float32),
                    aspect_deg=scene.aspect_deg.astype(np.float32), hillshade=hillshade)
    settings = AcSettings(adj_km=1.0, nr_threads=2)
    in_memory = _correct(scene, lut, settings)
    db = Database(tmp_path / "t_resdb.h5")
    try:
        for key, name in (("elevation_m", "elevation"), ("slope_deg", "slope"), ("aspect_deg", "aspect"),
                          ("hillshade", "hillshade")):
            db.put(TABLE_NAMES[name], 20, getattr(scene, key))
        stored = stage.stored_terrain(db, 20)
        assert isinstance(stored["slope_deg"], stage.StoredArray)
        np.testing.assert_array_equal(stored["sky_view"][:, :], terrain.sky_view_factor(scene.slope_deg))
        _assert_same(_correct(replace(scene, **stored), lut, settings), in_memory)
    finally:
        db.close()


def test_stored_array_reads_slices_and_whole(tmp_path):
    values = np.arange(60, dtype=np.float32).reshape(6, 10)
    db = Database(tmp_path / "t_resdb.h5")
    try:
        db.put("SLP", 20, values)
        array = stage.StoredArray(db, "SLP", 20)
        assert array.shape == (6, 10) and array.dtype == np.float32 and np.ndim(array) == 2
        np.testing.assert_array_equal(array[1:3], values[1:3])
        np.testing.assert_array_equal(array[2:5, 3:7], values[2:5, 3:7])
        np.testing.assert_array_equal(np.asarray(array), values)
    finally:
        db.close()


def test_quasi_flat_test_in_strips_equals_the_whole_image_test():
    rng = np.random.default_rng(3)
    for p2p_m, steep_share in ((30.0, 0.0), (30.0, 0.02), (80.0, 0.0), (80.0, 0.005)):
        dem = (100.0 + p2p_m * rng.random((90, 70))).astype(np.float32)
        dem[0, 0] = 0.0   # sea: not part of the peak-to-peak
        slope = np.where(rng.random((90, 70)) < steep_share, 8.0, 2.0).astype(np.float32)
        whole_slope = np.deg2rad(slope)

        def reference(dem=dem, slope=whole_slope):   # the whole-image test as it was written before
            land = dem > 0
            p2p = float(np.max(dem, where=land, initial=dem.min())) - float(np.min(dem, where=land, initial=dem.max()))
            return p2p < 50.0 and float(np.mean(slope > 6.0)) < 0.01

        assert terrain.is_quasi_flat(dem, whole_slope) == reference()
        assert terrain.is_quasi_flat(dem, slope, slope_transform=np.deg2rad, strip_rows=7) == reference()
        # and the intended degree test, in strips
        assert terrain.is_quasi_flat(dem, slope, strip_rows=11) == reference(slope=slope)


def test_cache_rows_give_the_whole_cell_formulas(lut):
    """Step 1 and step 2 with terrain, row block by row block, equal the formulas on whole arrays."""
    rng = np.random.default_rng(0)
    shape = (70, 45)
    table = driver.tabulate(lut, ("B04",), 40.0, 5.0, 100.0, np.array([1500.0]), np.array([0.0, 0.5]),
                            np.asarray(lut.water_vapour_cm, dtype=np.float64))
    z = rng.integers(0, 26, shape).astype(np.int16)
    vis = rng.integers(0, 183, shape).astype(np.uint8)
    toa = rng.uniform(0.02, 0.4, shape).astype(np.float32)
    cbeta = (rng.integers(26, 256, shape) / 255.0).astype(np.float32)
    vsky = rng.uniform(0.7, 1.0, shape).astype(np.float32)
    settings = AcSettings()
    get = lambda name: lookup(table, name, "B04", z, vis, 1.0)  # noqa: E731
    e0t, edift = get("e0t"), get("edift")
    tsun = sun_transmittance(get("t_dir"), table.cos_sza)
    e_pix = pixel_irradiance(e0t, edift, cbeta, table.cos_sza, vsky, tsun)
    e_ter = terrain_start_irradiance(e0t, edift, table.cos_sza, vsky, settings.terrain_refl_start)
    lrad = radiance.toa_radiance(toa, 1500.0, 40.0)
    expected = step1_reflectance(lrad, get("lp") * 0.97, e_pix, e_ter, settings.topo_corr_cutoff)
    got = reflectance._rugged_step1(table, "B04", toa, 1500.0, 40.0, 0.97, z, vis, 1.0, cbeta, vsky, settings)
    np.testing.assert_array_equal(got, expected)
    e_new = terrain.terrain_irradiance(expected, vsky, e0t, edift, table.cos_sza, 5, False)
    expected2 = np.minimum(expected * (e_pix + e_ter) / (e_pix + e_new), settings.topo_corr_cutoff).astype(np.float32)
    got2 = step2._terrain_step2(expected, "B04", table, z, vis, 1.0, cbeta, vsky, settings, 5, False)
    np.testing.assert_array_equal(got2, expected2)
