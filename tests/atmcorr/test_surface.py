import numpy as np
import pytest

from sen2cor.atmcorr import surface

LP, E0T, EDIFT, COS, S = 2.0, 120.0, 30.0, 0.8, 0.1


def test_flat_reflectance_inverts_the_black_background_radiance():
    rho = np.array([0.0, 0.05, 0.3, 0.9])
    L = LP + rho * (E0T * COS + EDIFT) / np.pi
    np.testing.assert_allclose(surface.flat_reflectance(L, LP, E0T, EDIFT, COS), rho, atol=1e-6)


def test_step1_then_spherical_albedo_reproduces_a_uniform_surface_exactly():
    rho = np.array([0.02, 0.2, 0.6])
    L = surface.forward_radiance(rho, LP, E0T, EDIFT, COS, S)  # uniform: background = rho
    rho1 = surface.step1_reflectance(L, LP, E0T * COS + EDIFT)
    assert np.all(rho1 > rho)  # multiple reflections brighten
    out = surface.spherical_albedo_correction(rho1, rho, S, reference_albedo=0.0)
    np.testing.assert_allclose(out, rho, rtol=1e-6)


def test_spherical_albedo_correction_is_neutral_at_the_reference_albedo():
    rho = np.array([0.3], np.float32)
    assert surface.spherical_albedo_correction(rho, np.array([0.15]), 0.2)[0] == pytest.approx(0.3)
    # background 0.25 with S = 0.2: factor 1 - 0.1 * 0.2 = 0.98
    assert surface.spherical_albedo_correction(rho, np.array([0.25]), 0.2)[0] == pytest.approx(0.294)


def test_step1_is_capped_by_the_topographic_cutoff():
    assert surface.step1_reflectance(np.array([1000.0]), LP, 10.0)[0] == pytest.approx(1.5)
    assert surface.step1_reflectance(np.array([1000.0]), LP, 10.0, cutoff=2.0)[0] == pytest.approx(2.0)


def test_pixel_irradiance_of_flat_terrain_is_the_flat_irradiance_whatever_t_sun():
    for t_sun in (0.0, 0.4, 0.9):
        assert surface.pixel_irradiance(E0T, EDIFT, COS, COS, 1.0, t_sun) == pytest.approx(E0T * COS + EDIFT)


def test_pixel_irradiance_of_a_shadowed_slope_is_the_sky_diffuse_only():
    # cos beta < 0: no direct, no circumsolar part; isotropic diffuse scaled by the sky view
    e = surface.pixel_irradiance(E0T, EDIFT, -0.2, COS, 0.8, 0.5)
    assert e == pytest.approx(EDIFT * 0.8)


def test_terrain_start_irradiance_and_its_floor():
    # V_sky 0.9, rho_ter 0.1: (96 + 30) * 0.1 * 0.1 = 1.26 > 0.01 * 96 = 0.96
    assert surface.terrain_start_irradiance(E0T, EDIFT, COS, 0.9, 0.1) == pytest.approx(1.26)
    assert surface.terrain_start_irradiance(E0T, EDIFT, COS, 1.0, 0.1) == pytest.approx(0.96)


def test_sun_transmittance_and_adjacency_factor():
    assert surface.sun_transmittance(np.exp(-0.2), 0.5) == pytest.approx(np.exp(-0.4))
    assert surface.sun_transmittance(0.0, 0.5) == pytest.approx(0.01**2)
    assert surface.adjacency_factor(0.8, 0.2) == pytest.approx(0.25)
    assert surface.adjacency_factor(0.001, 0.2) == pytest.approx(20.0)
