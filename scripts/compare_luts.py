#!/usr/bin/env python
"""Compare the project's 6S LUTs with Sen2Cor's own libRadtran LUTs at every shared node.

    .venv/bin/python scripts/compare_luts.py [--sen2cor ../shared/luts/sen2cor-2.8] [--out docs/lut_validation.md]

For S2A and S2B, rural and maritime, the summer (ozone 'h', 331 DU) and winter ('w', 377 DU)
selections, every band of the 20_60 files and every node (sun zenith, view zenith, azimuth,
elevation levels present in luts/, visibility, water vapour), the relative difference
ours/Sen2Cor - 1 is summarised per band and quantity (median of the signed difference, median,
95th percentile and maximum of its absolute value).  Radiances and irradiances of both use the
SOLAR_IRRADIANCE of the product metadata packaged with the SRFs (Sen2Cor's L = rho E0 cos/pi).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sen2cor.rtm import grid  # noqa: E402
from sen2cor.rtm.atm_reader import load_atm_lut  # noqa: E402
from sen2cor.rtm.lut import LutTable  # noqa: E402
from sen2cor.rtm.sources import load_lut  # noqa: E402
from sen2cor.rtm.srf import packaged_solar_irradiance  # noqa: E402
from sen2cor.errors import LutError  # noqa: E402
from sen2cor.config.resources import luts_dir  # noqa: E402

QUANTITIES = ("path_radiance", "e0t", "edift", "t_up_dir", "t_up_dif", "spherical_albedo", "global_irradiance",
              "global_irradiance_bg015")
ABSORPTION_BANDS = ("B09", "B10")    # strong water-vapour absorption: outside the 2 % / 5 % target


def node_functions(lut: LutTable, e0: np.ndarray, elevation_km: np.ndarray) -> dict[str, np.ndarray]:
    """All quantities at every grid node (band, sza, vza, raa, z, vis, wv) for the given elevations."""
    s, v, r, z, vis, w = np.meshgrid(lut.sza_deg, lut.vza_deg, lut.raa_deg, elevation_km, lut.visibility_km,
                                     lut.water_vapour_cm, indexing="ij")
    f = lut.interpolate(s, v, r, z, vis, w, e0_w_m2_um=e0, visibility_axis="km")
    out = {q: getattr(f, q) for q in QUANTITIES if not q.startswith("global_irradiance")}
    mu_s = np.cos(np.deg2rad(s))[None]
    out["global_irradiance"] = f.e0t * mu_s + f.edift      # what the flat-terrain retrieval divides by
    # the same for a background of reflectance 0.15 (ATCOR's reference background, facts B.11);
    # for Sen2Cor's own tables the value is left as stored
    bg = 1.0 / (1.0 - 0.15 * f.spherical_albedo) if lut.kind == "6s" else 1.0
    out["global_irradiance_bg015"] = out["global_irradiance"] * bg
    return out


def summarise(ours: np.ndarray, ref: np.ndarray) -> tuple[float, float, float, float, int]:
    ok = np.isfinite(ours) & np.isfinite(ref) & (np.abs(ref) > 1e-6)
    rel = ours[ok] / ref[ok] - 1.0
    if rel.size == 0:
        return (np.nan,) * 4 + (0,)
    a = np.abs(rel)
    return float(np.median(rel)), float(np.median(a)), float(np.percentile(a, 95)), float(a.max()), int(rel.size)


VIS_BANDS = ("B02", "B04", "B8A", "B11")
VIS_QUANTITIES = ("path_radiance", "global_irradiance", "t_up_dir")


def per_visibility(a: dict, b: dict, bands: tuple[str, ...], aerosol: str) -> list[str]:
    """Median |relative difference| per visibility (S2A summer) for a few bands and quantities."""
    rows = []
    for q in VIS_QUANTITIES:
        for band in VIS_BANDS:
            i = bands.index(band)
            cells = [summarise(a[q][i][:, :, :, :, k], b[q][i][:, :, :, :, k])[1]
                     for k in range(grid.VISIBILITY_KM.size)]
            rows.append(f"| {aerosol} | {q} | {band} | " + " | ".join(f"{c:.1%}" for c in cells) + " |")
    return rows


by_vis: list[list[str]] = []


def compare(sen2cor_root: Path, lut_dir: Path | None) -> tuple[list[str], dict]:
    lines, worst = [], {}
    for craft in ("S2A", "S2B"):
        e0_meta = packaged_solar_irradiance(craft)
        for season, ozone in (("summer", 331), ("winter", 377)):
            for aer in grid.AEROSOLS:
                try:
                    ref = load_atm_lut(sen2cor_root, craft, season, aer, ozone)
                    ours = load_lut(craft, season, aer, ozone, bands=ref.bands, lut_dir=lut_dir)
                except (LutError, OSError) as exc:
                    lines.append(f"| {craft} {season} {aer} | skipped: {exc} |")
                    continue
                zsel = np.array([int(np.flatnonzero(np.isclose(ref.elevation_km, z))[0]) for z in ours.elevation_km])
                e0 = np.array([e0_meta[b] for b in ref.bands])
                a = node_functions(ours, e0, ours.elevation_km)
                ref_sub = replace(ref, elevation_km=ref.elevation_km[zsel],
                                  values={k: v[:, :, :, :, zsel] for k, v in ref.values.items()})
                b = node_functions(ref_sub, e0, ref.elevation_km[zsel])
                if (craft, season) == ("S2A", "summer"):
                    by_vis.append(per_visibility(a, b, ref.bands, aer))
                title = f"{craft} {season} (ozone {ozone} DU) {aer}, elevations {ours.elevation_km.tolist()} km"
                lines += ["", f"### {title}", "",
                          "| band | quantity | median signed | median abs | p95 abs | max abs | nodes |",
                          "|---|---|---|---|---|---|---|"]
                for i, band in enumerate(ref.bands):
                    for q in QUANTITIES:
                        med_s, med, p95, mx, n = summarise(a[q][i], b[q][i])
                        lines.append(f"| {band} | {q} | {med_s:+.2%} | {med:.2%} | {p95:.2%} | {mx:.2%} | {n} |")
                        worst.setdefault((band, q), []).append((med, p95))
    return lines, worst


#: Mixtures tried by --fit-aerosol (6S iaer=4 volume fractions: dust-like, water-soluble, oceanic, soot).
FIT_CANDIDATES = {
    "rura": [("1",)] + [("4", f"{d:.3f} {1 - d - so:.3f} 0.000 {so:.3f}")
                        for d in (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7) for so in (0.0, 0.005)],
    "mari": [("2",)] + [("4", f"{d:.3f} {1 - d - oc:.3f} {oc:.3f} 0.000")
                        for d in (0.0, 0.1) for oc in (0.5, 0.7, 0.8, 0.9, 0.95, 0.99) if d + oc <= 1.0],
}
FIT_BANDS = {"B02": 0.49, "B04": 0.665, "B8A": 0.865, "B11": 1.61, "B12": 2.19}
FIT_NODES = ((5.0, 30.0), (15.0, 50.0), (23.0, 0.0), (40.0, 60.0), (80.0, 30.0))   # (visibility km, sza deg)


def fit_aerosol(sen2cor_root: Path, aerosol: str) -> list[str]:
    """Rank 6S aerosol models by their distance to Sen2Cor's rural / maritime tables.

    Monochromatic 6S runs (no gas) at each band centre and node (nadir view, sea level, AOT550
    from Sen2Cor's visibility relation) against Sen2Cor's path reflectance, T_down * T_up / Tg
    (Tg of 6S at 2 cm water vapour, 331 DU) and spherical albedo: median |ln(ours / Sen2Cor)|.
    """
    from sen2cor.rtm import sixs

    bands = tuple(FIT_BANDS)
    ref = load_atm_lut(sen2cor_root, "S2A", "summer", aerosol, 331.0)
    e0 = np.array([packaged_solar_irradiance("S2A")[b] for b in ref.bands])
    gas = load_lut("S2A", "summer", aerosol, 331.0, bands=bands).interpolate(0.0, 0.0, 0.0, 0.0, 23.0, 2.0)
    rows = []
    saved = dict(sixs.AEROSOL_MODELS)
    try:
        for model in FIT_CANDIDATES[aerosol]:
            sixs.AEROSOL_MODELS[aerosol] = model
            errors = []
            for vis, sza in FIT_NODES:
                f = ref.interpolate(sza, 0.0, 0.0, 0.0, vis, 2.0, e0_w_m2_um=e0, visibility_axis="km")
                aot = float(grid.visibility_to_aot550(vis, 0.0))
                for i, band in enumerate(bands):
                    j = ref.bands.index(band)
                    case = sixs.SixsCase(sza, 0.0, 0.0, 0.0, aerosol, aot, monochromatic_um=FIT_BANDS[band])
                    out = sixs.run_sixs(case)
                    ours = np.array(sixs.parse_monochromatic(out))
                    theirs = np.array([f.path_reflectance[j], (f.t_down_dir[j] + f.t_down_dif[j])
                                       * (f.t_up_dir[j] + f.t_up_dif[j]) / gas.gas_transmittance[i],
                                       f.spherical_albedo[j]])
                    errors.append(np.abs(np.log(ours / theirs)))
            med = np.median(np.array(errors), axis=0)
            rows.append((float(np.median(np.array(errors))), " / ".join(model), med))
    finally:
        sixs.AEROSOL_MODELS.update(saved)
    rows.sort()
    return [f"| {m} | {e:.1%} | {d[0]:.1%} | {d[1]:.1%} | {d[2]:.1%} |" for e, m, d in rows]


EXPLANATIONS = """\
The target (2 % median, 5 % p95) is not met for most aerosol-dependent quantities. What was checked and
excluded as a bug: units (mW cm-2 sr-1 um-1 / mW cm-2 um-1 with E0/10, both sides from the same product
SOLAR_IRRADIANCE), the visibility -> AOT550 relation (Sen2Cor's own; its 'total optical depth' nodes equal
AOT550 + 0.128 at every visibility, so the AOTs agree), SRF alignment (SRFs resampled onto 6S's 2.5 nm grid),
Earth-Sun distance (d2 = 1 on both sides), the azimuth convention (largest path radiance at 0 deg on both),
the gas coupling (recombined tables reproduce coupled 6S runs within 1e-4 in path reflectance), Sen2Cor's
E0t = E0 Tsun (Tdir + Tdif) (their own table satisfies it within 1 %). What remains is physics:

* Aerosol optical properties. libRadtran's rural/maritime (Shettle type) and 6S's components differ in
  phase function, single-scattering albedo and spectral extinction. The 6S mixtures were fitted to Sen2Cor
  (docs/luts.md); total transmittance then agrees to ~2 % and spherical albedo to a few % in the visible,
  but path radiance keeps ~5-15 % median differences that change sign with geometry (phase function), and
  the direct/diffuse split differs: Sen2Cor's aerosol extinction relative to 550 nm is ~10 % higher at
  665 nm (flatter spectrum), so our direct transmittance / E0t are higher and diffuse / Edift lower by
  up to tens of % at 5-7 km visibility and large sun zenith. The flat-terrain divisor E0t cos + Edift
  ('global_irradiance') is closer (~3-10 %). Differences shrink with visibility (Rayleigh dominated).
* Path radiance does not converge at high visibility (5-15 % median at 80-120 km in the VNIR): the
  differences follow the scattering angle (at 120 km, B02/B04/B8A: ours +10/+14/+18 % at exact
  backscatter, sun and view at nadir; -4/-3/-8 % at 60 deg sun zenith). Two causes, not separable with
  the material at hand: the aerosol phase function (still ~30-60 % of the path radiance in B04/B8A at
  AOT 0.08) and, likely, polarisation: 6SV1.1 is a vector code, libRadtran LUTs of this kind are usually
  computed with the scalar DISORT solver, which changes Rayleigh path radiance by a few % with geometry.
* SWIR (B11, B12): aerosol path radiance and spherical albedo depend on the coarse-particle fraction, which
  differs most between the models; values are small (path reflectance ~0.001-0.01), so relative
  differences are large while absolute ones are < 0.005 in reflectance.
* Background: a 0.15 reference background (ATCOR, facts B.11) in Sen2Cor's irradiances would show as a
  better match of 'global_irradiance_bg015'; it matches worse, so our tables keep a black background.
* B09 / B10 (strong water-vapour absorption): Sen2Cor's transmittances and spherical albedo include gas
  absorption computed line-by-line-like by libRadtran; 6S uses band models and leaves the spherical albedo
  gas-free, and B10 values are ~0 on both sides (relative differences meaningless).
* B05 (705 nm) is worse than its neighbours in transmittance and irradiance (~6-12 % median): it sits on
  water-vapour and oxygen lines, where 6S's band model and libRadtran's absorption differ.
* 6S prints its spectral listing with 4 decimals: path reflectances < 0.002 carry up to ~2 % rounding."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sen2cor", type=Path, default=REPO.parent / "shared" / "luts" / "sen2cor-2.8")
    parser.add_argument("--luts", type=Path, default=None, help="folder of the 6S tables (default luts/)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "lut_validation.md")
    parser.add_argument("--fit-aerosol", choices=grid.AEROSOLS, help="rank 6S aerosol models against Sen2Cor's")
    args = parser.parse_args(argv)
    if args.fit_aerosol:
        print("| 6S aerosol input | median all | path refl. | T_down T_up | spherical albedo |\n|---|---|---|---|---|")
        print("\n".join(fit_aerosol(args.sen2cor, args.fit_aerosol)))
        return 0
    start = time.time()
    lines, worst = compare(args.sen2cor, args.luts)
    summary = ["| band | quantity | worst median abs | worst p95 abs | target met (2 % / 5 %) |",
               "|---|---|---|---|---|"]
    for (band, q), vals in worst.items():
        med, p95 = max(v[0] for v in vals), max(v[1] for v in vals)
        met = "n/a (absorption band)" if band in ABSORPTION_BANDS else ("yes" if med <= 0.02 and p95 <= 0.05 else "NO")
        summary.append(f"| {band} | {q} | {med:.2%} | {p95:.2%} | {met} |")
    manifest = json.loads(((args.luts or luts_dir()) / "manifest.json").read_text())
    text = ["# Validation of the 6S LUTs against Sen2Cor 2.8's libRadtran LUTs", "",
            "Reproduce: `.venv/bin/python scripts/compare_luts.py` (needs ../shared/luts/sen2cor-2.8; "
            f"{time.time() - start:.0f} s; generated {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}).",
            f"Tables compared: luts/ as packed ({json.dumps(manifest['coverage'])}), aerosol models "
            f"{json.dumps(manifest['grid']['aerosols'])}.",
            "Relative difference = ours / Sen2Cor - 1 at every node of the selections below (all sun/view "
            "zeniths, azimuths, visibilities, water-vapour levels of the season, the elevations present). "
            "Radiances and irradiances of both sides use the product SOLAR_IRRADIANCE packaged with the SRFs. "
            "Target of the issue: 2 % median / 5 % p95 for bands outside strong absorption (B09, B10).",
            "", "## Summary (worst selection per band and quantity)", "", *summary, "",
            "## By visibility (S2A summer, median |relative difference|)", "",
            "| aerosol | quantity | band | " + " | ".join(f"{v:.0f} km" for v in grid.VISIBILITY_KM) + " |",
            "|---" * (3 + grid.VISIBILITY_KM.size) + "|", *[r for rows in by_vis for r in rows], "",
            "## Why the misses", "", EXPLANATIONS, "", "## Per selection", *lines, ""]
    args.out.write_text("\n".join(text))
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
