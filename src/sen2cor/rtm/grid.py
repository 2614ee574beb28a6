"""Sen2Cor's LUT parameter space (manual Table 2-2, algorithm facts B.2-B.4) and the
visibility <-> AOT550 relation used by Sen2Cor (facts B.3)."""
from __future__ import annotations

import numpy as np

SZA_DEG = np.arange(0.0, 71.0, 10.0)                    # 0 ... 70
VZA_DEG = np.array([0.0, 10.0])
#: Relative azimuth |SAA - VAA| folded into [0, 180] (Sen2Cor / ATCOR convention).
RAA_DEG = np.arange(0.0, 181.0, 30.0)
ELEVATION_KM = np.arange(0.0, 2.51, 0.5)                # 0 ... 2.5
VISIBILITY_KM = np.array([5.0, 7.0, 10.0, 15.0, 23.0, 40.0, 80.0, 120.0])

#: Sea-level water-vapour columns (cm = g cm-2) of the LUT files, per season.
WATER_VAPOUR_CM = {
    "summer": np.array([0.4, 1.0, 2.0, 2.9, 4.0, 5.0]),
    "winter": np.array([0.2, 0.4, 0.8, 1.1]),
}
#: Main-file water vapour (wv20 summer, wv04 winter).
DEFAULT_WATER_VAPOUR_CM = {"summer": 2.0, "winter": 0.4}

#: Ozone letter -> column (Dobson units) of Sen2Cor's LUT files (facts B.4).
OZONE_DU = {
    "summer": {"f": 250, "g": 290, "h": 331, "i": 370, "j": 410, "k": 450},
    "winter": {"t": 250, "u": 290, "v": 330, "w": 377, "x": 420, "y": 460},
}
DEFAULT_OZONE_LETTER = {"summer": "h", "winter": "w"}

AEROSOLS = ("rura", "mari")
SEASONS = ("summer", "winter")

# Visibility -> AOT550: ln AOT = a(z) + b(z) ln V, a and b linear over the 20 m elevation
# index between the nodes 0, 36, 126 (0, 0.72, 2.52 km; facts B.3).
_AB_INDEX = np.array([0.0, 36.0, 126.0])
_A = np.array([1.54641, 1.40593, 0.926640])
_B = np.array([-0.854022, -0.844382, -0.805663])
ELEVATION_STEP_KM = 0.02


def _linear_extrap(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Piecewise-linear interpolation, extrapolating with the end segments."""
    y = np.interp(x, xp, fp)
    hi = x > xp[-1]
    slope = (fp[-1] - fp[-2]) / (xp[-1] - xp[-2])
    return np.where(hi, fp[-1] + (x - xp[-1]) * slope, y)


def aot_coefficients(elevation_km: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """(a, b) of ln AOT550 = a + b ln V at ``elevation_km`` (linear in the 20 m index)."""
    index = np.asarray(elevation_km, dtype=np.float64) / ELEVATION_STEP_KM
    return _linear_extrap(index, _AB_INDEX, _A), _linear_extrap(index, _AB_INDEX, _B)


def visibility_to_aot550(visibility_km: np.ndarray | float,
                         elevation_km: np.ndarray | float = 0.0) -> np.ndarray:
    """AOT at 550 nm for a visibility (km) at a ground elevation (km), Sen2Cor's relation."""
    a, b = aot_coefficients(elevation_km)
    return np.exp(a + b * np.log(np.asarray(visibility_km, dtype=np.float64)))


def aot550_to_visibility(aot550: np.ndarray | float, elevation_km: np.ndarray | float = 0.0) -> np.ndarray:
    """Inverse of :func:`visibility_to_aot550` (km)."""
    a, b = aot_coefficients(elevation_km)
    return np.exp((np.log(np.asarray(aot550, dtype=np.float64)) - a) / b)


def nearest_ozone_letter(ozone_du: float, season: str) -> str:
    """Letter of the LUT ozone level closest to ``ozone_du`` (manual §2.2.3.2.1)."""
    levels = OZONE_DU[season]
    return min(levels, key=lambda letter: abs(levels[letter] - ozone_du))


def du_to_cm_atm(ozone_du: float) -> float:
    """Dobson units -> cm-atm (1000 DU = 1 cm-atm)."""
    return ozone_du / 1000.0
