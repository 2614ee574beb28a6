#!/usr/bin/env python
"""Generate the project's radiative-transfer look-up tables with 6S (see docs/luts.md).

    nice -n 19 .venv/bin/python scripts/make_luts.py run  [--cache DIR] [--processes 2] [--max-minutes M]
    .venv/bin/python scripts/make_luts.py status [--cache DIR]
    .venv/bin/python scripts/make_luts.py pack   [--cache DIR] [--out luts/]

``run`` executes the 6S runs that are not yet in the cache (one .npy per run, written
atomically, so an interrupted run resumes where it stopped), cheapest and most needed first,
and prints a progress line.  ``pack`` turns the cached spectra into the committed spectral
tables ``luts/sixs_<aerosol>.npz`` + ``luts/sixs_gas.npz`` + ``luts/manifest.json``; with an
incomplete cache it packs the elevation levels that are complete (the manifest says which).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from sen2cor.rtm import grid, sixs  # noqa: E402
from sen2cor.rtm.spectral_tables import run_azimuths_deg  # noqa: E402

DEFAULT_CACHE = Path(os.environ.get("SEN2COR_LUT_CACHE", "/work/lutcache/runs"))
#: Elevation order of the Rayleigh and gas runs: coarse coverage first, refined later.
ELEVATION_ORDER_KM = (0.0, 2.5, 1.0, 0.5, 1.5, 2.0)
#: Order of the (aerosol, elevation) blocks of scattering runs: the default rural aerosol at sea level,
#: maritime at sea level (where it mostly applies), rural at a coarse then a full elevation set, then
#: the rest of maritime.  ``pack`` uses every complete block.
SCATTERING_ORDER = (("rura", 0.0), ("mari", 0.0), ("rura", 2.5), ("rura", 1.0), ("rura", 0.5), ("rura", 1.5),
                    ("rura", 2.0), ("mari", 1.0), ("mari", 2.5), ("mari", 0.5), ("mari", 1.5), ("mari", 2.0))
#: Unique sea-level water-vapour columns needed: the LUT levels and their halves (6S couples
#: aerosol scattering with half the water column), 0 for "no water".
WATER_VAPOUR_RUNS_CM = tuple(sorted({0.0} | {float(w) for s in grid.SEASONS for w in grid.WATER_VAPOUR_CM[s]}
                                    | {round(float(w) / 2, 3) for s in grid.SEASONS for w in grid.WATER_VAPOUR_CM[s]}))
#: Aerosol runs at 10 deg view use the azimuths of run_azimuths_deg; the others follow from
#: a0 + a1 cos(phi) + a2 cos(2 phi) (docs/luts.md), which cuts the scattering runs by a third.
OZONE_RUNS_DU = tuple(sorted({du for s in grid.SEASONS for du in grid.OZONE_DU[s].values()}))


PACK_COMMAND = "nice -n 19 .venv/bin/python scripts/make_luts.py run; .venv/bin/python scripts/make_luts.py pack"


def unique_geometries() -> list[tuple[float, float, float]]:
    """(sza, vza, relative azimuth) with azimuth only where it matters (vza>0 and sza>0)."""
    geoms = []
    for sza in grid.SZA_DEG:
        for vza in grid.VZA_DEG:
            phis = grid.RAA_DEG if (sza > 0 and vza > 0) else (0.0,)
            geoms += [(float(sza), float(vza), float(phi)) for phi in phis]
    return geoms


def task_list() -> list[tuple[str, sixs.SixsCase]]:
    """All runs as (cache key, case), in execution priority order."""
    tasks: list[tuple[str, sixs.SixsCase]] = []
    for aer in grid.AEROSOLS:     # aerosol optical depth spectrum (AOT550 = 1) at 6S's nodes
        for wl in sixs.SIXS_NODES_UM:
            tasks.append((f"tau/{sixs.aerosol_tag(aer)}/{wl:.4f}",
                          sixs.SixsCase(0, 0, 0, 0.0, aer, 1.0, monochromatic_um=wl)))
    for z in grid.ELEVATION_KM:   # Rayleigh optical depth per elevation
        for wl in sixs.SIXS_NODES_UM:
            tasks.append((f"tau/rayl_z{z:.1f}/{wl:.4f}", sixs.SixsCase(0, 0, 0, float(z), monochromatic_um=wl)))
    geoms = unique_geometries()
    gas_geoms = sorted({(s, v) for s, v, _ in geoms})
    for z in ELEVATION_ORDER_KM:
        for s, v, p in geoms:
            tasks.append((f"rayl/z{z:.1f}/{s:.0f}_{v:.0f}_{p:.0f}", sixs.SixsCase(s, v, p, z)))
        for s, v in gas_geoms:
            for w in WATER_VAPOUR_RUNS_CM:
                tasks.append((f"gasw/z{z:.1f}/{s:.0f}_{v:.0f}/{w:.3f}",
                              sixs.SixsCase(s, v, 0.0, z, gases=True, water_vapour_g_cm2=w)))
    for s, v in gas_geoms:
        for du in OZONE_RUNS_DU:
            tasks.append((f"gaso/{s:.0f}_{v:.0f}/{du}", sixs.SixsCase(
                s, v, 0.0, 0.0, gases=True, ozone_cm_atm=grid.du_to_cm_atm(du))))
    scat_geoms = [g for g in geoms if g[2] in run_azimuths_deg(g[0], g[1])]
    for aer, z in SCATTERING_ORDER:
        for vis in grid.VISIBILITY_KM:
            aot = float(grid.visibility_to_aot550(vis, z))
            for s, v, p in scat_geoms:
                tasks.append((f"scat/{sixs.aerosol_tag(aer)}/z{z:.1f}/v{vis:.0f}/{s:.0f}_{v:.0f}_{p:.0f}",
                              sixs.SixsCase(s, v, p, z, aer, aot)))
    return tasks


def _execute(job: tuple[str, sixs.SixsCase, str]) -> str:
    key, case, cache = job
    out = Path(cache) / f"{key}.npy"
    stdout = sixs.run_sixs(case)
    if case.monochromatic_um is not None:
        data = np.array(sixs.parse_optical_depth(stdout), dtype=np.float64)
    else:
        wl, values = sixs.parse_listing(stdout)
        data = values.astype(np.float32)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(f".tmp{os.getpid()}.npy")
    np.save(tmp, data)
    os.replace(tmp, out)
    return key


def pending(cache: Path) -> list[tuple[str, sixs.SixsCase]]:
    return [(k, c) for k, c in task_list() if not (cache / f"{k}.npy").exists()]


def cmd_run(args: argparse.Namespace) -> int:
    todo = pending(args.cache)
    total = len(task_list())
    print(f"{total - len(todo)}/{total} runs cached in {args.cache}; {len(todo)} to do", flush=True)
    if not todo:
        return 0
    deadline = time.monotonic() + 60 * args.max_minutes if args.max_minutes else None
    start, done = time.monotonic(), 0
    left_in_block: dict[str, int] = {}
    for key, _ in todo:
        if key.startswith("scat/"):
            block = "/".join(key.split("/")[:3])
            left_in_block[block] = left_in_block.get(block, 0) + 1
    with Pool(args.processes) as pool:
        jobs = ((k, c, str(args.cache)) for k, c in todo)
        for key in pool.imap(_execute, jobs, chunksize=1):
            done += 1
            block = "/".join(key.split("/")[:3])
            if args.pack and block in left_in_block:
                left_in_block[block] -= 1
                if left_in_block[block] == 0:
                    print(f"[{time.strftime('%H:%M:%S')}] block {block} complete: packing into {args.pack}", flush=True)
                    pack_atomically(args.cache, args.pack)
            if done % 20 == 0 or done == len(todo):
                rate = done / (time.monotonic() - start)
                eta_min = (len(todo) - done) / rate / 60 if rate else float("nan")
                print(f"[{time.strftime('%H:%M:%S')}] {total - len(todo) + done}/{total} runs "
                      f"({rate:.2f}/s, last {key}, ETA {eta_min:.0f} min at this rate)", flush=True)
            if deadline and time.monotonic() > deadline:
                print("time budget reached; re-run the same command to resume", flush=True)
                pool.terminate()
                break
    return 0


def pack_atomically(cache: Path, out: Path) -> None:
    """Pack into a scratch folder beside the cache, then move each file into place (os.replace)."""
    from sen2cor.rtm.spectral_tables import pack_tables

    scratch = cache.parent / "packing"
    scratch.mkdir(exist_ok=True)
    (scratch / "srf_msi.json").write_bytes((out / "srf_msi.json").read_bytes())
    pack_tables(cache, scratch, unique_geometries(), WATER_VAPOUR_RUNS_CM, OZONE_RUNS_DU, PACK_COMMAND)
    for path in sorted(scratch.glob("*.npz")) + [scratch / "manifest.json"]:
        os.replace(path, out / path.name)
    (scratch / "srf_msi.json").unlink()
    scratch.rmdir()


def cmd_status(args: argparse.Namespace) -> int:
    counts: dict[str, list[int]] = {}
    for key, _ in task_list():
        group = "/".join(key.split("/")[:3]) if key.startswith("scat") else key.split("/")[0]
        c = counts.setdefault(group, [0, 0])
        c[1] += 1
        c[0] += (args.cache / f"{key}.npy").exists()
    for group, (have, want) in counts.items():
        print(f"{group:44s} {have:5d}/{want}")
    return 0


def cmd_srf(args: argparse.Namespace) -> int:
    """luts/srf_msi.json from public L1C metadata (Spectral_Information + SOLAR_IRRADIANCE)."""
    from lxml import etree

    from sen2cor.rtm.srf import SRF_FILE, read_mtd_srf
    from sen2cor.bands import BAND_IDS

    content = {"source": "Spectral_Information/Spectral_Response and SOLAR_IRRADIANCE of public Sentinel-2 "
                         "L1C product metadata (MTD_MSIL1C.xml, Copernicus open data): "
                         + ", ".join(f"{c}: {Path(p).parent.name}" for c, p in args.mtd),
               "fallback": {"S2C": "S2A"}, "spacecraft": {}}
    for craft, path in args.mtd:
        srfs = read_mtd_srf(Path(path))
        root = etree.parse(path).getroot()
        e0 = {BAND_IDS[int(e.get("bandId"))]: float(e.text) for e in root.iter("SOLAR_IRRADIANCE")}
        content["spacecraft"][craft] = {
            "product": Path(path).parent.name, "solar_irradiance_w_m2_um": e0,
            "bands": {b: {"min_nm": float(r.wavelength_nm[0]),
                          "step_nm": float(r.wavelength_nm[1] - r.wavelength_nm[0]),
                          "values": [float(v) for v in r.response]} for b, r in srfs.items()}}
    (args.out / SRF_FILE).write_text(json.dumps(content, indent=1) + "\n")
    print(f"wrote {args.out / SRF_FILE}")
    return 0


def cmd_pack(args: argparse.Namespace) -> int:
    if args.partial and args.out.resolve() == (REPO / "luts").resolve():
        print("--partial tables must not go to luts/: give --out", file=sys.stderr)
        return 2
    from sen2cor.rtm.spectral_tables import pack_tables

    manifest = pack_tables(args.cache, args.out, unique_geometries(), WATER_VAPOUR_RUNS_CM, OZONE_RUNS_DU,
                           PACK_COMMAND,
                           partial=args.partial)
    print(json.dumps(manifest["coverage"], indent=1))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("run", "status", "pack", "srf"):
        p = sub.add_parser(name)
        p.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
        if name == "run":
            p.add_argument("--processes", type=int, default=2)
            p.add_argument("--max-minutes", type=float, default=0.0, help="stop after this long (0 = no limit)")
            p.add_argument("--pack", type=Path, default=None,
                           help="after each completed (aerosol, elevation) block, pack into this folder (luts/)")
        if name in ("pack", "srf"):
            p.add_argument("--out", type=Path, default=REPO / "luts")
        if name == "pack":
            p.add_argument("--partial", action="store_true",
                           help="validation only: pack incomplete blocks with NaN (never into luts/)")
        if name == "srf":
            p.add_argument("--mtd", nargs=2, action="append", metavar=("SPACECRAFT", "MTD_MSIL1C"), required=True)
    args = parser.parse_args(argv)
    return {"run": cmd_run, "status": cmd_status, "pack": cmd_pack, "srf": cmd_srf}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
