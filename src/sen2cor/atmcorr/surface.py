"""Surface reflectance retrieval, step 1 and the spherical-albedo correction (facts B.10, B.11).

All radiances in mW cm-2 sr-1 um-1, irradiances in mW cm-2 um-1 (the LUT units):

* ``lp``    path radiance;
* ``e0t``   E0 * T_sun * T_up: direct solar irradiance on a surface normal to the sun, times the
            ground-to-sensor transmittance (Sen2Cor's E0t);
* ``edift`` diffuse sky irradiance on a horizontal surface, times T_up (Sen2Cor's Edift);
* ``spherical_albedo`` S, unitless.

For a flat, uniform Lambertian surface these obey
``L = Lp + rho * (E0t cos(SZA) + Edift) / (pi (1 - S rho))``; the functions below invert it
as Sen2Cor does: a first estimate without the background term (step 1), then adjacency
(``adjacency.py``) and the spherical-albedo factor ``1 - (rho_bg - rho_ref) S``.
"""

from __future__ import annotations

import logging

import numpy as np

log = logging.getLogger(__name__)

#: AC_Topo_Corr_Cutoff default: upper limit of the step-1 reflectance.
TOPO_CORR_CUTOFF = 1.5
#: Background albedo for which Sen2Cor's libRadtran LUTs were computed (facts B.11).
ATM_REFERENCE_ALBEDO = 0.15
#: Lower limits of T_dir in T_sun and q (Sen2Cor: max(Tdir, 0.01)).
MIN_T_DIR = 0.01


def sun_transmittance(t_dir_nadir: np.ndarray, cos_sza: np.ndarray | float) -> np.ndarray:
    """Sen2Cor's T_sun = exp(ln(max(T_dir, 0.01)) / cos SZA): direct transmittance along the sun path.

    ``t_dir_nadir`` is the direct ground-to-sensor transmittance for a nadir view, exp(-tau).
    """
    return np.exp(np.log(np.maximum(t_dir_nadir, MIN_T_DIR)) / cos_sza)


def adjacency_factor(t_up_dir: np.ndarray, t_up_dif: np.ndarray) -> np.ndarray:
    """q = max(T_dif / max(T_dir, 0.01), 0): diffuse / direct ground-to-sensor transmittance."""
    return np.maximum(np.asarray(t_up_dif) / np.maximum(t_up_dir, MIN_T_DIR), 0.0)


def flat_irradiance(e0t: np.ndarray, edift: np.ndarray, cos_sza: np.ndarray | float) -> np.ndarray:
    """Global irradiance on a horizontal surface (times T_up): E0t cos(SZA) + Edift."""
    return e0t * cos_sza + edift


def flat_reflectance(
    radiance: np.ndarray, lp: np.ndarray, e0t: np.ndarray, edift: np.ndarray, cos_sza: np.ndarray | float
) -> np.ndarray:
    """rho = pi (L - Lp) / (E0t cos SZA + Edift): flat, no background term (DDV masking, facts B.7.1)."""
    return (np.pi * (radiance - lp) / flat_irradiance(e0t, edift, cos_sza)).astype(np.float32)


def pixel_irradiance(
    e0t: np.ndarray,
    edift: np.ndarray,
    cos_beta: np.ndarray | float,
    cos_sza: np.ndarray | float,
    sky_view: np.ndarray | float = 1.0,
    t_sun: np.ndarray | float = 0.0,
) -> np.ndarray:
    """Irradiance of a tilted pixel (facts B.10): direct + anisotropic diffuse.

    E = E0t cos(beta) + Edift [b T_sun cos(beta)/cos(SZA) + (1 - b T_sun) V_sky], b = 1 where
    cos(beta) > 0 (sunlit).  On flat terrain (cos beta = cos SZA, V_sky = 1) this is
    E0t cos SZA + Edift whatever T_sun is.
    """
    cos_beta = np.asarray(cos_beta, dtype=np.float64)
    sunlit = (cos_beta > 0).astype(np.float64)
    circumsolar = sunlit * t_sun
    diffuse = edift * (circumsolar * cos_beta / cos_sza + (1.0 - circumsolar) * sky_view)
    return e0t * np.maximum(cos_beta, 0.0) + diffuse


def terrain_start_irradiance(
    e0t: np.ndarray,
    edift: np.ndarray,
    cos_sza: np.ndarray | float,
    sky_view: np.ndarray | float,
    terrain_refl_start: float = 0.1,
) -> np.ndarray:
    """Irradiance reflected by the surrounding terrain, step 1 (facts B.10):
    max((E0t cos SZA + Edift)(1 - V_sky) rho_ter, 0.01 E0t cos SZA), rho_ter = AC_Terrain_Refl_Start."""
    e_flat = flat_irradiance(e0t, edift, cos_sza)
    return np.maximum(e_flat * (1.0 - sky_view) * terrain_refl_start, 0.01 * e0t * cos_sza)


def step1_reflectance(
    radiance: np.ndarray,
    lp: np.ndarray,
    e_pixel: np.ndarray,
    e_terrain: np.ndarray | float = 0.0,
    cutoff: float = TOPO_CORR_CUTOFF,
) -> np.ndarray:
    """rho_1 = min(pi (d^2 L - Lp) / (E_pix + E_ter), AC_Topo_Corr_Cutoff), d^2 = 1 (float32)."""
    rho = np.pi * (radiance - lp) / (e_pixel + e_terrain)
    return np.minimum(rho, cutoff).astype(np.float32)


def spherical_albedo_correction(
    rho: np.ndarray,
    background: np.ndarray,
    spherical_albedo: np.ndarray,
    reference_albedo: float = ATM_REFERENCE_ALBEDO,
) -> np.ndarray:
    """rho * (1 - (rho_bg - rho_ref) S) (facts B.11).

    ``reference_albedo`` is the background albedo the LUT already contains: 0.15 for Sen2Cor's
    libRadtran tables, 0 for tables of a black background (6S).  With a uniform surface,
    ``background`` = the true reflectance and ``reference_albedo`` 0, this inverts the
    forward model exactly.
    """
    factor = np.subtract(background, np.float32(reference_albedo), dtype=np.float32)
    factor *= -np.asarray(spherical_albedo, dtype=np.float32)
    factor += np.float32(1.0)
    factor *= rho
    return factor


def forward_radiance(
    rho: np.ndarray,
    lp: np.ndarray,
    e0t: np.ndarray,
    edift: np.ndarray,
    cos_sza: np.ndarray | float,
    spherical_albedo: np.ndarray,
    background: np.ndarray | None = None,
    q: np.ndarray | float = 0.0,
) -> np.ndarray:
    """TOA radiance of a flat Lambertian pixel of reflectance ``rho`` in a background ``background``.

    6S model with environment: L = Lp + E_flat / pi * (rho + q rho_bg) / ((1 + q)(1 - S rho_bg)),
    E_flat = E0t cos SZA + Edift, q = T_dif / T_dir (up).  Used to build synthetic scenes and
    closed-loop checks (black-background LUT, i.e. reference albedo 0).
    """
    bg = rho if background is None else background
    e_flat = flat_irradiance(e0t, edift, cos_sza)
    return lp + e_flat / np.pi * (rho + q * bg) / ((1.0 + q) * (1.0 - spherical_albedo * bg))
