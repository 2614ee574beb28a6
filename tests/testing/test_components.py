"""Building blocks: tiling grid, analytic atmosphere against 6S numbers, GRIB1 encoding, scene presets."""
from __future__ import annotations

import numpy as np
import pytest
from lxml import etree

from sen2cor.testing import tiles
from sen2cor.testing.atmosphere import AnalyticAtmosphere
from sen2cor.testing.grib import ibm_float, ibm_to_float
from sen2cor.testing.scene import SCENE_KINDS, SceneOptions, cast_shadow, synthesize_scene, terrain_illumination
from sen2cor.testing.spectra import band_info
from tests.conftest import shared_path


@pytest.mark.parametrize("tile_id, mtd", [
    ("29UNU", ("l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")),
    ("32TQM", ("l2a", "S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE")),
    ("56LMM", ("l2a", "S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE")),
])
def test_mgrs_corner_within_40m_of_real_tiles(tile_id, mtd, monkeypatch):
    (mtd_tl,) = shared_path("data", "real", *mtd, "GRANULE").glob("*/MTD_TL.xml")
    root = etree.parse(str(mtd_tl)).getroot()
    gp = root.find(".//Geoposition")
    real = float(gp.findtext("ULX")), float(gp.findtext("ULY"))
    epsg = int(root.findtext(".//HORIZONTAL_CS_CODE").split(":")[1])
    monkeypatch.setattr(tiles, "KNOWN_TILE_ORIGINS", {})        # exercise the MGRS computation itself
    g = tiles.tile_grid(tile_id)
    assert g.epsg == epsg
    assert abs(g.ulx_m - real[0]) <= 40 and abs(g.uly_m - real[1]) <= 40


def test_bad_tile_id():
    with pytest.raises(ValueError, match="MGRS"):
        tiles.tile_grid("29UNI")


@pytest.fixture(scope="module")
def atmosphere():
    return AnalyticAtmosphere({b: i.central_nm for b, i in band_info("S2A").items()})


@pytest.mark.parametrize("band, path, t_down, tg, s_alb", [
    # 6S, continental, visibility 40 km (AOT 0.170), SZA 30, VZA 0, WV 2.0 (rtm_6s_facts.md)
    ("B04", 0.02449, 0.9381, 0.9549, 0.0759),
    ("B09", 0.00615, 0.9647, 0.2535, 0.0382),
    ("B12", 0.00099, 0.9850, 0.9148, 0.0073),
])
def test_analytic_atmosphere_close_to_6s(atmosphere, band, path, t_down, tg, s_alb):
    o = atmosphere.optics(band, 30.0, 0.0, 0.0, 0.0, 0.17, 2.0)
    assert float(o.gas_transmittance) == pytest.approx(tg, rel=0.02)
    assert float(o.t_down_dir + o.t_down_dif) == pytest.approx(t_down, rel=0.03)
    if band == "B12":  # a faint SWIR path (6S 0.00099): the analytic model holds it within a factor 2
        assert 0.5 * path < float(o.path_reflectance) < 2.0 * path
    else:
        assert float(o.path_reflectance) == pytest.approx(path, rel=0.15)
    assert float(o.spherical_albedo) == pytest.approx(s_alb, rel=0.25, abs=0.002)


def test_analytic_atmosphere_trends(atmosphere):
    lo = atmosphere.optics("B02", 40.0, 5.0, 90.0, 0.0, 0.05, 1.0)
    hi = atmosphere.optics("B02", 40.0, 5.0, 90.0, 0.0, 0.40, 1.0)
    assert hi.path_reflectance > lo.path_reflectance and hi.t_down_dir < lo.t_down_dir
    dry = atmosphere.optics("B09", 40.0, 5.0, 90.0, 0.0, 0.1, 0.5)
    wet = atmosphere.optics("B09", 40.0, 5.0, 90.0, 0.0, 0.1, 3.0)
    assert wet.gas_transmittance < dry.gas_transmittance
    high = atmosphere.optics("B02", 40.0, 5.0, 90.0, 2.5, 0.1, 1.0)
    low = atmosphere.optics("B02", 40.0, 5.0, 90.0, 0.0, 0.1, 1.0)
    assert high.path_reflectance < low.path_reflectance              # less Rayleigh above a mountain


@pytest.mark.parametrize("value", [0.0, 1.0, -9.0, 0.15625, 101325.5, 1e-6, -2.5e-3])
def test_ibm_float_round_trip(value):
    code = ibm_float(value)
    back = ibm_to_float(code)
    assert back <= value
    assert back == pytest.approx(value, rel=1e-6, abs=1e-12)
    assert ibm_float(118.625) == 0x4276A000                     # textbook example


def test_terrain_illumination_on_a_plane():
    # plane rising to the east by 1 m per 10 m (slope 5.71 deg); sun in the east at 30 deg zenith
    x = np.arange(50, dtype=np.float32) * 10.0
    dem = np.tile(0.1 * x, (50, 1))
    cos_i, sky = terrain_illumination(dem, 10.0, 30.0, 90.0)
    slope = np.arctan(0.1)
    expected = np.cos(np.deg2rad(30.0) + slope)                 # slope faces west, away from the sun
    np.testing.assert_allclose(cos_i[5:-5, 5:-5], expected, rtol=1e-5)
    np.testing.assert_allclose(sky[5:-5, 5:-5], (1 + np.cos(slope)) / 2, rtol=1e-5)


def test_cast_shadow_behind_a_wall():
    dem = np.zeros((20, 40), dtype=np.float32)
    dem[:, 20] = 100.0                                           # 100 m wall, sun from the east at 45 deg
    shadow = cast_shadow(dem, 10.0, 45.0, 90.0)
    assert shadow[:, 11:20].all() and not shadow[:, 21:].any() and not shadow[:, :9].any()


@pytest.mark.parametrize("kind", SCENE_KINDS)
def test_scene_presets(kind):
    sc = synthesize_scene(60, np.random.default_rng(0), SceneOptions.for_kind(kind), 50.0, 160.0, 5.0, 100.0)
    cm = sc.class_map()
    assert cm.shape == (60, 60) and set(np.unique(cm)) <= set(range(12))
    if kind == "clear":
        assert not np.isin(cm, (3, 8, 9, 10)).any()


def test_sen2cor_atm_luts_agree_with_analytic_atmosphere(atmosphere):
    """Two independent atmospheres (Sen2Cor's libRadtran LUT, analytic fallback) agree to ~15 % in window bands."""
    atm_dir = shared_path("luts", "sen2cor-2.8")
    from sen2cor.testing.lut_adapter import LutAtmosphere
    lut = LutAtmosphere.load("S2A", atm_dir=atm_dir, source="atm")
    z, aot, wv = np.zeros(2), np.full(2, 0.17), np.full(2, 2.0)
    for band in ("B02", "B04", "B05", "B08", "B8A"):
        a = lut.optics(band, 30.0, 0.0, 0.0, z, aot, wv)
        b = atmosphere.optics(band, 30.0, 0.0, 0.0, 0.0, 0.17, 2.0)
        t_lut = (a.t_down_dir + a.t_down_dif)[0] * (a.t_up_dir + a.t_up_dif)[0]
        t_ana = float((b.t_down_dir + b.t_down_dif) * (b.t_up_dir + b.t_up_dif) * b.gas_transmittance)
        assert t_ana == pytest.approx(t_lut, rel=0.05), band
        assert float(b.path_reflectance) == pytest.approx(a.path_reflectance[0], rel=0.35, abs=0.002), band
