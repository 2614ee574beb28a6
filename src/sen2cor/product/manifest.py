"""manifest.safe (XFDU) listing every file of an L2A product with size and SHA3-256 checksum.

Built from the product as it is on disk, so it can be regenerated after every stage; identifiers follow
the official L2A products (``IMG_DATA_Band_B02_10m_Tile1_Data``, ``CloudPrbMask_1_Tile1_Data``, ...).
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path

from lxml import etree

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M
from sen2cor.product.metadata import child, read_xml, text_of, write_xml

log = logging.getLogger(__name__)

XFDU = "urn:ccsds:schema:xfdu:1"
SAFE = "http://www.esa.int/safe/sentinel/1.1"
GML = "http://www.opengis.net/gml"
MANIFEST_VERSION = "esa/safe/sentinel/1.1/sentinel-2/msi/archive_l2a_user_product"
CHECKSUM_NAME = "SHA3-256"
#: nssdcIdentifier exactly as official L2A manifests write it.
NSSDC_IDENTIFIER = "2015-000A"
_REPORTS = {
    "FORMAT_CORRECTNESS": "Format",
    "GENERAL_QUALITY": "General",
    "GEOMETRIC_QUALITY": "Geometric",
    "RADIOMETRIC_QUALITY": "Radiometric",
    "SENSOR_QUALITY": "Sensor",
    "L2A_QUALITY": "L2A_QUALITY",
}
_PIXEL_MASKS = {
    "MSK_DETFOO": "DetectorFootprintMask",
    "MSK_QUALIT": "QualitPixelsMask",
    "MSK_DEFECT": "DefectivePixelsMask",
    "MSK_NODATA": "NodataPixelsMask",
    "MSK_SATURA": "SaturatedPixelsMask",
    "MSK_TECQUA": "TechQualityMask",
}
_MASK_ORDER = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10", "B11", "B12", "B8A")
_CHUNK_BYTES = 1 << 20


def file_checksum(path: Path) -> str:
    """SHA3-256 of a file, upper-case hex (streamed in 1 MiB chunks)."""
    digest = hashlib.sha3_256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(_CHUNK_BYTES), b""):
            digest.update(block)
    return digest.hexdigest().upper()


def object_ids(rel: str) -> tuple[str, str]:
    """(content unit ID, data object ID) of a file given by its product-relative POSIX path."""
    parts = rel.split("/")
    name = parts[-1]
    stem = name.rsplit(".", 1)[0]
    if rel == "MTD_MSIL2A.xml":
        return "Product_Metadata_Level-2A", "S2_Level-2A_Product_Metadata"
    if rel == "INSPIRE.xml":
        return "INSPIRE_Metadata_Unit", "INSPIRE_Metadata"
    if rel == "HTML/UserProduct_index.html":
        return "HTML_Presentation_Unit", "HTML_Presentation"
    if rel == "HTML/UserProduct_index.xsl":
        return "HTML_Stylesheet_Unit", "HTML_Presentation_Stylesheet"
    level = "Datastrip1" if parts[0] == "DATASTRIP" else "Tile1"
    if parts[0] in ("DATASTRIP", "GRANULE") and len(parts) >= 3:
        if name in ("MTD_DS.xml", "MTD_TL.xml"):
            return f"S2_Level-2A_{level}_Metadata_Unit", f"S2_Level-2A_{level}_Metadata"
        if parts[2] == "QI_DATA" and stem in _REPORTS:
            base = f"{_REPORTS[stem]}_OLQC_Report_{level}_Information"
            return base + "Unit", base + "Data"
        if parts[2] == "AUX_DATA" and name in ("AUX_CAMSFO", "AUX_ECMWFT"):
            base = ("CAMS" if name == "AUX_CAMSFO" else "ECMWF") + "_Tile1"
            return base + "_Unit", base + "_Data"
        if parts[2] == "IMG_DATA":
            layer_res = "_".join(stem.split("_")[-2:])
            return f"IMG_DATA_Band_{layer_res}_Tile1_Unit", f"IMG_DATA_Band_{layer_res}_Tile1_Data"
        if parts[2] == "QI_DATA":
            base = _qi_base(stem)
            if base:
                return base + "_Tile1_Unit", base + "_Tile1_Data"
    safe = re.sub(r"[^A-Za-z0-9_.-]", "_", rel)
    safe = safe if re.match(r"[A-Za-z_]", safe) else "F_" + safe
    return safe + "_Unit", safe + "_Data"


def _qi_base(stem: str) -> str | None:
    if stem.endswith("_PVI"):
        return "Preview_0"
    match = re.match(r"^MSK_(CLDPRB|SNWPRB)_(20|60)m$", stem)
    if match:
        base = "CloudPrbMask" if match[1] == "CLDPRB" else "SnowPrbMask"
        return base if match[2] == "20" else base + "_1"
    match = re.match(r"^(MSK_[A-Z]{6})_(B\w\w)$", stem)
    if not match:
        return None
    kind, band = match[1], match[2]
    if kind == "MSK_CLASSI":
        return "ClassiPixelsMask_Band_00m_0"
    if kind == "MSK_CLOUDS":
        return "FineCloudMask"
    if kind in _PIXEL_MASKS and band in BAND_IDS:
        res = NATIVE_RESOLUTION_M[band]
        rank = [b for b in BAND_IDS if NATIVE_RESOLUTION_M[b] == res].index(band) + 1
        order = _MASK_ORDER.index(band)
        return f"{_PIXEL_MASKS[kind]}_Band_{res}m_{rank}" + (f"_{order}" if order else "")
    return f"{kind}_{band}"


def _mime(rel: str) -> str:
    if rel in ("MTD_MSIL2A.xml", "INSPIRE.xml"):
        return "text/xml"
    if rel.endswith((".xml", ".xsd")):
        return "application/xml"
    if rel.startswith("HTML/"):
        return "octet"
    return "application/octet-stream"


def write_manifest(root: Path) -> Path:
    """(Re)write ``manifest.safe`` of the L2A product at ``root`` listing every file but itself."""
    root = Path(root)
    files = sorted(
        (p for p in root.rglob("*") if p.is_file() and p.name != "manifest.safe"),
        key=lambda p: _listing_key(p.relative_to(root).as_posix()),
    )
    mtd = read_xml(root / "MTD_MSIL2A.xml")
    doc = etree.Element(f"{{{XFDU}}}XFDU", nsmap={"gml": GML, "safe": SAFE, "xfdu": XFDU})
    doc.set("version", MANIFEST_VERSION)
    package = etree.SubElement(
        etree.SubElement(doc, "informationPackageMap"),
        f"{{{XFDU}}}contentUnit",
        dmdID="acquisitionPeriod platform",
        pdiID="processing",
        textInfo="SENTINEL-2 MSI Level-2A User Product",
        unitType="Product_Level-2A",
    )
    _metadata_section(doc, mtd, root)
    objects = etree.SubElement(doc, "dataObjectSection")
    used: set[str] = set()
    for path in files:
        rel = path.relative_to(root).as_posix()
        unit_id, data_id = object_ids(rel)
        unit_id, data_id = _unique(unit_id, used), _unique(data_id, used)
        unit = etree.SubElement(
            package, f"{{{XFDU}}}contentUnit", ID=unit_id, unitType="Measurement Data Unit"
        )
        etree.SubElement(unit, "dataObjectPointer", dataObjectID=data_id)
        stream = etree.SubElement(
            etree.SubElement(objects, "dataObject", ID=data_id),
            "byteStream",
            mimeType=_mime(rel),
            size=str(path.stat().st_size),
        )
        etree.SubElement(stream, "fileLocation", href=f"./{rel}", locatorType="URL")
        etree.SubElement(stream, "checksum", checksumName=CHECKSUM_NAME).text = file_checksum(path)
    target = root / "manifest.safe"
    write_xml(doc, target)
    log.debug("manifest.safe lists %d files", len(files))
    return target


def _listing_key(rel: str) -> tuple[int, str]:
    """Official listing order: product metadata, INSPIRE, HTML, datastrip, granule, the rest."""
    order = {"MTD_MSIL2A.xml": 0, "INSPIRE.xml": 1, "HTML": 2, "DATASTRIP": 3, "GRANULE": 4}
    return order.get(rel.split("/")[0], 5), rel


def _unique(identifier: str, used: set[str]) -> str:
    candidate, n = identifier, 1
    while candidate in used:
        n += 1
        candidate = f"{identifier}_{n}"
    used.add(candidate)
    return candidate


def _metadata_section(doc: etree._Element, mtd: etree._Element, root: Path) -> None:
    info = child(mtd, "General_Info", "Product_Info")
    datatake = child(info, "Datatake")
    section = etree.SubElement(doc, "metadataSection")

    def wrapped(identifier: str, category: str, classification: str, text_info: str) -> etree._Element:
        obj = etree.SubElement(
            section, "metadataObject", ID=identifier, category=category, classification=classification
        )
        wrap = etree.SubElement(
            obj, "metadataWrap", mimeType="text/xml", textInfo=text_info, vocabularyName="Sentinel-SAFE"
        )
        return etree.SubElement(wrap, "xmlData")

    period = etree.SubElement(
        wrapped("acquisitionPeriod", "DMD", "DESCRIPTION", "Acquisition Period"),
        f"{{{SAFE}}}acquisitionPeriod",
    )
    etree.SubElement(period, f"{{{SAFE}}}startTime").text = text_of(
        datatake, "DATATAKE_SENSING_START", default=""
    )
    orbit = etree.SubElement(
        wrapped("measurementOrbitReference", "DMD", "DESCRIPTION", "Orbit Reference"),
        f"{{{SAFE}}}orbitReference",
    )
    granules = sorted((root / "GRANULE").glob("L2A_T*_A*_*"))
    absolute = granules[0].name.split("_")[2][1:] if granules else "000000"
    direction = (text_of(datatake, "SENSING_ORBIT_DIRECTION", default="DESCENDING") or "").lower()
    etree.SubElement(
        orbit, f"{{{SAFE}}}orbitNumber", groundTrackDirection=direction, type="start"
    ).text = absolute
    relative = int(text_of(datatake, "SENSING_ORBIT_NUMBER", default="0") or 0)
    etree.SubElement(orbit, f"{{{SAFE}}}relativeOrbitNumber", type="start").text = f"{relative:03d}"
    platform = etree.SubElement(
        wrapped("platform", "DMD", "DESCRIPTION", "Platform Description"), f"{{{SAFE}}}platform"
    )
    etree.SubElement(platform, f"{{{SAFE}}}nssdcIdentifier").text = NSSDC_IDENTIFIER
    etree.SubElement(platform, f"{{{SAFE}}}familyName").text = "SENTINEL"
    spacecraft = text_of(datatake, "SPACECRAFT_NAME", default="Sentinel-2A") or "Sentinel-2A"
    etree.SubElement(platform, f"{{{SAFE}}}number").text = spacecraft.rsplit("-", 1)[-1]
    instrument = etree.SubElement(platform, f"{{{SAFE}}}instrument")
    etree.SubElement(
        instrument, f"{{{SAFE}}}familyName", abbreviation="MSI"
    ).text = "Multi-Spectral Instrument"
    etree.SubElement(
        wrapped("processing", "PDI", "PROVENANCE", "Processing"),
        f"{{{SAFE}}}processing",
        name="Generation of Level-2A User Product",
        start=text_of(info, "GENERATION_TIME", default=""),
    )
    frame = etree.SubElement(
        wrapped("measurementFrameSet", "DMD", "DESCRIPTION", "Frame Set"), f"{{{SAFE}}}frameSet"
    )
    footprint = etree.SubElement(
        frame, f"{{{SAFE}}}footPrint", srsName="http://www.opengis.net/gml/srs/epsg.xml#4326"
    )
    positions = next((n.text for n in mtd.iter("EXT_POS_LIST")), "") or ""
    etree.SubElement(footprint, f"{{{GML}}}coordinates").text = positions
    pointers = (
        ("S2_Level-2A_Product_Metadata_Information", "S2_Level-2A_Product_Metadata", "MTD_MSIL2A.xml"),
        ("INSPIRE_Metadata_Information", "INSPIRE_Metadata", "INSPIRE.xml"),
        (
            "S2_Level-2A_Datastrip1_Metadata_Information",
            "S2_Level-2A_Datastrip1_Metadata",
            "DATASTRIP/*/MTD_DS.xml",
        ),
        ("S2_Level-2A_Tile1_Metadata_Information", "S2_Level-2A_Tile1_Metadata", "GRANULE/*/MTD_TL.xml"),
    )
    for identifier, data_id, pattern in pointers:
        if any(root.glob(pattern)):
            obj = etree.SubElement(
                section, "metadataObject", ID=identifier, category="DMD", classification="DESCRIPTION"
            )
            etree.SubElement(obj, "dataObjectPointer", dataObjectID=data_id)
