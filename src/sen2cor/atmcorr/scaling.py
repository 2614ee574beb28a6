"""Blue / coastal path-radiance rescaling (Scaling_Disabler, Scaling_Limiter; facts B.8, manual §2.2.3.2.4).

From the DDV pixels the scene path radiance of a band is the measured radiance (with half the
adjacency term) minus the radiance reflected by the assumed DDV reflectance.  The blue factor
``sc = Lp_blue,scene / Lp_blue,LUT`` rescales the LUT path radiance of the bands below red;
the same numbers give the aerosol-type double ratio (``selection.aerosol_double_ratio``).
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

#: Blue reference reflectance: AC_Red_Blue_Refl_Ratio * rho_red + this offset.
BLUE_REFLECTANCE_OFFSET = 0.005


def ddv_blue_reflectance(rho_red_ddv: float, red_blue_refl_ratio: float = 0.5) -> float:
    """Assumed mean DDV blue reflectance: ratio * rho_red + 0.005 (reflectances unitless)."""
    return red_blue_refl_ratio * rho_red_ddv + BLUE_REFLECTANCE_OFFSET


def scene_path_radiance(
    l_ddv: float, l_clear: float, q: float, rho_ddv: float, e0t: float, edift: float, cos_sza: float
) -> float:
    """Scene path radiance (mW cm-2 sr-1 um-1) of a band from the DDV pixels.

    Lp_scene = L* - rho (E0t cos SZA + Edift) / pi, L* = L_ddv + 0.5 q (L_ddv - L_clear).
    """
    l_star = l_ddv + 0.5 * q * (l_ddv - l_clear)
    return float(l_star - rho_ddv * (e0t * cos_sza + edift) / np.pi)


def ddv_fraction_sufficient(
    n_ddv: int, n_valid: int, spr_refl_percentage: float = 0.25, spr_refl_promille: float = 0.3
) -> bool:
    """False when DDV pixels are below AC_Spr_Refl_Percentage % or AC_Spr_Refl_Promille per mille."""
    if n_valid <= 0:
        return False
    fraction = n_ddv / n_valid
    return fraction * 100.0 >= spr_refl_percentage and fraction * 1000.0 >= spr_refl_promille


def blue_scaling_factor(
    lp_blue_scene: float,
    lp_blue_lut: float,
    *,
    disabler: bool = True,
    limiter: bool = True,
    min_sc_blu: float = 0.9,
    max_sc_blu: float = 1.1,
    aerosol_type_ratio_th: float = 0.05,
) -> float:
    """BLUE_PATH_RADIANCE_RESCALING_FACTOR (1.0 = no rescaling).

    1.0 when Scaling_Disabler is TRUE (default), when the scene path radiance is negative, or when
    |sc - 1| <= AC_Aerosol_Type_Ratio_Th; with Scaling_Limiter TRUE sc is clipped to
    [min_sc_blu, max_sc_blu].
    """
    if disabler or not np.isfinite(lp_blue_scene) or lp_blue_scene < 0 or lp_blue_lut <= 0:
        return 1.0
    sc = lp_blue_scene / lp_blue_lut
    if limiter:
        sc = min(max(sc, min_sc_blu), max_sc_blu)
    return float(sc) if abs(sc - 1.0) > aerosol_type_ratio_th else 1.0


def band_scaling_factors(
    wavelengths_um: dict[str, float], sc_blue: float, blue_um: float = 0.490, red_um: float = 0.665
) -> dict[str, float]:
    """Path-radiance factor per band: log-linear in wavelength from ``sc_blue`` at blue to 1 at red.

    Bands at or beyond red keep 1; bands below blue (B01) are extrapolated on the same line.
    """
    out = {}
    for band, wl in wavelengths_um.items():
        if wl >= red_um or sc_blue == 1.0:
            out[band] = 1.0
            continue
        t = (np.log(red_um) - np.log(wl)) / (np.log(red_um) - np.log(blue_um))
        out[band] = float(np.exp(t * np.log(sc_blue)))
    return out
