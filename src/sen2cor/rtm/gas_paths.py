"""Downward (sun-path) gas transmittance spectra from the two-way 6S gas runs of ``luts/sixs_gas.npz``.

6S prints only the two-way gas transmittance per 2.5 nm step. In absorption bands it is not the product of
the one-way values (B09: two-way 0.275, downward 0.389, upward 0.416 at 30 deg sun zenith and 2 cm), so
splitting a band's two-way value by air masses puts the global irradiance of B09 10-30 % off. The spectra
are split instead with 6S's own scaling: the water vapour profile is the US62 shape scaled to the column
``c``, so its transmittance along a path of air mass ``M`` depends on ``c M`` only,

    t2(c, M) = W(c M) * F(M),   F = the other gases (c = 0 runs),

and the downward value along the sun path is ``W(c m_s) F(m_s)``: ``W`` is interpolated (log-log in the
absorber path ``c M``) among the runs' 15 columns x 16 air masses (M = 2.0 ... 3.9), ``F`` is extended below
M = 2 by a fitted power law ``ln F = -a M^b``, and ozone (a continuum) by Beer's law.
"""
from __future__ import annotations

import numpy as np

#: Transmittances above this are treated as no absorption in the power-law fit of the other gases.
_CLEAR = 0.9995


def air_mass(zenith_deg: np.ndarray) -> np.ndarray:
    """Plane-parallel air mass 1 / cos(zenith)."""
    return 1.0 / np.cos(np.deg2rad(np.asarray(zenith_deg, dtype=np.float64)))


def _other_gases_down(f_two_way: np.ndarray, m_two_way: np.ndarray, m_sun: np.ndarray) -> np.ndarray:
    """F(m_sun) from F(M) at the runs' air masses: ln F = -a M^b fitted per wavelength (b in [0.5, 1]).

    ``f_two_way`` (nrun, nwl), ``m_two_way`` (nrun,), ``m_sun`` (nsza,) -> (nsza, nwl).
    """
    absorbing = np.all(f_two_way < _CLEAR, axis=0)
    out = np.ones((m_sun.size, f_two_way.shape[1]))
    if not absorbing.any():
        return out
    y = np.log(-np.log(np.clip(f_two_way[:, absorbing], 1e-6, _CLEAR)))        # ln a + b ln M
    x = np.log(m_two_way)
    slope, intercept = np.polyfit(x, y, 1)
    b = np.clip(slope, 0.5, 1.0)
    ln_a = np.mean(y - b[None, :] * x[:, None], axis=0)
    out[:, absorbing] = np.exp(-np.exp(ln_a)[None, :] * m_sun[:, None] ** b[None, :])
    return out


def downward_gas_transmittance(gas_two_way: np.ndarray, water_runs_cm: np.ndarray, sun_deg: np.ndarray,
                               view_deg: np.ndarray, columns_cm: np.ndarray, sza_deg: np.ndarray) -> np.ndarray:
    """Sun-path transmittance of water vapour and the other gases (no ozone), per wavelength.

    ``gas_two_way`` (nrun geometries, nwater, nwl): two-way spectra at one elevation for the run
    geometries (``sun_deg``, ``view_deg``) and water columns ``water_runs_cm`` (one of them 0).
    Returns (nsza, ncolumns, nwl) for the sun zeniths ``sza_deg`` and the LUT columns ``columns_cm``.
    """
    m_run = air_mass(sun_deg) + air_mass(view_deg)
    m_sun = air_mass(sza_deg)
    dry = int(np.flatnonzero(np.asarray(water_runs_cm) == 0)[0])
    t2 = np.clip(gas_two_way.astype(np.float64), 1e-6, 1.0)
    others = np.clip(t2[:, dry], 1e-6, 1.0)                                     # (nrun, nwl)
    wet = [k for k in range(len(water_runs_cm)) if k != dry]
    path = (np.asarray(water_runs_cm, dtype=np.float64)[wet][None, :] * m_run[:, None]).ravel()
    ln_w = np.log(np.minimum(t2[:, wet] / others[:, None, :], 1.0)).reshape(path.size, -1)
    order = np.argsort(path, kind="stable")
    ln_path, ln_w = np.log(path[order]), ln_w[order]
    target = np.log(np.outer(m_sun, np.asarray(columns_cm, dtype=np.float64)).ravel())
    # linear in ln(path) between the sorted run paths, column by column of wavelengths
    pos = np.interp(target, ln_path, np.arange(ln_path.size, dtype=np.float64))
    i0 = np.minimum(pos.astype(np.intp), ln_path.size - 2)
    frac = (pos - i0)[:, None]
    water = np.exp(ln_w[i0] * (1.0 - frac) + ln_w[i0 + 1] * frac)                # (nsza * ncol, nwl)
    water = water.reshape(m_sun.size, len(columns_cm), -1)
    return water * _other_gases_down(others, m_run, m_sun)[:, None, :]


def downward_ozone_transmittance(ozone_two_way: np.ndarray, sun_deg: np.ndarray, view_deg: np.ndarray,
                                 sza_deg: np.ndarray) -> np.ndarray:
    """Ozone along the sun path by Beer's law from the two-way spectra (nrun, nwl) -> (nsza, nwl)."""
    m_run = air_mass(sun_deg) + air_mass(view_deg)
    k = -np.log(np.clip(ozone_two_way.astype(np.float64), 1e-6, 1.0)) / m_run[:, None]
    return np.exp(-np.mean(k, axis=0)[None, :] * air_mass(sza_deg)[:, None])
