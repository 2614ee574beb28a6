"""MTD_MSIL2A.xml converted from MTD_MSIL1C.xml in the element order of official products (facts §6.1)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.product import naming
from sen2cor.product.metadata import (
    AOT_QUANTIFICATION_VALUE,
    BOA_QUANTIFICATION_VALUE,
    NODATA_DN,
    PRODUCT_QI,
    SATURATED_DN,
    WVP_QUANTIFICATION_VALUE_CM,
    MetadataContext,
    adopt,
    child,
    children,
    new_root,
    qi_names,
    qi_placeholder,
    scene_classes,
    sub,
    text_of,
)

log = logging.getLogger(__name__)

_COPIED_RADIOMETRY = ("Reflectance_Conversion", "Spectral_Information_List")


def build_product_metadata(
    l1c: etree._Element, ctx: MetadataContext, image_files: Sequence[str]
) -> etree._Element:
    """Root ``Level-2A_User_Product`` of MTD_MSIL2A.xml.

    Parameters
    ----------
    l1c : Element
        Root of the Level-1C MTD_MSIL1C.xml.
    ctx : MetadataContext
        Identity of the L2A product.
    image_files : sequence of str
        IMAGE_FILE entries (paths relative to the product root, without extension) of the files present.
    """
    layout = ctx.layout
    root = new_root("product", "Level-2A_User_Product", layout.psd_major)
    ns = etree.QName(root).namespace
    general = sub(root, f"{{{ns}}}General_Info")
    _product_info(sub(general, "Product_Info"), child(l1c, "General_Info", "Product_Info"), ctx, image_files)
    _image_characteristics(
        sub(general, "Product_Image_Characteristics"),
        child(l1c, "General_Info", "Product_Image_Characteristics"),
        ctx,
    )
    geometric = sub(root, f"{{{ns}}}Geometric_Info")
    for node in child(l1c, "Geometric_Info") if child(l1c, "Geometric_Info") is not None else ():
        adopt(geometric, node)
    _auxiliary(sub(root, f"{{{ns}}}Auxiliary_Data_Info"), child(l1c, "Auxiliary_Data_Info"), ctx)
    _quality(
        sub(root, f"{{{ns}}}Quality_Indicators_Info"), child(l1c, "Quality_Indicators_Info"), layout.psd_major
    )
    return root


def set_image_files(root: etree._Element, image_files: Sequence[str]) -> None:
    """Replace the IMAGE_FILE list of Product_Organisation/Granule_List/Granule by ``image_files``."""
    granule = child(root, "General_Info", "Product_Info", "Product_Organisation", "Granule_List", "Granule")
    for node in children(granule, "IMAGE_FILE"):
        granule.remove(node)
    for entry in image_files:
        sub(granule, "IMAGE_FILE", entry)


def _product_info(
    info: etree._Element, l1c_info: etree._Element | None, ctx: MetadataContext, image_files: Sequence[str]
) -> None:
    start = text_of(l1c_info, "PRODUCT_START_TIME") or naming.xml_time(ctx.layout.datatake_start, 3)
    sub(info, "PRODUCT_START_TIME", start)
    sub(info, "PRODUCT_STOP_TIME", text_of(l1c_info, "PRODUCT_STOP_TIME", default=start))
    sub(info, "PRODUCT_URI", ctx.layout.name)
    sub(info, "PROCESSING_LEVEL", "Level-2A")
    sub(info, "PRODUCT_TYPE", "S2MSI2A")
    sub(info, "PROCESSING_BASELINE", ctx.baseline)
    sub(info, "PRODUCT_DOI", ctx.doi)
    sub(info, "GENERATION_TIME", naming.xml_time(ctx.generation_time, 6))
    sub(info, "PREVIEW_IMAGE_URL", "Not applicable")
    sub(info, "PREVIEW_GEO_INFO", "Not applicable")
    datatake = adopt(info, child(l1c_info, "Datatake"))
    if datatake is not None:
        l1c_id = datatake.get("datatakeIdentifier", "")
        stem = (
            l1c_id.rsplit("_N", 1)[0]
            if "_N" in l1c_id
            else naming.datatake_identifier(
                ctx.spacecraft, ctx.layout.datatake_start, ctx.absolute_orbit, ctx.baseline
            ).rsplit("_N", 1)[0]
        )
        datatake.set("datatakeIdentifier", f"{stem}_{naming.baseline_long(ctx.baseline)}")
    l1c_query = child(l1c_info, "Query_Options")
    query = sub(
        info,
        "Query_Options",
        completeSingleTile=(l1c_query.get("completeSingleTile", "true") if l1c_query is not None else "true"),
    )
    sub(query, "PRODUCT_FORMAT", "SAFE_COMPACT")
    granule = sub(
        sub(sub(info, "Product_Organisation"), "Granule_List"),
        "Granule",
        datastripIdentifier=ctx.datastrip_identifier,
        granuleIdentifier=ctx.tile_identifier,
        imageFormat="JPEG2000" if ctx.layout.extension == ".jp2" else "GeoTIFF",
    )
    for entry in image_files:
        sub(granule, "IMAGE_FILE", entry)


def _image_characteristics(pic: etree._Element, l1c_pic: etree._Element | None, ctx: MetadataContext) -> None:
    for text, index in (("NODATA", NODATA_DN), ("SATURATED", SATURATED_DN)):
        special = sub(pic, "Special_Values")
        sub(special, "SPECIAL_VALUE_TEXT", text)
        sub(special, "SPECIAL_VALUE_INDEX", index)
    if adopt(pic, child(l1c_pic, "Image_Display_Order")) is None:
        order = sub(pic, "Image_Display_Order")
        for channel, value in (("RED_CHANNEL", 3), ("GREEN_CHANNEL", 2), ("BLUE_CHANNEL", 1)):
            sub(order, channel, value)
    quant = sub(pic, "QUANTIFICATION_VALUES_LIST")
    sub(quant, "BOA_QUANTIFICATION_VALUE", BOA_QUANTIFICATION_VALUE, unit="none")
    sub(quant, "AOT_QUANTIFICATION_VALUE", AOT_QUANTIFICATION_VALUE, unit="none")
    sub(quant, "WVP_QUANTIFICATION_VALUE", WVP_QUANTIFICATION_VALUE_CM, unit="cm")
    if ctx.boa_add_offset_dn is not None:
        offsets = sub(pic, "BOA_ADD_OFFSET_VALUES_LIST")
        for band_id in range(len(BAND_IDS)):
            sub(offsets, "BOA_ADD_OFFSET", ctx.boa_add_offset_dn, band_id=band_id)
    for name in _COPIED_RADIOMETRY:
        adopt(pic, child(l1c_pic, name))
    for gain in children(l1c_pic, "PHYSICAL_GAINS"):
        adopt(pic, gain)
    adopt(pic, child(l1c_pic, "REFERENCE_BAND"))
    classes = sub(pic, "Scene_Classification_List")
    for index, name in enumerate(scene_classes(ctx.layout.psd_major)):
        entry = sub(classes, "Scene_Classification_ID")
        sub(entry, "SCENE_CLASSIFICATION_TEXT", name)
        sub(entry, "SCENE_CLASSIFICATION_INDEX", index)


def _auxiliary(aux: etree._Element, l1c_aux: etree._Element | None, ctx: MetadataContext) -> None:
    gipps = adopt(aux, child(l1c_aux, "GIPP_List"))
    if gipps is None:
        gipps = sub(aux, "GIPP_List")
    for kind, version, name in ctx.gipp_entries():
        sub(gipps, "GIPP_FILENAME", name, type=kind, version=version)
    sub(aux, "PRODUCTION_DEM_TYPE", ctx.dem_type)
    sub(aux, "IERS_BULLETIN_FILENAME", text_of(l1c_aux, "IERS_BULLETIN_FILENAME", default="None"))
    gri = child(l1c_aux, "GRI_List")
    if gri is not None:
        adopt(aux, gri)
    else:
        gri_list = sub(aux, "GRI_List")
        for name in children(l1c_aux, "GRI_FILENAME"):
            adopt(gri_list, name)
    sub(aux, "ECMWF_DATA_REF", text_of(l1c_aux, "ECMWF_DATA_REF", default="None"))
    sub(sub(aux, "LUT_List"), "LUT_FILENAME", "None")
    for name, value in ctx.aux_maps.items():
        sub(aux, name, value)


def _quality(qi: etree._Element, l1c_qi: etree._Element | None, psd_major: int) -> None:
    sub(qi, "Cloud_Coverage_Assessment", text_of(l1c_qi, "Cloud_Coverage_Assessment", default="0.0"))
    if adopt(qi, child(l1c_qi, "Technical_Quality_Assessment")) is None:
        tech = sub(qi, "Technical_Quality_Assessment")
        sub(tech, "DEGRADED_ANC_DATA_PERCENTAGE", "0.0")
        sub(tech, "DEGRADED_MSI_DATA_PERCENTAGE", "0")
    checks = sub(qi, "Quality_Control_Checks")
    inspections = sub(checks, "Quality_Inspections")
    l1c_checks = {
        c.get("checkType"): (c.text or "PASSED")
        for c in children(child(l1c_qi, "Quality_Control_Checks", "Quality_Inspections"), "quality_check")
    }
    l1c_checks["L2A_QUALITY"] = "PASSED"
    for check_type in sorted(l1c_checks):
        sub(inspections, "quality_check", l1c_checks[check_type], checkType=check_type)
    sub(checks, "Failed_Inspections")
    content = sub(qi, "Image_Content_QI")
    for name in qi_names(PRODUCT_QI, psd_major):
        sub(content, name, qi_placeholder(name))


__all__ = ["build_product_metadata", "set_image_files"]
