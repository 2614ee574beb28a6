"""From the DEM_* GIPP parameters to elevation, slope, aspect and hillshade on a tile grid.

Two steps, so that geocells are found (and downloaded) once per tile and warped once per
resolution:

1. :func:`obtain_geocells` - DEM_Directory NONE means flat terrain; otherwise choose the
   format, select the geocells covering the tile footprint (plus a margin), take the ones
   present in DEM_Directory and download the others when DEM_Reference is an http(s) URL.
2. :func:`prepare_dem` - mosaic and warp onto the grid (cubic spline, whole metres, as
   Sen2Cor) and derive the terrain layers with the tile-mean sun.

Any failure (missing file, HTTP error, timeout, corrupt file, GDAL error) leads to flat
terrain at the GIPP ``Altitude`` with a warning, or, with ``Force_Exit_On_DEM_Error`` TRUE, to
:class:`~sen2cor.errors.DemError` (exit code 1 in the CLI). A tile leaving the SRTM coverage
(60 N .. 56 S) is processed flat with a warning, as Sen2Cor does, also with Force_Exit TRUE.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sen2cor.dem import download
from sen2cor.dem.grid import TileGrid
from sen2cor.dem.mosaic import DEM_DTYPE, DEM_RESAMPLING, mosaic_and_warp
from sen2cor.dem.sources import DemFormat, Geocell, coverage_problem, detect_format, is_url, select_geocells
from sen2cor.dem.terrain import TerrainLayers, flat_terrain, terrain_layers
from sen2cor.errors import DemError

log = logging.getLogger(__name__)

#: Margin added around the tile footprint when selecting geocells, degrees (~2 km; covers the
#: cubic-spline kernel and the 3x3 slope window at any DEM resolution).
FOOTPRINT_MARGIN_DEG = 0.02
CDSE_HINT = (
    "fetch them with the CDSE Copernicus DEM downloader "
    "(https://github.com/senbox-org/CDSE-Copernicus-DEM-downloader)"
)


@dataclass(frozen=True)
class DemSettings:
    """The DEM parameters of L2A_GIPP.xml (Common_Section, Atmospheric_Correction), resolved."""

    directory: Path | None  # DEM_Directory as an absolute path; None = NONE
    reference: str = "NONE"  # DEM_Reference: URL, CDSE-GLO-30/90, or a label
    force_exit_on_error: bool = False  # Force_Exit_On_DEM_Error
    altitude_km: float = 0.100  # Calibration/Altitude, used for flat terrain
    terrain_correction: bool = True  # DEM_Terrain_Correction
    timeout_s: float = download.DEFAULT_TIMEOUT_S
    deadline_s: float = download.DEFAULT_DEADLINE_S
    lock_wait_s: float = download.DEFAULT_LOCK_WAIT_S
    margin_deg: float = FOOTPRINT_MARGIN_DEG
    resampling: str = DEM_RESAMPLING
    dtype: str = DEM_DTYPE
    missing_cells_ok: bool = False  # skip absent cells (open ocean in Copernicus) if some exist


@dataclass(frozen=True)
class DemCells:
    """Geocells found for a tile, or the reason terrain is flat."""

    fmt: DemFormat | None
    cells: tuple[tuple[Geocell, Path], ...] = ()
    flat_reason: str | None = None

    @property
    def is_flat(self) -> bool:
        return not self.cells

    @property
    def dem_type(self) -> str:
        """L2A_QUALITY DEM_TYPE: SRTM_90, COPERNICUS_30, AWS_COPERNICUS_90, DTED_90 ... or NA."""
        return "NA" if self.is_flat or self.fmt is None else self.fmt.dem_type


@dataclass(frozen=True)
class DemProducts:
    """Elevation and terrain layers on one grid, with what produced them."""

    elevation_m: np.ndarray  # int16 (or float32) metres; GIPP Altitude everywhere if flat
    terrain: TerrainLayers
    is_flat: bool
    dem_type: str
    terrain_correction: bool  # False when flat or DEM_Terrain_Correction FALSE
    files: tuple[Path, ...] = field(default=())


def resolve_dem_directory(value: str, sen2cor_home: Path) -> Path | None:
    """DEM_Directory -> absolute path (relative ones are inside SEN2COR_HOME); NONE -> None."""
    text = value.strip()
    if not text or text.upper() == "NONE":
        return None
    path = Path(text).expanduser()
    return path if path.is_absolute() else Path(sen2cor_home) / path


def terrain_correction_enabled(dem_available: bool, dem_terrain_correction: bool) -> bool:
    """Whether the AC runs the terrain iterations: needs a DEM and DEM_Terrain_Correction TRUE.

    With FALSE the DEM still feeds scene classification, AOT and WV (manual §2.2.8); the AC
    then uses cos(SZA) for the illumination and a sky view factor of 1 everywhere (facts B.5).
    """
    return dem_available and dem_terrain_correction


def _failure(settings: DemSettings, fmt: DemFormat | None, reason: str) -> DemCells:
    if settings.force_exit_on_error:
        raise DemError(f"{reason} (Force_Exit_On_DEM_Error is TRUE: processing stopped)")
    log.warning("%s; processing continues with a flat surface at %.3f km", reason, settings.altitude_km)
    return DemCells(fmt, (), reason)


def obtain_geocells(settings: DemSettings, footprint_deg: tuple[float, float, float, float]) -> DemCells:
    """Find or download the geocells covering a lon/lat footprint (margin added here)."""
    if settings.directory is None:
        log.info("DEM directory not specified, flat surface is used")
        return DemCells(None, (), "DEM_Directory is NONE")
    if not settings.directory.is_dir() and not is_url(settings.reference):
        return _failure(
            settings,
            None,
            f"DEM_Directory {settings.directory} does not exist and DEM_Reference "
            f"'{settings.reference.strip()}' is no download URL",
        )
    try:
        fmt = detect_format(settings.reference, settings.directory)
    except DemError as exc:
        return _failure(settings, None, str(exc))
    lon0, lat0, lon1, lat1 = footprint_deg
    margin = settings.margin_deg
    bbox = (lon0 - margin, max(lat0 - margin, -90.0), lon1 + margin, min(lat1 + margin, 90.0))
    problem = coverage_problem(fmt, (lon0, lat0, lon1, lat1))
    if problem is not None:
        log.warning("%s: no DEM, flat surface is used", problem)
        return DemCells(fmt, (), problem)
    found, missing = [], []
    for cell in select_geocells(fmt, bbox):
        path = cell.find(settings.directory)
        (found if path is not None else missing).append((cell, path))
    log.info(
        "DEM %s: %d geocell(s) needed, %d in %s",
        fmt.name,
        len(found) + len(missing),
        len(found),
        settings.directory,
    )
    errors = []
    for cell, _ in missing:
        try:
            found.append((cell, _fetch(settings, fmt, cell)))
        except DemError as exc:
            errors.append(str(exc))
            if not settings.missing_cells_ok:
                break  # the tile is flat (or fatal) anyway: do not wait for every other cell
    if errors and not (settings.missing_cells_ok and found):
        return _failure(settings, fmt, "; ".join(errors))
    for message in errors:
        log.warning("%s; cell skipped (missing_cells_ok)", message)
    return DemCells(fmt, tuple(found))


def _fetch(settings: DemSettings, fmt: DemFormat, cell: Geocell) -> Path:
    where = f"DEM geocell {cell.name} not found in {settings.directory}"
    if not is_url(settings.reference):
        hint = (
            CDSE_HINT
            if fmt in (DemFormat.COPERNICUS_DGED_30, DemFormat.COPERNICUS_DGED_90)
            else ("set DEM_Reference to a download URL or add the file")
        )
        raise DemError(f"{where}; {hint}")
    if not fmt.downloadable or cell.url_path is None:
        raise DemError(f"{where}; {fmt.name} geocells cannot be downloaded by Sen2Cor")
    url = download.join_url(settings.reference, cell.url_path)
    return download.fetch(
        url,
        settings.directory / cell.relative_path,
        timeout_s=settings.timeout_s,
        deadline_s=settings.deadline_s,
        lock_wait_s=settings.lock_wait_s,
    )


def flat_products(
    settings: DemSettings,
    grid: TileGrid,
    sun_zenith_deg: float,
    *,
    with_aspect: bool = True,
    reason: str | None = None,
) -> DemProducts:
    """Flat terrain at the GIPP altitude on ``grid``."""
    dtype = np.int16 if settings.dtype == "int16" else np.float32
    elevation = np.full((grid.nrows, grid.ncols), round(settings.altitude_km * 1000.0), dtype)
    if reason:
        log.debug("flat terrain on the %g m grid: %s", grid.pixel_size_m, reason)
    return DemProducts(
        elevation, flat_terrain(elevation.shape, sun_zenith_deg, with_aspect=with_aspect), True, "NA", False
    )


def prepare_dem(
    settings: DemSettings,
    cells: DemCells,
    grid: TileGrid,
    sun_zenith_deg: float,
    sun_azimuth_deg: float,
    *,
    with_aspect: bool = True,
) -> DemProducts:
    """Elevation (m) and terrain layers on ``grid``; flat (or DemError) when the DEM fails.

    ``sun_zenith_deg``/``sun_azimuth_deg`` are the tile means (MTD_TL Mean_Sun_Angle).
    """
    if cells.is_flat:
        return flat_products(
            settings, grid, sun_zenith_deg, with_aspect=with_aspect, reason=cells.flat_reason
        )
    try:
        elevation = mosaic_and_warp(
            list(cells.cells), grid, resampling=settings.resampling, dtype=settings.dtype
        )
    except DemError as exc:
        failed = _failure(settings, cells.fmt, _damaged_cell(cells.cells) or str(exc))
        return flat_products(
            settings, grid, sun_zenith_deg, with_aspect=with_aspect, reason=failed.flat_reason
        )
    layers = terrain_layers(
        elevation, grid.pixel_size_m, sun_zenith_deg, sun_azimuth_deg, with_aspect=with_aspect
    )
    log.info(
        "DEM %s on the %g m grid: %.0f..%.0f m",
        cells.dem_type,
        grid.pixel_size_m,
        float(elevation.min()),
        float(elevation.max()),
    )
    return DemProducts(
        elevation,
        layers,
        False,
        cells.dem_type,
        terrain_correction_enabled(True, settings.terrain_correction),
        tuple(path for _, path in cells.cells),
    )


def dem_for_tile(
    settings: DemSettings,
    grid: TileGrid,
    sun_zenith_deg: float,
    sun_azimuth_deg: float,
    *,
    with_aspect: bool = True,
) -> DemProducts:
    """Both steps for one grid (convenience; for several resolutions reuse :func:`obtain_geocells`)."""
    cells = obtain_geocells(settings, grid.footprint_lonlat())
    return prepare_dem(settings, cells, grid, sun_zenith_deg, sun_azimuth_deg, with_aspect=with_aspect)


def settings_from_config(config, **overrides) -> DemSettings:
    """DemSettings from an ``L2A_Config`` (sen2cor.config): DEM_* of Common_Section, Altitude and
    DEM_Terrain_Correction of Atmospheric_Correction, DEM_Directory resolved in SEN2COR_HOME."""
    common, atmcorr = config.common, config.atmcorr
    directory = resolve_dem_directory(common.dem_directory or "NONE", Path(config.home))
    return DemSettings(
        directory=directory,
        reference=(common.dem_reference or "NONE"),
        force_exit_on_error=bool(common.force_exit_on_dem_error),
        altitude_km=float(atmcorr.altitude_km),
        terrain_correction=bool(atmcorr.dem_terrain_correction),
        **overrides,
    )


def grid_from_product(product, resolution_m: int) -> TileGrid:
    """Tile grid of an ``L1CProduct`` (sen2cor.l1c) at 10, 20 or 60 m."""
    return TileGrid.from_geoposition(product.tile.epsg, product.tile.geoposition[resolution_m])


#: GROUND_ELEVATION_ABOVE_3_KM is TRUE when the DEM maximum exceeds this (algorithm facts C.3).
HIGH_GROUND_M = 3000.0


def dem_quality_indicators(products: DemProducts) -> dict[str, object]:
    """L2A_QUALITY AUX_DATA_QUALITY values of one grid: DEM_TYPE, DEM_MEAN_ALTITUDE_KM,
    DEM_MEAN_SLOPE (deg), GROUND_ELEVATION_ABOVE_3_KM; means over the whole grid (flat: GIPP altitude)."""
    elevation = products.elevation_m
    return {
        "DEM_TYPE": products.dem_type,
        "DEM_MEAN_ALTITUDE_KM": float(np.mean(elevation, dtype=np.float64)) / 1000.0,
        "DEM_MEAN_SLOPE": float(np.mean(products.terrain.slope_deg, dtype=np.float64)),
        "GROUND_ELEVATION_ABOVE_3_KM": bool(elevation.max() > HIGH_GROUND_M),
    }


#: Names of the DEM layers in the temporary database (Sen2Cor's L2A_Tables channel names).
TABLE_NAMES = {"elevation": "DEM", "slope": "SLP", "aspect": "ASP", "hillshade": "SDW"}


def store_terrain(database, resolution_m: int, products: DemProducts) -> list[str]:
    """Put DEM, SLP, ASP (if computed) and SDW into a Tables database (``put(name, res_m, array)``).

    Nothing is stored for flat terrain: consumers test ``has("DEM", res)`` and fall back to the
    GIPP altitude. Returns the names stored.
    """
    if products.is_flat:
        return []
    layers = {
        TABLE_NAMES["elevation"]: products.elevation_m,
        TABLE_NAMES["slope"]: products.terrain.slope_deg,
        TABLE_NAMES["aspect"]: products.terrain.aspect_deg,
        TABLE_NAMES["hillshade"]: products.terrain.hillshade,
    }
    stored = []
    for name, array in layers.items():
        if array is not None:
            database.put(name, resolution_m, array)
            stored.append(name)
    return stored


def _damaged_cell(cells) -> str:
    """Which DEM file makes GDAL fail (truncated or corrupt), checked file by file after a failure ("" if none)."""
    for _, path in cells:
        try:
            download.check_geocell_file(Path(path), Path(path).suffix, source=Path(path).name)
        except DemError as exc:
            return f"DEM file {path} is damaged or truncated ({exc}); replace or delete it"
    return ""
