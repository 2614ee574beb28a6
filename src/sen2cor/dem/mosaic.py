"""Assemble DEM geocells into one virtual mosaic and warp it onto a tile grid (GDAL).

Geocells are never extracted or copied: SRTM zips are read through ``/vsizip/`` (so a
write-protected DEM_Directory works), each cell is wrapped in a small in-memory VRT when
its georeferencing must be corrected, and all cells are joined by ``gdal.BuildVRT`` before
one ``gdal.Warp``. Warping the joined mosaic once (instead of each cell in turn) keeps the
resampling kernel continuous across cell seams.

Corrections (SRN 2.3):

* SIIMPC-577: CGIAR samples lie on the 3-arcsecond nodes starting at the cell's north-west
  corner (as DTED samples do). A GeoTIFF whose origin sits exactly on that corner is read as
  pixel-corner registered, i.e. half a pixel off; its origin is moved half a pixel west and
  north so that pixel centres fall on the nodes. Files already registered that way are kept.
* SIIMPC-550: no-data samples (sea in SRTM, voids in DTED) become 0 m. The mosaic VRT has no
  no-data value, so masked samples show the VRT background, 0.
"""

from __future__ import annotations

import itertools
import logging
import zipfile
from pathlib import Path

import numpy as np
from osgeo import gdal

from sen2cor.dem.grid import TileGrid
from sen2cor.dem.sources import DemFormat, Geocell
from sen2cor.errors import DemError

log = logging.getLogger(__name__)

gdal.UseExceptions()

#: gdalwarp resampling of the DEM onto the tile grid, as Sen2Cor (`gdalwarp -r cubicspline`, facts A.1).
DEM_RESAMPLING = "cubicspline"
#: Output sample type, as Sen2Cor (`-ot Int16`, whole metres); "float32" keeps sub-metre values.
DEM_DTYPE = "int16"
_counter = itertools.count()


def gdal_path(path: Path) -> str:
    """GDAL name of a geocell file: ``/vsizip/<zip>/<member.tif>`` for zips, else the path."""
    if path.suffix.lower() != ".zip":
        return str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.lower().endswith((".tif", ".tiff"))]
    except (zipfile.BadZipFile, OSError) as exc:
        raise DemError(f"DEM file {path}: not a readable zip archive ({exc})") from exc
    if not members:
        raise DemError(f"DEM file {path}: the archive holds no GeoTIFF")
    return f"/vsizip/{path}/{members[0]}"


def srtm_registration_fix(geotransform: tuple[float, ...], cell: Geocell) -> tuple[float, ...] | None:
    """Corrected geotransform for a pixel-corner registered CGIAR cell (SIIMPC-577), else None."""
    x0, dx, _, y0, _, dy = geotransform
    if abs(x0 - cell.lon_min) < abs(dx) / 4 and abs(y0 - cell.lat_max) < abs(dy) / 4:
        return (x0 - dx / 2, dx, 0.0, y0 - dy / 2, 0.0, dy)
    if not (
        abs(x0 - (cell.lon_min - dx / 2)) < abs(dx) / 4 and abs(y0 - (cell.lat_max - dy / 2)) < abs(dy) / 4
    ):
        log.warning("SRTM cell %s has an unexpected origin (%.6f, %.6f); used as is", cell.name, x0, y0)
    return None


def open_cell(
    cell: Geocell, path: Path, workdir: str, lon_shift_deg: float = 0.0
) -> tuple[str, float | None, tuple[float, ...]]:
    """GDAL name of the (possibly corrected or shifted) cell, its no-data value and geotransform.

    ``lon_shift_deg`` = 360 moves a western-hemisphere cell east of 180 deg for a mosaic that
    crosses the antimeridian.
    """
    name = gdal_path(path)
    try:
        dataset = gdal.Open(name)
    except RuntimeError as exc:
        raise DemError(f"DEM file {path}: cannot be opened by GDAL ({exc})") from exc
    nodata = dataset.GetRasterBand(1).GetNoDataValue()
    geotransform = dataset.GetGeoTransform()
    if cell.fmt is DemFormat.SRTM:
        nodata = -32768.0 if nodata is None else nodata
        fixed = srtm_registration_fix(geotransform, cell)
        if fixed is not None:
            log.info("SRTM cell %s: origin moved half a pixel to the sample nodes (SIIMPC-577)", cell.name)
            geotransform = fixed
    if lon_shift_deg:
        geotransform = (geotransform[0] + lon_shift_deg,) + tuple(geotransform[1:])
    if geotransform != dataset.GetGeoTransform():
        name = f"{workdir}/{cell.name}_georef.vrt"
        vrt = gdal.Translate(name, dataset, format="VRT")
        vrt.SetGeoTransform(geotransform)
        vrt = None
    return name, nodata, geotransform


def build_mosaic(
    cells: list[tuple[Geocell, Path]], bbox_deg: tuple[float, float, float, float] | None = None
) -> tuple[str, str]:
    """Join geocells into one VRT in ``/vsimem``; returns (VRT name, workdir to release).

    Cells sharing a sample spacing are joined without resampling. DTED and Copernicus widen
    the longitude spacing above 50 deg latitude: cells with a coarser spacing are first
    resampled (bilinear, only inside ``bbox_deg``) onto the finest cells' grid, so that the
    final warp reads one seamless raster.
    """
    if not cells:
        raise DemError("no DEM geocells to mosaic")
    workdir = f"/vsimem/sen2cor_dem_{next(_counter)}"
    try:
        return _join(cells, bbox_deg, workdir), workdir
    except RuntimeError as exc:
        release(workdir)
        raise DemError(f"GDAL could not mosaic the DEM geocells {[c.name for c, _ in cells]}: {exc}") from exc
    except DemError:
        release(workdir)
        raise


def _join(
    cells: list[tuple[Geocell, Path]], bbox_deg: tuple[float, float, float, float] | None, workdir: str
) -> str:
    across_antimeridian = bbox_deg is not None and bbox_deg[2] > 180.0
    opened = [
        open_cell(cell, path, workdir, 360.0 if across_antimeridian and cell.lon_min < 0 else 0.0)
        for cell, path in cells
    ]
    kinds = {nodata for _, nodata, _ in opened if nodata is not None}
    options: dict = {"VRTNodata": "None"}
    if len(kinds) == 1:
        options["srcNodata"] = kinds.pop()
    elif kinds:
        log.warning(
            "DEM geocells disagree on no-data values %s; each file's own value is used", sorted(kinds)
        )
    groups: dict[tuple[float, float], list[tuple[str, tuple[float, ...]]]] = {}
    for name, _, geotransform in opened:
        groups.setdefault((round(abs(geotransform[1]), 12), round(abs(geotransform[5]), 12)), []).append(
            (name, geotransform)
        )
    steps = sorted(groups, key=lambda step: step[0] * step[1])
    parts = []
    for index, step in enumerate(steps):
        names = [name for name, _ in groups[step]]
        part = _build_vrt(f"{workdir}/group_{index}.vrt", names, options)
        if index > 0:
            part = _resample_onto(
                part, f"{workdir}/group_{index}_resampled.vrt", groups[steps[0]][0][1], bbox_deg
            )
        parts.append(part)
    if len(parts) == 1:
        return parts[0]
    return _build_vrt(f"{workdir}/mosaic.vrt", parts, {"VRTNodata": "None"})


def _build_vrt(vrt_name: str, sources: list[str], options: dict) -> str:
    vrt = gdal.BuildVRT(vrt_name, sources, **options)
    if vrt is None:
        raise DemError(f"GDAL could not build a mosaic of {sources}")
    vrt = None
    return vrt_name


def _resample_onto(
    source: str, target: str, reference: tuple[float, ...], bbox_deg: tuple[float, float, float, float] | None
) -> str:
    """Warped VRT (bilinear) of ``source`` on the pixel grid of geotransform ``reference``, inside bbox."""
    dataset = gdal.Open(source)
    gt = dataset.GetGeoTransform()
    xmin, ymax = gt[0], gt[3]
    xmax, ymin = xmin + gt[1] * dataset.RasterXSize, ymax + gt[5] * dataset.RasterYSize
    if bbox_deg is not None:
        xmin, ymin = max(xmin, bbox_deg[0]), max(ymin, bbox_deg[1])
        xmax, ymax = min(xmax, bbox_deg[2]), min(ymax, bbox_deg[3])
    x0, dx, y0, dy = reference[0], abs(reference[1]), reference[3], abs(reference[5])
    bounds = (
        x0 + np.floor((xmin - x0) / dx) * dx,
        y0 + np.floor((ymin - y0) / dy) * dy,
        x0 + np.ceil((xmax - x0) / dx) * dx,
        y0 + np.ceil((ymax - y0) / dy) * dy,
    )
    out = gdal.Warp(
        target,
        dataset,
        format="VRT",
        outputBounds=[float(b) for b in bounds],
        xRes=dx,
        yRes=dy,
        resampleAlg="bilinear",
        outputType=dataset.GetRasterBand(1).DataType,
    )
    # BuildVRT skips sources whose data type or colour interpretation differs from the first one's
    out.GetRasterBand(1).SetColorInterpretation(dataset.GetRasterBand(1).GetColorInterpretation())
    out = None
    return target


def release(workdir: str) -> None:
    """Free the in-memory VRTs of one mosaic."""
    for entry in gdal.ReadDir(workdir) or []:
        gdal.Unlink(f"{workdir}/{entry}")


def warp_onto(source, grid: TileGrid, *, resampling: str, output_type: int | None = None,
              init_dest: float = 0.0, multithread: bool = False) -> np.ndarray:
    """``gdal.Warp`` of ``source`` (dataset or GDAL name) onto ``grid`` in memory; band 1 as an array.

    Cells the source does not cover get ``init_dest``. GDAL failures raise RuntimeError (callers name the
    file and wrap it in their own error).
    """
    options = dict(format="MEM", dstSRS=f"EPSG:{grid.epsg}", outputBounds=grid.bounds_m, width=grid.ncols,
                   height=grid.nrows, resampleAlg=resampling, multithread=multithread,
                   warpOptions=[f"INIT_DEST={init_dest:g}"])
    if output_type is not None:
        options["outputType"] = output_type
    warped = gdal.Warp("", source, **options)
    if warped is None:
        raise RuntimeError(gdal.GetLastErrorMsg() or "gdal.Warp returned no dataset")
    return warped.GetRasterBand(1).ReadAsArray()


def warp_to_grid(
    source: str, grid: TileGrid, *, resampling: str = DEM_RESAMPLING, dtype: str = DEM_DTYPE
) -> np.ndarray:
    """Warp a DEM (GDAL name) onto ``grid``; elevation in metres, (nrows, ncols) int16 or float32."""
    out_type = {"int16": gdal.GDT_Int16, "float32": gdal.GDT_Float32}.get(dtype)
    if out_type is None:
        raise DemError(f"DEM output type '{dtype}': expected 'int16' or 'float32'")
    try:
        return warp_onto(source, grid, resampling=resampling, output_type=out_type, multithread=True)
    except RuntimeError as exc:
        raise DemError(
            f"warping the DEM onto EPSG:{grid.epsg} at {grid.pixel_size_m:g} m failed: {exc}"
        ) from exc


def mosaic_and_warp(
    cells: list[tuple[Geocell, Path]],
    grid: TileGrid,
    *,
    resampling: str = DEM_RESAMPLING,
    dtype: str = DEM_DTYPE,
) -> np.ndarray:
    """Mosaic the geocells and warp them onto ``grid`` (see :func:`warp_to_grid`)."""
    vrt_name, workdir = build_mosaic(cells, grid.footprint_lonlat(0.05))
    try:
        return warp_to_grid(vrt_name, grid, resampling=resampling, dtype=dtype)
    finally:
        release(workdir)
