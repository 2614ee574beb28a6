"""The project's 6S tables corrected towards Sen2Cor's libRadtran tables, for spacecraft without Sen2Cor tables.

Per band, quantity (``QUANTITIES``: Sen2Cor's own Lp, E0t, Edift, Tdir, Tdif, S) and selection (season,
aerosol), the log-ratio ln(Sen2Cor / 6S) at the LUT nodes is modelled, separately at every (elevation,
visibility) node of the grid, by a regression on ``FEATURES`` of the geometry and the water vapour:

    ln(Sen2Cor / 6S) = sum_k c_k(band, z, V) phi_k(sza, vza, raa, u)

(the visibility axis carries node-to-node structure of Sen2Cor's aerosol that no smooth function of AOT
follows; geometry and water vapour are smooth). The coefficients are fitted on S2A and S2B together
(``scripts/fit_lut_correction.py`` -> ``luts/sixs_correction.npz``) and applied to the 6S tables of the
product's own spectral responses: the corrected table holds exp(model) x 6S in Sen2Cor's quantities, and
the down-welling transmittances derived from them as for Sen2Cor's tables. Cross-validation and errors:
docs/lut_validation.md.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np

from sen2cor.config.resources import luts_dir
from sen2cor.errors import LutError
from sen2cor.rtm.lut import LutTable

log = logging.getLogger(__name__)

COEFFICIENT_FILE = "sixs_correction.npz"
QUANTITIES = ("path_radiance", "e0t", "edift", "t_up_dir", "t_up_dif", "spherical_albedo")
#: Regressors per (elevation, visibility) node: m_s = 1/cos(sza), m_v = 1/cos(vza), cos of the scattering
#: angle (relative azimuth 0 = backscatter), u = sea-level water vapour (cm).
FEATURES = ("1", "m_s", "m_v", "cos_scat", "cos_scat^2", "m_s^2", "m_s*cos_scat", "sqrt_u", "sqrt_u*m_s",
            "sqrt_u*m_v", "u", "u*m_s", "u*m_v")
#: The features each quantity depends on (Sen2Cor's T_up has no sun, its S no geometry, E0t / Edift no azimuth).
QUANTITY_FEATURES = {
    "path_radiance": FEATURES,
    "e0t": ("1", "m_s", "m_v", "m_s^2", "sqrt_u", "sqrt_u*m_s", "sqrt_u*m_v", "u", "u*m_s", "u*m_v"),
    "edift": ("1", "m_s", "m_v", "m_s^2", "sqrt_u", "sqrt_u*m_s", "sqrt_u*m_v", "u", "u*m_s", "u*m_v"),
    "t_up_dir": ("1", "m_v", "sqrt_u", "sqrt_u*m_v", "u", "u*m_v"),
    "t_up_dif": ("1", "m_v", "sqrt_u", "sqrt_u*m_v", "u", "u*m_v"),
    "spherical_albedo": ("1", "sqrt_u", "u"),
}
#: Bands left uncorrected: B10 (1375 nm) transmits almost nothing below cirrus; Sen2Cor delivers no B10
#: surface reflectance and the ratios there are noise.
UNCORRECTED_BANDS = ("B10",)


def features(sza_deg, vza_deg, raa_deg, water_vapour_cm) -> np.ndarray:
    """``FEATURES`` at broadcastable queries -> (*shape, nfeatures) float64."""
    mu_s, mu_v = np.cos(np.deg2rad(sza_deg)), np.cos(np.deg2rad(vza_deg))
    sin_prod = np.sin(np.deg2rad(sza_deg)) * np.sin(np.deg2rad(vza_deg))
    cos_scat = -(mu_s * mu_v + sin_prod * np.cos(np.deg2rad(raa_deg)))
    m_s, m_v = 1.0 / mu_s, 1.0 / mu_v
    u = np.asarray(water_vapour_cm, dtype=np.float64)
    r = np.sqrt(u)
    columns = (np.ones_like(m_s), m_s, m_v, cos_scat, cos_scat ** 2, m_s ** 2, m_s * cos_scat, r, r * m_s,
               r * m_v, u, u * m_s, u * m_v)
    return np.stack(np.broadcast_arrays(*columns), axis=-1).astype(np.float64)


def grid_features(table: LutTable, quantity: str | None = None) -> np.ndarray:
    """Features (of ``quantity``, default all) at every node of ``table``: (nsza, nvza, nraa, nwv, nfeatures)."""
    s, v, r, u = np.meshgrid(table.sza_deg, table.vza_deg, table.raa_deg, table.water_vapour_cm, indexing="ij")
    out = features(s, v, r, u)
    if quantity is None:
        return out
    return out[..., [FEATURES.index(f) for f in QUANTITY_FEATURES[quantity]]]


def sen2cor_quantities(table: LutTable, e0_w_m2_um: np.ndarray) -> dict[str, np.ndarray]:
    """``QUANTITIES`` at the nodes, radiances for the solar irradiance ``e0_w_m2_um`` (nbands,)
    (6S tables scale with it, Sen2Cor's are what they are): (band, sza, vza, raa, z, vis, wv) float64."""
    scale = np.asarray(e0_w_m2_um, dtype=np.float64) / table.solar_irradiance_w_m2_um
    scale = scale.reshape(-1, 1, 1, 1, 1, 1, 1)
    radiances = ("path_radiance", "e0t", "edift")
    return {q: table.values[q].astype(np.float64) * (scale if table.kind == "6s" and q in radiances else 1.0)
            for q in QUANTITIES}


def log_ratio(reference: LutTable, sixs: LutTable, e0_w_m2_um: np.ndarray) -> dict[str, np.ndarray]:
    """ln(reference / 6S) per quantity for the bands of ``reference`` (NaN where either is not positive)."""
    sixs = sixs.select_bands(reference.bands)
    a, b = sen2cor_quantities(reference, e0_w_m2_um), sen2cor_quantities(sixs, e0_w_m2_um)
    out = {}
    for q in QUANTITIES:
        ok = (a[q] > 0) & (b[q] > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[q] = np.where(ok, np.log(np.where(ok, a[q], 1.0) / np.where(ok, b[q], 1.0)), np.nan)
    return out


def fit(log_ratios: list[np.ndarray], feats: np.ndarray, masks: list[np.ndarray] | None = None,
        ridge: float = 1e-6) -> np.ndarray:
    """Coefficients (band, z, vis, nfeatures) of one quantity from one or more log-ratio grids
    (band, sza, vza, raa, z, vis, wv), pooled; ``masks`` (same shapes, True = use) select nodes."""
    nb, nz, nv = log_ratios[0].shape[0], log_ratios[0].shape[4], log_ratios[0].shape[5]
    k = feats.shape[-1]
    x_all = np.broadcast_to(feats[:, :, :, None, None, :, :],
                            feats.shape[:3] + (nz, nv) + feats.shape[3:]).reshape(-1, nz, nv, feats.shape[3], k)
    coef = np.zeros((nb, nz, nv, k))
    scale = np.maximum(np.abs(feats.reshape(-1, k)).max(axis=0), 1e-12)
    for band in range(nb):
        for iz in range(nz):
            for iv in range(nv):
                xs, ys = [], []
                for i, y in enumerate(log_ratios):
                    yy = y[band][..., iz, iv, :].reshape(-1)
                    ok = np.isfinite(yy)
                    if masks is not None:
                        ok &= masks[i][band][..., iz, iv, :].reshape(-1)
                    xs.append(x_all[:, iz, iv].reshape(-1, k)[ok])
                    ys.append(yy[ok])
                x, yv = np.concatenate(xs) / scale, np.concatenate(ys)
                if yv.size == 0:
                    continue
                gram = x.T @ x + ridge * yv.size * np.eye(k)
                coef[band, iz, iv] = np.linalg.solve(gram, x.T @ yv) / scale
    return coef


def predict(coef: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """Modelled log-ratio on the grid: (band, sza, vza, raa, z, vis, wv) from (band, z, vis, k) coefficients."""
    out = np.einsum("bzvk,srawk->bsrazvw", coef, feats, optimize=True)     # b, s, r(vza), a(raa), z, v, w
    return out


def apply(table: LutTable, coefficients: dict[str, np.ndarray], bands: tuple[str, ...],
          description: dict | None = None) -> LutTable:
    """The 6S ``table`` with every quantity multiplied by exp(model); ``coefficients[q]`` are
    (band of ``bands``, z, vis, k). Down-welling transmittances follow from E0t, Edift and T_up."""
    missing = [b for b in table.bands if b not in bands and b not in UNCORRECTED_BANDS]
    if missing:
        raise LutError(f"no correction coefficients for bands {missing}")
    if table.elevation_km.size != next(iter(coefficients.values())).shape[1]:
        raise LutError(f"correction fitted on {next(iter(coefficients.values())).shape[1]} elevations, table has "
                       f"{table.elevation_km.size}")
    index = [bands.index(b) if b in bands else 0 for b in table.bands]
    keep = np.array([b not in UNCORRECTED_BANDS for b in table.bands]).reshape(-1, 1, 1, 1, 1, 1, 1)
    factor = {q: np.where(keep, np.exp(predict(coefficients[q][index], grid_features(table, q))), 1.0)
              for q in QUANTITIES}
    v = {k: val.astype(np.float64) for k, val in table.values.items()}
    lp = v["path_radiance"] * factor["path_radiance"]
    e0t, edift = v["e0t"] * factor["e0t"], v["edift"] * factor["edift"]
    t_ud, t_uf = v["t_up_dir"] * factor["t_up_dir"], v["t_up_dif"] * factor["t_up_dif"]
    t_up = np.maximum(t_ud + t_uf, 1e-6)
    e0 = table.solar_irradiance_w_m2_um.reshape(-1, 1, 1, 1, 1, 1, 1) / 10.0
    mu_s = np.cos(np.deg2rad(table.sza_deg)).reshape(1, -1, 1, 1, 1, 1, 1)
    values = {"path_radiance": lp, "path_reflectance": v["path_reflectance"] * factor["path_radiance"],
              "e0t": e0t, "edift": edift, "t_up_dir": t_ud, "t_up_dif": t_uf,
              "spherical_albedo": v["spherical_albedo"] * factor["spherical_albedo"],
              "t_down_dir": e0t / (e0 * t_up), "t_down_dif": edift / (e0 * mu_s * t_up),
              "gas_transmittance": v["gas_transmittance"]}
    values = {k: np.ascontiguousarray(val, dtype=np.float32) for k, val in values.items()}
    return replace(table, values=values, description=dict(table.description, **(description or {})))


def write_coefficients(path: Path, coefficients: dict[str, dict[str, np.ndarray]], bands: tuple[str, ...],
                       provenance: str) -> None:
    """``coefficients[selection][quantity]`` (band, z, vis, k) -> .npz (float32)."""
    arrays = {f"{sel}/{q}": c.astype(np.float32) for sel, per_q in coefficients.items() for q, c in per_q.items()}
    np.savez_compressed(path, bands=np.array(bands), features=np.array(FEATURES), provenance=np.array(provenance),
                        **arrays)


def read_coefficients(season: str, aerosol: str, path: Path | None = None) -> tuple[dict[str, np.ndarray], tuple]:
    """(coefficients per quantity, bands) of one selection from ``luts/sixs_correction.npz``."""
    path = path or luts_dir() / COEFFICIENT_FILE
    try:
        with np.load(path, allow_pickle=False) as npz:
            if tuple(str(f) for f in npz["features"]) != FEATURES:
                raise LutError(f"{path}: features {npz['features'].tolist()}, expected {FEATURES}")
            coef = {q: npz[f"{season}_{aerosol}/{q}"].astype(np.float64) for q in QUANTITIES}
            return coef, tuple(str(b) for b in npz["bands"])
    except (OSError, KeyError, ValueError) as exc:
        raise LutError(f"cannot read the 6S correction coefficients {path} ({season}, {aerosol}): {exc}") from exc
