"""Ground truth and its physical consistency with the simulated TOA signal."""
from __future__ import annotations

import glymur
import numpy as np

from sen2cor.bands import BAND_IDS

WATER, CLOUD_HIGH, CIRRUS = 6, 9, 10


def _toa(granule, band):
    dn = glymur.Jp2k(str(next(granule.glob(f"IMG_DATA/*_{band}.jp2"))))[:]
    return dn, (dn.astype(np.float64) - 1000.0) / 10000.0


def _at20(a, n20=300):
    """Bring a 10 or 60 m array onto the 20 m grid (2x2 mean / 3x repeat)."""
    if a.shape[0] == 2 * n20:
        return a.reshape(n20, 2, n20, 2).mean(axis=(1, 3))
    if a.shape[0] * 3 == n20:
        return np.repeat(np.repeat(a, 3, 0), 3, 1)
    return a


def test_truth_contents(truth):
    assert set(truth["surface_reflectance"]) == set(BAND_IDS)
    assert truth["attrs"]["atmosphere_source"] == "analytic-v1"
    cm = truth["scene"]["class_map"]
    assert cm.shape == (300, 300) and cm.dtype == np.uint8
    assert set(np.unique(cm)) <= set(range(12))
    # the mixed scene shows the main classes: no data, clouds, shadows, vegetation, soil, water, cirrus
    assert {0, 3, 4, 5, 6, 8, 9, 10} <= set(np.unique(cm))
    for name, shape in (("aot550", (300, 300)), ("wv_cm", (300, 300)), ("dem_m", (300, 300))):
        assert truth["scene"][name].shape == shape
    assert 0.02 <= truth["scene"]["aot550"].min() and truth["scene"]["aot550"].max() < 1.0
    assert 0.1 <= truth["scene"]["wv_cm"].min() and truth["scene"]["wv_cm"].max() < 5.0
    assert truth["surface_reflectance"]["B02"].shape == (600, 600)
    assert truth["surface_reflectance"]["B09"].shape == (100, 100)


def test_no_data_class_where_the_image_has_no_data(granule, truth):
    dn, _ = _toa(granule, "B8A")
    assert np.array_equal(truth["scene"]["class_map"] == 0, dn == 0)
    assert np.all(np.isnan(truth["surface_reflectance"]["B8A"][dn == 0]))


def test_10m_truth_aggregates_to_20m(truth):
    """The 10 m texture keeps the 20 m reflectance as its 2x2 mean (bands B02 vs B8A share the cover map)."""
    cm = truth["scene"]["class_map"]
    rho10 = _at20(truth["surface_reflectance"]["B08"])
    rho20 = truth["surface_reflectance"]["B8A"]
    ok = (cm != 0) & np.isfinite(rho10)          # the 10 m swath edge may cut a 20 m pixel
    ratio = rho10[ok] / rho20[ok]
    # B08/B8A of the library spectra are between 0.9 and 1.25 for every cover
    assert 0.85 < ratio.min() and ratio.max() < 1.3


def test_dark_water_in_b12_is_close_to_path_reflectance(granule, truth):
    """Over water rho_B12 <= 0.002; without cirrus or cloud the TOA is path + a little adjacency."""
    sc = truth["scene"]
    _, toa = _toa(granule, "B12")
    water = (sc["class_map"] == WATER) & (sc["cirrus_b10"] == 0) & (sc["cloud_fraction"] == 0)
    assert water.sum() > 50
    assert truth["surface_reflectance"]["B12"][water].max() <= 0.002
    # 6S B12 path reflectance is ~0.001 for AOT ~0.2; adjacency from land adds < 0.01
    assert 0.0005 < np.median(toa[water]) < 0.012


def test_b10_sees_only_cirrus_and_high_clouds(granule, truth):
    sc = truth["scene"]
    dn, toa = _toa(granule, "B10")
    blocks = lambda a: a.reshape(100, 3, 100, 3)  # noqa: E731  (60 m pixel = 3 x 3 truth pixels)
    ci = blocks(sc["cirrus_b10"]).mean(axis=(1, 3))
    cloud = blocks(sc["cloud_fraction"]).max(axis=(1, 3))
    land = np.isin(blocks(sc["class_map"]), (4, 5, 6)).all(axis=(1, 3))
    clear = (blocks(sc["cirrus_b10"]).max(axis=(1, 3)) == 0) & land & (cloud == 0) & (dn != 65535)
    # water vapour absorbs the ground signal: even in this winter scene (sea-level WV ~0.8 cm) clear land
    # stays below Sen2Cor's thin-cirrus threshold T1_B10 = 0.012 (facts A.3)
    leak = toa[clear].max()
    assert leak < 0.012
    thick = (ci > 0.02) & (cloud == 0) & (dn != 65535) & (dn != 0)
    assert thick.any()
    # cirrus adds its B10 reflectance on top of what the ground leaks through
    excess = toa[thick] - ci[thick]
    assert excess.min() > -0.004 and excess.max() < leak + 0.004


def test_opaque_clouds_bright_and_shadows_dark(granule, truth):
    cm = truth["scene"]["class_map"]
    _, b04 = _toa(granule, "B04")
    _, b8a = _toa(granule, "B8A")
    b04 = _at20(b04)
    assert np.median(b04[cm == CLOUD_HIGH]) > 0.5
    veg = cm == 4
    shadow = (cm == 3) & (truth["scene"]["cover"] == truth["scene"]["cover"][veg][0])
    if shadow.any():
        assert np.median(b8a[shadow]) < 0.7 * np.median(b8a[veg & (truth["scene"]["cover"] ==
                                                                   truth["scene"]["cover"][veg][0])])


def test_toa_increases_with_surface_reflectance(granule, truth):
    """Clear, flat-ish pixels of one band: TOA is an increasing function of the truth reflectance."""
    sc = truth["scene"]
    _, toa = _toa(granule, "B8A")
    rho = truth["surface_reflectance"]["B8A"]
    clear = np.isin(sc["class_map"], (4, 5, 6)) & (sc["cirrus_b10"] == 0) & (sc["cloud_shadow"] == 0)
    slope = np.polyfit(rho[clear], toa[clear], 1)[0]
    assert 0.6 < slope < 1.1                     # ~ T_down * T_up * T_gas in the NIR window


def test_saturated_pixels_flagged_in_truth(granule, truth):
    dn, _ = _toa(granule, "B8A")
    cm = truth["scene"]["class_map"]
    assert np.all(cm[dn == 65535] == 1)
    assert (dn == 65535).any()
