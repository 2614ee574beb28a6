#!/usr/bin/env python
"""Peak size of the temporary HDF5 databases of one run, against the size of the finished product.

    .venv/bin/python scripts/database_peak.py --work /tmp/sen2cor_dbpeak [--size 1830] [--option --resolution 20]

Generates an L1C product once into WORK (reused), runs ``python -m sen2cor`` with --img_database_dir and
--res_database_dir pointing at WORK/db, samples the total size (allocated blocks) of the files there every
20 ms, and prints the peak, the size of the published L2A product and their ratio (docs/tables.md).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path


def allocated_bytes(folder: Path) -> int:
    """Disk space taken by the files below ``folder`` (st_blocks, so sparse regions do not count)."""
    total = 0
    for root, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(root, name)).st_blocks * 512
            except FileNotFoundError:
                continue
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--size", type=int, default=1830, help="10 m pixels per side of the generated tile")
    parser.add_argument("--option", action="append", default=[], help="extra L2A_Process option (repeatable)")
    args = parser.parse_args(argv)

    from sen2cor.testing import make_l1c

    work = args.work.absolute()
    source = work / f"l1c_{args.size}"
    safes = sorted(source.glob("S2*_MSIL1C_*.SAFE"))
    l1c = safes[0] if safes else make_l1c(source, size_px=args.size, seed=0, write_truth=False)
    db, out = work / "db", work / "out"
    for folder in (db, out):
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("*"):
            subprocess.run(["rm", "-rf", str(old)], check=True)
    env = dict(os.environ, SEN2COR_HOME=str(work / "home"))
    command = [sys.executable, "-m", "sen2cor", str(l1c), "--output_dir", str(out), "--img_database_dir", str(db),
               "--res_database_dir", str(db), *args.option]
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, allocated_bytes(db))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    done.set()
    sampler.join()
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return result.returncode
    (product,) = out.glob("S2*_MSIL2A_*.SAFE")
    size = allocated_bytes(product)
    print(f"| {args.size} px | {' '.join(args.option) or '(defaults)'} | {peak / 2**20:.1f} MiB | "
          f"{size / 2**20:.1f} MiB | {peak / size:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
