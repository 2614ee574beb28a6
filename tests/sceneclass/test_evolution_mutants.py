"""Hand-derived cases that pin the boundaries and branches of sceneclass/evolution.py (mutation survivors)."""
import numpy as np
import pytest

from sen2cor.errors import ConfigError
from sen2cor.sceneclass import SCL, EvolutionOptions
from sen2cor.sceneclass.evolution import apply_parallax, dilate_clouds_and_shadows, separate_topographic_shadow
from sen2cor.sceneclass.parallax import parallax_masks
from sen2cor.sceneclass.thresholds import NOT_CLASSIFIED, CloudThresholds
from tests.sceneclass.synthetic import SUN, SUN_ZENITH_DEG

TH = CloudThresholds()
FRACTIONS = ("false_cloud_max_fraction", "false_snow_min_fraction", "topographic_geometric_max",
             "snow_ruled_out_cloud_probability", "cloud_dilation_min_probability",
             "shadow_darkness_min_clear_fraction")


@pytest.mark.parametrize("name", FRACTIONS)
def test_fraction_options_accept_0_and_1_and_nothing_outside(name):
    assert getattr(EvolutionOptions(**{name: 0.0}), name) == 0.0
    assert getattr(EvolutionOptions(**{name: 1.0}), name) == 1.0
    for bad in (-0.01, 1.01):
        with pytest.raises(ConfigError, match=f"EvolutionOptions.{name}={bad}"):
            EvolutionOptions(**{name: bad})


def test_dilation_options_are_checked_separately():
    assert EvolutionOptions(cloud_dilation_m=0.0, shadow_dilation_m=0.0).shadow_dilation_m == 0.0
    with pytest.raises(ConfigError, match="radii"):
        EvolutionOptions(shadow_dilation_m=-1.0)
    with pytest.raises(ConfigError, match="='round' must be 'disk' or 'square'"):
        EvolutionOptions(cloud_dilation_footprint="round")
    assert EvolutionOptions(cloud_dilation_footprint="square").cloud_dilation_footprint == "square"


def test_classic_options_switch_every_evolution_step_off():
    off = EvolutionOptions.classic()
    assert not (off.snow_climatology or off.snow_ruled_out_as_cloud or off.parallax or off.topographic_shadow
                or off.remove_isolated_clouds or off.exact_sun_azimuth)
    assert off.cloud_dilation_m == off.shadow_dilation_m == off.shadow_darkness_window_m == 0.0


@pytest.mark.parametrize("s_value, expected", [(0.0, SCL.UNCLASSIFIED), (0.1, SCL.UNCLASSIFIED),
                                                (0.2, SCL.MEDIUM_PROBA_CLOUDS), (0.8, SCL.HIGH_PROBA_CLOUDS)])
def test_false_snow_takes_the_cloud_class_of_its_snow_probability(s_value, expected):
    # T_CLOUD_LP 0, T_CLOUD_MP 0.2, T_CLOUD_HP 0.8; P <= T_CLOUD_LP is no cloud class: UNCLASSIFIED
    cm = np.full((5, 5), SCL.VEGETATION, np.uint8)
    cm[1:4, 1:4] = SCL.SNOW_ICE
    p = np.zeros(cm.shape, np.float32)
    s = np.zeros(cm.shape, np.float32)
    s[1:4, 1:4] = s_value
    moving = parallax_masks(np.full(cm.shape, -0.9, np.float32))
    assert apply_parallax(cm, p, s, *moving, TH, EvolutionOptions()) == (0, 9)
    assert (cm[1:4, 1:4] == expected).all() and (cm[0] == SCL.VEGETATION).all()
    assert (p[1:4, 1:4] == np.float32(s_value)).all() and (s == 0).all()


def test_cloud_shadow_at_exactly_the_geometric_limit_stays_cloud_shadow():
    cm = np.full(3, SCL.CLOUD_SHADOWS, np.uint8)
    geometric = np.array([0.49, 0.5, 0.51], np.float32)
    n = separate_topographic_shadow(cm, np.zeros(3, np.float32), geometric, np.ones(3, bool), EvolutionOptions())
    assert n == 1 and cm.tolist() == [SCL.DARK_FEATURES, SCL.CLOUD_SHADOWS, SCL.CLOUD_SHADOWS]


def test_only_unclassified_spectrally_dark_terrain_shadow_becomes_dark_features():
    cm = np.array([NOT_CLASSIFIED, SCL.UNCLASSIFIED, SCL.WATER, SCL.SNOW_ICE, SCL.NOT_VEGETATED], np.uint8)
    n = separate_topographic_shadow(cm, np.ones(5, np.float32), np.zeros(5, np.float32), np.ones(5, bool),
                                    EvolutionOptions())
    assert n == 2
    assert cm.tolist() == [SCL.DARK_FEATURES, SCL.DARK_FEATURES, SCL.WATER, SCL.SNOW_ICE, SCL.NOT_VEGETATED]


def _one_cloud(code=SCL.HIGH_PROBA_CLOUDS, p_value=0.9):
    cm = np.full((9, 9), SCL.VEGETATION, np.uint8)
    cm[3:6, 3:6] = code
    p = np.zeros(cm.shape, np.float32)
    p[3:6, 3:6] = p_value
    return cm, p


def test_clouds_grow_from_exactly_the_minimum_probability():
    # 20 m dilation at 20 m pixels: radius 1 px, disk = cross; the 3 x 3 cloud grows by 4 x 3 = 12 px
    opt = EvolutionOptions(cloud_dilation_m=20.0, shadow_dilation_m=0.0, cloud_dilation_min_probability=0.65)
    for p_value, grown in ((0.65, 12), (0.64, 0)):
        cm, p = _one_cloud(SCL.MEDIUM_PROBA_CLOUDS, p_value)
        assert dilate_clouds_and_shadows(cm, p, TH, opt, 20.0) == (grown, 0)
    cm, p = _one_cloud(p_value=0.1)
    opt_all = EvolutionOptions(cloud_dilation_m=20.0, shadow_dilation_m=0.0, cloud_dilation_min_probability=0.0)
    assert dilate_clouds_and_shadows(cm, p, TH, opt_all, 20.0) == (12, 0)
    assert cm[2, 4] == SCL.MEDIUM_PROBA_CLOUDS and cm[2, 2] == SCL.VEGETATION


def test_grown_clouds_keep_no_data_and_cover_snow_and_shadow():
    cm, p = _one_cloud()
    cm[2, 4] = SCL.NO_DATA
    cm[6, 4] = SCL.SNOW_ICE
    cm[4, 2] = SCL.CLOUD_SHADOWS
    cm[4, 6] = SCL.HIGH_PROBA_CLOUDS
    p[4, 6] = 0.3                                      # already cloud: not counted, class kept
    opt = EvolutionOptions(cloud_dilation_m=20.0, shadow_dilation_m=0.0)
    assert dilate_clouds_and_shadows(cm, p, TH, opt, 20.0) == (10, 0)
    assert cm[2, 4] == SCL.NO_DATA and cm[4, 6] == SCL.HIGH_PROBA_CLOUDS
    assert cm[6, 4] == SCL.MEDIUM_PROBA_CLOUDS and cm[4, 2] == SCL.MEDIUM_PROBA_CLOUDS
    assert p[6, 4] == 0.0                              # own P kept by default


def test_shadows_grow_only_over_the_listed_classes():
    row0 = [SCL.DARK_FEATURES, NOT_CLASSIFIED, SCL.SNOW_ICE, SCL.THIN_CIRRUS, SCL.NOT_VEGETATED, SCL.WATER,
            SCL.UNCLASSIFIED, SCL.VEGETATION, SCL.HIGH_PROBA_CLOUDS, SCL.NO_DATA, SCL.SATURATED_DEFECTIVE]
    cm = np.full((3, len(row0)), SCL.CLOUD_SHADOWS, np.uint8)
    cm[0] = row0
    cm[2] = SCL.SNOW_ICE
    p = np.zeros(cm.shape, np.float32)
    # 20 m shadow dilation at 20 m pixels: a 3 x 3 square, so every pixel of rows 0 and 2 touches a shadow
    opt = EvolutionOptions(cloud_dilation_m=0.0, shadow_dilation_m=20.0, remove_isolated_clouds=False)
    assert dilate_clouds_and_shadows(cm, p, TH, opt, 20.0) == (0, 6)
    grows = [True, True, False, False, True, True, True, True, False, False, False]
    assert cm[0].tolist() == [SCL.CLOUD_SHADOWS if g else c for g, c in zip(grows, row0)]
    assert (cm[2] == SCL.SNOW_ICE).all()


def _blob_with_moving_pixels(code, n_pixels, n_moving):
    cm = np.full((3, n_pixels + 2), SCL.VEGETATION, np.uint8)
    cm[1, 1:n_pixels + 1] = code
    cdi = np.full(cm.shape, 0.0, np.float32)
    cdi[1, 1:n_moving + 1] = -0.9
    return cm, parallax_masks(cdi)


@pytest.mark.parametrize("n_pixels, is_static", [(20, False), (21, True)])
def test_default_false_cloud_limit_is_5_percent_of_parallax_pixels(n_pixels, is_static):
    # one parallax pixel in a 20 px blob is 5 %: not below the limit, the cloud stays; in 21 px 4.8 %: static
    cm, masks = _blob_with_moving_pixels(SCL.MEDIUM_PROBA_CLOUDS, n_pixels, 1)
    p = np.where(cm == SCL.MEDIUM_PROBA_CLOUDS, np.float32(0.5), np.float32(0))
    s = np.zeros(cm.shape, np.float32)
    assert apply_parallax(cm, p, s, *masks, TH, EvolutionOptions()) == ((n_pixels if is_static else 0), 0)


@pytest.mark.parametrize("n_moving, is_cloud", [(1, True), (0, False)])
def test_default_false_snow_limit_is_25_percent_of_parallax_pixels(n_moving, is_cloud):
    cm, masks = _blob_with_moving_pixels(SCL.SNOW_ICE, 4, n_moving)             # 1 of 4 = 25 %
    s = np.where(cm == SCL.SNOW_ICE, np.float32(0.5), np.float32(0))
    p = np.zeros(cm.shape, np.float32)
    assert apply_parallax(cm, p, s, *masks, TH, EvolutionOptions()) == (0, 4 if is_cloud else 0)


def test_default_cloud_dilation_is_100_m_from_clouds_with_p_at_least_0_65():
    # 100 m at 20 m pixels: radius round(5.0) = 5 px (disk) around a single 2 x 2 core
    cm = np.full((21, 21), SCL.VEGETATION, np.uint8)
    cm[10:12, 10:12] = SCL.HIGH_PROBA_CLOUDS
    p = np.zeros(cm.shape, np.float32)
    p[10:12, 10:12] = 0.7
    dilate_clouds_and_shadows(cm, p, TH, EvolutionOptions(shadow_dilation_m=0.0), 20.0)
    assert cm[5, 10] == SCL.MEDIUM_PROBA_CLOUDS and cm[4, 10] == SCL.VEGETATION
    assert cm[10, 16] == SCL.MEDIUM_PROBA_CLOUDS and cm[10, 17] == SCL.VEGETATION
    cm2 = np.where(cm == SCL.MEDIUM_PROBA_CLOUDS, SCL.VEGETATION, cm).astype(np.uint8)
    p[10:12, 10:12] = 0.64
    assert dilate_clouds_and_shadows(cm2, p, TH, EvolutionOptions(shadow_dilation_m=0.0), 20.0) == (0, 0)


def test_parallax_masks_over_strips_equal_the_whole_image(monkeypatch):
    from sen2cor.sceneclass import classic, evolution, parallax
    from sen2cor.sceneclass.classic import Bands

    rng = np.random.default_rng(5)
    shape = (23, 9)
    b8a = rng.uniform(0.2, 0.4, shape).astype(np.float32)
    amplitude = np.linspace(0.05, 0.8, shape[0], dtype=np.float32)[:, None]   # B07 texture grows southwards
    toa = {"B8A": b8a, "B07": b8a * (1 + amplitude * rng.uniform(-1, 1, shape)).astype(np.float32),
           "B08": np.roll(b8a, 1, axis=0) * rng.uniform(0.95, 1.05, shape).astype(np.float32)}
    # an 11 px window needs 5 rows of halo; CDI limit -0.2 instead of the default -0.5
    opt = EvolutionOptions(parallax=True, parallax_window_px=11, parallax_cdi_max=-0.2)
    cdi = parallax.cloud_displacement_index(toa["B07"], toa["B08"], b8a, window_px=11)
    textured, moving = parallax.parallax_masks(cdi, -0.2)
    assert moving.any() and not moving.all() and ((cdi > -0.5) & (cdi < -0.2)).any()
    monkeypatch.setattr(classic, "STRIP_ROWS", 4)
    got_textured, got_moving = evolution._parallax_strips(Bands(toa, evolution.PARALLAX_BANDS), opt)
    np.testing.assert_array_equal(got_textured, textured)
    np.testing.assert_array_equal(got_moving, moving)


def test_self_shadow_of_the_hillshade_alone_marks_terrain_shadow():
    # the dark, unclassified area of the evolution test with a flat DEM (no cast shadow) but an SDW of 1
    # (gdaldem: self-shadow) given with the inputs: it becomes DARK_FEATURES only through the self-shadow
    from sen2cor.sceneclass import SceneAux, classify
    from tests.sceneclass.synthetic import fill, paint

    toa = fill((20, 40))
    paint(toa, slice(0, 20), slice(0, 20), "deep_shadow")
    sdw = np.full((20, 40), 200, np.uint8)
    sdw[:, :20] = 1
    opt = EvolutionOptions(parallax=False, cloud_dilation_m=0, shadow_dilation_m=0)
    aux = SceneAux(resolution_m=20.0, sun_zenith_deg=45.0, sun_azimuth_deg=90.0, dem_m=np.zeros((20, 40), np.float32),
                   sdw=sdw, slope_deg=np.zeros((20, 40), np.float32))
    assert (classify(toa, aux, options=opt).scl[:, :20] == SCL.DARK_FEATURES).all()


def _evolution(toa, aux=None, **options):
    from sen2cor.sceneclass import SceneAux, classify

    return classify(toa, aux or SceneAux(resolution_m=20.0, **SUN), options=EvolutionOptions(**options))


def test_snow_climatology_minimum_percent_is_passed_on():
    # climatology 30 %: snow allowed with the default minimum 0 %, ruled out (-> cloud) with a minimum of 40 %
    from sen2cor.sceneclass import SceneAux
    from tests.sceneclass.synthetic import fill

    aux = SceneAux(resolution_m=20.0, **SUN, snow_climatology_percent=np.full((6, 6), 30, np.uint8))
    base = dict(cloud_dilation_m=0, shadow_dilation_m=0)
    assert (_evolution(fill((6, 6), "snow"), aux, **base).scl == SCL.SNOW_ICE).all()
    ruled_out = _evolution(fill((6, 6), "snow"), aux, snow_climatology_min_percent=40.0, **base)
    assert (ruled_out.scl == SCL.MEDIUM_PROBA_CLOUDS).all()


def test_skipped_parallax_warning_names_the_bands(caplog):
    import logging

    from tests.sceneclass.synthetic import fill

    toa = fill((6, 6))
    del toa["B07"], toa["B08"]
    with caplog.at_level(logging.WARNING, logger="sen2cor.sceneclass.evolution"):
        _evolution(toa, parallax=True)
    assert "parallax test skipped: needs bands B07, B08, B8A" in caplog.messages


def test_shadow_stage_gets_the_azimuth_and_darkness_reference_of_the_options(monkeypatch):
    from sen2cor.sceneclass import SceneAux, evolution, shadow
    from tests.sceneclass.synthetic import fill

    seen = []
    real = evolution.run_shadow_stage

    def recording(bands, cm, p, nodata, th, aux, sun_azimuth_deg, darkness=None):
        seen.append((sun_azimuth_deg, darkness))
        return real(bands, cm, p, nodata, th, aux, sun_azimuth_deg, darkness)

    monkeypatch.setattr(evolution, "run_shadow_stage", recording)
    aux = SceneAux(resolution_m=20.0, sun_zenith_deg=SUN_ZENITH_DEG, sun_azimuth_deg=150.7)
    opts = dict(shadow_darkness_window_m=900.0, shadow_darkness_ratio=(0.3, 0.6), shadow_darkness_sunlit_only=True,
                shadow_darkness_fallback_scales=1, shadow_darkness_min_clear_fraction=0.3)
    _evolution(fill((6, 6)), aux, **opts)
    _evolution(fill((6, 6)), aux, exact_sun_azimuth=False, **opts)
    assert seen[0][0] == 150.7 and seen[1][0] == 150.5                  # classic: int(azimuth) + 0.5
    assert seen[0][1] == shadow.DarknessReference(900.0, (0.3, 0.6), True, 1, 0.3)
    _evolution(fill((6, 6)), aux)                      # defaults: a 1500 m window (docs/sceneclass.md)
    assert seen[2] == (150.7, shadow.DarknessReference(1500.0, (0.4, 0.65), True, 2, 0.1))


def test_evolution_result_names_its_algorithm_no_data_and_topographic_count():
    from sen2cor.sceneclass import SceneAux
    from tests.sceneclass.synthetic import fill

    toa = fill((8, 8))
    nodata = np.zeros((8, 8), bool)
    nodata[0, 0] = True
    sdw = np.full((8, 8), 200, np.uint8)
    aux = SceneAux(resolution_m=20.0, **SUN, nodata=nodata, dem_m=np.zeros((8, 8), np.float32), sdw=sdw,
                   slope_deg=np.zeros((8, 8), np.float32))
    res = _evolution(toa, aux)
    assert res.algorithm == "evolution"
    np.testing.assert_array_equal(res.nodata, nodata)
    assert res.step_counts["topographic_shadow"] == 0 and res.scl[0, 0] == SCL.NO_DATA


def test_evolution_applies_the_median_filter_and_the_dilation_probability_rule():
    from tests.sceneclass.synthetic import fill, paint

    toa = paint(fill((9, 9)), slice(4, 5), slice(4, 5), "soil")        # one NOT_VEGETATED pixel
    assert _evolution(toa).scl[4, 4] == SCL.NOT_VEGETATED
    from sen2cor.sceneclass import SceneAux, classify
    smoothed = classify(toa, SceneAux(resolution_m=20.0, **SUN), median_filter_px=3)
    assert smoothed.scl[4, 4] == SCL.VEGETATION                         # 3 x 3 majority
    # new cloud pixels get P >= T_CLOUD_MP = 0.2 when the option asks for it
    cloudy = paint(fill((20, 20)), slice(8, 12), slice(8, 12), "cloud")
    raised = _evolution(cloudy, cloud_dilation_m=40.0, dilation_raises_probability=True)
    assert raised.scl[6, 9] == SCL.MEDIUM_PROBA_CLOUDS and raised.msk_cldprb()[6, 9] == 20


def test_a_removed_single_cloud_pixel_does_not_grow_back():
    cm = np.full((7, 7), SCL.VEGETATION, np.uint8)
    cm[3, 3] = SCL.HIGH_PROBA_CLOUDS
    p = np.zeros(cm.shape, np.float32)
    p[3, 3] = 0.9                                       # likely, but alone: UNCLASSIFIED before the dilation
    opt = EvolutionOptions(cloud_dilation_m=20.0, shadow_dilation_m=0.0)
    assert dilate_clouds_and_shadows(cm, p, TH, opt, 20.0) == (0, 0)
    assert cm[3, 3] == SCL.UNCLASSIFIED and (cm[2:5, 2:5] != SCL.MEDIUM_PROBA_CLOUDS).all()
