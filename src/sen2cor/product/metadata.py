"""L2A metadata: shared context, XML helpers and the quality-indicator update (config facts §6).

The three metadata files are converted from the Level-1C ones, as Sen2Cor does:
``mtd_product.build_product_metadata`` (MTD_MSIL2A.xml), ``mtd_tile.build_tile_metadata`` (MTD_TL.xml),
``mtd_datastrip.build_datastrip_metadata`` (MTD_DS.xml).  Quality indicators are written as placeholders
when the skeleton is created and filled later by :func:`update_quality_indicators`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lxml import etree

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.product import naming
from sen2cor.product.layout import L2ALayout

XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: Sen2Cor version reproduced; GIP_L2ACSC / GIP_L2ACAC carry its digits as version ("21204").
PROCESSOR_VERSION = "02.12.04"
#: L2A_GIPP.xml Product_DOI default of Sen2Cor 2.12 (config facts §1.1).
DEFAULT_DOI = "https://doi.org/10.5270/S2_-znk9xsj"
#: Digital number encoding of the L2A layers (config facts §5.4).
BOA_QUANTIFICATION_VALUE = 10000
AOT_QUANTIFICATION_VALUE = 1000.0
WVP_QUANTIFICATION_VALUE_CM = 1000.0
BOA_ADD_OFFSET_DN = -1000
NODATA_DN = 0
SATURATED_DN = 65535
#: Auxiliary maps of Auxiliary_Data_Info: the file (folder) name of each map the scene classification used,
#: "None" for the others (config facts §6.1). The skeleton says "None"; :func:`update_auxiliary_maps` writes
#: what the run used.
AUX_MAP_FIELDS: tuple[str, ...] = ("SNOW_CLIMATOLOGY_MAP", "ESACCI_WaterBodies_Map", "ESACCI_LandCover_Map",
                                   "ESACCI_SnowCondition_Map_Dir")
#: Image_Content_QI of MTD_MSIL2A.xml in official order; index 3 is CAST_SHADOW_PERCENTAGE in PSD 15.
PRODUCT_QI: tuple[str, ...] = (
    "CLOUDY_PIXEL_OVER_LAND_PERCENTAGE",
    "NODATA_PIXEL_PERCENTAGE",
    "SATURATED_DEFECTIVE_PIXEL_PERCENTAGE",
    "DARK_FEATURES_PERCENTAGE",
    "CLOUD_SHADOW_PERCENTAGE",
    "VEGETATION_PERCENTAGE",
    "NOT_VEGETATED_PERCENTAGE",
    "WATER_PERCENTAGE",
    "UNCLASSIFIED_PERCENTAGE",
    "MEDIUM_PROBA_CLOUDS_PERCENTAGE",
    "HIGH_PROBA_CLOUDS_PERCENTAGE",
    "THIN_CIRRUS_PERCENTAGE",
    "SNOW_ICE_PERCENTAGE",
    "RADIATIVE_TRANSFER_ACCURACY",
    "WATER_VAPOUR_RETRIEVAL_ACCURACY",
    "AOT_RETRIEVAL_ACCURACY",
    "AOT_RETRIEVAL_METHOD",
    "GRANULE_MEAN_AOT",
    "GRANULE_MEAN_WV",
    "OZONE_SOURCE",
    "OZONE_VALUE",
)
#: MTD_TL.xml Image_Content_QI: CLOUDY_PIXEL, CLOUDY_PIXEL_OVER_LAND, DEGRADED_MSI, then the product set.
TILE_QI: tuple[str, ...] = (
    "CLOUDY_PIXEL_PERCENTAGE",
    "CLOUDY_PIXEL_OVER_LAND_PERCENTAGE",
    "DEGRADED_MSI_DATA_PERCENTAGE",
) + PRODUCT_QI[1:]
#: Placeholder values until the run's statistics are known (gap: Sen2Cor's --cr_only values are undocumented).
QI_PLACEHOLDERS: dict[str, str] = {
    "AOT_RETRIEVAL_METHOD": "DEFAULT",
    "OZONE_SOURCE": "OTHER",
    "RADIATIVE_TRANSFER_ACCURACY": "0.0",
    "WATER_VAPOUR_RETRIEVAL_ACCURACY": "0.0",
    "AOT_RETRIEVAL_ACCURACY": "0.0",
}
_TEXT_QI = {"AOT_RETRIEVAL_METHOD", "OZONE_SOURCE"}
SCENE_CLASSES: tuple[str, ...] = (
    "SC_NODATA",
    "SC_SATURATED_DEFECTIVE",
    "SC_DARK_FEATURE_SHADOW",
    "SC_CLOUD_SHADOW",
    "SC_VEGETATION",
    "SC_NOT_VEGETATED",
    "SC_WATER",
    "SC_UNCLASSIFIED",
    "SC_CLOUD_MEDIUM_PROBA",
    "SC_CLOUD_HIGH_PROBA",
    "SC_THIN_CIRRUS",
    "SC_SNOW_ICE",
)


def namespace(kind: str, psd_major: int) -> str:
    """Namespace of the L2A ``"product"``, ``"tile"`` or ``"datastrip"`` metadata for PSD 14 or 15."""
    leaf = {
        "product": "User_Product_Level-2A.xsd",
        "tile": "S2_PDI_Level-2A_Tile_Metadata.xsd",
        "datastrip": "S2_PDI_Level-2A_Datastrip_Metadata.xsd",
    }[kind]
    return f"https://psd-{psd_major}.sentinel2.eo.esa.int/PSD/{leaf}"


def qi_names(names: Iterable[str], psd_major: int) -> tuple[str, ...]:
    """Quality-indicator names with PSD 15's CAST_SHADOW_PERCENTAGE in place of DARK_FEATURES_PERCENTAGE."""
    swap = {"DARK_FEATURES_PERCENTAGE": "CAST_SHADOW_PERCENTAGE"} if psd_major >= 15 else {}
    return tuple(swap.get(n, n) for n in names)


def scene_classes(psd_major: int) -> tuple[str, ...]:
    """SCL class names 0..11 (PSD 15 renames class 2 to SC_CAST_SHADOW)."""
    return tuple("SC_CAST_SHADOW" if (i == 2 and psd_major >= 15) else n for i, n in enumerate(SCENE_CLASSES))


#: GIPP_FILENAME text of the packaged expert GIPPs (type -> file name without extension).
DEFAULT_GIPP_FILES: dict[str, str] = {
    "GIP_L2ACSC": "L2A_CAL_SC_GIPP",
    "GIP_L2ACAC": "L2A_CAL_AC_GIPP",
    "GIP_PROBA2": "L2A_PB_GIPP",
}


def gipp_file_names(sc: Path | str, ac: Path | str, pb: Path | str) -> dict[str, str]:
    """GIPP_FILENAME texts of the expert GIPPs a run used: each file name up to its first dot, as Sen2Cor
    writes them (``S2__OPER_GIP_L2ACSC_MPC__..._B00.xml`` -> ``S2__OPER_GIP_L2ACSC_MPC__..._B00``)."""
    return {kind: Path(path).name.split(".")[0]
            for kind, path in (("GIP_L2ACSC", sc), ("GIP_L2ACAC", ac), ("GIP_PROBA2", pb))}


@dataclass(frozen=True)
class MetadataContext:
    """Identity of the L2A product that every metadata file repeats.

    Built from the layout (names carry generation time, centre and orbit) plus run options.
    """

    layout: L2ALayout
    spacecraft: str
    baseline: str
    archiving_centre: str | None = None
    doi: str = DEFAULT_DOI
    boa_add_offset_dn: int | None = BOA_ADD_OFFSET_DN
    processor_version: str = PROCESSOR_VERSION
    dem_type: str = "None"
    generation: datetime | None = None
    aux_maps: Mapping[str, str] = field(default_factory=lambda: dict.fromkeys(AUX_MAP_FIELDS, "None"))
    gipp_files: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_GIPP_FILES))

    @property
    def processing_centre(self) -> str:
        return naming.parse_datastrip_folder(self.layout.datastrip_name)[0]

    @property
    def generation_time(self) -> datetime:
        """L2A generation time: ``generation`` if given (keeps milliseconds), else from the datastrip name."""
        return self.generation or naming.parse_datastrip_folder(self.layout.datastrip_name)[1]

    @property
    def datastrip_start(self) -> datetime:
        return naming.parse_datastrip_folder(self.layout.datastrip_name)[2]

    @property
    def absolute_orbit(self) -> int:
        return naming.parse_granule_folder(self.layout.granule_name)[1]

    @property
    def tile_identifier(self) -> str:
        return naming.tile_identifier(
            self.spacecraft,
            self.processing_centre,
            self.generation_time,
            self.absolute_orbit,
            self.layout.tile_id,
            self.baseline,
        )

    @property
    def datastrip_identifier(self) -> str:
        return naming.datastrip_identifier(
            self.spacecraft, self.processing_centre, self.generation_time, self.datastrip_start, self.baseline
        )

    def gipp_entries(self) -> list[tuple[str, str, str]]:
        """(type, version, name) of the GIPP_FILENAME entries Sen2Cor appends."""
        digits = self.processor_version.replace(".", "").lstrip("0")
        versions = {"GIP_L2ACSC": digits, "GIP_L2ACAC": digits, "GIP_PROBA2": self.baseline.replace(".", "")}
        return [
            (kind, versions[kind], self.gipp_files[kind])
            for kind in ("GIP_L2ACSC", "GIP_L2ACAC", "GIP_PROBA2")
        ]


# --------------------------------------------------------------------------- XML helpers
def local(element: etree._Element) -> str:
    """Tag without namespace."""
    return etree.QName(element).localname


def child(parent: etree._Element | None, *names: str) -> etree._Element | None:
    """Descend by local names (namespaces ignored); None when a step is missing."""
    node = parent
    for name in names:
        if node is None:
            return None
        node = next((c for c in node if isinstance(c.tag, str) and local(c) == name), None)
    return node


def children(parent: etree._Element | None, name: str) -> list[etree._Element]:
    """All direct children with local name ``name``."""
    if parent is None:
        return []
    return [c for c in parent if isinstance(c.tag, str) and local(c) == name]


def text_of(parent: etree._Element | None, *names: str, default: str | None = None) -> str | None:
    node = child(parent, *names)
    return node.text.strip() if node is not None and node.text else default


def sub(parent: etree._Element, tag: str, text: object = None, **attrib: str) -> etree._Element:
    """Append an element (unqualified unless ``tag`` is Clark notation) with optional text and attributes."""
    node = etree.SubElement(parent, tag, {k: str(v) for k, v in attrib.items()})
    if text is not None:
        node.text = str(text)
    return node


def adopt(parent: etree._Element, source: etree._Element | None) -> etree._Element | None:
    """Append a deep copy of a Level-1C element (None is skipped)."""
    if source is None:
        return None
    node = copy.deepcopy(source)
    node.tail = None
    parent.append(node)
    return node


def new_root(kind: str, root_tag: str, psd_major: int, schema_location: str | None = None) -> etree._Element:
    ns = namespace(kind, psd_major)
    root = etree.Element(f"{{{ns}}}{root_tag}", nsmap={"n1": ns, "xsi": XSI})
    root.set(f"{{{XSI}}}schemaLocation", schema_location or ns)
    return root


def read_xml(path: Path) -> etree._Element:
    """Parse a metadata file; ProductReadError naming the file when missing or malformed."""
    try:
        return etree.parse(str(path), etree.XMLParser(remove_blank_text=True)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ProductReadError(f"cannot read metadata file {path}: {exc}") from exc


def write_xml(root: etree._Element, path: Path) -> None:
    """Write pretty-printed UTF-8 with the declaration the official files carry."""
    etree.cleanup_namespaces(root)
    etree.indent(root, space="  ")
    data = etree.tostring(root, encoding="UTF-8", xml_declaration=False, pretty_print=True)
    try:
        Path(path).write_bytes(b'<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + data)
    except OSError as exc:
        raise OutputError(f"cannot write metadata file {path}: {exc}") from exc


def format_qi(name: str, value: object) -> str:
    """Quality-indicator text: strings as given, numbers with six decimals as Sen2Cor's '%f'."""
    if name in _TEXT_QI:
        return str(value)
    return f"{float(value):f}"


def qi_placeholder(name: str) -> str:
    return QI_PLACEHOLDERS.get(name, "0.000000")


# --------------------------------------------------------------------------- auxiliary maps
def update_auxiliary_maps(product_root: Path, values: Mapping[str, str]) -> list[Path]:
    """Set the :data:`AUX_MAP_FIELDS` of Auxiliary_Data_Info in MTD_MSIL2A.xml and DATASTRIP/*/MTD_DS.xml.

    ``values`` maps field -> name of the map used or "None"; files absent under ``product_root`` (a PDGS
    tile folder has neither) are skipped. Returns the files rewritten.
    """
    unknown = sorted(set(values) - set(AUX_MAP_FIELDS))
    if unknown:
        raise ValueError(f"unknown auxiliary map field(s) {unknown}; expected names among {AUX_MAP_FIELDS}")
    root = Path(product_root)
    written = []
    for path in [root / "MTD_MSIL2A.xml", *sorted(root.glob("DATASTRIP/*/MTD_DS.xml"))]:
        if not values or not path.is_file():
            continue
        tree = read_xml(path)
        for node in tree.iter():
            if isinstance(node.tag, str) and local(node) in values:
                node.text = str(values[local(node)])
        write_xml(tree, path)
        written.append(path)
    return written


# --------------------------------------------------------------------------- quality indicators
def update_quality_indicators(product_root: Path, values: Mapping[str, object]) -> list[Path]:
    """Fill the quality indicators of MTD_MSIL2A.xml and every GRANULE/*/MTD_TL.xml.

    Parameters
    ----------
    product_root : Path
        The L2A ``.SAFE`` folder (final or temporary).
    values : mapping
        Element name -> value, e.g. ``{"VEGETATION_PERCENTAGE": 26.07, "AOT_RETRIEVAL_METHOD": "SEN2COR_DDV",
        "GRANULE_MEAN_AOT": 0.089, "OZONE_VALUE": 321.75, "CLOUDY_PIXEL_PERCENTAGE": 59.77}``;
        percentages in %, AOT unitless, WV in cm, ozone in DU.  ``CLOUD_COVERAGE_ASSESSMENT`` sets the
        product-level Cloud_Coverage_Assessment (defaults to CLOUDY_PIXEL_PERCENTAGE).
        DARK_FEATURES_PERCENTAGE and CAST_SHADOW_PERCENTAGE are synonyms; the name of the product's PSD
        is written.

    Returns
    -------
    list of Path
        Files rewritten.

    Raises
    ------
    ValueError
        A name that is not a quality indicator of the L2A metadata.
    """
    allowed = set(TILE_QI) | set(PRODUCT_QI) | {"CAST_SHADOW_PERCENTAGE", "CLOUD_COVERAGE_ASSESSMENT"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValueError(f"unknown quality indicator(s) {unknown}; expected names among {sorted(allowed)}")
    wanted = dict(values)
    if "CAST_SHADOW_PERCENTAGE" in wanted:
        wanted.setdefault("DARK_FEATURES_PERCENTAGE", wanted["CAST_SHADOW_PERCENTAGE"])
    if "DARK_FEATURES_PERCENTAGE" in wanted:
        wanted.setdefault("CAST_SHADOW_PERCENTAGE", wanted["DARK_FEATURES_PERCENTAGE"])
    if "CLOUDY_PIXEL_PERCENTAGE" in wanted:
        wanted.setdefault("CLOUD_COVERAGE_ASSESSMENT", wanted["CLOUDY_PIXEL_PERCENTAGE"])
    root = Path(product_root)
    written = []
    for path in [root / "MTD_MSIL2A.xml", *sorted(root.glob("GRANULE/*/MTD_TL.xml"))]:
        tree = read_xml(path)
        qi = child(tree, "Quality_Indicators_Info")
        targets = [child(qi, "Image_Content_QI"), child(qi, "Technical_Quality_Assessment")]
        for name, value in wanted.items():
            for parent in targets:
                node = child(parent, name)
                if node is not None:
                    node.text = format_qi(name, value)
        cca = child(qi, "Cloud_Coverage_Assessment")
        if cca is not None and "CLOUD_COVERAGE_ASSESSMENT" in wanted:
            cca.text = format_qi("CLOUD_COVERAGE_ASSESSMENT", wanted["CLOUD_COVERAGE_ASSESSMENT"])
        write_xml(tree, path)
        written.append(path)
    return written
