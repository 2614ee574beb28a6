"""The L2A_AtmCorr stage's assembly of the driver inputs (``atmcorr.stage``), each value derived by hand:
tile latitude from the UTM corner, CAMS windows, the SceneInputs of a staged tile, the LUT choice and the
tables loaded per family. Fast (no product on disk; the packaged tables load in ~0.5 s)."""
from __future__ import annotations

import datetime as dt
import logging
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from sen2cor.atmcorr import stage
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.l1c.grib import GribField
from sen2cor.l1c.tile import AngleGrids, GeoPosition
from sen2cor.tables.store import Database
from tests.atmcorr.analytic_atmosphere import E0, make_table

#: WGS84 meridian arc from the equator to 45 deg N (4 984 944.4 m) times the UTM scale 0.9996
NORTHING_45N_M = 4_982_950.4
TILE_M = 109_800.0


def _field(values) -> GribField:
    t = dt.datetime(2024, 7, 1)
    return GribField("aod550", "AOD 550", "1", np.asarray(values, dtype=np.float64), (0, 1, 0, 0, 0, -1), t, t,
                     "surface", "aod550", 1)


def _product(*, epsg=32632, uly=NORTHING_45N_M + TILE_M / 2, when=dt.datetime(2024, 7, 1, 10, 30),
             spacecraft="S2A", sun_zenith=None):
    """The parts of an L1CProduct the stage reads: a tile centred on UTM 32 (500 000 E, ``uly`` - half a tile)."""
    grid = 30.0 + 0.5 * np.arange(23.0)[None, :] * np.ones((23, 1)) if sun_zenith is None else sun_zenith
    angles = AngleGrids(5000.0, grid, np.full((23, 23), 150.0), {}, {}, 35.0, 150.0,
                        {"B02": (4.0, 100.0), "B8A": (6.0, 120.0)}, {}, {})
    ulx = 500_000.0 - TILE_M / 2
    geo = {r: GeoPosition(ulx, uly, r, -r, int(TILE_M // r), int(TILE_M // r)) for r in (10, 20, 60)}
    tile = SimpleNamespace(angles=angles, geoposition=geo, epsg=epsg)
    return SimpleNamespace(tile=tile, radiometry=SimpleNamespace(solar_irradiance={"B02": 1959.7, "B04": 1512.8}),
                           spacecraft=spacecraft, sensing_start=when, spectral_responses=None)


# --- tile latitude (Mid_Latitude AUTO) ---

def test_tile_latitude_is_that_of_the_tile_centre():
    assert stage.tile_latitude_deg(32632, 500_000 - TILE_M / 2, NORTHING_45N_M + TILE_M / 2, TILE_M) == \
        pytest.approx(45.0, abs=1e-4)
    # southern hemisphere: false northing 10 000 km
    assert stage.tile_latitude_deg(32732, 500_000 - TILE_M / 2, 1e7 - NORTHING_45N_M + TILE_M / 2, TILE_M) == \
        pytest.approx(-45.0, abs=1e-4)
    # the corner itself is 54.9 km (0.49 deg) further north
    assert stage.tile_latitude_deg(32632, 500_000, NORTHING_45N_M, 0.0) == pytest.approx(45.0, abs=1e-4)
    assert stage.tile_latitude_deg(32632, 500_000, NORTHING_45N_M + TILE_M / 2, 0.0) > 45.4


# --- CAMS fields of a window ---

def test_window_of_coarse_puts_the_corner_nodes_on_the_tile_corners():
    coarse = 10.0 * np.arange(9.0)[:, None] + np.arange(9.0)[None, :]   # linear: bilinear is exact
    # frame 801 x 401 px: 8 node steps over 800 and 400 px -> 0.01 and 0.02 node per pixel
    got = stage.window_of_coarse(coarse, (801, 401), (3, 4), (100, 50))
    rows, cols = np.array([1.0, 1.01, 1.02]), np.array([1.0, 1.02, 1.04, 1.06])
    np.testing.assert_allclose(got, 10.0 * rows[:, None] + cols[None, :], rtol=0, atol=1e-12)
    assert got.dtype == np.float64
    # a 2-px frame: its pixels are the corners, i.e. the first and the last node
    np.testing.assert_allclose(stage.window_of_coarse(coarse, (2, 2), (1, 1), (1, 1)), [[88.0]])
    # a 1-px frame: the first node
    np.testing.assert_allclose(stage.window_of_coarse(coarse, (1, 1), (1, 1), (0, 0)), [[0.0]])


# --- SceneInputs of a staged tile ---

def test_scene_inputs_from_the_staged_arrays_and_the_metadata():
    product = _product()
    scl = np.full((6, 8), 4, np.uint8)
    toa = {"B02": np.full((6, 8), 0.1, np.float32)}
    dem = {"elevation_m": np.full((6, 8), 100.0), "slope_deg": np.ones((6, 8)), "aspect_deg": np.zeros((6, 8)),
           "hillshade": np.full((6, 8), 200, np.uint8), "sky_view": np.full((6, 8), 0.9)}
    cams = {"aod550": _field(np.full((9, 9), 0.2)), "z": _field(np.full((9, 9), 981.0))}
    scene = stage.scene_inputs(20, toa, scl, product, "winter", cams, dem)
    assert (scene.resolution_m, scene.season) == (20, "winter")
    assert scene.toa is toa and scene.scl is scl
    assert scene.e0_w_m2_um == {"B02": 1959.7, "B04": 1512.8}
    assert (scene.sza_deg, scene.saa_deg) == (35.0, 150.0)
    assert scene.vza_deg == pytest.approx(5.0) and scene.vaa_deg == pytest.approx(110.0)   # means of the bands
    for key in dem:
        assert getattr(scene, key) is dem[key]
    assert scene.cams_aod550 is cams["aod550"].values and scene.cams_geopotential is cams["z"].values
    # per-pixel sun zenith: 30 deg + 0.5 deg per 5 km node eastwards, at the pixel centres of 20 m
    cols = (np.arange(8) + 0.5) * 20.0 / 5000.0
    np.testing.assert_allclose(np.asarray(scene.sza_map_deg), np.broadcast_to(30.0 + 0.5 * cols, (6, 8)),
                               atol=1e-5)
    assert scene.sza_map_deg.shape == (6, 8)


def test_scene_inputs_without_dem_or_cams():
    scene = stage.scene_inputs(60, {}, np.zeros((2, 3), np.uint8), _product(), "summer", None)
    assert scene.elevation_m is None and scene.slope_deg is None and scene.aspect_deg is None
    assert scene.hillshade is None and scene.sky_view is None
    assert scene.cams_aod550 is None and scene.cams_geopotential is None
    only_aod = stage.scene_inputs(60, {}, np.zeros((2, 3), np.uint8), _product(), "summer",
                                  {"aod550": _field(np.ones((9, 9)))})
    assert only_aod.cams_geopotential is None and only_aod.cams_aod550 is not None


def test_scene_inputs_of_a_window_follow_its_offset():
    """A Region_Of_Interest window 30 rows and 40 columns into a 60 m tile (1830 px): the sun zenith and
    the CAMS fields are those of the window's pixels in the tile."""
    product = _product()
    aod = 10.0 * np.arange(9.0)[:, None] + np.arange(9.0)[None, :]
    scl = np.ones((2, 3), np.uint8)
    scene = stage.scene_inputs(60, {}, scl, product, "summer", {"aod550": _field(aod)}, offset_px=(30, 40))
    rows, cols = (30 + np.arange(2)) * 8 / 1829, (40 + np.arange(3)) * 8 / 1829
    np.testing.assert_allclose(scene.cams_aod550, 10.0 * rows[:, None] + cols[None, :], atol=1e-9)
    assert scene.cams_geopotential is None
    sza_cols = (40 + np.arange(3) + 0.5) * 60.0 / 5000.0
    np.testing.assert_allclose(np.asarray(scene.sza_map_deg), np.broadcast_to(30.0 + 0.5 * sza_cols, (2, 3)),
                               atol=1e-5)


# --- lazy sun zenith and stored arrays ---

def test_sun_zenith_map_rejects_what_it_cannot_window():
    lazy = stage.SunZenithMap(np.full((3, 3), 40.0), 5000.0, (50, 60), 20.0)
    for key in ((slice(None), slice(None, None, 2)), (slice(None, None, 2), slice(None)), 3, (slice(None), 4),
                (slice(None),) * 3):
        with pytest.raises(TypeError, match="SunZenithMap"):
            lazy[key]
    assert lazy[5:2].shape == (0, 60) and lazy[:, 70:80].shape == (50, 0)
    assert lazy[48:, 59:].shape == (2, 1) and np.all(lazy[48:, 59:] == np.float32(40.0))
    assert np.asarray(lazy).dtype == np.float32 and np.asarray(lazy, dtype=np.float64).dtype == np.float64
    assert lazy.dtype == np.float32 and lazy.ndim == 2 and lazy.pixel_m == 20.0


def test_stored_array_converts_on_request(tmp_path):
    values = np.arange(12, dtype=np.int16).reshape(3, 4)
    with Database(tmp_path / "t_resdb.h5") as db:
        db.put("DEM", 20, values)
        array = stage.StoredArray(db, "DEM", 20)
        assert array.size == 12 and array.dtype == np.int16
        as_float = np.asarray(array, dtype=np.float32)
        assert as_float.dtype == np.float32
        np.testing.assert_array_equal(as_float, values)


def test_stored_terrain_without_aspect_and_over_several_blocks(tmp_path, monkeypatch):
    monkeypatch.setattr(stage, "TERRAIN_BLOCK_ROWS", 4)
    slope = np.linspace(0.0, 60.0, 30, dtype=np.float32).reshape(10, 3)
    with Database(tmp_path / "t_resdb.h5") as db:
        db.put("SLP", 20, slope)
        db.put("DEM", 20, np.full((10, 3), 5, np.int16))
        layers = stage.stored_terrain(db, 20)
        assert layers["aspect_deg"] is None and layers["hillshade"] is None
        assert set(layers) == {"elevation_m", "slope_deg", "aspect_deg", "hillshade", "sky_view"}
        # V_sky = (1 + cos slope) / 2: 1 at 0 deg, 0.75 at 60 deg
        assert layers["sky_view"].dtype == np.float32     # a float32 layer like the others
        sky = np.asarray(layers["sky_view"])
        np.testing.assert_allclose(sky, (1 + np.cos(np.deg2rad(slope))) / 2, rtol=1e-6)
        assert sky[0, 0] == 1.0 and sky[-1, -1] == pytest.approx(0.75)


# --- LUT choice of a tile ---

def test_choose_atmosphere_takes_the_season_from_date_and_latitude(caplog):
    settings = AcSettings(mid_latitude="AUTO")
    never = lambda season: pytest.fail("no trial scene without Aerosol_Type AUTO")  # noqa: E731
    source = stage.LutSource()
    assert stage.choose_atmosphere(_product(), settings, source, None, never).selection.season == "summer"
    january = _product(when=dt.datetime(2024, 1, 15))
    assert stage.choose_atmosphere(january, settings, source, None, never).selection.season == "winter"
    south = _product(epsg=32732, uly=1e7 - NORTHING_45N_M + TILE_M / 2)
    assert stage.choose_atmosphere(south, settings, source, None, never).selection.season == "winter"
    atm = stage.choose_atmosphere(_product(spacecraft="S2B"), replace(settings, aerosol_type="MARITIME"), source,
                                  None, never)
    assert atm.selection.aerosol == "maritime" and atm.spacecraft == "S2B" and atm.source is source
    # Ozone_Content 0: the AUX_ECMWFT column (6.428e-3 kg m-2 = 300 DU) decides
    ecmwf = stage.choose_atmosphere(_product(), replace(settings, ozone_content_du=0.0), source,
                                    np.full((3, 3), 6.428e-3), never).selection
    assert ecmwf.ozone_source == "AUX_ECMWFT" and ecmwf.ozone_du == pytest.approx(300.0)
    # the sun beyond the tables' 70 deg node is reported
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.stage"):
        stage.choose_atmosphere(_product(sun_zenith=np.full((23, 23), 71.0)), settings, source, None, never)
    assert "sun zenith up to 71.0 deg" in caplog.text


def test_choose_atmosphere_auto_runs_the_trials_on_the_scene_of_the_first_season():
    seasons = []

    def make_scene(season):
        seasons.append(season)
        scl = np.full((20, 20), 5, np.uint8)    # bare soil: no DDV pixel, no double ratio
        toa = {b: np.full((20, 20), 0.2, np.float32) for b in ("B02", "B03", "B04", "B8A", "B12")}
        return stage.SceneInputs(20, toa, scl, dict(E0), 35.0, 150.0, season=season)

    atm = stage.choose_atmosphere(_product(when=dt.datetime(2024, 1, 15)),
                                  AcSettings(aerosol_type="AUTO", mid_latitude="AUTO"), stage.LutSource(), None,
                                  make_scene)
    assert seasons == ["winter"]
    assert atm.selection.aerosol == "rural" and atm.selection.season == "winter"


def test_tables_are_loaded_once_per_family():
    product = _product()
    selection = stage.choose_atmosphere(product, AcSettings(aerosol_type="MARITIME", mid_latitude="WINTER"),
                                        stage.LutSource(), None, None).selection
    atm = stage.TileAtmosphere(selection, stage.LutSource(), "S2A", None)
    t20, t10 = atm.table(20), atm.table(10)
    assert atm.table(60) is t20 and atm.table(10) is t10 and t10 is not t20
    assert "B08" in t10.bands and "B8A" not in t10.bands and "B8A" in t20.bands    # Sen2Cor's 10 and 20_60 folders
    assert t20.description["aerosol"].startswith("mari") and t20.description["season"] == "winter"
    assert stage.table_family("S2A", stage.LutSource("atm", None), 60) == "20_60"
    assert stage.table_family("S2A", stage.LutSource("atm", None), 10) == "10"


# --- the stage's call of the driver ---

def test_correct_overwrites_the_toa_and_hands_each_output_to_the_sink():
    from tests.atmcorr.test_driver import make_scene

    lut = make_table()
    scene, _ = make_scene(lut, n=20)
    toa = {b: a.copy() for b, a in scene.toa.items()}
    got = {}
    res = stage.correct(replace(scene, toa=toa), lut, AcSettings(adj_km=0.0),
                        sink=lambda name, values: got.setdefault(name, values))
    assert res.surface_reflectance == {} and res.aot550 is None and res.wv_cm is None
    assert {"B02", "B8A", "AOT", "WVP"} <= set(got)
    assert got["B02"] is toa["B02"]    # in place: the TOA array now holds the surface reflectance
    assert not np.allclose(got["B02"], scene.toa["B02"])


# --- what the run log says ---

def _messages(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "sen2cor.atmcorr.stage"]


def test_lut_source_messages_name_the_folder_and_the_tables(tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="sen2cor.atmcorr.stage"):
        stage.lut_source("nowhere", tmp_path, "S2B")
        stage.lut_source("lib", tmp_path, "S2A")
    assert _messages(caplog) == [
        f"Lib_Dir {tmp_path / 'nowhere'} does not exist for S2B (lib_S2B/20_60): using the packaged tables (sen2cor)",
        f"Lib_Dir {tmp_path / 'lib'} not present: using the packaged tables (sen2cor) for S2A"]


def test_sun_beyond_the_tables_message_and_share(caplog):
    with caplog.at_level(logging.WARNING, logger="sen2cor.atmcorr.stage"):
        assert not stage.note_sun_beyond_tables(np.full((2, 2), np.nan))     # no angle at all: nothing to say
        assert stage.note_sun_beyond_tables(np.array([70.1, 70.2, 71.25, 70.0, 60.0]))
    assert _messages(caplog) == [
        "sun zenith up to 71.2 deg (60 % of the angle grid) beyond the tables' last node 70 deg: the atmospheric "
        "functions of 70 deg are used there, as Sen2Cor clamps its table queries; radiance and reflectance use the "
        "true sun zenith"]


def test_choose_atmosphere_and_the_tables_it_loads_are_logged(caplog, monkeypatch):
    from sen2cor.rtm.sources import SOURCE_ENV

    monkeypatch.delenv(SOURCE_ENV, raising=False)
    with caplog.at_level(logging.INFO, logger="sen2cor.atmcorr.stage"):
        atm = stage.choose_atmosphere(_product(), AcSettings(ozone_content_du=250.0), stage.LutSource(), None, None)
        table = atm.table(20)
    low = atm.selection.table_ozone_du
    assert _messages(caplog) == [
        f"LUT selection: rural aerosol, mid-latitude summer, ozone {low} DU (GIPP), tables sen2cor",
        f"Look-up tables of S2A for 20 m: {stage.describe(table)}"]
    assert atm.selection.ozone_du == 250.0 and low < 331
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="sen2cor.atmcorr.stage"):
        stage.choose_atmosphere(_product(), AcSettings(), stage.LutSource("atm", Path("/opt/sen2cor/lib")), None, None)
    assert _messages(caplog)[0].endswith("(GIPP), tables /opt/sen2cor/lib")     # Sen2Cor's tables of Lib_Dir


# --- the tables loaded for the choice ---

def test_tables_follow_the_selected_ozone_and_the_product_srf(monkeypatch):
    from sen2cor.rtm import srf
    from sen2cor.rtm.sources import SOURCE_ENV

    monkeypatch.delenv(SOURCE_ENV, raising=False)
    low = stage.choose_atmosphere(_product(), AcSettings(ozone_content_du=250.0), stage.LutSource(), None,
                                  None).selection
    assert low.ozone_letter != "h"
    assert stage.TileAtmosphere(low, stage.LutSource(), "S2A", None).table(20).description["ozone_letter"] == \
        low.ozone_letter
    # S2C: the 6S tables integrated over the product's spectral responses when it has them
    s2c = stage.TileAtmosphere(low, stage.LutSource(), "S2C", srf.packaged_srf("S2B"))
    assert "the product's spectral responses" in s2c.table(20).description["label"]
    assert s2c.table(10) is s2c.table(20)


def test_tables_from_lib_dir_are_read_there(tmp_path):
    """Lib_Dir with lib_S2A/20_60 but no table files: the error names that folder (no silent packaged tables)."""
    from sen2cor.errors import LutError

    (tmp_path / "lib_S2A" / "20_60").mkdir(parents=True)
    selection = stage.choose_atmosphere(_product(), AcSettings(), stage.LutSource(), None, None).selection
    atm = stage.TileAtmosphere(selection, stage.LutSource("atm", tmp_path), "S2A", None)
    with pytest.raises(LutError, match=str(tmp_path)):
        atm.table(20)


def test_choose_atmosphere_near_30_degrees_uses_the_tile_centre():
    """Centre at 29.8 deg N (summer all year below 30 deg); the tile's corner lies at 30.3 deg N (in January
    north of 30 deg: winter)."""
    from osgeo import osr

    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(32632)
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    to_utm = osr.CoordinateTransformation(wgs84, utm)

    def season(latitude):
        product = _product(uly=to_utm.TransformPoint(9.0, latitude)[1] + TILE_M / 2, when=dt.datetime(2024, 1, 15))
        return stage.choose_atmosphere(product, AcSettings(mid_latitude="AUTO"), stage.LutSource(), None,
                                       None).selection.season

    assert season(29.8) == "summer"
    assert season(30.3) == "winter"


def maritime_vegetation_scene():
    """``make_scene(season)`` of vegetation simulated through the packaged maritime tables (40 x 40 px, DDV blue =
    red / 2 + 0.005 as Sen2Cor assumes); the packaged tables must be the source (SOURCE_ENV unset)."""
    from sen2cor.rtm.sources import load_lut
    from tests.atmcorr.analytic_atmosphere import toa_reflectance
    from tests.atmcorr.test_driver import SZA, VEG

    lut = load_lut("S2A", "summer", "maritime", 331.0, resolution="20_60")
    rho = {b: np.full((40, 40), VEG[b], np.float32) for b in lut.bands}
    rho["B04"][:] = 0.5 * rho["B12"]
    rho["B02"][:] = 0.5 * rho["B04"] + 0.005
    f = lut.interpolate(SZA, 0.0, 0.0, 0.1, 20.0, 2.0)
    toa = {b: toa_reflectance(f, i, rho[b]) for i, b in enumerate(lut.bands)}
    e0 = {b: float(lut.solar_irradiance_w_m2_um[i]) for i, b in enumerate(lut.bands)}

    def make_scene(season):
        return stage.SceneInputs(20, toa, np.full((40, 40), 4, np.uint8), e0, SZA, 150.0, season=season)

    return make_scene


def test_choose_atmosphere_auto_picks_the_aerosol_of_the_scene(monkeypatch):
    """Aerosol_Type AUTO on vegetation simulated through the packaged maritime tables: the trials on the rural
    and maritime tables pick maritime (double ratio 1.006 against 0.977), and the selection is maritime."""
    from sen2cor.rtm.sources import SOURCE_ENV

    monkeypatch.delenv(SOURCE_ENV, raising=False)
    atm = stage.choose_atmosphere(_product(), AcSettings(aerosol_type="AUTO"), stage.LutSource(), None,
                                  maritime_vegetation_scene())
    assert atm.selection.aerosol == "maritime" and atm.selection.season == "summer"


def test_choose_atmosphere_keeps_the_product_srf_and_correct_passes_the_prior():
    from sen2cor.rtm import srf
    from tests.atmcorr.test_driver import make_scene

    product = _product()
    product.spectral_responses = srf.packaged_srf("S2B")
    atm = stage.choose_atmosphere(product, AcSettings(), stage.LutSource(), None, None)
    assert atm.srf is product.spectral_responses
    # 10 m: the 20 m visibility index (100 everywhere) and scene water vapour (1.5 cm) are reused
    lut = make_table()
    scene, _ = make_scene(lut, n=10)
    scene = replace(scene, resolution_m=10, toa={b: scene.toa[b].copy() for b in ("B02", "B04", "B8A")})
    prior = stage.Prior(np.full((5, 5), 100, np.uint8), 1.5, 1.0, {})
    res = stage.correct(scene, lut, AcSettings(adj_km=0.0), prior)
    assert np.all(res.vis_index == 100) and res.wv_label_mean_cm == 1.5
