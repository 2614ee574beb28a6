"""GDAL-based image I/O: GeoTIFF (``--tif``), Cloud-Optimized GeoTIFF (``--sc_cog``),
raw + ENVI header (``--raw``) and in-memory datasets. (Warping onto a tile grid is
:func:`sen2cor.dem.mosaic.warp_onto`.)

Every writer goes through an in-memory (MEM) dataset wrapping the array, writes under a
temporary name and renames when complete.
"""
from __future__ import annotations

import logging
import os
import struct
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
#: COG options for --sc_cog (classification: nearest-neighbour overviews).
COG_OPTIONS = ("COMPRESS=DEFLATE", "BLOCKSIZE=512", "OVERVIEW_RESAMPLING=NEAREST", "OVERVIEWS=AUTO")


def mem_dataset(image: np.ndarray, geo: Geocoding | None) -> gdal.Dataset:
    """MEM dataset viewing ``image`` ((rows, cols) or (rows, cols, bands)) with the grid set."""
    bands_first = image if image.ndim == 2 else np.moveaxis(image, -1, 0)
    ds = gdal_array.OpenArray(np.ascontiguousarray(bands_first))
    if ds is None:
        raise OutputError(f"GDAL cannot wrap an array of dtype {image.dtype} shape {image.shape}")
    if geo is not None:
        ds.SetGeoTransform(geo.geotransform)
        ds.SetSpatialRef(spatial_ref(geo.epsg))
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


def write_cog(path: Path, image: np.ndarray, geo: Geocoding, *, resampling: str = "NEAREST") -> Path:
    """Cloud-Optimized GeoTIFF (GDAL COG driver): 512-px tiles, overviews, IFDs first."""
    options = tuple(o for o in COG_OPTIONS if not o.startswith("OVERVIEW_RESAMPLING"))
    return _copy("COG", Path(path), mem_dataset(image, geo), options + (f"OVERVIEW_RESAMPLING={resampling}",))


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


# --- COG layout check -------------------------------------------------------------------

_TILE_WIDTH, _TILE_OFFSETS, _STRIP_OFFSETS, _SUBFILE_TYPE = 322, 324, 273, 254


def _read_ifds(path: Path) -> list[dict]:
    """Minimal TIFF/BigTIFF parser: IFD offsets and the tags a COG check needs."""
    data = path.read_bytes()
    order = {b"II": "<", b"MM": ">"}.get(data[:2])
    if order is None:
        raise ProductReadError(f"{path} is not a TIFF file (byte order mark {data[:2]!r})")
    magic = struct.unpack(order + "H", data[2:4])[0]
    big = magic == 43
    if big:
        offset = struct.unpack(order + "Q", data[8:16])[0]
        count_fmt, entry_size, next_fmt = "Q", 20, "Q"
    else:
        offset = struct.unpack(order + "I", data[4:8])[0]
        count_fmt, entry_size, next_fmt = "H", 12, "I"
    types = {3: ("H", 2), 4: ("I", 4), 16: ("Q", 8)}
    ifds = []
    while offset:
        count = struct.unpack_from(order + count_fmt, data, offset)[0]
        base = offset + struct.calcsize(count_fmt)
        tags: dict[int, list[int]] = {}
        for i in range(count):
            entry = base + i * entry_size
            if big:
                tag, typ, n = struct.unpack_from(order + "HHQ", data, entry)
                value_at, room = entry + 12, 8
            else:
                tag, typ, n = struct.unpack_from(order + "HHI", data, entry)
                value_at, room = entry + 8, 4
            if typ not in types:
                continue
            fmt, size = types[typ]
            if n * size > room:
                value_at = struct.unpack_from(order + ("Q" if big else "I"), data, value_at)[0]
            tags[tag] = list(struct.unpack_from(order + fmt * n, data, value_at))
        ifds.append({"offset": offset, "tags": tags})
        offset = struct.unpack_from(order + next_fmt, data, base + count * entry_size)[0]
    return ifds


def cog_layout_errors(path: Path, *, min_size_for_overviews: int = 512) -> list[str]:
    """Reasons why ``path`` is not a Cloud-Optimized GeoTIFF (empty list = valid).

    Checks: every IFD tiled; overviews present when the image exceeds one 512-px block; all
    IFDs stored before any image data; overview data stored before full-resolution data.
    """
    errors = []
    ifds = _read_ifds(Path(path))
    for i, ifd in enumerate(ifds):
        if _TILE_WIDTH not in ifd["tags"]:
            errors.append(f"IFD {i} is not tiled")
    ds = open_raster(path)
    if max(ds.RasterXSize, ds.RasterYSize) > min_size_for_overviews and len(ifds) < 2:
        errors.append(f"no overviews for a {ds.RasterXSize}x{ds.RasterYSize} image")
    offsets = [min(ifd["tags"].get(_TILE_OFFSETS, ifd["tags"].get(_STRIP_OFFSETS, [0])) or [0])
               for ifd in ifds]
    last_ifd = max(ifd["offset"] for ifd in ifds)
    first_data = min(o for o in offsets if o > 0) if any(offsets) else 0
    if first_data and last_ifd > first_data:
        errors.append(f"IFD at byte {last_ifd} follows image data starting at byte {first_data}")
    if [ifd["offset"] for ifd in ifds] != sorted(ifd["offset"] for ifd in ifds):
        errors.append("IFDs are not in increasing file order")
    if len(offsets) > 1 and offsets[0] and min(offsets[1:]) > offsets[0]:
        errors.append("full-resolution data precede the overview data")
    return errors


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
