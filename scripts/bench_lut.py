#!/usr/bin/env python
"""Benchmark LUT evaluation over a 5490 x 5490 (20 m) field, one core.

    nice -n 19 .venv/bin/python scripts/bench_lut.py [--size 5490] [--source 6s|atm] [--fields path_radiance,...]

The field is split into Sen2Cor processing cells (915 columns x 1830 rows); per cell the
geometry is fixed (``at_geometry``) and elevation (0-3 km), visibility (5-120 km) and, with
``--wv-map``, water vapour vary per pixel.  Reports CPU seconds of this process (the machine is
shared, so wall time depends on the load; both are printed) for all 12 bands of each field.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sen2cor.rtm.sources import load_lut  # noqa: E402
from sen2cor.rtm.lut_field import FieldInterpolator  # noqa: E402

BANDS_20M = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B10", "B11", "B12")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=5490)
    parser.add_argument("--source", choices=("6s", "atm"), default="6s")
    parser.add_argument("--atm-dir", default=str(REPO.parent / "shared" / "luts" / "sen2cor-2.8"))
    parser.add_argument("--fields", default="path_radiance,e0t,edift")
    parser.add_argument("--wv-map", action="store_true", help="per-pixel water vapour (8 corners instead of 4)")
    args = parser.parse_args(argv)
    fields = tuple(args.fields.split(","))
    lut = load_lut("S2A", "summer", "rural", 331, source=args.source, atm_dir=args.atm_dir, bands=BANDS_20M)
    n = args.size
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:n, 0:n].astype(np.float32) / n
    elevation = (3.0 * yy * xx + 0.01 * rng.random((n, n), dtype=np.float32)).astype(np.float32)
    visibility = (5.0 + 115.0 * xx).astype(np.float32)
    wv = (0.5 + 4.0 * yy).astype(np.float32) if args.wv_map else 2.0
    t_weights = t_eval = t_all = 0.0
    total, wall = time.process_time(), time.perf_counter()
    for r0 in range(0, n, 1830):
        for c0 in range(0, n, 915):
            cell = (slice(r0, r0 + 1830), slice(c0, c0 + 915))
            t = time.process_time()
            sub = lut.at_geometry(20.0 + 30.0 * r0 / n, 5.0, 100.0)
            fi = FieldInterpolator(sub, elevation[cell], visibility[cell], wv if np.isscalar(wv) else wv[cell])
            t_weights += time.process_time() - t
            t = time.process_time()
            for f in fields:
                for b in BANDS_20M:
                    fi.evaluate(f, b)
            t_eval += time.process_time() - t
            t = time.process_time()
            for f in fields:
                fi.evaluate_bands(f)
            t_all += time.process_time() - t
    total, wall = time.process_time() - total, time.perf_counter() - wall
    per_field, per_field_all = t_eval / len(fields), t_all / len(fields)
    load = os.getloadavg()[0]
    print(f"{n}x{n} px, {len(BANDS_20M)} bands, source {args.source}, per-pixel elevation+visibility"
          f"{'+WV' if args.wv_map else ''} (CPU seconds; load average {load:.1f} on {os.cpu_count()} cores):\n"
          f"  weights (once per cell): {t_weights:.2f} s\n"
          f"  one field, 12 bands, band by band (evaluate):      {per_field:.2f} s "
          f"({n * n * len(BANDS_20M) / per_field / 1e6:.0f} M values/s)\n"
          f"  one field, 12 bands at once (evaluate_bands):      {per_field_all:.2f} s\n"
          f"  weights + one field for 12 bands:                  {t_weights + per_field:.2f} s\n"
          f"  total run ({len(fields)} fields, both ways): {total:.2f} s CPU, {wall:.2f} s wall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
