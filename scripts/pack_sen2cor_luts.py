#!/usr/bin/env python
"""Pack Sen2Cor's own .atm look-up tables (lib_S2A, lib_S2B) losslessly into luts/sen2cor_<S2x>.npz.

    .venv/bin/python scripts/pack_sen2cor_luts.py [--sen2cor ../shared/luts/sen2cor-2.8] [--out luts]

Reads every <letter>99000_wv<XX>_<rura|mari>.atm of the 20_60 and 10 folders, checks that the 10 m files'
B02-B04 equal the 20_60 ones (so B08 is the only extra band), encodes the blocks with sen2cor.rtm.atm_store
(S2B relative to S2A), decodes them again and compares every value before writing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from sen2cor.rtm import grid
from sen2cor.rtm.atm_reader import atm_file_name
from sen2cor.rtm.atm_store import (RESOLUTION_BANDS, STORE_BANDS, block_key, block_shape, decode_block,
                                   encode_block, store_path, write_store)

REPO = Path(__file__).resolve().parents[1]
PROVENANCE = ("Sen2Cor 2.8 libRadtran look-up tables lib_{craft}/10 and lib_{craft}/20_60 (ESA, Telespazio VEGA, "
              "Apache License 2.0), packed by scripts/pack_sen2cor_luts.py; see luts/SEN2COR_TABLES.md")


def read_block(folder: Path, season: str, aerosol: str) -> np.ndarray:
    """(ozone, wv, band, vis, sza, record) float32 of one craft folder; B08 from the 10 m files."""
    shape = block_shape(season)
    out = np.empty(shape, np.float32)
    n20, n10 = len(RESOLUTION_BANDS["20_60"]), len(RESOLUTION_BANDS["10"])
    for i, letter in enumerate(grid.OZONE_DU[season]):
        for j, wv in enumerate(grid.WATER_VAPOUR_CM[season]):
            name = atm_file_name(letter, float(wv), aerosol)
            f20 = np.fromfile(folder / "20_60" / name, ">f4").reshape(n20, *shape[3:])
            f10 = np.fromfile(folder / "10" / name, ">f4").reshape(n10, *shape[3:])
            shared = [RESOLUTION_BANDS["20_60"].index(b) for b in RESOLUTION_BANDS["10"][:3]]
            if not np.array_equal(f10[:3].view(np.uint32), f20[shared].view(np.uint32)):
                raise SystemExit(f"{folder}/10/{name}: B02-B04 differ from the 20_60 file; the store needs them equal")
            out[i, j, :n20] = f20
            out[i, j, n20] = f10[3]
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sen2cor", type=Path, default=REPO.parent / "shared" / "luts" / "sen2cor-2.8")
    p.add_argument("--out", type=Path, default=REPO / "luts")
    args = p.parse_args(argv)
    assert STORE_BANDS[-1] == "B08"
    blocks: dict[str, dict[str, np.ndarray]] = {}
    for craft, reference in (("S2A", None), ("S2B", "S2A")):
        blocks[craft] = {block_key(s, a): read_block(args.sen2cor / f"lib_{craft}", s, a)
                         for s in grid.SEASONS for a in grid.AEROSOLS}
        ref_blocks = blocks[reference] if reference else None
        for key, values in blocks[craft].items():
            again = decode_block(encode_block(values, None if ref_blocks is None else ref_blocks[key]),
                                 values.shape, None if ref_blocks is None else ref_blocks[key])
            if not np.array_equal(again.view(np.uint32), values.view(np.uint32)):
                raise SystemExit(f"{craft} {key}: the encoding does not round-trip")
        path = store_path(craft, args.out)
        write_store(path, blocks[craft], reference, ref_blocks, PROVENANCE.format(craft=craft))
        print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
