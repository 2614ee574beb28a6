"""GDAL outputs: GeoTIFF, raw + ENVI header, COG (band style, GDAL's COG validation), warping."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal

from sen2cor.dem.grid import TileGrid
from sen2cor.dem.mosaic import warp_onto
from sen2cor.io.gdal_io import (BandStyle, category_names, cog_errors, mem_dataset, write_cog, write_envi_raw,
                                write_geotiff)
from sen2cor.io.geo import Geocoding, as_geocoding

GEO20 = Geocoding(399960.0, 5000040.0, 20.0, -20.0, 32631)


def _image(shape, dtype, seed=1):
    return np.random.default_rng(seed).integers(0, 12, shape).astype(dtype)


def test_geotiff_roundtrip_and_grid(tmp_path):
    image = _image((70, 50), np.uint16)
    path = write_geotiff(tmp_path / "b.tif", image, GEO20)
    ds = gdal.Open(str(path))
    np.testing.assert_array_equal(ds.ReadAsArray(), image)
    assert ds.GetGeoTransform() == GEO20.geotransform
    assert ds.GetSpatialRef().GetAuthorityCode(None) == "32631"
    assert ds.GetRasterBand(1).DataType == gdal.GDT_UInt16
    assert [p.name for p in tmp_path.iterdir()] == ["b.tif"]


def test_rgb_geotiff_keeps_band_order(tmp_path):
    rgb = np.stack([np.full((8, 9), v, np.uint8) for v in (10, 20, 30)], axis=-1)
    ds = gdal.Open(str(write_geotiff(tmp_path / "tci.tif", rgb, GEO20)))
    assert ds.RasterCount == 3
    assert [int(ds.GetRasterBand(i).ReadAsArray()[0, 0]) for i in (1, 2, 3)] == [10, 20, 30]


def test_envi_raw_has_header_and_gml(tmp_path):
    image = _image((40, 30), np.uint16)
    path = write_envi_raw(tmp_path / "B02.rawl", image, GEO20)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["B02.gml", "B02.hdr", "B02.rawl"]
    assert path.stat().st_size == 40 * 30 * 2  # raw pixels only
    np.testing.assert_array_equal(np.fromfile(path, dtype="<u2").reshape(40, 30), image)
    ds = gdal.Open(str(path))
    assert ds.GetDriver().ShortName == "ENVI"
    assert np.allclose(ds.GetGeoTransform(), GEO20.geotransform)
    assert "399970 5000030" in (tmp_path / "B02.gml").read_text()


def test_cog_is_valid_and_has_overviews(tmp_path):
    scl = _image((1200, 1100), np.uint8)
    path = write_cog(tmp_path / "SCL.tif", scl, GEO20, BandStyle(resampling="NEAREST"))
    assert cog_errors(path) == []
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    assert band.GetOverviewCount() >= 1 and band.GetBlockSize() == [512, 512]
    assert ds.GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"
    assert ds.GetMetadataItem("COMPRESSION", "IMAGE_STRUCTURE") == "ZSTD"
    assert ds.GetMetadataItem("PREDICTOR", "IMAGE_STRUCTURE") == "2"
    np.testing.assert_array_equal(ds.ReadAsArray(), scl)
    assert ds.GetGeoTransform() == GEO20.geotransform
    assert [p.name for p in tmp_path.iterdir()] == ["SCL.tif"]


def test_cog_band_style_reaches_the_file(tmp_path):
    dn = np.full((600, 700), 3000, np.uint16)
    style = BandStyle(("B04",), scale=1e-4, offset=-0.1, unit="", nodata=0)
    ds = gdal.Open(str(write_cog(tmp_path / "B04.tif", dn, GEO20, style)))
    band = ds.GetRasterBand(1)
    assert band.GetDescription() == "B04" and band.GetNoDataValue() == 0
    assert band.ReadAsArray()[0, 0] * band.GetScale() + band.GetOffset() == pytest.approx(0.2)
    assert [p.name for p in tmp_path.iterdir()] == ["B04.tif"]   # scale and offset are inside the TIFF


def test_cog_colour_table_and_class_names(tmp_path):
    classes = np.tile(np.arange(3, dtype=np.uint8), (600, 200))
    style = BandStyle(("SCL",), colours={1: (0, 160, 0), 2: (0, 0, 255)}, categories=("NONE", "GREEN", "BLUE"),
                      resampling="MODE")
    path = write_cog(tmp_path / "classes.tif", classes, GEO20, style)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["classes.tif", "classes.tif.aux.xml"]
    names = category_names(path)
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    assert names == ["NONE", "GREEN", "BLUE"]
    assert band.GetColorInterpretation() == gdal.GCI_PaletteIndex
    assert band.GetColorTable().GetColorEntry(1)[:3] == (0, 160, 0)
    assert band.GetColorTable().GetColorEntry(2)[:3] == (0, 0, 255)


@pytest.mark.parametrize("resampling, expected", [("MODE", 4), ("AVERAGE", 6)])
def test_cog_overview_resampling(tmp_path, resampling, expected):
    """2x2 blocks of classes 4, 4, 6, 10: the mode keeps class 4, an average invents class 6."""
    block = np.array([[4, 4], [6, 10]], np.uint8)
    image = np.tile(block, (300, 300))
    path = write_cog(tmp_path / "x.tif", image, GEO20, BandStyle(resampling=resampling))
    ds = gdal.Open(str(path))
    overview = ds.GetRasterBand(1).GetOverview(0).ReadAsArray()
    assert overview.shape == (300, 300)
    assert np.all(overview == expected)


def test_cog_check_rejects_non_cog_tiffs(tmp_path):
    scl = _image((1200, 1100), np.uint8)
    striped = tmp_path / "striped.tif"
    gdal.GetDriverByName("GTiff").CreateCopy(str(striped), mem_dataset(scl, GEO20))
    assert cog_errors(striped)
    late = tmp_path / "late_overviews.tif"
    gdal.GetDriverByName("GTiff").CreateCopy(str(late), mem_dataset(scl, GEO20), options=["TILED=YES"])
    ds = gdal.Open(str(late), gdal.GA_Update)
    ds.BuildOverviews("NEAREST", [2, 4])
    ds = None
    assert any("overview" in e.lower() or "ifd" in e.lower() for e in cog_errors(late))


def test_warp_onto_a_coarser_grid_averages_blocks(tmp_path):
    fine = np.kron(np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((3, 3), np.float32))
    src = tmp_path / "fine.tif"
    write_geotiff(src, fine, GEO20)
    grid = TileGrid(epsg=32631, ulx_m=399960.0, uly_m=5000040.0, pixel_size_m=60.0, nrows=2, ncols=3)
    coarse = warp_onto(str(src), grid, resampling="average", output_type=gdal.GDT_Float32)
    np.testing.assert_allclose(coarse, np.arange(6).reshape(2, 3))


def test_as_geocoding_accepts_geoposition_like_objects():
    class GeoPosition:  # shape of the L1C reader's value object
        ulx, uly, xdim, ydim, nrows, ncols = 499980, 5900040, 10, -10, 10980, 10980

    geo = as_geocoding(GeoPosition(), epsg=32629)
    assert geo.geotransform == (499980.0, 10.0, 0.0, 5900040.0, 0.0, -10.0)
    assert geo.at_resolution(60).geotransform[:4] == (499980.0, 60.0, 0.0, 5900040.0)
    with pytest.raises(ValueError, match="epsg"):
        as_geocoding(GeoPosition())
