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
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sen2cor.atmcorr import grid  # noqa: E402
from sen2cor.atmcorr.atm_reader import load_atm_lut  # noqa: E402
from sen2cor.atmcorr.lut import LutTable, load_lut  # noqa: E402,F401
from sen2cor.atmcorr.srf import packaged_solar_irradiance  # noqa: E402
from sen2cor.errors import LutError  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sen2cor", type=Path, default=REPO.parent / "shared" / "luts" / "sen2cor-2.8")
    parser.add_argument("--luts", type=Path, default=None, help="folder of the 6S tables (default luts/)")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "lut_validation_tables.md")
    args = parser.parse_args(argv)
    start = time.time()
    lines, worst = compare(args.sen2cor, args.luts)
    summary = ["| band | quantity | worst median abs | worst p95 abs | target met (2 % / 5 %) |", "|---|---|---|---|---|"]
    for (band, q), vals in worst.items():
        med, p95 = max(v[0] for v in vals), max(v[1] for v in vals)
        met = "n/a (absorption band)" if band in ABSORPTION_BANDS else ("yes" if med <= 0.02 and p95 <= 0.05 else "NO")
        summary.append(f"| {band} | {q} | {med:.2%} | {p95:.2%} | {met} |")
    text = ["# 6S LUTs vs Sen2Cor 2.8 LUTs: relative differences at shared nodes", "",
            f"Generated by `.venv/bin/python scripts/compare_luts.py` in {time.time() - start:.0f} s "
            f"on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. Relative difference = ours / Sen2Cor - 1.",
            "", "## Summary over all selections", "", *summary, "", "## Per selection", *lines, ""]
    args.out.write_text("\n".join(text))
    print("\n".join(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
