#!/usr/bin/env python
"""Cost of ``--cog`` against the default JPEG 2000 outputs on one product (default: a full tile).

    flock /work/heavy.lock nice -n 10 .venv/bin/python scripts/bench_cog.py --work /tmp/sen2cor_bench_cog

Generates the L1C product once into WORK (as scripts/bench.py, reused later), then runs
``L2A_Process --resolution 10`` twice, with the default JPEG 2000 outputs and with ``--cog`` (plus any
``--option``), each in its own process. Per run: wall time, CPU seconds (user + sys of the run and its
children, from getrusage), peak RSS of the process tree (psutil samples every 0.2 s), the seconds of the
output stages (``<res> m: outputs``, ``60 m downsampling``) and the bytes of IMG_DATA + QI_DATA images.
Wall times on a shared machine are not comparable: read the CPU seconds, and re-run on a quiet machine.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import generate, machine, run  # scripts/bench.py beside this file

OUTPUT_STAGES = ("20 m: outputs", "10 m: outputs", "60 m downsampling", "quicklook")
IMAGE_SUFFIXES = (".jp2", ".tif")


def image_bytes(out: Path) -> int:
    """Bytes of the images written by the run (IMG_DATA, and QI_DATA without the copied L1C masks)."""
    total = 0
    for path in out.glob("S2*_MSIL2A_*.SAFE/GRANULE/*/*_DATA/**/*"):
        if path.suffix in IMAGE_SUFFIXES and not path.name.startswith(("MSK_DETFOO", "MSK_QUALIT", "MSK_CLASSI")):
            total += path.stat().st_size
    return total


def measured_run(product: Path, out: Path, options: list[str]) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = run(product, out, options)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_s"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    result["image_bytes"] = image_bytes(out)
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="work folder (the L1C product is kept here)")
    ap.add_argument("--size", type=int, default=10980, help="tile side in 10 m pixels (default: full tile)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--option", action="append", default=[], help="extra L2A_Process option for both runs")
    ap.add_argument("--keep", action="store_true", help="keep the L2A outputs (default: removed after measuring)")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    product = generate(args.work, args.size, args.seed)
    load_before = os.getloadavg()[0]
    runs = {}
    for label, extra in (("JPEG 2000 (default)", []), ("--cog", ["--cog"])):
        out = args.work / f"out_{label.split()[0].strip('-').lower()}_{time.time_ns()}"
        runs[label] = measured_run(product, out, ["--resolution", "10", *args.option, *extra])
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    print(f"\nMachine: {machine()}\nCommand: {' '.join(sys.argv)}\n"
          f"Load average (1 min): {load_before:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    labels = list(runs)
    print("| | " + " | ".join(labels) + " |")
    print("|---|" + "---|" * len(labels))
    rows = [("CPU seconds (user + sys)", lambda r: f"{r['cpu_s']:.0f} s"),
            ("wall time", lambda r: f"{r['wall_s']:.0f} s"),
            ("peak RSS", lambda r: f"{r['peak_gib']:.2f} GiB"),
            ("images written", lambda r: f"{r['image_bytes'] / 2**20:.0f} MiB")]
    rows += [(stage, lambda r, s=stage: f"{r['stages'].get(s, float('nan')):.1f} s") for stage in OUTPUT_STAGES]
    for name, cell in rows:
        print(f"| {name} | " + " | ".join(cell(runs[label]) for label in labels) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
