"""Output formats of L2A_Process: --tif (GeoTIFF), --raw (raw + ENVI header), --sc_cog (SCL as COG)."""
from __future__ import annotations

from pathlib import Path

import pytest
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.io.gdal_io import cog_errors
from sen2cor.l1c import read_l1c_product
from sen2cor.testing import make_l1c


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=120, seed=8)


def _run(l1c: Path, tmp_path: Path, monkeypatch, *options: str) -> Path:
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    assert main([str(l1c), "--resolution", "20", "--output_dir", str(out), *options]) == 0
    (product,) = out.glob("S2A_MSIL2A_*.SAFE")
    return product


@pytest.mark.parametrize("option, suffix, driver", [("--tif", ".tif", "GTiff"), ("--raw", ".rawl", "ENVI")])
def test_image_format_options(l1c, tmp_path, monkeypatch, option, suffix, driver):
    product = _run(l1c, tmp_path, monkeypatch, option)
    geo = read_l1c_product(l1c).tile.geoposition[20]
    files = sorted(product.glob(f"GRANULE/*/IMG_DATA/R20m/*{suffix}"))
    assert {f.stem.split("_")[-2] for f in files} >= {"B02", "B12", "AOT", "WVP", "SCL", "TCI"}
    assert not list(product.glob("GRANULE/*/IMG_DATA/R*m/*.jp2"))
    for path in files:
        ds = gdal.Open(str(path))
        assert ds.GetDriver().ShortName == driver, path.name
        assert (ds.RasterYSize, ds.RasterXSize) == (geo.nrows, geo.ncols)
        assert ds.GetGeoTransform()[0] == pytest.approx(geo.ulx) and ds.GetGeoTransform()[3] == pytest.approx(geo.uly)
    if option == "--raw":
        assert all(path.with_suffix(".hdr").is_file() for path in files)
    mtd = (product / "MTD_MSIL2A.xml").read_text()
    assert all(f.relative_to(product).with_suffix("").as_posix() in mtd for f in files)


def test_sc_cog_writes_the_scl_as_a_cloud_optimised_geotiff(l1c, tmp_path, monkeypatch):
    product = _run(l1c, tmp_path, monkeypatch, "--sc_cog")
    (scl,) = product.glob("GRANULE/*/IMG_DATA/R20m/*_SCL_20m.tif")
    assert cog_errors(scl) == []
    assert list(product.glob("GRANULE/*/IMG_DATA/R20m/*_B02_20m.jp2"))   # the other layers stay JPEG 2000
