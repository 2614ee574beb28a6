"""Steps of the classic driver (sceneclass.classic) on hand-derived pixels (mutation cases, issue 20).

Every spectrum below is followed through algorithm facts A.3 with the L2A_CAL_SC_GIPP defaults
(T1/T2_B04 0.06/0.25, T1/T2_NDSI_CLD -0.24/-0.16, T1/T2_NDSI_SNW 0.35/0.50, T1/T2_NDVI 0.36/0.42,
T11/T12_R_B02_B11 0.7/1.0, T21/T22_R_B02_B11 2/4, T1/T2_R_B8A_B11 0.9/1.1, T2_R_B8A_B03 2.5,
T1/T2_B10 0.012/0.035, T_CLOUD_MP/HP 0.2/0.8, T2_SNOW 0.25).
"""
import dataclasses
import logging

import numpy as np
import pytest

from sen2cor.config.calibration import CloudThresholds
from sen2cor.errors import MissingBandError
from sen2cor.sceneclass import SCL, SceneAux, classify
from sen2cor.sceneclass import classic
from tests.sceneclass.synthetic import BANDS, SUN, SUN_ZENITH_DEG, fill, paint

COPIED = {"B01": "B02", "B06": "B05", "B07": "B8A", "B08": "B8A"}
#: Spectra of this file (B09, B10 and B12 as stated, B05 = B04 unless given).
SPECTRA = {
    # P = 0 (B04 < T1_B04); NDSI (0.10 - 0.05) / 0.15 = 0.33 -> rN 1; not dark (B8A 0.03 <= 0.04); NDVI < 0;
    # soil: R = B02/B11 = 5, B02_FT = clip(-0.4 * 5 + 0.46) = 0.15 < B02; water tests: B02 0.25 >= 0.2; rocks:
    # B8A/B11 0.6 -> B02_FT 0.325 > B02 but B02 >= 0.8 B11; B04/B11 1 -> 0 -> not classified after step 7.
    # Step 13: R 5 > T22_R_B02_B11 4, B8A < B04, B8A < 0.3 -> WATER.
    "clear_water": dict(B02=0.25, B03=0.10, B04=0.05, B8A=0.03, B09=0.01, B10=0.001, B11=0.05, B12=0.04),
    # as clear_water with B11 0.10: R = 2.5 < 4 (no step 13), NDSI (0.2 - 0.1) / 0.3 -> rN 1; B8A/B03 0.15;
    # not classified after step 15, B11 < B03 -> SNOW_ICE near snow (step 16), else UNCLASSIFIED.
    "blue_unclassified": dict(B02=0.25, B03=0.20, B04=0.05, B8A=0.03, B09=0.01, B10=0.001, B11=0.10, B12=0.08),
    # dark (B04 < 0.1, 0.04 < B8A < 0.15); NDSI (0.04 - 0.03) / 0.07 = 0.14 -> rN 1 keeps it; step 12:
    # NDVI (0.10 - 0.03) / 0.13 = 0.54 > T2_NDVI 0.42 -> VEGETATION.
    "dark_vegetation": dict(B02=0.05, B03=0.04, B04=0.03, B8A=0.10, B09=0.02, B10=0.001, B11=0.03, B12=0.01),
    # dark (B04 0.08, B8A 0.05); NDSI (0.08 - 0.02) / 0.10 = 0.6 -> rN 1; S = 0 (P = 0); step 12: NDVI < 0,
    # B8A/B03 0.63; step 13: R = 0.12 / 0.02 = 6 > 4 and B8A < B04 -> WATER.
    "dark_water": dict(B02=0.12, B03=0.08, B04=0.08, B8A=0.05, B09=0.01, B10=0.001, B11=0.02, B12=0.01),
    # dark (B04 0.05, B8A 0.08); NDSI (0.08 - 0.10) / 0.18 = -0.11 > T2_NDSI_CLD -> rN 1 keeps it; step 12:
    # NDVI 0.23, B8A/B03 1; step 13: R 0.5; step 17: B02/B11 0.5 < 0.65 -> NOT_VEGETATED.
    "dark_soil": dict(B02=0.05, B03=0.08, B04=0.05, B8A=0.08, B09=0.02, B10=0.001, B11=0.10, B12=0.05),
    # P = ((0.2 - 0.06) / 0.19)^2 = 0.543; NDSI (0.25 - 0.2) / 0.45 = 0.11 -> rN 1, S ramp 0; NDVI < 0; soil:
    # R 1.5 > T12; water: B02 >= 0.2; rocks: B8A/B11 0.75 -> B02_FT 0.2875 < B02; B04/B11 1 -> 0;
    # 0.2 <= P < 0.8 -> MEDIUM_PROBA_CLOUDS. Step 15c: B02 - B04 0.1 > 0.034, B8A < B04, B02 > 0.2.
    "medium_cloud": dict(B02=0.30, B03=0.25, B04=0.20, B8A=0.15, B09=0.03, B10=0.001, B11=0.20, B12=0.10),
    # P = 1; NDSI (0.40 - 0.45) / 0.85 = -0.06 -> rN 1; S ramp 0; soil R 1.11 > 1; water B02 >= 0.2; rocks
    # B8A/B11 1.11 > 1.1; B04/B11 1.11 -> 0 -> HIGH_PROBA_CLOUDS. In the snow ring B12 0.2 < T2_SNOW 0.25 ->
    # P = 0 -> not classified; B11 > B03: no snow recovery -> UNCLASSIFIED.
    # dark (B04 0.05, B8A 0.08) but NDSI (0.04 - 0.10) / 0.14 = -0.43 < T1_NDSI_CLD -> rN 0: back to not
    # classified (step 1b); NDVI 0.23 -> rV 0; soil: R = 0.68 < T11 0.7, B02 < B02_FT clip(0.188) ->
    # NOT_VEGETATED. (Left dark it would stay DARK_FEATURES: step 17 needs R < 0.65.)
    "dark_low_ndsi": dict(B02=0.068, B03=0.04, B04=0.05, B8A=0.08, B09=0.02, B10=0.001, B11=0.10, B12=0.05),
    # P = 1 (B04 0.3); NDSI (0.3 - 0.4) / 0.7 = -0.14 -> rN 1, S 0; NDVI (0.66 - 0.3) / 0.96 = 0.375 -> rV 0.25
    # -> P = 1 - 0.25 = 0.75; soil R 0.75 but B02 > B02_FT 0.16; water B02 >= 0.2; rocks B8A/B11 1.65 > 1.1;
    # B04/B11 0.75 -> 0 -> MEDIUM_PROBA_CLOUDS with P 0.75.
    "ndvi_ramp_cloud": dict(B02=0.30, B03=0.30, B04=0.30, B8A=0.66, B09=0.10, B10=0.001, B11=0.40, B12=0.30),
    # P = 1; NDSI (0.3 - 0.08) / 0.38 = 0.58 but B05/B8A 0.67 < 0.85 -> S 0; NDVI 0; soil R 3.75, B02 > 0.15;
    # water B02 >= 0.2; rocks B8A/B11 3.75; step 6bis: B04/B11 3.75 -> rR 0.25 -> P = 0.75 -> MEDIUM.
    "red_swir_ramp_cloud": dict(B02=0.30, B03=0.30, B04=0.30, B05=0.20, B8A=0.30, B09=0.10, B10=0.001,
                                B11=0.08, B12=0.05),
    # as above with B11 0.05: B04/B11 6 -> rR 1 -> P = 0 -> not classified; step 13: R 6 but B8A = B04 ->
    # UNCLASSIFIED
    "red_swir_not_cloud": dict(B02=0.30, B03=0.30, B04=0.30, B05=0.20, B8A=0.30, B09=0.10, B10=0.001,
                               B11=0.05, B12=0.05),
    # soil but not rocks: P = ((0.15 - 0.06) / 0.19)^2 = 0.224; NDSI (0.15 - 0.2) / 0.35 = -0.14 -> rN 1; NDVI
    # 0.1 / 0.4 = 0.25 -> rV 0; soil: R = 0.5 < 0.7, B02 0.1 < B02_FT clip(0.26) -> NOT_VEGETATED, P = 0 (rocks
    # would not take it: B8A/B11 1.25 > 1.1)
    "soil_not_rocks": dict(B02=0.10, B03=0.15, B04=0.15, B8A=0.25, B09=0.05, B10=0.001, B11=0.20, B12=0.15),
    # ambiguous soil: P = ((0.212 - 0.06) / 0.19)^2 = 0.64; NDSI (0.1 - 0.12) / 0.22 = -0.09 -> rN 1; NDVI 0.08;
    # R = 0.102 / 0.12 = 0.85 in (0.7, 1), B02 < B02_FT 0.15 -> P x ramp(0.85; 0.7, 1) = 0.64 x 0.5 = 0.32;
    # water: B8A > B04; rocks B8A/B11 2.1; B04/B11 1.8 -> MEDIUM_PROBA_CLOUDS, P 0.32
    "soil_ambiguous": dict(B02=0.102, B03=0.10, B04=0.212, B8A=0.25, B09=0.05, B10=0.001, B11=0.12, B12=0.10),
    # ambiguous water: P = ((0.17 - 0.06) / 0.19)^2 = 0.3352; NDSI (0.1 - 0.06) / 0.16 = 0.25 -> rN 1, S 0;
    # NDVI < 0; soil: R = 3, B02 0.18 > B02_FT 0.15; water: B12 0.1 < B12_FT 0.21, B8A < B04, B02 < 0.2 and
    # 2 <= R < 4 -> P x (1 - ramp(3; 2, 4)) = 0.1676; B02 - B04 < 0.034; rocks B8A/B11 2.5; B04/B11 2.83 < 3
    # -> UNCLASSIFIED (0 < P < 0.2)
    "water_ambiguous": dict(B02=0.18, B03=0.10, B04=0.17, B8A=0.15, B09=0.05, B10=0.001, B11=0.06, B12=0.10),
    # ambiguous rocks: P 0.64 (B04 0.212); NDSI 0 -> rN 1, S 0; NDVI < 0; soil R = 1.05 > 1; water B02 >= 0.2;
    # rocks: B8A/B11 = 1 in (0.9, 1.1), B02 0.21 < B02_FT 0.225 -> P x ramp(1; 0.9, 1.1) = 0.32; B04/B11 1.06
    # -> MEDIUM_PROBA_CLOUDS, P 0.32
    "rocks_ambiguous": dict(B02=0.21, B03=0.20, B04=0.212, B8A=0.20, B09=0.05, B10=0.001, B11=0.20, B12=0.15),
    # bright NIR with P = 0 (B04 0.05): NDSI 0.25 / 0.35 = 0.71 and every snow ramp 1 (B8A 0.4, B02 0.25,
    # B02/B04 5, B05/B8A 0.875), but S = 0 where P = 0 (step 2.1) -> not snow; NDVI 0.78 but B02 >= 0.15: not
    # vegetation at step 3; not classified; step 12: NDVI > 0.42 -> VEGETATION
    "bright_nir_no_cloud": dict(B02=0.25, B03=0.30, B04=0.05, B05=0.35, B8A=0.40, B09=0.10, B10=0.001, B11=0.05,
                                B12=0.04),
    # dark (B04 0.06, B8A 0.12); NDSI 0 -> rN 1; step 12: NDVI 0.06 / 0.18 = 0.33 <= 0.42 but B8A/B03 = 3 > 2.5
    # -> VEGETATION
    "dark_nir_over_green": dict(B02=0.05, B03=0.04, B04=0.06, B8A=0.12, B09=0.02, B10=0.001, B11=0.04, B12=0.02),
    "cloud_low_b12": dict(B02=0.50, B03=0.40, B04=0.50, B8A=0.50, B09=0.20, B10=0.010, B11=0.45, B12=0.20),
}


def scene(shape, name):
    spec = SPECTRA[name]
    return {b: np.full(shape, spec.get(b, spec.get(COPIED.get(b, ""), spec["B04"])), np.float32) for b in BANDS}


def put(toa, rows, cols, name):
    one = scene((1, 1), name)
    for b in BANDS:
        toa[b][rows, cols] = one[b][0, 0]
    return toa


AUX = SceneAux(resolution_m=20.0, **SUN)


def classic_scl(toa, aux=AUX):
    return classify(toa, aux, classic=True).scl


@pytest.mark.parametrize("name, expected", [
    ("clear_water", SCL.WATER), ("blue_unclassified", SCL.UNCLASSIFIED), ("dark_vegetation", SCL.VEGETATION),
    ("dark_water", SCL.WATER), ("dark_soil", SCL.NOT_VEGETATED), ("medium_cloud", SCL.MEDIUM_PROBA_CLOUDS),
    ("cloud_low_b12", SCL.HIGH_PROBA_CLOUDS), ("dark_low_ndsi", SCL.NOT_VEGETATED),
    ("ndvi_ramp_cloud", SCL.MEDIUM_PROBA_CLOUDS), ("red_swir_ramp_cloud", SCL.MEDIUM_PROBA_CLOUDS),
    ("red_swir_not_cloud", SCL.UNCLASSIFIED), ("soil_not_rocks", SCL.NOT_VEGETATED),
    ("soil_ambiguous", SCL.MEDIUM_PROBA_CLOUDS), ("water_ambiguous", SCL.UNCLASSIFIED),
    ("rocks_ambiguous", SCL.MEDIUM_PROBA_CLOUDS), ("bright_nir_no_cloud", SCL.VEGETATION),
    ("dark_nir_over_green", SCL.VEGETATION)])
def test_spectra_through_the_classic_steps(name, expected):
    # steps 1b (NDSI reset of dark features), 3 and 6bis (ramps inside (0, 1) lower P), 12 (dark vegetation),
    # 13 (water from dark and from not classified) and 17 (dark soil)
    assert (classic_scl(scene((5, 5), name)) == expected).all()


@pytest.mark.parametrize("name, probability", [("ndvi_ramp_cloud", 0.75), ("red_swir_ramp_cloud", 0.75),
                                               ("red_swir_not_cloud", 0.0), ("dark_water", 0.0),
                                               ("soil_not_rocks", 0.0), ("soil_ambiguous", 0.32),
                                               ("water_ambiguous", 0.1676), ("rocks_ambiguous", 0.32)])
def test_cloud_probability_after_the_ramps(name, probability):
    # dark_water: B04 0.08 gives a red ramp of (0.02 / 0.19)^2 = 0.011, zeroed as a dark feature (step 1a)
    res = classify(scene((5, 5), name), SceneAux(resolution_m=20.0, **SUN), classic=True)
    np.testing.assert_allclose(res.cloud_probability, probability, atol=1e-4)
    assert res.cloud_probability.dtype == np.float32 and res.snow_probability.dtype == np.float32
    assert (res.snow_probability == 0).all()


def test_thin_cirrus_only_below_1500_m_of_terrain():
    toa = fill((6, 6))
    toa["B10"][2, 2] = 0.02                                  # T1_B10 < B10 < T2_B10, B02 0.04, P 0
    for height, expected in ((1400.0, SCL.THIN_CIRRUS), (1600.0, SCL.VEGETATION)):
        aux = SceneAux(resolution_m=20.0, **SUN, dem_m=np.full((6, 6), height, np.float32))
        assert classic_scl(toa, aux)[2, 2] == expected


def test_steep_self_shadowed_water_becomes_dark_features():
    # step 15a: WATER where SDW < 128 and slope > 15 deg -> DARK_FEATURES (water B02/B11 10: no step 17)
    toa = fill((4, 6), "water")
    sdw = np.full((4, 6), 200, np.uint8)
    sdw[:, :3] = 100
    slope = np.full((4, 6), 20.0, np.float32)
    slope[2:] = 10.0
    scl = classic_scl(toa, SceneAux(resolution_m=20.0, **SUN, sdw=sdw, slope_deg=slope))
    assert (scl[:2, :3] == SCL.DARK_FEATURES).all()
    assert (scl[2:, :] == SCL.WATER).all() and (scl[:, 3:] == SCL.WATER).all()
    # without a slope layer (and no DEM to derive it) step 15a is skipped
    assert (classic_scl(toa, SceneAux(resolution_m=20.0, **SUN, sdw=sdw)) == SCL.WATER).all()


def test_self_shadowed_bright_blue_cloud_off_water_becomes_dark_features():
    # step 15c: MEDIUM_PROBA_CLOUDS with the snow-in-shadow spectrum, SDW < 128, off CCI water
    toa = scene((4, 4), "medium_cloud")
    sdw = np.full((4, 4), 100, np.uint8)
    sdw[:, 2:] = 200
    wbi = np.ones((4, 4), np.uint8)
    wbi[2:, :] = 2
    scl = classic_scl(toa, SceneAux(resolution_m=20.0, **SUN, sdw=sdw, slope_deg=np.zeros((4, 4), np.float32),
                                    water_bodies=wbi))
    assert (scl[:2, :2] == SCL.DARK_FEATURES).all()
    assert (scl[2:, :] == SCL.MEDIUM_PROBA_CLOUDS).all() and (scl[:, 2:] == SCL.MEDIUM_PROBA_CLOUDS).all()
    # without the water-bodies map step 15c is not run
    no_wbi = classic_scl(toa, SceneAux(resolution_m=20.0, **SUN, sdw=sdw, slope_deg=np.zeros((4, 4), np.float32)))
    assert (no_wbi == SCL.MEDIUM_PROBA_CLOUDS).all()


def _diamond_distance(shape, center):
    r, c = np.indices(shape)
    return np.abs(r - center[0]) + np.abs(c - center[1])


@pytest.mark.parametrize("strip_rows", [256, 4])
def test_snow_recovery_within_the_radius_3_diamond(strip_rows, monkeypatch):
    # step 16: not-classified pixels with B11 < B03 within 3 px (4-connected) of snow become SNOW_ICE
    monkeypatch.setattr(classic, "STRIP_ROWS", strip_rows)
    toa = paint(scene((13, 13), "blue_unclassified"), slice(6, 7), slice(6, 7), "snow")
    scl = classic_scl(toa)
    d = _diamond_distance((13, 13), (6, 6))
    assert scl[6, 6] == SCL.SNOW_ICE
    assert (scl[(d >= 1) & (d <= 3)] == SCL.SNOW_ICE).all()
    assert (scl[d >= 4] == SCL.UNCLASSIFIED).all()


@pytest.mark.parametrize("strip_rows", [256, 4])
def test_snow_ring_resets_the_cloud_probability_where_b12_is_low(strip_rows, monkeypatch):
    # step 2.5: the radius-3 ring around snow, B12 < T2_SNOW -> P = 0
    monkeypatch.setattr(classic, "STRIP_ROWS", strip_rows)
    toa = paint(scene((13, 13), "cloud_low_b12"), slice(6, 7), slice(6, 7), "snow")
    res = classify(toa, SceneAux(resolution_m=20.0, **SUN), classic=True)
    d = _diamond_distance((13, 13), (6, 6))
    ring = (d >= 1) & (d <= 3)
    assert res.scl[6, 6] == SCL.SNOW_ICE and res.cloud_probability[6, 6] == 0
    assert (res.scl[ring] == SCL.UNCLASSIFIED).all() and (res.cloud_probability[ring] == 0).all()
    assert (res.scl[d >= 4] == SCL.HIGH_PROBA_CLOUDS).all() and (res.cloud_probability[d >= 4] == 1).all()


def _land_cover_scene():
    # 2 km pixels, 20 x 20 vegetation (1600 km2 of land, B10 0.002, B09/B8A 0.1/0.35 = 0.286)
    return fill((20, 20))


def test_land_recovery_of_clouds_with_low_b10_and_b09_b8a():
    # step 18: no high-probability cloud -> T_B10 = mean B10 of land 0.002; T_ratio = mean + std of B09/B8A
    # over land = 0.286 (+ a spread); MEDIUM cloud B10 0.001 < 0.002 and B09/B8A 0.2 < 0.286 -> NOT_VEGETATED,
    # except on CCI water (LCCS 210)
    toa = put(_land_cover_scene(), slice(2, 4), slice(2, 6), "medium_cloud")
    toa["B09"][2:4, 2:6] = 0.03
    lcm = np.full((20, 20), 10, np.uint8)
    lcm[3, 2:6] = 210
    plain = classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN))
    assert (plain[2:4, 2:6] == SCL.MEDIUM_PROBA_CLOUDS).all()
    scl = classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN, land_cover=lcm))
    assert (scl[2, 2:6] == SCL.NOT_VEGETATED).all() and (scl[3, 2:6] == SCL.MEDIUM_PROBA_CLOUDS).all()
    # B09/B8A above the land ratio: B09 0.2 / 0.15 = 1.33 > 0.286
    toa["B09"][2:4, 2:6] = 0.2
    assert (classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN, land_cover=lcm))[2:4, 2:6] ==
            SCL.MEDIUM_PROBA_CLOUDS).all()


def test_cirrus_recovery_of_land_only_below_1500_m():
    # step 19: T_land = max(mean + 3 std of B10 over NOT_VEGETATED (none), 0.003) = 0.003; vegetation with
    # B10 0.005 -> THIN_CIRRUS when the terrain is below 1500 m (or there is no DEM)
    toa = _land_cover_scene()
    toa["B10"][10, 10] = 0.005
    lcm = np.full((20, 20), 10, np.uint8)
    for dem, expected in ((None, SCL.THIN_CIRRUS), (1400.0, SCL.THIN_CIRRUS), (1600.0, SCL.VEGETATION)):
        dem_m = None if dem is None else np.full((20, 20), dem, np.float32)
        scl = classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN, land_cover=lcm, dem_m=dem_m))
        assert scl[10, 10] == expected and scl[0, 0] == SCL.VEGETATION


def test_cirrus_recovery_of_water_above_mean_plus_std():
    # step 19 over water: ten water pixels, B10 0.001 x 9 and 0.005: mean 0.0014 + std 0.0012 = 0.0026
    # (> floor 0.002); 0.005 > 0.0026 -> THIN_CIRRUS, 0.001 stays WATER
    toa = paint(_land_cover_scene(), slice(5, 6), slice(5, 15), "water")
    toa["B10"][5, 14] = 0.005
    scl = classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN, land_cover=np.full((20, 20), 10, np.uint8)))
    assert scl[5, 14] == SCL.THIN_CIRRUS
    assert (scl[5, 5:14] == SCL.WATER).all()
    # one bright-B10 pixel among ten under the 0.002 floor only: 0.0021 x 9 and 0.0022 -> T = 0.00214
    toa["B10"][5, 5:14] = 0.0021
    toa["B10"][5, 14] = 0.0022
    scl = classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN, land_cover=np.full((20, 20), 10, np.uint8)))
    assert scl[5, 14] == SCL.THIN_CIRRUS and (scl[5, 5:14] == SCL.WATER).all()


def test_cirrus_recovery_thresholds_are_exclusive_and_need_terrain_below_1500_m():
    # step 19 with soil (B10 0.004 x 50 -> T_land = max(0.004 + 3 x 0, 0.003) = 0.004) and water (B10 0.003 x 50
    # -> T_water = 0.003): B10 equal to the threshold stays, above it -> THIN_CIRRUS; DEM 1500 m is not below
    toa = paint(_land_cover_scene(), slice(0, 5), slice(0, 10), "soil")
    paint(toa, slice(15, 20), slice(0, 10), "water")
    toa["B10"][0:5, 0:10] = 0.004
    toa["B10"][15:20, 0:10] = 0.003
    toa["B10"][10, 10] = 0.004
    toa["B10"][10, 12] = 0.0045
    lcm = np.full((20, 20), 10, np.uint8)
    scl = classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN, land_cover=lcm))
    assert scl[10, 10] == SCL.VEGETATION and scl[10, 12] == SCL.THIN_CIRRUS
    assert (scl[0:5, 0:10] == SCL.NOT_VEGETATED).all() and (scl[15:20, 0:10] == SCL.WATER).all()
    at_1500 = classic_scl(toa, SceneAux(resolution_m=2000.0, **SUN, land_cover=lcm,
                                        dem_m=np.full((20, 20), 1500.0, np.float32)))
    assert at_1500[10, 12] == SCL.VEGETATION


def test_no_data_pixels_have_zero_probabilities():
    toa = fill((5, 5), "snow")
    nodata = np.zeros((5, 5), bool)
    nodata[2, 2] = True
    res = classify(toa, SceneAux(resolution_m=20.0, **SUN, nodata=nodata), classic=True)
    assert res.scl[2, 2] == SCL.NO_DATA and res.snow_probability[2, 2] == 0 and res.cloud_probability[2, 2] == 0
    assert res.snow_probability[0, 0] == 1


def test_missing_bands_are_all_named():
    toa = fill((3, 3))
    del toa["B11"], toa["B02"]
    with pytest.raises(MissingBandError) as err:
        classify(toa, SceneAux(**SUN), classic=True)
    msg = str(err.value)
    assert msg.startswith("scene classification needs TOA bands B02, B11; got B01, B03, ")


@pytest.mark.parametrize("azimuth_deg", [150.2, 150.7])
def test_classic_projects_shadows_at_the_integer_azimuth_plus_half(azimuth_deg, monkeypatch):
    # facts A.4: Sen2Cor 2.9 projects with int(mean SAA) + 0.5
    seen = []
    real = classic.run_shadow_stage

    def recording(bands, cm, p, nodata, th, aux, sun_azimuth_deg, darkness=None):
        seen.append(sun_azimuth_deg)
        return real(bands, cm, p, nodata, th, aux, sun_azimuth_deg, darkness)

    monkeypatch.setattr(classic, "run_shadow_stage", recording)
    classic_scl(fill((4, 4)), SceneAux(resolution_m=20.0, sun_zenith_deg=SUN_ZENITH_DEG, sun_azimuth_deg=azimuth_deg))
    assert seen == [150.5]


def test_classic_cci_water_rule_takes_snow_off_cci_water():
    # SNC 5 % on land (mean < 10 %), 254 (water) in columns 0-4: S = 0 there; the snow spectrum then goes
    # through the cloud tests, where step 6bis (B04/B11 = 0.75 / 0.10 >= 6) sets P = 0: not classified;
    # step 16 recovers columns 2-4 (radius-3 diamond of the snow, B11 < B03), columns 0-1 stay UNCLASSIFIED
    toa = fill((10, 10), "snow")
    snc = np.full((10, 10), 5, np.uint8)
    snc[:, :5] = 254
    res = classify(toa, SceneAux(resolution_m=20.0, **SUN, snow_condition=snc), classic=True)
    assert (res.scl[:, 5:] == SCL.SNOW_ICE).all() and (res.scl[:, 2:5] == SCL.SNOW_ICE).all()
    assert (res.scl[:, :2] == SCL.UNCLASSIFIED).all()
    assert (res.msk_snwprb()[:, :5] == 0).all() and (res.msk_snwprb()[:, 5:] == 100).all()
    # a snowy tile (mean SNC 50 % >= 10 %): the rule does not apply
    snc[:, 5:] = 50
    assert (classic_scl(toa, SceneAux(resolution_m=20.0, **SUN, snow_condition=snc)) == SCL.SNOW_ICE).all()


def test_evolution_turns_snow_on_cci_water_into_medium_clouds():
    # with the snow climatology (30 %: snow allowed) the CCI water rule no longer zeroes S: snow detected on
    # SNC == 254 becomes MEDIUM_PROBA_CLOUDS (facts A.3, CCI snow post-processing)
    from sen2cor.sceneclass import EvolutionOptions

    toa = fill((10, 10), "snow")
    snc = np.full((10, 10), 5, np.uint8)
    snc[:, :5] = 254
    aux = SceneAux(resolution_m=20.0, **SUN, snow_condition=snc,
                   snow_climatology_percent=np.full((10, 10), 30, np.uint8))
    opts = EvolutionOptions(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0)
    scl = classify(toa, aux, options=opts).scl
    assert (scl[:, :5] == SCL.MEDIUM_PROBA_CLOUDS).all() and (scl[:, 5:] == SCL.SNOW_ICE).all()


def _water_on_terrain(sdw, slope, dem):
    aux = SceneAux(resolution_m=20.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0, sdw=sdw, slope_deg=slope,
                   dem_m=dem)
    return classic_scl(fill((6, 6), "water"), aux)[1:-1, 1:-1]       # Horn gradients: inner pixels


def test_terrain_layers_missing_beside_the_dem_are_derived_and_given_ones_kept():
    # step 15a: WATER with SDW < 128 and slope > 15 deg -> DARK_FEATURES
    flat = np.zeros((6, 6), np.float32)
    tilted = np.repeat((np.arange(6) * 20.0 * np.tan(np.radians(30.0)))[None, :], 6, axis=0).astype(np.float32)
    north_face = np.repeat((np.arange(6) * 20.0 * np.tan(np.radians(60.0)))[:, None], 6, axis=1).astype(np.float32)
    shaded = np.full((6, 6), 100, np.uint8)
    steep = np.full((6, 6), 20.0, np.float32)
    # both given: kept, whatever the DEM says (flat: slope 0, SDW 1 + 254 cos 45 = 180)
    assert (_water_on_terrain(shaded, steep, flat) == SCL.DARK_FEATURES).all()
    # slope missing: from the DEM (30 deg plane -> dark features; flat -> water)
    assert (_water_on_terrain(shaded, None, tilted) == SCL.DARK_FEATURES).all()
    assert (_water_on_terrain(shaded, None, flat) == SCL.WATER).all()
    # SDW missing: from the DEM (flat: 180 -> water; 60 deg slope facing away from the sun at 45 deg
    # elevation: cos i < 0 -> SDW 1 -> dark features)
    assert (_water_on_terrain(None, steep, flat) == SCL.WATER).all()
    assert (_water_on_terrain(None, steep, north_face) == SCL.DARK_FEATURES).all()
    # ... and the given slope (10 deg) kept beside the derived SDW: not steep enough
    assert (_water_on_terrain(None, np.full((6, 6), 10.0, np.float32), north_face) == SCL.WATER).all()


def test_strips_cover_the_rows_once_with_their_halo(monkeypatch):
    # 10 rows, strips of 4 with a 2-row halo: cores 0-3, 4-7, 8-9; reads clipped at the image edges
    expected = [(slice(0, 6), slice(0, 4), slice(0, 4)), (slice(2, 10), slice(2, 6), slice(4, 8)),
                (slice(6, 10), slice(2, 4), slice(8, 10))]
    assert list(classic.strips(10, halo=2, rows=4)) == expected
    monkeypatch.setattr(classic, "STRIP_ROWS", 4)                 # the default strip height, read per call
    assert list(classic.strips(10, 2)) == expected
    assert list(classic.strips(10)) == [(slice(0, 4), slice(0, 4), slice(0, 4)), (slice(4, 8), slice(0, 4),
                                        slice(4, 8)), (slice(8, 10), slice(0, 2), slice(8, 10))]


def test_thick_cirrus_is_a_medium_probability_cloud():
    # step 7: B10 >= T2_B10 0.035 and P < T_CLOUD_HP -> MEDIUM_PROBA_CLOUDS (vegetation, P 0)
    toa = fill((4, 4))
    toa["B10"][1, 1] = 0.04
    scl = classic_scl(toa)
    assert scl[1, 1] == SCL.MEDIUM_PROBA_CLOUDS and scl[0, 0] == SCL.VEGETATION


def _shadow_scene():
    # test_classify's scene: 300 m pixels, sun in the south at 45 deg: clouds at rows 40-49 shade rows 20-39
    toa = fill((60, 30))
    paint(toa, slice(40, 50), slice(5, 25), "cloud")
    paint(toa, slice(20, 39), slice(5, 25), "dark")
    return toa, SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0)


def test_no_data_casts_no_shadow():
    # the cloud block flagged no-data: P = 0 there, nothing to project, the dark area stays DARK_FEATURES
    toa, aux = _shadow_scene()
    nodata = np.zeros((60, 30), bool)
    nodata[40:50, 5:25] = True
    res = classify(toa, dataclasses.replace(aux, nodata=nodata), classic=True)
    assert res.scl[33, 15] == SCL.DARK_FEATURES and res.scl[45, 15] == SCL.NO_DATA
    assert res.step_counts == {"cloud_shadow": 0} and res.algorithm == "classic"


def test_no_data_is_clear_sky_for_the_shadow_projection():
    # no-data pixels (vegetation values, flagged) just north of a cloud: P = 0 there, so the 3x3 median of the
    # shadow-casting mask and the projection see them as the clear vegetation they hold; outside them the
    # classes equal those of the same scene without the flag
    toa = fill((40, 30))
    paint(toa, slice(5, 25), slice(3, 27), "dark")
    paint(toa, slice(27, 33), slice(10, 20), "cloud")
    nodata = np.zeros((40, 30), bool)
    nodata[25:27, 15:20] = True
    aux = SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0)
    flagged = classic_scl(toa, dataclasses.replace(aux, nodata=nodata))
    plain = classic_scl(toa, aux)
    assert (flagged[nodata] == SCL.NO_DATA).all()
    np.testing.assert_array_equal(flagged[~nodata], plain[~nodata])


def test_water_of_the_shadow_test_is_not_cloud_shadow():
    # B02/B11 > 6 (0.05 / 0.008 = 6.25): spectral score 0 -> stays DARK_FEATURES (step 13 needs B8A < B04)
    toa, aux = _shadow_scene()
    toa["B11"][20:39, 5:15] = 0.008
    scl = classic_scl(toa, aux)
    assert scl[33, 10] == SCL.DARK_FEATURES and scl[33, 20] == SCL.CLOUD_SHADOWS


def test_shadow_stage_over_strips_equals_the_whole_image(monkeypatch):
    # the 3x3 medians of the spectral score need a 1-row halo at each strip edge
    toa, aux = _shadow_scene()
    rng = np.random.default_rng(7)
    for band in toa:
        toa[band] = toa[band] * rng.uniform(0.6, 1.4, toa[band].shape).astype(np.float32)
    bands, nodata = classic.prepare(toa, aux, classic.CLASSIC_BANDS)
    th = CloudThresholds()
    cm, p, _ = classic.run_spectral_stage(bands, nodata, th, aux, None)
    whole = classic.run_shadow_stage(bands, cm, p, nodata, th, aux, 180.5)
    monkeypatch.setattr(classic, "STRIP_ROWS", 4)
    striped = classic.run_shadow_stage(bands, cm, p, nodata, th, aux, 180.5)
    np.testing.assert_array_equal(whole[0], striped[0])
    np.testing.assert_array_equal(whole[1], striped[1])


def _evolution(toa, aux, **kw):
    from sen2cor.sceneclass import EvolutionOptions

    base = dict(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0) | kw
    return classify(toa, aux, options=EvolutionOptions(**base))


def test_ruled_out_snow_is_no_thin_cirrus_above_1500_m():
    # test_evolution's ruled-out snow with a cirrus B10: THIN_CIRRUS below 1500 m of terrain, cloud above
    toa = fill((6, 6), "snow")
    toa["B10"][:, :3] = 0.02
    for height, expected in ((1400.0, SCL.THIN_CIRRUS), (1600.0, SCL.MEDIUM_PROBA_CLOUDS)):
        aux = SceneAux(resolution_m=20.0, **SUN, snow_climatology_percent=np.zeros((6, 6), np.uint8),
                       dem_m=np.full((6, 6), height, np.float32))
        res = _evolution(toa, aux)
        assert (res.scl[:, :3] == expected).all()
        assert (res.snow_probability == 0).all()              # ruled out: S = 0, not only below the snow mask


def _darkened_scene():
    # test_evolution's relative-darkness case: vegetation at 45 % north of the cloud (B8A 0.1575, about half
    # the clear-sky mean 0.304 -> darkness 0.53), which the reference spectrum misses
    toa = fill((60, 30))
    paint(toa, slice(40, 50), slice(5, 25), "cloud")
    for band in toa:
        toa[band][20:39, 5:25] *= 0.45
    return toa, SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0)


def test_relative_darkness_is_zero_on_water():
    # water for the relative darkness: B8A < B04 and B02 < 0.2 (both strict)
    toa, aux = _darkened_scene()
    toa["B04"][30:32, 6:10] = 0.16                              # B8A 0.1575 < B04, B02 0.018: water
    toa["B04"][30:32, 11:15] = toa["B8A"][30:32, 11:15]         # B8A == B04: not water
    toa["B04"][30:32, 16:20] = 0.16
    toa["B02"][30:32, 16:20] = 0.2                              # B02 == 0.2: not water
    scl = _evolution(toa, aux, shadow_darkness_window_m=30000.0, remove_isolated_clouds=False).scl
    assert scl[30, 7] != SCL.CLOUD_SHADOWS
    assert scl[30, 12] == SCL.CLOUD_SHADOWS and scl[30, 17] == SCL.CLOUD_SHADOWS and scl[33, 22] == SCL.CLOUD_SHADOWS


def test_relative_darkness_is_zero_on_thin_cirrus():
    toa, aux = _darkened_scene()
    toa["B10"][30:32, 6:10] = 0.02                              # thin cirrus (B02 0.018, P 0)
    scl = _evolution(toa, aux, shadow_darkness_window_m=30000.0, remove_isolated_clouds=False).scl
    assert (scl[30:32, 6:10] == SCL.THIN_CIRRUS).all() and scl[33, 22] == SCL.CLOUD_SHADOWS


def test_any_positive_darkness_window_switches_the_relative_darkness_on():
    # 1 m: one coarse cell, then the 3x and 9x fallback windows and the image mean find the darkened area
    toa, aux = _darkened_scene()
    on = _evolution(toa, aux, shadow_darkness_window_m=1.0, remove_isolated_clouds=False).scl
    off = _evolution(toa, aux, shadow_darkness_window_m=0.0, remove_isolated_clouds=False).scl
    assert on[33, 15] == SCL.CLOUD_SHADOWS and off[33, 15] == SCL.VEGETATION


def test_sunlit_only_reference_is_switchable():
    # the area darkened to 63 % (B8A 0.2205). Every clear pixel in the reference (one window over the scene, no
    # fallback): m = (1220 x 0.35 + 380 x 0.2205) / 1600 = 0.319 -> B8A / m = 0.69 > 0.65 -> darkness 0, no
    # shadow. Sunlit pixels only leave most of the projected area out: m near 0.35 -> ratio 0.63 -> darkness
    # 0.08, a shadow where the projection is strong (geometric > 0.63)
    toa, aux = _darkened_scene()
    for band in toa:
        toa[band][20:39, 5:25] *= 1.4
    kw = dict(shadow_darkness_window_m=30000.0, remove_isolated_clouds=False, shadow_darkness_fallback_scales=0)
    sunlit = _evolution(toa, aux, shadow_darkness_sunlit_only=True, **kw).scl
    every = _evolution(toa, aux, shadow_darkness_sunlit_only=False, **kw).scl
    assert (sunlit[20:39, 5:25] == SCL.CLOUD_SHADOWS).any() and not (every == SCL.CLOUD_SHADOWS).any()


def test_median_filter_of_2_px_and_its_border_rows():
    # Median_Filter 2: a 2 x 2 window (rank 2 of 4 codes) removes a lone NOT_VEGETATED pixel
    toa = paint(fill((7, 7)), slice(3, 4), slice(3, 4), "soil")
    assert classify(toa, AUX, classic=True, median_filter_px=2).scl[3, 3] == SCL.VEGETATION
    # Median_Filter 5 at the border: rows beyond the image repeat the edge row ("nearest"), so a NOT_VEGETATED
    # first row is 3 of the 5 window rows and stays; a mirror (reflect) would give it 2 of 5
    toa = paint(fill((7, 7)), slice(0, 1), slice(None), "soil")
    scl = classify(toa, AUX, classic=True, median_filter_px=5).scl
    assert (scl[0] == SCL.NOT_VEGETATED).all() and (scl[1:] == SCL.VEGETATION).all()


def test_only_the_degraded_bands_quality_masks_are_used():
    toa = fill((4, 4))
    q = {"B04": np.eye(4, dtype=bool), "B8A": np.fliplr(np.eye(4, dtype=bool))}
    aux = SceneAux(resolution_m=20.0, **SUN, quality_masks=q, degraded_bands=("B04",), handle_l1c_qlt_mask=True)
    scl = classic_scl(toa, aux)
    assert (scl[np.eye(4, dtype=bool)] == SCL.SATURATED_DEFECTIVE).all()
    assert scl[0, 3] == SCL.VEGETATION and scl[3, 0] == SCL.VEGETATION


def test_result_percentages_take_the_options():
    # 16 vegetation pixels; n_full 32 (a tile twice the size): VEGETATION_PERCENTAGE 100 of the valid pixels,
    # NODATA_PIXEL_PERCENTAGE 50 of the tile
    res = classify(fill((4, 4)), AUX, classic=True)
    assert res.percentages()["NODATA_PIXEL_PERCENTAGE"] == 0.0
    assert res.percentages(n_full=32)["NODATA_PIXEL_PERCENTAGE"] == 50.0


def test_classification_log_line_names_the_algorithm_and_counts(caplog):
    caplog.set_level(logging.INFO, logger="sen2cor.sceneclass.classify")
    classify(fill((4, 4)), AUX, classic=True)
    lines = [r.getMessage() for r in caplog.records if r.name == "sen2cor.sceneclass.classify"]
    assert lines == ["scene classification (classic): class counts {'VEGETATION': 16}"]
