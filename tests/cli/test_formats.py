"""Output formats of L2A_Process: --tif (GeoTIFF), --raw (raw + ENVI header), --sc_cog (SCL as COG)."""
from __future__ import annotations


import pytest
from osgeo import gdal

from sen2cor.io.gdal_io import cog_errors
from sen2cor.l1c import read_l1c_product


@pytest.mark.parametrize("option, suffix, driver", [("--tif", ".tif", "GTiff"), ("--raw", ".rawl", "ENVI")])
def test_image_format_options(small_l1c, tmp_path, run_20m, option, suffix, driver):
    l1c = small_l1c
    product = run_20m(l1c, tmp_path, option)
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


def test_sc_cog_writes_the_scl_as_a_cloud_optimised_geotiff(small_l1c, tmp_path, run_20m):
    product = run_20m(small_l1c, tmp_path, "--sc_cog")
    (scl,) = product.glob("GRANULE/*/IMG_DATA/R20m/*_SCL_20m.tif")
    assert cog_errors(scl) == []
    assert list(product.glob("GRANULE/*/IMG_DATA/R20m/*_B02_20m.jp2"))   # the other layers stay JPEG 2000
