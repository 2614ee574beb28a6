"""Downward gas transmittance from two-way runs (rtm.gas_paths), on a band model with a known answer."""
from __future__ import annotations

import numpy as np

from sen2cor.rtm.gas_paths import air_mass, downward_gas_transmittance, downward_ozone_transmittance

SUN = np.repeat(np.arange(0.0, 71.0, 10.0), 2)
VIEW = np.tile([0.0, 10.0], 8)
WATER = np.array([0.0, 0.1, 0.2, 0.4, 0.5, 0.55, 0.8, 1.0, 1.1, 1.45, 2.0, 2.5, 2.9, 4.0, 5.0])


def band_model(path, m):
    """Saturated water lines (transmittance exp(-k sqrt(c M))) times other gases exp(-a M^0.8), 3 wavelengths."""
    k = np.array([0.0, 0.3, 1.2])
    a = np.array([0.02, 0.0, 0.05])
    return np.exp(-k * np.sqrt(path)[..., None]) * np.exp(-a * np.asarray(m)[..., None] ** 0.8)


def test_sun_path_of_a_saturated_band_is_recovered():
    m = air_mass(SUN) + air_mass(VIEW)
    two_way = band_model(WATER[None, :] * m[:, None], m[:, None])              # (run, water, wl)
    sza = np.array([0.0, 30.0, 70.0])
    columns = np.array([0.4, 2.0, 5.0])
    down = downward_gas_transmittance(two_way, WATER, SUN, VIEW, columns, sza)
    m_sun = air_mass(sza)
    expected = band_model(columns[None, :] * m_sun[:, None], m_sun[:, None])
    np.testing.assert_allclose(down, expected, rtol=2e-3)
    # an air-mass split of the two-way value would be far off for the saturated wavelength
    naive = two_way[6, 10, 2] ** (m_sun[1] / m[6])                              # sun 30, view 0, 2 cm
    assert abs(naive / expected[1, 1, 2] - 1) > 0.05


def test_ozone_follows_beer_law():
    m = air_mass(SUN) + air_mass(VIEW)
    two_way = np.exp(-np.array([0.01, 0.03])[None, :] * m[:, None])
    down = downward_ozone_transmittance(two_way, SUN, VIEW, np.array([0.0, 60.0]))
    np.testing.assert_allclose(down, np.exp(-np.array([0.01, 0.03])[None, :] * np.array([[1.0], [2.0]])))
