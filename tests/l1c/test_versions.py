"""Baseline/PSD rules (versions.py) on hand cases and on the real metadata namespaces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from sen2cor.errors import ProductError, ProductReadError
from sen2cor.l1c import versions
from tests.l1c.builders import REAL_L1C, real

F = Path("MTD_MSIL1C.xml")


@pytest.mark.parametrize(
    ("major", "baseline", "expected"),
    [
        (14, "02.04", "14.2"),
        (14, "02.06", "14.3"),
        (14, "02.09", "14.5"),
        (14, "03.01", "14.6"),
        (14, "04.00", "14.8"),
        (14, "05.10", "14.8"),
        (15, "05.11", "15.0"),
        (15, "05.12", "15.1"),
        (14, "05.11", "14.9"),  # psd-14 namespace caps the minor at 14.9
        (15, "05.00", "15.0"),  # psd-15 namespace lifts an older baseline to 15.0
        (14, "02.03", "14.0"),  # pre-compact baseline
    ],
)
def test_psd_version_from_namespace_and_baseline(major, baseline, expected):
    assert versions.psd_version(major, baseline) == expected


@pytest.mark.parametrize("key", sorted(REAL_L1C))
def test_psd_major_is_read_from_the_real_namespace(key):
    mtd = real(REAL_L1C[key][0], "MTD_MSIL1C.xml")
    root = etree.parse(str(mtd)).getroot()
    ns = etree.QName(root).namespace
    expected = int(re.search(r"psd-(\d+)", ns).group(1))
    assert versions.psd_major_from_namespace(ns, "", mtd) == expected == 14


@pytest.mark.parametrize(
    ("major", "location", "expected"),
    [
        (14, "x /dpc/app/s2ipf/FORMAT_METADATA_TILE_L1C/05.01.01/../schemas/14.08.01/PSD/x.xsd", "14.8"),
        (15, "x /dpc/app/s2ipf/FORMAT_METADATA_TILE_L1C/06.03.00/../schemas/15.00.00/PSD/x.xsd", "15.0"),
        (14, "x /dpc/app/s2ipf/FORMAT_METADATA_TILE_L1C/02.11.01/../schemas/02.13.01/PSD/x.xsd", "14.3"),
        (15, "x /schemas/14.08.02/PSD/x.xsd", "15.0"),  # bundle of another major version: baseline rule
    ],
)
def test_psd_minor_from_the_tile_schema_bundle(major, location, expected):
    baseline = "02.06" if expected == "14.3" else "05.11"  # IPF numbers (02.13.01) are not PSD versions
    assert versions.psd_version(major, baseline, location) == expected


def test_psd_major_falls_back_to_the_schema_location():
    loc = "https://psd-15.sentinel2.eo.esa.int/PSD/User_Product_Level-1C.xsd"
    assert versions.psd_major_from_namespace("", loc, F) == 15


def test_unknown_namespace_is_not_an_l1c():
    with pytest.raises(ProductError, match="names no PSD version"):
        versions.psd_major_from_namespace("http://example.org/x", "", F)


@pytest.mark.parametrize(
    ("psd", "words"),
    [
        ("14.0", "older than 14.2"),
        ("13.1", "older than 14.2"),
        ("15.2", "newer than 15.1"),
        ("16.0", "newer than 15.1"),
    ],
)
def test_unsupported_psd_is_rejected_with_the_range(psd, words):
    with pytest.raises(ProductError, match=words) as info:
        versions.check_psd_supported(psd, "02.03", F)
    assert "14.2-15.1" in str(info.value) and "MTD_MSIL1C.xml" in str(info.value)


@pytest.mark.parametrize("psd", ["14.2", "14.9", "15.0", "15.1"])
def test_supported_psd_passes(psd):
    versions.check_psd_supported(psd, "05.10", F)


@pytest.mark.parametrize(
    ("baseline", "offset", "masks"),
    [("02.06", False, "gml"), ("03.01", False, "gml"), ("04.00", True, "jp2"), ("05.10", True, "jp2")],
)
def test_baseline_04_switches_offsets_and_raster_masks(baseline, offset, masks):
    assert versions.has_radiometric_offset(baseline) is offset
    assert versions.qi_mask_format(baseline) == masks


@pytest.mark.parametrize("text", ["5.09", "05.9", "N0509", ""])
def test_malformed_baseline_names_the_element(text):
    with pytest.raises(ProductReadError, match="PROCESSING_BASELINE"):
        versions.parse_baseline(text, F)
