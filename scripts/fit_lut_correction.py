#!/usr/bin/env python
"""Fit the correction of the project's 6S tables towards Sen2Cor's (luts/sixs_correction.npz).

    .venv/bin/python scripts/fit_lut_correction.py [--out luts/sixs_correction.npz]

For each season and aerosol type, the log-ratios Sen2Cor / 6S of S2A and S2B (Sen2Cor's tables packaged in
luts/, ozone of the season's default letter) are pooled and fitted per band, quantity and (elevation,
visibility) node (sen2cor.rtm.correction). Cross-validation: scripts/compare_luts.py.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from sen2cor.config.resources import luts_dir
from sen2cor.rtm import grid
from sen2cor.rtm.correction import COEFFICIENT_FILE, write_coefficients
from sen2cor.validation.luts import TablePair, fit_pairs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=luts_dir() / COEFFICIENT_FILE)
    args = p.parse_args(argv)
    start = time.process_time()
    coefficients, bands = {}, None
    for season in grid.SEASONS:
        for aerosol in grid.AEROSOLS:
            pairs = [TablePair.load(craft, season, aerosol) for craft in ("S2A", "S2B")]
            bands = pairs[0].reference.bands
            coefficients[f"{season}_{aerosol}"] = fit_pairs(pairs)
            print(f"{season} {aerosol}: fitted", flush=True)
    write_coefficients(args.out, coefficients, bands,
                       "fitted by scripts/fit_lut_correction.py on Sen2Cor 2.8's S2A and S2B tables (luts/) "
                       "against the project's 6S tables (packaged SRFs), default ozone letters h / w")
    print(f"{args.out}: {args.out.stat().st_size / 1e6:.2f} MB, {time.process_time() - start:.0f} CPU s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
