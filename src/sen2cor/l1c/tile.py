"""MTD_TL.xml (tile metadata): geocoding, 5 km angle grids, pixel-level QI file list.

The same reader works on L1C and L2A tile metadata (they share General_Info, Geometric_Info and
Pixel_Level_QI). Viewing angles come per (band, detector); :func:`merge_detectors` combines them into
one grid per band: arithmetic NaN-mean for zenith, circular NaN-mean for azimuth (so 359 deg and 1 deg
give 0 deg, not 180 deg). Nodes seen by no detector stay NaN.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.errors import ProductReadError
from sen2cor.io.gdal_io import known_epsg
from sen2cor.l1c import ranges, xmlpath

log = logging.getLogger(__name__)

_GEO = "Geometric_Info/Tile_Geocoding"
_ANG = "Geometric_Info/Tile_Angles"
_TILE_IN_ID = re.compile(r"_T(\d{2}[A-Z]{3})_")
_MEAN_VIEW = f"{_ANG}/Mean_Viewing_Incidence_Angle_List/Mean_Viewing_Incidence_Angle"
_NEGATIVE = ranges.Range(None, 0.0, high_open=True)   # YDIM: rows run southwards


@dataclass(frozen=True)
class GeoPosition:
    """Upper-left corner (m, map CRS), pixel size (m; ydim < 0) and raster size at one resolution."""

    ulx: float
    uly: float
    xdim: float
    ydim: float
    nrows: int
    ncols: int

    @property
    def geotransform(self) -> tuple[float, float, float, float, float, float]:
        """GDAL-order geotransform."""
        return (self.ulx, self.xdim, 0.0, self.uly, 0.0, self.ydim)


@dataclass(frozen=True)
class AngleGrids:
    """Sun and viewing angles (deg) on the tile's angle grid (``step_m`` spacing, node (0,0) at ULX/ULY).

    ``viewing_zenith``/``viewing_azimuth`` are merged over detectors; the per-detector grids are kept in
    ``detector_zenith``/``detector_azimuth`` (band -> detector id -> grid).
    """

    step_m: float
    sun_zenith: np.ndarray
    sun_azimuth: np.ndarray
    viewing_zenith: Mapping[str, np.ndarray]
    viewing_azimuth: Mapping[str, np.ndarray]
    mean_sun_zenith: float
    mean_sun_azimuth: float
    mean_viewing: Mapping[str, tuple[float, float]]
    detector_zenith: Mapping[str, Mapping[int, np.ndarray]]
    detector_azimuth: Mapping[str, Mapping[int, np.ndarray]]

    @property
    def shape(self) -> tuple[int, int]:
        """(rows, cols) of every grid."""
        return self.sun_zenith.shape


@dataclass(frozen=True)
class MaskFile:
    """One Pixel_Level_QI/MASK_FILENAME entry (path relative to the product root)."""

    mask_type: str
    band: str | None
    relative_path: str


@dataclass(frozen=True)
class TileMetadata:
    """The tile metadata Sen2Cor needs (see module docstring)."""

    tile_id: str
    tile_identifier: str
    datastrip_identifier: str
    sensing_time: datetime
    epsg: int
    crs_name: str
    geoposition: Mapping[int, GeoPosition]
    angles: AngleGrids
    mask_files: tuple[MaskFile, ...]
    pvi_filename: str | None
    cloudy_pixel_percentage: float | None
    degraded_msi_data_percentage: float | None
    archiving_centre: str | None
    schema_location: str


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _grid(element: etree._Element, file: Path, where: str) -> tuple[np.ndarray, float]:
    """VALUES rows of ``element`` (a Zenith or Azimuth node) as a 2-D float64 grid, and its step (m)."""
    rows = [(v.text or "").split() for v in xmlpath.find_all(element, "Values_List/VALUES")]
    if not rows or len({len(r) for r in rows}) != 1 or not rows[0]:
        raise ProductReadError(f"{file}: {where}/Values_List/VALUES is empty or not rectangular")
    try:
        grid = np.array(rows, dtype=np.float64)
    except ValueError:
        raise ProductReadError(f"{file}: {where}/Values_List/VALUES holds non-numeric values") from None
    col = ranges.check_value(xmlpath.as_float(xmlpath.required_text(element, "COL_STEP", file), file,
                                              f"{where}/COL_STEP"), ranges.POSITIVE, file, f"{where}/COL_STEP")
    row = xmlpath.as_float(xmlpath.required_text(element, "ROW_STEP", file), file, f"{where}/ROW_STEP")
    if col != row:
        raise ProductReadError(f"{file}: {where} COL_STEP {col} m differs from ROW_STEP {row} m")
    return grid, col


def merge_detectors(zenith: list[np.ndarray], azimuth: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Combine per-detector viewing grids (deg) of one band: NaN-mean zenith, circular NaN-mean azimuth.

    A node is NaN only where every detector is NaN. Azimuth is returned in [0, 360).
    """
    zen = np.stack(zenith)
    az = np.deg2rad(np.stack(azimuth))
    valid_zen = np.isfinite(zen)
    count = valid_zen.sum(axis=0)
    zen_sum = np.where(valid_zen, zen, 0.0).sum(axis=0)
    valid_az = np.isfinite(az)
    sin = np.where(valid_az, np.sin(az), 0.0).sum(axis=0)
    cos = np.where(valid_az, np.cos(az), 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        merged_zen = np.where(count > 0, zen_sum / np.maximum(count, 1), np.nan)
    merged_az = np.where(valid_az.any(axis=0), np.mod(np.rad2deg(np.arctan2(sin, cos)), 360.0), np.nan)
    return merged_zen, merged_az


def _grid_means(zenith: np.ndarray, azimuth: np.ndarray) -> tuple[float, float]:
    """NaN-mean zenith and circular NaN-mean azimuth (deg) of a grid."""
    zen = zenith[np.isfinite(zenith)]
    rad = np.deg2rad(azimuth[np.isfinite(azimuth)])
    mean_zen = float(zen.mean()) if zen.size else float("nan")
    mean_az = (
        float(np.mod(np.rad2deg(np.arctan2(np.sin(rad).sum(), np.cos(rad).sum())), 360.0))
        if rad.size
        else float("nan")
    )
    return mean_zen, mean_az


def _read_angles(root: etree._Element, file: Path) -> AngleGrids:
    sun = f"{_ANG}/Sun_Angles_Grid"
    sun_zen, step = _grid(xmlpath.required(root, f"{sun}/Zenith", file), file, f"{sun}/Zenith")
    sun_az, _ = _grid(xmlpath.required(root, f"{sun}/Azimuth", file), file, f"{sun}/Azimuth")
    ranges.check_grid(sun_zen, ranges.ZENITH_DEG, file, f"{sun}/Zenith/Values_List")
    ranges.check_grid(sun_az, ranges.AZIMUTH_DEG, file, f"{sun}/Azimuth/Values_List")
    mean_zen = xmlpath.as_float(
        xmlpath.required_text(root, f"{_ANG}/Mean_Sun_Angle/ZENITH_ANGLE", file),
        file,
        "Mean_Sun_Angle/ZENITH_ANGLE",
    )
    mean_az = xmlpath.as_float(
        xmlpath.required_text(root, f"{_ANG}/Mean_Sun_Angle/AZIMUTH_ANGLE", file),
        file,
        "Mean_Sun_Angle/AZIMUTH_ANGLE",
    )
    per_zen: dict[str, dict[int, np.ndarray]] = {}
    per_az: dict[str, dict[int, np.ndarray]] = {}
    path = f"{_ANG}/Viewing_Incidence_Angles_Grids"
    for element in xmlpath.find_all(root, path):
        where = f"{path}[@bandId='{element.get('bandId')}'][@detectorId='{element.get('detectorId')}']"
        try:
            band, detector = BAND_IDS[int(element.get("bandId"))], int(element.get("detectorId"))
        except (TypeError, ValueError, IndexError):
            raise ProductReadError(f"{file}: {where} has an invalid bandId/detectorId") from None
        zen, _ = _grid(xmlpath.required(element, "Zenith", file), file, f"{where}/Zenith")
        az, _ = _grid(xmlpath.required(element, "Azimuth", file), file, f"{where}/Azimuth")
        ranges.check_grid(zen, ranges.ZENITH_DEG, file, f"{where}/Zenith/Values_List", nodata_nan=True)
        ranges.check_grid(az, ranges.AZIMUTH_DEG, file, f"{where}/Azimuth/Values_List", nodata_nan=True)
        if zen.shape != sun_zen.shape or az.shape != sun_zen.shape:
            raise ProductReadError(
                f"{file}: {where} grid shape {zen.shape} differs from the sun grid {sun_zen.shape}"
            )
        per_zen.setdefault(band, {})[detector] = _readonly(zen)
        per_az.setdefault(band, {})[detector] = _readonly(az)
    if not per_zen:
        raise ProductReadError(f"{file}: required element {path} is missing")
    missing = [b for b in BAND_IDS if b not in per_zen]
    if missing:
        log.warning("%s: no viewing angle grids for band(s) %s", file, ", ".join(missing))
    view_zen, view_az = {}, {}
    for band in per_zen:
        detectors = sorted(per_zen[band])
        zen, az = merge_detectors([per_zen[band][d] for d in detectors], [per_az[band][d] for d in detectors])
        view_zen[band], view_az[band] = _readonly(zen), _readonly(az)
    mean_viewing = {}
    mpath = _MEAN_VIEW
    for element in xmlpath.find_all(root, mpath):
        band = BAND_IDS[int(element.get("bandId"))]
        mean_viewing[band] = (
            xmlpath.as_float(xmlpath.required_text(element, "ZENITH_ANGLE", file), file, f"{mpath}/ZENITH_ANGLE"),
            xmlpath.as_float(xmlpath.required_text(element, "AZIMUTH_ANGLE", file), file, f"{mpath}/AZIMUTH_ANGLE"),
        )
    for value, allowed, name in ((mean_zen, ranges.ZENITH_DEG, "ZENITH_ANGLE"), (mean_az, ranges.AZIMUTH_DEG,
                                                                                 "AZIMUTH_ANGLE")):
        if not np.isnan(value):   # NaN: a real quirk, replaced by the grid mean below
            ranges.check_value(value, allowed, file, f"{_ANG}/Mean_Sun_Angle/{name}")
    for band, (zen, az) in mean_viewing.items():
        for value, allowed, name in ((zen, ranges.ZENITH_DEG, "ZENITH_ANGLE"), (az, ranges.AZIMUTH_DEG,
                                                                                "AZIMUTH_ANGLE")):
            if not np.isnan(value):
                ranges.check_value(value, allowed, file, f"{_MEAN_VIEW}[@bandId='{BAND_IDS.index(band)}']/{name}")
    if not (np.isfinite(mean_zen) and np.isfinite(mean_az)):
        # Real quirk (e.g. antimeridian tiles, baseline 05.09): Mean_Sun_Angle is NaN -> mean of the grid.
        log.warning("%s: Mean_Sun_Angle is NaN; using the mean of the sun angle grid", file)
        mean_zen, mean_az = _grid_means(sun_zen, sun_az)
    for band, (zen, az) in list(mean_viewing.items()):
        if not (np.isfinite(zen) and np.isfinite(az)) and band in view_zen:
            mean_viewing[band] = _grid_means(view_zen[band], view_az[band])
    return AngleGrids(
        step,
        _readonly(sun_zen),
        _readonly(sun_az),
        xmlpath.FrozenDict(view_zen),
        xmlpath.FrozenDict(view_az),
        mean_zen,
        mean_az,
        xmlpath.FrozenDict(mean_viewing),
        xmlpath.FrozenDict({b: xmlpath.FrozenDict(d) for b, d in per_zen.items()}),
        xmlpath.FrozenDict({b: xmlpath.FrozenDict(d) for b, d in per_az.items()}),
    )


def _read_geocoding(root: etree._Element, file: Path) -> tuple[int, str, dict[int, GeoPosition]]:
    code = xmlpath.required_text(root, f"{_GEO}/HORIZONTAL_CS_CODE", file)
    try:
        epsg = int(code.upper().replace("EPSG:", ""))
    except ValueError:
        raise ProductReadError(
            f"{file}: {_GEO}/HORIZONTAL_CS_CODE = {code!r}; expected EPSG:<code>"
        ) from None
    if not known_epsg(epsg):
        raise ProductReadError(
            f"{file}: {_GEO}/HORIZONTAL_CS_CODE = {code!r} is not a coordinate reference system known to PROJ; "
            "expected the EPSG code of a projected system (Sentinel-2 tiles: UTM, EPSG:326xx / 327xx)"
        )
    sizes = {}
    for element in xmlpath.find_all(root, f"{_GEO}/Size"):
        where = f"{_GEO}/Size[@resolution='{element.get('resolution')}']"
        sizes[int(element.get("resolution"))] = (
            xmlpath.as_int(xmlpath.required_text(element, "NROWS", file), file, f"{where}/NROWS"),
            xmlpath.as_int(xmlpath.required_text(element, "NCOLS", file), file, f"{where}/NCOLS"),
        )
    geo = {}
    for element in xmlpath.find_all(root, f"{_GEO}/Geoposition"):
        res = int(element.get("resolution"))
        where = f"{_GEO}/Geoposition[@resolution='{res}']"
        if res not in sizes:
            raise ProductReadError(f"{file}: {_GEO}/Size[@resolution='{res}'] is missing")
        values = [
            xmlpath.as_float(xmlpath.required_text(element, tag, file), file, f"{where}/{tag}")
            for tag in ("ULX", "ULY", "XDIM", "YDIM")
        ]
        ranges.check_value(values[2], ranges.POSITIVE, file, f"{where}/XDIM")
        ranges.check_value(values[3], _NEGATIVE, file, f"{where}/YDIM")
        for tag, count in zip(("NROWS", "NCOLS"), sizes[res]):
            ranges.check_value(count, ranges.POSITIVE, file, f"{_GEO}/Size[@resolution='{res}']/{tag}")
        geo[res] = GeoPosition(*values, *sizes[res])
    for res in (10, 20, 60):
        if res not in geo:
            raise ProductReadError(
                f"{file}: required element {_GEO}/Geoposition[@resolution='{res}'] is missing"
            )
    return epsg, xmlpath.optional_text(root, f"{_GEO}/HORIZONTAL_CS_NAME") or "", geo


def _read_masks(root: etree._Element) -> tuple[MaskFile, ...]:
    masks = []
    for element in xmlpath.find_all(root, "Quality_Indicators_Info/Pixel_Level_QI/MASK_FILENAME"):
        band_id = element.get("bandId")
        band = BAND_IDS[int(band_id)] if band_id is not None and band_id.isdigit() else None
        masks.append(MaskFile(element.get("type", ""), band, (element.text or "").strip()))
    return tuple(masks)


def read_tile_metadata(file: Path) -> TileMetadata:
    """Parse MTD_TL.xml once; raise ProductReadError naming the file and the missing element."""
    root = xmlpath.parse_xml(file)
    if not xmlpath.local_name(root).endswith("_Tile_ID"):
        raise ProductReadError(
            f"{file}: root element is {xmlpath.local_name(root)!r}; expected Level-1C_Tile_ID"
        )
    identifier = xmlpath.required_text(root, "General_Info/TILE_ID", file)
    match = _TILE_IN_ID.search(identifier + "_")
    if match is None:
        raise ProductReadError(
            f"{file}: General_Info/TILE_ID = {identifier!r} names no tile (expected ..._Txxxxx_...)"
        )
    epsg, crs_name, geo = _read_geocoding(root, file)
    qi = "Quality_Indicators_Info/Image_Content_QI"

    def number(path: str) -> float | None:
        text = xmlpath.optional_text(root, path)
        return xmlpath.as_float(text, file, path) if text is not None else None

    sensing_path = "General_Info/SENSING_TIME"
    return TileMetadata(
        tile_id=match.group(1),
        tile_identifier=identifier,
        datastrip_identifier=xmlpath.optional_text(root, "General_Info/DATASTRIP_ID") or "",
        sensing_time=xmlpath.as_utc(xmlpath.required_text(root, sensing_path, file), file, sensing_path),
        epsg=epsg,
        crs_name=crs_name,
        geoposition=xmlpath.FrozenDict(geo),
        angles=_read_angles(root, file),
        mask_files=_read_masks(root),
        pvi_filename=xmlpath.optional_text(root, "Quality_Indicators_Info/PVI_FILENAME"),
        cloudy_pixel_percentage=number(f"{qi}/CLOUDY_PIXEL_PERCENTAGE"),
        degraded_msi_data_percentage=number(f"{qi}/DEGRADED_MSI_DATA_PERCENTAGE"),
        archiving_centre=xmlpath.optional_text(root, "General_Info/Archiving_Info/ARCHIVING_CENTRE"),
        schema_location=root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation", ""),
    )
