"""ESA-CCI auxiliary maps for scene classification (manual §3.1.2) and the snow climatology.

Users unpack ESACCI-LC-L4-ALL-FOR-SEN2COR into ``aux_data/``; the maps are optional:

* land cover ``ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.tif`` (LCCS classes: 190 urban,
  200-202 bare, 210 water),
* water bodies ``ESACCI-LC-L4-WB-Map-150m-P13Y-2000-v4.0.tif`` (1 land, 2 water),
* snow condition ``ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-v2.4/`` with one GeoTIFF per
  month (0-100 % snow occurrence, 254 water, 255 no data); the file of the sensing month is used.
  The older weekly folder (``...-P13Y7D-...-v2.0``, files dated ``2000MMDD``) is also understood:
  nearest day.
* the global snow climatology ``GlobalSnowMap.tiff`` (References/Snow_Map): any pixel > 0 in the
  tile's lon/lat box lets the snow tests run.

Where they are looked for: a References value that is an absolute path is used as it is; a name is
looked up in the package's ``aux_data/`` (Sen2Cor's ``$SEN2COR_BIN/aux_data``), then in
``$SEN2COR_HOME/aux_data`` (:func:`aux_search_dirs`).

The CCI maps are read only when a DEM is in use (the manual makes a DEM a prerequisite; a tile
beyond the SRTM coverage is processed without DEM and therefore without them) and warped to the
tile grid with nearest-neighbour resampling (class values must not be blended). A missing map is
logged and skipped; the classification then runs without it. A map that exists but cannot be read,
or is not in geographic WGS 84 (EPSG:4326, the CCI products' system), raises
:class:`~sen2cor.errors.AuxDataError` naming the file.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import numpy as np
from osgeo import gdal, osr

from sen2cor.config.resources import aux_data_dir
from sen2cor.dem.grid import TileGrid
from sen2cor.dem.mosaic import warp_onto
from sen2cor.errors import AuxDataError

log = logging.getLogger(__name__)

gdal.UseExceptions()

LANDCOVER_MAP = "ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.tif"
WATERBODIES_MAP = "ESACCI-LC-L4-WB-Map-150m-P13Y-2000-v4.0.tif"
SNOWCONDITION_DIR = "ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-v2.4"
SNOW_CLIMATOLOGY_MAP = "GlobalSnowMap.tiff"
#: Snow-condition value of cells outside the map (no data: such cells never rule snow out).
SNOW_CONDITION_NODATA = 255
#: Metadata element (Auxiliary_Data_Info) of each map; "None" when the map was not used.
METADATA_FIELDS = ("SNOW_CLIMATOLOGY_MAP", "ESACCI_WaterBodies_Map", "ESACCI_LandCover_Map",
                   "ESACCI_SnowCondition_Map_Dir")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_TOKEN = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")


@dataclass(frozen=True)
class AuxMapFiles:
    """The maps the References of L2A_CAL_SC_GIPP point to (None = not found)."""

    snow_map: Path | None = None
    land_cover: Path | None = None
    water_bodies: Path | None = None
    snow_condition_dir: Path | None = None


@dataclass(frozen=True)
class EsaCciMaps:
    """ESA-CCI layers on one tile grid (uint8, None when absent or unused) and the files they came from."""

    land_cover: np.ndarray | None = None
    water_bodies: np.ndarray | None = None
    snow_condition: np.ndarray | None = None
    land_cover_file: Path | None = None
    water_bodies_file: Path | None = None
    snow_condition_file: Path | None = None   # the month's file inside the snow-condition folder

    @property
    def available(self) -> bool:
        return any(layer is not None for layer in (self.land_cover, self.water_bodies, self.snow_condition))

    @property
    def files(self) -> tuple[Path, ...]:
        return tuple(f for f in (self.land_cover_file, self.water_bodies_file, self.snow_condition_file) if f)


def aux_search_dirs(sen2cor_home: Path | None = None) -> tuple[Path, ...]:
    """Folders where map names are looked up: the package's aux_data/, then $SEN2COR_HOME/aux_data."""
    dirs = [aux_data_dir()]
    if sen2cor_home is not None:
        dirs.append(Path(sen2cor_home) / "aux_data")
    return tuple(dirs)


def resolve_reference(value: str, search_dirs: tuple[Path, ...]) -> Path | None:
    """An absolute References value as it is, a name in the first of ``search_dirs`` holding it; None if absent."""
    text = (value or "").strip()
    if not text or text.upper() == "NONE":
        return None
    path = Path(text).expanduser()
    candidates = [path] if path.is_absolute() else [Path(d) / path for d in search_dirs]
    return next((c for c in candidates if c.exists()), None)


def locate_aux_maps(references, search_dirs: tuple[Path, ...]) -> AuxMapFiles:
    """Find the maps named by ``references`` (``config.sc.references``: ScReferences)."""
    return AuxMapFiles(snow_map=resolve_reference(references.snow_map, search_dirs),
                       land_cover=resolve_reference(references.esacci_landcover_map, search_dirs),
                       water_bodies=resolve_reference(references.esacci_waterbodies_map, search_dirs),
                       snow_condition_dir=resolve_reference(references.esacci_snowcondition_map_dir, search_dirs))


def metadata_values(maps: EsaCciMaps, snow_map: Path | None, snow_condition_dir: Path | None) -> dict[str, str]:
    """Auxiliary_Data_Info values: the name of each map the classification used, "None" for the others."""
    def name(path: Path | None) -> str:
        return path.name if path is not None else "None"

    return {"SNOW_CLIMATOLOGY_MAP": name(snow_map),
            "ESACCI_WaterBodies_Map": name(maps.water_bodies_file),
            "ESACCI_LandCover_Map": name(maps.land_cover_file),
            "ESACCI_SnowCondition_Map_Dir": name(snow_condition_dir if maps.snow_condition_file else None)}


def present_map_names(files: AuxMapFiles) -> dict[str, str]:
    """Auxiliary_Data_Info values written before any tile is classified (PDGS datastrip): the name of each
    map found, "None" for the others."""
    def name(path: Path | None) -> str:
        return path.name if path is not None else "None"

    return {"SNOW_CLIMATOLOGY_MAP": name(files.snow_map), "ESACCI_WaterBodies_Map": name(files.water_bodies),
            "ESACCI_LandCover_Map": name(files.land_cover),
            "ESACCI_SnowCondition_Map_Dir": name(files.snow_condition_dir)}


def _month_of(name: str) -> int | None:
    """Month named in a monthly file name: a token 01..12 (optionally 'M01') or an English month."""
    for token in re.split(r"[-_.]", Path(name).stem):
        lower = token.lower()
        match = re.fullmatch(r"m?(0[1-9]|1[0-2])", lower)
        if match:
            return int(match.group(1))
        for index, month in enumerate(_MONTHS, start=1):
            if lower in (month, datetime(2000, index, 1).strftime("%B").lower()):
                return index
    return None


def snow_condition_file(directory: Path, sensing: date | datetime) -> Path | None:
    """The snow-condition GeoTIFF for the sensing date: same month, or nearest day of year (weekly)."""
    files = sorted(p for p in directory.iterdir() if p.suffix.lower() in (".tif", ".tiff"))
    dated = []
    for path in files:
        match = _DATE_TOKEN.search(path.name)
        if match:
            try:
                dated.append((date(2000, int(match.group(2)), int(match.group(3))).timetuple().tm_yday, path))
            except ValueError:
                continue
    if dated:
        doy = sensing.timetuple().tm_yday
        return min(dated, key=lambda item: min(abs(item[0] - doy), 366 - abs(item[0] - doy)))[1]
    monthly = [path for path in files if _month_of(path.name) == sensing.month]
    if len(monthly) > 1:
        log.warning("several snow-condition files for month %02d in %s; using %s", sensing.month, directory,
                    monthly[0].name)
    return monthly[0] if monthly else None


def open_map(path: Path) -> gdal.Dataset:
    """Open an auxiliary map; AuxDataError unless it is a readable raster in geographic WGS 84."""
    try:
        dataset = gdal.Open(str(path))
    except RuntimeError as exc:
        raise AuxDataError(f"auxiliary map {path}: cannot be read ({exc}); expected a GeoTIFF in "
                           "geographic WGS 84 (EPSG:4326)") from exc
    srs = dataset.GetSpatialRef()
    wgs84 = osr.SpatialReference()
    wgs84.ImportFromEPSG(4326)
    if srs is None or not srs.IsGeographic() or not srs.IsSameGeogCS(wgs84):
        found = "none" if srs is None else (srs.GetName() or srs.ExportToProj4())
        raise AuxDataError(f"auxiliary map {path}: coordinate reference system {found}; expected geographic "
                           "WGS 84 (EPSG:4326) as the ESA-CCI products")
    return dataset


def warp_categorical(path: Path, grid: TileGrid, outside: float | None = None) -> np.ndarray:
    """Nearest-neighbour warp of a class map onto ``grid``; cells outside the map get ``outside`` (default:
    the map's no-data value, else 0). A map covering only part of the tile is warned about."""
    source = open_map(path)
    nodata = source.GetRasterBand(1).GetNoDataValue()
    fill = outside if outside is not None else (0.0 if nodata is None else nodata)
    x0, dx, _, y0, _, dy = source.GetGeoTransform()
    lon0, lat0, lon1, lat1 = grid.footprint_lonlat()
    box = (x0, y0 + dy * source.RasterYSize, x0 + dx * source.RasterXSize, y0)
    if lon0 < box[0] or lat0 < box[1] or lon1 > box[2] or lat1 > box[3]:
        log.warning("auxiliary map %s covers only part of the tile (map %.3f..%.3f E, %.3f..%.3f N; tile "
                    "%.3f..%.3f E, %.3f..%.3f N)", path, box[0], box[2], box[1], box[3], lon0, lon1, lat0, lat1)
    try:
        return warp_onto(source, grid, resampling="near", init_dest=fill)
    except RuntimeError as exc:
        raise AuxDataError(f"auxiliary map {path}: cannot be warped onto EPSG:{grid.epsg} ({exc})") from exc


def read_esacci_maps(files: AuxMapFiles, grid: TileGrid, sensing: date | datetime, *,
                     dem_available: bool) -> EsaCciMaps:
    """Warp the ESA-CCI maps found (``files``) onto ``grid``; INFO lines name each map used and, in one line,
    those not found.

    Without a DEM nothing is read (manual §3.1.2: DEM prerequisite, also beyond SRTM coverage).
    """
    if not dem_available:
        log.info("no DEM in use: ESA-CCI maps are not used, standard scene classification")
        return EsaCciMaps()
    layers: dict[str, object] = {}
    missing = []
    for key, path, label in (("land_cover", files.land_cover, "land cover"),
                             ("water_bodies", files.water_bodies, "water bodies")):
        if path is not None and path.is_file():
            layers[key] = warp_categorical(path, grid)
            layers[f"{key}_file"] = path
            log.info("ESA-CCI %s map %s used", label, path)
        else:
            missing.append(f"{label} map")
    snow_dir = files.snow_condition_dir
    month_file = snow_condition_file(snow_dir, sensing) if snow_dir is not None and snow_dir.is_dir() else None
    if month_file is not None:
        layers["snow_condition"] = warp_categorical(month_file, grid, outside=SNOW_CONDITION_NODATA)
        layers["snow_condition_file"] = month_file
        log.info("ESA-CCI snow condition %s used (month %02d)", month_file, sensing.month)
    else:
        missing.append(f"snow condition of month {sensing.month:02d}" + (f" in {snow_dir}" if snow_dir else ""))
    if missing:
        log.info("ESA-CCI %s not found (References of L2A_CAL_SC_GIPP, aux_data/); the classification runs "
                 "without them", ", ".join(missing))
    return EsaCciMaps(**layers)


def read_esacci_from_config(config, grid: TileGrid, sensing: date | datetime, *, dem_available: bool,
                            search_dirs: tuple[Path, ...] | None = None) -> EsaCciMaps:
    """:func:`read_esacci_maps` with the References of ``config.sc`` (L2A_CAL_SC_GIPP)."""
    dirs = aux_search_dirs(getattr(config, "home", None)) if search_dirs is None else search_dirs
    return read_esacci_maps(locate_aux_maps(config.sc.references, dirs), grid, sensing,
                            dem_available=dem_available)


def scene_could_have_snow(snow_map: Path | None, footprint_deg: tuple[float, float, float, float]) -> bool | None:
    """Snow climatology test: any pixel > 0 of the global map inside the lon/lat box (facts A.1).

    Returns None when the map is absent (caller then runs the snow tests, the safe choice).
    A box crossing the antimeridian (lon_max > 180 or lon_min > lon_max) is read in two parts.
    """
    if snow_map is None or not Path(snow_map).is_file():
        log.info("snow climatology %s not found; snow tests are kept", snow_map or SNOW_CLIMATOLOGY_MAP)
        return None
    dataset = open_map(Path(snow_map))
    lon_min, lat_min, lon_max, lat_max = footprint_deg
    if lon_max > 180.0:
        lon_min, lon_max = lon_min, lon_max - 360.0
    spans = [(lon_min, lon_max)] if lon_min <= lon_max else [(lon_min, 180.0), (-180.0, lon_max)]
    snowy = any(_window_max(dataset, (a, lat_min, b, lat_max)) > 0 for a, b in spans)
    log.info("snow climatology %s: snow is %s in this tile", snow_map, "possible" if snowy else "not expected")
    return snowy


def _window_max(dataset: gdal.Dataset, box: tuple[float, float, float, float]) -> float:
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    col0 = int(np.clip(np.floor((box[0] - x0) / dx), 0, dataset.RasterXSize - 1))
    col1 = int(np.clip(np.ceil((box[2] - x0) / dx), col0 + 1, dataset.RasterXSize))
    row0 = int(np.clip(np.floor((box[3] - y0) / dy), 0, dataset.RasterYSize - 1))
    row1 = int(np.clip(np.ceil((box[1] - y0) / dy), row0 + 1, dataset.RasterYSize))
    window = dataset.GetRasterBand(1).ReadAsArray(col0, row0, col1 - col0, row1 - row0)
    return float(window.max())
