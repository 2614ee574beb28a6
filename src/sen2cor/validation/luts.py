"""Look-up tables against Sen2Cor's: what a table difference does to the surface reflectance and the
water vapour a correction retrieves (docs/lut_validation.md, scripts/compare_luts.py).

At every node of a reference table (Sen2Cor's), a uniform Lambertian surface is put into Sen2Cor's
equation L = Lp + (E0t cos + Edift) / pi * rho / (1 - rho S) and inverted with a candidate table; the
water vapour is retrieved from the B09 / B8A ratio of the reference signal with the candidate's curve.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sen2cor.rtm import grid
from sen2cor.rtm.correction import (QUANTITIES, UNCORRECTED_BANDS, fit, grid_features, log_ratio,
                                     sen2cor_quantities)
from sen2cor.rtm.lut import LutTable
from sen2cor.testing.spectra import cover_reflectance

#: Surfaces of the issue's targets: dark vegetation, soil and a bright target (reflectance 0.5).
SURFACES = {"dark vegetation": cover_reflectance("dense_vegetation"), "soil": cover_reflectance("bare_soil"),
            "bright": {b: 0.5 for b in cover_reflectance("bare_soil")}}
#: Node ranges of the targets: AOT550 0.05-0.4, sea-level water vapour 0.4-4 cm (all elevations 0-2.5 km).
AOT_RANGE = (0.05, 0.4)
WV_RANGE_CM = (0.4, 4.0)


@dataclass(frozen=True)
class NodeAxes:
    """Node coordinates of a table broadcast to (sza, vza, raa, z, vis, wv)."""

    mu_s: np.ndarray
    aot550: np.ndarray
    water_vapour_cm: np.ndarray

    @classmethod
    def of(cls, table: LutTable) -> "NodeAxes":
        s, _, _, z, v, w = np.meshgrid(table.sza_deg, table.vza_deg, table.raa_deg, table.elevation_km,
                                       table.visibility_km, table.water_vapour_cm, indexing="ij")
        return cls(np.cos(np.deg2rad(s)), grid.visibility_to_aot550(v, z), w)

    def target_mask(self) -> np.ndarray:
        """Nodes inside the targets' AOT and water-vapour ranges."""
        return ((self.aot550 >= AOT_RANGE[0]) & (self.aot550 <= AOT_RANGE[1])
                & (self.water_vapour_cm >= WV_RANGE_CM[0] - 1e-9) & (self.water_vapour_cm <= WV_RANGE_CM[1] + 1e-9))


def _radiometry(table: LutTable, e0_w_m2_um: np.ndarray, mu_s: np.ndarray) -> tuple[np.ndarray, ...]:
    q = sen2cor_quantities(table, e0_w_m2_um)
    e_global = q["e0t"] * mu_s[None] + q["edift"]
    return q["path_radiance"], e_global, q["spherical_albedo"]


def surface_errors(reference: LutTable, candidate: LutTable, e0_w_m2_um: np.ndarray,
                   surfaces: dict[str, dict[str, float]] | None = None) -> dict[str, np.ndarray]:
    """{surface: (band, sza, vza, raa, z, vis, wv) retrieved - true reflectance} for the reference's bands."""
    candidate = candidate.select_bands(reference.bands)
    mu_s = NodeAxes.of(reference).mu_s
    lp, eg, s = _radiometry(reference, e0_w_m2_um, mu_s)
    lp_c, eg_c, s_c = _radiometry(candidate, e0_w_m2_um, mu_s)
    out = {}
    for name, spectrum in (surfaces or SURFACES).items():
        rho = np.array([spectrum[b] for b in reference.bands]).reshape(-1, 1, 1, 1, 1, 1, 1)
        radiance = lp + eg / np.pi * rho / (1.0 - rho * s)
        y = np.pi * (radiance - lp_c) / eg_c
        out[name] = y / (1.0 + s_c * y) - rho
    return out


def _curve_position(curve: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Segment index and fraction of ``values`` (n,) on decreasing curves (n, nu), clamped."""
    nu = curve.shape[1]
    i0 = np.clip((curve > values[:, None]).sum(axis=1) - 1, 0, nu - 2)
    rows = np.arange(curve.shape[0])
    lo, hi = curve[rows, i0], curve[rows, i0 + 1]
    frac = np.clip((lo - values) / np.where(lo != hi, lo - hi, 1.0), 0.0, 1.0)
    return i0, frac


def water_vapour_errors(reference: LutTable, candidate: LutTable, e0_w_m2_um: np.ndarray, rho: float = 0.3,
                        reference_albedo: float = 0.15, passes: int = 10) -> np.ndarray:
    """Retrieved - true sea-level water vapour (cm) at every node (sza, vza, raa, z, vis, wv), APDA on
    B09 / B8A of a surface ``rho``: the reference's signal, the candidate's curve R(u) (linear in sqrt(u)
    between its levels) and path radiance (pre-corrected at the previous estimate, ``passes`` times: 10
    converge to < 1e-4 cm on the target nodes when both tables are the same)."""
    i09, i8a = reference.bands.index("B09"), reference.bands.index("B8A")
    mu_s = NodeAxes.of(reference).mu_s
    lp, eg, s = _radiometry(reference.select_bands(("B8A", "B09")), e0_w_m2_um[[i8a, i09]], mu_s)
    lp_c, eg_c, s_c = _radiometry(candidate.select_bands(("B8A", "B09")), e0_w_m2_um[[i8a, i09]], mu_s)
    signal = rho * eg / np.pi / (1.0 - (rho - reference_albedo) * s)
    radiance = (lp + signal).reshape(2, -1, lp.shape[-1])                       # band, node, true wv level
    curve = (rho * eg_c / (1.0 - (rho - reference_albedo) * s_c)).reshape(2, -1, lp.shape[-1])
    ratio_curve = curve[1] / curve[0]                                           # node, level
    lp_c = lp_c.reshape(2, -1, lp.shape[-1])
    levels = reference.water_vapour_cm
    root = np.sqrt(levels)
    out = np.empty(radiance.shape[1:])
    for k in range(levels.size):
        u = np.full(radiance.shape[1], float(np.median(levels)))
        for _ in range(passes):
            j = np.clip(np.searchsorted(levels, u) - 1, 0, levels.size - 2)
            w = (np.sqrt(np.clip(u, levels[0], levels[-1])) - root[j]) / (root[j + 1] - root[j])
            rows = np.arange(u.size)
            path = lp_c[:, rows, j] * (1 - w) + lp_c[:, rows, j + 1] * w
            r_img = (radiance[1, :, k] - path[1]) / (radiance[0, :, k] - path[0])
            i0, frac = _curve_position(ratio_curve, r_img)
            u = (root[i0] * (1 - frac) + root[i0 + 1] * frac) ** 2
        out[:, k] = u - levels[k]
    return out.reshape(lp.shape[1:])


@dataclass(frozen=True)
class TablePair:
    """Sen2Cor's table and the project's 6S table of one spacecraft / season / aerosol / ozone, and the
    product SOLAR_IRRADIANCE both are compared with (bands in the order of Sen2Cor's table)."""

    spacecraft: str
    reference: LutTable
    sixs: LutTable
    e0_w_m2_um: np.ndarray

    @classmethod
    def load(cls, spacecraft: str, season: str, aerosol: str, ozone_du: float | None = None,
             atm_dir=None, bands: tuple[str, ...] | None = None) -> "TablePair":
        """Sen2Cor's tables from ``atm_dir`` (None: the packaged ones) and the 6S tables integrated with the
        packaged SRFs of ``spacecraft``, for ``bands`` (default all but B10); ozone default: the season's
        default letter."""
        from sen2cor.rtm.atm_reader import load_atm_lut
        from sen2cor.rtm.sources import load_lut
        from sen2cor.rtm.srf import packaged_solar_irradiance

        if ozone_du is None:
            ozone_du = grid.OZONE_DU[season][grid.DEFAULT_OZONE_LETTER[season]]
        reference = load_atm_lut(atm_dir, spacecraft, season, aerosol, ozone_du,
                                 resolution="all" if atm_dir is None else "20_60")
        reference = reference.select_bands(tuple(bands or (b for b in reference.bands if b not in UNCORRECTED_BANDS)))
        sixs = load_lut(spacecraft, season, aerosol, ozone_du, source="6s").select_bands(reference.bands)
        e0 = packaged_solar_irradiance(spacecraft)
        return cls(spacecraft, reference, sixs, np.array([e0[b] for b in reference.bands]))

    def log_ratios(self) -> dict[str, np.ndarray]:
        return log_ratio(self.reference, self.sixs, self.e0_w_m2_um)


def fit_pairs(pairs: list[TablePair], masks: list[np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Correction coefficients per quantity fitted on the pooled pairs (``masks``: nodes to use per pair)."""
    ratios = [p.log_ratios() for p in pairs]
    full = None if masks is None else [np.broadcast_to(m, r[QUANTITIES[0]].shape) for m, r in zip(masks, ratios)]
    return {q: fit([r[q] for r in ratios], grid_features(pairs[0].reference, q), full) for q in QUANTITIES}


@dataclass(frozen=True)
class HeldOut:
    """Errors of a corrected table on held-out nodes: SR p95 |error| per band (worst surface), WV bias (cm)."""

    label: str
    sr_p95: dict[str, float]
    wv_bias_cm: float
    wv_p95_cm: float


def evaluate(pair: TablePair, candidate: LutTable, label: str, nodes: np.ndarray | None = None) -> HeldOut:
    """:class:`HeldOut` of ``candidate`` against ``pair.reference`` on the target nodes (and ``nodes``)."""
    mask = NodeAxes.of(pair.reference).target_mask()
    if nodes is not None:
        mask = mask & nodes
    errors = surface_errors(pair.reference, candidate, pair.e0_w_m2_um)
    p95 = {b: max(float(np.percentile(np.abs(e[i][mask]), 95)) for e in errors.values())
           for i, b in enumerate(pair.reference.bands)}
    wv = water_vapour_errors(pair.reference, candidate, pair.e0_w_m2_um)[mask]
    return HeldOut(label, p95, float(np.mean(wv)), float(np.percentile(np.abs(wv), 95)))


def cross_validate(pairs: dict[str, TablePair], seeds: tuple[int, ...] = (0,)) -> list[HeldOut]:
    """Fit on one spacecraft, test on the other (both ways; and on itself: the model's own residual), and random
    50/50 node splits of both (fit on one half of the nodes of S2A and S2B, test on the other half); the
    uncorrected 6S tables for comparison."""
    from sen2cor.rtm.correction import apply

    crafts = sorted(pairs)
    out = [evaluate(pairs[c], pairs[c].sixs, f"uncorrected 6S, {c}") for c in crafts]
    for fit_on in crafts:
        coef = fit_pairs([pairs[fit_on]])
        for test in crafts:    # in sample (the model's own residual) and held out (the other spacecraft)
            p = pairs[test]
            label = f"fit {fit_on}, test {test}" + (" (in sample)" if test == fit_on else "")
            out.append(evaluate(p, apply(p.sixs, coef, p.reference.bands), label))
    shape = pairs[crafts[0]].reference.values["e0t"].shape[1:]
    for seed in seeds:
        train = np.random.default_rng(seed).random(shape) < 0.5
        coef = fit_pairs([pairs[c] for c in crafts], [train[None]] * len(crafts))
        for c in crafts:
            p = pairs[c]
            out.append(evaluate(p, apply(p.sixs, coef, p.reference.bands), f"50/50 node split (seed {seed}), {c}",
                                ~train))
    return out


def relative_differences(pair: TablePair, candidate: LutTable | None = None) -> dict[str, dict[str, np.ndarray]]:
    """candidate / Sen2Cor - 1 (candidate default: the uncorrected 6S table) per band and quantity at every
    node, with the flat-terrain divisor ``global_irradiance`` = E0t cos(sza) + Edift: {band: {quantity: values}}."""
    candidate = pair.sixs if candidate is None else candidate.select_bands(pair.reference.bands)
    mu_s = NodeAxes.of(pair.reference).mu_s
    a, b = sen2cor_quantities(pair.reference, pair.e0_w_m2_um), sen2cor_quantities(candidate, pair.e0_w_m2_um)
    for q in (a, b):
        q["global_irradiance"] = q["e0t"] * mu_s[None] + q["edift"]
    out = {}
    for i, band in enumerate(pair.reference.bands):
        out[band] = {}
        for q in a:
            ok = np.abs(a[q][i]) > 1e-9
            out[band][q] = b[q][i][ok] / a[q][i][ok] - 1.0
    return out


def summary_rows(differences: dict[str, dict[str, np.ndarray]]) -> list[str]:
    """Markdown rows: band | quantity | median signed | median abs | p95 abs."""
    rows = []
    for band, per_q in differences.items():
        for q, rel in per_q.items():
            rows.append(f"| {band} | {q} | {np.median(rel):+.1%} | {np.median(np.abs(rel)):.1%} "
                        f"| {np.percentile(np.abs(rel), 95):.1%} |")
    return rows


def held_out_rows(selection: str, results: list[HeldOut], bands: tuple[str, ...]) -> list[str]:
    """Markdown rows of :func:`cross_validate` results; misses of the targets in bold (p95 <= 0.005 in B01-B8A
    and B08, <= 0.01 in B09, B11, B12; |WV bias| <= 0.1 cm)."""
    rows = []
    for h in results:
        cells = []
        for b in bands:
            limit = 0.01 if b in ("B09", "B11", "B12") else 0.005
            text = f"{h.sr_p95[b]:.4f}"
            cells.append(f"**{text}**" if h.sr_p95[b] > limit else text)
        bias = f"{h.wv_bias_cm:+.3f}"
        rows.append(f"| {selection} | {h.label} | " + " | ".join(cells)
                    + f" | {f'**{bias}**' if abs(h.wv_bias_cm) > 0.1 else bias} | {h.wv_p95_cm:.3f} |")
    return rows


def spacecraft_consistency_rows(pairs: dict[str, TablePair]) -> list[str]:
    """Markdown rows: per band and quantity, the median over the nodes of ln(Sen2Cor S2B / S2A) minus
    ln(6S S2B / S2A), i.e. how much Sen2Cor's S2B tables differ from S2A's beyond what the two spacecraft's
    spectral responses and solar irradiances explain. A correction fitted on one spacecraft cannot follow it."""
    la, lb = pairs["S2A"].log_ratios(), pairs["S2B"].log_ratios()
    rows = []
    for i, band in enumerate(pairs["S2A"].reference.bands):
        cells = [f"{np.nanmedian(lb[q][i] - la[q][i]):+.1%}" for q in QUANTITIES]
        rows.append(f"| {band} | " + " | ".join(cells) + " |")
    return rows
