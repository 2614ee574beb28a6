"""Step 2 of the surface reflectance in row strips with a halo equals the whole-image computation."""

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import adjacency, driver, inputs, visibility, wvp
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.sceneclass.thresholds import in_classes
from tests.atmcorr.analytic_atmosphere import make_table
from tests.atmcorr.test_driver import make_scene

N = 200  # 20 m: Adj_Km 1 -> radius 51 px and terrain 0.5 km -> 25 px, both on the block-averaged grid


@pytest.fixture(scope="module")
def lut():
    return make_table()


def _rugged_cloudy_scene(lut):
    scene, _ = make_scene(lut, n=N, soil_cols=N // 3, bg_uniform=False, altitude_km=0.5)
    rows = np.arange(N)[:, None]
    dem = 500.0 + np.tile(np.linspace(0.0, 400.0, N), (N, 1)) + 30.0 * np.sin(rows / 7.0)
    slope = (10.0 + 15.0 * np.abs(np.sin(rows / 11.0))) * np.ones((1, N))
    aspect = np.where(np.arange(N)[None, :] < N // 2, 150.0, 330.0) * np.ones((N, 1))
    scl = scene.scl.copy()
    scl[10:30, 40:70] = 9  # clouds: replaced by the clear mean in the background
    scl[-15:, :20] = 0  # no data: border zone
    scl[60:64, :] = 6  # water
    return replace(scene, scl=scl, elevation_m=dem, slope_deg=slope, aspect_deg=aspect)


def _run(scene, lut, settings, strip_rows, monkeypatch=None):
    if monkeypatch is not None:  # the APDA retrieval and the AOT gather in strips of the same height
        monkeypatch.setattr(wvp, "STRIP_ROWS", strip_rows)
        monkeypatch.setattr(visibility, "STRIP_ROWS", strip_rows)
    toa = {b: a.copy() for b, a in scene.toa.items()}
    scene = replace(scene, toa=toa)
    return driver.correct_resolution(scene, lut, settings, in_place=True, strip_rows=strip_rows)


@pytest.mark.parametrize("brdf_code", [0, 11])
def test_strips_equal_the_whole_image_with_adjacency_and_terrain(lut, brdf_code, monkeypatch):
    scene = _rugged_cloudy_scene(lut)
    settings = AcSettings(adj_km=1.0, brdf_correction=brdf_code)
    assert inputs.rugged_terrain(scene, settings)
    whole = _run(scene, lut, settings, 10 * N, monkeypatch)  # one strip = the whole image
    no_adj = _run(scene, lut, replace(settings, adj_km=0.0), strip_rows=10 * N)
    # adjacency acts, so the comparison below exercises the background in strips
    assert np.abs(no_adj.surface_reflectance["B8A"] - whole.surface_reflectance["B8A"]).max() > 1e-3
    for rows in (7, 16, 64):  # 7 and 16 -> 6- and 12-row strips (block size 6), halos 60 and 30 rows
        strips = _run(scene, lut, settings, rows, monkeypatch)
        for b, ref in whole.surface_reflectance.items():
            np.testing.assert_allclose(strips.surface_reflectance[b], ref, rtol=0, atol=1e-6, err_msg=b)
        np.testing.assert_array_equal(strips.aot550, whole.aot550)
        np.testing.assert_array_equal(strips.wv_cm, whole.wv_cm)
        positive = strips.aot550[strips.aot550 > 0]
        assert strips.info["GRANULE_MEAN_AOT"] == pytest.approx(positive.mean(dtype=np.float64), rel=1e-12)


def test_strips_without_halo_would_differ(lut, monkeypatch):
    """The comparison above can fail: strips without a halo change the background near their edges."""
    scene = _rugged_cloudy_scene(lut)
    settings = AcSettings(adj_km=1.0)
    whole = _run(scene, lut, settings, strip_rows=10 * N)
    monkeypatch.setattr(adjacency, "box_halo", lambda radius, shape: (0, 1))
    strips = _run(scene, lut, settings, strip_rows=16)
    assert np.abs(strips.surface_reflectance["B8A"] - whole.surface_reflectance["B8A"]).max() > 1e-4


@pytest.mark.parametrize("radius", [3, 12, 25, 51])
def test_box_mean_in_strips_with_its_halo_equals_the_whole_image(radius):
    rng = np.random.default_rng(4)
    image = rng.random((230, 170)).astype(np.float32)
    whole = adjacency.box_mean(image, radius)
    halo, align = adjacency.box_halo(radius, image.shape)
    assert align == (radius // 8 if radius >= adjacency.FAST_BOX_RADIUS_PX else 1)
    grid = adjacency.uses_block_grid(radius, image.shape)
    out = image.copy()

    def strip(a, b, w0, w1):
        return adjacency.box_mean(out[w0:w1], radius, grid)[a - w0 : b - w0]

    adjacency.strip_apply(out, halo, align, 20, strip)
    np.testing.assert_allclose(out, whole, rtol=0, atol=1e-6)


def test_strip_apply_reads_original_rows_in_every_window():
    # 3-row vertical moving sum (halo 1), edges 'nearest': rows 0..9 of ones * row number
    image = np.repeat(np.arange(10, dtype=np.float64)[:, None], 2, axis=1)

    def moving_sum(a, b, w0, w1):
        padded = np.pad(image[w0:w1], ((1 if w0 == 0 else 0, 1 if w1 == 10 else 0), (0, 0)), mode="edge")
        off = a - w0 + (0 if w0 == 0 else -1) + 1
        return np.stack([padded[off + i - 1 : off + i + 2].sum(axis=0) for i in range(b - a)])

    adjacency.strip_apply(image, 1, 1, 3, moving_sum)
    expected = [0 + 0 + 1, 0 + 1 + 2, 3, 6, 9, 12, 15, 18, 21, 8 + 9 + 9]
    expected[2:9] = [3 * r for r in range(2, 9)]
    np.testing.assert_array_equal(image[:, 0], expected)


def test_aot_map_gathered_in_strips_equals_one_gather(monkeypatch):
    rng = np.random.default_rng(5)
    index = np.repeat(np.repeat(rng.integers(20, 150, (30, 25)), 7, axis=0), 7, axis=1).astype(np.uint8)
    valid = np.ones(index.shape, bool)
    valid[:5] = False
    dem_km = np.linspace(0.0, 2.0, index.size, dtype=np.float32).reshape(index.shape)
    for z in (0.3, dem_km):
        monkeypatch.setattr(visibility, "STRIP_ROWS", 10**6)
        whole = visibility.aot550_map(index, z, valid, 10.0)  # sigma 11 px: block-averaged path
        monkeypatch.setattr(visibility, "STRIP_ROWS", 6)
        strips = visibility.aot550_map(index, z, valid, 10.0)
        np.testing.assert_array_equal(strips, whole)
        assert whole.dtype == np.float32 and np.all(whole[:5] == 0) and whole[5:].min() > 0



def test_apda_in_strips_equals_the_whole_image():
    levels = np.array([0.4, 1.0, 2.0, 2.9, 4.0, 5.0])
    nodes = np.array([0.0, 1.0])
    ratio = 0.95 * np.exp(-0.03 * (levels * 1000.0) ** 0.45)
    lp_abs = 0.3 - 0.02 * levels
    curves = wvp.ApdaCurves(
        nodes, levels, np.full((2, 6), 0.8), np.stack([lp_abs, 0.9 * lp_abs]), np.stack([ratio, 1.02 * ratio])
    )
    rng = np.random.default_rng(6)
    n = 130  # > 100 lines: the position is smoothed between the passes
    u_true = 0.5 + 4.0 * rng.random((n, 40))
    l_ref = 5.8 + 0.5 * rng.random((n, 40))
    l_abs = np.interp(u_true, levels, lp_abs) + (l_ref - 0.8) * 0.95 * np.exp(-0.03 * (u_true * 1000) ** 0.45)
    z = np.linspace(0.0, 1.0, n)[:, None] * np.ones((1, 40))
    whole = wvp.retrieve_water_vapour(l_ref, l_abs, z, curves, 1.0, strip_rows=10**6)
    assert np.abs(whole - u_true).mean() < 0.5  # a working retrieval, not zeros
    for rows in (5, 16, 64):
        strips = wvp.retrieve_water_vapour(l_ref, l_abs, z, curves, 1.0, strip_rows=rows)
        np.testing.assert_allclose(strips, whole, rtol=0, atol=1e-6)


def test_scl_class_mask_equals_isin():
    scl = np.arange(256, dtype=np.uint8).reshape(16, 16)
    for classes in ((4, 5), (7, 8, 9, 10), (0,)):
        np.testing.assert_array_equal(in_classes(scl, classes), np.isin(scl, classes))
        np.testing.assert_array_equal(in_classes(scl.astype(np.int16) - 1, classes), np.isin(scl.astype(np.int16) - 1,
                                                                                              classes))
    assert in_classes(scl, (4, 5)).sum() == 2
