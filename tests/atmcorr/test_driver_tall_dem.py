"""The driver on a DEM scene taller than one 1024-row strip, and pixels whose TOA is not finite.

``driver.correct_resolution`` makes the LUT elevation classes and the elevation in km strip by strip
(1024 rows, ``reflectance.STRIP_ROWS``). The scene below is 1100 x 6 pixels (a few thousand pixels, well under a
second) whose lower 76 rows lie 1 km higher than the rest, with the TOA of each row simulated at its own height:
the correction closes the loop in both strips only when each strip gets its own rows of the DEM.
"""

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import driver
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.rtm import grid
from tests.atmcorr.analytic_atmosphere import make_table, toa_reflectance
from tests.atmcorr.test_driver import E0, SAA, SZA, VEG, make_scene

ROWS, COLS = 1100, 6
SPLIT = 1024                  # first row of the second strip
Z_TOP_KM, Z_BOTTOM_KM = 0.5, 1.5   # LUT nodes: no interpolation error in the closed loop
VIS_KM, WV_CM = 23.0, 2.0


@pytest.fixture(scope="module")
def lut():
    return make_table()


def _tall_scene(lut, dem_m=None):
    """Vegetation (DDV red = B12 / 2, as ``make_scene``) whose TOA rows below SPLIT are seen at 1.5 km."""
    rng = np.random.default_rng(7)
    rho = {}
    for b in lut.bands:
        rho[b] = (VEG[b] * (1 + 0.03 * rng.standard_normal((ROWS, COLS)))).astype(np.float32)
    rho["B04"] = (0.5 * rho["B12"]).astype(np.float32)
    rho["B09"] = (rho["B8A"] * (VEG["B09"] / VEG["B8A"])).astype(np.float32)
    top = lut.interpolate(SZA, 0.0, 0.0, Z_TOP_KM, VIS_KM, WV_CM)
    bottom = lut.interpolate(SZA, 0.0, 0.0, Z_BOTTOM_KM, VIS_KM, WV_CM)
    toa = {}
    for i, b in enumerate(lut.bands):
        t = toa_reflectance(top, i, rho[b], None)
        t[SPLIT:] = toa_reflectance(bottom, i, rho[b][SPLIT:], None)
        toa[b] = np.asarray(t, np.float32)
    if dem_m is None:
        dem_m = np.full((ROWS, COLS), 1000.0 * Z_TOP_KM, np.float32)
        dem_m[SPLIT:] = 1000.0 * Z_BOTTOM_KM
    scl = np.full((ROWS, COLS), 4, np.uint8)
    scene = driver.SceneInputs(20, toa, scl, {b: E0[b] for b in lut.bands}, SZA, SAA, 0.0, SAA,
                               elevation_m=dem_m)
    return scene, rho


def _run(scene, lut):
    return driver.correct_resolution(scene, lut, AcSettings(adj_km=0.0, reference_albedo=0.0))


def test_each_strip_of_a_tall_scene_gets_its_own_rows_of_the_dem(lut):
    scene, rho = _tall_scene(lut)
    res = _run(scene, lut)
    assert res.info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV"
    for part in (slice(0, SPLIT), slice(SPLIT, ROWS)):
        for b, r in res.surface_reflectance.items():
            assert np.abs(r[part] - rho[b][part]).mean() < 0.002, (b, part)
    # AOT550 from the one visibility at each strip's own height (Sen2Cor's visibility-AOT relation)
    vis = res.info["FINAL_VISIBILITY"]
    assert res.aot550[:SPLIT].mean() == pytest.approx(grid.visibility_to_aot550(vis, Z_TOP_KM), rel=0.02)
    assert res.aot550[SPLIT:].mean() == pytest.approx(grid.visibility_to_aot550(vis, Z_BOTTOM_KM), rel=0.02)
    assert res.aot550[SPLIT:].mean() < 0.9 * res.aot550[:SPLIT].mean()   # 1 km higher: less aerosol


def test_the_tall_scene_check_can_fail(lut):
    """With the first strip's 0.5 km given to every row, the lower strip no longer closes the loop."""
    scene, rho = _tall_scene(lut, dem_m=np.full((ROWS, COLS), 1000.0 * Z_TOP_KM, np.float32))
    res = _run(scene, lut)
    errors = [np.abs(r[SPLIT:] - rho[b][SPLIT:]).mean() for b, r in res.surface_reflectance.items()]
    assert max(errors) > 0.005


def test_pixels_with_non_finite_toa_count_as_absent_in_the_ddv_percentage(lut):
    """No data from the reader (NaN TOA) is background like SCL 0: the DDV share is that of the finite rest.

    The scene's first 20 of 60 rows have NaN in B04; the DDV percentage (over non-background, non-water pixels,
    facts B.7 step 3) equals that of the 40 finite rows alone. Counting the NaN rows as valid pixels (an SCL of 1
    instead of 0 there) would divide by 3600 instead of 2400.
    """
    scene, _ = make_scene(lut)
    toa = {b: a.copy() for b, a in scene.toa.items()}
    toa["B04"][:20] = np.nan
    masked = _run(replace(scene, toa=toa), lut)
    cropped = _run(replace(scene, toa={b: a[20:] for b, a in scene.toa.items()}, scl=scene.scl[20:]), lut)
    assert cropped.info["DDV_PIXEL_PERCENTAGE"] > 10.0
    assert masked.info["DDV_PIXEL_PERCENTAGE"] == pytest.approx(cropped.info["DDV_PIXEL_PERCENTAGE"], rel=1e-9)
    assert masked.info["FINAL_VISIBILITY"] == pytest.approx(cropped.info["FINAL_VISIBILITY"])
