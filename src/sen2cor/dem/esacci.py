"""ESA-CCI auxiliary maps for scene classification (manual §3.1.2) and the snow climatology.

Users unpack ESACCI-LC-L4-ALL-FOR-SEN2COR into ``aux_data/``; the maps are optional:

* land cover ``ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.tif`` (LCCS classes: 190 urban,
  200-202 bare, 210 water),
* water bodies ``ESACCI-LC-L4-WB-Map-150m-P13Y-2000-v4.0.tif`` (1 land, 2 water),
* snow condition ``ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-v2.4/`` with one GeoTIFF per
  month (254 water, 255 no data); the file of the sensing month is used. The older weekly
  folder (``...-P13Y7D-...-v2.0``, files dated ``2000MMDD``) is also understood: nearest day.

They are read only when a DEM is in use (the manual makes a DEM a prerequisite) and warped
to the tile grid with nearest-neighbour resampling (class values must not be blended). A
missing map is logged and skipped; the classification then runs without it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import numpy as np
from osgeo import gdal

from sen2cor.dem.grid import TileGrid
from sen2cor.dem.mosaic import warp_onto
from sen2cor.errors import DemError

log = logging.getLogger(__name__)

gdal.UseExceptions()

LANDCOVER_MAP = "ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.tif"
WATERBODIES_MAP = "ESACCI-LC-L4-WB-Map-150m-P13Y-2000-v4.0.tif"
SNOWCONDITION_DIR = "ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-v2.4"
SNOW_CLIMATOLOGY_MAP = "GlobalSnowMap.tiff"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_DATE_TOKEN = re.compile(r"(?<!\d)(\d{4})(\d{2})(\d{2})(?!\d)")


@dataclass(frozen=True)
class EsaCciMaps:
    """ESA-CCI layers on one tile grid (uint8, None when absent or unused) and the files read."""

    land_cover: np.ndarray | None = None
    water_bodies: np.ndarray | None = None
    snow_condition: np.ndarray | None = None
    files: tuple[Path, ...] = field(default=())

    @property
    def available(self) -> bool:
        return any(layer is not None for layer in (self.land_cover, self.water_bodies, self.snow_condition))


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
        log.warning(
            "several snow-condition files for month %02d in %s; using %s",
            sensing.month,
            directory,
            monthly[0].name,
        )
    return monthly[0] if monthly else None


def warp_categorical(path: Path, grid: TileGrid) -> np.ndarray:
    """Nearest-neighbour warp of a class map onto ``grid`` (cells outside the map: its no-data or 0)."""
    try:
        source = gdal.Open(str(path))
        nodata = source.GetRasterBand(1).GetNoDataValue()
        return warp_onto(source, grid, resampling="near", init_dest=0.0 if nodata is None else nodata)
    except RuntimeError as exc:
        raise DemError(f"auxiliary map {path}: cannot be warped onto EPSG:{grid.epsg} ({exc})") from exc


def read_esacci_maps(
    aux_dir: Path,
    grid: TileGrid,
    sensing: date | datetime,
    *,
    dem_available: bool,
    landcover_map: str = LANDCOVER_MAP,
    waterbodies_map: str = WATERBODIES_MAP,
    snowcondition_dir: str = SNOWCONDITION_DIR,
) -> EsaCciMaps:
    """Read the ESA-CCI maps present in ``aux_dir`` onto ``grid``; names default to the SC GIPP's.

    Without a DEM nothing is read (manual §3.1.2: DEM prerequisite, also beyond SRTM coverage).
    """
    if not dem_available:
        log.info("no DEM in use: ESA-CCI maps are not used, standard scene classification")
        return EsaCciMaps()
    layers: dict[str, np.ndarray | None] = {}
    files = []
    for key, name in (("land_cover", landcover_map), ("water_bodies", waterbodies_map)):
        path = Path(aux_dir) / name
        if path.is_file():
            layers[key] = warp_categorical(path, grid)
            files.append(path)
        else:
            log.info("ESA-CCI map %s not found in %s; not used", name, aux_dir)
    snow_dir = Path(aux_dir) / snowcondition_dir
    snow_file = snow_condition_file(snow_dir, sensing) if snow_dir.is_dir() else None
    if snow_file is not None:
        layers["snow_condition"] = warp_categorical(snow_file, grid)
        files.append(snow_file)
    else:
        log.info("ESA-CCI snow condition for month %02d not found in %s; not used", sensing.month, snow_dir)
    return EsaCciMaps(files=tuple(files), **layers)


def read_esacci_from_config(
    config, grid: TileGrid, sensing: date | datetime, *, dem_available: bool, aux_dir: Path | None = None
) -> EsaCciMaps:
    """:func:`read_esacci_maps` with the names of ``config.sc.references`` (L2A_CAL_SC_GIPP)."""
    if aux_dir is None:
        from sen2cor.config.resources import aux_data_dir

        aux_dir = aux_data_dir()
    refs = config.sc.references
    return read_esacci_maps(
        aux_dir,
        grid,
        sensing,
        dem_available=dem_available,
        landcover_map=refs.esacci_landcover_map,
        waterbodies_map=refs.esacci_waterbodies_map,
        snowcondition_dir=refs.esacci_snowcondition_map_dir,
    )


def scene_could_have_snow(snow_map: Path, footprint_deg: tuple[float, float, float, float]) -> bool | None:
    """Snow climatology test: any pixel > 0 of the global map inside the lon/lat box (facts A.1).

    Returns None when the map is absent (caller then runs the snow tests, the safe choice).
    A box crossing the antimeridian (lon_min > lon_max) is read in two parts.
    """
    if not Path(snow_map).is_file():
        log.info("snow climatology %s not found; snow tests are kept", snow_map)
        return None
    dataset = gdal.Open(str(snow_map))
    lon_min, lat_min, lon_max, lat_max = footprint_deg
    spans = [(lon_min, lon_max)] if lon_min <= lon_max else [(lon_min, 180.0), (-180.0, lon_max)]
    return any(_window_max(dataset, (a, lat_min, b, lat_max)) > 0 for a, b in spans)


def _window_max(dataset: gdal.Dataset, box: tuple[float, float, float, float]) -> float:
    x0, dx, _, y0, _, dy = dataset.GetGeoTransform()
    col0 = int(np.clip(np.floor((box[0] - x0) / dx), 0, dataset.RasterXSize - 1))
    col1 = int(np.clip(np.ceil((box[2] - x0) / dx), col0 + 1, dataset.RasterXSize))
    row0 = int(np.clip(np.floor((box[3] - y0) / dy), 0, dataset.RasterYSize - 1))
    row1 = int(np.clip(np.ceil((box[1] - y0) / dy), row0 + 1, dataset.RasterYSize))
    window = dataset.GetRasterBand(1).ReadAsArray(col0, row0, col1 - col0, row1 - row0)
    return float(window.max())
