"""Inputs for Sen2Cor's PDGS modes (``--mode generate_datastrip`` / ``process_tile``) cut from a generated SAFE.

PDGS hands Sen2Cor a Level-1C datastrip folder and a Level-1C tile folder instead of a user product.
:func:`write_pdgs_inputs` copies them out of a compact SAFE under their long PDGS identifiers, which
match Sen2Cor's masks ``S2?_OPER_MSI_L1C_DS*`` and ``S2?_OPER_MSI_L1C_TL*``; inside, the compact
file names are kept (``MTD_DS.xml``, ``MTD_TL.xml``, ``IMG_DATA/``, ``QI_DATA/``, ``AUX_DATA/``).
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from lxml import etree


@dataclass(frozen=True)
class PdgsInputs:
    datastrip_dir: Path     # <out>/S2x_OPER_MSI_L1C_DS_<centre>_<gen>_S<start>_N<baseline>
    tile_dir: Path          # <out>/S2x_OPER_MSI_L1C_TL_<centre>_<gen>_A<orbit>_T<tile>_N<baseline>


def write_pdgs_inputs(safe: Path, out_dir: Path) -> PdgsInputs:
    """Copy the datastrip and tile folders of compact product ``safe`` into ``out_dir`` under PDGS names."""
    safe, out_dir = Path(safe), Path(out_dir)
    granule = next(p for p in (safe / "GRANULE").iterdir() if p.is_dir())
    datastrip = next(p for p in (safe / "DATASTRIP").iterdir() if p.is_dir())
    tile_id = etree.parse(str(granule / "MTD_TL.xml")).getroot().findtext(".//TILE_ID")
    ds_id = etree.parse(str(datastrip / "MTD_DS.xml")).getroot().findtext(".//DATASTRIP_ID")
    if not tile_id or not ds_id:
        raise ValueError(f"{safe}: TILE_ID / DATASTRIP_ID missing in MTD_TL.xml / MTD_DS.xml")
    out_dir.mkdir(parents=True, exist_ok=True)
    ds_out, tile_out = out_dir / ds_id, out_dir / tile_id
    for src, dst in ((datastrip, ds_out), (granule, tile_out)):
        if dst.exists():
            shutil.rmtree(dst)
        shutil.copytree(src, dst)
    return PdgsInputs(ds_out, tile_out)
