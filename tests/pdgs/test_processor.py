"""PDGS inputs adapted to the tile processing: radiometry from the datastrip, band files, tile layout."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from sen2cor.bands import BAND_IDS
from sen2cor.errors import ProductReadError
from sen2cor.l1c import read_l1c_product
from sen2cor.pdgs import generate_datastrip, plan_tile
from sen2cor.pdgs.folders import L1C_DATASTRIP, L2A_DATASTRIP, metadata_file, read_metadata
from sen2cor.pdgs.inputs import read_datastrip_radiometry, tile_aux_paths, tile_band_files
from sen2cor.pdgs.processor import tile_input, tile_layout
from tests.l1c.builders import edit_xml
from tests.pdgs.builders import GENERATED, ds_options, tile_options


@pytest.fixture
def l2a_datastrip(compact_inputs, tmp_path, config) -> Path:
    l1c_ds, _ = compact_inputs
    return generate_datastrip(ds_options(tmp_path, l1c_ds), config, generation_time=GENERATED)


def _radiometry(ds: Path, baseline: str):
    mtd = metadata_file(ds, L2A_DATASTRIP)
    return read_datastrip_radiometry(read_metadata(mtd, L2A_DATASTRIP), mtd, baseline)


def test_l2a_datastrip_radiometry_equals_the_l1c_product_metadata(generated_l1c, l2a_datastrip):
    product = read_l1c_product(generated_l1c)           # reads MTD_MSIL1C.xml, an independent source
    radiometry, spectral = _radiometry(l2a_datastrip, "05.10")
    assert radiometry.quantification_value == 10000.0 == product.radiometry.quantification_value
    assert dict(radiometry.add_offset) == dict(product.radiometry.add_offset)
    assert set(radiometry.add_offset.values()) == {-1000}
    assert dict(radiometry.solar_irradiance) == dict(product.radiometry.solar_irradiance)
    assert radiometry.u == product.radiometry.u
    for band in BAND_IDS:
        expected = product.spectral_responses[band]
        np.testing.assert_array_equal(spectral[band].wavelength_nm, expected.wavelength_nm)
        np.testing.assert_array_equal(spectral[band].response, expected.response)
        assert spectral[band].central_nm == expected.central_nm


def test_l1c_offset_follows_the_l1c_baseline_when_the_datastrip_has_none(l2a_datastrip):
    before, _ = _radiometry(l2a_datastrip, "03.01")     # RADIO_ADD_OFFSET appeared with baseline 04.00
    assert set(before.add_offset.values()) == {0}
    after, _ = _radiometry(l2a_datastrip, "04.00")
    assert set(after.add_offset.values()) == {-1000}


def test_l1c_datastrip_values_are_used_when_present(compact_inputs):
    l1c_ds, _ = compact_inputs                             # an L1C MTD_DS.xml keeps its L1C radiometry
    mtd = l1c_ds / "MTD_DS.xml"
    edit_xml(mtd, '<RADIO_ADD_OFFSET band_id="0">-1000<', '<RADIO_ADD_OFFSET band_id="0">-999<')
    edit_xml(mtd, '<QUANTIFICATION_VALUE unit="none">10000<', '<QUANTIFICATION_VALUE unit="none">10001<')
    radiometry, _ = read_datastrip_radiometry(read_metadata(mtd, L1C_DATASTRIP), mtd, "03.01")
    assert radiometry.add_offset["B01"] == -999 and radiometry.add_offset["B02"] == -1000
    assert radiometry.quantification_value == 10001.0


def test_missing_solar_irradiance_names_file_and_element(l2a_datastrip):
    mtd = metadata_file(l2a_datastrip, L2A_DATASTRIP)
    text = mtd.read_text(encoding="utf-8")
    text = re.sub(r"<SOLAR_IRRADIANCE bandId=\"9\"[^<]*</SOLAR_IRRADIANCE>", "", text)
    mtd.write_text(text, encoding="utf-8")
    with pytest.raises(ProductReadError,
                       match=r"MTD_DS\.xml.*Solar_Irradiance_List missing for band\(s\) B09"):
        _radiometry(l2a_datastrip, "05.10")


def test_band_files_and_aux_of_the_tile_folder(compact_inputs):
    _, tile = compact_inputs
    files = tile_band_files(tile)
    assert list(files) == list(BAND_IDS)
    assert all(p.parent == tile / "IMG_DATA" and p.stem.endswith("_" + b) for b, p in files.items())
    aux = tile_aux_paths(tile)
    assert aux["AUX_ECMWFT"] == tile / "AUX_DATA" / "AUX_ECMWFT"
    files["B11"].unlink()
    with pytest.raises(ProductReadError, match=r"IMG_DATA: band image file\(s\) missing for B11"):
        tile_band_files(tile)


def test_tile_input_and_layout_of_a_job(l2a_datastrip, compact_inputs, tmp_path, config):
    _, tile = compact_inputs
    job = plan_tile(tile_options(tmp_path, l2a_datastrip, tile), config)
    product = tile_input(job)
    assert product.l1c_baseline == "05.10" and product.processing_baseline == job.baseline
    assert product.tile.geoposition[10].ncols == 60 and product.sensing_start == job.datatake_start
    layout = tile_layout(job, tmp_path / "tmp_tile")
    assert layout.granule == tmp_path / "tmp_tile" and layout.qi_dir == tmp_path / "tmp_tile" / "QI_DATA"
    assert os.fspath(layout) == str(tmp_path / "tmp_tile")
    assert layout.granule_aux_dir.name == "AUX_DATA" and layout.tile_id == "29UNU"


def test_truncated_band_is_refused_before_processing(l2a_datastrip, compact_inputs, tmp_path, config):
    _, tile = compact_inputs
    band = tile_band_files(tile)["B04"]
    band.write_bytes(band.read_bytes()[:200])
    job = plan_tile(tile_options(tmp_path, l2a_datastrip, tile), config)
    with pytest.raises(ProductReadError, match="B04"):
        tile_input(job)
