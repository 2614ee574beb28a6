"""DATASTRIP/<ds>/MTD_DS.xml converted from the Level-1C datastrip metadata (config facts §6.3).

No official L2A MTD_DS.xml was available to compare with; the conversion follows the PSD 14.5
``S2_PDI_Level-2A_Datastrip_Metadata.xsd`` sequence and Sen2Cor 2.8's L2A_ProcessDataStrip changes.
"""

from __future__ import annotations

import copy
import logging
import re
from datetime import UTC, datetime

from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.product import naming
from sen2cor.product.metadata import (
    AOT_QUANTIFICATION_VALUE,
    BOA_QUANTIFICATION_VALUE,
    WVP_QUANTIFICATION_VALUE_CM,
    MetadataContext,
    child,
    children,
    local,
    new_root,
    sub,
)

log = logging.getLogger(__name__)

_L1C_TILE_ID = re.compile(
    r"^(?P<sc>S2[A-D])_OPER_MSI_L1C_TL_.{4}_\d{8}T\d{6}_A(?P<orbit>\d{6})_T(?P<tile>\w{5})_N[\d.]+$"
)
_SECTIONS = (
    "General_Info",
    "Image_Data_Info",
    "Satellite_Ancillary_Data_Info",
    "Quality_Indicators_Info",
    "Auxiliary_Data_Info",
)


def build_datastrip_metadata(
    l1c_ds: etree._Element | None, ctx: MetadataContext, archiving_time: datetime | None = None
) -> etree._Element:
    """Root ``Level-2A_DataStrip_ID`` of MTD_DS.xml (sections copied from the L1C, then converted).

    A missing L1C datastrip metadata (``l1c_ds`` None) yields a minimal General_Info (datastrip id,
    sensing start, processing and archiving info) and Auxiliary_Data_Info.
    """
    root = new_root("datastrip", "Level-2A_DataStrip_ID", ctx.layout.psd_major)
    ns = etree.QName(root).namespace
    for name in _SECTIONS:
        source = child(l1c_ds, name)
        node = copy.deepcopy(source) if source is not None else etree.Element(name)
        node.tag = f"{{{ns}}}{name}"
        node.tail = None
        root.append(node)
    now = naming.xml_time(archiving_time or datetime.now(UTC), 6)
    if l1c_ds is None:
        _minimal_general(child(root, "General_Info"), ctx)
    _general(child(root, "General_Info"), ctx, now)
    _image_data(child(root, "Image_Data_Info"), ctx)
    _auxiliary(child(root, "Auxiliary_Data_Info"), ctx)
    for node in root.iter("DATASTRIP_ID"):
        node.text = ctx.datastrip_identifier
    return root


def l2a_tile_identifier(l1c_tile_id: str, ctx: MetadataContext) -> str:
    """Rewrite a long L1C tile id to the L2A one of this product (unknown forms are returned unchanged)."""
    match = _L1C_TILE_ID.match(l1c_tile_id.strip())
    if not match:
        return l1c_tile_id
    return naming.tile_identifier(
        match["sc"],
        ctx.processing_centre,
        ctx.generation_time,
        int(match["orbit"]),
        match["tile"],
        ctx.baseline,
    )


def _minimal_general(general: etree._Element, ctx: MetadataContext) -> None:
    """Skeleton of A_GENERAL_INFO_DS for inputs without MTD_DS.xml; values are set by :func:`_general`."""
    sub(general, "DATASTRIP_ID", ctx.datastrip_identifier)
    sub(
        sub(general, "Datastrip_Time_Info"),
        "DATASTRIP_SENSING_START",
        naming.xml_time(ctx.datastrip_start, 3),
    )
    processing = sub(general, "Processing_Info")
    for name in ("UTC_DATE_TIME", "PROCESSING_CENTER", "PROCESSING_BASELINE"):
        sub(processing, name, "")
    archive = sub(general, "Archiving_Info")
    for name in ("ARCHIVING_CENTRE", "ARCHIVING_TIME"):
        sub(archive, name, "")


def _general(general: etree._Element, ctx: MetadataContext, now: str) -> None:
    for datatake in general.iter("Datatake_Info"):
        l1c_id = datatake.get("datatakeIdentifier")
        if l1c_id and "_N" in l1c_id:
            datatake.set(
                "datatakeIdentifier", f"{l1c_id.rsplit('_N', 1)[0]}_{naming.baseline_long(ctx.baseline)}"
            )
    for info in general.iter("Processing_Info"):
        _set(info, "UTC_DATE_TIME", now)
        _set(info, "PROCESSING_CENTER", ctx.processing_centre)
        _set(info, "PROCESSING_BASELINE", ctx.baseline)
    for archive in general.iter("Archiving_Info"):
        _set(archive, "ARCHIVING_CENTRE", ctx.archiving_centre or ctx.processing_centre)
        _set(archive, "ARCHIVING_TIME", now)
    for doi in general.iter("PRODUCT_DOI"):
        doi.text = ctx.doi


def _image_data(image: etree._Element, ctx: MetadataContext) -> None:
    for tile in image.iter("Tile"):
        if tile.get("tileId"):
            tile.set("tileId", l2a_tile_identifier(tile.get("tileId"), ctx))
    for radiometric in image.iter("Radiometric_Info"):
        old = child(radiometric, "QUANTIFICATION_VALUE")
        if old is None:
            continue
        quant = etree.Element("QUANTIFICATION_VALUES_LIST")
        sub(quant, "BOA_QUANTIFICATION_VALUE", BOA_QUANTIFICATION_VALUE, unit="none")
        sub(quant, "AOT_QUANTIFICATION_VALUE", AOT_QUANTIFICATION_VALUE, unit="none")
        sub(quant, "WVP_QUANTIFICATION_VALUE", WVP_QUANTIFICATION_VALUE_CM, unit="cm")
        old.addnext(quant)
        radiometric.remove(old)
        offsets = child(radiometric, "Radiometric_Offset_List")
        if offsets is not None:
            if ctx.boa_add_offset_dn is not None:
                boa = etree.Element("BOA_ADD_OFFSET_VALUES_LIST")
                for band_id in range(len(BAND_IDS)):
                    sub(boa, "BOA_ADD_OFFSET", ctx.boa_add_offset_dn, band_id=band_id)
                offsets.addnext(boa)
            radiometric.remove(offsets)


def _auxiliary(aux: etree._Element, ctx: MetadataContext) -> None:
    gipps = child(aux, "GIPP_List")
    if gipps is None:
        gipps = sub(aux, "GIPP_List")
    for kind, version, name in ctx.gipp_entries():
        sub(gipps, "GIPP_FILENAME", name, type=kind, version=version)
    if child(aux, "PRODUCTION_DEM_TYPE") is None:
        sub(aux, "PRODUCTION_DEM_TYPE", ctx.dem_type)
    else:
        child(aux, "PRODUCTION_DEM_TYPE").text = ctx.dem_type
    for node in children(aux, "LUT_List"):
        aux.remove(node)
    sub(sub(aux, "LUT_List"), "LUT_FILENAME", "None")
    for name, value in ctx.aux_maps.items():
        sub(aux, name, value)


def _set(parent: etree._Element, name: str, text: str) -> None:
    node = next((c for c in parent if isinstance(c.tag, str) and local(c) == name), None)
    if node is not None:
        node.text = text
