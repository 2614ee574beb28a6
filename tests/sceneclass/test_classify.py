import importlib

import numpy as np
import pytest

from sen2cor.errors import MissingBandError
from sen2cor.sceneclass import SCL, EvolutionOptions, SceneAux, classify, shadow
from tests.conftest import shared_path
from tests.sceneclass.synthetic import SUN, fill, paint

# Hand derivations (defaults of L2A_CAL_SC_GIPP):
# vegetation: P = ramp(B04 .04; .06, .25)^2 = 0 ; NDSI (.07-.18)/.25 = -.44 -> 0 ; NDVI .31/.39 = .79 -> 1, B02 < .15
#             -> VEGETATION (4)
# cloud:      P = 1 ; NDSI .1/.9 = .11 -> 1 ; snow ramp of NDSI 0 ; NDVI 0 ; soil: B02/B11 1.25, B02 .5 > FT .15 ;
#             no water ; rocks FT .1625 < B02 ; B04/B11 1.25 -> 0 ; P = 1 >= .8 -> HIGH_PROBA_CLOUDS (9)
# water:      P = 0 ; soil: R = 10, B02 .10 < FT .15 but R > .7 ; water: R = 10 > 4, B12 .005 < .21, B8A < B04,
#             B02 < .2 -> WATER (6)
# snow:       P = 1 ; NDSI .68/.88 = .77 ; S = 1 (all ramps 1, B05/B8A 1.06) > .12 -> SNOW_ICE (11), P = 0
# soil:       P = (.11/.19)^2 = .335 ; NDSI (.13-.32)/.45 = -.42 -> rN = 0 -> P = 0 ; NDVI .19 ; soil: R .3125,
#             FT .32 > B02 .1 -> NOT_VEGETATED (5)
# dark:       B04 .03 < .1 and .04 < B8A .05 < .15 -> DARK_FEATURES (2) ; NDSI .14 -> rN 1 keeps it ; every band below
#             the shadow reference spectrum -> spectral shadow score 1


def _scene():
    toa = fill((40, 40))
    paint(toa, slice(0, 10), slice(0, 10), "cloud")
    paint(toa, slice(0, 10), slice(20, 30), "water")
    paint(toa, slice(20, 30), slice(0, 10), "snow")
    paint(toa, slice(20, 30), slice(20, 30), "soil")
    paint(toa, slice(35, 38), slice(35, 38), "dark")
    return toa


# the module that holds the strips and the shared stages
classify_module = importlib.import_module("sen2cor.sceneclass.classic")

AUX = SceneAux(resolution_m=20.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0)


@pytest.mark.parametrize("classic", [True, False])
def test_hand_derived_classes(classic):
    res = classify(_scene(), AUX, classic=classic)
    scl = res.scl
    assert scl[5, 5] == SCL.HIGH_PROBA_CLOUDS
    assert scl[5, 25] == SCL.WATER
    assert scl[25, 5] == SCL.SNOW_ICE
    assert scl[25, 25] == SCL.NOT_VEGETATED
    assert scl[36, 36] == SCL.DARK_FEATURES
    assert scl[15, 35] == SCL.VEGETATION
    assert res.msk_cldprb()[5, 5] == 100 and res.msk_cldprb()[15, 35] == 0
    assert res.msk_snwprb()[25, 5] == 100 and res.msk_snwprb()[5, 5] == 0


def test_thin_cirrus_overrides_vegetation_and_no_data_and_saturation():
    toa = fill((12, 12))
    toa["B10"][2, 2] = 0.02                      # 0.012 < B10 < 0.035, B02 .04 < .5, P 0 < .2
    for band in toa:
        toa[band][5, 5] = 0.0                    # no-data
    sat = np.zeros((12, 12), bool)
    sat[8, 8] = True
    res = classify(toa, SceneAux(resolution_m=20.0, **SUN, saturated=sat), classic=True)
    assert res.scl[2, 2] == SCL.THIN_CIRRUS
    assert res.scl[5, 5] == SCL.NO_DATA and res.nodata[5, 5]
    assert res.scl[8, 8] == SCL.SATURATED_DEFECTIVE
    assert res.scl[0, 0] == SCL.VEGETATION


def test_quality_masks_only_with_handle_l1c_qlt_mask():
    toa = fill((6, 6))
    q = {"B04": np.eye(6, dtype=bool)}
    off = classify(toa, SceneAux(**SUN, quality_masks=q), classic=True)
    on = classify(toa, SceneAux(**SUN, quality_masks=q, handle_l1c_qlt_mask=True), classic=True)
    assert (off.scl == SCL.VEGETATION).all()
    assert (on.scl[np.eye(6, dtype=bool)] == SCL.SATURATED_DEFECTIVE).all()


def test_cloud_shadow_lands_on_the_anti_solar_side():
    # 300 m pixels, zenith 45 deg: cloud heights 600-4200 m project 2-14 px north of the cloud (sun south)
    toa = fill((60, 30))
    paint(toa, slice(40, 50), slice(5, 25), "cloud")
    paint(toa, slice(20, 39), slice(5, 25), "dark")      # north of the cloud: shadow
    paint(toa, slice(52, 58), slice(5, 25), "dark")      # south (sun side): stays dark feature
    aux = SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0)
    res = classify(toa, aux, classic=True)
    assert res.scl[33, 15] == SCL.CLOUD_SHADOWS
    assert res.scl[55, 15] == SCL.DARK_FEATURES
    assert res.scl[45, 15] == SCL.HIGH_PROBA_CLOUDS
    # sun in the north: the roles swap
    res = classify(toa, SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=0.0), classic=True)
    assert res.scl[55, 15] == SCL.CLOUD_SHADOWS
    assert res.scl[30, 15] == SCL.DARK_FEATURES


def test_cloud_shadow_on_self_shadowed_terrain_is_dark_features_with_only_a_dem():
    # the scene above; rows 18-40 rise southwards at tan(60 deg) (519.6 m per 300 m row): a 60 deg slope
    # facing north, sun in the south at 45 deg elevation: cos i = cos45 cos60 - sin45 sin60 = -0.26 < 0 ->
    # gdaldem SDW 1 (self-shadow); step 15b (0 < SDW < 32) turns the cloud shadow there into DARK_FEATURES.
    toa = fill((60, 30))
    paint(toa, slice(40, 50), slice(5, 25), "cloud")
    paint(toa, slice(20, 39), slice(5, 25), "dark")
    dem = np.repeat((np.clip(np.arange(60) - 18, 0, 22) * 519.6)[:, None], 30, axis=1).astype(np.float32)
    aux = SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0, dem_m=dem)   # no sdw given
    res = classify(toa, aux, classic=True)
    assert res.scl[33, 15] == SCL.DARK_FEATURES
    flat = classify(toa, SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0,
                                  dem_m=np.zeros((60, 30), np.float32)), classic=True)
    assert flat.scl[33, 15] == SCL.CLOUD_SHADOWS


def test_strips_do_not_change_the_result(monkeypatch):
    toa = _scene()
    whole = classify(toa, AUX, classic=True)
    monkeypatch.setattr(classify_module, "STRIP_ROWS", 7)
    striped = classify(toa, AUX, classic=True)
    np.testing.assert_array_equal(whole.scl, striped.scl)
    np.testing.assert_array_equal(whole.cloud_probability, striped.cloud_probability)


def test_strips_do_not_change_the_evolution_result(monkeypatch):
    toa = _scene()
    rng = np.random.default_rng(3)
    for band in ("B07", "B08", "B8A"):           # texture so that the parallax index is defined
        toa[band] = toa[band] * rng.uniform(0.9, 1.1, toa[band].shape).astype(np.float32)
    whole = classify(toa, AUX)
    monkeypatch.setattr(classify_module, "STRIP_ROWS", 5)
    striped = classify(toa, AUX)
    np.testing.assert_array_equal(whole.scl, striped.scl)
    np.testing.assert_array_equal(whole.cloud_probability, striped.cloud_probability)


def test_integer_inputs_are_reflectance_times_10000():
    toa = _scene()
    as_int = {b: np.rint(v * 10000).astype(np.uint16) for b, v in toa.items()}
    np.testing.assert_array_equal(classify(toa, AUX, classic=True).scl, classify(as_int, AUX, classic=True).scl)


def test_evolution_with_every_option_off_equals_classic():
    toa = _scene()
    classic = classify(toa, AUX, classic=True)
    evo = classify(toa, AUX, options=EvolutionOptions.classic())
    np.testing.assert_array_equal(classic.scl, evo.scl)
    np.testing.assert_array_equal(classic.cloud_probability, evo.cloud_probability)


def test_missing_band_names_the_band():
    toa = _scene()
    del toa["B11"]
    with pytest.raises(MissingBandError, match="B11"):
        classify(toa, AUX, classic=True)


def test_percentages_of_the_result():
    res = classify(_scene(), AUX, classic=True)
    q = res.percentages()
    assert q["NODATA_PIXEL_PERCENTAGE"] == 0.0
    assert q["CLOUDY_PIXEL_PERCENTAGE"] >= 100 * 100 / 1600       # the 10x10 cloud at least


def test_real_toa_agrees_with_s2cloudless():
    path = shared_path("data", "real", "toa-arrays", "s2cloudless_l1c_toa_20171215.npz")
    data = np.load(path)
    im = data["s2_im"][0]
    from sen2cor.bands import BAND_IDS
    toa = {b: np.ascontiguousarray(im[..., i]) for i, b in enumerate(BAND_IDS)}
    res = classify(toa, SceneAux(resolution_m=160.0, sun_zenith_deg=30.0, sun_azimuth_deg=90.0), classic=True)
    ours = np.isin(res.scl, (SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS, SCL.THIN_CIRRUS))
    theirs = data["cl_mask"][0].astype(bool)
    assert (ours == theirs).mean() > 0.85


def test_cci_water_and_land_cover_recoveries_through_the_driver():
    # 2 km pixels: 400 px of 4 km2 -> enough land for steps 18-20
    toa = fill((20, 20))
    paint(toa, slice(0, 2), slice(0, 2), "deep_shadow")     # not classified by any test (see test_evolution)
    paint(toa, slice(5, 7), slice(5, 7), "dark")            # DARK_FEATURES
    toa["B10"][10, 10] = 0.005                               # below the thin-cirrus window, above T_land 0.003
    wbi = np.ones((20, 20), np.uint8)
    wbi[5:7, 5:7] = 2
    lcm = np.full((20, 20), 10, np.uint8)
    lcm[0:2, 0:2] = 190
    plain = classify(toa, SceneAux(resolution_m=2000.0, **SUN), classic=True)
    assert plain.scl[0, 0] == SCL.UNCLASSIFIED and plain.scl[5, 5] == SCL.DARK_FEATURES
    assert plain.scl[10, 10] == SCL.VEGETATION
    aux = SceneAux(resolution_m=2000.0, **SUN, water_bodies=wbi, land_cover=lcm)
    res = classify(toa, aux, classic=True)
    assert res.scl[5, 5] == SCL.WATER                        # step 14: CCI water recovery of a dark feature
    assert res.scl[10, 10] == SCL.THIN_CIRRUS                # step 19: B10 0.005 > max(floor 0.003, no soil)
    assert res.scl[0, 0] == SCL.NOT_VEGETATED                # step 20: CCI urban, not classified
    assert res.scl[15, 15] == SCL.VEGETATION


def test_clear_sky_b8a_mean_on_the_60m_grid():
    b8a = np.zeros((6, 7), np.float32)
    b8a[:3, :3] = 0.3
    b8a[:3, 3:6] = 0.1
    b8a[0, 3] = 0.4                                  # cloud pixel: left out of the mean
    cm = np.full((6, 7), SCL.VEGETATION, np.uint8)
    cm[0, 3] = SCL.HIGH_PROBA_CLOUDS
    bands = classify_module.Bands({"B8A": b8a}, ("B8A",))
    single = shadow.DarknessReference(window_m=60.0, fallback_scales=0, min_clear_fraction=0.0)   # one 60 m cell
    local, factor = shadow.clear_b8a_reference(bands, cm, 20.0, single)
    assert factor == 3 and local.shape == (2, 3)
    np.testing.assert_allclose(local[0, :2], [0.3, 0.1], rtol=1e-6)          # 8 clear pixels of 0.1
    assert local[1, 0] == 0.0 and local[0, 2] == 0.0                          # third column: 1 px wide block


def test_sunlit_reference_leaves_out_pixels_clouds_can_shade():
    b8a = np.zeros((6, 6), np.float32)
    b8a[:, :3] = 0.3
    b8a[:, 3:] = 0.1                                 # darker right half, where a projected cloud can fall
    cm = np.full((6, 6), SCL.VEGETATION, np.uint8)
    geometric = np.zeros((6, 6), np.float32)
    geometric[:, 3:] = 0.5
    bands = classify_module.Bands({"B8A": b8a}, ("B8A",))
    ref = shadow.DarknessReference(window_m=60.0, fallback_scales=1, min_clear_fraction=0.1)
    # 60 m cells (3 x 3 px): the right cells have no sunlit pixel -> the 3-cell window: the left cells' 0.3
    local, _ = shadow.clear_b8a_reference(bands, cm, 20.0, ref, geometric)
    np.testing.assert_allclose(local, 0.3, rtol=1e-6)
    every_clear, _ = shadow.clear_b8a_reference(bands, cm, 20.0, ref)
    np.testing.assert_allclose(every_clear[:, 1], 0.1, rtol=1e-6)
