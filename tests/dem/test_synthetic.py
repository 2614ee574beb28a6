"""The synthetic geocell writer: names, layouts, georeferencing as the real products; local server."""

from __future__ import annotations

import urllib.request
import zipfile

import numpy as np
import pytest
from osgeo import gdal

from sen2cor.dem.sources import DemFormat
from sen2cor.dem.synthetic import elevation_from_projected, serve_directory, write_geocells
from tests.dem.conftest import plane, seam_grid


def test_srtm_zip_holds_a_cgiar_like_geotiff(tmp_path):
    (path,) = write_geocells(DemFormat.SRTM, tmp_path, (7.0, 47.0, 7.5, 47.5), plane, samples_per_degree=40)
    assert path.name == "srtm_38_03.zip"
    assert "srtm_38_03.tif" in zipfile.ZipFile(path).namelist()
    dataset = gdal.Open(f"/vsizip/{path}/srtm_38_03.tif")
    step = 1 / 40
    assert (dataset.RasterXSize, dataset.RasterYSize) == (200, 200)
    assert dataset.GetGeoTransform() == pytest.approx((5 - step / 2, step, 0, 50 + step / 2, 0, -step))
    assert dataset.GetRasterBand(1).GetNoDataValue() == -32768
    assert dataset.ReadAsArray()[0, 0] == round(float(plane(5.0, 50.0)))  # first sample on the corner node


def test_copernicus_layouts_and_spacing_above_50n(tmp_path):
    (aws,) = write_geocells(
        DemFormat.COPERNICUS_AWS_30, tmp_path / "aws", (6.2, 50.2, 6.4, 50.4), plane, samples_per_degree=60
    )
    assert aws.relative_to(tmp_path / "aws").as_posix() == (
        "Copernicus_DSM_COG_10_N50_00_E006_00_DEM/Copernicus_DSM_COG_10_N50_00_E006_00_DEM.tif"
    )
    assert gdal.Open(str(aws)).GetMetadataItem("LAYOUT", "IMAGE_STRUCTURE") == "COG"
    (dged,) = write_geocells(
        DemFormat.COPERNICUS_DGED_30, tmp_path / "dged", (6.2, 50.2, 6.4, 50.4), plane, samples_per_degree=60
    )
    assert dged.name == "Copernicus_DSM_10_N50_00_E006_00_DEM.tif"
    dataset = gdal.Open(str(dged))
    assert (dataset.RasterXSize, dataset.RasterYSize) == (40, 60)  # 1.5 x wider longitude spacing at 50-60 N


@pytest.mark.parametrize(("lat", "cols"), [(45.5, 121), (55.5, 61)])
def test_dted_level0_files(tmp_path, lat, cols):
    (path,) = write_geocells(
        DemFormat.DTED, tmp_path, (6.5, lat, 6.6, lat + 0.1), plane, samples_per_degree=120
    )
    dataset = gdal.Open(str(path))
    assert dataset.GetDriver().ShortName == "DTED"
    assert (dataset.RasterXSize, dataset.RasterYSize) == (cols, 121)
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    assert x0 + dx / 2 == pytest.approx(6.0) and y0 + dy / 2 == pytest.approx(int(lat) + 1)


def test_projected_elevation_function_and_local_server(tmp_path):
    grid = seam_grid()
    fn = elevation_from_projected(grid.epsg, lambda x, y: (x - grid.ulx_m) * 0.01)
    lon, lat = grid.pixel_centres_lonlat()
    assert np.allclose(fn(lon[0, :3], lat[0, :3]), [0.3, 0.9, 1.5], atol=1e-6)  # (col + 0.5) * 60 m * 0.01
    (tmp_path / "a.txt").write_text("dem")
    with serve_directory(tmp_path) as url:
        assert url.startswith("http://127.0.0.1:")
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        assert opener.open(url + "a.txt", timeout=5).read() == b"dem"


def test_geocells_from_a_terrain_array_round_trip(tmp_path):
    """The generator's path: truth DEM on the tile grid -> geocells -> selection + warp -> same DEM."""
    from sen2cor.dem.mosaic import mosaic_and_warp
    from sen2cor.dem.prepare import DemSettings, obtain_geocells
    from sen2cor.dem.synthetic import elevation_from_array

    grid = seam_grid()
    rows, cols = np.mgrid[0 : grid.nrows, 0 : grid.ncols]
    truth = 400.0 + 2.0 * cols + 1.0 * rows  # 2 m per 60 m pixel east, 1 m south
    fn = elevation_from_array(grid, truth)
    lon, lat = grid.pixel_centres_lonlat()
    assert np.allclose(fn(lon, lat), truth, atol=1e-3)
    write_geocells(
        DemFormat.COPERNICUS_DGED_30, tmp_path, grid.footprint_lonlat(0.05), fn, samples_per_degree=360
    )
    cells = obtain_geocells(DemSettings(directory=tmp_path, reference="CDSE-GLO-30"), grid.footprint_lonlat())
    warped = mosaic_and_warp(list(cells.cells), grid, dtype="float32")
    assert np.abs(warped - truth).max() < 0.25  # 10" samples of a plane in UTM, up to the edges
