"""Every processing-baseline and PSD quirk of the L1C input, in one place.

The product metadata (MTD_MSIL1C.xml) carries only the PSD *major* version, in its root namespace
``https://psd-14.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd`` (``psd-14`` or ``psd-15``).
The minor version comes from the tile metadata's ``xsi:schemaLocation`` when it names a PSD schema
bundle (``.../schemas/14.08.01/PSD/...`` -> 14.8, from baseline 04.00), otherwise from the processing
baseline with :data:`PSD_BY_BASELINE` (ESA's PSD/baseline history up to 14.5, inferred after; see
docs/l1c_reader.md), always clamped into the range the namespace allows. Baseline-dependent content:

* ``RADIO_ADD_OFFSET`` (-1000 DN) exists from baseline 04.00; before it the offset is 0.
* Pixel quality masks are JPEG 2000 rasters (MSK_QUALIT/MSK_DETFOO/MSK_CLASSI) from 04.00,
  GML vectors (MSK_DEFECT/DETFOO/NODATA/SATURA/TECQUA/CLOUDS) before.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from sen2cor import PSD_MAX, PSD_MIN
from sen2cor.errors import ProductError, ProductReadError

log = logging.getLogger(__name__)

_BASELINE = re.compile(r"^(\d{2})\.(\d{2})$")
_PSD_NAMESPACE = re.compile(r"psd-(\d+)\.sentinel2\.eo\.esa\.int", re.IGNORECASE)

#: First baseline with RADIO_ADD_OFFSET and raster (JPEG 2000) quality masks.
BASELINE_OFFSET = (4, 0)

#: Highest baseline major version this reader was checked against (05.xx).
BASELINE_MAX_MAJOR = 5

#: (first baseline, PSD version) pairs, ascending; a baseline maps to the last entry not above it.
#: ESA's PSD history table: 14.2 compact format (Dec 2016, 02.04/02.05), 14.3 = 02.06, 14.5 = 02.07.
#: Later rows from real tile metadata (schema bundles 14.08.01 at 04.00, 14.08.02 at 05.09, 15.00.00 at
#: 05.11) and the PSD 14.6 issue date (March 2021, before 03.00); 15.1 for >= 05.12 is an assumption.
PSD_BY_BASELINE: tuple[tuple[tuple[int, int], tuple[int, int]], ...] = (
    ((0, 0), (14, 0)),
    ((2, 4), (14, 2)),
    ((2, 6), (14, 3)),
    ((2, 7), (14, 5)),
    ((3, 0), (14, 6)),
    ((4, 0), (14, 8)),
    ((5, 11), (15, 0)),
    ((5, 12), (15, 1)),
)

_SCHEMA_BUNDLE = re.compile(r"/schemas/(\d{2})\.(\d{2})\.\d{2}/PSD/")

#: Highest minor version known for each PSD major version (used to clamp).
_PSD_MINOR_RANGE = {14: (0, 9), 15: (0, 1)}


def parse_version(text: str) -> tuple[int, int]:
    """'14.9' or '05.09' -> (14, 9) / (5, 9)."""
    major, minor = text.split(".")
    return int(major), int(minor)


def parse_baseline(text: str, file: Path) -> str:
    """Validate a PROCESSING_BASELINE value ('dd.dd') and return it unchanged."""
    if not _BASELINE.match(text):
        raise ProductReadError(
            f"{file}: element General_Info/Product_Info/PROCESSING_BASELINE = {text!r}; "
            "expected 'dd.dd' (e.g. 05.09)"
        )
    if parse_version(text)[0] > BASELINE_MAX_MAJOR:
        log.warning("processing baseline %s is newer than the validated 05.xx; reading it as 05.xx", text)
    return text


def psd_major_from_namespace(root_namespace: str, schema_location: str, file: Path) -> int:
    """PSD major version from the MTD_MSIL1C root namespace (or, failing that, its schemaLocation)."""
    for text in (root_namespace, schema_location):
        match = _PSD_NAMESPACE.search(text or "")
        if match:
            return int(match.group(1))
    raise ProductError(
        f"{file}: root namespace {root_namespace!r} names no PSD version "
        "(expected https://psd-14|psd-15.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd)"
    )


def psd_version(psd_major: int, baseline: str, tile_schema_location: str = "") -> str:
    """PSD version 'MM.m' from the namespace major version, the tile schema bundle or the baseline."""
    bundle = _SCHEMA_BUNDLE.search(tile_schema_location or "")
    if bundle and int(bundle.group(1)) == psd_major:
        return f"{psd_major}.{int(bundle.group(2))}"
    key = parse_version(baseline)
    psd = PSD_BY_BASELINE[0][1]
    for first, version in PSD_BY_BASELINE:
        if key >= first:
            psd = version
    if psd[0] != psd_major:
        low, high = _PSD_MINOR_RANGE.get(psd_major, (0, 0))
        psd = (psd_major, high if psd[0] > psd_major else low)
    return f"{psd[0]}.{psd[1]}"


def check_psd_supported(psd: str, baseline: str, file: Path) -> None:
    """Raise ProductError when ``psd`` is outside Sen2Cor 2.12's accepted input range 14.2-15.1."""
    value = parse_version(psd)
    if value < parse_version(PSD_MIN):
        raise ProductError(
            f"{file}: product format PSD {psd} (processing baseline {baseline}) is older than {PSD_MIN}; "
            f"Sen2Cor 2.12 accepts Level-1C PSD {PSD_MIN}-{PSD_MAX}"
        )
    if value > parse_version(PSD_MAX):
        raise ProductError(
            f"{file}: product format PSD {psd} (processing baseline {baseline}) is newer than {PSD_MAX}; "
            f"Sen2Cor 2.12 accepts Level-1C PSD {PSD_MIN}-{PSD_MAX}"
        )


def has_radiometric_offset(baseline: str) -> bool:
    """True when the baseline carries RADIO_ADD_OFFSET (04.00 and later)."""
    return parse_version(baseline) >= BASELINE_OFFSET


def qi_mask_format(baseline: str) -> str:
    """'jp2' (raster masks, baseline >= 04.00) or 'gml' (vector masks, older baselines)."""
    return "jp2" if has_radiometric_offset(baseline) else "gml"
