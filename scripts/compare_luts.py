#!/usr/bin/env python
"""Tables against Sen2Cor's: writes the generated part of docs/lut_validation.md.

    .venv/bin/python scripts/compare_luts.py [--out docs/lut_validation.md] [--seeds 0 1]

For every season and aerosol type: the cross-validation of the 6S correction (fit on S2A, test on S2B and
the reverse; random 50/50 node splits of both) as surface-reflectance and water-vapour errors, and the
node-level differences of the uncorrected 6S tables. Logic: sen2cor.validation.luts.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sen2cor.rtm import grid
from sen2cor.validation.atmcorr import replace_generated
from sen2cor.rtm.correction import QUANTITIES
from sen2cor.validation.luts import (TablePair, cross_validate, held_out_rows, relative_differences,
                                     spacecraft_consistency_rows, summary_rows)

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "lut_validation.md")
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="seeds of the random 50/50 node splits")
    args = p.parse_args(argv)
    start = time.process_time()
    held, differences, consistency, bands = [], [], [], None
    for season in grid.SEASONS:
        for aerosol in grid.AEROSOLS:
            pairs = {c: TablePair.load(c, season, aerosol) for c in ("S2A", "S2B")}
            bands = pairs["S2A"].reference.bands
            held += held_out_rows(f"{season} {aerosol}", cross_validate(pairs, tuple(args.seeds)), bands)
            if (season, aerosol) == ("summer", "rura"):
                differences = summary_rows(relative_differences(pairs["S2A"]))
                consistency = spacecraft_consistency_rows(pairs)
            print(f"{season} {aerosol} done", flush=True)
    generated = [
        f"Command: `.venv/bin/python scripts/compare_luts.py --seeds {' '.join(map(str, args.seeds))}` "
        f"({time.process_time() - start:.0f} CPU s).", "",
        "### Corrected 6S tables, held out: surface reflectance p95 |error| (worst of dark vegetation, soil, "
        "bright), water-vapour retrieval error (cm)", "",
        "| selection | held out | " + " | ".join(bands) + " | WV bias | WV p95 |",
        "|---" * (len(bands) + 4) + "|", *held, "",
        "### Sen2Cor's S2B tables against its S2A tables, beyond the spectral responses (summer, rural)", "",
        "Median over the nodes of ln(Sen2Cor S2B / S2A) - ln(6S S2B / S2A), 6S with the packaged SRFs and "
        "both radiances for each spacecraft's product SOLAR_IRRADIANCE:", "",
        "| band | " + " | ".join(QUANTITIES) + " |", "|---" * (len(QUANTITIES) + 1) + "|", *consistency, "",
        "### Uncorrected 6S / Sen2Cor - 1 at every node (S2A, summer, rural, ozone 331 DU)", "",
        "| band | quantity | median signed | median abs | p95 abs |", "|---|---|---|---|---|", *differences,
    ]
    document = args.out.read_text() if args.out.exists() else "# Look-up tables against Sen2Cor's\n"
    args.out.write_text(replace_generated(document, generated, "scripts/compare_luts.py"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
