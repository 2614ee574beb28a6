import logging

import numpy as np
import pytest

from sen2cor.errors import ConfigError
from sen2cor.sceneclass import SCL, EvolutionOptions, SceneAux, classify
from sen2cor.sceneclass.parallax import parallax_masks
from sen2cor.sceneclass.evolution import apply_parallax, dilate_clouds_and_shadows, separate_topographic_shadow
from sen2cor.sceneclass.thresholds import NOT_CLASSIFIED, CloudThresholds
from tests.sceneclass.synthetic import SUN, fill, paint

TH = CloudThresholds()
OFF = EvolutionOptions.classic()


def test_options_are_validated():
    with pytest.raises(ConfigError, match="false_cloud_max_fraction"):
        EvolutionOptions(false_cloud_max_fraction=1.5)
    with pytest.raises(ConfigError, match="dilation"):
        EvolutionOptions(cloud_dilation_m=-1)


def test_parallax_rejects_static_bright_blob_and_turns_moving_snow_into_cloud():
    cm = np.full((6, 12), SCL.VEGETATION, np.uint8)
    cm[1:4, 1:4] = SCL.MEDIUM_PROBA_CLOUDS      # static: CDI 0.3 everywhere
    cm[1:4, 8:11] = SCL.SNOW_ICE                # moving: CDI -0.9 everywhere
    p = np.zeros(cm.shape, np.float32)
    p[1:4, 1:4] = 0.9
    s = np.zeros(cm.shape, np.float32)
    s[1:4, 8:11] = 0.5
    cdi = np.full(cm.shape, 0.3, np.float32)
    cdi[1:4, 8:11] = -0.9
    n_cloud, n_snow = apply_parallax(cm, p, s, *parallax_masks(cdi), TH, EvolutionOptions())
    assert (n_cloud, n_snow) == (9, 9)
    assert (cm[1:4, 1:4] == SCL.NOT_VEGETATED).all() and (p[1:4, 1:4] == 0).all()
    # snow probability 0.5 becomes the cloud probability: 0.2 <= 0.5 < 0.8 -> MEDIUM
    assert (cm[1:4, 8:11] == SCL.MEDIUM_PROBA_CLOUDS).all()
    assert (p[1:4, 8:11] == 0.5).all() and (s[1:4, 8:11] == 0).all()


def test_high_probability_clouds_are_tested_only_on_request():
    cm = np.full((5, 5), SCL.VEGETATION, np.uint8)
    cm[1:4, 1:4] = SCL.HIGH_PROBA_CLOUDS
    p = np.full(cm.shape, 0.9, np.float32)
    s = np.zeros(cm.shape, np.float32)
    static = parallax_masks(np.full(cm.shape, 0.3, np.float32))
    assert apply_parallax(cm.copy(), p.copy(), s, *static, TH, EvolutionOptions()) == (0, 0)
    assert apply_parallax(cm, p, s, *static, TH, EvolutionOptions(reject_high_proba_clouds=True)) == (9, 0)


def test_parallax_keeps_clouds_with_parallax_and_untextured_blobs():
    cm = np.full((5, 10), SCL.VEGETATION, np.uint8)
    cm[1:4, 1:4] = SCL.MEDIUM_PROBA_CLOUDS
    cm[1:4, 6:9] = SCL.MEDIUM_PROBA_CLOUDS
    p = np.full(cm.shape, 0.5, np.float32)
    s = np.zeros(cm.shape, np.float32)
    cdi = np.full(cm.shape, np.nan, np.float32)
    cdi[1, 1:4] = -0.8                           # 3 of 9 pixels with parallax
    before = cm.copy()
    assert apply_parallax(cm, p, s, *parallax_masks(cdi), TH, EvolutionOptions()) == (0, 0)
    np.testing.assert_array_equal(cm, before)


def test_topographic_shadow_separation():
    cm = np.array([SCL.CLOUD_SHADOWS, SCL.CLOUD_SHADOWS, SCL.CLOUD_SHADOWS, NOT_CLASSIFIED, SCL.UNCLASSIFIED,
                   SCL.VEGETATION], np.uint8)
    spectral = np.array([1, 1, 1, 1, 0.99, 1], np.float32)
    geometric = np.array([0.2, 0.9, 0.2, 0, 0, 0], np.float32)
    terrain = np.array([True, True, False, True, True, True])
    n = separate_topographic_shadow(cm, spectral, geometric, terrain, EvolutionOptions())
    assert n == 2
    assert cm.tolist() == [SCL.DARK_FEATURES, SCL.CLOUD_SHADOWS, SCL.CLOUD_SHADOWS, SCL.DARK_FEATURES,
                           SCL.UNCLASSIFIED, SCL.VEGETATION]


def test_dilation_removes_single_clouds_and_grows_clouds_and_shadows():
    cm = np.full((12, 12), SCL.VEGETATION, np.uint8)
    cm[0, 11] = SCL.HIGH_PROBA_CLOUDS            # isolated
    cm[4:6, 4:6] = SCL.HIGH_PROBA_CLOUDS
    cm[4, 7] = SCL.THIN_CIRRUS                   # inside the dilation: kept
    cm[10, 0] = SCL.CLOUD_SHADOWS
    cm[10, 1] = SCL.CLOUD_SHADOWS
    p = np.zeros(cm.shape, np.float32)
    p[4:6, 4:6] = 0.9
    # 20 m pixels, 40 m cloud and 20 m shadow dilation -> radius 2 and 1 px
    opt = EvolutionOptions(cloud_dilation_m=40.0, shadow_dilation_m=20.0, cloud_dilation_footprint="square",
                           cloud_dilation_min_probability=0.0, dilation_raises_probability=True)
    n_cloud, n_shadow = dilate_clouds_and_shadows(cm, p, TH, opt, 20.0)
    assert cm[0, 11] == SCL.UNCLASSIFIED
    assert n_cloud == 36 - 4 - 1                  # 6x6 square minus the core and the cirrus pixel
    assert (cm[2:8, 2:8] != SCL.VEGETATION).all() and cm[4, 7] == SCL.THIN_CIRRUS
    assert cm[2, 2] == SCL.MEDIUM_PROBA_CLOUDS and p[2, 2] == pytest.approx(0.2) and p[4, 4] == pytest.approx(0.9)
    assert n_shadow == 3 * 3 - 2                  # rows 9-11 x cols 0-2 (col -1 clipped) minus the 2 shadows
    assert cm[9, 2] == SCL.CLOUD_SHADOWS and cm[8, 0] == SCL.VEGETATION


def test_default_dilation_grows_likely_clouds_by_a_disk_and_keeps_their_probability():
    cm = np.full((12, 12), SCL.VEGETATION, np.uint8)
    cm[4:6, 4:6] = SCL.HIGH_PROBA_CLOUDS
    cm[4, 7] = SCL.THIN_CIRRUS
    cm[9:11, 9:11] = SCL.MEDIUM_PROBA_CLOUDS     # P 0.5 < 0.65: does not grow
    p = np.zeros(cm.shape, np.float32)
    p[4:6, 4:6] = 0.9
    p[9:11, 9:11] = 0.5
    p[2, 4] = 0.1
    # 40 m at 20 m = radius 2 px, disk: the 6x6 box around the 2x2 core minus 3 px in each corner (e.g.
    # (2, 3) is sqrt(5) px from (4, 4)) = 24, minus the core (4) and the cirrus pixel -> 19
    opt = EvolutionOptions(cloud_dilation_m=40.0, shadow_dilation_m=0.0)
    n_cloud, _ = dilate_clouds_and_shadows(cm, p, TH, opt, 20.0)
    assert n_cloud == 19
    assert cm[2, 4] == SCL.MEDIUM_PROBA_CLOUDS and p[2, 4] == pytest.approx(0.1)   # own P kept
    assert cm[2, 3] == SCL.VEGETATION and cm[4, 7] == SCL.THIN_CIRRUS
    assert cm[8, 9] == SCL.VEGETATION and cm[9, 9] == SCL.MEDIUM_PROBA_CLOUDS


def test_snow_climatology_limits_snow():
    toa = fill((10, 10), "snow")
    clim = np.full((10, 10), 30, np.uint8)
    clim[:, :5] = 0                               # never snow in this month
    aux = SceneAux(resolution_m=20.0, **SUN, snow_climatology_percent=clim)
    base = dict(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0)
    res = classify(toa, aux, options=EvolutionOptions(**base))
    # snow where allowed; ruled-out snow becomes a medium-probability cloud with P = 0.65, S = 0
    assert (res.scl[:, 5:] == SCL.SNOW_ICE).all()
    assert (res.scl[:, :5] == SCL.MEDIUM_PROBA_CLOUDS).all()
    assert (res.msk_cldprb()[:, :5] == 65).all() and (res.msk_cldprb()[:, 5:] == 0).all()
    assert (res.msk_snwprb()[:, :5] == 0).all() and (res.msk_snwprb()[:, 5:] == 100).all()
    # previous behaviour: S = 0 before the snow mask, the pixels go on through the cloud tests, where step
    # 6bis (B04/B11 = 0.75/0.10 = 7.5 >= 6) sets P = 0; the 3 columns next to the snow are recovered as snow
    # by step 16 (radius-3 diamond, B11 < B03), the last 2 stay not classified -> UNCLASSIFIED
    old = classify(toa, aux, options=EvolutionOptions(snow_ruled_out_as_cloud=False, **base))
    assert (old.scl[:, 2:] == SCL.SNOW_ICE).all()
    assert (old.scl[:, :2] == SCL.UNCLASSIFIED).all()
    assert (old.msk_snwprb()[:, :5] == 0).all()
    off = classify(toa, aux, options=OFF)
    assert (off.scl == SCL.SNOW_ICE).all()


def test_ruled_out_snow_with_cirrus_b10_is_thin_cirrus_whatever_its_b02():
    toa = fill((6, 6), "snow")                    # B02 0.8: above the classic thin-cirrus limit 0.5
    toa["B10"][:, :3] = 0.02                      # T1_B10 0.012 < 0.02 < T2_B10 0.035
    aux = SceneAux(resolution_m=20.0, **SUN, snow_climatology_percent=np.zeros((6, 6), np.uint8))
    base = dict(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0)
    res = classify(toa, aux, options=EvolutionOptions(**base))
    assert (res.scl[:, :3] == SCL.THIN_CIRRUS).all() and (res.msk_cldprb()[:, :3] == 0).all()
    assert (res.scl[:, 3:] == SCL.MEDIUM_PROBA_CLOUDS).all()
    limited = classify(toa, aux, options=EvolutionOptions(snow_ruled_out_cirrus_b02_max=0.5, **base))
    assert (limited.scl == SCL.MEDIUM_PROBA_CLOUDS).all()


def test_topographic_shadow_with_a_dem_turns_dark_unclassified_terrain_into_cast_shadow():
    # deep_shadow: B8A 0.03 is below the dark-feature interval and P = 0 (B04 0.03), NDSI 0.33 -> rN 1,
    # B02/B11 2.5, B8A/B11 1.5, B04/B11 1.5: no test claims it -> UNCLASSIFIED without a DEM.
    # Every band is below the reference shadow spectrum (spectral score 1) but no cloud projects there.
    toa = fill((20, 40))
    paint(toa, slice(0, 20), slice(0, 20), "deep_shadow")
    dem = np.zeros((20, 40), np.float32)
    dem[:, 20:] = 500.0                           # a 500 m cliff east of the dark area
    opt = EvolutionOptions(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0)
    # sun in the east at 45 deg elevation: the cliff shades 500 m = 25 px westwards (all 20 dark columns)
    aux = SceneAux(resolution_m=20.0, sun_zenith_deg=45.0, sun_azimuth_deg=90.0, dem_m=dem)
    assert (classify(toa, aux, options=opt).scl[:, :20] == SCL.DARK_FEATURES).all()
    flat = SceneAux(resolution_m=20.0, sun_zenith_deg=45.0, sun_azimuth_deg=90.0)
    assert (classify(toa, flat, options=opt).scl[:, :20] == SCL.UNCLASSIFIED).all()
    off = EvolutionOptions(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0, topographic_shadow=False)
    assert (classify(toa, aux, options=off).scl[:, :20] == SCL.UNCLASSIFIED).all()


def test_parallax_is_skipped_with_a_warning_without_b07_b08(caplog):
    toa = fill((8, 8))
    del toa["B07"], toa["B08"]
    with caplog.at_level(logging.WARNING, logger="sen2cor.sceneclass.evolution"):
        res = classify(toa, SceneAux(**SUN), options=EvolutionOptions(parallax=True))
    assert "parallax test skipped" in caplog.text
    assert (res.scl == SCL.VEGETATION).all()


def test_step_counts_report_each_evolution_step():
    res = classify(fill((8, 8)), SceneAux(**SUN), options=EvolutionOptions(parallax=True))
    assert {"false_cloud", "false_snow", "cloud_shadow", "cloud_dilation", "shadow_dilation"} <= set(res.step_counts)
    # uniform vegetation: no step changes a pixel
    assert all(count == 0 for count in res.step_counts.values()), res.step_counts


def test_cloud_dilation_count_is_the_number_of_pixels_it_made_cloud():
    toa = paint(fill((30, 30)), slice(10, 16), slice(10, 16), "cloud")
    grown = classify(toa, SceneAux(**SUN), options=EvolutionOptions(parallax=False, cloud_dilation_m=40.0))
    plain = classify(toa, SceneAux(**SUN), options=EvolutionOptions(parallax=False, cloud_dilation_m=0.0))
    clouds = (SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS)
    added = int(np.isin(grown.scl, clouds).sum() - np.isin(plain.scl, clouds).sum())
    assert added > 0
    assert grown.step_counts["cloud_dilation"] == added
    assert plain.step_counts["cloud_dilation"] == 0


def test_parallax_is_off_by_default():
    res = classify(fill((8, 8)), SceneAux(**SUN))
    assert "false_cloud" not in res.step_counts


def test_relative_darkness_finds_shadow_the_reference_spectrum_misses():
    # a vegetation area darkened to 45 % in every band north of a cloud: B8A 0.1575 is far above the
    # reference spectrum (classic spectral score 0). With a window covering the scene the clear-sky B8A mean is
    # about (1220 * 0.35 + 380 * 0.1575) / 1600 = 0.304 -> ratio 0.52 -> darkness 1 - 0.12/0.25 = 0.53
    toa = fill((60, 30))
    paint(toa, slice(40, 50), slice(5, 25), "cloud")
    for band in toa:
        toa[band][20:39, 5:25] *= 0.45
    aux = SceneAux(resolution_m=300.0, sun_zenith_deg=45.0, sun_azimuth_deg=180.0)
    base = dict(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0, remove_isolated_clouds=False)
    with_dark = classify(toa, aux, options=EvolutionOptions(shadow_darkness_window_m=30000.0, **base))
    without = classify(toa, aux, options=EvolutionOptions(shadow_darkness_window_m=0, **base))
    assert with_dark.scl[33, 15] == SCL.CLOUD_SHADOWS
    assert without.scl[33, 15] != SCL.CLOUD_SHADOWS
    assert with_dark.scl[55, 15] == SCL.VEGETATION              # sun side: no projection, no shadow
