#!/usr/bin/env python
"""Validation and benchmark of sen2cor.sceneclass; writes docs/sceneclass_validation.md.

Each sub-command replaces its own section of the document (between ``<!-- BEGIN name -->`` and
``<!-- END name -->``) and prints the same text, so sections can be re-run independently:

    python scripts/validate_sceneclass.py s2cloudless      # (c) real L1C TOA array vs s2cloudless
    python scripts/validate_sceneclass.py generated        # (a) generated products with truth
    python scripts/validate_sceneclass.py official         # (b) re-simulated official T29UNU L2A vs its SCL
    python scripts/validate_sceneclass.py official-t56lmm  # (b2) re-simulated official T56LMM L2A (Sen2Cor 2.8)
    python scripts/validate_sceneclass.py benchmark        # full 5490 x 5490 tile, time and peak RSS
    python scripts/validate_sceneclass.py all

The logic lives in sen2cor.validation.sceneclass{,_real,_speed}. Run long parts with
``flock /work/heavy.lock nice -n 19`` on a shared machine.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sen2cor.validation.sceneclass import ALGORITHMS, generated_section, write_section  # noqa: E402
from sen2cor.validation.sceneclass_real import official_section, s2cloudless_section, t56lmm_section  # noqa: E402
from sen2cor.validation.sceneclass_speed import benchmark_one, benchmark_section  # noqa: E402

DOC = REPO / "docs" / "sceneclass_validation.md"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("s2cloudless")
    c.add_argument("--resolution-m", type=float, default=160.0)
    c.add_argument("--sun-zenith-deg", type=float, default=30.0)
    c.add_argument("--sun-azimuth-deg", type=float, default=80.0)
    c.add_argument("--s2cloudless-python", default=None,
                   help="python of an environment with s2cloudless installed, to time it side by side")
    g = sub.add_parser("generated")
    g.add_argument("--size", type=int, default=1200)
    g.add_argument("--scenes", nargs="+", default=["mixed", "cloudy", "mountain", "snow", "water"])
    g.add_argument("--seeds", nargs="+", type=int, default=[0])
    o = sub.add_parser("official")
    o.add_argument("--size", type=int, default=1830)
    o.add_argument("--offset", type=int, nargs=2, default=(0, 0))
    t = sub.add_parser("official-t56lmm")
    t.add_argument("--size", type=int, default=1080)
    b = sub.add_parser("benchmark")
    b.add_argument("--size", type=int, default=5490)
    one = sub.add_parser("benchmark-one")
    one.add_argument("--size", type=int, default=5490)
    one.add_argument("--dtype", choices=("float32", "uint16", "hdf5"), default="float32")
    one.add_argument("--algorithm", choices=tuple(ALGORITHMS), default="evolution")
    a = sub.add_parser("all")
    a.add_argument("--size", type=int, default=5490)
    a.add_argument("--s2cloudless-python", default=None)
    return parser


SECTIONS = ("s2cloudless", "generated", "official", "official-t56lmm", "benchmark")


def section(args: argparse.Namespace) -> str:
    """The Markdown of the section ``args.command``."""
    if args.command == "s2cloudless":
        return s2cloudless_section(args.resolution_m, args.sun_zenith_deg, args.sun_azimuth_deg,
                                   args.s2cloudless_python)
    if args.command == "generated":
        return generated_section(args.size, args.scenes, args.seeds)
    if args.command == "official":
        return official_section(args.size, tuple(args.offset))
    if args.command == "official-t56lmm":
        return t56lmm_section(args.size)
    return benchmark_section(args.size, __file__)


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "benchmark-one":
        print(json.dumps(benchmark_one(args.size, args.dtype, args.algorithm)))
        return 0
    if args.command == "all":
        runs = [parser.parse_args([name] + (["--size", str(args.size)] if name == "benchmark" else [])
                                  + (["--s2cloudless-python", args.s2cloudless_python]
                                     if name == "s2cloudless" and args.s2cloudless_python else []))
                for name in SECTIONS]
    else:
        runs = [args]
    for run in runs:
        print(write_section(DOC, run.command.replace("-", "_"), section(run)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
