#!/usr/bin/env python
"""End-to-end benchmark: generate an L1C product once, run L2A_Process per case, report time, CPU and memory.

    .venv/bin/python scripts/bench.py --work /work/bench [--case flat --case dem --case roi] [--size 10980]

Cases (default: ``flat`` and ``dem``, the two of issue 17), each ``L2A_Process <L1C> --resolution 10``:

* ``flat``: the default L2A_GIPP.xml (no DEM): target <= 190 s wall, <= 2.0 GiB peak RSS;
* ``dem``: a copy of L2A_GIPP.xml with DEM_Directory naming SRTM 3" geocells of rolling terrain
  (200-1400 m, :func:`rolling_terrain_m`) written once into WORK: terrain correction, DEM-assisted
  classification; target <= 240 s, <= 2.5 GiB;
* ``roi``: the default GIPP with a Region_Of_Interest of ``--roi`` px (default 3000) centred on the tile
  (row0 = col0 = size / 2 rounded down to a multiple of 6): target <= 15 % of the flat run's time.

The product is generated once into WORK (reused on later calls with the same size and seed). Each run is
a separate process (``python -m sen2cor``); its peak resident memory (process tree) is sampled with psutil
every 0.2 s, its CPU seconds (user + system, all threads) come from the kernel's accounting of the child,
and its stage lines (``<stage> <seconds> s (total ...)``) are read from its console output; the 1-minute
load average is printed before and after each run (wall time is inflated by other load, CPU time and
memory much less). Results are printed as a Markdown table ready for docs/performance.md, with the
ratio of each run to its target.
"""
from __future__ import annotations

import argparse
import os
import platform
import resource
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
    """One L2A_Process run; returns wall and CPU seconds, peak RSS (GiB), the load average before and
    after, the stage seconds and the peak RSS during each stage (the samples within its reported
    duration before its console line)."""
    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, SEN2COR_HOME=str(out / "home"), PYTHONUNBUFFERED="1")
    cmd = [sys.executable, "-m", "sen2cor", str(product), "--output_dir", str(out), *options]
    load_before = os.getloadavg()[0]
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    watched = psutil.Process(proc.pid)
    lines: list[tuple[float, str, float]] = []   # (arrival time, line, CPU seconds of the run so far)
    samples: list[tuple[float, int]] = []

    def cpu_seconds() -> float:
        try:
            times = watched.cpu_times()
            return times.user + times.system + times.children_user + times.children_system
        except psutil.NoSuchProcess:
            return float("nan")

    def read() -> None:
        for line in proc.stdout:
            lines.append((time.monotonic(), line.rstrip("\n"), cpu_seconds()))

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
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
    if proc.returncode != 0:
        print("\n".join(line for _, line, _ in lines[-20:]), file=sys.stderr)
        raise SystemExit(f"L2A_Process failed with exit code {proc.returncode}")
    stages, stage_peaks, stage_cpu = {}, {}, {}
    cpu_before = 0.0
    for t_end, line, cpu_end in lines:
        m = STAGE_LINE.match(line)
        if m:
            name, seconds = m["stage"].strip(), float(m["seconds"])
            stages[name] = seconds
            inside = [rss for t, rss in samples if t_end - seconds - 0.2 <= t <= t_end]
            stage_peaks[name] = max(inside, default=0) / 2**30
            if not name.endswith(" processing"):   # the per-resolution totals overlap their steps
                stage_cpu[name], cpu_before = cpu_end - cpu_before, cpu_end
    peak = max((rss for _, rss in samples), default=0)
    progress = [line for _, line, _ in lines if line.startswith("Progress[%]")]
    return {"wall_s": wall, "cpu_s": cpu, "peak_gib": peak / 2**30, "stages": stages, "stage_peaks": stage_peaks,
            "stage_cpu": stage_cpu, "load": (load_before, os.getloadavg()[0]), "progress_lines": len(progress)}


def gipp_copy(out: Path, name: str, values: dict[str, object]) -> Path:
    """The default L2A_GIPP.xml with the text of the elements in ``values`` replaced (each must occur once)."""
    from sen2cor.config.resources import cfg_dir

    source = cfg_dir() / "L2A_GIPP.xml"
    text = source.read_text()
    for element, value in values.items():
        text, count = re.subn(rf"<{element}>[^<]*</{element}>", f"<{element}>{value}</{element}>", text)
        if count != 1:
            raise SystemExit(f"{source}: expected one <{element}> element, found {count}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    path.write_text(text)
    return path


def roi_gipp(out: Path, size: int, window: int) -> Path:
    """Default L2A_GIPP.xml with Region_Of_Interest centred on the tile, ``window`` px wide."""
    centre = size // 2 - (size // 2) % 6
    return gipp_copy(out, "L2A_GIPP_roi.xml", {"row0": centre, "col0": centre, "nrow_win": window,
                                               "ncol_win": window})


def rolling_terrain_m(lon_deg, lat_deg):
    """The DEM case's terrain: rolling hills of 200-1400 m (wavelengths ~10-40 km, slopes up to ~15 deg)."""
    import numpy as np

    big = np.sin(2 * np.pi * lon_deg / 0.45) * np.cos(2 * np.pi * lat_deg / 0.3)
    small = np.sin(2 * np.pi * (lon_deg + lat_deg) / 0.13)
    return (800.0 + 450.0 * big + 150.0 * small).astype(np.float32)


def dem_gipp(product: Path, out: Path) -> Path:
    """SRTM 3" geocells of :func:`rolling_terrain_m` over the tile (written once beside the product) and
    a GIPP copy in ``out`` whose DEM_Directory names them."""
    from sen2cor.dem import grid_from_product
    from sen2cor.dem.sources import DemFormat
    from sen2cor.dem.synthetic import write_geocells_for_grid
    from sen2cor.l1c import read_l1c_product

    folder = product.parent / "dem"   # beside the product: one per size and seed
    if not (folder / "complete").exists():
        grid = grid_from_product(read_l1c_product(product), 20)
        write_geocells_for_grid(DemFormat.SRTM, folder, grid, rolling_terrain_m, margin_deg=0.1)
        (folder / "complete").touch()
    return gipp_copy(out, "L2A_GIPP_dem.xml", {"DEM_Directory": folder})


#: Targets of issue 17 per case: (wall seconds, peak RSS GiB); the ROI's wall target is relative to flat.
TARGETS = {"flat": (190.0, 2.0), "dem": (240.0, 2.5)}
ROI_SHARE = 0.15


def machine() -> str:
    return (f"{platform.processor() or platform.machine()}, {psutil.cpu_count()} cores, "
            f"{psutil.virtual_memory().total / 2**30:.0f} GiB RAM, Python {platform.python_version()}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    ap.add_argument("--work", type=Path, required=True, help="work folder (products are kept here)")
    ap.add_argument("--case", action="append", choices=("flat", "dem", "roi"),
                    help="case to run (repeatable; default: flat and dem)")
    ap.add_argument("--size", type=int, default=10980, help="tile side in 10 m pixels (default: full tile)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--option", action="append", default=[], help="extra L2A_Process option (repeatable)")
    ap.add_argument("--roi", type=int, default=3000, metavar="N",
                    help="the roi case's window: N x N px (10 m, multiple of 6) centred on the tile")
    args = ap.parse_args(argv)
    cases = args.case or ["flat", "dem"]
    args.work.mkdir(parents=True, exist_ok=True)
    product = generate(args.work, args.size, args.seed)
    runs = {}
    for case in cases:
        out = args.work / f"out_{case}_{time.time_ns()}"
        options = ["--resolution", "10", *args.option]
        if case == "dem":
            options += ["--GIP_L2A", str(dem_gipp(product, out))]
        elif case == "roi":
            options += ["--GIP_L2A", str(roi_gipp(out, args.size, args.roi))]
        runs[case] = run(product, out, options)
        r = runs[case]
        print(f"{case}: wall {r['wall_s']:.1f} s, CPU {r['cpu_s']:.1f} s, peak RSS {r['peak_gib']:.2f} GiB, "
              f"load {r['load'][0]:.1f} -> {r['load'][1]:.1f}", file=sys.stderr, flush=True)
    print(f"\nMachine: {machine()}\nCommand: {' '.join(sys.argv)}\nProduct: {product.name} "
          f"({args.size} x {args.size} px)\n")
    print("| stage | " + " | ".join(f"{case}: wall | CPU | peak RSS" for case in runs) + " |")
    print("|---|" + "---|---|---|" * len(runs))
    stages = list(dict.fromkeys(s for r in runs.values() for s in r["stages"]))
    nan = float("nan")
    for stage in stages:
        print(f"| {stage} | " + " | ".join(f"{r['stages'].get(stage, nan):.1f} s | "
                                           f"{r['stage_cpu'].get(stage, nan):.1f} s | "
                                           f"{r['stage_peaks'].get(stage, nan):.2f} GiB"
                                           for r in runs.values()) + " |")
    ac_stages = [f"{res} m: atmospheric correction" for res in (20, 10)]
    ac = [f"{sum(r['stages'][s] for s in ac_stages):.1f} s | {sum(r['stage_cpu'][s] for s in ac_stages):.1f} s"
          if all(s in r["stages"] for s in ac_stages) else "- | -" for r in runs.values()]
    print("| atmospheric correction 20 m + 10 m | " + " | ".join(f"{a} | " for a in ac) + " |")
    print("| **run** (wall, CPU = user + system, peak RSS) | " + " | ".join(
        f"**{r['wall_s']:.1f} s** | {r['cpu_s']:.1f} s | **{r['peak_gib']:.2f} GiB**" for r in runs.values()) + " |")
    print("| load average before / after | " + " | ".join(f"{r['load'][0]:.1f} / {r['load'][1]:.1f} | | "
                                                       for r in runs.values()) + " |")
    print("| Progress[%] lines | " + " | ".join(f"{r['progress_lines']} | | " for r in runs.values()) + " |")
    print()
    for case, r in runs.items():
        if case in TARGETS:
            wall, gib = TARGETS[case]
            print(f"{case}: wall {r['wall_s']:.1f} s / target {wall:.0f} s = {r['wall_s'] / wall:.2f}; "
                  f"peak RSS {r['peak_gib']:.2f} GiB / target {gib:.1f} GiB = {r['peak_gib'] / gib:.2f}")
        elif case == "roi" and "flat" in runs:
            share = r["wall_s"] / runs["flat"]["wall_s"]
            print(f"roi: wall {r['wall_s']:.1f} s = {100 * share:.1f} % of the flat run / target "
                  f"{100 * ROI_SHARE:.0f} % = {share / ROI_SHARE:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
