"""The built-in demo: generate a small L1C product, run ``L2A_Process --resolution 10`` on it, summarise.

    python -m sen2cor.testing.demo [OUTPUT_DIR] [--size 1098] [--seed 0]

Prints where the L1C and L2A products are and, when the L2A product exists, how its scene
classification, AOT and surface reflectance compare with the generator's ground truth.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from sen2cor.testing.product import make_l1c
from sen2cor.testing.truth import read_truth

SCL_NAMES = ("no data", "saturated/defective", "dark/cast shadow", "cloud shadow", "vegetation", "not vegetated",
             "water", "unclassified", "cloud medium", "cloud high", "thin cirrus", "snow/ice")


def _read(path: Path) -> np.ndarray:
    from osgeo import gdal  # noqa: PLC0415
    ds = gdal.Open(str(path))
    try:
        return ds.ReadAsArray()
    finally:
        ds = None


def summarise(l2a: Path, truth: dict) -> list[str]:
    """Short comparison of an L2A product with the truth (20 m SCL and AOT, 10 m B04)."""
    lines = []
    granule = next((l2a / "GRANULE").iterdir())
    scl_file = next(granule.glob("IMG_DATA/R20m/*_SCL_20m.jp2"), None)
    cm = truth["scene"]["class_map"]
    if scl_file is not None:
        scl = _read(scl_file)
        valid = cm != 0
        lines.append(f"SCL agreement with truth classes (20 m, valid pixels): {100 * np.mean(scl[valid] == cm[valid]):.1f} %")
        counts = np.bincount(scl.ravel(), minlength=12)
        lines.append("SCL classes: " + ", ".join(f"{SCL_NAMES[i]} {100 * c / scl.size:.1f} %"
                                                 for i, c in enumerate(counts) if c))
    aot_file = next(granule.glob("IMG_DATA/R20m/*_AOT_20m.jp2"), None)
    if aot_file is not None:
        aot = _read(aot_file) / 1000.0
        lines.append(f"AOT550 mean: L2A {aot[cm != 0].mean():.3f}, truth {truth['scene']['aot550'][cm != 0].mean():.3f}")
    b04 = next(granule.glob("IMG_DATA/R10m/*_B04_10m.jp2"), None)
    if b04 is not None:
        boa = (_read(b04).astype(np.float64) - 1000.0) / 10000.0
        ref = truth["surface_reflectance"]["B04"]
        clear = np.repeat(np.repeat(np.isin(cm, (4, 5, 6)), 2, 0), 2, 1) & np.isfinite(ref)
        lines.append(f"B04 surface reflectance over clear land/water: RMSE {np.sqrt(np.mean((boa - ref)[clear] ** 2)):.4f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sen2cor.testing.demo", description=__doc__.splitlines()[0])
    ap.add_argument("output_dir", nargs="?", type=Path, default=Path("demo"))
    ap.add_argument("--size", type=int, default=1098, help="side in 10 m pixels (1098 = 11 x 11 km)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    from sen2cor.cli import main as l2a_process  # noqa: PLC0415
    t0 = time.perf_counter()
    l1c = make_l1c(args.output_dir / "L1C", size_px=args.size, seed=args.seed)
    print(f"L1C demo product: {l1c}  ({time.perf_counter() - t0:.1f} s)")
    out = args.output_dir / "L2A"
    out.mkdir(parents=True, exist_ok=True)
    t1 = time.perf_counter()
    code = l2a_process([str(l1c), "--resolution", "10", "--output_dir", str(out)])
    l2a = sorted(out.glob("S2?_MSIL2A_*.SAFE"))
    if code != 0 or not l2a:
        print(f"L2A_Process ended with exit code {code}; no L2A product in {out}", file=sys.stderr)
        return code or 1
    print(f"L2A product: {l2a[-1]}  ({time.perf_counter() - t1:.1f} s)")
    for line in summarise(l2a[-1], read_truth(l1c.parent / (l1c.stem + "_truth.h5"))):
        print("  " + line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
