"""Closed-loop validation of the atmospheric correction: writes the tables of docs/atmcorr_validation.md.

Generated products (sen2cor.validation.atmcorr.CASES) and the official T29UNU L2A re-simulated as S2A, S2B and
S2C are forward-modelled with the tables of --forward (default: what the processor uses for the spacecraft)
and corrected at 20 m with each table source of --lut. Logic: sen2cor.validation.atmcorr.

    flock /work/heavy.lock nice -n 10 .venv/bin/python scripts/validate_atmcorr.py [--size 1200] [--lut auto 6s]
"""
from __future__ import annotations

import argparse
import tempfile
from dataclasses import replace
from pathlib import Path

from sen2cor.atmcorr.settings import AcSettings
from sen2cor.validation import atmcorr as v

REPO = Path(__file__).resolve().parents[1]
OFFICIAL_L2A = (REPO.parent / "shared" / "data" / "real" / "l2a"
                / "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")
SOURCES = ("auto", "sen2cor", "6s-corrected", "6s")


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1200, help="product side at 10 m (multiple of 6)")
    p.add_argument("--lut", nargs="+", choices=SOURCES, default=["auto"], help="table sources of the correction")
    p.add_argument("--forward", choices=SOURCES, default="auto", help="table source of the forward model")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "atmcorr_validation.md")
    p.add_argument("--cases", type=int, nargs="*", default=None, help="indices of CASES to run (default all)")
    p.add_argument("--extra", action="store_true", help="diagnostic: add the out-of-LUT cases")
    p.add_argument("--official", nargs="*", default=["S2A", "S2B", "S2C"],
                   help="spacecraft the official T29UNU L2A is re-simulated as (none: skip)")
    p.add_argument("--reference-albedo", type=float, default=None,
                   help="diagnostic: background albedo of the correction (Sen2Cor: 0.15)")
    p.add_argument("--no-negative-check", action="store_true",
                   help="diagnostic: switch Sen2Cor's negative-reflectance visibility checks off")
    p.add_argument("--ddv-adjacency-weight", type=float, default=None,
                   help="diagnostic: weight of the adjacency term in the DDV inversion (Sen2Cor: 0.5)")
    p.add_argument("--adjacency-range-m", type=float, default=None,
                   help="diagnostic: radius of the generator's adjacency environment (default 500 m)")
    return p.parse_args(argv)


def settings_of(args) -> AcSettings:
    s = AcSettings()
    if args.reference_albedo is not None:
        s = replace(s, reference_albedo=args.reference_albedo)
    if args.no_negative_check:     # thresholds no reflectance reaches switch the checks off
        s = replace(s, cut_off_aot_iter_vegetation=-1.0, cut_off_aot_iter_water=-1.0)
    if args.ddv_adjacency_weight is not None:
        s = replace(s, ddv_adjacency_weight=args.ddv_adjacency_weight)
    return s


def main(argv=None) -> int:
    args = parse(argv)
    settings = settings_of(args)
    runs = []
    cases = [c for i, c in enumerate(v.CASES) if args.cases is None or i in args.cases]
    cases += list(v.EXTRA_CASES) if args.extra else []
    with tempfile.TemporaryDirectory() as tmp:
        products = [(c.name, c.aerosol, v.generate(c, Path(tmp) / str(i), args.size, seed=i, tables=args.forward,
                                                   adjacency_range_m=args.adjacency_range_m))
                    for i, c in enumerate(cases)]
        if OFFICIAL_L2A.exists():
            from sen2cor.testing.resimulate import resimulate

            for craft in args.official:
                safe = resimulate(Path(tmp) / f"official_{craft}", OFFICIAL_L2A, size_px=args.size,
                                  spacecraft=craft, tables=args.forward)
                products.append((f"(b) re-simulated official T29UNU as {craft}, rural", "rural", safe))
        for name, aerosol, safe in products:
            for source in args.lut:
                run = v.correct(safe, aerosol, source, settings, name=name)
                run.metrics = v.metrics(run)
                print(name, source, run.table_label, run.result.info["AOT_RETRIEVAL_METHOD"],
                      {k: round(x, 4) for k, x in run.metrics.items()}, flush=True)
                runs.append(run)
    command = "flock /work/heavy.lock nice -n 10 .venv/bin/python scripts/validate_atmcorr.py" + \
        "".join(f" {a}" for a in (argv if argv is not None else __import__("sys").argv[1:]))
    header = [f"Command: `{command}`", "",
              f"Forward model: `{args.forward}` tables; correction: Sen2Cor's defaults"
              + ("" if args.reference_albedo is None else f", reference albedo {args.reference_albedo}") + ".",
              ""]
    document = args.out.read_text() if args.out.exists() else "# Atmospheric correction: validation\n"
    args.out.write_text(v.replace_generated(document, header + v.report_tables(runs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
