"""ESA-CCI maps: where they are found, month selection, DEM prerequisite, warp onto the tile, unusable files;
the snow climatology; the metadata names."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import numpy as np
import pytest
from osgeo import gdal, osr

from sen2cor.config.calibration import ScReferences
from sen2cor.dem.esacci import (
    LANDCOVER_MAP,
    SNOWCONDITION_DIR,
    WATERBODIES_MAP,
    AuxMapFiles,
    locate_aux_maps,
    metadata_values,
    present_map_names,
    read_esacci_maps,
    resolve_reference,
    scene_could_have_snow,
    snow_condition_file,
)
from sen2cor.errors import AuxDataError
from tests.dem.conftest import SEAM_LON

SENSING = datetime(2023, 7, 14, 10, 30, tzinfo=UTC)


def write_map(path, values, lon0=4.0, lat0=51.0, step=1 / 360, epsg=4326):
    """Small uint8 GeoTIFF with the given rows x cols values (UL corner lon0, lat0; ``epsg`` None: no CRS)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset = gdal.GetDriverByName("GTiff").Create(
        str(path), values.shape[1], values.shape[0], 1, gdal.GDT_Byte
    )
    dataset.SetGeoTransform((lon0, step, 0.0, lat0, 0.0, -step))
    if epsg is not None:
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(epsg)
        dataset.SetProjection(srs.ExportToWkt())
    dataset.GetRasterBand(1).WriteArray(values)
    dataset = None
    return path


def split_map(west: int, east: int) -> np.ndarray:
    """720 x 720 pixels over 4..6 E, 49..51 N: ``west`` left of 5 E, ``east`` right of it."""
    values = np.full((720, 720), east, np.uint8)
    values[:, :360] = west
    return values


@pytest.fixture
def aux_dir(tmp_path):
    aux = tmp_path / "aux_data"
    write_map(aux / LANDCOVER_MAP, split_map(210, 190))  # water | urban
    write_map(aux / WATERBODIES_MAP, split_map(2, 1))  # water | land
    for month in range(1, 13):
        write_map(
            aux / SNOWCONDITION_DIR / f"ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-{month:02d}-v2.4.tif",
            np.full((720, 720), month, np.uint8),
        )
    return aux


def files_in(aux) -> AuxMapFiles:
    return locate_aux_maps(ScReferences(), (aux,))


def test_maps_are_warped_with_nearest_neighbour(aux_dir, grid):
    maps = read_esacci_maps(files_in(aux_dir), grid, SENSING, dem_available=True)
    lon, _ = grid.pixel_centres_lonlat()
    west, east = lon < SEAM_LON - 0.003, lon > SEAM_LON + 0.003  # one map pixel away from the class edge
    assert maps.available and len(maps.files) == 3
    assert np.all(maps.land_cover[west] == 210) and np.all(maps.land_cover[east] == 190)
    assert set(np.unique(maps.land_cover)) == {190, 210}  # classes are never blended
    assert np.all(maps.water_bodies[west] == 2) and np.all(maps.water_bodies[east] == 1)
    assert maps.land_cover.shape == (grid.nrows, grid.ncols) and maps.land_cover.dtype == np.uint8


def test_snow_condition_month_follows_the_sensing_date(aux_dir, grid):
    maps = read_esacci_maps(files_in(aux_dir), grid, SENSING, dem_available=True)
    assert np.all(maps.snow_condition == 7) and maps.snow_condition_file.name.endswith("-07-v2.4.tif")
    assert snow_condition_file(aux_dir / SNOWCONDITION_DIR, date(2020, 12, 31)).name.endswith("-12-v2.4.tif")


def test_weekly_snow_condition_uses_the_nearest_day(tmp_path):
    weekly = tmp_path / "ESACCI-LC-L4-Snow-Cond-500m-P13Y7D-2000-2012-v2.0"
    for day in ("20000101", "20000708", "20000715", "20001224"):
        write_map(
            weekly / f"ESACCI-LC-L4-Snow-Cond-500m-P13Y7D-aggregated-{day}-v2.0.tif",
            np.zeros((2, 2), np.uint8),
        )
    assert "20000715" in snow_condition_file(weekly, date(2023, 7, 14)).name
    assert "20000101" in snow_condition_file(weekly, date(2023, 12, 31)).name  # wraps around the year end


def test_snow_condition_outside_the_map_is_no_data(tmp_path, grid, caplog):
    """Cells the snow map does not cover must not rule snow out: they get 255 (no data), not 0 %."""
    aux = tmp_path / "aux_data"
    month = aux / SNOWCONDITION_DIR / "ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-07-v2.4.tif"
    write_map(month, np.zeros((720, 360), np.uint8), lon0=SEAM_LON - 1.0, lat0=51.0)   # ends at 5 E
    with caplog.at_level(logging.WARNING):
        maps = read_esacci_maps(files_in(aux), grid, SENSING, dem_available=True)
    lon, _ = grid.pixel_centres_lonlat()
    assert np.all(maps.snow_condition[lon < SEAM_LON - 0.003] == 0)
    assert np.all(maps.snow_condition[lon > SEAM_LON + 0.003] == 255)
    assert "covers only part of the tile" in caplog.text


def test_no_dem_no_esacci(aux_dir, grid, caplog):
    with caplog.at_level(logging.INFO):
        maps = read_esacci_maps(files_in(aux_dir), grid, SENSING, dem_available=False)
    assert not maps.available and maps.files == () and "DEM" in caplog.text
    assert set(metadata_values(maps, None, aux_dir / SNOWCONDITION_DIR).values()) == {"None"}


def test_absent_maps_are_skipped_with_a_message(tmp_path, grid, caplog):
    aux = tmp_path / "aux_data"
    write_map(aux / WATERBODIES_MAP, split_map(2, 1))
    with caplog.at_level(logging.INFO):
        maps = read_esacci_maps(files_in(aux), grid, SENSING, dem_available=True)
    assert maps.water_bodies is not None and maps.land_cover is None and maps.snow_condition is None
    missing = [r.message for r in caplog.records if "not found" in r.message]
    assert len(missing) == 1 and "land cover map" in missing[0] and "snow condition of month 07" in missing[0]
    assert metadata_values(maps, None, None) == {
        "SNOW_CLIMATOLOGY_MAP": "None", "ESACCI_WaterBodies_Map": WATERBODIES_MAP,
        "ESACCI_LandCover_Map": "None", "ESACCI_SnowCondition_Map_Dir": "None"}


def test_references_absolute_paths_and_search_order(tmp_path, aux_dir):
    """A References name is looked up in the folders in order; an absolute path is used as it is."""
    other = tmp_path / "home" / "aux_data"
    write_map(other / LANDCOVER_MAP, split_map(190, 190))
    assert resolve_reference(LANDCOVER_MAP, (aux_dir, other)) == aux_dir / LANDCOVER_MAP
    assert resolve_reference(LANDCOVER_MAP, (tmp_path / "empty", other)) == other / LANDCOVER_MAP
    assert resolve_reference(str(other / LANDCOVER_MAP), (aux_dir,)) == other / LANDCOVER_MAP
    assert resolve_reference("absent.tif", (aux_dir, other)) is None
    refs = ScReferences(esacci_landcover_map=str(other / LANDCOVER_MAP), snow_map="absent.tiff")
    files = locate_aux_maps(refs, (aux_dir,))
    assert files.land_cover == other / LANDCOVER_MAP and files.snow_map is None
    assert files.snow_condition_dir == aux_dir / SNOWCONDITION_DIR
    assert present_map_names(files)["ESACCI_LandCover_Map"] == LANDCOVER_MAP
    assert present_map_names(files)["SNOW_CLIMATOLOGY_MAP"] == "None"


@pytest.mark.parametrize("problem", ["not a raster", "no CRS", "projected CRS"])
def test_unusable_maps_raise_naming_the_file(tmp_path, grid, problem):
    aux = tmp_path / "aux_data"
    path = aux / LANDCOVER_MAP
    if problem == "not a raster":
        aux.mkdir()
        path.write_bytes(b"II*\x00 truncated")
    elif problem == "no CRS":
        write_map(path, split_map(190, 190), epsg=None)
    else:
        write_map(path, split_map(190, 190), lon0=600000.0, lat0=5500000.0, step=300.0, epsg=32631)
    with pytest.raises(AuxDataError) as info:
        read_esacci_maps(files_in(aux), grid, SENSING, dem_available=True)
    message = str(info.value)
    assert str(path) in message and "EPSG:4326" in message
    if problem != "not a raster":
        assert "coordinate reference system" in message


def test_snow_climatology(tmp_path):
    values = np.zeros((180, 360), np.uint8)  # 1-degree global map, snow only over 10..11 E, 46..47 N
    values[90 - 47, 180 + 10] = 1
    values[90 - 66, 0] = 1                   # and over 180..179 W, 65..66 N (beside the antimeridian)
    snow_map = write_map(tmp_path / "GlobalSnowMap.tiff", values, lon0=-180.0, lat0=90.0, step=1.0)
    assert scene_could_have_snow(snow_map, (10.2, 46.2, 10.8, 46.8)) is True
    assert scene_could_have_snow(snow_map, (4.9, 49.9, 5.1, 50.1)) is False
    assert scene_could_have_snow(snow_map, (179.5, 65.2, 180.5, 65.8)) is True     # crossing as lon_max > 180
    assert scene_could_have_snow(snow_map, (179.5, 63.2, 180.5, 63.8)) is False
    assert scene_could_have_snow(tmp_path / "absent.tiff", (4.9, 49.9, 5.1, 50.1)) is None
    assert scene_could_have_snow(None, (4.9, 49.9, 5.1, 50.1)) is None
    bad = write_map(tmp_path / "projected.tiff", values, lon0=600000.0, lat0=5500000.0, step=300.0, epsg=32631)
    with pytest.raises(AuxDataError, match="projected.tiff"):
        scene_could_have_snow(bad, (4.9, 49.9, 5.1, 50.1))
