#!/usr/bin/env python
"""JPEG 2000 coding cost of real Sentinel-2 L1C bands and of a generated L1C product, per resolution.

    .venv/bin/python scripts/bench_texture.py [GENERATED_L1C.SAFE ...] [--repeat 3]

Two real references in ../shared/data/real (lossless, 5-3 reversible):

* ``T31TDH B01``: the full-tile 60 m band (1830 x 1830 px, official layout: 192 px tiles, 4 x 4 code
  blocks, 64 px precincts, 4 levels);
* ``19UDP``: the 13 bands of an AWS tile decimated to 687 x 687 px (160 m), 64 x 64 code blocks,
  2 levels, one tile.

Both real images are ~40 % no data (a swath edge), so every measure is taken on the widest run of
columns inside the swath (T31TDH: columns 0-815 of all rows; 19UDP: columns 347-686, from its B01),
re-encoded with the layout of its source, then decoded: bytes per pixel, encode and decode CPU
seconds per million pixels (one OpenJPEG thread, fastest of ``--repeat``: the least disturbed by
other load). The re-encoded full T31TDH band is compared with the original file's size to check the
layout is the original one.

A generated product is measured the same way: its B01 (60 m), cropped to the columns left of its
swath edge, with the T31TDH layout; and each band decimated like the 19UDP preview (nearest sample of
every 160 m: 16, 8 and 8/3 native pixels at 10, 20 and 60 m) with the 19UDP layout. Results are
grouped by native resolution (10 m: B02 B03 B04 B08; 20 m: B05 B06 B07 B8A B11 B12; 60 m: B01 B09;
B10 is left out: a nearly empty band in both) and printed with the ratio generated / real.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import glymur
import numpy as np

from sen2cor.bands import NATIVE_RESOLUTION_M
from sen2cor.io.jp2 import L2A_PROFILES, Jp2Profile, write_jp2

REAL = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "real" / "l1c"
T31TDH_B01 = next(iter(sorted(REAL.glob("S2A_MSIL1C_20180101T105441_*T31TDH*.SAFE/GRANULE/*/IMG_DATA/*_B01.jp2"))),
                  None)
AWS_PREVIEW = REAL / "aws-tile-19UDP-20170729" / "preview"
#: Layout of the 19UDP previews (read from their COD segments): one tile, 64 x 64 code blocks, 2 levels.
PREVIEW_PROFILE = Jp2Profile(tile_px=None, codeblock_px=64, precinct_px=None, levels=2)
PREVIEW_PIXEL_M = 160.0
GROUPS = {10: ("B02", "B03", "B04", "B08"), 20: ("B05", "B06", "B07", "B8A", "B11", "B12"), 60: ("B01", "B09")}


def coding_cost(image: np.ndarray, profile: Jp2Profile, repeat: int, workdir: Path) -> dict[str, float]:
    """Bytes / px and CPU s / Mpx of encoding and decoding ``image`` losslessly (1 thread, 15 or 16 bits)."""
    path = workdir / "probe.jp2"
    bits = 15 if int(image.max()) < 1 << 15 else 16
    encode, decode = [], []
    for _ in range(repeat):
        t = time.process_time()
        write_jp2(path, image, None, profile, nr_threads=1, precision_bits=bits)
        encode.append(time.process_time() - t)
        glymur.set_option("lib.num_threads", 1)
        t = time.process_time()
        back = glymur.Jp2k(str(path))[:]
        decode.append(time.process_time() - t)
    if not np.array_equal(back, image):
        raise SystemExit("lossless round trip failed")
    mpx = image.size / 1e6
    return {"bytes_px": path.stat().st_size / image.size, "encode_s_mpx": min(encode) / mpx,
            "decode_s_mpx": min(decode) / mpx}


def valid_columns(image: np.ndarray) -> slice:
    """The widest run of columns inside the swath (at most 1 % no-data (0) pixels), from B01: the
    other bands have a few 0 pixels inside the swath (dark water in B11 / B12), so their crop is B01's."""
    full = (np.mean(image == 0, axis=0) <= 0.01).astype(np.int8)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], full, [0]])))
    starts, stops = edges[::2], edges[1::2]
    if starts.size == 0:
        raise SystemExit("no column without no data")
    k = int(np.argmax(stops - starts))
    return slice(int(starts[k]), int(stops[k]))


def decimate(image: np.ndarray, factor: float) -> np.ndarray:
    """Nearest sample at the centre of every ``factor`` x ``factor`` block (a decimated read)."""
    n = [int(s // factor) for s in image.shape]
    rows = np.minimum(((np.arange(n[0]) + 0.5) * factor).astype(int), image.shape[0] - 1)
    cols = np.minimum(((np.arange(n[1]) + 0.5) * factor).astype(int), image.shape[1] - 1)
    return image[rows][:, cols]


def read(path: Path) -> np.ndarray:
    glymur.set_option("lib.num_threads", 2)
    return glymur.Jp2k(str(path))[:]


def measure_real(repeat: int, workdir: Path) -> dict[str, dict[str, float]]:
    out = {}
    if T31TDH_B01 is not None:
        b01 = read(T31TDH_B01)
        whole = coding_cost(b01, L2A_PROFILES[60], 1, workdir)
        print(f"T31TDH B01 re-encoded whole: {whole['bytes_px'] * b01.size / 1e6:.3f} MB, original file "
              f"{T31TDH_B01.stat().st_size / 1e6:.3f} MB")
        out["60m full resolution"] = coding_cost(np.ascontiguousarray(b01[:, valid_columns(b01)]),
                                                 L2A_PROFILES[60], repeat, workdir)
    columns = valid_columns(read(AWS_PREVIEW / "B01.jp2"))
    for res, bands in GROUPS.items():
        costs = []
        for band in bands:
            image = read(AWS_PREVIEW / f"{band}.jp2")
            costs.append(coding_cost(np.ascontiguousarray(image[:, columns]), PREVIEW_PROFILE, repeat, workdir))
        out[f"{res}m at 160 m"] = {k: statistics.mean(c[k] for c in costs) for k in costs[0]}
    return out


def measure_generated(product: Path, repeat: int, workdir: Path) -> dict[str, dict[str, float]]:
    files = {p.stem.rsplit("_", 1)[1]: p for p in product.glob("GRANULE/*/IMG_DATA/*_B??.jp2")}
    b01 = read(files["B01"])
    out = {"60m full resolution": coding_cost(np.ascontiguousarray(b01[:, valid_columns(b01)]),
                                              L2A_PROFILES[60], repeat, workdir)}
    decimated = {band: decimate(read(files[band]), PREVIEW_PIXEL_M / NATIVE_RESOLUTION_M[band])
                 for band in sum(GROUPS.values(), ())}
    columns = valid_columns(decimated["B01"])
    for res, bands in GROUPS.items():
        costs = [coding_cost(np.ascontiguousarray(decimated[band][:, columns]), PREVIEW_PROFILE, repeat, workdir)
                 for band in bands]
        out[f"{res}m at 160 m"] = {k: statistics.mean(c[k] for c in costs) for k in costs[0]}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("products", nargs="*", type=Path, help="generated L1C .SAFE folders")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        real = measure_real(args.repeat, Path(tmp))
        generated = {f"{p.parent.name}/{p.name[:60]}": measure_generated(p, args.repeat, Path(tmp))
                     for p in args.products}
    print("\n| measure | real: bytes/px | encode s/Mpx | decode s/Mpx |"
          + "".join(" generated: bytes/px (ratio) | encode s/Mpx (ratio) | decode s/Mpx (ratio) |" for _ in generated))
    print("|---|---|---|---|" + "---|---|---|" * len(generated))
    for key, ref in real.items():
        cells = [f"{ref['bytes_px']:.3f}", f"{ref['encode_s_mpx']:.3f}", f"{ref['decode_s_mpx']:.3f}"]
        for gen in generated.values():
            g = gen[key]
            cells += [f"{g[k]:.3f} ({g[k] / ref[k]:.2f})" for k in ("bytes_px", "encode_s_mpx", "decode_s_mpx")]
        print(f"| {key} | " + " | ".join(cells) + " |")
    for name in generated:
        print(f"generated: {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
