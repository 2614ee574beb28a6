"""DEM_* parameters end to end: flat terrain, local and downloaded geocells, every failure mode."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from sen2cor.dem.prepare import (
    DemSettings,
    dem_for_tile,
    obtain_geocells,
    prepare_dem,
    terrain_correction_enabled,
)
from sen2cor.dem.sources import DemFormat
from sen2cor.dem.synthetic import write_geocells_for_grid
from sen2cor.errors import DemError, Sen2CorError
from tests.dem.conftest import http_server, plane, silent_server

SUN = {"sun_zenith_deg": 40.0, "sun_azimuth_deg": 150.0}


def settings(directory, reference="NONE", **kwargs):
    return DemSettings(
        directory=directory, reference=reference, timeout_s=kwargs.pop("timeout_s", 2.0), **kwargs
    )


def expected(grid):
    return plane(*grid.pixel_centres_lonlat())


def test_dem_directory_none_is_flat_at_the_gipp_altitude(grid):
    products = dem_for_tile(
        DemSettings(directory=None, altitude_km=0.35, force_exit_on_error=True), grid, **SUN
    )
    assert products.is_flat and products.dem_type == "NA" and not products.terrain_correction
    assert products.elevation_m.shape == (100, 100) and np.all(products.elevation_m == 350)
    assert np.all(products.terrain.slope_deg == 0)
    # hillshade of a plane: 1 + 254 cos(40 deg) = 195.6
    assert np.all(products.terrain.hillshade == 196)


def test_local_cells_give_dem_slope_and_hillshade(tmp_path, grid):
    write_geocells_for_grid(DemFormat.COPERNICUS_DGED_90, tmp_path, grid, plane, samples_per_degree=120)
    products = dem_for_tile(settings(tmp_path, "CDSE-GLO-90", force_exit_on_error=True), grid, **SUN)
    assert not products.is_flat and products.dem_type == "COPERNICUS_90" and products.terrain_correction
    assert np.abs(products.elevation_m - expected(grid)).max() < 0.75
    # plane gradient in UTM: ~3000 m / 71.7 km east and ~2000 m / 111.2 km north -> slope ~2.6 deg
    inner = products.terrain.slope_deg[1:-1, 1:-1]
    assert inner.mean() == pytest.approx(
        np.degrees(np.arctan(np.hypot(3000 / 71700, 2000 / 111200))), abs=0.2
    )
    assert len(products.files) == 4


@pytest.mark.parametrize(
    ("fmt", "path"),
    [
        (DemFormat.SRTM, "srtm_5x5/TIFF/"),
        (DemFormat.COPERNICUS_AWS_90, "copernicus-dem-90m/"),
    ],
)
def test_missing_cells_are_downloaded_then_used(tmp_path, grid, fmt, path):
    remote = tmp_path / "server" / path
    write_geocells_for_grid(fmt, remote, grid, plane, samples_per_degree=120)
    dem_dir = tmp_path / "home" / "dem" / "downloaded"
    with http_server(tmp_path / "server") as (url, server):
        products = dem_for_tile(settings(dem_dir, url + path, force_exit_on_error=True), grid, **SUN)
        assert len(server.requests) == 4
    assert not products.is_flat and products.dem_type == fmt.dem_type
    assert np.abs(products.elevation_m - expected(grid)).max() < 0.75
    assert sorted(p.relative_to(remote) for p in remote.rglob("*.*")) == sorted(
        p.relative_to(dem_dir) for p in dem_dir.rglob("*.*")
    )


@pytest.mark.parametrize("mode", ["404", "500", "truncated"])
def test_download_failure_continues_flat_with_a_warning(tmp_path, grid, mode, caplog):
    write_geocells_for_grid(DemFormat.SRTM, tmp_path / "server", grid, plane, samples_per_degree=120)
    with http_server(tmp_path / "server", mode=mode) as (url, _), caplog.at_level(logging.WARNING):
        products = dem_for_tile(settings(tmp_path / "dem", url + "srtm/", altitude_km=0.2), grid, **SUN)
    assert products.is_flat and np.all(products.elevation_m == 200)
    assert "flat surface" in caplog.text and "srtm_37_02.zip" in caplog.text


@pytest.mark.parametrize("mode", ["404", "500", "truncated"])
def test_download_failure_with_force_exit_raises(tmp_path, grid, mode):
    write_geocells_for_grid(DemFormat.SRTM, tmp_path / "server", grid, plane, samples_per_degree=120)
    expected = r"srtm_37_02\.zip.*Force_Exit_On_DEM_Error is TRUE"
    with (
        http_server(tmp_path / "server", mode=mode) as (url, _),
        pytest.raises(DemError, match=expected) as info,
    ):
        dem_for_tile(settings(tmp_path / "dem", url + "srtm/", force_exit_on_error=True), grid, **SUN)
    # the CLI turns every Sen2CorError into exit code 1
    assert isinstance(info.value, Sen2CorError)
    assert not list((tmp_path / "dem").glob("*.zip"))


def test_silent_server_times_out_flat_or_fatal(tmp_path, grid):
    with silent_server() as url:
        flat = dem_for_tile(settings(tmp_path / "dem", url + "srtm/", timeout_s=0.2), grid, **SUN)
        assert flat.is_flat
        with pytest.raises(DemError, match="Force_Exit_On_DEM_Error"):
            dem_for_tile(
                settings(tmp_path / "dem", url + "srtm/", timeout_s=0.2, force_exit_on_error=True),
                grid,
                **SUN,
            )


def test_missing_cdse_cells_point_to_the_downloader(tmp_path, grid):
    (tmp_path / "dem").mkdir()
    with pytest.raises(DemError, match="CDSE-Copernicus-DEM-downloader"):
        obtain_geocells(
            settings(tmp_path / "dem", "CDSE-GLO-30", force_exit_on_error=True), grid.footprint_lonlat()
        )
    assert obtain_geocells(settings(tmp_path / "dem", "CDSE-GLO-30"), grid.footprint_lonlat()).is_flat


def test_missing_dted_cells_cannot_be_downloaded(tmp_path, grid):
    write_geocells_for_grid(DemFormat.DTED, tmp_path, grid, plane, samples_per_degree=120)
    (tmp_path / "e005n50.dt1").unlink()
    with pytest.raises(DemError, match="e005n50.dt1 not found"):
        obtain_geocells(settings(tmp_path, "PlanetDEM", force_exit_on_error=True), grid.footprint_lonlat())


def test_missing_cells_ok_skips_open_ocean_cells(tmp_path, grid):
    write_geocells_for_grid(DemFormat.COPERNICUS_DGED_90, tmp_path, grid, plane, samples_per_degree=120)
    (tmp_path / "Copernicus_DSM_30_N50_00_E004_00_DEM.tif").unlink()
    cells = obtain_geocells(
        settings(tmp_path, "CDSE-GLO-90", missing_cells_ok=True, force_exit_on_error=True),
        grid.footprint_lonlat(),
    )
    assert len(cells.cells) == 3


def test_corrupt_local_file_fails_at_warp(tmp_path, grid):
    write_geocells_for_grid(DemFormat.SRTM, tmp_path, grid, plane, samples_per_degree=120)
    (tmp_path / "srtm_38_03.zip").write_bytes(b"PK\x03\x04 not a zip")
    cells = obtain_geocells(settings(tmp_path, "srtm"), grid.footprint_lonlat())
    assert prepare_dem(settings(tmp_path, "srtm"), cells, grid, **SUN).is_flat
    with pytest.raises(DemError, match="srtm_38_03.zip"):
        prepare_dem(settings(tmp_path, "srtm", force_exit_on_error=True), cells, grid, **SUN)


def test_outside_srtm_coverage_is_flat_even_with_force_exit(tmp_path, caplog):
    from sen2cor.dem.grid import TileGrid

    north = TileGrid(32633, 399960.0, 6800040.0, 600.0, 20, 20)  # ~61.3 N
    with caplog.at_level(logging.WARNING):
        products = dem_for_tile(settings(tmp_path, "srtm", force_exit_on_error=True), north, **SUN)
    assert products.is_flat and "SRTM coverage" in caplog.text


def test_terrain_correction_switch_keeps_the_dem(tmp_path, grid):
    write_geocells_for_grid(DemFormat.COPERNICUS_DGED_90, tmp_path, grid, plane, samples_per_degree=120)
    products = dem_for_tile(settings(tmp_path, "CDSE-GLO-90", terrain_correction=False), grid, **SUN)
    assert not products.is_flat and not products.terrain_correction
    assert terrain_correction_enabled(True, True) and not terrain_correction_enabled(False, True)


def test_read_only_dem_directory_is_enough(tmp_path, grid):
    write_geocells_for_grid(DemFormat.SRTM, tmp_path / "ro", grid, plane, samples_per_degree=120)
    (tmp_path / "ro").chmod(0o555)
    try:
        products = dem_for_tile(settings(tmp_path / "ro", "srtm", force_exit_on_error=True), grid, **SUN)
    finally:
        (tmp_path / "ro").chmod(0o755)
    assert not products.is_flat


def test_settings_from_the_packaged_config(tmp_path):
    config_module = pytest.importorskip("sen2cor.config")
    from sen2cor.dem.prepare import settings_from_config

    config = config_module.load_config(home=tmp_path / "home")
    dem = settings_from_config(config)
    assert dem.directory is None and dem.altitude_km == pytest.approx(0.1)
    assert dem.terrain_correction is True


def test_two_resolutions_reuse_the_cells(tmp_path, grid):
    from sen2cor.dem.grid import TileGrid

    write_geocells_for_grid(DemFormat.COPERNICUS_DGED_90, tmp_path, grid, plane, samples_per_degree=120)
    cells = obtain_geocells(settings(tmp_path, "CDSE-GLO-90"), grid.footprint_lonlat())
    coarse = TileGrid(grid.epsg, grid.ulx_m, grid.uly_m, 120.0, 50, 50)
    products = prepare_dem(settings(tmp_path, "CDSE-GLO-90"), cells, coarse, **SUN, with_aspect=False)
    assert products.elevation_m.shape == (50, 50) and products.terrain.aspect_deg is None
    assert np.abs(products.elevation_m - expected(coarse)).max() < 0.75


def test_missing_directory_without_url(tmp_path, grid):
    with pytest.raises(DemError, match="does not exist"):
        obtain_geocells(
            settings(tmp_path / "nowhere", "CDSE-GLO-90", force_exit_on_error=True), grid.footprint_lonlat()
        )


def test_quality_indicators(tmp_path, grid):
    from sen2cor.dem.prepare import dem_quality_indicators

    flat = dem_quality_indicators(dem_for_tile(DemSettings(directory=None, altitude_km=0.1), grid, **SUN))
    assert flat == {
        "DEM_TYPE": "NA",
        "DEM_MEAN_ALTITUDE_KM": 0.1,
        "DEM_MEAN_SLOPE": 0.0,
        "GROUND_ELEVATION_ABOVE_3_KM": False,
    }
    write_geocells_for_grid(DemFormat.COPERNICUS_DGED_90, tmp_path, grid, plane, samples_per_degree=120)
    values = dem_quality_indicators(dem_for_tile(settings(tmp_path, "CDSE-GLO-90"), grid, **SUN))
    # the plane is 1000 m at the grid centre (5 E, 50 N) and linear, so its mean is ~1.0 km
    assert values["DEM_TYPE"] == "COPERNICUS_90"
    assert values["DEM_MEAN_ALTITUDE_KM"] == pytest.approx(1.0, abs=0.01)
    assert 2.0 < values["DEM_MEAN_SLOPE"] < 3.0 and values["GROUND_ELEVATION_ABOVE_3_KM"] is False


def test_layers_go_into_the_temporary_database(tmp_path, grid):
    store = pytest.importorskip("sen2cor.tables.store")
    from sen2cor.dem.prepare import store_terrain

    write_geocells_for_grid(
        DemFormat.COPERNICUS_DGED_90, tmp_path / "dem", grid, plane, samples_per_degree=120
    )
    products = dem_for_tile(settings(tmp_path / "dem", "CDSE-GLO-90"), grid, **SUN)
    with store.Database(tmp_path / "tmp.h5") as database:
        assert store_terrain(database, 60, products) == ["DEM", "SLP", "ASP", "SDW"]
        assert np.array_equal(database.get("DEM", 60), products.elevation_m)
        assert database.get("SDW", 60).dtype == np.uint8
        flat = dem_for_tile(DemSettings(directory=None), grid, **SUN)
        assert store_terrain(database, 20, flat) == [] and not database.has("DEM", 20)
