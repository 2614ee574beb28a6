import numpy as np
import pytest

from sen2cor.atmcorr import adjacency


@pytest.mark.parametrize(
    ("adj_km", "pixel", "radius"), [(1.0, 20, 51), (1.0, 60, 17), (1.0, 10, 101), (0.0, 20, 0), (0.5, 20, 25)]
)
def test_adjacency_radius_is_odd_like_sen2cor(adj_km, pixel, radius):
    assert adjacency.adjacency_radius_px(adj_km, pixel) == radius


def test_uniform_field_is_unchanged():
    rho = np.full((30, 30), 0.17, np.float32)
    bg = adjacency.background_reflectance(rho, 5)
    np.testing.assert_allclose(adjacency.adjacency_correction(rho, bg, 0.3), rho, rtol=1e-6)


def test_dark_pixel_in_bright_surroundings_gets_darker():
    rho = np.full((21, 21), 0.3, np.float32)
    rho[10, 10] = 0.05
    bg = adjacency.background_reflectance(rho, 3)  # 7x7 mean = 0.3 - 0.25 / 49
    out = adjacency.adjacency_correction(rho, bg, 0.2)
    expected = 0.05 + 0.2 * (0.05 - (0.3 - 0.25 / 49))
    assert out[10, 10] == pytest.approx(expected, rel=1e-5)


def test_clouds_are_replaced_by_the_clear_mean_before_the_background():
    rho = np.full((11, 11), 0.1, np.float32)
    cloud = np.zeros_like(rho, bool)
    cloud[:, :5] = True
    rho[cloud] = 0.8
    bg = adjacency.background_reflectance(rho, 2, replace=cloud)
    np.testing.assert_allclose(bg, 0.1, rtol=1e-6)


def test_bands_without_adjacency():
    assert adjacency.band_has_adjacency(0.665)
    assert adjacency.band_has_adjacency(2.19)
    assert not adjacency.band_has_adjacency(1.375)  # B10, 1.35-1.45 um


def test_border_zone_follows_the_no_data_edge():
    valid = np.ones((20, 20), bool)
    valid[:, :5] = False
    zone = adjacency.border_zone(valid, 2)
    assert zone[:, 5:7].all() and not zone[:, 8:].any() and not zone[:, :5].any()
    q = adjacency.adjacency_correction(np.array([0.2]), np.array([0.1]), 0.5, np.array([True]))
    assert q[0] == pytest.approx(0.2 + 0.55 * 0.1)


def test_fast_box_mean_agrees_with_the_full_filter():
    from scipy import ndimage

    rng = np.random.default_rng(0)
    rho = (0.1 + 0.2 * rng.random((400, 400))).astype(np.float32)
    rho[100:200, 150:300] += 0.3  # a bright field
    full = ndimage.uniform_filter(rho, 2 * 51 + 1, mode="nearest")
    fast = adjacency.box_mean(rho, 51)
    assert np.abs(fast - full)[60:-60, 60:-60].max() < 0.005  # inside; edge pixels differ more
    assert np.abs(fast - full).max() < 0.03
    assert np.abs(fast - full).mean() < 0.002
