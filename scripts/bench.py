#!/usr/bin/env python
"""End-to-end benchmark: generate an L1C product once, run L2A_Process, report time per stage and peak RSS.

    .venv/bin/python scripts/bench.py --work /tmp/sen2cor_bench [--size 10980] [--option ...] [--roi 3000]

The product is generated once into WORK (reused on later calls with the same size and seed). Each run is
a separate process (``python -m sen2cor``); its peak resident memory (process tree) is sampled with psutil
every 0.2 s, and its stage lines (``<stage> <seconds> s (total ...)``) are read from its console output.
Results are printed as a Markdown table ready for docs/performance.md, with the sum of the two
atmospheric-correction lines (20 m and 10 m: LUT choice, retrievals, surface reflectance, encoding of
the corrected layers into the temporary database; issue 7 item 9).

``--roi N`` runs with a copy of the default L2A_GIPP.xml whose Region_Of_Interest is an N x N window
(10 m pixels) centred on the tile (row0 = col0 = size / 2, both rounded down to a multiple of 6).
"""
from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

STAGE_LINE = re.compile(r"^(?P<stage>\S.*?)\s+(?P<seconds>\d+\.\d) s \(total")


def generate(work: Path, size: int, seed: int) -> Path:
    from sen2cor.testing import make_l1c

    folder = work / f"l1c_{size}_{seed}"
    existing = sorted(folder.glob("S2*_MSIL1C_*.SAFE"))
    if existing:
        return existing[0]
    started = time.monotonic()
    product = make_l1c(folder, size_px=size, seed=seed, write_truth=False, num_threads=2)
    print(f"generated {product.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return product


def run(product: Path, out: Path, options: list[str]) -> dict:
    """One L2A_Process run; returns wall seconds, peak RSS (GiB), the stage seconds and the peak RSS
    during each stage (the samples within its reported duration before its console line)."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SEN2COR_HOME=str(out / "home"), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "sen2cor", str(product), "--output_dir", str(out), *options]
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    watched = psutil.Process(proc.pid)
    lines: list[tuple[float, str]] = []   # (arrival time, line)
    samples: list[tuple[float, int]] = []

    def read() -> None:
        for line in proc.stdout:
            lines.append((time.monotonic(), line.rstrip("\n")))

    reader = threading.Thread(target=read)
    reader.start()
    while proc.poll() is None:
        try:
            tree = [watched, *watched.children(recursive=True)]
            samples.append((time.monotonic(), sum(p.memory_info().rss for p in tree)))
        except psutil.NoSuchProcess:
            pass
        time.sleep(0.2)
    reader.join()
    wall = time.monotonic() - started
    if proc.returncode != 0:
        print("\n".join(line for _, line in lines[-20:]), file=sys.stderr)
        raise SystemExit(f"L2A_Process failed with exit code {proc.returncode}")
    stages, stage_peaks = {}, {}
    for t_end, line in lines:
        m = STAGE_LINE.match(line)
        if m:
            name, seconds = m["stage"].strip(), float(m["seconds"])
            stages[name] = seconds
            inside = [rss for t, rss in samples if t_end - seconds - 0.2 <= t <= t_end]
            stage_peaks[name] = max(inside, default=0) / 2**30
    peak = max((rss for _, rss in samples), default=0)
    return {"wall_s": wall, "peak_gib": peak / 2**30, "stages": stages, "stage_peaks": stage_peaks}


def roi_gipp(out: Path, size: int, window: int) -> Path:
    """Default L2A_GIPP.xml with Region_Of_Interest centred on the tile, ``window`` px wide."""
    from sen2cor.config.resources import cfg_dir

    centre = size // 2 - (size // 2) % 6
    text = (cfg_dir() / "L2A_GIPP.xml").read_text()
    for name, value in (("row0", centre), ("col0", centre), ("nrow_win", window), ("ncol_win", window)):
        text, count = re.subn(rf"<{name}>[^<]*</{name}>", f"<{name}>{value}</{name}>", text)
        if count != 1:
            raise SystemExit(f"{cfg_dir() / 'L2A_GIPP.xml'}: expected one <{name}> element, found {count}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / "L2A_GIPP_roi.xml"
    path.write_text(text)
    return path


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--work", type=Path, required=True, help="work folder (products are kept here)")
    ap.add_argument("--size", type=int, default=10980, help="tile side in 10 m pixels (default: full tile)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--option", action="append", default=[], help="extra L2A_Process option (repeatable)")
    ap.add_argument("--roi", type=int, default=0, metavar="N",
                    help="Region_Of_Interest of N x N px (10 m, multiple of 6) centred on the tile")
    args = ap.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    product = generate(args.work, args.size, args.seed)
    out = args.work / f"out_{time.time_ns()}"
    options = list(args.option)
    label = f"{args.size}x{args.size} px"
    if args.roi:
        options += ["--GIP_L2A", str(roi_gipp(out, args.size, args.roi))]
        label = f"ROI {args.roi}x{args.roi} px of {label}"
    load_before = os.getloadavg()[0]
    runs = {label: run(product, out, options)}
    print(f"\nMachine: {machine()}\nCommand: {' '.join(sys.argv)}\n"
          f"Load average (1 min): {load_before:.1f} before the run, {os.getloadavg()[0]:.1f} after it\n")
    stages = list(dict.fromkeys(s for r in runs.values() for s in r["stages"]))
    print("| stage | " + " | ".join(f"{label} | peak RSS" for label in runs) + " |")
    print("|---|" + "---|---|" * len(runs))
    for stage in stages:
        print(f"| {stage} | " + " | ".join(f"{r['stages'].get(stage, float('nan')):.1f} s | "
                                           f"{r['stage_peaks'].get(stage, float('nan')):.2f} GiB"
                                           for r in runs.values()) + " |")
    ac_stages = [f"{res} m: atmospheric correction" for res in (20, 10)]
    ac = [f"{sum(r['stages'][s] for s in ac_stages):.1f} s" if all(s in r["stages"] for s in ac_stages)
          else "-" for r in runs.values()]
    print("| atmospheric correction 20 m + 10 m | " + " | ".join(f"{a} | " for a in ac) + " |")
    print("| **wall time** | " + " | ".join(f"{r['wall_s']:.1f} s | " for r in runs.values()) + " |")
    print("| **peak RSS** | " + " | ".join(f" | {r['peak_gib']:.2f} GiB" for r in runs.values()) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
