"""Band integration of the 6S spectral tables with a product's SRFs, with an on-disk cache.

Weights are SRF x solar irradiance (6S's spectrum) on the 2.5 nm grid, as 6S integrates a band.
Gas absorption and scattering are recombined at every wavelength before integration (see
``spectral_tables``), so absorption bands such as B09 keep the correct two-way coupling.
"""
from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Mapping

import numpy as np

from sen2cor.rtm import grid
from sen2cor.rtm.gas_paths import downward_gas_transmittance, downward_ozone_transmittance
from sen2cor.rtm.lut import NATIVE_6S, LutTable
from sen2cor.rtm.spectral_tables import GAS_FILE, SCAT_FILE
from sen2cor.rtm.srf import BandResponse, srf_matrix
from sen2cor.errors import LutError

log = logging.getLogger(__name__)

#: Changes whenever the integration changes what a cached table holds (2: downward gas transmittance).
CACHE_VERSION = "band-tables-2"


def default_cache_dir() -> Path:
    """``$SEN2COR_LUT_CACHE_DIR`` or ``~/.cache/sen2cor/luts``."""
    env = os.environ.get("SEN2COR_LUT_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "sen2cor" / "luts"


def _open(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path) as npz:
            return {k: npz[k] for k in npz.files}
    except OSError as exc:
        raise LutError(f"cannot read spectral table {path}: {exc} "
                       "(generate with scripts/make_luts.py)") from exc


def _index(values: np.ndarray, wanted: float, what: str) -> int:
    hits = np.flatnonzero(np.isclose(values, wanted, atol=1e-3))
    if hits.size == 0:
        raise LutError(f"{what} {wanted} not in the spectral tables (have {values.tolist()})")
    return int(hits[0])


def integrate_bands(lut_dir: Path, srfs: Mapping[str, BandResponse], bands: tuple[str, ...], season: str,
                    aerosol: str, ozone_du: float) -> dict[str, np.ndarray]:
    """Band values on the full grid: ``{quantity: (band, sza, vza, raa, z, vis, wv)}`` + axes."""
    scat = _open(lut_dir / SCAT_FILE.format(aerosol=aerosol))
    gas = _open(lut_dir / GAS_FILE)
    wl = scat["wavelength_um"].astype(np.float64)
    z_scat = scat["elevation_km"]
    zi = [_index(gas["elevation_km"], z, "elevation_km") for z in z_scat]
    weights = srf_matrix(srfs, bands, wl) * gas["solar_irradiance_w_m2_um"][None, :]
    weights /= weights.sum(axis=1, keepdims=True)
    srf_grid = srf_matrix(srfs, bands, wl)
    solar = (srf_grid * gas["solar_irradiance_w_m2_um"]).sum(1) / srf_grid.sum(1)

    letter = grid.nearest_ozone_letter(ozone_du, season)
    io3 = _index(gas["ozone_du"], grid.OZONE_DU[season][letter], "ozone_du")
    wv_levels = grid.WATER_VAPOUR_CM[season]
    wv_runs = gas["water_vapour_cm"]
    g_wv = gas["gas_transmittance_wv"][:, zi].astype(np.float64)                 # sg, z, wv run, wl
    o3 = gas["ozone_transmittance"][:, io3].astype(np.float64)[:, None, None]   # sg, 1, 1, wl
    tg_full = g_wv[:, :, [_index(wv_runs, w, "water vapour") for w in wv_levels]] * o3
    tg_half = g_wv[:, :, [_index(wv_runs, round(w / 2, 3), "water vapour") for w in wv_levels]] * o3
    tg_none = g_wv[:, :, _index(wv_runs, 0.0, "water vapour")] * o3[:, :, 0]      # sg, z, wl
    sun_run, view_run = gas["gas_geometry_deg"][:, 0], gas["gas_geometry_deg"][:, 1]
    o3_down = downward_ozone_transmittance(gas["ozone_transmittance"][:, io3], sun_run, view_run, grid.SZA_DEG)
    tg_down_spec = np.stack([downward_gas_transmittance(g_wv[:, k], wv_runs, sun_run, view_run, wv_levels,
                                                        grid.SZA_DEG) for k in range(len(zi))], axis=1)
    tg_down_spec *= o3_down[:, None, None, :]                                    # sza, z, wv level, wl

    geoms = [tuple(g) for g in scat["geometry_deg"].tolist()]
    gas_geoms = [tuple(g) for g in gas["gas_geometry_deg"].tolist()]
    sg_of_g = np.array([gas_geoms.index((s, v)) for s, v, _ in geoms])
    rho_mix = scat["path_reflectance"].astype(np.float64)                       # g, z, vis, wl
    rho_ray = gas["rayleigh_path_reflectance"][:, zi].astype(np.float64)         # g, z, wl
    aot = scat["aot550"].astype(np.float64)                                      # z, vis
    tau = gas["tau_rayleigh"][zi][:, None, :] + aot[:, :, None] * scat["tau_aerosol_per_aot550"]
    mu_s = np.cos(np.deg2rad(grid.SZA_DEG))[:, None, None, None]
    mu_v = np.cos(np.deg2rad(grid.VZA_DEG))[:, None, None, None]

    nb, nz, nv, nk = len(bands), len(z_scat), grid.VISIBILITY_KM.size, wv_levels.size
    path = np.empty((nb, len(geoms), nz, nv, nk))
    tg = np.empty((nb, len(gas_geoms), nz, nk))
    tg_down = np.empty((nb, grid.SZA_DEG.size, nz, nk))
    t_down = np.empty((nb, 2, grid.SZA_DEG.size, nz, nv))
    t_up = np.empty((nb, 2, grid.VZA_DEG.size, nz, nv))
    sph = np.empty((nb, nz, nv))
    for b in range(nb):
        sl = slice(np.flatnonzero(weights[b])[0], np.flatnonzero(weights[b])[-1] + 1)
        w = weights[b, sl]
        aer = rho_mix[..., sl] - rho_ray[:, :, None, sl]
        path[b] = np.einsum("gzvl,gzkl,l->gzvk", aer, tg_half[sg_of_g][..., sl], w, optimize=True)
        rayleigh = np.einsum("gzl,gzl,l->gz", rho_ray[..., sl], tg_none[sg_of_g][..., sl], w)
        path[b] += rayleigh[:, :, None, None]
        tg[b] = np.einsum("szkl,l->szk", tg_full[..., sl], w)
        tg_down[b] = np.einsum("szkl,l->szk", tg_down_spec[..., sl], w)
        dir_down = np.exp(-tau[None, ..., sl] / mu_s)
        t_down[b, 0] = dir_down @ w
        t_down[b, 1] = scat["t_down_total"][..., sl] @ w - t_down[b, 0]
        dir_up = np.exp(-tau[None, ..., sl] / mu_v)
        t_up[b, 0] = dir_up @ w
        t_up[b, 1] = scat["t_up_total"][..., sl] @ w - t_up[b, 0]
        sph[b] = scat["spherical_albedo"][..., sl] @ w

    g_index = {g: i for i, g in enumerate(geoms)}
    gidx = np.array([[[g_index[(s, v, r if (s > 0 and v > 0) else 0.0)] for r in grid.RAA_DEG]
                      for v in grid.VZA_DEG] for s in grid.SZA_DEG])                # sza, vza, raa
    sgidx = np.array([[gas_geoms.index((s, v)) for v in grid.VZA_DEG] for s in grid.SZA_DEG])
    full = (nb, grid.SZA_DEG.size, grid.VZA_DEG.size, grid.RAA_DEG.size, nz, nv, nk)
    out = {
        "path_reflectance": path[:, gidx],
        "gas_transmittance": tg[:, sgidx][:, :, :, None, :, None, :],
        "gas_transmittance_down": tg_down[:, :, None, None, :, None, :],
        "t_down_dir": t_down[:, 0][:, :, None, None, :, :, None],
        "t_down_dif": t_down[:, 1][:, :, None, None, :, :, None],
        "t_up_dir": t_up[:, 0][:, None, :, None, :, :, None],
        "t_up_dif": t_up[:, 1][:, None, :, None, :, :, None],
        "spherical_albedo": sph[:, None, None, None, :, :, None],
    }
    out = {k: np.ascontiguousarray(np.broadcast_to(v, full), dtype=np.float32) for k, v in out.items()}
    out["elevation_km"] = z_scat.astype(np.float64)
    out["water_vapour_cm"] = wv_levels.astype(np.float64)
    out["solar_irradiance_w_m2_um"] = solar
    return out


def cache_key(lut_dir: Path, srfs: Mapping[str, BandResponse], bands: tuple[str, ...], season: str,
              aerosol: str, ozone_du: float) -> str:
    """Digest of the spectral files, SRFs and selection (changes whenever any input changes)."""
    h = hashlib.sha256(CACHE_VERSION.encode())
    for name in (SCAT_FILE.format(aerosol=aerosol), GAS_FILE):
        h.update((lut_dir / name).read_bytes())
    for b in bands:
        h.update(b.encode())
        h.update(np.asarray(srfs[b].wavelength_nm, np.float64).tobytes())
        h.update(np.asarray(srfs[b].response, np.float64).tobytes())
    h.update(f"{season}/{aerosol}/{grid.nearest_ozone_letter(ozone_du, season)}".encode())
    return h.hexdigest()[:24]


def band_lut(lut_dir: Path, srfs: Mapping[str, BandResponse], bands: tuple[str, ...], season: str,
             aerosol: str,
             ozone_du: float, cache_dir: Path | None = None, description: dict | None = None) -> LutTable:
    """Band-integrated :class:`LutTable`, read from / written to the cache directory."""
    key = cache_key(lut_dir, srfs, bands, season, aerosol, ozone_du)
    cache = (cache_dir or default_cache_dir()) / f"band_{key}.npz"
    data = None
    if cache.exists():
        try:
            with np.load(cache) as npz:
                data = {k: npz[k] for k in npz.files}
        except (OSError, ValueError):
            log.warning("ignoring unreadable LUT cache %s", cache)
    if data is None:
        data = integrate_bands(lut_dir, srfs, bands, season, aerosol, ozone_du)
        try:
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".tmp{os.getpid()}.npz")
            np.savez(tmp, **data)
            os.replace(tmp, cache)
        except OSError as exc:
            log.warning("cannot write LUT cache %s: %s", cache, exc)
    return LutTable.from_native(
                    "6s", {q: data[q] for q in NATIVE_6S}, bands=tuple(bands), sza_deg=grid.SZA_DEG,
                    vza_deg=grid.VZA_DEG, raa_deg=grid.RAA_DEG, elevation_km=data["elevation_km"],
                    visibility_km=grid.VISIBILITY_KM, water_vapour_cm=data["water_vapour_cm"],
                    solar_irradiance_w_m2_um=data["solar_irradiance_w_m2_um"].astype(np.float64),
                    description=dict(description or {}, cache=str(cache)))
