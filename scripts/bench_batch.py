#!/usr/bin/env python
"""Batch benchmark: N generated products, a serial loop of L2A_Process against L2A_Batch, same machine, same run.

    flock /work/heavy.lock nice -n 10 .venv/bin/python scripts/bench_batch.py --work /tmp/bench_batch

1. Generates ``--count`` L1C products of ``--size`` x ``--size`` px (10 m), seeds 1..N and one acquisition
   date each (kept in WORK and reused by later calls).
2. Serial: one ``L2A_Process <product> --output_dir WORK/serial`` after the other, as a shell loop does; wall
   time, CPU time (user + system) and peak RSS of each process (``wait4``).
3. Batch: ``L2A_Batch <products> --output_dir WORK/batch`` with the default cluster (sized from this machine);
   wall time and CPU time of the whole command (workers included), peak RSS of each product from
   ``batch_summary.json`` (the worker process's peak during that product).
4. Checks that both give the same quality indicators for every product, then prints the throughput of
   each (products per hour), their ratio, the memory per worker, the machine (CPUs, memory) and the
   1-minute load average before and after each phase, as Markdown for docs/performance.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

import psutil


def generate(work: Path, size: int, count: int) -> list[Path]:
    from sen2cor.testing import make_l1c

    products = []
    for seed in range(1, count + 1):
        folder = work / f"l1c_{size}_{seed}"
        existing = sorted(folder.glob("S2*_MSIL1C_*.SAFE"))
        if existing:
            products.append(existing[0])
            continue
        started = time.monotonic()
        when = date(2022, 6, 1) + timedelta(days=5 * seed)
        product = make_l1c(folder, size_px=size, seed=seed, acquisition_date=when, write_truth=False, num_threads=2)
        print(f"generated {product.name} in {time.monotonic() - started:.0f} s", file=sys.stderr)
        products.append(product)
    return products


def timed(cmd: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run ``cmd``; wall s, CPU s (user + system of it and its reaped descendants), peak RSS GiB of the largest
    process among them (ru_maxrss)."""
    started = time.monotonic()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.monotonic() - started
    if process.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited with {process.returncode}:\n{output[-3000:]}")
    return {"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_gib": usage.ru_maxrss / 2**20,
            "output": output}


def quality(out: Path) -> dict[str, dict[str, str]]:
    from sen2cor.api import read_product_quality

    result = {}
    for product in sorted(out.glob("S2*_MSIL2A_*.SAFE")):
        values = dict(read_product_quality(product).values)
        result[product.name.split("_N")[0]] = values
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_batch"))
    parser.add_argument("--size", type=int, default=1830, help="product side in 10 m pixels (1830)")
    parser.add_argument("--count", type=int, default=8, help="number of products (8)")
    parser.add_argument("--option", action="append", default=[], help="extra L2A_Process option, repeatable")
    args = parser.parse_args()
    work = args.work.absolute()
    products = generate(work, args.size, args.count)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, SEN2COR_HOME=str(work / "home"))
    for name in ("serial", "batch"):
        shutil.rmtree(work / name, ignore_errors=True)

    load = {"serial_before": os.getloadavg()[0]}
    serial = []
    started = time.monotonic()
    for product in products:
        serial.append(timed([str(bin_dir / "L2A_Process"), str(product), "--output_dir", str(work / "serial"),
                             *args.option], env))
    serial_wall = time.monotonic() - started
    load["serial_after"] = load["batch_before"] = os.getloadavg()[0]
    batch = timed([str(bin_dir / "L2A_Batch"), *map(str, products), "--output_dir", str(work / "batch"),
                   "--progress", "lines", *args.option], env)
    load["batch_after"] = os.getloadavg()[0]
    summary = json.loads((work / "batch" / "batch_summary.json").read_text())
    rows = summary["products"]
    if [r["status"] for r in rows] != ["processed"] * len(products):
        sys.exit(f"batch did not process every product: {[r['status'] for r in rows]}")
    same = quality(work / "serial") == quality(work / "batch")

    n = len(products)
    serial_rate, batch_rate = 3600 * n / serial_wall, 3600 * n / batch["wall_s"]
    per_product = [r["peak_rss_mib"] / 1024 for r in rows]
    print(f"machine: {platform.node()}, {psutil.cpu_count()} CPUs, {psutil.virtual_memory().total / 2**30:.1f} GiB, "
          f"Python {platform.python_version()}; {n} products of {args.size} x {args.size} px; "
          f"options: {' '.join(args.option) or '(default)'}")
    print(f"batch cluster: {summary['batch']['cluster']}")
    print()
    print("| | serial loop of L2A_Process | L2A_Batch (default cluster) |")
    print("|---|---|---|")
    print(f"| wall time | {serial_wall:.1f} s | {batch['wall_s']:.1f} s |")
    print(f"| CPU time (user + system) | {sum(s['cpu_s'] for s in serial):.1f} s | {batch['cpu_s']:.1f} s |")
    print(f"| throughput | {serial_rate:.0f} products/h | {batch_rate:.0f} products/h |")
    print(f"| wall time per product (mean) | {sum(s['wall_s'] for s in serial) / n:.1f} s | "
          f"{sum(r['wall_time_s'] for r in rows) / n:.1f} s (on its worker) |")
    print(f"| peak RSS per product (max) | {max(s['peak_gib'] for s in serial):.2f} GiB (process) | "
          f"{max(per_product):.2f} GiB (worker during the product) |")
    print(f"| load average (1 min) before / after | {load['serial_before']:.1f} / {load['serial_after']:.1f} | "
          f"{load['batch_before']:.1f} / {load['batch_after']:.1f} |")
    print()
    print(f"throughput ratio L2A_Batch / serial: {batch_rate / serial_rate:.2f}")
    print(f"quality indicators identical in both runs: {same}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
