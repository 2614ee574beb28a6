"""Assemble L1C compact SAFE test products in ``tmp_path`` from the real partial metadata in ../shared.

Real products in ../shared carry metadata only; the missing parts are filled with other real files:
band JP2s are the real reduced L1C tile (aws-tile-19UDP preview/, 687 x 687 px), GRIB from the official L2A
products, QI masks from the N0400 L2A (JPEG 2000) or the N0212 L2A (GML). Large files are symlinked,
so nothing from ../shared is ever copied into the project and the tests stay fast.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from lxml import etree

from tests.conftest import shared_path

_L2A_N0400 = "l2a/S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE"
_L2A_N0211 = "l2a/S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE"
_L2A_N0212_GML = "metadata/stactools/S2A_MSIL2A_20190212T192651_N0212_R013_T07HFE_20201007T160857.SAFE"

#: baseline key -> (real L1C product folder with MTD_MSIL1C.xml, tile MTD_TL.xml to use or None = its own)
REAL_L1C: dict[str, tuple[str, str | None]] = {
    "N0206": ("l1c/S2A_MSIL1C_20180101T105441_N0206_R051_T31TDH_20180101T124911.SAFE", None),
    "N0209": ("metadata/stactools/S2A_MSIL1C_20200717T221941_R029_T01LAC_20200717T234135.SAFE", None),
    "N0301": ("metadata/stactools/S2A_MSIL1C_20210908T042701_N0301_R133_T46RER_20210908T070248.SAFE", None),
    "N0509": (
        "l1c/S2B_MSIL1C_20230601T094549_N0509_R079_T34UDD_20230601T115221.SAFE",
        "metadata/stactools/S2A_MSIL2A_20230625T234621_N0509_R073_T01WCP_20230626T022157.SAFE/GRANULE/"
        "L2A_T01WCP_A041826_20230625T234624/MTD_TL.xml",
    ),
    "N0510": (
        "l1c/S2A_MSIL1C_20240101T102431_N0510_R065_T30NWM_20240101T122107.SAFE",
        "l2a/S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE/GRANULE/"
        "L2A_T32TQM_A040188_20241115T100633/MTD_TL.xml",
    ),
}

_BAND_FILE = re.compile(r"_(B\d[\dA]|TCI)$")


def real(*parts: str) -> Path:
    """Path under ../shared/data/real (skips the test when absent)."""
    return shared_path("data", "real", *parts)


def image_files(mtd: Path) -> list[str]:
    """IMAGE_FILE entries of an MTD_MSIL1C.xml, read independently of the reader."""
    root = etree.parse(str(mtd)).getroot()
    return [e.text.strip() for e in root.xpath("//*[local-name()='IMAGE_FILE']")]


def _link(target: Path, link: Path) -> None:
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(target)


def _baseline_at_least_4(mtd: Path) -> bool:
    root = etree.parse(str(mtd)).getroot()
    text = root.xpath("string(//*[local-name()='PROCESSING_BASELINE'])")
    return int(text.split(".")[0]) >= 4


def assemble(
    tmp_path: Path,
    key: str,
    *,
    bands: bool = True,
    aux: bool = True,
    qi: bool = True,
    datastrip_mtd: bool = False,
) -> Path:
    """Build ``tmp_path/<product>.SAFE`` for baseline ``key`` of :data:`REAL_L1C` and return its path."""
    source_rel, tile_rel = REAL_L1C[key]
    source = real(source_rel)
    product = tmp_path / source.name
    product.mkdir()
    shutil.copy(source / "MTD_MSIL1C.xml", product / "MTD_MSIL1C.xml")
    entries = image_files(source / "MTD_MSIL1C.xml")
    granule = product / "GRANULE" / entries[0].split("/")[1]
    granule.mkdir(parents=True)
    tile_src = real(tile_rel) if tile_rel else next((source / "GRANULE").glob("*/MTD_TL.xml"))
    shutil.copy(tile_src, granule / "MTD_TL.xml")
    for sub in ("IMG_DATA", "QI_DATA", "AUX_DATA"):
        (granule / sub).mkdir()
    (product / "AUX_DATA").mkdir()
    if bands:
        aws = real("l1c", "aws-tile-19UDP-20170729")
        for entry in entries:
            name = _BAND_FILE.search(entry).group(1)
            # preview/*.jp2 are real JPEG 2000 L1C bands (687 x 687); the top-level *.jp2 are GeoTIFFs.
            target = aws / ("preview.jp2" if name == "TCI" else f"preview/{name}.jp2")
            _link(target, product / f"{entry}.jp2")
    new_format = _baseline_at_least_4(source / "MTD_MSIL1C.xml")
    if aux:
        if new_format:
            aux_src = next(real(_L2A_N0400, "GRANULE").glob("*/AUX_DATA"))
            _link(aux_src / "AUX_CAMSFO", granule / "AUX_DATA" / "AUX_CAMSFO")
        else:
            aux_src = next(real(_L2A_N0211, "GRANULE").glob("*/AUX_DATA"))
        _link(aux_src / "AUX_ECMWFT", granule / "AUX_DATA" / "AUX_ECMWFT")
    if qi:
        qi_src = next(real(_L2A_N0400 if new_format else _L2A_N0212_GML, "GRANULE").glob("*/QI_DATA"))
        pattern = "MSK_*_B??.jp2" if new_format else "MSK_*_B??.gml"
        for mask in qi_src.glob(pattern):
            _link(mask, granule / "QI_DATA" / mask.name)
        _link(qi_src / "GENERAL_QUALITY.xml", granule / "QI_DATA" / "GENERAL_QUALITY.xml")
    ds_id = (
        etree.parse(str(source / "MTD_MSIL1C.xml"))
        .getroot()
        .xpath("string(//*[local-name()='Granule']/@datastripIdentifier)")
    )
    ds_dir = product / "DATASTRIP" / ("DS_" + ds_id.split("_L1C_DS_")[1].rsplit("_N", 1)[0])
    ds_dir.mkdir(parents=True)
    if datastrip_mtd:
        write_mtd_ds(
            ds_dir / "MTD_DS.xml",
            tile_ids=[
                etree.parse(str(source / "MTD_MSIL1C.xml"))
                .getroot()
                .xpath("string(//*[local-name()='Granule']/@granuleIdentifier)")
            ],
        )
    return product


#: Values written into the synthetic MTD_DS.xml (element paths of PSD 14 A_GENERAL_INFO_DS).
MTD_DS_VALUES = {
    "DATASTRIP_SENSING_START": "2024-01-01T10:27:36.123Z",
    "DATASTRIP_SENSING_STOP": "2024-01-01T10:41:02.456Z",
    "PROCESSING_BASELINE": "05.10",
    "PROCESSING_CENTER": "2APS",
    "UTC_DATE_TIME": "2024-01-01T12:21:07.000000Z",
    "ARCHIVING_CENTRE": "2APS",
    "ARCHIVING_TIME": "2024-01-01T12:40:00.000000Z",
}


def write_mtd_ds(path: Path, tile_ids: list[str]) -> None:
    """A minimal L1C MTD_DS.xml following the PSD 14 datastrip schema paths, with :data:`MTD_DS_VALUES`."""
    v = MTD_DS_VALUES
    tiles = "".join(f'<Tile tileId="{t}"/>' for t in tile_ids)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<n1:Level-1C_DataStrip_ID xmlns:n1="https://psd-14.sentinel2.eo.esa.int/PSD/'
        'S2_PDI_Level-1C_Datastrip_Metadata.xsd">'
        "<n1:General_Info>"
        f"<Datastrip_Time_Info><DATASTRIP_SENSING_START>{v['DATASTRIP_SENSING_START']}</DATASTRIP_SENSING_START>"
        f"<DATASTRIP_SENSING_STOP>{v['DATASTRIP_SENSING_STOP']}</DATASTRIP_SENSING_STOP></Datastrip_Time_Info>"
        f"<Processing_Info><PROCESSING_BASELINE>{v['PROCESSING_BASELINE']}</PROCESSING_BASELINE>"
        f"<PROCESSING_CENTER>{v['PROCESSING_CENTER']}</PROCESSING_CENTER>"
        f"<UTC_DATE_TIME>{v['UTC_DATE_TIME']}</UTC_DATE_TIME></Processing_Info>"
        f"<Archiving_Info><ARCHIVING_CENTRE>{v['ARCHIVING_CENTRE']}</ARCHIVING_CENTRE>"
        f"<ARCHIVING_TIME>{v['ARCHIVING_TIME']}</ARCHIVING_TIME></Archiving_Info>"
        "</n1:General_Info>"
        f"<n1:Image_Data_Info><Tiles_Information><Tile_List>{tiles}</Tile_List></Tiles_Information></n1:Image_Data_Info>"
        "</n1:Level-1C_DataStrip_ID>\n"
    )


def edit_xml(path: Path, old: str, new: str, count: int = 1) -> None:
    """Replace text in a (copied) XML file; asserts the text was present."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")
