"""PDGS test inputs: L1C datastrip and tile folders in standard and compact SAFE form, built in tmp_path.

Standard folders use the real standard-format L1C tile metadata of ../shared (T05VPH, baseline 03.01) and a
datastrip metadata written by tests.l1c.builders.write_mtd_ds; compact folders come from a small product of
the test-product generator (sen2cor.testing.make_l1c, 60 x 60 px, ~2 s, built once per module).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

from sen2cor.config import RunOptions
from tests.conftest import shared_path
from tests.l1c.builders import edit_xml, write_mtd_ds

GENERATED = datetime(2025, 3, 4, 5, 6, 7, 123000, tzinfo=UTC)
REAL_TILE = ("l1c", "S2B_OPER_MSI_L1C_TL_VGS1_20211016T214514_A024093_T05VPH_N03.01")
STANDARD_DS = "S2B_OPER_MSI_L1C_DS_VGS1_20211016T214514_S20211016T212523_N03.01"
STANDARD_TILE = "S2B_OPER_MSI_L1C_TL_VGS1_20211016T214514_A024093_T05VPH_N03.01"
L2A_N0211_AUX = ("l2a", "S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE")


def standard_datastrip(parent: Path) -> Path:
    """``S2B_OPER_MSI_L1C_DS_VGS1_..._N03.01/S2B_OPER_MTD_L1C_DS_....xml`` matching the real T05VPH tile."""
    folder = parent / STANDARD_DS
    folder.mkdir(parents=True)
    (folder / "QI_DATA").mkdir()
    mtd = folder / (STANDARD_DS.replace("_MSI_", "_MTD_").rsplit("_N", 1)[0] + ".xml")
    write_mtd_ds(mtd, [STANDARD_TILE])
    edit_xml(mtd, "2024-01-01T10:27:36.123Z", "2021-10-16T21:25:23.024Z")
    edit_xml(mtd, "<PROCESSING_BASELINE>05.10", "<PROCESSING_BASELINE>03.01")
    edit_xml(mtd, "<PROCESSING_CENTER>2APS", "<PROCESSING_CENTER>VGS1")
    return folder


def standard_tile(parent: Path) -> Path:
    """``S2B_OPER_MSI_L1C_TL_..._T05VPH_N03.01`` with the real MTD (standard file name), QI and AUX data."""
    source = shared_path("data", "real", *REAL_TILE)
    folder = parent / STANDARD_TILE
    for sub in ("IMG_DATA", "QI_DATA", "AUX_DATA"):
        (folder / sub).mkdir(parents=True)
    shutil.copyfile(source / "MTD_TL.xml",
                    folder / (STANDARD_TILE.replace("_MSI_", "_MTD_").rsplit("_N", 1)[0] + ".xml"))
    aux = next(shared_path("data", "real", *L2A_N0211_AUX, "GRANULE").glob("*/AUX_DATA/AUX_ECMWFT"))
    (folder / "AUX_DATA" / "AUX_ECMWFT").symlink_to(aux)
    (folder / "QI_DATA" / "GENERAL_QUALITY.xml").write_text("<Earth_Explorer_File/>\n")
    return folder


def ds_options(tmp_path: Path, datastrip: Path, **extra) -> RunOptions:
    values = dict(mode="generate_datastrip", datastrip=datastrip, output_dir=tmp_path / "out_ds",
                  work_dir=tmp_path / "work", processing_centre="EDRS", archiving_centre="SGS_")
    values.update(extra)
    return RunOptions(**values)


def tile_options(tmp_path: Path, datastrip: Path, tile: Path, **extra) -> RunOptions:
    values = dict(mode="process_tile", datastrip=datastrip, tile=tile, output_dir=tmp_path / "out_tl",
                  work_dir=tmp_path / "work")
    values.update(extra)
    return RunOptions(**values)


def tree_state(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file below ``folder``, to show an input was not touched."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}
