"""Synthetic DEM geocells in every supported format, for tests and the test-product generator.

``write_geocells`` samples an elevation function on each geocell's sample nodes and writes
the files with the names and layouts of :mod:`sen2cor.dem.sources`, georeferenced like the
real products: samples on whole multiples of the pixel spacing starting at the cell's
north-west (SRTM, Copernicus) or south-west (DTED) corner, GDAL origin half a pixel outside.
``serve_directory`` publishes a folder on a local HTTP server (127.0.0.1, ephemeral port) so
the download path can be exercised without the internet.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import logging
import threading
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
from osgeo import gdal, osr
from scipy import ndimage

from sen2cor.dem.grid import TileGrid
from sen2cor.dem.sources import DemFormat, Geocell, select_geocells

log = logging.getLogger(__name__)

gdal.UseExceptions()

#: f(lon_deg, lat_deg) -> elevation in metres (NaN = sea / void), vectorised.
ElevationFunction = Callable[[np.ndarray, np.ndarray], np.ndarray]

#: Samples per degree of the real products (DTED-1 and SRTM 3", GLO-30 1", GLO-90 3").
REAL_SAMPLES_PER_DEGREE = {
    DemFormat.SRTM: 1200,
    DemFormat.DTED: 1200,
    DemFormat.COPERNICUS_AWS_30: 3600,
    DemFormat.COPERNICUS_DGED_30: 3600,
    DemFormat.COPERNICUS_AWS_90: 1200,
    DemFormat.COPERNICUS_DGED_90: 1200,
}
SRTM_NODATA = -32768
DTED_NODATA = -32767


def write_geocells(
    fmt: DemFormat,
    directory: Path,
    bbox_deg: tuple[float, float, float, float],
    elevation: ElevationFunction,
    *,
    samples_per_degree: int | None = None,
    srtm_corner_origin: bool = False,
) -> list[Path]:
    """Write every geocell of ``fmt`` intersecting the lon/lat box; returns the files written.

    ``samples_per_degree`` defaults to the real product's (slow for tests: use e.g. 40-120);
    DTED needs 120 (level 0) or 1200 (level 1). ``srtm_corner_origin`` writes SRTM cells with
    their origin on the corner node, the misregistration SIIMPC-577 corrects.
    """
    spd = samples_per_degree or REAL_SAMPLES_PER_DEGREE[fmt]
    directory.mkdir(parents=True, exist_ok=True)
    return [
        _write_cell(fmt, cell, directory, elevation, spd, srtm_corner_origin)
        for cell in select_geocells(fmt, bbox_deg)
    ]


def write_geocells_for_grid(
    fmt: DemFormat,
    directory: Path,
    grid: TileGrid,
    elevation: ElevationFunction,
    *,
    margin_deg: float = 0.05,
    **kwargs,
) -> list[Path]:
    """:func:`write_geocells` for the footprint of a tile grid (with a margin)."""
    return write_geocells(fmt, directory, grid.footprint_lonlat(margin_deg), elevation, **kwargs)


def elevation_from_projected(
    epsg: int, function_xy: Callable[[np.ndarray, np.ndarray], np.ndarray]
) -> ElevationFunction:
    """Turn f(x_m, y_m) defined in a projected CRS (a tile's UTM zone) into f(lon, lat)."""
    wgs84, target = osr.SpatialReference(), osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    target.ImportFromEPSG(epsg)
    for srs in (wgs84, target):
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    transform = osr.CoordinateTransformation(wgs84, target)

    def function_lonlat(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        lon_b, lat_b = np.broadcast_arrays(np.asarray(lon, float), np.asarray(lat, float))
        xy = np.asarray(transform.TransformPoints(np.column_stack([lon_b.ravel(), lat_b.ravel()]).tolist()))
        return function_xy(xy[:, 0].reshape(lon_b.shape), xy[:, 1].reshape(lon_b.shape))

    return function_lonlat


#: Longitude spacing / latitude spacing by latitude band (|lat| lower bound, deg): DTED (MIL-PRF-89020B)
#: and Copernicus DEM (product handbook) widen the longitude spacing towards the poles.
LON_SPACING_FACTORS = {
    DemFormat.DTED: ((80, 6), (75, 4), (70, 3), (50, 2)),
    "copernicus": ((85, 10), (80, 5), (70, 3), (60, 2), (50, 1.5)),
}


def lon_spacing_factor(fmt: DemFormat, lat_min: float, lat_max: float) -> float:
    """Longitude/latitude spacing ratio of a 1-degree cell of ``fmt`` (1 for SRTM)."""
    if fmt is DemFormat.SRTM:
        return 1.0
    key = fmt if fmt is DemFormat.DTED else "copernicus"
    band = min(abs(lat_min), abs(lat_max))
    return next((factor for lower, factor in LON_SPACING_FACTORS[key] if band >= lower), 1.0)


def elevation_from_array(
    grid: TileGrid, elevation_m: np.ndarray, *, extrapolate_m: float = 10000.0
) -> ElevationFunction:
    """f(lon, lat) interpolating (bilinear) a terrain array given on ``grid``, e.g. the test-product
    generator's truth DEM. Up to ``extrapolate_m`` outside the grid the terrain continues linearly
    (odd reflection), so geocells around a tile carry no artificial kink at its edge; beyond, the
    border values continue."""
    values = np.asarray(elevation_m, dtype=np.float32)
    if values.shape != (grid.nrows, grid.ncols):
        raise ValueError(f"elevation array {values.shape} does not match the grid {(grid.nrows, grid.ncols)}")
    pad = int(min(grid.nrows - 1, grid.ncols - 1, np.ceil(extrapolate_m / grid.pixel_size_m)))
    padded = np.pad(values, pad, mode="reflect", reflect_type="odd") if pad > 0 else values

    def function_xy(x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        cols = (x_m - grid.ulx_m) / grid.pixel_size_m - 0.5 + pad
        rows = (grid.uly_m - y_m) / grid.pixel_size_m - 0.5 + pad
        flat = ndimage.map_coordinates(padded, [rows.ravel(), cols.ravel()], order=1, mode="nearest")
        return flat.reshape(x_m.shape)

    return elevation_from_projected(grid.epsg, function_xy)


def _write_cell(
    fmt: DemFormat,
    cell: Geocell,
    directory: Path,
    elevation: ElevationFunction,
    spd: int,
    corner_origin: bool,
) -> Path:
    step = 1.0 / spd
    lon_step = step * lon_spacing_factor(fmt, cell.lat_min, cell.lat_max)
    width_deg, height_deg = cell.lon_max - cell.lon_min, cell.lat_max - cell.lat_min
    extra = 1 if fmt is DemFormat.DTED else 0  # DTED repeats the east and north edge samples
    ncols, nrows = round(width_deg / lon_step) + extra, round(height_deg * spd) + extra
    lons = cell.lon_min + np.arange(ncols) * lon_step
    lats = cell.lat_max - np.arange(nrows) * step
    values = np.asarray(elevation(*np.meshgrid(lons, lats)), dtype=np.float64)
    if corner_origin:
        origin = (cell.lon_min, cell.lat_max)
    else:
        origin = (cell.lon_min - lon_step / 2, cell.lat_max + step / 2)
    geotransform = (origin[0], lon_step, 0.0, origin[1], 0.0, -step)
    if fmt is DemFormat.SRTM:
        return _write_srtm(cell, directory, values, geotransform)
    if fmt is DemFormat.DTED:
        dataset = _mem_dataset(
            np.where(np.isnan(values), DTED_NODATA, np.round(values)).astype(np.int16),
            geotransform,
            DTED_NODATA,
        )
        target = directory / cell.name
        gdal.GetDriverByName("DTED").CreateCopy(str(target), dataset)
        return target
    dataset = _mem_dataset(np.where(np.isnan(values), 0.0, values).astype(np.float32), geotransform, None)
    target = directory / cell.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    driver = "COG" if fmt in (DemFormat.COPERNICUS_AWS_30, DemFormat.COPERNICUS_AWS_90) else "GTiff"
    gdal.GetDriverByName(driver).CreateCopy(str(target), dataset, options=["COMPRESS=DEFLATE"])
    return target


def _write_srtm(cell: Geocell, directory: Path, values: np.ndarray, geotransform: tuple[float, ...]) -> Path:
    data = np.where(np.isnan(values), SRTM_NODATA, np.round(values)).astype(np.int16)
    tif_name = f"/vsimem/{cell.name}.tif"
    gdal.GetDriverByName("GTiff").CreateCopy(tif_name, _mem_dataset(data, geotransform, SRTM_NODATA))
    handle = gdal.VSIFOpenL(tif_name, "rb")
    gdal.VSIFSeekL(handle, 0, 2)
    size = gdal.VSIFTellL(handle)
    gdal.VSIFSeekL(handle, 0, 0)
    content = gdal.VSIFReadL(1, size, handle)
    gdal.VSIFCloseL(handle)
    gdal.Unlink(tif_name)
    target = directory / f"{cell.name}.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{cell.name}.tif", content)
        archive.writestr(
            "readme.txt", "synthetic CGIAR-like SRTM 5x5 cell written by sen2cor.dem.synthetic\n"
        )
    return target


def _mem_dataset(data: np.ndarray, geotransform: tuple[float, ...], nodata: float | None) -> gdal.Dataset:
    gdal_type = gdal.GDT_Int16 if data.dtype == np.int16 else gdal.GDT_Float32
    dataset = gdal.GetDriverByName("MEM").Create("", data.shape[1], data.shape[0], 1, gdal_type)
    dataset.SetGeoTransform(geotransform)
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    dataset.SetProjection(srs.ExportToWkt())
    band = dataset.GetRasterBand(1)
    if nodata is not None:
        band.SetNoDataValue(nodata)
    band.WriteArray(data)
    return dataset


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args) -> None:
        log.debug("local DEM server: " + format, *args)


@contextlib.contextmanager
def serve_directory(directory: Path) -> Iterator[str]:
    """Serve ``directory`` on http://127.0.0.1:<free port>/ while the context is open; yields the URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
