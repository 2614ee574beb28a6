"""The correction one band at a time: TOA bands loaded on access, outputs handed to a sink as soon as they
are final, the per-pixel sun zenith computed per window. Results equal the whole-image path."""

import tracemalloc
import weakref
from collections.abc import Mapping
from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import driver, radiance, stage
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.tables.store import Database
from tests.atmcorr.analytic_atmosphere import make_table
from tests.atmcorr.test_driver import make_scene
from tests.atmcorr.test_driver_strips import _rugged_cloudy_scene

BANDS_10M = ("B02", "B03", "B04", "B8A")


@pytest.fixture(scope="module")
def lut():
    return make_table()


class CountingBands(Mapping):
    """TOA bands returned as fresh copies on each access (like stage.StagedBands), accesses counted."""

    def __init__(self, toa):
        self.toa, self.reads = toa, {b: 0 for b in toa}

    def __getitem__(self, band):
        self.reads[band] += 1
        return self.toa[band].copy()

    def __contains__(self, band):
        return band in self.toa

    def __iter__(self):
        return iter(self.toa)

    def __len__(self):
        return len(self.toa)


class RecordingSink:
    """Keeps a copy of each output and a weak reference to the array the driver handed over."""

    def __init__(self):
        self.names, self.copies, self.refs, self.alive_at_call = [], {}, [], []

    def __call__(self, name, values):
        self.alive_at_call.append(sum(r() is not None for r in self.refs))
        self.names.append(name)
        self.copies[name] = values.copy()
        self.refs.append(weakref.ref(values))


def _ten_metre_scene(lut, n=240):
    scene20, _ = make_scene(lut, n=n // 2, soil_cols=n // 6, bg_uniform=False)
    prior = driver.correct_resolution(scene20, lut, AcSettings(adj_km=1.0)).for_10m()
    scene10, _ = make_scene(lut, n=n, soil_cols=n // 3, bg_uniform=False, seed=3)
    return replace(scene10, resolution_m=10, toa={b: scene10.toa[b] for b in BANDS_10M}), prior


def test_sink_gets_each_band_then_aot_and_wvp_equal_to_the_whole_image_result(lut):
    scene, prior = _ten_metre_scene(lut)
    settings = AcSettings(adj_km=1.0)
    whole = driver.correct_resolution(scene, lut, settings, prior=prior)
    bands = CountingBands(scene.toa)
    sink = RecordingSink()
    streamed = driver.correct_resolution(replace(scene, toa=bands), lut, settings, prior=prior, in_place=True,
                                         sink=sink)
    assert sink.names == [*BANDS_10M, "AOT", "WVP"]
    assert streamed.surface_reflectance == {} and streamed.aot550 is None and streamed.wv_cm is None
    for b in BANDS_10M:
        np.testing.assert_array_equal(sink.copies[b], whole.surface_reflectance[b], err_msg=b)
    np.testing.assert_array_equal(sink.copies["AOT"], whole.aot550)
    np.testing.assert_array_equal(sink.copies["WVP"], whole.wv_cm)
    assert streamed.info == whole.info
    # every band read twice (the finite-TOA check, step 1) and each output released before the next one
    assert bands.reads == {b: 2 for b in BANDS_10M}
    assert sink.alive_at_call == [0] * len(sink.names)
    # the caller's arrays are untouched: the in-place correction wrote into the fresh copies
    np.testing.assert_array_equal(scene.toa["B04"], bands.toa["B04"])


@pytest.mark.parametrize("brdf_code", [0, 12])
def test_rugged_20m_with_lazy_bands_and_sink_equals_the_eager_run(lut, brdf_code):
    """Terrain, adjacency, BRDF (12: vegetation mask from the step-1 B8A and B04 before any step 2)."""
    scene = _rugged_cloudy_scene(lut)
    sza = np.linspace(30.0, 40.0, scene.scl.size, dtype=np.float32).reshape(scene.scl.shape)
    scene = replace(scene, sza_map_deg=sza)
    settings = AcSettings(adj_km=1.0, brdf_correction=brdf_code)
    whole = driver.correct_resolution(scene, lut, settings, strip_rows=32)
    sink = RecordingSink()
    driver.correct_resolution(replace(scene, toa=CountingBands(scene.toa)), lut, settings, in_place=True,
                              strip_rows=32, sink=sink)
    assert set(sink.names) == set(whole.surface_reflectance) | {"AOT", "WVP"}
    for b, ref in whole.surface_reflectance.items():
        np.testing.assert_array_equal(sink.copies[b], ref, err_msg=b)
    np.testing.assert_array_equal(sink.copies["WVP"], whole.wv_cm)


def test_cirrus_corrected_bands_on_access_equal_the_eager_correction(lut):
    scene, _ = make_scene(lut, n=80, soil_cols=20)
    toa = dict(scene.toa)
    cirrus = np.where(np.arange(80)[None, :] < 40, 0.02, 0.001).astype(np.float32)
    toa["B10"] = cirrus * np.ones((80, 1), np.float32)
    for b in ("B01", "B02", "B03"):
        toa[b] = toa[b] + np.float32(0.9) * toa["B10"]
    settings = AcSettings(adj_km=0.0, cirrus_correction=True, wv_threshold_cirrus_cm=0.0)
    eager = driver.correct_resolution(replace(scene, toa=toa), lut, settings)
    assert "CIRRUS_GAMMA" in eager.info
    lazy = driver.correct_resolution(replace(scene, toa=CountingBands(toa)), lut, settings, in_place=True)
    for b, ref in eager.surface_reflectance.items():
        np.testing.assert_array_equal(lazy.surface_reflectance[b], ref, err_msg=b)


def test_streaming_holds_less_than_the_whole_image_path(lut):
    """tracemalloc peak of a 10 m correction: all four bands in memory vs one at a time."""
    scene, prior = _ten_metre_scene(lut, n=1000)
    band_bytes = scene.toa["B02"].nbytes
    settings = AcSettings(adj_km=0.0)

    def peak(run):
        tracemalloc.start()
        try:
            run()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    def eager():
        toa = {b: a.copy() for b, a in scene.toa.items()}
        res = driver.correct_resolution(replace(scene, toa=toa), lut, settings, prior=prior, in_place=True)
        del toa, res

    def streamed():
        driver.correct_resolution(replace(scene, toa=CountingBands(scene.toa)), lut, settings, prior=prior,
                                  in_place=True, sink=lambda name, values: None)

    whole, lazy = peak(eager), peak(streamed)
    assert whole - lazy > 2.5 * band_bytes, (whole / band_bytes, lazy / band_bytes)


@pytest.mark.parametrize("offset", [(0, 0), (37, 11)])
def test_sun_zenith_windows_equal_the_full_map(offset):
    grid = 30.0 + np.add.outer(np.arange(23.0), 0.5 * np.arange(23.0))
    grid[3, 4] = np.nan   # a node without detector: filled with the mean like the full map
    shape = (300, 260)
    full = stage.sun_zenith_map(grid, 5000.0, shape, 20.0, offset)
    lazy = stage.SunZenithMap(grid, 5000.0, shape, 20.0, offset)
    np.testing.assert_array_equal(lazy[40:90, 7:250], full[40:90, 7:250])
    np.testing.assert_array_equal(lazy[290:400], full[290:])      # past the end: clipped like numpy
    np.testing.assert_array_equal(np.asarray(lazy), full)
    assert full.dtype == np.float32 and lazy.shape == shape
    # bilinear between nodes: pixel centre (row 0, col 0) at 10 m of a 5 km grid lies 0.001 node in
    assert float(radiance.angle_grid_to_pixels(np.array([[30.0, 40.0], [30.0, 40.0]]), 5000.0, (1, 1), 10.0)
                 [0, 0]) == pytest.approx(30.0 + 10.0 * 5.0 / 5000.0, abs=1e-5)
    with pytest.raises(TypeError):
        lazy[::2]


def test_staged_bands_read_fresh_arrays_from_the_database(tmp_path):
    rho = np.linspace(0.0, 0.5, 12, dtype=np.float32).reshape(3, 4)
    with Database(tmp_path / "t_resdb.h5") as db:
        db.put("B04", 10, rho)
        bands = stage.StagedBands(db, 10, ("B04", "B08"))
        assert "B04" in bands and "B02" not in bands and list(bands) == ["B04", "B08"]
        first = bands["B04"]
        first[:] = 9.0                                # an in-place correction writes into its copy
        np.testing.assert_array_equal(bands["B04"], rho)
        with pytest.raises(KeyError):
            bands["B02"]


def test_retrieval_views_read_nothing_up_front():
    """The 20 m retrievals see the bands through views: building them or testing membership reads no band."""
    bands = CountingBands({b: np.full((2, 2), 0.1, np.float32) for b in ("B02", "B04", "B8A")})
    rad = driver.LazyRadiance(driver._Bands(bands, ("B02", "B8A", "B09")), {"B02": 1900.0, "B8A": 950.0}, 0.0)
    assert "B8A" in rad and "B09" not in rad and list(rad) == ["B02", "B8A"]
    assert sum(bands.reads.values()) == 0
    # L = rho E0[mW cm-2 um-1] cos(0) / pi: 0.1 x 190 / pi
    assert float(rad["B02"][0, 0]) == pytest.approx(0.1 * 190.0 / np.pi, rel=1e-6)
    assert bands.reads == {"B02": 1, "B04": 0, "B8A": 0}
