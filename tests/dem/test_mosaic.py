"""Mosaic + warp of synthetic geocells of every format across seams (continuity, georeferencing)."""

from __future__ import annotations

import numpy as np
import pytest

from sen2cor.dem.mosaic import mosaic_and_warp, srtm_registration_fix
from sen2cor.dem.prepare import DemSettings, obtain_geocells
from sen2cor.dem.sources import DemFormat, srtm_cell
from sen2cor.dem.synthetic import write_geocells_for_grid
from tests.dem.conftest import SEAM_LAT, SEAM_LON, plane

#: (format, DEM_Reference, samples per degree used for the synthetic cells: 3", 3", 1", 3", 30")
CASES = [
    (DemFormat.SRTM, "http://srtm.csi.cgiar.org/wp-content/uploads/files/srtm_5x5/TIFF/", 120),
    (DemFormat.COPERNICUS_AWS_90, "https://copernicus-dem-90m.s3.eu-central-1.amazonaws.com/", 120),
    (DemFormat.COPERNICUS_DGED_30, "CDSE-GLO-30", 360),
    (DemFormat.COPERNICUS_DGED_90, "CDSE-GLO-90", 120),
    (DemFormat.DTED, "PlanetDEM", 120),
]


def local_cells(fmt, reference, directory, grid):
    cells = obtain_geocells(
        DemSettings(directory=directory, reference=reference, force_exit_on_error=True),
        grid.footprint_lonlat(),
    )
    assert cells.fmt is fmt and not cells.is_flat
    return list(cells.cells)


@pytest.mark.parametrize(("fmt", "reference", "spd"), CASES, ids=[c[0].name for c in CASES])
def test_seam_is_continuous_and_georeferenced(fmt, reference, spd, tmp_path, grid):
    written = write_geocells_for_grid(fmt, tmp_path, grid, plane, samples_per_degree=spd)
    cells = local_cells(fmt, reference, tmp_path, grid)
    assert len(cells) == len(written) == 4
    elevation = mosaic_and_warp(cells, grid, dtype="float32")
    lon, lat = grid.pixel_centres_lonlat()
    assert lon.min() < SEAM_LON < lon.max() and lat.min() < SEAM_LAT < lat.max()
    error = elevation - plane(lon, lat)
    # A plane is reproduced by the cubic B-spline; only integer DEM samples (SRTM/DTED) add <= 0.5 m.
    assert np.abs(error).max() < 0.6
    # continuity: no step across the seam beyond the plane's own gradient between neighbours
    step_x = np.diff(elevation, axis=1) - np.diff(plane(lon, lat), axis=1)
    step_y = np.diff(elevation, axis=0) - np.diff(plane(lon, lat), axis=0)
    assert np.abs(step_x).max() < 1.0 and np.abs(step_y).max() < 1.0


def test_default_output_is_int16_whole_metres(tmp_path, grid):
    write_geocells_for_grid(DemFormat.COPERNICUS_DGED_90, tmp_path, grid, plane, samples_per_degree=120)
    elevation = mosaic_and_warp(
        local_cells(DemFormat.COPERNICUS_DGED_90, "CDSE-GLO-90", tmp_path, grid), grid
    )
    lon, lat = grid.pixel_centres_lonlat()
    assert elevation.dtype == np.int16 and elevation.shape == (grid.nrows, grid.ncols)
    assert np.abs(elevation - plane(lon, lat)).max() < 0.75  # GDAL rounds in the warp kernel


def test_srtm_registration_fix_moves_a_corner_origin_half_a_pixel_north_west():
    cell = srtm_cell(38, 3)  # 5..10 E, 45..50 N
    step = 5.0 / 6000
    assert srtm_registration_fix((5.0, step, 0.0, 50.0, 0.0, -step), cell) == pytest.approx(
        (5.0 - step / 2, step, 0.0, 50.0 + step / 2, 0.0, -step)
    )
    assert srtm_registration_fix((5.0 - step / 2, step, 0.0, 50.0 + step / 2, 0.0, -step), cell) is None


def test_corner_registered_srtm_is_corrected_siimpc_577(tmp_path, grid):
    write_geocells_for_grid(
        DemFormat.SRTM, tmp_path, grid, plane, samples_per_degree=120, srtm_corner_origin=True
    )
    elevation = mosaic_and_warp(local_cells(DemFormat.SRTM, "srtm", tmp_path, grid), grid, dtype="float32")
    lon, lat = grid.pixel_centres_lonlat()
    # uncorrected, the samples sit half a pixel (1/240 deg) east and south: (3000 - 2000) / 240 = 4.2 m off
    assert np.abs(elevation - plane(lon, lat)).max() < 0.6


def test_srtm_sea_nodata_becomes_zero_siimpc_550(tmp_path, grid):
    def coast(lon, lat):  # sea (no data) west of 5 E
        return np.where(np.asarray(lon) < SEAM_LON, np.nan, plane(lon, lat))

    write_geocells_for_grid(DemFormat.SRTM, tmp_path, grid, coast, samples_per_degree=120)
    elevation = mosaic_and_warp(local_cells(DemFormat.SRTM, "srtm", tmp_path, grid), grid)
    lon, lat = grid.pixel_centres_lonlat()
    sea = lon < SEAM_LON - 0.02  # two DEM samples off the coast: kernel sees only sea
    land = lon > SEAM_LON + 0.02
    assert sea.any() and land.any()
    assert np.all(elevation[sea] == 0)
    assert np.abs(elevation[land] - plane(lon, lat)[land]).max() < 0.75
    assert elevation.min() > -100  # never the -32768 no-data value


def test_dted_voids_become_zero(tmp_path, grid):
    def void(lon, lat):
        return np.where(np.asarray(lat) > SEAM_LAT + 0.005, np.nan, plane(lon, lat))

    # 3" samples (1200 per degree, 0.00083 deg): the void covers the grid's northern third
    write_geocells_for_grid(DemFormat.DTED, tmp_path, grid, void, samples_per_degree=1200)
    elevation = mosaic_and_warp(local_cells(DemFormat.DTED, "dted", tmp_path, grid), grid)
    lon, lat = grid.pixel_centres_lonlat()
    inside = lat > SEAM_LAT + 0.008  # more than two DEM samples into the void: the kernel sees only void
    outside = lat < SEAM_LAT - 0.005
    assert inside.any() and outside.any()
    assert np.all(elevation[inside] == 0)
    assert np.abs(elevation[outside] - plane(lon, lat)[outside]).max() < 0.75


def test_tile_across_the_antimeridian(tmp_path):
    from osgeo import osr

    from sen2cor.dem.grid import TileGrid

    wgs84, utm = osr.SpatialReference(), osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    utm.ImportFromEPSG(32760)  # UTM 60 S (Fiji)
    for srs in (wgs84, utm):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    x, y, _ = osr.CoordinateTransformation(wgs84, utm).TransformPoint(180.0, -17.5)
    grid = TileGrid(32760, round(x / 60) * 60 - 3000, round(y / 60) * 60 + 3000, 60.0, 100, 100)
    lon_min, _, lon_max, _ = grid.footprint_lonlat()
    assert 179.9 < lon_min < 180.0 < lon_max < 180.1

    def terrain(lon, lat):  # continuous across 180: uses the signed distance to the antimeridian
        east = np.mod(np.asarray(lon), 360.0) - 180.0
        return 500.0 + 3000.0 * east + 1000.0 * (np.asarray(lat) + 17.5)

    written = write_geocells_for_grid(
        DemFormat.COPERNICUS_DGED_90, tmp_path, grid, terrain, samples_per_degree=120
    )
    assert sorted(p.name for p in written) == sorted(
        f"Copernicus_DSM_30_S18_00_{ew}_00_DEM.tif" for ew in ("E179", "W180")
    )
    elevation = mosaic_and_warp(
        local_cells(DemFormat.COPERNICUS_DGED_90, "CDSE-GLO-90", tmp_path, grid), grid, dtype="float32"
    )
    lon, lat = grid.pixel_centres_lonlat()
    assert np.abs(elevation - terrain(lon, lat)).max() < 0.1
