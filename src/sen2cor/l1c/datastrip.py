"""DATASTRIP/<ds>/MTD_DS.xml: what the L2A datastrip writer needs.

Element paths follow the PSD 14 schema (S2_PDI_Level-1C_Datastrip_Metadata.xsd, type A_GENERAL_INFO_DS):
General_Info/{Datatake_Info, Datastrip_Time_Info, Processing_Info, Archiving_Info} and
Image_Data_Info/Tiles_Information/Tile_List/Tile/@tileId.

When a product has no MTD_DS.xml (partial copies), :func:`datastrip_from_identifier` rebuilds the same
facts from the datastrip identifier of MTD_MSIL1C (``S2A_OPER_MSI_L1C_DS_<centre>_<created>_S<start>_N<bl>``);
``source`` says which one was used.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sen2cor.errors import ProductReadError
from sen2cor.l1c import xmlpath

log = logging.getLogger(__name__)

_DS_ID = re.compile(r"^S2[A-D]_OPER_MSI_L1C_DS_(.{4})_(\d{8}T\d{6})_S(\d{8}T\d{6})_N(\d{2}\.\d{2})$")


@dataclass(frozen=True)
class DatastripMetadata:
    """Datastrip facts: identifier, processing centre, times, baseline, granule (tile) identifiers."""

    datastrip_identifier: str
    processing_centre: str
    processing_time: datetime | None
    sensing_start: datetime
    sensing_stop: datetime | None
    processing_baseline: str
    archiving_centre: str | None
    archiving_time: datetime | None
    granule_identifiers: tuple[str, ...]
    source: str  # 'MTD_DS.xml' or 'MTD_MSIL1C.xml'


def _compact_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def read_datastrip_metadata(file: Path, datastrip_identifier: str) -> DatastripMetadata:
    """Parse MTD_DS.xml once (``datastrip_identifier`` comes from MTD_MSIL1C; MTD_DS does not repeat it)."""
    root = xmlpath.parse_xml(file)
    if not xmlpath.local_name(root).endswith("_DataStrip_ID"):
        raise ProductReadError(
            f"{file}: root element is {xmlpath.local_name(root)!r}; expected Level-1C_DataStrip_ID"
        )
    gi = "General_Info"

    def when(path: str, required: bool) -> datetime | None:
        text = xmlpath.required_text(root, path, file) if required else xmlpath.optional_text(root, path)
        return xmlpath.as_utc(text, file, path) if text else None

    tiles = tuple(
        e.get("tileId", "") for e in xmlpath.find_all(root, "Image_Data_Info/Tiles_Information/Tile_List/Tile")
    )
    return DatastripMetadata(
        datastrip_identifier=datastrip_identifier,
        processing_centre=xmlpath.required_text(root, f"{gi}/Processing_Info/PROCESSING_CENTER", file),
        processing_time=when(f"{gi}/Processing_Info/UTC_DATE_TIME", False),
        sensing_start=when(f"{gi}/Datastrip_Time_Info/DATASTRIP_SENSING_START", True),
        sensing_stop=when(f"{gi}/Datastrip_Time_Info/DATASTRIP_SENSING_STOP", False),
        processing_baseline=xmlpath.required_text(root, f"{gi}/Processing_Info/PROCESSING_BASELINE", file),
        archiving_centre=xmlpath.optional_text(root, f"{gi}/Archiving_Info/ARCHIVING_CENTRE"),
        archiving_time=when(f"{gi}/Archiving_Info/ARCHIVING_TIME", False),
        granule_identifiers=tiles,
        source="MTD_DS.xml",
    )


def datastrip_from_identifier(
    datastrip_identifier: str, granule_identifiers: tuple[str, ...], mtd_file: Path
) -> DatastripMetadata:
    """Datastrip facts encoded in the PSD datastrip identifier (fallback when MTD_DS.xml is absent)."""
    match = _DS_ID.match(datastrip_identifier)
    if match is None:
        raise ProductReadError(
            f"{mtd_file}: Granule/@datastripIdentifier = {datastrip_identifier!r}; expected "
            "S2x_OPER_MSI_L1C_DS_<centre>_<YYYYMMDDThhmmss>_S<YYYYMMDDThhmmss>_N<dd.dd>"
        )
    centre, created, start, baseline = match.groups()
    return DatastripMetadata(
        datastrip_identifier=datastrip_identifier,
        processing_centre=centre,
        processing_time=_compact_time(created),
        sensing_start=_compact_time(start),
        sensing_stop=None,
        processing_baseline=baseline,
        archiving_centre=None,
        archiving_time=None,
        granule_identifiers=granule_identifiers,
        source="MTD_MSIL1C.xml",
    )
