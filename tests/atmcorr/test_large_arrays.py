"""The strip-wise atmospheric-correction routines on images of more than 2048 rows (default strips of
1024 rows, so two full strips and a partial one), against the whole-image definition."""

from dataclasses import replace

import numpy as np
import pytest
from scipy import ndimage

from sen2cor.atmcorr import aot, driver, visibility, wvp
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.rtm import grid
from tests.atmcorr.analytic_atmosphere import make_table
from tests.atmcorr.test_driver import make_scene

ROWS = 2 * 1024 + 301
LEVELS = np.array([0.4, 1.0, 2.0, 2.9, 4.0, 5.0])


def _ratio(u_cm, a=0.95, b=0.03, c=0.45):
    return a * np.exp(-b * (np.asarray(u_cm) * 1000.0) ** c)


def test_water_vapour_in_default_strips_equals_one_strip_and_the_truth():
    assert wvp.STRIP_ROWS < ROWS // 2
    u_true = np.tile(np.linspace(0.6, 4.6, ROWS)[:, None], (1, 3))
    lp_ref = np.full((1, LEVELS.size), 0.8)
    lp_abs = (0.3 - 0.02 * LEVELS)[None, :]
    curves = wvp.ApdaCurves(np.array([0.1]), LEVELS, lp_ref, lp_abs, _ratio(LEVELS)[None, :])
    l_ref = np.full(u_true.shape, 5.8)
    l_abs = np.interp(u_true, LEVELS, lp_abs[0]) + 5.0 * _ratio(u_true)
    strips = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0)
    whole = wvp.retrieve_water_vapour(l_ref, l_abs, 0.1, curves, start_cm=1.0, strip_rows=10 * ROWS)
    np.testing.assert_allclose(strips, whole, rtol=1e-6)
    np.testing.assert_allclose(strips, u_true, rtol=3e-3)


def test_aot_map_at_10_m_follows_the_full_resolution_gaussian():
    # 10 m: sigma = odd(max(int(100 / 10), 3)) = 11 px, taken on a block grid strip by strip
    index = np.full((ROWS, 150), 60, np.uint8)
    index[1500:, :] = 120  # steps in both directions, away from the strip boundaries
    index[:, 100:] = 90
    valid = np.ones(index.shape, bool)
    got = visibility.aot550_map(index, 0.0, valid, 10.0)
    exact = ndimage.gaussian_filter(grid.visibility_to_aot550(visibility.VISEXT_KM[index], 0.0), 11.0)
    np.testing.assert_allclose(got, exact, atol=0.004)
    far = (slice(200, 1400), slice(5, 50))  # > 4 sigma from every step: the AOT of visibility index 60
    np.testing.assert_allclose(got[far], grid.visibility_to_aot550(visibility.VISEXT_KM[60], 0.0), rtol=1e-5)


def test_bilinear_stretch_of_a_tall_image():
    coarse = np.random.default_rng(5).uniform(0.0, 0.8, (9, 9))
    shape = (ROWS, 37)
    rows, cols = np.meshgrid(np.linspace(0, 8, shape[0]), np.linspace(0, 8, shape[1]), indexing="ij")
    expected = ndimage.map_coordinates(coarse, [rows, cols], order=1, mode="nearest")
    np.testing.assert_allclose(aot.coarse_to_pixels(coarse, shape), expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("adj_km", [0.0, 1.0])
def test_correction_of_a_tall_scene_in_default_strips_equals_one_strip(adj_km):
    lut = make_table()
    scene, _ = make_scene(lut, n=60, soil_cols=20)
    reps = -(-ROWS // 60)
    tall = replace(scene, toa={b: np.tile(v, (reps, 1)) for b, v in scene.toa.items()},
                   scl=np.tile(scene.scl, (reps, 1)))
    tall.scl[700:760, 30:50] = 9  # a cloud on the first strip boundary's halo
    settings = AcSettings(adj_km=adj_km)
    strips = driver.correct_resolution(replace(tall, toa=dict(tall.toa)), lut, settings)
    whole = driver.correct_resolution(replace(tall, toa=dict(tall.toa)), lut, settings, strip_rows=10 * ROWS)
    for band, ref in whole.surface_reflectance.items():
        np.testing.assert_allclose(strips.surface_reflectance[band], ref, rtol=0, atol=2e-6, err_msg=band)
    np.testing.assert_array_equal(strips.aot550, whole.aot550)
    np.testing.assert_array_equal(strips.wv_cm, whole.wv_cm)
