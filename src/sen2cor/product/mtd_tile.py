"""GRANULE/<tile>/MTD_TL.xml converted from the Level-1C tile metadata (config facts §6.2)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from lxml import etree

from sen2cor.product import naming
from sen2cor.product.layout import QI_MASKS
from sen2cor.product.metadata import (
    TILE_QI,
    MetadataContext,
    adopt,
    child,
    children,
    new_root,
    qi_names,
    qi_placeholder,
    sub,
    text_of,
)

log = logging.getLogger(__name__)


def build_tile_metadata(
    l1c_tile: etree._Element,
    ctx: MetadataContext,
    l1c_granule_name: str,
    l2a_masks: Sequence[tuple[str, str]],
    archiving_time: datetime | None = None,
) -> etree._Element:
    """Root ``Level-2A_Tile_ID`` of MTD_TL.xml.

    Parameters
    ----------
    l1c_tile : Element
        Root of the Level-1C MTD_TL.xml.
    ctx : MetadataContext
        Identity of the L2A product.
    l1c_granule_name : str
        L1C granule folder name, replaced by the L2A one in the inherited mask paths.
    l2a_masks : sequence of (type, relative path)
        MASK_FILENAME entries Sen2Cor adds (MSK_CLDPRB / MSK_SNWPRB at 20 and 60 m), paths with extension.
    archiving_time : datetime, optional
        ARCHIVING_TIME (default: now, UTC).
    """
    layout = ctx.layout
    root = new_root("tile", "Level-2A_Tile_ID", layout.psd_major)
    ns = etree.QName(root).namespace
    l1c_general = child(l1c_tile, "General_Info")
    general = sub(root, f"{{{ns}}}General_Info")
    sub(general, "L1C_TILE_ID", text_of(l1c_general, "TILE_ID", default="None"), metadataLevel="Brief")
    sub(general, "TILE_ID", ctx.tile_identifier, metadataLevel="Brief")
    sub(general, "DATASTRIP_ID", ctx.datastrip_identifier, metadataLevel="Standard")
    sub(
        general,
        "DOWNLINK_PRIORITY",
        text_of(l1c_general, "DOWNLINK_PRIORITY", default="NOMINAL"),
        metadataLevel="Standard",
    )
    sub(
        general,
        "SENSING_TIME",
        text_of(l1c_general, "SENSING_TIME", default=naming.xml_time(layout.datatake_start, 3)),
        metadataLevel="Standard",
    )
    archive = sub(general, "Archiving_Info", metadataLevel="Expertise")
    sub(
        archive,
        "ARCHIVING_CENTRE",
        ctx.archiving_centre
        or text_of(l1c_general, "Archiving_Info", "ARCHIVING_CENTRE", default=ctx.processing_centre),
    )
    sub(archive, "ARCHIVING_TIME", naming.xml_time(archiving_time or datetime.now(UTC), 6))
    geometric = adopt(root, child(l1c_tile, "Geometric_Info"))
    if geometric is not None:
        geometric.tag = f"{{{ns}}}Geometric_Info"
    _quality(root, ns, child(l1c_tile, "Quality_Indicators_Info"), ctx, l1c_granule_name, l2a_masks)
    return root


def _quality(
    root: etree._Element,
    ns: str,
    l1c_qi: etree._Element | None,
    ctx: MetadataContext,
    l1c_granule_name: str,
    l2a_masks: Sequence[tuple[str, str]],
) -> None:
    layout = ctx.layout
    qi = sub(root, f"{{{ns}}}Quality_Indicators_Info", metadataLevel="Standard")
    content = sub(qi, "Image_Content_QI")
    l1c_content = child(l1c_qi, "Image_Content_QI")
    inherited = {"CLOUDY_PIXEL_PERCENTAGE", "DEGRADED_MSI_DATA_PERCENTAGE"}
    for name in qi_names(TILE_QI, layout.psd_major):
        value = text_of(l1c_content, name) if name in inherited else None
        sub(content, name, value if value is not None else qi_placeholder(name))
    pixel_qi = sub(qi, "Pixel_Level_QI", geometry="FULL_RESOLUTION")
    l2a_prefix = f"GRANULE/{layout.granule_name}/"
    for mask in children(child(l1c_qi, "Pixel_Level_QI"), "MASK_FILENAME"):
        node = adopt(pixel_qi, mask)
        node.text = _rehome(mask.text or "", l1c_granule_name, layout.granule_name)
    for kind, path in l2a_masks:
        sub(pixel_qi, "MASK_FILENAME", path, type=kind)
    sub(qi, "PVI_FILENAME", l2a_prefix + "QI_DATA/" + layout.pvi.name)


def set_probability_masks(root: etree._Element, l2a_masks: Sequence[tuple[str, str]]) -> None:
    """Replace the L2A mask entries (MSK_CLDPRB, MSK_SNWPRB, MSK_DDVPXL) of Pixel_Level_QI by ``l2a_masks``."""
    pixel_qi = child(root, "Quality_Indicators_Info", "Pixel_Level_QI")
    if pixel_qi is None:
        return
    for node in children(pixel_qi, "MASK_FILENAME"):
        if node.get("type") in QI_MASKS:
            pixel_qi.remove(node)
    for kind, path in l2a_masks:
        sub(pixel_qi, "MASK_FILENAME", path, type=kind)


def _rehome(path: str, l1c_granule: str, l2a_granule: str) -> str:
    """``GRANULE/L1C_T.../QI_DATA/x`` -> ``GRANULE/L2A_T.../QI_DATA/x`` (bare names get the L2A prefix)."""
    path = path.strip()
    if l1c_granule and l1c_granule in path:
        return path.replace(l1c_granule, l2a_granule)
    if "/" not in path:
        return f"GRANULE/{l2a_granule}/QI_DATA/{path}"
    return path
