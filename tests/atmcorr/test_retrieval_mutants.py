"""``retrieval`` at function level on small analytic scenes (issue 20, mutation survivors of
``atmcorr/retrieval.py``): the DBV incidence test on terrain, what the DBV routine reports, and the
chaining of the DDV, CAMS and DBV paths.  Expected values from the facts (B.7, B.8) and the analytic
atmosphere's truth, never from the code's output."""

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import aot, radiance, retrieval, rtables, visibility
from sen2cor.rtm import grid
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr import test_dbv_pins
from tests.atmcorr.analytic_atmosphere import E0, toa_reflectance
from tests.atmcorr.retrieval_scenes import DBV_SURFACE, ELEVATION_KM, PATCH, WATER_VAPOUR_CM, scene_radiance
from tests.atmcorr.test_driver import SOIL, SZA, make_scene

SETTINGS = AcSettings(adj_km=0.0, visibility_km=40.0)
lut, table = test_dbv_pins.lut, test_dbv_pins.table   # the fixtures: the analytic LUT and its nadir table


# ----------------------------------------------------------------------------- DBV on terrain (facts B.7)
def test_dbv_incidence_test_reads_the_hillshade_on_both_sides_of_15_degrees(lut, table):
    """gdaldem's hillshade is 1 + 254 cos(beta); the sun zenith is 35 deg.  h = 165 (beta 49.78 deg, offset
    14.78) and h = 239 (beta 20.45, offset 14.55) pass |beta - SZA| < 15; h = 164 (50.08, 15.08) and h = 240
    (19.79, 15.21) do not: 3 + 3 of the 30 patch pixels are DBV pixels (>= 5, < 10)."""
    sr = scene_radiance(lut, 20.0)
    hill = np.full(sr.scl.shape, 209, np.uint8)            # flat: cos(beta) = cos(35 deg)
    codes = np.array([165] * 3 + [239] * 3 + [164] * 12 + [240] * 12, np.uint8)
    hill[PATCH] = codes.reshape(5, 6)
    info = {}
    v = retrieval.dbv_visibility(replace(sr, hillshade=hill), table, SETTINGS, info)
    assert info["DBV_PIXELS"] == 6
    assert v == pytest.approx(20.0, abs=2.0)               # the same red everywhere: the truth
    info = {}
    hill[PATCH] = 164                                      # every patch pixel 15.08 deg off: no DBV
    assert retrieval.dbv_visibility(replace(sr, hillshade=hill), table, SETTINGS, info) is None
    assert info == {"DBV_PIXELS": 0}


def test_dbv_reports_its_pixels_and_visibility(lut, table):
    """The retrieval's info: the 10 darkest of the 30 patch pixels and the DBV visibility (truth 20 km, one
    grid step); without candidates only the count 0."""
    res = retrieval.retrieve_aot(scene_radiance(lut, 20.0), table, replace(SETTINGS, visibility_km=8.0))
    assert res.info["DBV_PIXELS"] == 10 and res.blue_scaling == 1.0 and res.method == "DEFAULT"
    assert res.info["DBV_VISIBILITY"] == pytest.approx(20.0, abs=1.5)
    res = retrieval.retrieve_aot(scene_radiance(lut, 20.0, surface={"B8A": 0.2}), table, SETTINGS)
    assert res.info == {"DBV_PIXELS": 0}


def test_dbv_logs_its_pixels_and_visibility(lut, table, caplog):
    caplog.set_level("INFO", logger="sen2cor.atmcorr.retrieval")
    retrieval.dbv_visibility(scene_radiance(lut, 20.0), table, SETTINGS)
    message = [r.getMessage() for r in caplog.records if r.getMessage().startswith("DBV")]
    assert len(message) == 1 and message[0].startswith("DBV fall-back: 10 pixels, visibility ")
    assert float(message[0].split("visibility ")[1].removesuffix(" km")) == pytest.approx(20.0, abs=1.5)
    caplog.clear()
    retrieval.dbv_visibility(scene_radiance(lut, 20.0, surface={"B8A": 0.2}), table, SETTINGS)
    assert [r.getMessage() for r in caplog.records] == [
        "DBV fall-back: fewer than 5 dense bright vegetation pixels"]


# ----------------------------------------------------------------------------- blue scaling (facts B.8)
def ddv_radiance(lut, *, n=60, soil_cols=0, changes=()):
    """A DDV scene (vegetation, DDV red = B12 / 2, blue = red / 2 + 0.005 as Sen2Cor assumes; no noise)
    at 20 km, as the retrieval's input; ``changes``: ((rows, cols), SCL, B04 TOA reflectance) set afterwards."""
    scene, _ = make_scene(lut, n=n, soil_cols=soil_cols, noise=0.0, blue_from_red=True)
    toa = {b: a.copy() for b, a in scene.toa.items()}
    scl = scene.scl.copy()
    for where, code, red in changes:
        scl[where], toa["B04"][where] = code, red
    rad = {b: radiance.toa_radiance(toa[b], E0[b], SZA) for b in toa}
    return retrieval.SceneRadiance(rad, toa, scl, scl > 0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM)


SCALING = replace(SETTINGS, scaling_disabler=False, scaling_limiter=False, aerosol_type_ratio_th=0.0,
                  ddv_adjacency_weight=0.0)


def _lut_terms(table, band, vis_index):
    """(Lp, (E0t cos SZA + Edift) / pi) of the nadir table at 0.1 km and 2 cm."""
    get = lambda name: float(rtables.lookup(table, name, band, ELEVATION_KM, vis_index, WATER_VAPOUR_CM))  # noqa: E731
    return get("lp"), (get("e0t") * table.cos_sza + get("edift")) / np.pi


def test_blue_scaling_of_a_scene_with_the_tables_aerosol(lut, table):
    """All DDV, the blue as Sen2Cor assumes it: the scene path radiances are the LUT's, so the double ratio
    and the blue factor are 1.  Assuming AC_Red_Blue_Refl_Ratio 0.8 instead of the true 0.5 removes
    0.3 * rho_red * E / pi more from the blue radiance: sc = 1 - 0.3 * 0.02 * (E/pi) / Lp (facts B.8)."""
    sr = ddv_radiance(lut)
    res = retrieval.retrieve_aot(sr, table, SCALING, detection_only=True)
    assert res.ddv_visibility_km == pytest.approx(20.0, abs=1.0)
    assert res.double_ratio == pytest.approx(1.0, abs=0.01)
    assert res.blue_scaling == pytest.approx(1.0, abs=0.01)
    lp, e = _lut_terms(table, "B02", int(visibility.visibility_to_index(20.0)))
    res = retrieval.retrieve_aot(sr, table, replace(SCALING, red_blue_refl_ratio=0.8), detection_only=True)
    assert res.blue_scaling == pytest.approx(1.0 - 0.3 * 0.02 * e / lp, abs=0.01)
    assert res.blue_scaling < 0.95


def test_without_blue_there_is_neither_double_ratio_nor_scaling(lut, table):
    sr = ddv_radiance(lut)
    sr = replace(sr, radiance={b: r for b, r in sr.radiance.items() if b != "B02"})
    res = retrieval.retrieve_aot(sr, table, replace(SCALING, red_blue_refl_ratio=0.8), detection_only=True)
    assert res.method == "SEN2COR_DDV"
    assert res.double_ratio is None and res.blue_scaling == 1.0


def test_double_ratio_needs_both_scene_path_radiances_positive(lut, table):
    """Blue scene path radiance Lp - (r - 0.5) * 0.02 * E / pi: r = 3.5 leaves it between 0 and 1 (a ratio),
    r = 5 makes it negative (no ratio, no scaling).  Red: an assumed DDV red of 0.8 * B12 = 0.032 instead of
    0.02 leaves Lp_red - 0.012 E / pi between 0 and 1."""
    sr = ddv_radiance(lut)
    iv = int(visibility.visibility_to_index(20.0))
    lp, e = _lut_terms(table, "B02", iv)
    assert 0.0 < lp - 3.0 * 0.02 * e < 1.0 and lp - 4.5 * 0.02 * e < 0.0     # the design of the case
    small = retrieval.retrieve_aot(sr, table, replace(SCALING, red_blue_refl_ratio=3.5), detection_only=True)
    assert small.double_ratio is not None and 0.0 < small.double_ratio < 0.5
    negative = retrieval.retrieve_aot(sr, table, replace(SCALING, red_blue_refl_ratio=5.0), detection_only=True)
    assert negative.double_ratio is None and negative.blue_scaling == 1.0
    lp_red, e_red = _lut_terms(table, "B04", iv)
    assert 0.0 < lp_red - 0.012 * e_red < 1.0
    ddv = replace(SCALING.ddv, swir_22um_red_refl_ratio=0.8)
    red = retrieval.retrieve_aot(sr, table, replace(SCALING, ddv=ddv), detection_only=True)
    assert red.double_ratio is not None and red.double_ratio > 1.2


def test_scene_path_radiance_background_leaves_out_clouds_no_data_and_bright_pixels(lut, table):
    """The clear mean of the adjacency term (facts B.8: not cloud, not brighter than 5x the DDV red mean,
    valid): the red of cloud pixels (SCL 8, top left corner), of no-data pixels (SCL 0, top right) and of
    soil brighter than 5 x DDV red (bottom left) does not change the double ratio; the red of soil below
    5 x does (control).  The DDV inversion runs without its adjacency term, so the DDV pixels and the
    visibility are the same in every case."""
    n = 60
    base = ddv_radiance(lut, n=n)
    red_ddv = float(base.toa["B04"][n // 2, n // 2])
    cloud, nodata, bright, dim = ((slice(0, 4), slice(0, 4)), (slice(0, 4), slice(n - 4, n)),
                                  (slice(n - 4, n), slice(0, 4)), (slice(n - 4, n), slice(n - 4, n)))

    def ratio(cloud_red, nodata_red, bright_red, dim_red):
        changes = ((cloud, 8, cloud_red * red_ddv), (nodata, 0, nodata_red * red_ddv),
                   (bright, 5, bright_red * red_ddv), (dim, 5, dim_red * red_ddv))
        sr = ddv_radiance(lut, n=n, changes=changes)
        res = retrieval.retrieve_aot(sr, table, SCALING, detection_only=True)
        return res.double_ratio, res.ddv_visibility_km

    reference = ratio(2.0, 2.0, 5.3, 2.0)
    assert reference[0] is not None
    assert ratio(4.0, 2.0, 5.3, 2.0) == reference      # cloud red
    assert ratio(2.0, 4.0, 5.3, 2.0) == reference      # no-data red
    assert ratio(2.0, 2.0, 5.9, 2.0) == reference      # soil at 5.3 -> 5.9 x DDV red: still too bright
    changed = ratio(2.0, 2.0, 5.3, 4.5)                # soil at 2 -> 4.5 x DDV red: in the clear mean
    assert changed[1] == reference[1] and changed[0] != pytest.approx(reference[0], abs=1e-4)


@pytest.mark.parametrize("percentage, promille, scaled", [(60.0, 0.3, True), (70.0, 0.3, False),
                                                          (0.25, 600.0, True), (0.25, 700.0, False)])
def test_blue_scaling_needs_enough_ddv_pixels(lut, table, percentage, promille, scaled):
    """DDV pixels on 40 of 60 columns = 66.7 % = 667 per mille of the valid pixels: AC_Spr_Refl_Percentage
    60 / AC_Spr_Refl_Promille 600 let the blue factor through, 70 / 700 do not (facts B.8); the double
    ratio is computed either way."""
    sr = ddv_radiance(lut, soil_cols=20)
    settings = replace(SCALING, red_blue_refl_ratio=0.8, spr_refl_percentage=percentage,
                       spr_refl_promille=promille)
    res = retrieval.retrieve_aot(sr, table, settings, detection_only=True)
    assert res.ddv.percent == pytest.approx(100.0 * 40 / 60)
    assert res.double_ratio is not None
    assert (res.blue_scaling != 1.0) == scaled


# ----------------------------------------------------------------------------- DDV inversion per pixel elevation
def two_elevation_ddv(lut, n: int):
    """All DDV through 20 km, the left half at 0.1 km, the right half at 1.1 km: (elevation km, TOA, radiance,
    SCL, the table on the scene's elevation nodes)."""
    z = np.where(np.arange(n)[None, :] < n // 2, 0.1, 1.1) * np.ones((n, 1))
    low, _ = make_scene(lut, n=n, noise=0.0, altitude_km=0.1)
    high, _ = make_scene(lut, n=n, noise=0.0, altitude_km=1.1)
    toa = {b: np.where(z > 0.5, high.toa[b], low.toa[b]).astype(np.float32) for b in low.toa}
    rad = {b: radiance.toa_radiance(toa[b], E0[b], SZA) for b in toa}
    nodes = rtables.elevation_nodes(lut.elevation_km, z)
    t = rtables.tabulate(lut, lut.bands, SZA, 0.0, 0.0, np.array([E0[b] for b in lut.bands]), nodes,
                         np.asarray(lut.water_vapour_cm, float))
    return z, toa, rad, low.scl, t


def test_ddv_inversion_uses_each_pixels_elevation(lut):
    """All DDV, half of the scene at 0.1 km and half at 1.1 km, both seen through 20 km: each pixel is
    inverted with the functions of its own elevation, so both halves give the truth.  (With the sea-level
    functions for the 1.1 km half, its smaller path radiance would read as a clearer atmosphere.)"""
    n = 40
    z, toa, rad, scl, t = two_elevation_ddv(lut, n)
    assert t.elevation_km.tolist() == [0.0, 0.5, 1.0, 1.5]
    for zi in (None, rtables.elevation_class(t.elevation_km, z)):
        sr = retrieval.SceneRadiance(rad, toa, scl, scl > 0, z.astype(np.float32), 20.0, WATER_VAPOUR_CM, zi)
        res = retrieval.retrieve_aot(sr, t, SCALING)
        assert res.method == "SEN2COR_DDV"
        assert res.ddv_visibility_km == pytest.approx(20.0, abs=1.0)
        truth = visibility.visibility_to_index(20.0)
        assert np.abs(res.vis_index[:, : n // 2].astype(int) - truth).max() <= 1
        assert np.abs(res.vis_index[:, n // 2 :].astype(int) - truth).max() <= 1


# ----------------------------------------------------------------------------- CAMS fall-back (facts B.7)
def cams_aod(columns_km, rows=3):
    """A coarse CAMS aod550 grid (at sea level) whose columns correspond to the visibilities ``columns_km``."""
    return np.tile(grid.visibility_to_aot550(np.asarray(columns_km, float), 0.0), (rows, 1))


def test_cams_visibility_passing_the_checks_is_the_map(lut, table):
    """No DDV, CAMS at 30 km: the scene (truth 20 km, surface red 0.02) has no red below 0.01 at 30 km, so
    the CAMS visibility is the map; no-data pixels 0."""
    sr = scene_radiance(lut, 20.0)
    scl = sr.scl.copy()
    scl[:, -3:] = 0
    sr = replace(sr, scl=scl, valid=scl > 0)
    res = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=cams_aod([30.0] * 3))
    assert res.method == "CAMS" and res.ddv_visibility_km is None and res.blue_scaling == 1.0
    index = visibility.visibility_to_index(30.0)
    assert np.all(res.vis_index[:, :-3] == index) and np.all(res.vis_index[:, -3:] == 0)
    assert res.vis_index.dtype == np.uint8
    assert res.final_visibility_km == pytest.approx(float(visibility.VISEXT_KM[index]))


def test_hazy_cams_map_is_shifted_to_the_checked_visibility(lut, table):
    """CAMS 6 / 8 / 10 km across the tile on a 20 km scene: at the mean CAMS visibility the red is below 0.01
    everywhere, the check steps to 23 km (facts B.7 step 7: < 23 -> 23), where it passes; the CAMS index
    map is then shifted by (mean over the valid pixels - new index), values reaching below the new index
    stop at it (facts B.7 "Fallbacks": CAMS).  The last 6 columns (clearest CAMS) are no data: the mean is
    over the valid pixels only."""
    n = 30
    sr = scene_radiance(lut, 20.0, n=n)
    scl = sr.scl.copy()
    scl[:, -6:] = 0
    sr = replace(sr, scl=scl, valid=scl > 0)
    columns = [6.0, 8.0, 10.0]
    res = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=cams_aod(columns))
    coarse = np.tile(visibility.visibility_to_index(np.array(columns)).astype(np.float32), (3, 1))
    cams_index = aot.coarse_to_pixels(coarse, (n, n))
    new = visibility.visibility_to_index(23.0)
    shift = cams_index[:, :-6].mean() - new
    assert shift > 20
    want = np.where(cams_index > new, np.maximum(cams_index - shift, new), cams_index)
    want = np.where(sr.valid, np.rint(want), 0)
    assert res.method == "CAMS"
    np.testing.assert_array_equal(res.vis_index, want)
    assert res.vis_index[0, 0] > res.vis_index[0, 5] > new == res.vis_index[0, 20]   # hazier side kept


# ----------------------------------------------------------------------------- pixels without a solution
def flat_tail(t: rtables.RtTable) -> rtables.RtTable:
    """The nadir table with the red functions at 120 km equal to those at 80 km: a pixel whose rho(V) stays
    below the reference up to 80 km then has no solution (no rising segment to extrapolate; facts B.7
    step 5: such pixels take the mean index of the others)."""
    iv = visibility.visibility_to_index(grid.VISIBILITY_KM)
    b = t.band("B04")
    arrays = {}
    for name in ("lp", "e0t", "edift", "q"):
        a = getattr(t, name).copy()
        a[b, :, iv[-1]] = a[b, :, iv[-2]]
        arrays[name] = a
    return replace(t, cache={}, **arrays)


def test_dbv_pixels_without_a_solution_take_the_mean_of_the_others(lut, table):
    """4 of the 10 darkest DBV pixels are black in red (TOA = path radiance only): with the flat 80-120 km
    tail they have no solution, and the DBV visibility is that of the 6 others (truth 20 km)."""
    red = np.full((5, 6), 0.02)
    red.ravel()[:4] = 0.0
    sr = scene_radiance(lut, 20.0, surface=dict(DBV_SURFACE, B04=red))
    info = {}
    v = retrieval.dbv_visibility(sr, flat_tail(table), SETTINGS, info)
    assert info["DBV_PIXELS"] == 10
    assert v == pytest.approx(20.0, abs=1.5)
    # every pixel black: no solution at all, no DBV visibility
    sr = scene_radiance(lut, 20.0, surface=dict(DBV_SURFACE, B04=0.0))
    assert retrieval.dbv_visibility(sr, flat_tail(table), SETTINGS) is None


def test_ddv_pixels_without_a_solution_take_the_mean_of_the_others(lut, table):
    """A quarter of the DDV pixels black in red: with the flat tail they have no solution and take the mean
    index of the others, so the DDV visibility stays the truth; all of them black: the start visibility."""
    n = 40
    black = float(lut.interpolate(SZA, 0.0, 0.0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM,
                                  bands=("B04",)).path_reflectance[0])
    some = ddv_radiance(lut, n=n, changes=(((slice(0, n), slice(0, n // 4)), 4, black),))
    res = retrieval.retrieve_aot(some, flat_tail(table), SCALING, detection_only=True)
    assert res.ddv.mask.sum() == n * n
    assert res.ddv_visibility_km == pytest.approx(20.0, abs=1.0)
    every = ddv_radiance(lut, n=n, changes=(((slice(0, n), slice(0, n)), 4, black),))
    res = retrieval.retrieve_aot(every, flat_tail(table), replace(SCALING, visibility_km=30.0), detection_only=True)
    assert res.ddv_visibility_km == pytest.approx(float(visibility.VISEXT_KM[visibility.visibility_to_index(30.0)]))


# ----------------------------------------------------------------------------- VIS_Update_Mode 0, detection only
def test_constant_visibility_mode_and_detection_only(lut, table):
    sr = scene_radiance(lut, 20.0)
    scl = sr.scl.copy()
    scl[:2] = 0
    sr = replace(sr, scl=scl, valid=scl > 0)
    mode0 = replace(SETTINGS, vis_update_mode=0, visibility_km=30.0)
    res = retrieval.retrieve_aot(sr, table, mode0)
    index = visibility.visibility_to_index(30.0)
    assert res.method == "DEFAULT" and res.start_visibility_km == res.final_visibility_km == 30.0
    assert res.blue_scaling == 1.0 and res.double_ratio is None
    assert np.all(res.vis_index[2:] == index) and np.all(res.vis_index[:2] == 0) and res.vis_index.dtype == np.uint8
    detect = retrieval.retrieve_aot(sr, table, mode0, detection_only=True)
    assert detect.method == "DEFAULT" and not detect.vis_index.any() and detect.vis_index.shape == sr.scl.shape
    assert detect.vis_index.dtype == np.uint8
    # no DDV, detection only: no map, no DBV, no check; the start visibility
    detect = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=cams_aod([8.0] * 3), detection_only=True)
    assert detect.method == "DEFAULT" and not detect.vis_index.any() and detect.info == {}
    assert detect.final_visibility_km == 40.0 and detect.double_ratio is None
    assert detect.start_visibility_km == 40.0 and detect.ddv_visibility_km is None and not detect.ddv.found
    assert detect.vis_index.shape == sr.scl.shape and detect.vis_index.dtype == np.uint8
    # DDV, detection only: the DDV visibility, no map
    ddv = retrieval.retrieve_aot(ddv_radiance(lut), table, SCALING, detection_only=True)
    assert ddv.method == "SEN2COR_DDV" and not ddv.vis_index.any()
    assert ddv.final_visibility_km == ddv.ddv_visibility_km == pytest.approx(20.0, abs=1.0)
    assert ddv.vis_index.dtype == np.uint8 and ddv.vis_index.shape == (60, 60)
    assert ddv.start_visibility_km == 40.0


# ----------------------------------------------------------------------------- water vapour (facts B.9)
def test_apda_curves_are_the_lut_ratio_of_a_0_3_surface():
    """R = (L - Lp)_B09 / (L - Lp)_B8A of a surface of 0.3 with L - Lp = (0.3 / pi) E / (1 - (0.3 - r) S),
    E = E0t cos SZA + Edift (facts B.9), on a table with distinct values per band, node, visibility, level."""
    nodes, levels = np.array([0.0, 0.5]), np.array([0.4, 1.0, 2.0])
    shape = (3, 2, visibility.N_VIS_INDEX, 3)        # bands B02 (unused), B8A, B09
    grid_values = np.add.outer(np.add.outer(np.array([0.0, 0.1]), 0.001 * np.arange(shape[2])), 0.05 * levels)
    e0t = np.stack([90 + 10 * grid_values, 60 + 10 * grid_values, 40 - 10 * grid_values])
    edift = np.stack([9 + grid_values, 6 + grid_values, 4 + 2 * grid_values])
    s = np.stack([0.2 + grid_values, 0.05 + 0.1 * grid_values, 0.08 + 0.2 * grid_values])
    lp = np.stack([5 + grid_values, 1 + grid_values, 0.3 + grid_values])
    t = rtables.RtTable(("B02", "B8A", "B09"), nodes, levels, 0.6, lp, e0t, edift, s, 0 * s, 0 * s + 0.9)
    for albedo in (0.15, 0.0):
        curves = retrieval.apda_curves(t, 40, albedo)
        e = e0t[:, :, 40] * 0.6 + edift[:, :, 40]
        reflected = 0.3 / np.pi * e / (1 - (0.3 - albedo) * s[:, :, 40])
        np.testing.assert_allclose(curves.ratio, reflected[2] / reflected[1], rtol=1e-12)
        np.testing.assert_array_equal(curves.lp_ref, lp[1, :, 40])
        np.testing.assert_array_equal(curves.lp_abs, lp[2, :, 40])
        np.testing.assert_array_equal(curves.elevation_km, nodes)
        np.testing.assert_array_equal(curves.water_vapour_cm, levels)


def _apda_scene(lut, wv_cm: np.ndarray, scl: np.ndarray):
    """B8A and B09 radiance of a soil surface under the water vapour ``wv_cm`` (per pixel, two values)."""
    rad = {}
    for band in ("B8A", "B09"):
        out = np.empty(wv_cm.shape, np.float32)
        for u in np.unique(wv_cm):
            toa = toa_of_band(lut, band, SOIL_B8A_B09[band], VIS_20_KM, float(u))
            out[wv_cm == u] = radiance.toa_radiance(np.float32(toa), E0[band], SZA)
        rad[band] = out
    return rad["B8A"], rad["B09"], scl


SOIL_B8A_B09 = {"B8A": 0.25, "B09": 0.26}
VIS_20_KM = float(visibility.VISEXT_KM[visibility.visibility_to_index(20.0)])   # on the index grid


def toa_of_band(lut, band, rho, vis_km, wv_cm):
    f = lut.interpolate(SZA, 0.0, 0.0, ELEVATION_KM, vis_km, wv_cm)
    i = lut.bands.index(band)
    return float(f.path_reflectance[i] + (f.t_down_dir[i] + f.t_down_dif[i]) * (f.t_up_dir[i] + f.t_up_dif[i])
                 * rho / (1 - f.spherical_albedo[i] * rho))


def test_water_vapour_map_is_filled_smoothed_and_zero_outside(lut, table):
    """1 cm on the left half, 3 cm on the right half of a 20 m soil scene.  Without smoothing each half reads
    its own value (to the APDA fit's few per cent) and the edge is sharp; Smooth_WV_Map 100 m is a box of
    100 / 20 = 5 pixels over that map; the no-data rows (SCL 0) are 0; the land average is the mean of the
    valid pixels."""
    n = 20
    wv = np.where(np.arange(n)[None, :] < n // 2, 1.0, 3.0) * np.ones((n, 1))
    scl = np.full((n, n), 5, np.uint8)
    scl[:2] = 0
    b8a, b09, scl = _apda_scene(lut, wv, scl)
    iv = int(visibility.visibility_to_index(20.0))
    sharp, mean = retrieval.retrieve_wv(b8a, b09, scl, ELEVATION_KM, table, iv, 1.0, 0.0, 1, 0.0, 20.0)
    np.testing.assert_allclose(sharp[2:, :10], 1.0, atol=0.1)
    np.testing.assert_allclose(sharp[2:, 10:], 3.0, atol=0.1)
    assert np.all(sharp[:2] == 0) and np.ptp(sharp[2:, :10]) == 0 and np.ptp(sharp[2:, 10:]) == 0
    assert mean == pytest.approx(float(sharp[2:].mean()), rel=1e-6)
    label, mean = retrieval.retrieve_wv(b8a, b09, scl, ELEVATION_KM, table, iv, 1.0, 0.0, 1, 100.0, 20.0)
    assert np.all(label[:2] == 0)
    box = [sharp[10, j - 2 : j + 3].mean() for j in range(2, n - 2)]
    np.testing.assert_allclose(label[10, 2 : n - 2], box, rtol=1e-5)
    assert label[10, 8] != label[10, 7] and label[10, 6] == label[10, 7]


def test_water_vapour_without_land_or_retrieval_is_the_start_value(lut, table):
    """Water everywhere (SCL 6) and no usable B09 (0 radiance: no ratio): nothing is retrieved, there is no
    land average, and the start value (1.0 cm) fills the valid pixels (WV_Watermask 1)."""
    n = 12
    scl = np.full((n, n), 6, np.uint8)
    scl[0] = 0
    b8a, _, scl = _apda_scene(lut, np.full((n, n), 2.0), scl)
    iv = int(visibility.visibility_to_index(20.0))
    label, mean = retrieval.retrieve_wv(b8a, np.zeros_like(b8a), scl, ELEVATION_KM, table, iv, 1.0, 0.0, 1,
                                        100.0, 20.0)
    assert mean == 1.0
    np.testing.assert_allclose(label[3:], 1.0, rtol=1e-6)   # (the box mean of rows 1, 2 takes in row 0)
    assert np.all(label[0] == 0)


# ----------------------------------------------------------------------------- negative-reflectance checks (B.7 step 7)
def uniform_soil(lut, surface: dict, n: int = 20, bands=None) -> retrieval.SceneRadiance:
    """Soil (SCL 5) everywhere, with the surface values of ``surface`` replacing the soil's, seen through
    20 km; ``bands``: the bands the scene has (all of the table's by default)."""
    scl = np.full((n, n), 5, np.uint8)
    f = lut.interpolate(SZA, 0.0, 0.0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM)
    toa = {b: toa_reflectance(f, i, np.full((n, n), surface.get(b, SOIL[b]), np.float32))
           for i, b in enumerate(lut.bands) if bands is None or b in bands}
    rad = {b: radiance.toa_radiance(toa[b], E0[b], SZA) for b in toa}
    return retrieval.SceneRadiance(rad, toa, scl, scl > 0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM)


def flat_reflectance_at(lut, band: str, surface: float, v_km: float) -> float:
    """What a uniform surface of 20 km truth reads as at visibility ``v_km`` (on the index grid), from the
    LUT functions: pi (L - Lp(V)) / (E0t cos SZA + Edift)(V) with L - Lp(20 km) = surface E(20) / pi (black
    background table, uniform surface: no spherical-albedo term at first order)."""
    i = lut.bands.index(band)
    def terms(v):
        f = lut.interpolate(SZA, 0.0, 0.0, ELEVATION_KM, v, WATER_VAPOUR_CM)
        t_up = f.t_up_dir[i] + f.t_up_dif[i]
        return f.path_reflectance[i], (f.t_down_dir[i] + f.t_down_dif[i]) * t_up, f.spherical_albedo[i]
    p20, t20, s20 = terms(20.0)
    toa = p20 + t20 * surface / (1 - s20 * surface)
    pv, tv, _ = terms(float(visibility.VISEXT_KM[visibility.visibility_to_index(v_km)]))
    return float((toa - pv) / tv)


@pytest.mark.parametrize("red, start, final", [(0.012, 15.0, 23.0), (0.02, 15.0, 15.0), (0.012, 8.0, 23.0)])
def test_red_check_steps_up_while_more_than_1_percent_is_below_0_01(lut, table, red, start, final):
    """AC_Cut_Off_Aot_Iter_Vegetation 0.01: a 0.012 red read at 15 km is about 0.004 (below: step to 23 km,
    where it is above), a 0.02 red about 0.012 at 15 km (kept)."""
    below = flat_reflectance_at(lut, "B04", red, start) < 0.01
    assert below == (final != start)
    assert flat_reflectance_at(lut, "B04", red, 23.0) > 0.01
    sr = uniform_soil(lut, {"B04": red})
    assert retrieval.negative_check(sr, table, start, SETTINGS) == final


@pytest.mark.parametrize("nir, final", [(0.003, 15.0), (0.0, 23.0)])
def test_b8a_check_uses_the_water_cut_off(lut, table, nir, final):
    """AC_Cut_Off_Aot_Iter_Water -0.005 on B8A after the red check (which a 0.1 red passes): a 0.003 NIR
    reads about -0.0025 at 15 km (kept), a black NIR about -0.0057 (step to 23 km, where it is 0.0025).
    Without B8A there is no second check."""
    assert (flat_reflectance_at(lut, "B8A", nir, 15.0) < -0.005) == (final == 23.0)
    assert flat_reflectance_at(lut, "B8A", nir, 23.0) > -0.005
    assert flat_reflectance_at(lut, "B8A", nir, 15.0) < 0.01          # the red cut-off would step it up
    sr = uniform_soil(lut, {"B04": 0.1, "B8A": nir})
    assert retrieval.negative_check(sr, table, 15.0, SETTINGS) == final
    no_nir = uniform_soil(lut, {"B04": 0.1, "B8A": nir}, bands=("B03", "B04", "B12"))
    assert retrieval.negative_check(no_nir, table, 15.0, SETTINGS) == 15.0


def test_checks_start_where_asked_and_stop_at_120_km(lut, table):
    sr = uniform_soil(lut, {"B04": 0.1})
    assert retrieval.negative_check(sr, table, 30.0, SETTINGS) == 30.0
    # a cut-off above every reflectance: from 100 km one step to 120 km, where the iteration ends; from
    # 8 km the steps 23, 26, 30, 35, 40, 50, ... 100, 120 (12 at most)
    everything = replace(SETTINGS, cut_off_aot_iter_vegetation=0.5)
    assert retrieval.negative_check(sr, table, 100.0, everything) == 120.0
    assert retrieval.negative_check(sr, table, 8.0, everything) == 120.0
    assert retrieval.negative_check(sr, table, 120.0, everything) == 120.0


def test_ddv_map_is_shifted_to_the_checked_visibility(lut, table):
    """All DDV at 20 km (DDV red 0.02) with AC_Cut_Off_Aot_Iter_Vegetation 0.025: the 0.02 red reads below
    0.025 at the DDV visibility, so the check steps up (23, 26, 30 ... km: the first where the reading
    reaches 0.025, from the LUT) and every DDV index moves down to the new index (facts B.7 step 8); the
    smoothed map is that index on the valid pixels, 0 on the two no-data rows."""
    steps = [23.0, 26.0, 30.0, 35.0, 40.0]
    v_final = next(v for v in steps if flat_reflectance_at(lut, "B04", 0.02, v) >= 0.025)
    assert v_final > 23.0
    sr = ddv_radiance(lut, n=40, changes=(((slice(0, 2), slice(0, 40)), 0, 0.05),))
    settings = replace(SCALING, cut_off_aot_iter_vegetation=0.025)
    res = retrieval.retrieve_aot(sr, table, settings)
    new = visibility.visibility_to_index(v_final)
    assert res.method == "SEN2COR_DDV" and res.ddv_visibility_km == pytest.approx(20.0, abs=1.0)
    assert res.start_visibility_km == 40.0 and res.ddv.mask[2:].all() and res.double_ratio is not None
    assert np.all(res.vis_index[2:] == new) and np.all(res.vis_index[:2] == 0)
    assert res.final_visibility_km == pytest.approx(float(visibility.VISEXT_KM[new]))
    # the shipped cut-off (0.01) keeps the DDV visibility
    kept = retrieval.retrieve_aot(sr, table, SCALING)
    assert np.all(kept.vis_index[2:] == visibility.visibility_to_index(res.ddv_visibility_km))


def test_final_visibility_is_the_mean_over_land(lut, table):
    """CAMS 30 / 40 / 60 km across the tile (clear enough for the checks): the reported visibility is that of
    the mean index of the land pixels (SCL 4, 5), not of the water on the left third; without land, of all
    valid pixels; without valid pixels, the start visibility."""
    n = 30
    sr = scene_radiance(lut, 20.0, n=n)
    scl = sr.scl.copy()
    scl[:, :10] = 6
    sr = replace(sr, scl=scl)
    res = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=cams_aod([30.0, 40.0, 60.0]))
    cams_index = np.rint(aot.coarse_to_pixels(
        np.tile(visibility.visibility_to_index(np.array([30.0, 40.0, 60.0])).astype(np.float32), (3, 1)), (n, n)))
    np.testing.assert_array_equal(res.vis_index, cams_index)
    assert res.final_visibility_km == visibility.scene_visibility_km(cams_index[:, 10:].mean())
    assert res.final_visibility_km != visibility.scene_visibility_km(cams_index.mean())
    water = replace(sr, scl=np.full((n, n), 6, np.uint8))
    res = retrieval.retrieve_aot(water, table, SETTINGS, cams_aod550=cams_aod([30.0, 40.0, 60.0]))
    assert res.final_visibility_km == visibility.scene_visibility_km(cams_index.mean())
    nodata = replace(sr, scl=np.zeros((n, n), np.uint8), valid=np.zeros((n, n), bool))
    res = retrieval.retrieve_aot(nodata, table, SETTINGS)
    assert not res.vis_index.any() and res.final_visibility_km == visibility.scene_visibility_km(
        visibility.visibility_to_index(40.0))


def test_retrieval_logs_its_method_and_visibilities(lut, table, caplog):
    caplog.set_level("INFO", logger="sen2cor.atmcorr.retrieval")
    retrieval.retrieve_aot(scene_radiance(lut, 20.0), table, replace(SETTINGS, vis_update_mode=0))
    assert [r.getMessage() for r in caplog.records] == [
        "AOT retrieval: VIS_Update_Mode 0, constant visibility 40.0 km"]
    caplog.clear()
    res = retrieval.retrieve_aot(scene_radiance(lut, 20.0), table, SETTINGS, cams_aod550=cams_aod([30.0] * 3))
    assert [r.getMessage() for r in caplog.records][-1] == (
        f"AOT retrieval CAMS: start 40.0 km, DDV None km, final {res.final_visibility_km:.1f} km (DDV 0.00 %)")


def test_a_pixel_at_exactly_five_times_the_ddv_red_is_clear(lut, table):
    """'Not brighter than 5x the DDV red mean' (facts B.8) includes 5x itself: with a DDV TOA red of 3/64, a
    soil pixel at exactly 15/64 (both exact in float32) is in the clear mean, one at 15/64 + 1/1024 is not;
    a pixel in the clear mean changes the double ratio (adjacency term), one outside it does not."""
    n = 40
    ddv = ((slice(0, n), slice(0, n)), 4, 3 / 64)

    def ratio(red):
        sr = ddv_radiance(lut, n=n, changes=(ddv, ((slice(n - 1, n), slice(n - 1, n)), 5, red)))
        return retrieval.retrieve_aot(sr, table, SCALING, detection_only=True).double_ratio

    at, above, further = ratio(15 / 64), ratio(15 / 64 + 1 / 1024), ratio(15 / 64 + 2 / 1024)
    assert above == further and at != above


def test_ddv_search_reads_b12_at_23_km(lut, table):
    """The DDV masking uses the flat B12 reflectance at 23 km (facts B.7 step 1).  A table whose
    B12 irradiances are a quarter of the true ones at every visibility index but that of 23 km makes the
    0.04 B12 of the vegetation read 0.16 (no DDV threshold reaches it) anywhere else: the DDV pixels are
    still found, with the first threshold (0.05)."""
    i23 = visibility.visibility_to_index(23.0)
    b = table.band("B12")
    others = np.arange(visibility.N_VIS_INDEX) != i23
    arrays = {name: getattr(table, name).copy() for name in ("e0t", "edift")}
    for a in arrays.values():
        a[b][:, others] *= 0.25
    skewed = replace(table, cache={}, **arrays)
    res = retrieval.retrieve_aot(ddv_radiance(lut), skewed, SCALING, detection_only=True)
    assert res.method == "SEN2COR_DDV" and res.ddv.swir_upper == 0.05 and res.ddv.mask.all()


@pytest.mark.parametrize("code, counts", [(4, True), (5, True), (6, True), (2, False), (3, False), (11, False)])
def test_ddv_adjacency_background_is_the_red_of_scl_4_5_6(lut, table, code, counts):
    """L_cell of the half-weight adjacency term of the DDV inversion is the mean red radiance of SCL 4, 5, 6
    (facts B.7 step 5): the red of a block of that class moves the DDV visibility, the red of a block of
    dark features (2), shadow (3) or snow (11) does not.  The block's B12 (TOA 0.2) keeps it out of DDV."""
    n = 40
    block = (slice(0, n), slice(0, 10))

    def v(red):
        sr = ddv_radiance(lut, n=n, changes=((block, code, red),))
        sr.radiance["B12"][block] = radiance.toa_radiance(np.float32(0.2), E0["B12"], SZA)
        settings = replace(SCALING, ddv_adjacency_weight=0.5)
        res = retrieval.retrieve_aot(sr, table, settings, detection_only=True)
        assert res.ddv.mask[:, 10:].all() and not res.ddv.mask[block].any()
        return res.ddv_visibility_km

    assert (v(0.01) != v(0.3)) == counts


def test_cams_visibility_is_at_the_cams_surface_height(lut, table):
    """The CAMS aod550 is that of the CAMS surface (geopotential / g0): the aod of 30 km at 1 km height with
    a geopotential of 1 km gives 30 km; read at sea level it would be another visibility."""
    aod = np.full((3, 3), grid.visibility_to_aot550(30.0, 1.0))
    sr = scene_radiance(lut, 20.0)
    res = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=aod, cams_geopotential=np.full((3, 3), 9806.65))
    assert np.all(res.vis_index == visibility.visibility_to_index(30.0))
    sea = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=aod)
    assert visibility.visibility_to_index(30.0) != sea.vis_index[0, 0]
    # no valid pixel: an empty map and the start visibility
    nodata = replace(sr, scl=np.zeros(sr.scl.shape, np.uint8), valid=np.zeros(sr.scl.shape, bool))
    res = retrieval.retrieve_aot(nodata, table, SETTINGS, cams_aod550=aod)
    assert res.method == "CAMS" and not res.vis_index.any()
    assert res.final_visibility_km == visibility.scene_visibility_km(visibility.visibility_to_index(40.0))


@pytest.mark.parametrize("changes, blue_ratio, expected", [
    (dict(), 2.0, "unclipped"),                                                # limiter off: sc < 0.9 kept
    (dict(scaling_limiter=True, min_sc_blu=0.85), 2.0, 0.85),                  # clipped at min_sc_blu
    (dict(scaling_limiter=True, max_sc_blu=1.05), 0.0, 1.05),                  # clipped at max_sc_blu
    (dict(aerosol_type_ratio_th=0.1), 0.8, 1.0),                               # |sc - 1| <= 0.1: no scaling
])
def test_blue_scaling_limits_from_the_settings(lut, table, changes, blue_ratio, expected):
    """Scaling_Limiter with min_sc_blu / max_sc_blu and AC_Aerosol_Type_Ratio_Th reach the blue factor
    (facts B.8): an assumed blue of 2 x red gives sc = 1 - 1.5 * 0.02 * E / Lp (about 0.64), of 0 x red
    (0.005) sc = 1 + 0.01 * E / Lp (about 1.12), of 0.8 x red about 0.93."""
    lp, e = _lut_terms(table, "B02", int(visibility.visibility_to_index(20.0)))
    settings = replace(SCALING, red_blue_refl_ratio=blue_ratio, **changes)
    sc = retrieval.retrieve_aot(ddv_radiance(lut), table, settings, detection_only=True).blue_scaling
    if expected == "unclipped":
        assert sc == pytest.approx(1.0 - 1.5 * 0.02 * e / lp, abs=0.01) and sc < 0.85
    else:
        assert sc == pytest.approx(expected)


def test_dbv_inversion_takes_the_adjacency_weight_of_the_settings(lut, table):
    """The DBV pixels are inverted like DDV pixels, with the half-weight adjacency term: on a soil background
    brighter in red (0.1) than the patch (0.02) the term lowers L*, i.e. a clearer DBV visibility than
    without it (weight 0)."""
    red = np.full((30, 30), 0.1)
    sr = scene_radiance(lut, 20.0, surface=dict(DBV_SURFACE))
    f = lut.interpolate(SZA, 0.0, 0.0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM)
    i = lut.bands.index("B04")
    red[PATCH] = 0.02
    toa = toa_reflectance(f, i, red.astype(np.float32))
    sr.toa["B04"][:] = toa
    sr.radiance["B04"][:] = radiance.toa_radiance(toa, E0["B04"], SZA)
    half = retrieval.dbv_visibility(sr, table, SETTINGS)
    none = retrieval.dbv_visibility(sr, table, replace(SETTINGS, ddv_adjacency_weight=0.0))
    assert half > none


@pytest.mark.parametrize("watermask, water_cm", [(0, 3.0), (1, 1.0)])
def test_wv_watermask_reaches_the_fill(lut, table, watermask, water_cm):
    """WV_Watermask 0 keeps what is retrieved over water (SCL 6, here 3 cm), 1 puts the land average (1 cm)
    there (facts B.9 post-processing)."""
    n = 20
    wv = np.where(np.arange(n)[None, :] < n // 2, 1.0, 3.0) * np.ones((n, 1))
    scl = np.where(wv > 2, 6, 5).astype(np.uint8)
    b8a, b09, scl = _apda_scene(lut, wv, scl)
    iv = int(visibility.visibility_to_index(20.0))
    label, mean = retrieval.retrieve_wv(b8a, b09, scl, ELEVATION_KM, table, iv, 1.0, 0.0, watermask, 0.0, 20.0)
    assert mean == pytest.approx(1.0, abs=0.1)
    np.testing.assert_allclose(label[:, n // 2 :], water_cm, atol=0.1)


def test_negative_check_reads_each_pixel_at_its_elevation(lut):
    """Half the scene at 0.1 km, half at 2.5 km, a red of 0.012 everywhere, through 20 km.  At 23 km each
    half, read with the functions of its own elevation, is above 0.01 and the start is kept; the high half
    read with the functions of another elevation (other path radiance) would fall below and step the
    visibility up."""
    n = 20
    high = np.arange(n)[None, :] >= n // 2
    z = np.where(high, 2.5, 0.1) * np.ones((n, 1))
    rho = {b: np.full((n, n), SOIL[b], np.float32) for b in lut.bands}
    rho["B04"][:] = 0.012
    toa = {}
    for i, b in enumerate(lut.bands):
        parts = [toa_reflectance(lut.interpolate(SZA, 0.0, 0.0, h, 20.0, WATER_VAPOUR_CM), i, rho[b])
                 for h in (0.1, 2.5)]
        toa[b] = np.where(high, parts[1], parts[0]).astype(np.float32)
    rad = {b: radiance.toa_radiance(toa[b], E0[b], SZA) for b in toa}
    scl = np.full((n, n), 5, np.uint8)
    nodes = rtables.elevation_nodes(lut.elevation_km, z)
    t = rtables.tabulate(lut, lut.bands, SZA, 0.0, 0.0, np.array([E0[b] for b in lut.bands]), nodes,
                         np.asarray(lut.water_vapour_cm, float))
    sr = retrieval.SceneRadiance(rad, toa, scl, scl > 0, z.astype(np.float32), 20.0, WATER_VAPOUR_CM)
    assert flat_reflectance_at(lut, "B04", 0.012, 23.0) > 0.01
    assert retrieval.negative_check(sr, t, 23.0, SETTINGS) == 23.0


def test_ddv_path_takes_the_settings_thresholds_weight_and_green_check(lut, table):
    """DDV on 40 of 60 columns (66.7 %): AC_Min_Ddv_Area 70 % fails the first two thresholds and the last
    one is kept (>= 1 %, facts B.7 step 3); the DDV inversion without its adjacency term gives the truth
    (20 km), with the half weight the bright soil reads as a clearer scene; a DDV green as dark as the red
    fails green >= 1.08 red and steps the visibility up (facts B.7 step 7)."""
    sr = ddv_radiance(lut, soil_cols=20)
    assert retrieval.retrieve_aot(sr, table, SCALING, detection_only=True).ddv.swir_upper == 0.05
    area = replace(SCALING, ddv=replace(SCALING.ddv, min_ddv_area_percent=70.0))
    assert retrieval.retrieve_aot(sr, table, area, detection_only=True).ddv.swir_upper == 0.12
    v0 = retrieval.retrieve_aot(sr, table, SCALING, detection_only=True).ddv_visibility_km
    v_half = retrieval.retrieve_aot(sr, table, replace(SCALING, ddv_adjacency_weight=0.5),
                                    detection_only=True).ddv_visibility_km
    assert v0 == pytest.approx(20.0, abs=1.0) and v_half > v0 + 2.0
    dark_green = ddv_radiance(lut)
    f = lut.interpolate(SZA, 0.0, 0.0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM)
    green = toa_reflectance(f, lut.bands.index("B03"), np.full(dark_green.scl.shape, 0.02, np.float32))
    dark_green.toa["B03"][:] = green
    dark_green.radiance["B03"][:] = radiance.toa_radiance(green, E0["B03"], SZA)
    res = retrieval.retrieve_aot(dark_green, table, SCALING)
    assert res.final_visibility_km > res.ddv_visibility_km + 2.0


# ----------------------------------------------------------------------------- round 4 (helper mutH)
def test_cams_and_dbv_results_report_the_start_and_the_failed_ddv_search(lut, table):
    """Without DDV the result still carries the start visibility and the DDV search's outcome (0 %, the
    first B12 threshold 0.05: DDV_PIXEL_PERCENTAGE and DDV_REFLECTANCE_RANGE of the metadata, facts
    "quality indicators"), and no DDV visibility: CAMS (start 40 km) and the DBV fall-back (start 8 km)."""
    sr = scene_radiance(lut, 20.0)
    cams = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=cams_aod([30.0] * 3))
    dbv = retrieval.retrieve_aot(sr, table, replace(SETTINGS, visibility_km=8.0))
    assert cams.method == "CAMS" and dbv.method == "DEFAULT" and dbv.info["DBV_PIXELS"] == 10
    for res, start in ((cams, 40.0), (dbv, 8.0)):
        assert res.start_visibility_km == start
        assert res.ddv_visibility_km is None
        assert res.ddv is not None and not res.ddv.found and res.ddv.mask.shape == sr.scl.shape
        assert res.ddv.percent == 0.0 and res.ddv.swir_upper == 0.05


def test_final_visibility_without_land_is_the_mean_over_the_valid_pixels(lut, table):
    """Water only (SCL 6: no DDV, no land for the negative checks), CAMS 30 km everywhere, start 40 km: the
    final visibility is that of the valid pixels' mean index, the 30 km of CAMS, not the start."""
    n = 30
    sr = scene_radiance(lut, 20.0, n=n, scl_value=6)
    sr = replace(sr, scl=np.full((n, n), 6, np.uint8))
    res = retrieval.retrieve_aot(sr, table, SETTINGS, cams_aod550=cams_aod([30.0] * 3))
    index = visibility.visibility_to_index(30.0)
    assert res.method == "CAMS" and np.all(res.vis_index == index)
    assert res.final_visibility_km == pytest.approx(float(visibility.VISEXT_KM[index]))
    assert res.final_visibility_km != pytest.approx(float(visibility.VISEXT_KM[visibility.visibility_to_index(40.0)]))


def test_retrieval_logs_the_ddv_visibility(lut, table, caplog):
    """The DDV path's log line names the DDV visibility (truth 20 km) and the DDV percentage (all of it)."""
    caplog.set_level("INFO", logger="sen2cor.atmcorr.retrieval")
    retrieval.retrieve_aot(ddv_radiance(lut), table, SCALING)
    line = [r.getMessage() for r in caplog.records if r.getMessage().startswith("AOT retrieval")][-1]
    assert line.startswith("AOT retrieval SEN2COR_DDV: start 40.0 km, DDV ") and line.endswith("(DDV 100.00 %)")
    assert float(line.split(", DDV ")[1].split(" km")[0]) == pytest.approx(20.0, abs=1.0)


def soil_at(lut, z_km: float, red: np.ndarray) -> retrieval.SceneRadiance:
    """Soil (SCL 5) at ``z_km`` with the surface red ``red`` (a map), seen through 20 km at 2 cm."""
    n = red.shape[0]
    f = lut.interpolate(SZA, 0.0, 0.0, z_km, 20.0, WATER_VAPOUR_CM)
    surface = {b: np.full((n, n), SOIL[b], np.float32) for b in lut.bands}
    surface["B04"] = red.astype(np.float32)
    toa = {b: toa_reflectance(f, i, surface[b]) for i, b in enumerate(lut.bands)}
    rad = {b: radiance.toa_radiance(toa[b], E0[b], SZA) for b in lut.bands}
    scl = np.full((n, n), 5, np.uint8)
    return retrieval.SceneRadiance(rad, toa, scl, scl > 0, z_km, 20.0, WATER_VAPOUR_CM)


def test_negative_check_adjacency_factor_is_at_the_scene_elevation_and_the_tested_visibility(lut):
    """The adjacency term of the red check, rho + q (rho - background) (facts B.7 step 7), takes q of the
    tested visibility at the scene's mean elevation.  5 % of a bright soil (red 0.3) is dark (red 0.02, read
    about 0.012 at 15 km): with the table's q the adjacency term pulls the dark pixels far below 0.01 and the
    check steps up from 15 km; in a table whose red q is 0 only at (1.0 km, 15 km) the term vanishes there
    and 15 km is kept.  q read at another elevation node or averaged over the visibilities is not 0."""
    n = 20
    red = np.full((n, n), 0.3)
    dark = (np.arange(n)[:, None] % 4 == 0) & (np.arange(n)[None, :] % 5 == 0)
    red[dark] = 0.02
    assert dark.mean() == 0.05
    assert flat_reflectance_at(lut, "B04", 0.02, 15.0) > 0.01
    sr = soil_at(lut, 1.0, red)
    nodes = np.array([0.0, 0.5, 1.0, 1.5])
    t = rtables.tabulate(lut, lut.bands, SZA, 0.0, 0.0, np.array([E0[b] for b in lut.bands]), nodes,
                         np.asarray(lut.water_vapour_cm, float))
    assert retrieval.negative_check(sr, t, 15.0, SETTINGS) > 15.0
    q = t.q.copy()
    q[t.band("B04"), 2, visibility.visibility_to_index(15.0)] = 0.0
    assert retrieval.negative_check(sr, replace(t, q=q, cache={}), 15.0, SETTINGS) == 15.0


def test_water_vapour_is_retrieved_with_the_curves_of_the_scene_elevation(lut):
    """A grey surface (0.25 in B8A and B09, APDA's assumption) at 2.0 km under 1.0 cm (sea-level column, the
    LUT's label) on a table with nodes 0 to 2.0 km: the retrieval with the functions of 2.0 km gives 1.0 cm;
    the retrieval start (2.0 cm) is what a pixel without a usable ratio would get."""
    n, z, u = 12, 2.0, 1.0
    f = lut.interpolate(SZA, 0.0, 0.0, z, VIS_20_KM, u)
    rad = {}
    for band in ("B8A", "B09"):
        i = lut.bands.index(band)
        rho = 0.25
        toa = (f.path_reflectance[i] + (f.t_down_dir[i] + f.t_down_dif[i]) * (f.t_up_dir[i] + f.t_up_dif[i])
               * rho / (1 - f.spherical_albedo[i] * rho))
        rad[band] = np.full((n, n), radiance.toa_radiance(np.float32(toa), E0[band], SZA), np.float32)
    nodes = rtables.elevation_nodes(lut.elevation_km, np.array([0.1, z]))
    assert nodes.size > 1 and nodes[-1] == z
    t = rtables.tabulate(lut, lut.bands, SZA, 0.0, 0.0, np.array([E0[b] for b in lut.bands]), nodes,
                         np.asarray(lut.water_vapour_cm, float))
    scl = np.full((n, n), 5, np.uint8)
    iv = int(visibility.visibility_to_index(20.0))
    label, mean = retrieval.retrieve_wv(rad["B8A"], rad["B09"], scl, np.full((n, n), z, np.float32), t, iv, 2.0,
                                        0.0, 1, 0.0, 20.0)
    np.testing.assert_allclose(label, u, atol=0.01)
    assert mean == pytest.approx(u, abs=0.01)


def test_ddv_inversion_in_chunks_reads_each_chunks_elevations(lut, monkeypatch):
    """The DDV inversion runs in chunks of DDV_CHUNK pixels (memory only): with a per-pixel elevation (half the
    scene at 0.1 km, half at 1.1 km) chunks of 150 of the 400 DDV pixels give the indices of one chunk, and the
    truth (20 km)."""
    n = 20
    z, toa, rad, scl, t = two_elevation_ddv(lut, n)
    sr = retrieval.SceneRadiance(rad, toa, scl, scl > 0, z.astype(np.float32), 20.0, WATER_VAPOUR_CM)
    whole = retrieval.retrieve_aot(sr, replace(t, cache={}), SCALING)
    monkeypatch.setattr(retrieval, "DDV_CHUNK", 150)
    chunked = retrieval.retrieve_aot(sr, replace(t, cache={}), SCALING)
    assert whole.ddv.mask.sum() == n * n
    assert chunked.ddv_visibility_km == whole.ddv_visibility_km == pytest.approx(20.0, abs=1.0)
    np.testing.assert_array_equal(chunked.vis_index, whole.vis_index)


def test_ddv_map_smoothing_window_from_the_settings(lut, table):
    """AC_Ddv_Smooting_Window (facts B.7 step 10) reaches the DDV map: DDV everywhere, the left half seen through
    10 km, the right half through 30 km, the negative checks switched off (cut-offs -1).  Window 0: no filter,
    each half keeps its own index (to three grid steps: the inversion interpolates between the LUT's visibilities); the
    1 km window (sigma 49 pixels at 20 m) blends them."""
    n = 40
    left, _ = make_scene(lut, n=n, vis_km=10.0, noise=0.0, blue_from_red=True)
    right, _ = make_scene(lut, n=n, vis_km=30.0, noise=0.0, blue_from_red=True)
    half = np.arange(n)[None, :] >= n // 2
    toa = {b: np.where(half, right.toa[b], left.toa[b]).astype(np.float32) for b in left.toa}
    rad = {b: radiance.toa_radiance(toa[b], E0[b], SZA) for b in toa}
    sr = retrieval.SceneRadiance(rad, toa, left.scl, left.scl > 0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM)
    settings = replace(SCALING, cut_off_aot_iter_vegetation=-1.0, cut_off_aot_iter_water=-1.0)
    sharp = retrieval.retrieve_aot(sr, table, replace(settings, ddv_smoothing_window_km=0.0))
    assert sharp.ddv.mask.all()
    i10, i30 = visibility.visibility_to_index(10.0), visibility.visibility_to_index(30.0)
    assert np.abs(sharp.vis_index[:, : n // 2].astype(int) - i10).max() <= 3
    assert np.abs(sharp.vis_index[:, n // 2 :].astype(int) - i30).max() <= 3
    smooth = retrieval.retrieve_aot(sr, table, replace(settings, ddv_smoothing_window_km=1.0))
    assert np.abs(smooth.vis_index[:, 0].astype(int) - i10).min() > 10
