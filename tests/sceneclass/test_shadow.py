import numpy as np
import pytest

from sen2cor.sceneclass import shadow
from sen2cor.sceneclass.thresholds import CloudThresholds

TH = CloudThresholds()


def test_height_prior_shape_and_values():
    h = shadow.cloud_height_prior()
    assert h.shape == (201,)
    assert h[0] == pytest.approx(1 / (1 + (50 / 30) ** 10), rel=1e-4)       # 0.0060 at 0 m
    assert h[50] == h[51] == pytest.approx(1.0)                              # peak at 1500-1530 m
    # falling side: sample i is 1 / (1 + ((i - 51) / 90)^10)
    assert h[100] == pytest.approx(1 / (1 + (49 / 90) ** 10), rel=1e-5)      # 0.99772 at 3000 m
    assert h[200] == pytest.approx(1 / (1 + (149 / 90) ** 10), rel=1e-4)     # 0.0064 at 6000 m


def test_kernel_points_away_from_a_southern_sun():
    # zenith 45 deg: shadow distance = height; 30 m pixels: one prior sample per pixel
    kernel, (row0, col0) = shadow.shadow_kernel(45.0, 180.0, 30.0)
    assert kernel.shape == (201, 1) and (row0, col0) == (-200, 0)
    # offset -100 rows (100 px north) gathers samples 99.5, 100, 100.5 -> max = prior at 99.5
    h = shadow.cloud_height_prior()
    assert kernel[100, 0] == pytest.approx((h[99] + h[100]) / 2, abs=2e-4)
    # the cloud pixel itself gathers samples 0 and 0.5 (rounded half to even) -> rising prior at 0.5
    assert kernel[200, 0] == pytest.approx((h[0] + h[1]) / 2, rel=1e-4)


def test_kernel_for_eastern_sun_low_elevation_points_west_and_stretches():
    # zenith 60 deg: tan(elev) = tan(30 deg) = 0.57735 -> 6000 m cloud -> 10392 m = 519.6 px at 20 m
    kernel, (row0, col0) = shadow.shadow_kernel(60.0, 90.0, 20.0)
    assert kernel.shape[0] == 1 and row0 == 0
    assert col0 == -520 or col0 == -519
    h = shadow.cloud_height_prior()
    # cell 0 gathers samples at 0 and 0.5 px = prior sample 0.5 * 20 * 0.57735 / 30 = 0.19
    assert kernel[0, -1] == pytest.approx(h[0] + 0.19245 * (h[1] - h[0]), rel=1e-3)
    # 10 px west: 200 m at 0.57735 -> 115.5 m height = sample 3.849 (samples 9.5-10.5 px: max at 10.5)
    assert kernel[0, -11] == pytest.approx(np.interp(10.5 * 20 * np.tan(np.radians(30)) / 30, np.arange(201), h),
                                           rel=1e-3)


def test_projection_of_one_cloud_pixel_lands_north():
    mask = np.zeros((300, 5), bool)
    mask[250, 2] = True
    kernel, origin = shadow.shadow_kernel(45.0, 180.0, 30.0)
    proj = shadow.project(mask, kernel, origin, strip_rows=64)
    h = shadow.cloud_height_prior()
    assert proj[150, 2] == pytest.approx(kernel[100, 0], abs=1e-4)     # 100 px north of the cloud
    assert proj[200, 2] == pytest.approx(kernel[150, 0], abs=1e-4)
    assert proj[251:, :].max() == pytest.approx(0, abs=1e-5)           # nothing south (sun side)
    assert proj[:, [0, 1, 3, 4]].max() == pytest.approx(0, abs=1e-5)   # nothing east or west
    assert proj[60, 2] == pytest.approx((h[189] + h[190]) / 2, abs=1e-4)  # 190 px north: max at sample 189.5


def test_geometric_probability_is_zero_on_the_sun_side_and_on_no_data():
    clouds = np.zeros((60, 30), bool)
    clouds[40:50, 10:20] = True
    nodata = np.zeros_like(clouds)
    nodata[30, 15] = True
    # 300 m pixels, zenith 45: plateau heights 600-4200 m -> 2-14 px north of the cloud edge
    csd2 = shadow.geometric_shadow_probability(clouds, nodata, 45.0, 180.0, 300.0)
    assert csd2[33, 15] > 0.8        # 1 before the sigma-3 blur; the 10 px wide strip keeps ~0.9 of it
    assert csd2[57, 15] < 0.01
    assert csd2[30, 15] == 0


def test_spectral_score_dark_spectrum_is_one_far_spectrum_is_zero():
    shape = (5, 5)
    dark = {b: np.full(shape, ref * 0.5, np.float32) for b, ref in zip(shadow.SHADOW_BANDS, shadow.SHADOW_REFERENCE)}
    frac, mad = shadow.spectral_distance(dark)
    assert frac[2, 2] == 1.0
    none = np.zeros(shape, bool)
    m = shadow.spectral_shadow_score(frac, mad, none, none, TH)
    assert m[2, 2] == 1.0
    bright = {b: np.full(shape, 0.5, np.float32) for b in shadow.SHADOW_BANDS}
    frac, mad = shadow.spectral_distance(bright)
    assert shadow.spectral_shadow_score(frac, mad, none, none, TH)[2, 2] == 0.0


def test_spectral_score_close_to_reference_and_exclusions():
    shape = (5, 5)
    # 0.01 above the reference in every band: mean |d| = 0.01 -> m = 0.99 >= 1 - 0.018
    near = {b: np.full(shape, ref + 0.01, np.float32) for b, ref in zip(shadow.SHADOW_BANDS, shadow.SHADOW_REFERENCE)}
    frac, mad = shadow.spectral_distance(near)
    none = np.zeros(shape, bool)
    assert shadow.spectral_shadow_score(frac, mad, none, none, TH)[2, 2] == pytest.approx(0.99, abs=1e-5)
    excl = np.zeros(shape, bool)
    excl[2, 2] = True
    assert shadow.spectral_shadow_score(frac, mad, excl, none, TH)[2, 2] == 0
    assert shadow.spectral_shadow_score(frac, mad, none, excl, TH)[2, 2] == 0


def test_shadow_water_and_final_threshold():
    assert shadow.shadow_water(np.array([0.13, 0.11]), np.array([0.02, 0.02])).tolist() == [True, False]
    assert shadow.cloud_shadow(np.array([1.0, 0.5]), np.array([0.06, 0.1])).tolist() == [True, False]


def test_shadow_casting_clouds_smooths_then_grows_by_a_cross():
    p = np.zeros((9, 9), np.float32)
    p[2:5, 2:5] = 0.5
    p[6, 6] = 1.0                       # isolated: removed by the median
    p[0, 8] = 1.0                       # on the border: the median leaves borders untouched (facts D)
    clouds = shadow.shadow_casting_clouds(p)
    assert not clouds[6, 6]
    assert clouds[0, 8]
    assert clouds[3, 3] and clouds[1, 3] and clouds[3, 1] and not clouds[1, 1]


def test_relative_darkness_ramp_against_the_local_mean():
    b8a = np.array([0.08, 0.105, 0.2, 0.05], np.float32)
    local = np.array([0.2, 0.2, 0.2, 0.0], np.float32)
    # ratios 0.4 -> 1 ; 0.525 -> 1 - (0.525 - 0.4)/0.25 = 0.5 ; 1.0 -> 0 ; unknown local mean -> 0
    np.testing.assert_allclose(shadow.relative_darkness(b8a, local, (0.4, 0.65)), [1.0, 0.5, 0.0, 0.0], atol=1e-5)


def test_coarse_local_mean_is_a_weighted_moving_mean():
    sums = np.array([[0.0, 0.6, 0.0]], np.float32)         # one clear pixel of 0.3 in a 2-pixel block
    weights = np.array([[0.0, 2.0, 0.0]], np.float32)
    out = shadow.coarse_local_mean(sums, weights, 3)
    np.testing.assert_allclose(out, [[0.3, 0.3, 0.3]], rtol=1e-5)
    assert shadow.coarse_local_mean(np.zeros((2, 2)), np.zeros((2, 2)), 3).max() == 0


def test_coarse_local_mean_falls_back_to_larger_windows_then_the_image():
    # clear pixels only in cells 0 (mean 0.3) and 4 (mean 0.1), 9 per cell; a window is used when its mean
    # weight per cell is >= 1: window 1 serves cells 0 and 4, window 3 cells 1 (0.9 / 3 = 0.3) and 3 (0.1);
    # cell 2 sees no clear pixel in either and takes the image mean (2.7 + 0.9) / 18 = 0.2
    sums = np.array([[2.7, 0.0, 0.0, 0.0, 0.9]], np.float32)
    weights = np.array([[9.0, 0.0, 0.0, 0.0, 9.0]], np.float32)
    out = shadow.coarse_local_mean(sums, weights, (1, 3), min_weight=1.0, fallback_global=True)
    np.testing.assert_allclose(out, [[0.3, 0.3, 0.2, 0.1, 0.1]], rtol=1e-5)
    no_fallback = shadow.coarse_local_mean(sums, weights, (1, 3), min_weight=1.0)
    assert no_fallback[0, 2] == 0.0
