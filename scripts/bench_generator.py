#!/usr/bin/env python
"""Time and peak memory of sen2cor.testing product generation.

    nice -n 19 .venv/bin/python scripts/bench_generator.py --size 10980 --out /tmp/bench_l1c [--threads 2]

Prints one line per run: size, wall time, CPU time (all threads), 1-min load average at the end, peak RSS
(sampled with psutil every 0.2 s), output size.
"""
from __future__ import annotations

import argparse
import shutil
import threading
import time
from pathlib import Path

import psutil

from sen2cor.testing import make_l1c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", type=int, nargs="+", default=[600])
    ap.add_argument("--out", type=Path, default=Path("/tmp/bench_l1c"))
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-truth", action="store_true")
    ap.add_argument("--keep", action="store_true")
    args = ap.parse_args()
    proc = psutil.Process()
    for size in args.size:
        out = args.out / f"s{size}"
        shutil.rmtree(out, ignore_errors=True)
        peak = [proc.memory_info().rss]
        done = threading.Event()

        def sample() -> None:
            while not done.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                time.sleep(0.2)

        t = threading.Thread(target=sample, daemon=True)
        t.start()
        t0 = time.perf_counter()
        c0 = proc.cpu_times()
        safe = make_l1c(out, size_px=size, seed=0, num_threads=args.threads, write_truth=not args.no_truth)
        wall = time.perf_counter() - t0
        c1 = proc.cpu_times()
        cpu = (c1.user - c0.user) + (c1.system - c0.system)
        done.set()
        t.join()
        total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
        print(f"size={size} wall_s={wall:.1f} cpu_s={cpu:.1f} load1={psutil.getloadavg()[0]:.1f} "
              f"peak_rss_MB={peak[0] / 2**20:.0f} "
              f"output_MB={total / 2**20:.1f} product={safe.name}", flush=True)
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
