"""Atmospheric optics used by the forward model, behind a small interface.

``Atmosphere.optics(band, sun_zenith_deg, view_zenith_deg, relative_azimuth_deg,
elevation_km, aot550, wv_cm)`` returns an :class:`AtmosphericOptics` (arrays broadcast
together). Two sources implement it:

* :class:`AnalyticAtmosphere` -- the documented fallback ("analytic-v1"): Rayleigh optical
  depth (Bodhaine-type formula, scaled by surface pressure), an Angstrom aerosol with a
  two-term Henyey-Greenstein phase function, delta-scaled transmittances, and band gas
  absorption fitted to 6S sanity numbers (rtm_6s_facts.md). Accurate to ~20-50 % in path
  reflectance, enough for testing, NOT for validating an inversion to better than that.
* a LUT-backed atmosphere (sen2cor.rtm.lut) when packaged tables exist (see
  :func:`default_atmosphere`).

The forward model only depends on this interface, never on the atmospheric-correction code.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sen2cor.bands import BAND_IDS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AtmosphericOptics:
    """Band-integrated atmospheric quantities (dimensionless)."""

    path_reflectance: np.ndarray    # intrinsic atmospheric reflectance incl. gas absorption
    t_down_dir: np.ndarray          # direct (beam) downward transmittance
    t_down_dif: np.ndarray          # diffuse downward transmittance
    t_up_dir: np.ndarray
    t_up_dif: np.ndarray
    spherical_albedo: np.ndarray
    gas_transmittance: np.ndarray   # two-way gas transmittance


class Atmosphere(Protocol):
    name: str

    def optics(self, band: str, sun_zenith_deg, view_zenith_deg, relative_azimuth_deg, elevation_km,
               aot550, wv_cm) -> AtmosphericOptics: ...


# Band gas-absorption coefficients (fitted to 6S numbers in rtm_6s_facts.md; B05, B08 to Sen2Cor 2.8 LUTs):
# water vapour a_w (applied to (wv*m)**0.6), ozone a_o
# (per cm-atm * m), well-mixed gases a_m (per airmass, scaled by pressure).
_GAS = {
    "B01": (0.000, 0.003, 0.000), "B02": (0.000, 0.020, 0.000), "B03": (0.002, 0.100, 0.000),
    "B04": (0.0045, 0.050, 0.000), "B05": (0.035, 0.020, 0.002), "B06": (0.005, 0.008, 0.003),
    "B07": (0.003, 0.005, 0.002), "B08": (0.039, 0.003, 0.000), "B8A": (0.008, 0.002, 0.000),
    "B09": (0.571, 0.000, 0.000), "B10": (3.000, 0.000, 0.010), "B11": (0.006, 0.000, 0.012),
    "B12": (0.0125, 0.000, 0.0274),
}
AEROSOLS = {
    # single-scattering albedo, Angstrom exponent, HG asymmetry of the forward lobe
    "rural": (0.93, 1.3, 0.72),
    "maritime": (0.98, 0.5, 0.75),
}
SCALE_HEIGHT_KM = 8.43


def _hg(g: float, cos_theta: np.ndarray) -> np.ndarray:
    return (1 - g * g) / (1 + g * g - 2 * g * cos_theta) ** 1.5


@dataclass(frozen=True)
class AnalyticAtmosphere:
    """Analytic fallback atmosphere (see module docstring). ``ozone_cm_atm``: total ozone column."""

    band_centres_nm: dict[str, float]
    aerosol: str = "rural"
    ozone_cm_atm: float = 0.33
    name: str = "analytic-v1"

    def optics(self, band, sun_zenith_deg, view_zenith_deg, relative_azimuth_deg, elevation_km,
               aot550, wv_cm) -> AtmosphericOptics:
        lam = self.band_centres_nm[band] / 1000.0
        omega, alpha, g = AEROSOLS[self.aerosol]
        mu_s = np.cos(np.deg2rad(sun_zenith_deg))
        mu_v = np.cos(np.deg2rad(view_zenith_deg))
        pressure = np.exp(-np.asarray(elevation_km, dtype=np.float32) / np.float32(SCALE_HEIGHT_KM))
        tau_r = 0.008569 * lam ** -4 * (1 + 0.0113 * lam ** -2 + 0.00013 * lam ** -4) * pressure
        tau_a = np.asarray(aot550, dtype=np.float32) * (lam / 0.55) ** -alpha
        # scattering angle; relative azimuth 0 = sun and sensor on the same side (backscatter)
        cos_theta = -(mu_s * mu_v) + np.sqrt(1 - mu_s ** 2) * np.sqrt(1 - mu_v ** 2) * np.cos(
            np.deg2rad(relative_azimuth_deg))
        p_r = 0.75 * (1 + cos_theta ** 2)
        p_a = 0.96 * _hg(g, cos_theta) + 0.04 * _hg(-0.6, cos_theta)
        tau = tau_r + tau_a
        m = 1 / mu_s + 1 / mu_v
        mt = np.maximum(m * tau, 1e-9)
        multiple = (1 - np.exp(-mt)) / mt * (1 + mt / 2)       # ~1 for thin atmospheres, bounded for thick
        path_r = tau_r * p_r / (4 * mu_s * mu_v) * multiple
        path_a = omega * tau_a * p_a / (4 * mu_s * mu_v) * multiple
        tau_eff = 0.5 * tau_r + (1 - omega * (1 + g) / 2) * tau_a
        t_down = np.exp(-tau_eff / mu_s)
        t_up = np.exp(-tau_eff / mu_v)
        t_down_dir = np.exp(-tau / mu_s)
        t_up_dir = np.exp(-tau / mu_v)
        s_alb = 0.92 * tau_r * np.exp(-tau_r) + 0.9 * omega * (1 - g) * tau_a
        a_w, a_o, a_m = _GAS[band]
        wv = np.maximum(np.asarray(wv_cm, dtype=np.float32), 0.0)
        dry = a_o * self.ozone_cm_atm * m + a_m * m * pressure
        tg = np.exp(-(a_w * (wv * m) ** 0.6 + dry))
        # 6S-like coupling: Rayleigh path above the water vapour, aerosol path sees half of it
        path = path_r * np.exp(-dry) + path_a * np.exp(-(a_w * (0.5 * wv * m) ** 0.6 + dry))
        return AtmosphericOptics(
            path_reflectance=path,
            t_down_dir=t_down_dir, t_down_dif=np.maximum(t_down - t_down_dir, 0.0),
            t_up_dir=t_up_dir, t_up_dif=np.maximum(t_up - t_up_dir, 0.0),
            spherical_albedo=s_alb, gas_transmittance=tg,
        )


assert set(_GAS) == set(BAND_IDS)
