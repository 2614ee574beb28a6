"""MTD_MSIL1C.xml reading on real metadata of baselines 02.06-05.10, checked against direct XPath."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.l1c import xmlpath
from sen2cor.l1c.mtd import image_files_by_band, read_product_info, read_radiometry, read_spectral_responses
from tests.l1c.builders import REAL_L1C, real

KEYS = sorted(REAL_L1C)


def _mtd(key: str) -> Path:
    return real(REAL_L1C[key][0], "MTD_MSIL1C.xml")


def _xp(path: Path, expr: str):
    """Independent lookup with local-name() XPath (no reader code involved)."""
    return etree.parse(str(path)).getroot().xpath(expr)


def _read(key: str):
    mtd = _mtd(key)
    root = xmlpath.parse_xml(mtd)
    info = read_product_info(root, mtd)
    return mtd, root, info


@pytest.mark.parametrize("key", KEYS)
def test_offsets_follow_the_processing_baseline(key):
    mtd, root, info = _read(key)
    baseline = int(key[1:])  # "N0509" -> 509
    radiometry = read_radiometry(root, mtd, info.processing_baseline)
    expected = -1000 if baseline >= 400 else 0
    assert set(radiometry.add_offset) == set(BAND_IDS)
    assert set(radiometry.add_offset.values()) == {expected}
    listed = _xp(mtd, "//*[local-name()='RADIO_ADD_OFFSET']")
    assert bool(listed) == (baseline >= 400)


@pytest.mark.parametrize("key", KEYS)
def test_radiometry_matches_the_xml(key):
    mtd, root, info = _read(key)
    rad = read_radiometry(root, mtd, info.processing_baseline)
    assert (
        rad.quantification_value
        == float(_xp(mtd, "string(//*[local-name()='QUANTIFICATION_VALUE'])"))
        == 10000.0
    )
    assert rad.u == pytest.approx(float(_xp(mtd, "string(//*[local-name()='U'])")))
    assert 0.96 < rad.u < 1.04  # Earth-Sun distance factor over a year
    for band_id, band in enumerate(BAND_IDS):
        e0 = float(_xp(mtd, f"string(//*[local-name()='SOLAR_IRRADIANCE'][@bandId='{band_id}'])"))
        assert rad.solar_irradiance[band] == e0
    assert 1800 < rad.solar_irradiance["B01"] < 2000 and 80 < rad.solar_irradiance["B12"] < 90
    assert (rad.nodata_dn, rad.saturated_dn) == (0, 65535)
    with pytest.raises(TypeError):
        rad.add_offset["B01"] = 5  # frozen mapping


@pytest.mark.parametrize("key", KEYS)
def test_spectral_responses_have_their_wavelength_axis(key):
    mtd, root, _ = _read(key)
    responses = read_spectral_responses(root, mtd)
    assert set(responses) == set(BAND_IDS)
    for band_id, band in enumerate(BAND_IDS):
        node = f"//*[local-name()='Spectral_Information'][@bandId='{band_id}']"
        values = _xp(mtd, f"string({node}//*[local-name()='VALUES'])").split()
        start = float(_xp(mtd, f"string({node}//*[local-name()='MIN'])"))
        resp = responses[band]
        assert resp.response.size == resp.wavelength_nm.size == len(values)
        assert resp.response[0] == float(values[0]) and resp.response[-1] == float(values[-1])
        assert resp.wavelength_nm[0] == start and np.all(np.diff(resp.wavelength_nm) == 1.0)
        assert resp.response.max() == pytest.approx(1.0)  # responses are normalised to their peak
        assert resp.wavelength_nm[0] <= resp.central_nm <= resp.wavelength_nm[-1] + 2
    assert responses["B8A"].central_nm == pytest.approx(865, abs=2)


@pytest.mark.parametrize("key", KEYS)
def test_product_info_matches_the_xml_and_the_name(key):
    mtd, root, info = _read(key)
    name = mtd.parent.name
    assert info.spacecraft == name[:3]
    assert info.processing_baseline == _xp(mtd, "string(//*[local-name()='PROCESSING_BASELINE'])")
    assert info.relative_orbit == int(name.split("_R")[1][:3])
    sensing = name.split("_")[2]  # YYYYMMDDThhmmss of the datatake
    assert info.datatake_sensing_start.strftime("%Y%m%dT%H%M%S") == sensing
    assert info.datatake_sensing_start.utcoffset().total_seconds() == 0
    assert info.generation_time.strftime("%Y%m%dT%H%M%S") == name[-20:-5]
    assert info.psd_major == 14  # every real L1C here uses the psd-14 namespace
    assert info.absolute_orbit == int(
        _xp(mtd, "string(//*[local-name()='Datatake']/@datatakeIdentifier)").split("_")[2]
    )
    files = image_files_by_band(info.granules[0])
    assert set(files) == set(BAND_IDS) | {"TCI"}
    assert files["B8A"].endswith("_B8A") and files["B8A"].startswith("GRANULE/L1C_T")
