"""GRANULE/<tile>/QI_DATA/L2A_QUALITY.xml and the metadata quality indicators (config facts §6.4).

The file follows the official products (Sen2Cor 2.10-2.12 PDGS and Toolbox output in ../shared): root
``L2A_Quality_File`` in namespace ``http://gs2.esa.int/DATA_STRUCTURE/l2aqiReport``, a Fixed_Header, and one
``report`` with the three checkLists L2A_SC, L2A_AC and L2A_AUX.  Numbers are written with ``'%f'``
(six decimals); DEM_MEAN_ALTITUDE_KM and DEM_MEAN_SLOPE as the shortest float32 text, flags as
``True``/``False`` and file lists as Python list text, all as in the official files.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from lxml import etree

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.product import L2ALayout, update_quality_indicators
from sen2cor.product.publishing import final_location
from sen2cor.product.metadata import (
    PROCESSOR_VERSION,
    TILE_QI,
    child,
    format_qi,
    qi_names,
    read_xml,
    write_xml,
)
from sen2cor.quality.indicators import QualityIndicators

log = logging.getLogger(__name__)

NAMESPACE = "http://gs2.esa.int/DATA_STRUCTURE/l2aqiReport"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
FILE_NAME = "L2A_QUALITY.xml"
#: Template values of the official files (Creator_Version and checkList version stay "2.10" in 2.12 output).
TEMPLATE_VERSION = "2.10"
#: Sen2Cor 2.12.04 processor date (manual §3.3.1 "created: 2025.11.28"), the report@date attribute.
PROCESSOR_DATE = "2025-11-28T00:00:00Z"
ITEM_CLASS = "http://www.esa.int/s2#pdi_level_2a_tile_container"
ITEM_CLASS_NAME = "PDI Level 2A Tile Folder"
_FLOAT32_TEXT = {"DEM_MEAN_ALTITUDE_KM", "DEM_MEAN_SLOPE"}
_COMMENTS = {
    "WV_RETRIEVAL_METHOD": " WV_RETRIEVAL_METHOD: SEN2COR_APDA | NA ",
    "AOT_RETRIEVAL_METHOD": " AOT_RETRIEVAL_METHOD: SEN2COR_DDV | CAMS | DEFAULT | NA",
    "DEM_TYPE": (" DEM_TYPE: SRTM_90 | DTED_90 | DTED_30 | (PRISM-AWS) COPERNICUS_90 | "
                 "(PRISM-AWS) COPERNICUS_30 "),
    "OZONE_SOURCE": " OZONE_SOURCE: AUX_ECMWFT | CONFIG | OTHER ",
}


def format_value(name: str, value: object) -> str:
    """Text of one ``value`` element as Sen2Cor writes it."""
    if isinstance(value, (bool, np.bool_)):
        return "True" if value else "False"
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        return str([str(v) for v in value])
    if name in _FLOAT32_TEXT:
        return str(np.float32(value))
    return "%f" % float(value)


def build_quality_report(indicators: QualityIndicators, *, mission: str, item_name: str, item_url: str,
                         file_class: str = "USER", creation_time: datetime | None = None) -> etree._Element:
    """Root element of L2A_QUALITY.xml.

    Parameters
    ----------
    indicators : QualityIndicators
        Values of the run (:func:`sen2cor.quality.compute_indicators`).
    mission : str
        "S2A", "S2B" or "S2C".
    item_name : str
        Tile the checks refer to: the granule folder (Toolbox) or the long L2A tile id (PDGS).
    item_url : str
        ``<tile folder>/AUX_DATA`` (absolute path, as in the official files).
    file_class : str
        "USER" (Toolbox) or "OPER" (PDGS).
    creation_time : datetime, optional
        Creation_Date (default: now, UTC).
    """
    if file_class not in ("USER", "OPER"):
        raise ValueError(f"File_Class {file_class!r} is invalid; expected USER (Toolbox) or OPER (PDGS)")
    created = (creation_time or datetime.now(UTC)).astimezone(UTC)
    root = etree.Element(f"{{{NAMESPACE}}}L2A_Quality_File", nsmap={"xsi": XSI, None: NAMESPACE})
    root.set(f"{{{XSI}}}schemaLocation", f"{NAMESPACE} L2A_QUALITY.xsd")
    fixed = _sub(_sub(root, "L2A_Quality_Header"), "Fixed_Header")
    _sub(fixed, "File_Name", "L2A_QUALITY")
    _sub(fixed, "File_Description", "Quality information obtained from Sen2Cor")
    _sub(fixed, "Notes")
    _sub(fixed, "Mission", mission)
    fixed.append(etree.Comment(" This can be set to OPER or USER dependent on PDGS or Toolbox mode "))
    _sub(fixed, "File_Class", file_class)
    _sub(fixed, "File_Type", "L2A_QLINFO")
    validity = _sub(fixed, "Validity_Period")
    _sub(validity, "Validity_Start", "UTC=2015-06-22T00:00:00")
    _sub(validity, "Validity_Stop", "UTC=2100-01-01T00:00:00")
    _sub(fixed, "File_Version", "1")
    source = _sub(fixed, "Source")
    _sub(source, "System", "Sen2Cor")
    _sub(source, "Creator", "Sen2Cor")
    _sub(source, "Creator_Version", TEMPLATE_VERSION)
    _sub(source, "Creation_Date", "UTC=" + created.strftime("%Y-%m-%dT%H:%M:%S"))
    block = _sub(root, "Data_Block", type="xml")
    report = _sub(block, "report", gippVersion=PROCESSOR_VERSION, globalStatus="PASSED", date=PROCESSOR_DATE)
    item = {"class": ITEM_CLASS, "className": ITEM_CLASS_NAME, "name": item_name, "url": item_url}
    ind = indicators
    _check_list(report, "L2A_SC", "SCENE_CLASS_QUALITY", item, [
        ('"Percentage of classified pixels"', ind.scene)])
    _check_list(report, "L2A_AC", "ATMOSPHERIC_CORRECTION_QUALITY", item, [
        ("Atmospheric correction quality values", ind.atmosphere),
        ("Atmospheric correction quality control", ind.control),
        ("Percentage of negative BOA pixels", ind.negative_boa),
        ("Look up table file list", {"LUT_DATA_FILES": list(ind.lut_files)})])
    _check_list(report, "L2A_AUX", "AUX_DATA_QUALITY", item, [
        ("AUX related parameters", ind.aux),
        ("AUX data file list", {"AUX_DATA_FILES": list(ind.aux_files)})])
    return root


def read_quality_values(path: Path) -> dict[str, str]:
    """``{value name: text}`` of every check of an L2A_QUALITY.xml (names are unique across checks)."""
    try:
        root = etree.parse(str(path)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ProductReadError(f"cannot read quality report {path}: {exc}") from exc
    return {v.get("name"): (v.text or "") for v in root.iter(f"{{{NAMESPACE}}}value")}


def write_quality_report(root: etree._Element, path: Path) -> Path:
    """Write the report atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise OutputError(f"cannot write quality report {path}: {exc}") from exc
    return path


def write_quality(target: Path | L2ALayout, indicators: QualityIndicators, *,
                  creation_time: datetime | None = None) -> Path:
    """Write L2A_QUALITY.xml and fill the Image_Content_QI of the run's metadata; returns the report path.

    ``target`` is an L2A product (its final or temporary ``.SAFE`` folder, or its :class:`L2ALayout`):
    the report goes to ``GRANULE/<tile>/QI_DATA`` (File_Class USER) and MTD_MSIL2A.xml plus MTD_TL.xml are
    updated through :func:`sen2cor.product.update_quality_indicators`.  Or ``target`` is a PDGS L2A tile
    folder (``S2x_OPER_MSI_L2A_TL_...`` holding MTD_TL.xml, final or temporary): the report goes to its
    ``QI_DATA`` (File_Class OPER) and only its MTD_TL.xml is updated.  Call it once per run, after the
    20 m resolution (the 60 m one for --resolution 60), as Sen2Cor writes the report at resolutions > 10 m.
    """
    values = indicators.metadata_values()
    if isinstance(target, L2ALayout) or (Path(target) / "MTD_MSIL2A.xml").is_file():
        layout = target if isinstance(target, L2ALayout) else L2ALayout.from_root(Path(target))
        url = final_location(layout.root) / "GRANULE" / layout.granule_name / "AUX_DATA"
        report = build_quality_report(indicators, mission=layout.name[:3], item_name=layout.granule_name,
                                      item_url=str(url), file_class="USER", creation_time=creation_time)
        path = write_quality_report(report, layout.l2a_quality)
        update_quality_indicators(layout.root, values)
    else:
        folder = Path(target)
        mtd = folder / "MTD_TL.xml"
        if not mtd.is_file():
            raise ProductReadError(f"{folder} is neither an L2A product (MTD_MSIL2A.xml) nor an L2A tile "
                                   "folder (MTD_TL.xml); cannot write L2A_QUALITY.xml")
        final = final_location(folder)
        report = build_quality_report(indicators, mission=final.name[:3], item_name=final.name,
                                      item_url=str(final / "AUX_DATA"), file_class="OPER",
                                      creation_time=creation_time)
        (folder / "QI_DATA").mkdir(exist_ok=True)
        path = write_quality_report(report, folder / "QI_DATA" / FILE_NAME)
        update_tile_indicators(mtd, values)
    log.info("quality report written: %s", path)
    return path


def update_tile_indicators(mtd_tl: Path, values: Mapping[str, object]) -> None:
    """Fill Image_Content_QI of one MTD_TL.xml (PDGS tile folders have no MTD_MSIL2A.xml)."""
    tree = read_xml(mtd_tl)
    content = child(tree, "Quality_Indicators_Info", "Image_Content_QI")
    if content is None:
        raise ProductReadError(f"{mtd_tl}: element Quality_Indicators_Info/Image_Content_QI missing")
    wanted = dict(values)
    for a, b in (("DARK_FEATURES_PERCENTAGE", "CAST_SHADOW_PERCENTAGE"),
                 ("CAST_SHADOW_PERCENTAGE", "DARK_FEATURES_PERCENTAGE")):
        if a in wanted:
            wanted.setdefault(b, wanted[a])
    for name in set(qi_names(TILE_QI, 14)) | set(qi_names(TILE_QI, 15)):
        node = child(content, name)
        if node is not None and name in wanted:
            node.text = format_qi(name, wanted[name])
    write_xml(tree, mtd_tl)


def _check_list(report: etree._Element, parent_id: str, name: str, item: dict[str, str],
                checks: list[tuple[str, Mapping[str, object]]]) -> None:
    check_list = _sub(report, "checkList")
    _sub(check_list, "parentID", parent_id)
    _sub(check_list, "name", name)
    _sub(check_list, "version", TEMPLATE_VERSION)
    _sub(check_list, "item", **item)
    for message, values in checks:
        check = _sub(check_list, "check")
        _sub(check, "message", message, contentType="text/plain")
        extra = _sub(check, "extraValues")
        for key, value in values.items():
            if key in _COMMENTS:
                extra.append(etree.Comment(_COMMENTS[key]))
            _sub(extra, "value", format_value(key, value), name=key)


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NAMESPACE}}}{tag}", attrib)
    if text is not None:
        node.text = text
    return node
