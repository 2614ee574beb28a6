"""The small SAFE companions of the L2A product: INSPIRE.xml, HTML/ and rep_info/ (config facts §5.2)."""

from __future__ import annotations

import html
import logging
import shutil
from pathlib import Path

from lxml import etree

from sen2cor.errors import OutputError
from sen2cor.product.metadata import namespace, read_xml, write_xml

log = logging.getLogger(__name__)

#: rep_info/ schema file -> (metadata kind, root element, root type, sections (name, dimap type)).
_REP_INFO = {
    "S2_User_Product_Level-2A_Metadata.xsd": (
        "product",
        "Level-2A_User_Product",
        (
            ("General_Info", "A_PRODUCT_INFO_USERL2A"),
            ("Geometric_Info", "A_GEOMETRIC_INFO_USER1C"),
            ("Auxiliary_Data_Info", "AN_AUXILIARY_DATA_INFO_USERL2A"),
            ("Quality_Indicators_Info", "A_QUALITY_INDICATORS_INFO_USER_PROD_L1C_L2A"),
        ),
    ),
    "S2_PDI_Level-2A_Tile_Metadata.xsd": (
        "tile",
        "Level-2A_Tile_ID",
        (
            ("General_Info", "A_GENERAL_INFO_2A"),
            ("Geometric_Info", "A_GEOMETRIC_INFO_TILE"),
            ("Quality_Indicators_Info", "A_QUALITY_INDICATORS_INFO_TILE_2A"),
        ),
    ),
    "S2_PDI_Level-2A_Datastrip_Metadata.xsd": (
        "datastrip",
        "Level-2A_DataStrip_ID",
        (
            ("General_Info", "A_GENERAL_INFO_DSL1CL2A"),
            ("Image_Data_Info", "AN_IMAGE_DATA_INFO_DSL1C_DSL2A"),
            ("Satellite_Ancillary_Data_Info", "AN_ANCILLARY_DATA_DSL0"),
            ("Quality_Indicators_Info", "A_QUALITY_INDICATORS_INFO_DSL1B_DSL1C_DSL2A"),
            ("Auxiliary_Data_Info", "AN_AUXILIARY_DATA_INFO_DSL1C_DSL2A"),
        ),
    ),
}


def rep_info_schemas(psd_major: int) -> dict[str, str]:
    """Top-level L2A schema files of rep_info/ (the root declarations; the DICO types are referenced, as in
    official products, not shipped)."""
    files = {}
    for filename, (kind, root_name, sections) in _REP_INFO.items():
        target = namespace(kind, psd_major)
        dico = "EUP" if kind == "product" else "PDI"
        dimap_ns = f"https://psd-{psd_major}.sentinel2.eo.esa.int/DICO/{dico}-V{psd_major}/PDGS/dimap/"
        type_name = root_name.replace("_ID", "").replace("DataStrip", "Datastrip")
        lines = [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns="{target}" '
            f'xmlns:dimap="{dimap_ns}" '
            f'targetNamespace="{target}" elementFormDefault="qualified" version="{psd_major}">',
            f'\t<xs:import namespace="{dimap_ns}" '
            f'schemaLocation="DICO/{dico}-V{psd_major}/PDGS/dimap/dimap2A.xsd"/>',
            f'\t<xs:element name="{root_name}" type="{type_name}"/>',
            f'\t<xs:complexType name="{type_name}">',
            "\t\t<xs:sequence>",
            *(
                f'\t\t\t<xs:element name="{name}" type="dimap:{dimap_type}"/>'
                for name, dimap_type in sections
            ),
            "\t\t</xs:sequence>",
        ]
        if kind == "datastrip":
            lines.append('\t\t<xs:attribute name="DatastripIdentifier" type="dimap:A_DATASTRIP_ID"/>')
        lines += ["\t</xs:complexType>", "</xs:schema>", ""]
        files[filename] = "\n".join(lines)
    return files


def write_rep_info(folder: Path, psd_major: int) -> list[Path]:
    """Write the rep_info/ schema declarations; returns the files written."""
    written = []
    for filename, text in rep_info_schemas(psd_major).items():
        path = Path(folder) / filename
        _write_text(path, text)
        written.append(path)
    return written


def write_inspire(l1c_inspire: Path | None, target: Path, l1c_name: str, l2a_name: str) -> None:
    """INSPIRE.xml: the L1C one with the product name replaced, else a minimal ISO 19139 record."""
    if l1c_inspire is not None and Path(l1c_inspire).is_file():
        root = read_xml(l1c_inspire)
        stems = {l1c_name, l1c_name.removesuffix(".SAFE"), l1c_name.removesuffix(".SAFE") + ".SAFE"}
        for node in root.iter():
            if isinstance(node.tag, str) and node.text and node.text.strip() in stems:
                node.text = (
                    l2a_name if node.text.strip().endswith(".SAFE") else l2a_name.removesuffix(".SAFE")
                )
        write_xml(root, target)
        return
    log.warning("no INSPIRE.xml in the L1C product; writing a minimal ISO 19139 record")
    gmd, gco = "http://www.isotc211.org/2005/gmd", "http://www.isotc211.org/2005/gco"
    root = etree.Element(f"{{{gmd}}}MD_Metadata", nsmap={"gmd": gmd, "gco": gco})
    ident = etree.SubElement(root, f"{{{gmd}}}fileIdentifier")
    etree.SubElement(ident, f"{{{gco}}}CharacterString").text = l2a_name
    write_xml(root, target)


def write_html(l1c_html: Path | None, folder: Path, l2a_name: str) -> list[Path]:
    """HTML/: the L1C presentation files copied (content only), else a minimal UserProduct_index.html."""
    written = []
    if l1c_html is not None and Path(l1c_html).is_dir():
        for source in sorted(Path(l1c_html).iterdir()):
            if source.is_file():
                target = Path(folder) / source.name
                _copy(source, target)
                written.append(target)
    if not written:
        target = Path(folder) / "UserProduct_index.html"
        title = html.escape(l2a_name)
        _write_text(
            target,
            f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{title}</title></head>\n'
            f"<body><h1>{title}</h1><p>Sentinel-2 MSI Level-2A user product.</p></body></html>\n",
        )
        written.append(target)
    return written


def copy_file(source: Path, target: Path) -> None:
    """Copy file content only (never the permission bits of a read-only input)."""
    _copy(source, target)


def _copy(source: Path, target: Path) -> None:
    try:
        shutil.copyfile(source, target)
    except OSError as exc:
        raise OutputError(f"cannot copy {source} to {target}: {exc}") from exc


def _write_text(path: Path, text: str) -> None:
    try:
        Path(path).write_text(text, encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc}") from exc
