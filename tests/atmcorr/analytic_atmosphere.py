"""A small analytic atmosphere in the real ``LutTable`` container (kind "6s", black background).

Physics kept simple but consistent: Rayleigh + aerosol optical depth (Sen2Cor's AOT(V) relation,
Angstrom 1.3), direct transmittances exp(-tau/mu), diffuse = a fixed share of the scattered
part, single-scattering path reflectance, spherical albedo ~ tau, and water-vapour absorption
only in B09 (and a little in B8A/B11/B12).  Tests use it so they need no LUT files.
"""

from __future__ import annotations

import numpy as np

from sen2cor.rtm import grid
from sen2cor.rtm.lut import AtmosphericFunctions, LutTable
from sen2cor.atmcorr.settings import WAVELENGTH_UM

BANDS_20 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B10", "B11", "B12")
E0 = {
    "B01": 1884.7,
    "B02": 1959.7,
    "B03": 1823.2,
    "B04": 1512.8,
    "B05": 1425.6,
    "B06": 1291.1,
    "B07": 1175.6,
    "B08": 1041.3,
    "B8A": 953.9,
    "B09": 817.6,
    "B10": 365.4,
    "B11": 247.1,
    "B12": 87.8,
}
#: Water-vapour absorption coefficient per band (per cm^0.6 of sea-level column).
WV_K = {"B09": 0.45, "B8A": 0.005, "B11": 0.01, "B12": 0.02, "B10": 3.0}


def make_table(bands=BANDS_20, season: str = "summer", angstrom: float = 1.3) -> LutTable:
    """The analytic table; ``angstrom``: aerosol spectral slope (rural-like 1.3, maritime-like 0.3)."""
    sza = grid.SZA_DEG
    vza = grid.VZA_DEG
    raa = np.array([0.0, 180.0])
    elev = grid.ELEVATION_KM
    vis = grid.VISIBILITY_KM
    wv = grid.WATER_VAPOUR_CM[season]
    lam = np.array([WAVELENGTH_UM[b] for b in bands])[:, None, None, None, None, None, None]
    mu_s = np.cos(np.deg2rad(sza))[None, :, None, None, None, None, None]
    mu_v = np.cos(np.deg2rad(vza))[None, None, :, None, None, None, None]
    z = elev[None, None, None, None, :, None, None]
    v = vis[None, None, None, None, None, :, None]
    u = wv[None, None, None, None, None, None, :]
    tau_ray = 0.0088 * lam**-4.05 * np.exp(-z / 8.0)
    tau_aer = grid.visibility_to_aot550(v, z) * (lam / 0.55) ** -angstrom
    tau = tau_ray + tau_aer
    frac_wv = np.exp(-z / 2.0)
    k = np.array([WV_K.get(b, 0.0) for b in bands])[:, None, None, None, None, None, None]
    tg = np.exp(-k * (u * frac_wv) ** 0.6 * (1 / mu_s + 1 / mu_v))
    t_down_dir = np.exp(-tau / mu_s)
    t_up_dir = np.exp(-tau / mu_v)
    t_down_dif = 0.6 * (1 - t_down_dir)
    t_up_dif = 0.6 * (1 - t_up_dir)
    path = (0.5 * tau_ray + 0.35 * tau_aer) / (4 * mu_s * mu_v) * 0.8 * np.sqrt(tg)
    s = 0.5 * tau_ray + 0.15 * tau_aer
    shape = (len(bands), sza.size, vza.size, raa.size, elev.size, vis.size, wv.size)
    values = {
        "path_reflectance": path,
        "t_down_dir": t_down_dir,
        "t_down_dif": t_down_dif,
        "t_up_dir": t_up_dir,
        "t_up_dif": t_up_dif,
        "spherical_albedo": s,
        "gas_transmittance": tg,
    }
    values = {name: np.broadcast_to(a, shape).astype(np.float64) for name, a in values.items()}
    return LutTable.from_native(
        "6s",
        values,
        bands=tuple(bands),
        sza_deg=sza,
        vza_deg=vza,
        raa_deg=raa,
        elevation_km=elev,
        visibility_km=vis,
        water_vapour_cm=wv,
        solar_irradiance_w_m2_um=np.array([E0[b] for b in bands]),
        description={"source": "analytic test atmosphere"},
    )


def toa_reflectance(
    f: AtmosphericFunctions, index: int, rho: np.ndarray, background: np.ndarray | None = None
) -> np.ndarray:
    """6S forward model with environment for band ``index`` of ``f`` (scalar geometry query)."""
    bg = rho if background is None else background
    td = float(f.t_down_dir[index] + f.t_down_dif[index])
    tud, tuf = float(f.t_up_dir[index]), float(f.t_up_dif[index])
    s = float(f.spherical_albedo[index])
    return (float(f.path_reflectance[index]) + td * (tud * rho + tuf * bg) / (1 - s * bg)).astype(np.float32)
