"""Hand-derived cases that pin the boundaries and branches of sceneclass/shadow.py (mutation survivors)."""
import numpy as np
import pytest

from sen2cor.sceneclass import shadow
from sen2cor.sceneclass.thresholds import CloudThresholds

TH = CloudThresholds()
# Sen2Cor's reference shadow spectrum (TOA reflectance), written out so that a changed constant fails the tests
REF = {"B02": 0.12, "B03": 0.08, "B04": 0.06, "B8A": 0.10, "B11": 0.0545, "B12": 0.0255}


def _bands(offsets, shape=(3, 3)):
    return {b: np.full(shape, REF[b] + offsets.get(b, 0.0), np.float32) for b in shadow.SHADOW_BANDS}


def test_a_band_exactly_at_its_reference_is_not_below_it():
    frac, mad = shadow.spectral_distance(_bands({}))
    assert frac[1, 1] == 0.0 and mad[1, 1] == 0.0


def test_dark_fraction_and_mean_deviation_of_a_mixed_spectrum():
    # B02, B03, B04 0.02 below their references, B8A, B11, B12 0.04 above: 3 of 6 below, mean |d| 0.03
    frac, mad = shadow.spectral_distance(_bands({"B02": -0.02, "B03": -0.02, "B04": -0.02,
                                                 "B8A": 0.04, "B11": 0.04, "B12": 0.04}))
    assert frac[1, 1] == pytest.approx(0.5)
    assert mad[1, 1] == pytest.approx(0.03, abs=1e-6)


def test_shadow_water_is_strictly_above_a_ratio_of_6():
    b11 = np.array([0.0625, 0.0625, 0.0625], np.float32)              # 0.375 / 0.0625 = 6 exactly
    assert shadow.shadow_water(np.array([0.374, 0.375, 0.376], np.float32), b11).tolist() == [False, False, True]


def test_spectral_score_on_both_sides_of_1_minus_t_b02_b12():
    # m = 1 - mean |d|; T_B02_B12 = 0.018: mean |d| 0.017 keeps m = 0.983, 0.019 gives m < 0.982 -> 0
    none = np.zeros((3, 3), bool)
    for dev, expected in ((0.017, 0.983), (0.019, 0.0)):
        frac, mad = shadow.spectral_distance(_bands({b: dev for b in shadow.SHADOW_BANDS}))
        assert frac[1, 1] == 0.0
        assert shadow.spectral_shadow_score(frac, mad, none, none, TH)[1, 1] == pytest.approx(expected, abs=1e-5)


def test_spectrum_with_one_band_above_its_reference_is_not_set_to_one():
    # five bands far below (0.05 under), B12 0.001 above: dark fraction 5/6 < 1 and mean |d| 0.0418 -> m = 0
    offsets = {b: -0.05 for b in shadow.SHADOW_BANDS[:5]}
    offsets["B12"] = 0.001
    frac, mad = shadow.spectral_distance(_bands(offsets, (5, 5)))
    none = np.zeros((5, 5), bool)
    assert shadow.spectral_shadow_score(frac, mad, none, none, TH)[2, 2] == 0.0


def test_final_shadow_test_is_strictly_above_0_05():
    spectral = np.array([1.0, 1.0, 0.5], np.float32)
    geometric = np.array([0.05, 0.0501, 0.2], np.float32)
    assert shadow.cloud_shadow(spectral, geometric).tolist() == [False, True, True]


def test_cloud_shadow_strips_do_not_change_the_result():
    rng = np.random.default_rng(1)
    spectral = rng.uniform(0, 1, (13, 6)).astype(np.float32)
    geometric = rng.uniform(0, 0.2, (13, 6)).astype(np.float32)
    whole = spectral * geometric > 0.05
    assert (shadow.cloud_shadow(spectral, geometric, rows=4) == whole).all()
    assert (shadow.cloud_shadow(spectral, geometric, rows=1) == whole).all()


def test_shadow_casting_clouds_strips_keep_the_halo():
    rng = np.random.default_rng(2)
    p = rng.uniform(0, 0.7, (17, 9)).astype(np.float32)
    whole = shadow.shadow_casting_clouds(p, rows=1000)
    assert whole.any() and not whole.all()
    for rows in (2, 3, 5):
        assert (shadow.shadow_casting_clouds(p, rows=rows) == whole).all()


def test_shadow_casting_probability_is_strictly_above_0_33():
    # a uniform P: the median is P itself; the cross dilation of an all-true/all-false mask changes nothing
    assert not shadow.shadow_casting_clouds(np.full((5, 5), 0.33, np.float32)).any()
    assert shadow.shadow_casting_clouds(np.full((5, 5), 0.331, np.float32)).all()


def test_coarse_local_mean_uses_a_window_at_exactly_the_minimum_weight():
    sums = np.array([[0.5, 0.2]], np.float32)
    weights = np.array([[1.0, 0.5]], np.float32)                      # window 1: mean weights 1.0 and 0.5
    out = shadow.coarse_local_mean(sums, weights, 1, min_weight=1.0)
    np.testing.assert_allclose(out, [[0.5, 0.0]])


def test_coarse_local_mean_global_fallback_without_any_weight_is_zero():
    out = shadow.coarse_local_mean(np.zeros((2, 3)), np.zeros((2, 3)), (1, 3), fallback_global=True)
    assert out.shape == (2, 3) and (out == 0).all()


def test_kernel_needs_the_sun_above_the_horizon():
    with pytest.raises(ValueError, match="sun_zenith_deg=90"):
        shadow.shadow_kernel(90.0, 180.0, 20.0)


def test_geometric_probability_is_within_0_1_and_zero_inside_the_cloud():
    clouds = np.zeros((80, 30), bool)
    clouds[50:70, 5:25] = True
    nodata = np.zeros_like(clouds)
    # 300 m pixels, zenith 45 deg, sun in the south: the 20 x 20 px cloud projects 0-20 px north; many cloud
    # pixels overlap there (sum > 1 before the clip), and the cloud's own pixels are removed before the blur
    csd2 = shadow.geometric_shadow_probability(clouds, nodata, 45.0, 180.0, 300.0)
    assert csd2.min() >= 0.0 and csd2.max() <= 1.0 + 1e-6
    assert csd2[40, 15] > 0.9                       # 10 px north of the cloud: the middle of its shadow
    assert csd2[60, 15] < 0.05                      # centre of the cloud: cloud pixels are not shadow
    assert csd2[75, 15] < 0.01                      # south (sun side)


def test_geometric_probability_is_blurred_with_a_sigma_of_3_px():
    # the same cloud: 1 on rows 36-49 (clipped sum of the projections), 0 on the cloud rows 50-69 and south of
    # them, so rows 47 and 52 lie 2.5 px either side of a step; a Gaussian of sigma 3 px gives
    # Phi(-2.5 / 3) = 0.202 on the low side and 0.798 on the high side (sigma 3.3 px: 0.224 / 0.776)
    clouds = np.zeros((80, 30), bool)
    clouds[50:70, 5:25] = True
    csd2 = shadow.geometric_shadow_probability(clouds, np.zeros_like(clouds), 45.0, 180.0, 300.0)
    assert csd2[52, 15] == pytest.approx(0.202, abs=0.004)
    assert csd2[47, 15] == pytest.approx(0.798, abs=0.004)


def test_darkness_reference_defaults_are_the_evolution_defaults_with_the_test_off():
    from sen2cor.sceneclass.evolution import EvolutionOptions

    ref, opt = shadow.DarknessReference(), EvolutionOptions()
    assert ref.window_m == 0.0                                    # 0 = no relative-darkness test
    assert ref.ratio == opt.shadow_darkness_ratio == (0.4, 0.65)
    assert ref.sunlit_only is opt.shadow_darkness_sunlit_only is True
    assert ref.fallback_scales == opt.shadow_darkness_fallback_scales == 2
    assert ref.min_clear_fraction == opt.shadow_darkness_min_clear_fraction == 0.1


class _Rows:
    """The ``bands`` interface of :func:`shadow.clear_b8a_reference`: B8A by row slices."""

    def __init__(self, b8a):
        self.b8a, self.shape = b8a, b8a.shape

    def get(self, band, rows=slice(None)):
        assert band == "B8A"
        return self.b8a[rows]


def test_relative_darkness_is_zero_where_the_local_mean_is_unknown_even_for_a_black_pixel():
    rel = shadow.relative_darkness(np.array([0.0, 0.0], np.float32), np.array([0.0, 0.2], np.float32), (0.4, 0.65))
    assert rel.tolist() == [0.0, 1.0]


def test_clear_reference_strips_equal_the_whole_image():
    rng = np.random.default_rng(4)
    b8a = rng.uniform(0.1, 0.4, (20, 14)).astype(np.float32)
    cm = np.full(b8a.shape, 4, np.uint8)                          # VEGETATION
    cm[rng.uniform(size=b8a.shape) < 0.3] = 9                      # HIGH_PROBA_CLOUDS: left out
    geometric = rng.uniform(0, 0.1, b8a.shape).astype(np.float32)
    ref = shadow.DarknessReference(window_m=120.0, fallback_scales=1, min_clear_fraction=0.3)
    whole, factor = shadow.clear_b8a_reference(_Rows(b8a), cm, 20.0, ref, geometric, strip_rows=1000)
    for strip_rows in (3, 5, 7):
        strips, _ = shadow.clear_b8a_reference(_Rows(b8a), cm, 20.0, ref, geometric, strip_rows=strip_rows)
        np.testing.assert_allclose(strips, whole, rtol=1e-6)
    assert factor == 3 and whole.shape == (7, 5)


def test_clear_reference_at_60_m_uses_the_pixels_themselves():
    b8a = np.array([[0.2, 0.4]], np.float32)
    cm = np.full(b8a.shape, 4, np.uint8)
    ref = shadow.DarknessReference(window_m=60.0, fallback_scales=0, min_clear_fraction=0.0)
    local, factor = shadow.clear_b8a_reference(_Rows(b8a), cm, 60.0, ref)
    assert factor == 1
    np.testing.assert_allclose(local, [[0.2, 0.4]], rtol=1e-6)


def test_a_geometric_score_of_exactly_0_05_is_still_sunlit():
    b8a = np.full((3, 3), 0.3, np.float32)
    cm = np.full(b8a.shape, 4, np.uint8)
    geometric = np.full(b8a.shape, 0.05, np.float32)
    ref = shadow.DarknessReference(window_m=60.0, fallback_scales=0, min_clear_fraction=0.5)
    local, _ = shadow.clear_b8a_reference(_Rows(b8a), cm, 20.0, ref, geometric)
    np.testing.assert_allclose(local, [[0.3]], rtol=1e-6)


@pytest.mark.parametrize("fallback_scales, expected", [
    (0, [0.3] + [0.0] * 11 + [0.1]),
    (1, [0.3] * 2 + [0.2] * 9 + [0.1] * 2),
    (2, [0.3] * 3 + [0.2] * 7 + [0.1] * 3),
])
def test_clear_reference_falls_back_to_3x_and_9x_windows_then_the_image(fallback_scales, expected):
    # 20 m pixels -> 60 m cells of 3 x 3 px; 13 cells in a row, only cell 0 (B8A 0.3) and cell 12 (0.1) clear.
    # min clear fraction 1/3 -> a window needs a mean of 3 clear px per cell: window 1 serves cells 0 and 12,
    # window 3 cells 1 and 11 (9 / 3), window 9 cells 2 and 10 (edge repeated: 3 x 9 / 9); the rest takes
    # the image mean (2.7 + 0.9) / 18 = 0.2 when there is any fallback scale, else 0
    b8a = np.full((3, 39), 0.6, np.float32)
    b8a[:, :3], b8a[:, 36:] = 0.3, 0.1
    cm = np.full(b8a.shape, 9, np.uint8)                          # HIGH_PROBA_CLOUDS
    cm[:, :3] = cm[:, 36:] = 4                                    # VEGETATION
    ref = shadow.DarknessReference(window_m=60.0, fallback_scales=fallback_scales, min_clear_fraction=1 / 3)
    local, factor = shadow.clear_b8a_reference(_Rows(b8a), cm, 20.0, ref)
    assert factor == 3
    np.testing.assert_allclose(local[0], expected, rtol=1e-5, atol=1e-7)


def _placed_kernels(mask, kernel, origin):
    """The definition of the projection: the kernel added at every mask pixel, cropped to the image."""
    out = np.zeros(mask.shape)
    (row0, col0), (kh, kw) = origin, kernel.shape
    for r, c in zip(*np.nonzero(mask)):
        for i in range(kh):
            for j in range(kw):
                rr, cc = r + row0 + i, c + col0 + j
                if 0 <= rr < mask.shape[0] and 0 <= cc < mask.shape[1]:
                    out[rr, cc] += kernel[i, j]
    return out


@pytest.mark.parametrize("azimuth", [45.0, 90.0, 135.0, 225.0, 270.0, 315.0])
def test_projection_is_the_kernel_placed_at_every_cloud_pixel(azimuth):
    mask = np.zeros((14, 12), bool)
    mask[0, 0] = mask[0, 11] = mask[13, 0] = mask[13, 11] = mask[6, 5] = mask[7, 6] = True   # corners + centre
    kernel, origin = shadow.shadow_kernel(60.0, azimuth, 600.0)       # a few pixels long, 2-D for oblique suns
    assert kernel.shape[1] > 1
    proj = shadow.project(mask, kernel, origin, strip_rows=4)
    assert proj.dtype == np.float32
    np.testing.assert_allclose(proj, _placed_kernels(mask, kernel, origin), atol=1e-5)


def test_global_fallback_with_less_than_one_clear_pixel_in_total():
    # half a clear pixel's weight in the whole grid still defines the image mean 0.1 / 0.5 = 0.2
    out = shadow.coarse_local_mean(np.array([[0.1, 0.0]]), np.array([[0.5, 0.0]]), 1, min_weight=1.0,
                                   fallback_global=True)
    np.testing.assert_allclose(out, [[0.2, 0.2]], rtol=1e-6)


def test_kernel_reaches_the_shadow_of_a_6000_m_cloud():
    # zenith 60 deg, 20 m pixels: 6000 m / tan(30 deg) = 10392 m = 519.6 px -> the last cell is 520 px west
    kernel, (row0, col0) = shadow.shadow_kernel(60.0, 90.0, 20.0)
    assert col0 == -520 and kernel.shape == (1, 521) and kernel.dtype == np.float32


def test_geometric_probability_without_clouds_is_a_float32_zero_map():
    out = shadow.geometric_shadow_probability(np.zeros((3, 4), bool), np.zeros((3, 4), bool), 45.0, 180.0, 20.0)
    assert out.dtype == np.float32 and out.shape == (3, 4) and not out.any()
