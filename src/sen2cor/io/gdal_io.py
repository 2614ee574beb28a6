"""GDAL-based image I/O: GeoTIFF (``--tif``), Cloud-Optimized GeoTIFF (``--cog``, ``--sc_cog``),
raw + ENVI header (``--raw``) and in-memory datasets. (Warping onto a tile grid is
:func:`sen2cor.dem.mosaic.warp_onto`.)

Every writer goes through an in-memory (MEM) dataset wrapping the array, writes under a
temporary name and renames when complete (sidecars such as ``.aux.xml`` with it).
COGs carry what a reader needs to use the numbers (:class:`BandStyle`: description, scale and
offset to physical units, unit, no-data value, colour table and class names) and are checked
with GDAL's own COG validator (:func:`cog_errors`).
"""
from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree
from osgeo import gdal, gdal_array, osr

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.io.geo import Geocoding
from sen2cor.io.jp2 import gml_feature_collection, partial_path

log = logging.getLogger(__name__)

gdal.UseExceptions()

#: Lossless GeoTIFF options for --tif outputs.
GTIFF_OPTIONS = ("TILED=YES", "BLOCKXSIZE=512", "BLOCKYSIZE=512", "COMPRESS=DEFLATE", "PREDICTOR=2")
#: COG options of --cog / --sc_cog: 512-px tiles, lossless ZSTD with the horizontal predictor, internal
#: overviews halving down to one tile (their resampling comes from the :class:`BandStyle`).
COG_OPTIONS = ("COMPRESS=ZSTD", "PREDICTOR=YES", "BLOCKSIZE=512", "OVERVIEWS=AUTO", "BIGTIFF=IF_SAFER")


@dataclass(frozen=True)
class BandStyle:
    """What a COG says about its numbers (GDAL band metadata, read by QGIS, rasterio, odc-stac).

    ``names``: one description per band (e.g. ``("B04", "B03", "B02")``); ``scale``/``offset``: physical
    value = DN x scale + offset (reflectance, AOT, cm, m); ``unit``: unit of that value; ``nodata``: DN of
    no data (None: none); ``colours``: DN -> (r, g, b) colour table (single-band uint8 only);
    ``categories``: class name of DN 0, 1, 2, ... (stored by GDAL in a ``.aux.xml`` sidecar);
    ``resampling``: GDAL overview resampling (AVERAGE for measurements, MODE or NEAREST for classes).
    """

    names: tuple[str, ...] = ()
    scale: float | None = None
    offset: float | None = None
    unit: str = ""
    nodata: float | None = 0
    colours: Mapping[int, tuple[int, int, int]] | None = None
    categories: tuple[str, ...] = ()
    resampling: str = "AVERAGE"

    def apply(self, ds: gdal.Dataset) -> None:
        """Set the style on the bands of (MEM) dataset ``ds``."""
        interpretations = (gdal.GCI_RedBand, gdal.GCI_GreenBand, gdal.GCI_BlueBand)
        for index in range(ds.RasterCount):
            band = ds.GetRasterBand(index + 1)
            if index < len(self.names):
                band.SetDescription(self.names[index])
            if ds.RasterCount == 3:
                band.SetColorInterpretation(interpretations[index])
            if self.nodata is not None:
                band.SetNoDataValue(self.nodata)
            if self.scale is not None:
                band.SetScale(self.scale)
            if self.offset is not None:
                band.SetOffset(self.offset)
            if self.unit:
                band.SetUnitType(self.unit)
            if self.colours:
                table = gdal.ColorTable()
                for value, rgb in sorted(self.colours.items()):
                    table.SetColorEntry(int(value), (*rgb, 255))
                band.SetColorTable(table)
            if self.categories:
                band.SetCategoryNames(list(self.categories))


#: Rows copied at a time into a MEM dataset from an array-like computed by windows.
MEM_BLOCK_ROWS = 1024


def mem_dataset(image: np.ndarray, geo: Geocoding | None) -> gdal.Dataset:
    """MEM dataset viewing ``image`` ((rows, cols) or (rows, cols, bands)) with the grid set.

    ``image`` may also be an array-like (shape, dtype, ndim) whose ``[row_slice, col_slice]`` windows are
    computed on demand (e.g. the TCI): it is then filled :data:`MEM_BLOCK_ROWS` rows at a time, so only
    the dataset itself is held, never a second full copy."""
    if isinstance(image, np.ndarray):
        bands_first = image if image.ndim == 2 else np.moveaxis(image, -1, 0)
        ds = gdal_array.OpenArray(np.ascontiguousarray(bands_first))
    else:
        ds = _filled_mem_dataset(image)
    if ds is None:
        raise OutputError(f"GDAL cannot wrap an array of dtype {image.dtype} shape {image.shape}")
    if geo is not None:
        ds.SetGeoTransform(geo.geotransform)
        ds.SetSpatialRef(spatial_ref(geo.epsg))
    return ds


def _filled_mem_dataset(image) -> gdal.Dataset:
    rows, cols = image.shape[:2]
    count = 1 if image.ndim == 2 else image.shape[2]
    ds = gdal.GetDriverByName("MEM").Create("", cols, rows, count,
                                             gdal_array.NumericTypeCodeToGDALTypeCode(np.dtype(image.dtype)))
    for start in range(0, rows, MEM_BLOCK_ROWS):
        block = np.asarray(image[start:start + MEM_BLOCK_ROWS, 0:cols])
        for index in range(count):
            ds.GetRasterBand(index + 1).WriteArray(block if block.ndim == 2 else block[..., index], 0, start)
    return ds


def spatial_ref(epsg: int) -> osr.SpatialReference:
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(int(epsg))
    srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return srs


def _copy(driver_name: str, path: Path, src: gdal.Dataset, options: tuple[str, ...]) -> Path:
    tmp = partial_path(path)
    try:
        out = gdal.GetDriverByName(driver_name).CreateCopy(str(tmp), src, strict=0, options=list(options))
        out.FlushCache()
        out = None
        _rename_with_sidecars(tmp, path)
    except RuntimeError as exc:
        for sidecar in tmp.parent.glob(f"{tmp.stem}*"):
            sidecar.unlink(missing_ok=True)
        raise OutputError(f"GDAL {driver_name} cannot write {path}: {exc}") from exc
    return path


def _rename_with_sidecars(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` and any ``tmp.stem.*`` sidecar (.hdr, .aux.xml) to the final stem."""
    for sidecar in list(tmp.parent.glob(f"{tmp.stem}.*")):
        if sidecar != tmp:
            os.replace(sidecar, final.with_name(final.stem + sidecar.name[len(tmp.stem):]))
    os.replace(tmp, final)


def write_geotiff(path: Path, image: np.ndarray, geo: Geocoding) -> Path:
    """Tiled, DEFLATE-compressed (lossless) GeoTIFF."""
    options = GTIFF_OPTIONS if image.ndim == 2 else GTIFF_OPTIONS + ("PHOTOMETRIC=RGB",)
    return _copy("GTiff", Path(path), mem_dataset(image, geo), options)


def write_cog(path: Path, image: np.ndarray, geo: Geocoding, style: BandStyle = BandStyle(), *,
              nr_threads: int = 1) -> Path:
    """Cloud-Optimized GeoTIFF (GDAL COG driver, :data:`COG_OPTIONS`): 512-px tiles, internal overviews
    resampled as ``style.resampling``, IFDs first; the band metadata of ``style``; ``nr_threads``
    compression threads. Checked with :func:`cog_errors` before it gets its final name."""
    path = Path(path)
    ds = mem_dataset(image, geo)
    style.apply(ds)
    options = COG_OPTIONS + (f"OVERVIEW_RESAMPLING={style.resampling}", f"NUM_THREADS={max(1, int(nr_threads))}")
    tmp = partial_path(path)
    # class names live in a .aux.xml sidecar (GDAL 3.6 GTiff has no tag for them); sen2cor disables PAM
    # globally (nothing written beside the inputs), so it is enabled for this thread while writing
    previous = gdal.GetThreadLocalConfigOption("GDAL_PAM_ENABLED", None)
    gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", "YES" if style.categories else "NO")
    try:
        _copy("COG", tmp, ds, options)
    finally:
        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", previous)
    errors = cog_errors(tmp)
    if errors:
        for sidecar in tmp.parent.glob(f"{tmp.stem}*"):
            sidecar.unlink(missing_ok=True)
        raise OutputError(f"{path} is not a valid Cloud-Optimized GeoTIFF: {'; '.join(errors)}")
    _rename_with_sidecars(tmp, path)
    return path


def category_names(path: Path, band: int = 1) -> list[str]:
    """Class names of a band (GDAL category names, from the ``.aux.xml`` sidecar of a COG), read with GDAL's
    sidecars enabled for this thread only; [] when there are none."""
    previous = gdal.GetThreadLocalConfigOption("GDAL_PAM_ENABLED", None)
    gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", "YES")
    try:
        ds = open_raster(path)
        raster = ds.GetRasterBand(band)
        raster.GetDescription()   # GDAL 3.6 loads the sidecar with the band metadata, not before
        return list(raster.GetCategoryNames() or [])
    finally:
        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", previous)


def cog_errors(path: Path) -> list[str]:
    """Reasons why ``path`` is not a Cloud-Optimized GeoTIFF, from GDAL's validator
    (``osgeo_utils.samples.validate_cloud_optimized_geotiff``, full check: tiling, overviews for
    images larger than a tile, IFDs before the data, overview data before full-resolution data,
    tile offsets and leader/trailer bytes). Empty list = valid."""
    from osgeo_utils.samples.validate_cloud_optimized_geotiff import ValidateCloudOptimizedGeoTIFFException, validate

    try:
        _, errors, _ = validate(str(path), full_check=True)
    except ValidateCloudOptimizedGeoTIFFException as exc:
        return [str(exc)]
    return list(errors)


def write_envi_raw(path: Path, image: np.ndarray, geo: Geocoding) -> Path:
    """Raw band-sequential little-endian pixels plus ENVI ``.hdr`` (with map info) and the
    GML grid description as ``.gml`` (PDGS ``--raw`` mode)."""
    path = Path(path)
    ds = mem_dataset(image, geo)
    _copy("ENVI", path, ds, ("INTERLEAVE=BSQ",))
    rows, cols = image.shape[:2]
    gml = etree.tostring(gml_feature_collection(geo, rows, cols), pretty_print=True)
    tmp = path.with_name(f".{path.stem}.gml.part")
    tmp.write_bytes(gml)
    os.replace(tmp, path.with_suffix(".gml"))
    return path


def open_raster(path: Path) -> gdal.Dataset:
    try:
        return gdal.Open(str(path))
    except RuntimeError as exc:
        raise ProductReadError(f"GDAL cannot open {path}: {exc}") from exc


def known_epsg(code: int) -> bool:
    """True when PROJ knows the coordinate reference system EPSG:``code`` (quietly, no message on stderr)."""
    srs = osr.SpatialReference()
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        return srs.ImportFromEPSG(int(code)) == 0
    except (RuntimeError, ValueError, OverflowError):
        return False
    finally:
        gdal.PopErrorHandler()
