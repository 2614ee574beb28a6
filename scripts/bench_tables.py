#!/usr/bin/env python
"""Benchmark of the Tables layer on a full-size synthetic tile (10980 x 10980 at 10 m).

1. synthesise the 13 L1C band JP2s (skipped when --l1c-dir already holds them);
2. import: decode every band once (OpenJPEG, --threads) into the image database;
3. staging: TOA reflectance of the 20 m stage (12 bands) and the 10 m stage (4 bands);
4. export: every image output of a full product (R10m, R20m, R60m incl. AOT, WVP, SCL, TCI,
   QI masks at 20/60 m, PVI), one layer dict per resolution through writers.write_resolution
   (two files encoded at once when --threads >= 2, as two bands are decoded at once in the
   import; --serial-files for one file at a time in both).
Reports seconds per phase and the peak RSS (psutil, sampled every 0.1 s, and ru_maxrss).

    nice -n 19 .venv/bin/python scripts/bench_tables.py --work /tmp/bench_tables --threads 2
    nice -n 19 .venv/bin/python scripts/bench_tables.py --threads 2 --compare-export 3   # R20m only
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import psutil

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M, TILE_SIZE_PX
from sen2cor.io.geo import Geocoding
from sen2cor.io.jp2 import L2A_PROFILES, write_jp2
from sen2cor.tables import radiometry, staging, writers
from sen2cor.tables.resample import downsample_mean, downsample_median, resample_band
from sen2cor.tables.staging import import_bands, stage_resolution
from sen2cor.tables.store import open_databases

GEO10 = Geocoding(499980.0, 5900040.0, 10.0, -10.0, 32629)
PREFIX = "T29UNU_20221005T115411"


class PeakRss:
    """Samples the process RSS (every 0.1 s) and the load average (every 5 s) in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self.loads: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._proc = psutil.Process()

    def _run(self) -> None:
        ticks = 0
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            if ticks % 50 == 0:
                self.loads.append(os.getloadavg()[0])
            ticks += 1
            time.sleep(0.1)

    def take(self) -> int:
        """Peak since the last call (and restart the peak from the current RSS)."""
        peak, self.peak = self.peak, self._proc.memory_info().rss
        return max(peak, self.peak)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _cpu() -> float:
    """CPU seconds (user + system, all threads) used by this process so far."""
    times = psutil.Process().cpu_times()
    return times.user + times.system


def synthetic_band(n: int, seed: int) -> np.ndarray:
    """Land-like DN: smooth 2 km-scale field (bilinear-ish blocks) + per-pixel noise, 1000..6000."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(1500, 5000, (n // 60 + 1, n // 60 + 1)).astype(np.uint16)
    field = np.repeat(np.repeat(coarse, 60, axis=0), 60, axis=1)[:n, :n]
    return field + rng.integers(0, 200, (n, n), dtype=np.uint16)


def make_l1c(folder: Path, threads: int) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for i, band in enumerate(BAND_IDS):
        res = NATIVE_RESOLUTION_M[band]
        path = folder / f"{PREFIX}_{band}.jp2"
        if not path.exists():
            start = time.perf_counter()
            write_jp2(path, synthetic_band(TILE_SIZE_PX[res], i), GEO10.at_resolution(res),
                      L2A_PROFILES[res], nr_threads=threads)
            print(f"  synthesised {band} ({res} m) in {time.perf_counter() - start:.1f} s", flush=True)
        paths[band] = path
    return paths


def export_all(img, granule: Path, threads: int) -> int:
    """Write every image output of a full product resolution by resolution as the processing
    chain does (tile_outputs: one layer dict per resolution -> writers.write_resolution, QI
    masks, PVI); returns the number of files."""
    written = []
    qi = granule / "QI_DATA"
    n = {r: TILE_SIZE_PX[r] for r in (10, 20, 60)}
    # 10 m: B02, B03, B04, B08, AOT, WVP, TCI; PVI from the 10 m TCI
    layers = {band: img.get(band, 10) for band in ("B02", "B03", "B04", "B08")}
    layers["AOT"] = np.full((n[10],) * 2, 150, np.uint16)
    layers["WVP"] = np.full((n[10],) * 2, 1800, np.uint16)
    written += writers.write_resolution(granule, PREFIX, 10, layers, GEO10, nr_threads=threads)
    tci = writers.TciTiles(layers["B04"], layers["B03"], layers["B02"], radiometry.BOA_ADD_OFFSET)
    written.append(writers.write_pvi(qi, PREFIX, tci, GEO10))  # samples 343 x 343 pixels only
    del tci, layers
    # 20 m: every band resampled to 20 m, AOT, WVP, SCL, TCI; CLDPRB/SNWPRB
    layers = {}
    for band in writers.output_names(20):
        if band in BAND_IDS:
            native = NATIVE_RESOLUTION_M[band]
            layers[band] = resample_band(band, img.get(band, native), native, 20)
    layers["AOT"] = np.full((n[20],) * 2, 150, np.uint16)
    layers["WVP"] = np.full((n[20],) * 2, 1800, np.uint16)
    layers["SCL"] = (layers["B05"] % 12).astype(np.uint8)
    written += writers.write_resolution(granule, PREFIX, 20, layers, GEO10, nr_threads=threads)
    masks = {kind: (layers[band] % 101).astype(np.uint8)
             for kind, band in (("CLDPRB", "B05"), ("SNWPRB", "B06"))}
    written += writers.write_qi_masks(qi, 20, masks, GEO10.at_resolution(20), nr_threads=threads)
    # 60 m: 3x3 means of the 20 m layers (B09 native), 3x3 median SCL; masks by 3x3 means
    layers60 = {name: downsample_mean(array, 3) for name, array in layers.items() if name != "SCL"}
    layers60["B09"] = img.get("B09", 60)
    layers60["SCL"] = downsample_median(layers["SCL"], 3)
    del layers
    written += writers.write_resolution(granule, PREFIX, 60, layers60, GEO10, nr_threads=threads)
    masks60 = {kind: downsample_mean(mask, 3) for kind, mask in masks.items()}
    written += writers.write_qi_masks(qi, 60, masks60, GEO10.at_resolution(60), nr_threads=threads)
    return len(written)


def compare_export(work: Path, threads: int, repeats: int) -> None:
    """Write the 14 R20m files of a synthetic 5490 x 5490 product alternately one file at a
    time and two at once (``repeats`` times each, interleaved so that both see the same load)."""
    layers = {band: synthetic_band(TILE_SIZE_PX[20], i) for i, band in enumerate(writers.output_names(20))
              if band in BAND_IDS}
    layers["AOT"] = np.full((TILE_SIZE_PX[20],) * 2, 150, np.uint16)
    layers["WVP"] = np.full((TILE_SIZE_PX[20],) * 2, 1800, np.uint16)
    layers["SCL"] = (layers["B05"] % 12).astype(np.uint8)
    results: dict[int, list[tuple[float, float]]] = {1: [], 2: []}
    for _ in range(repeats):
        for at_once in (1, 2):
            writers.MAX_FILES_AT_ONCE = at_once
            t0, c0, load = time.perf_counter(), _cpu(), os.getloadavg()[0]
            writers.write_resolution(work / "compare", PREFIX, 20, layers, GEO10, nr_threads=threads)
            results[at_once].append((time.perf_counter() - t0, _cpu() - c0))
            print(f"  R20m, {at_once} file(s) at once, {threads} OpenJPEG threads each: "
                  f"{results[at_once][-1][0]:.1f} s wall, {results[at_once][-1][1]:.1f} s CPU, "
                  f"load {load:.1f} -> {os.getloadavg()[0]:.1f}", flush=True)
    shutil.rmtree(work / "compare", ignore_errors=True)
    for at_once, runs in results.items():
        wall, cpu = (sorted(r[k] for r in runs)[len(runs) // 2] for k in (0, 1))
        print(f"R20m {at_once} file(s) at once: median {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"over {len(runs)} runs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_tables"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compression-level", type=int, default=0)
    parser.add_argument("--complib", default="blosc2")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic L1C bands")
    parser.add_argument("--serial-files", action="store_true",
                        help="decode and encode one file at a time (the code before files were paired)")
    parser.add_argument("--compare-export", type=int, default=0, metavar="REPEATS",
                        help="only compare one vs two files at once on the R20m files (no import)")
    args = parser.parse_args()
    if args.compare_export:
        compare_export(args.work, args.threads, args.compare_export)
        return
    if args.serial_files:
        writers.MAX_FILES_AT_ONCE = staging.BANDS_AT_ONCE = 1
    l1c_dir, granule = args.work / "l1c", args.work / "L2A_T29UNU"
    shutil.rmtree(granule, ignore_errors=True)
    print(f"synthetic L1C in {l1c_dir}", flush=True)
    start = time.perf_counter()
    paths = make_l1c(l1c_dir, args.threads)
    print(f"synthesis: {time.perf_counter() - start:.1f} s", flush=True)
    times = {}
    with PeakRss() as rss:
        with open_databases("T29UNU", granule, compression_level=args.compression_level,
                            complib=args.complib) as (img, tmp):
            t0, c0 = time.perf_counter(), _cpu()
            import_bands(img, paths, nr_threads=args.threads)
            times["import 13 bands (JP2 -> HDF5)"] = (time.perf_counter() - t0, _cpu() - c0, rss.take())
            t0, c0 = time.perf_counter(), _cpu()
            offsets = dict.fromkeys(BAND_IDS, -1000)
            stage_resolution(img, tmp, 20, quantification=10000.0, add_offset=offsets)
            tmp.renew([])
            stage_resolution(img, tmp, 10, quantification=10000.0, add_offset=offsets)
            times["staging 20 m + 10 m (resample, TOA float32)"] = (time.perf_counter() - t0, _cpu() - c0,
                                                                     rss.take())
            t0, c0 = time.perf_counter(), _cpu()
            files = export_all(img, granule, args.threads)
            times[f"export {files} files (JP2 + GML)"] = (time.perf_counter() - t0, _cpu() - c0, rss.take())
            db_sizes = (img.path.stat().st_size, tmp.path.stat().st_size)
    print(f"threads={args.threads} files at once: import {min(staging.BANDS_AT_ONCE, args.threads)}, "
          f"export {writers.files_at_once(args.threads, 99)}; "
          f"compression_level={args.compression_level} complib={args.complib} "
          f"on {os.cpu_count()} CPUs; 1-min load average during the run (every 5 s): min "
          f"{min(rss.loads):.1f}, mean {sum(rss.loads) / len(rss.loads):.1f}, max {max(rss.loads):.1f}")
    for name, (wall, cpu, peak) in times.items():
        print(f"  {name}: {wall:.1f} s wall, {cpu:.1f} s CPU, peak RSS {peak / 2**30:.2f} GiB")
    print(f"  total: {sum(t[0] for t in times.values()):.1f} s wall, "
          f"{sum(t[1] for t in times.values()):.1f} s CPU (user + system)")
    print(f"  image db {db_sizes[0] / 1e6:.0f} MB, temporary db {db_sizes[1] / 1e6:.0f} MB (at the end)")
    print(f"  peak RSS: {max(t[2] for t in times.values()) / 2**30:.2f} GiB (psutil), "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB (ru_maxrss)")
    shutil.rmtree(granule, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(l1c_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
