import numpy as np
import pytest

from sen2cor.atmcorr import terrain


def test_sky_view_factor():
    np.testing.assert_allclose(
        terrain.sky_view_factor(np.array([0.0, 60.0, 90.0])), [1.0, 0.75, 0.5], atol=1e-6
    )


def test_illumination_is_quantised_and_floored():
    cb = terrain.illumination(np.array([-0.5, 0.05, 0.5, 1.0]))
    np.testing.assert_allclose(cb, [26 / 255, 26 / 255, 128 / 255, 1.0], atol=1e-6)


def test_terrain_irradiance_of_flat_terrain_is_the_floor():
    rho1 = np.full((9, 9), 0.3, np.float32)
    e = terrain.terrain_irradiance(rho1, np.ones((9, 9), np.float32), 100.0, 20.0, 0.8, 3)
    np.testing.assert_allclose(e, 0.01 * 100 * 0.8)


def test_terrain_irradiance_geometric_series():
    # V_sky 0.75 everywhere, rho_t 0.4: x = x_bar = 0.1 -> E_flat * 0.1 / 0.9
    e = terrain.terrain_irradiance(
        np.full((9, 9), 0.4, np.float32), np.full((9, 9), 0.75, np.float32), 100.0, 20.0, 0.8, 3
    )
    np.testing.assert_allclose(e, 100.0 / 9.0, rtol=1e-5)


def test_quasi_flat_quirk_compares_radians_with_six():
    dem = np.array([[100.0, 120.0], [130.0, 140.0]])  # 40 m peak to peak
    steep_deg = np.full((2, 2), 30.0)
    assert terrain.is_quasi_flat(dem, np.deg2rad(steep_deg))  # radians never exceed 6
    assert not terrain.is_quasi_flat(dem, steep_deg)  # the intended degree test
    assert not terrain.is_quasi_flat(dem + np.array([[0, 0], [0, 100.0]]), np.deg2rad(steep_deg))


def test_terrain_radius():
    assert terrain.terrain_radius_px(0.5, 20) == 25
    assert terrain.terrain_radius_px(0.5, 60) == 8
    assert terrain.terrain_radius_px(0.0, 20) == 3


@pytest.mark.parametrize("dtype", [np.int16, np.float32])
def test_quasi_flat_peak_to_peak_ignores_sea_and_no_data(dtype):
    """Peak-to-peak over pixels > 0 only: 140 - 100 = 40 m (the 0 m pixels are left out)."""
    heights = np.array([[0, 100, 140], [120, 0, 130]], dtype=dtype)
    flat_slopes = np.zeros(heights.shape)
    assert terrain.is_quasi_flat(heights, flat_slopes, dem_p2p_val_m=50.0)
    assert not terrain.is_quasi_flat(heights, flat_slopes, dem_p2p_val_m=30.0)
    assert terrain.is_quasi_flat(np.zeros((2, 2), dtype), flat_slopes[:2, :2], dem_p2p_val_m=1.0)
