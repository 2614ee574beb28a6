"""Speed and memory of the scene classification on a full synthetic 5490 x 5490 tile at 20 m (section
"benchmark" of docs/sceneclass_validation.md; ``scripts/validate_sceneclass.py benchmark``). Each variant
runs in a fresh process (``benchmark-one``) so that its peak RSS is its own."""
from __future__ import annotations

import atexit
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

from sen2cor.sceneclass import SceneAux, classify
from sen2cor.testing.spectra import CLOUD_SPECTRUM, cover_reflectance
from sen2cor.validation.sceneclass import ALGORITHMS

#: Bands the classifier reads (classic + parallax); the full-tile benchmark holds only these.
TILE_BANDS = ("B02", "B03", "B04", "B05", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")
#: Covers of the synthetic tile (the generator's library spectra, used as TOA reflectance).
TILE_COVERS = ("dense_vegetation", "bare_soil", "water", "snow")
#: Cloud-shadow spectrum: the vegetation one times this.
SHADOW_FACTOR = 0.25


def synthetic_tile(size: int, dtype: str, seed: int = 0) -> tuple[dict, np.ndarray]:
    """Full-size synthetic TOA: 30 px patches of vegetation, soil, water, snow, ~25 % clouds with shadows
    40 px north of them, 3 % multiplicative noise, 5 % no-data. Built band by band to keep memory low.

    ``dtype``: "float32" (reflectance), "uint16" (reflectance x 10000) or "hdf5" (float32 PyTables arrays,
    read strip by strip as from the Tables database)."""
    rng = np.random.default_rng(seed)
    coarse = size // 30 + 1
    cover = np.repeat(np.repeat(rng.integers(0, len(TILE_COVERS), (coarse, coarse)).astype(np.uint8), 30, 0),
                      30, 1)[:size, :size]
    cloudy = np.repeat(np.repeat(rng.random((coarse, coarse)) < 0.25, 30, 0), 30, 1)[:size, :size]
    shade = np.zeros_like(cloudy)
    shade[:-40] = cloudy[40:] & ~cloudy[:-40]
    nodata = np.zeros((size, size), bool)
    nodata[:, : size // 20] = True
    spectra = [cover_reflectance(name) for name in TILE_COVERS]
    cloud = dict(zip(("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12"),
                     CLOUD_SPECTRUM))
    h5 = None
    if dtype == "hdf5":
        import tables

        fd, h5_path = tempfile.mkstemp(suffix=".h5")
        os.close(fd)
        h5 = tables.open_file(h5_path, "w")
        atexit.register(lambda: (h5.close(), os.unlink(h5_path)))
    toa = {}
    for band in TILE_BANDS:
        lut = np.array([spectrum[band] for spectrum in spectra], np.float32)
        x = lut[cover]
        x[cloudy] = cloud[band]
        x[shade] = SHADOW_FACTOR * spectra[0][band]
        x *= 1 + np.float32(0.03) * rng.standard_normal((size, size), dtype=np.float32)
        x[nodata] = 0
        if h5 is not None:
            node = h5.create_carray("/", band, atom=tables.Float32Atom(), shape=x.shape, chunkshape=(64, size))
            node[:] = x
            toa[band] = node
        else:
            toa[band] = np.rint(x * 10000).astype(np.uint16) if dtype == "uint16" else x
        del x
    return toa, nodata


def benchmark_one(size: int, dtype: str, algorithm: str) -> dict:
    """Classify one synthetic tile in this process: wall and CPU seconds, RSS with inputs, peak RSS (MiB)."""
    import psutil

    toa, nodata = synthetic_tile(size, dtype)
    aux = SceneAux(resolution_m=20.0, sun_zenith_deg=40.0, sun_azimuth_deg=160.0, nodata=nodata)
    before = psutil.Process().memory_info().rss / 2 ** 20
    t0, c0 = time.perf_counter(), time.process_time()
    res = classify(toa, aux, **ALGORITHMS[algorithm])
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(size=size, dtype=dtype, algorithm=algorithm, seconds=seconds, cpu_seconds=cpu,
                rss_inputs_mb=before, peak_rss_mb=peak, counts=np.bincount(res.scl.ravel(), minlength=12).tolist())


def benchmark_section(size: int, script: str) -> str:
    """Every (algorithm, input type) in a fresh ``script benchmark-one`` process; the section's Markdown."""
    rows = []
    for algorithm in ("classic", "evolution"):
        for dtype in ("float32", "uint16", "hdf5"):
            out = subprocess.run([sys.executable, script, "benchmark-one", "--size", str(size), "--dtype", dtype,
                                  "--algorithm", algorithm], check=True, capture_output=True, text=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(f"| {algorithm} | {dtype} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
                        f"{r['rss_inputs_mb']:.0f} | {r['peak_rss_mb']:.0f} |")
            print(rows[-1], flush=True)
    load = " / ".join(f"{v:.1f}" for v in os.getloadavg())
    return f"""## Speed and memory: a full tile at 20 m

Command: `nice -n 19 .venv/bin/python scripts/validate_sceneclass.py benchmark --size {size}`
(each row is a fresh process: `validate_sceneclass.py benchmark-one --dtype ... --algorithm ...`).

Synthetic {size} x {size} TOA (the 11 bands the classifier reads: in memory as float32 or uint16
reflectance x 10000, or "hdf5" = float32 PyTables arrays read strip by strip as from the Tables database; 30 px
patches of the generator's vegetation, soil, water and snow spectra, ~25 % cloud with shadows, 5 % no-data), sun
zenith 40 deg, azimuth 160 deg; no DEM / CCI layers. Time = `classify()` only (wall clock and CPU time of the
process; the wall clock suffers from the other jobs on the machine); "inputs" = process RSS with the
input bands loaded; peak = `ru_maxrss` of the process (generation included). Machine: {os.cpu_count()} cores shared
with other jobs (load average {load} at the end of the run), run under `nice -n 19`; numpy/scipy
single-threaded. Targets: < 60 s, peak < 2 GB. MiB = 2^20 bytes (2 GB = 1907 MiB, 2 GiB = 2048 MiB).

| algorithm | input dtype | wall s | CPU s | RSS with inputs MiB | peak RSS MiB |
|---|---|---|---|---|---|
""" + "\n".join(rows)


__all__ = ["TILE_BANDS", "benchmark_one", "benchmark_section", "synthetic_tile"]
