"""Speed / memory benchmark of the atmospheric correction (issue 7, item 9): 20 m then 10 m of a tile.

The scene (vegetation, soil, water, clouds; flat) is built in memory through Sen2Cor's .atm LUTs,
so only the correction is timed (no JPEG 2000 I/O).  Prints wall and CPU time per resolution and
the peak resident set size during each correction (inputs included).

``--streamed`` runs the correction as L2A_Process does: the TOA bands staged in an HDF5 database
and read when the driver needs them (``stage.StagedBands``), each output encoded to uint16 and
stored as soon as it is final (a driver sink), so only about one float32 band is held at a time.

    nice -n 19 .venv/bin/python scripts/bench_atmcorr.py [--size 5490] [--streamed]
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from sen2cor.atmcorr import driver, stage
from sen2cor.rtm.sources import load_lut
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.tables import radiometry
from sen2cor.tables.store import Database

ATM_DIR = Path(__file__).resolve().parents[2] / "shared" / "luts" / "sen2cor-2.8"
VEG = {
    "B01": 0.03,
    "B02": 0.03,
    "B03": 0.06,
    "B04": 0.025,
    "B05": 0.09,
    "B06": 0.25,
    "B07": 0.32,
    "B08": 0.34,
    "B8A": 0.35,
    "B09": 0.35,
    "B10": 0.01,
    "B11": 0.16,
    "B12": 0.05,
}
SOIL = {
    "B01": 0.08,
    "B02": 0.09,
    "B03": 0.12,
    "B04": 0.16,
    "B05": 0.19,
    "B06": 0.21,
    "B07": 0.23,
    "B08": 0.24,
    "B8A": 0.25,
    "B09": 0.26,
    "B10": 0.01,
    "B11": 0.33,
    "B12": 0.28,
}


def synthetic_scene(lut, n: int, resolution: int, sza: float = 40.0):
    rng = np.random.default_rng(0)
    scl = np.full((n, n), 4, np.uint8)
    scl[:, : n // 3] = 5
    scl[n // 2 : n // 2 + n // 10, n // 2 : n // 2 + n // 10] = 6
    scl[: n // 20, n // 2 :] = 9
    pattern = (1 + 0.05 * rng.standard_normal((n, n))).astype(np.float32)
    e0 = {b: 1500.0 for b in lut.bands}
    f = lut.interpolate(sza, 5.0, 100.0, 0.2, 25.0, 1.5, e0_w_m2_um=np.full(len(lut.bands), 1500.0))
    mu = np.float32(np.cos(np.deg2rad(sza)))
    toa = {}
    for i, b in enumerate(lut.bands):
        rho = np.where(scl == 5, np.float32(SOIL[b]), np.float32(VEG[b])) * pattern
        e = float(f.e0t[i]) * mu + float(f.edift[i])
        toa[b] = ((float(f.path_radiance[i]) + e * rho / np.pi) * np.float32(np.pi / (150.0 * mu))).astype(
            np.float32
        )
        del rho
    return driver.SceneInputs(resolution, toa, scl, e0, sza, 150.0, 5.0, 50.0)


def _rss_gb(field: str = "VmHWM") -> float:
    """Resident set size (current "VmRSS" or peak "VmHWM") of this process in GB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024**2
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def _reset_peak() -> None:
    """Reset VmHWM to the current RSS so that the peak of the correction alone is measured (Linux)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass


def _staged(scene, db: Database):
    """The scene with its TOA bands moved into ``db`` (read back on access) and a sink storing the
    encoded outputs there, as L2A_Process runs the correction."""
    for band in list(scene.toa):
        db.put(band, scene.resolution_m, scene.toa[band])
    nodata = scene.scl == 0

    def sink(name: str, values) -> None:
        if name in ("AOT", "WVP"):
            encode = radiometry.encode_aot if name == "AOT" else radiometry.encode_wvp
            dn = encode(values, nodata)
        else:
            dn = radiometry.reflectance_to_boa_dn(values, nodata)
        db.put(f"OUT_{name}", scene.resolution_m, dn)

    return replace(scene, toa=stage.StagedBands(db, scene.resolution_m, tuple(scene.toa))), sink


def _timed(scene, lut, prior=None, sink=None):
    _reset_peak()
    base = _rss_gb("VmRSS")
    t0, c0 = time.perf_counter(), time.process_time()
    res = driver.correct_resolution(scene, lut, AcSettings(), prior=prior, in_place=True, sink=sink)
    print(
        f"  {scene.resolution_m} m: wall {time.perf_counter() - t0:.1f} s, "
        f"CPU {time.process_time() - c0:.1f} s"
    )
    return res, time.perf_counter() - t0, base, _rss_gb("VmHWM")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=5490, help="20 m side in pixels (full tile 5490)")
    p.add_argument("--streamed", action="store_true",
                   help="TOA bands in an HDF5 database, outputs encoded and stored as they are final")
    args = p.parse_args(argv)
    lut20 = load_lut("S2A", "summer", "rural", 331, source="atm", atm_dir=ATM_DIR, resolution="20_60")
    lut10 = load_lut("S2A", "summer", "rural", 331, source="atm", atm_dir=ATM_DIR, resolution="10")
    with tempfile.TemporaryDirectory(prefix="bench_atmcorr_") as work, \
            Database(Path(work) / "t_resdb.h5") as db:
        sink = None
        scene = synthetic_scene(lut20, args.size, 20)
        if args.streamed:
            scene, sink = _staged(scene, db)
        res20, t20, base20, peak20 = _timed(scene, lut20, sink=sink)
        prior, info = res20.for_10m(), res20.info
        del scene, res20
        scene10 = synthetic_scene(lut10, 2 * args.size, 10)
        if args.streamed:
            scene10, sink = _staged(scene10, db)
        _, t10, base10, peak10 = _timed(scene10, lut10, prior, sink)
    print(
        f"size {args.size} px at 20 m: 20 m {t20:.1f} s "
        f"(RSS {base20:.2f} GB with its inputs -> peak {peak20:.2f} GB), "
        f"10 m {t10:.1f} s (RSS {base10:.2f} GB -> peak {peak10:.2f} GB), total {t20 + t10:.1f} s; "
        f"{info['AOT_RETRIEVAL_METHOD']}, V = {info['FINAL_VISIBILITY']:.1f} km"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
