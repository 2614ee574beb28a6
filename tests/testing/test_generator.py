"""Generator options, determinism, command line, and round trip through the L1C reader."""
from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import numpy as np
import pytest
from lxml import etree

from sen2cor.testing import make_l1c
from sen2cor.testing.cli import main
from sen2cor.testing.geometry import solar_position
from sen2cor.testing.spectra import band_info


def _digests(safe):
    return {str(p.relative_to(safe)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(safe.rglob("*")) if p.is_file()}


def test_same_seed_gives_byte_identical_product(product, tmp_path):
    again = make_l1c(tmp_path, size_px=600, seed=3, spacecraft="S2A", acquisition_date="2022-10-05",
                     scene="mixed", atmosphere="analytic", write_truth=False)
    assert again.name == product.name
    assert _digests(again) == _digests(product)


def test_other_seed_changes_the_images_not_the_layout(product, tmp_path):
    other = make_l1c(tmp_path, size_px=600, seed=4, atmosphere="analytic", write_truth=False)
    a, b = _digests(product), _digests(other)
    assert a.keys() == b.keys()
    changed = [k for k in a if a[k] != b[k]]
    assert any(k.endswith("_B04.jp2") for k in changed)


def test_spacecraft_baseline_and_date_options(tmp_path):
    safe = make_l1c(tmp_path, size_px=120, seed=1, spacecraft="S2C", acquisition_date="2025-06-01",
                    tile_id="32TQM", baseline="05.11", scene="clear", nodata_fraction=0.0, write_truth=False)
    assert safe.name.startswith("S2C_MSIL1C_20250601T") and "_N0511_" in safe.name and "_T32TQM_" in safe.name
    root = etree.parse(str(safe / "MTD_MSIL1C.xml")).getroot()
    assert root.tag.startswith("{https://psd-15.sentinel2.eo.esa.int/PSD/")
    assert root.findtext(".//SPACECRAFT_NAME") == "Sentinel-2C"
    (granule,) = (safe / "GRANULE").iterdir()
    tl = etree.parse(str(granule / "MTD_TL.xml")).getroot()
    assert tl.findtext(".//HORIZONTAL_CS_CODE") == "EPSG:32632"
    assert [int(e.text) for e in tl.iter("NROWS")] == [120, 60, 20]


@pytest.mark.parametrize("size", [100, 11000, 0])
def test_invalid_sizes_rejected(tmp_path, size):
    with pytest.raises(ValueError, match="multiple of 6"):
        make_l1c(tmp_path, size_px=size)


def test_cli_prints_product_path(tmp_path, capsys):
    assert main([str(tmp_path), "--size", "60", "--seed", "2", "--spacecraft", "S2B", "--scene", "water",
                 "--no-truth"]) == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith(".SAFE") and out.split("/")[-1].startswith("S2B_MSIL1C_")
    assert main([str(tmp_path), "--size", "61"]) == 1


def test_reader_returns_what_was_written(product):
    l1c = pytest.importorskip("sen2cor.l1c")
    p = l1c.read_l1c_product(product)
    assert p.spacecraft == "S2A" and p.tile_id == "29UNU" and p.processing_baseline == "05.10"
    assert p.name == product.stem and p.relative_orbit == int(product.name.split("_")[4][1:])
    assert p.radiometry.quantification_value == 10000.0
    assert set(p.radiometry.add_offset.values()) == {-1000}
    assert p.radiometry.solar_irradiance["B04"] == pytest.approx(band_info("S2A")["B04"].solar_irradiance)
    gp = p.tile.geoposition
    assert (gp[10].ulx, gp[10].uly, gp[10].nrows, gp[20].nrows, gp[60].ncols) == (499980.0, 5900040.0, 600, 300, 100)
    # the mean sun zenith written must be the sun's position over the crop at the sensing time
    sz, sa = solar_position(p.tile.sensing_time, -8.97, 53.22)
    assert p.tile.angles.mean_sun_zenith == pytest.approx(float(sz), abs=0.1)
    assert p.tile.angles.mean_sun_azimuth == pytest.approx(float(sa), abs=0.3)
    assert 0 < p.tile.angles.mean_viewing["B04"][0] < 12
    for band in ("B01", "B04", "B8A", "B12"):
        assert p.band_path(band).is_file()
    assert all(v is not None and v.is_file() for v in p.aux_paths.values())
    fields = l1c.read_grib(p.aux_paths["AUX_CAMSFO"])
    assert "aod550" in fields and fields["aod550"].values.shape == (9, 9)
    assert p.sensing_start.tzinfo is not None and p.sensing_start < p.generation_time


def test_solar_position_against_real_metadata():
    """Real T29UNU (2022-10-05 11:56:49 UTC): mean SZA 57.82, SAA 172.84 deg."""
    sz, sa = solar_position(datetime(2022, 10, 5, 11, 56, 49, tzinfo=timezone.utc), -8.19, 52.75)
    assert float(sz) == pytest.approx(57.82, abs=0.1)
    assert float(sa) == pytest.approx(172.84, abs=0.2)


def test_angle_grids_per_detector_have_nan_outside_footprint(granule):
    root = etree.parse(str(granule / "MTD_TL.xml")).getroot()
    grids = root.findall(".//Viewing_Incidence_Angles_Grids")
    assert {g.get("bandId") for g in grids} == {str(i) for i in range(13)}
    n_nodes = len(root.find(".//Sun_Angles_Grid/Zenith/Values_List"))
    assert n_nodes == 3                                     # 6 km crop: nodes at 0, 5, 10 km
    for g in grids:
        rows = [[float(v) for v in r.text.split()] for r in g.find("Zenith/Values_List")]
        vals = np.array(rows)
        assert vals.shape == (3, 3)
        assert np.all((vals[np.isfinite(vals)] >= 0) & (vals[np.isfinite(vals)] < 13))


def test_pdgs_inputs(product, tmp_path):
    import re

    from sen2cor.testing.pdgs import write_pdgs_inputs
    inputs = write_pdgs_inputs(product, tmp_path)
    assert re.fullmatch(r"S2A_OPER_MSI_L1C_DS_2APS_\d{8}T\d{6}_S\d{8}T\d{6}_N05\.10", inputs.datastrip_dir.name)
    assert re.fullmatch(r"S2A_OPER_MSI_L1C_TL_2APS_\d{8}T\d{6}_A\d{6}_T29UNU_N05\.10", inputs.tile_dir.name)
    assert (inputs.datastrip_dir / "MTD_DS.xml").is_file() and (inputs.datastrip_dir / "QI_DATA").is_dir()
    assert (inputs.tile_dir / "MTD_TL.xml").is_file()
    assert len(list((inputs.tile_dir / "IMG_DATA").glob("*.jp2"))) == 14
    assert (inputs.tile_dir / "AUX_DATA" / "AUX_CAMSFO").is_file()


def test_detector_grids_cover_the_detector_footprints(granule):
    """Each angle-grid node inside the image has a finite grid for the detector that sees it (MSK_DETFOO)."""
    import glymur
    root = etree.parse(str(granule / "MTD_TL.xml")).getroot()
    det = glymur.Jp2k(str(granule / "QI_DATA" / "MSK_DETFOO_B8A.jp2"))[:]
    grids = {int(g.get("detectorId")): np.array([[float(v) for v in r.text.split()]
                                                for r in g.find("Zenith/Values_List")])
             for g in root.findall(".//Viewing_Incidence_Angles_Grids[@bandId='8']")}
    checked = 0
    for i in range(3):
        for j in range(3):
            r, c = min(i * 250, 299), min(j * 250, 299)          # node (i, j) at 5 km steps, 20 m pixels
            d = int(det[r, c])
            if d:
                assert d in grids and np.isfinite(grids[d][i, j]), (i, j, d)
                checked += 1
    assert checked >= 4
