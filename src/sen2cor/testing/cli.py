"""``sen2cor-make-l1c OUTPUT_DIR [--size N] [--seed N] [--spacecraft S2A|S2B|S2C] [--date YYYY-MM-DD] [--scene KIND]``.

Prints the path of the generated ``.SAFE`` product on stdout.
"""
from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import replace
from datetime import date, time
from pathlib import Path

from sen2cor.testing.product import SPACECRAFTS, make_l1c
from sen2cor.testing.scene import SCENE_KINDS, SceneOptions


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sen2cor-make-l1c",
                                description="Write a synthetic Sentinel-2 Level-1C product with ground truth.")
    p.add_argument("output_dir", type=Path, help="folder receiving <product>.SAFE and <product>_truth.h5")
    p.add_argument("--size", type=int, default=600, help="side in 10 m pixels, multiple of 6, up to 10980 (600)")
    p.add_argument("--seed", type=int, default=0, help="random seed; same options + seed = identical files (0)")
    p.add_argument("--spacecraft", choices=SPACECRAFTS, default="S2A")
    p.add_argument("--date", type=date.fromisoformat, default=date(2022, 10, 5), help="acquisition date (2022-10-05)")
    p.add_argument("--time", type=time.fromisoformat, default=None, help="sensing time UTC HH:MM:SS (from the tile)")
    p.add_argument("--scene", choices=SCENE_KINDS, default="mixed", help="scene preset (mixed)")
    p.add_argument("--tile", default="29UNU", help="MGRS tile id (29UNU)")
    p.add_argument("--offset", type=int, nargs=2, default=(0, 0), metavar=("ROW", "COL"),
                   help="crop origin inside the tile, 10 m pixels (0 0)")
    p.add_argument("--baseline", choices=("05.09", "05.10", "05.11"), default="05.10",
                   help="processing baseline; 05.11 writes PSD 15 namespaces (05.10)")
    p.add_argument("--nodata-fraction", type=float, default=0.08, help="part of the crop outside the swath (0.08)")
    p.add_argument("--aot", type=float, default=None, help="mean AOT at 550 nm (scene preset)")
    p.add_argument("--wv", type=float, default=None,
                   help="sea-level water-vapour column, cm (default: the season's climatology, 2.0 / 0.8)")
    p.add_argument("--atmosphere", choices=("auto", "lut", "analytic"), default="auto",
                   help="radiative-transfer source: packaged LUTs when usable, else analytic (auto)")
    p.add_argument("--atm-dir", default=None,
                   help="with --atmosphere lut: folder holding Sen2Cor's lib_S2A/lib_S2B .atm LUTs")
    p.add_argument("--no-truth", action="store_true", help="do not write the truth HDF5 file")
    p.add_argument("--threads", type=int, default=1, help="OpenJPEG encoder threads (1)")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (0 success, 1 invalid option or failure)."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    scene = SceneOptions.for_kind(args.scene)
    if args.aot is not None:
        scene = replace(scene, aot550_mean=args.aot)
    if args.wv is not None:
        scene = replace(scene, wv_sea_level_cm=args.wv)
    try:
        path = make_l1c(args.output_dir, size_px=args.size, seed=args.seed, spacecraft=args.spacecraft,
                        acquisition_date=args.date, scene=scene, tile_id=args.tile, offset_px=tuple(args.offset),
                        baseline=args.baseline, nodata_fraction=args.nodata_fraction, atmosphere=args.atmosphere,
                        atm_dir=args.atm_dir,
                        write_truth=not args.no_truth, num_threads=args.threads, sensing_time_utc=args.time)
    except (ValueError, OSError) as exc:
        print(f"sen2cor-make-l1c: error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
