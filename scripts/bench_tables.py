#!/usr/bin/env python
"""Benchmark of the Tables layer on a full-size synthetic tile (10980 x 10980 at 10 m).

1. synthesise the 13 L1C band JP2s (skipped when --l1c-dir already holds them);
2. import: decode every band once (OpenJPEG, --threads) into the image database;
3. staging: TOA reflectance of the 20 m stage (12 bands) and the 10 m stage (4 bands);
4. export: every image output of a full product (R10m, R20m, R60m incl. AOT, WVP, SCL, TCI,
   QI masks at 20/60 m, PVI), written from uint16/uint8 arrays as the writer receives them.
Reports seconds per phase and the peak RSS (psutil, sampled every 0.1 s, and ru_maxrss).

    nice -n 19 .venv/bin/python scripts/bench_tables.py --work /tmp/bench_tables --threads 2
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
from sen2cor.tables import radiometry, writers
from sen2cor.tables.resample import downsample_mean, downsample_median, resample_band
from sen2cor.tables.staging import import_bands, stage_resolution
from sen2cor.tables.store import open_databases

GEO10 = Geocoding(499980.0, 5900040.0, 10.0, -10.0, 32629)
PREFIX = "T29UNU_20221005T115411"


class PeakRss:
    """Samples the process RSS in a thread."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._proc = psutil.Process()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.1)

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
    """Write every image output of a full product band by band (as the processing chain
    does: one full-size 10 m array alive at a time); returns the number of files."""
    written = []
    img10, img20, img60 = (granule / "IMG_DATA" / f"R{r}m" for r in (10, 20, 60))
    qi = granule / "QI_DATA"
    geo = {r: GEO10.at_resolution(r) for r in (10, 20, 60)}
    # 10 m: bands, AOT, WVP, TCI, PVI
    for band in ("B02", "B03", "B04", "B08"):
        written.append(writers.write_band(img10, PREFIX, band, 10, img.get(band, 10), geo[10], nr_threads=threads))
    for name, value in (("AOT", 150), ("WVP", 1800)):
        const = np.full((TILE_SIZE_PX[10],) * 2, value, np.uint16)
        written.append(writers.write_band(img10, PREFIX, name, 10, const, geo[10], nr_threads=threads))
        del const
    tci = radiometry.tci_from_boa_dn(img.get("B04", 10), img.get("B03", 10), img.get("B02", 10))
    written.append(writers.write_image(img10 / f"{PREFIX}_TCI_10m.jp2", tci, geo[10],
                                       profile=writers.jp2.TCI_PROFILE, nr_threads=threads))
    written.append(writers.write_pvi(qi, PREFIX, tci, geo[10]))
    del tci
    # 20 m and 60 m (60 m = 3x3 means of the 20 m product; B09 native)
    rgb20 = {}
    for band in writers.output_names(20):
        if band not in BAND_IDS:
            continue
        native = NATIVE_RESOLUTION_M[band]
        dn20 = resample_band(band, img.get(band, native), native, 20)
        written.append(writers.write_band(img20, PREFIX, band, 20, dn20, geo[20], nr_threads=threads))
        written.append(writers.write_band(img60, PREFIX, band, 60, downsample_mean(dn20, 3), geo[60],
                                          nr_threads=threads))
        if band in ("B02", "B03", "B04"):
            rgb20[band] = dn20
        if band == "B05":
            scl20 = (dn20 % 12).astype(np.uint8)
            cld20 = (dn20 % 101).astype(np.uint8)
    written.append(writers.write_band(img60, PREFIX, "B09", 60, img.get("B09", 60), geo[60], nr_threads=threads))
    for res, dst in ((20, img20), (60, img60)):
        for name, value in (("AOT", 150), ("WVP", 1800)):
            const = np.full((TILE_SIZE_PX[res],) * 2, value, np.uint16)
            written.append(writers.write_band(dst, PREFIX, name, res, const, geo[res], nr_threads=threads))
    written.append(writers.write_scl(img20, PREFIX, 20, scl20, geo[20], nr_threads=threads))
    written.append(writers.write_scl(img60, PREFIX, 60, downsample_median(scl20, 3), geo[60], nr_threads=threads))
    written.append(writers.write_tci(img20, PREFIX, 20, rgb20["B04"], rgb20["B03"], rgb20["B02"], geo[20],
                                     nr_threads=threads))
    rgb60 = {b: downsample_mean(a, 3) for b, a in rgb20.items()}
    written.append(writers.write_tci(img60, PREFIX, 60, rgb60["B04"], rgb60["B03"], rgb60["B02"], geo[60],
                                     nr_threads=threads))
    for kind in ("CLDPRB", "SNWPRB"):
        written.append(writers.write_qi_mask(qi, kind, 20, cld20, geo[20], nr_threads=threads))
        written.append(writers.write_qi_mask(qi, kind, 60, downsample_mean(cld20, 3), geo[60],
                                             nr_threads=threads))
    return len(written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/bench_tables"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--compression-level", type=int, default=0)
    parser.add_argument("--complib", default="blosc2")
    parser.add_argument("--keep", action="store_true", help="keep the synthetic L1C bands")
    args = parser.parse_args()
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
            times["import 13 bands (JP2 -> HDF5)"] = (time.perf_counter() - t0, _cpu() - c0)
            t0, c0 = time.perf_counter(), _cpu()
            offsets = dict.fromkeys(BAND_IDS, -1000)
            stage_resolution(img, tmp, 20, quantification=10000.0, add_offset=offsets)
            tmp.renew([])
            stage_resolution(img, tmp, 10, quantification=10000.0, add_offset=offsets)
            times["staging 20 m + 10 m (resample, TOA float32)"] = (time.perf_counter() - t0, _cpu() - c0)
            t0, c0 = time.perf_counter(), _cpu()
            files = export_all(img, granule, args.threads)
            times[f"export {files} files (JP2 + GML)"] = (time.perf_counter() - t0, _cpu() - c0)
            db_sizes = (img.path.stat().st_size, tmp.path.stat().st_size)
    print(f"threads={args.threads} compression_level={args.compression_level} complib={args.complib} "
          f"load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    for name, (wall, cpu) in times.items():
        print(f"  {name}: {wall:.1f} s wall, {cpu:.1f} s CPU")
    print(f"  total: {sum(t[0] for t in times.values()):.1f} s wall, "
          f"{sum(t[1] for t in times.values()):.1f} s CPU (user + system)")
    print(f"  image db {db_sizes[0] / 1e6:.0f} MB, temporary db {db_sizes[1] / 1e6:.0f} MB (at the end)")
    print(f"  peak RSS: {rss.peak / 2**30:.2f} GiB (psutil), "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB (ru_maxrss)")
    shutil.rmtree(granule, ignore_errors=True)
    if not args.keep:
        shutil.rmtree(l1c_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
