"""L2A_AtmCorr stage: from a staged tile (Tables arrays, SCL, metadata) to the driver and back.

This module only assembles inputs: LUT choice (manual §2.2.3.2), per-pixel sun zenith, mean view
geometry, CAMS fields, terrain; the physics is in :mod:`sen2cor.atmcorr.driver` and its steps.

LUT source: when ``L2A_CAL_AC_GIPP`` ``Lib_Dir`` names a folder (absolute, or relative to SEN2COR_HOME)
holding Sen2Cor's ``lib_<S2x>`` ``.atm`` tables of the product's spacecraft, they are used (Sen2Cor's
meaning); otherwise the packaged tables: Sen2Cor's own for S2A/S2B, the 6S tables corrected towards them
for other spacecraft (:mod:`sen2cor.rtm.sources`, ``SEN2COR_LUT_SOURCE``; docs/luts.md).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sen2cor.atmcorr import radiance, terrain
from sen2cor.atmcorr.aot import bilinear_at
from sen2cor.atmcorr.driver import AcResult, OutputSink, Prior, SceneInputs, auto_aerosol, correct_resolution
from sen2cor.rtm import grid
from sen2cor.rtm.atm_reader import has_tables
from sen2cor.rtm.sources import describe, load_lut, resolve_source
from sen2cor.rtm.selection import LutSelection, select_lut
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.dem.prepare import TABLE_NAMES
from sen2cor.tables.lazy import LazyMapping

log = logging.getLogger(__name__)


#: Lib_Dir of the packaged L2A_CAL_AC_GIPP.xml: a folder a Sen2Cor installation has, this one usually not.
DEFAULT_LIB_DIR = "lib"


@dataclass(frozen=True)
class LutSource:
    """Where the look-up tables come from: ``"auto"`` (the packaged tables, :func:`sen2cor.rtm.sources.load_lut`)
    or ``"atm"`` (Sen2Cor's ``.atm`` tables in ``atm_dir``, from Lib_Dir)."""

    kind: str = "auto"
    atm_dir: Path | None = None


def lut_source(lib_dir: str | None, home: Path, spacecraft: str) -> LutSource:
    """Sen2Cor's ``.atm`` tables when ``Lib_Dir`` names a folder with ``lib_<spacecraft>``, else the packaged
    tables. A Lib_Dir folder without them (or a missing folder other than the default ``lib``) is a WARNING
    naming the folder and the tables used instead; S2C never gets another spacecraft's tables."""
    if not lib_dir:
        return LutSource()
    folder = Path(home) / lib_dir   # an absolute Lib_Dir replaces the home
    if has_tables(folder, spacecraft):
        return LutSource("atm", folder)
    instead = resolve_source(spacecraft)
    if folder.is_dir() or lib_dir != DEFAULT_LIB_DIR:
        what = "holds no Sen2Cor tables" if folder.is_dir() else "does not exist"
        log.warning("Lib_Dir %s %s for %s (lib_%s/20_60): using the packaged tables (%s)", folder, what,
                    spacecraft, spacecraft, instead)
    else:
        log.info("Lib_Dir %s not present: using the packaged tables (%s) for %s", folder, instead, spacecraft)
    return LutSource()


def tile_latitude_deg(epsg: int, ulx: float, uly: float, size_m: float) -> float:
    """Latitude of the tile centre (degrees) from its UTM corner."""
    from osgeo import osr

    utm, wgs84 = osr.SpatialReference(), osr.SpatialReference()
    utm.ImportFromEPSG(int(epsg))
    wgs84.ImportFromEPSG(4326)
    wgs84.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    lon_lat = osr.CoordinateTransformation(utm, wgs84).TransformPoint(ulx + size_m / 2, uly - size_m / 2)
    return float(lon_lat[1])


def _load(spacecraft: str, selection: LutSelection, aerosol: str, source: LutSource, resolution_m: int,
          srf) -> object:
    atm_resolution = "10" if resolution_m == 10 else "20_60"
    return load_lut(spacecraft, selection.season, aerosol, selection.table_ozone_du, srf=srf,
                    source=source.kind, atm_dir=source.atm_dir, resolution=atm_resolution)


def table_family(spacecraft: str, source: LutSource, resolution_m: int) -> str:
    """Tables loaded once per family: Sen2Cor's per folder ("10", "20_60"), the 6S tables once ("6s")."""
    if source.kind == "atm" or resolve_source(spacecraft) == "sen2cor":
        return "10" if resolution_m == 10 else "20_60"
    return "6s"


@dataclass
class TileAtmosphere:
    """The LUT choice of a tile and the tables loaded for it (one per resolution family)."""

    selection: LutSelection
    source: LutSource
    spacecraft: str
    srf: object
    _tables: dict = field(default_factory=dict, repr=False)

    def table(self, resolution_m: int):
        """The LUT of ``resolution_m``, loaded once per family (Sen2Cor's .atm: "10" and "20_60"; the 6S
        tables serve every resolution)."""
        family = table_family(self.spacecraft, self.source, resolution_m)
        if family not in self._tables:
            table = _load(self.spacecraft, self.selection, self.selection.aerosol, self.source, resolution_m,
                          self.srf)
            log.info("Look-up tables of %s for %d m: %s", self.spacecraft, resolution_m, describe(table))
            self._tables[family] = table
        return self._tables[family]


def sun_zenith_map(grid_deg: np.ndarray, step_m: float, shape: tuple[int, int], pixel_m: float,
                   offset_px: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Per-pixel sun zenith (float32, degrees) of a window whose first pixel is ``offset_px``
    (row, col) pixels of ``pixel_m`` from the tile's UL corner, by bilinear interpolation of the
    5 km metadata grid (node (0, 0) at ULX/ULY). Equals the same window of the full-tile map."""
    return radiance.angle_grid_to_pixels(grid_deg, step_m, shape, pixel_m, offset_px)


class SunZenithMap:
    """The map of :func:`sun_zenith_map` computed per window when sliced (``m[rows]``, ``m[rows, cols]``
    with unit-step slices): the correction needs it per cell and per strip only, so the full float32
    map (0.48 GB at 10 m) is never held. Every window equals the same window of the full map."""

    ndim = 2
    dtype = np.dtype(np.float32)

    def __init__(self, grid_deg: np.ndarray, step_m: float, shape: tuple[int, int], pixel_m: float,
                 offset_px: tuple[int, int] = (0, 0)) -> None:
        self.grid_deg = np.asarray(grid_deg)
        self.step_m, self.pixel_m = float(step_m), pixel_m
        self.shape, self.offset_px = (int(shape[0]), int(shape[1])), offset_px

    def __getitem__(self, key) -> np.ndarray:
        keys = key if isinstance(key, tuple) else (key,)
        if len(keys) > 2 or not all(isinstance(k, slice) for k in keys):
            raise TypeError(f"SunZenithMap: only [rows] or [rows, cols] slices, got {key!r}")
        (r0, r1, rs), (c0, c1, cs) = (k.indices(n) for k, n in zip(keys + (slice(None),), self.shape))
        if rs != 1 or cs != 1:
            raise TypeError(f"SunZenithMap: only unit-step slices, got {key!r}")
        shape = (max(r1 - r0, 0), max(c1 - c0, 0))
        return sun_zenith_map(self.grid_deg, self.step_m, shape, self.pixel_m,
                              (self.offset_px[0] + r0, self.offset_px[1] + c0))

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self[:, :]   # numpy casts to ``dtype`` itself


class StagedBands(LazyMapping):
    """band -> TOA reflectance (float32) of one resolution, read from the temporary database on each
    access (``tables.staging.stage_resolution`` put it there): the correction holds one band at a
    time instead of all of them (0.48 GB per band at 10 m). Each access returns a fresh array, which
    an in-place correction may overwrite; the database keeps the TOA."""

    def __init__(self, database, resolution_m: int, bands: tuple[str, ...]) -> None:
        super().__init__(bands, lambda band: database.get(band, resolution_m))


class StoredArray:
    """A 2-D array of the temporary database read per slice (``a[rows]``, ``a[rows, cols]``): the
    correction's per-pixel terrain layers stay on disk (0.48 GB per float32 layer at 10 m) and only
    the cells and strips being computed are in memory. Reads are serialised by one lock (PyTables is
    not thread-safe; the correction's threads read cells and strips at once)."""

    ndim = 2
    _lock = threading.Lock()

    def __init__(self, database, name: str, resolution_m: int) -> None:
        self._node = database.node(name, resolution_m)
        self.shape = tuple(int(n) for n in self._node.shape)
        self.dtype = np.dtype(self._node.dtype)
        self.size = self.shape[0] * self.shape[1]

    def __getitem__(self, key) -> np.ndarray:
        with self._lock:
            return self._node[key]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        return self[:]   # numpy casts to ``dtype`` itself


#: Rows per block when the sky view is derived from the stored slope (a 10 m block: 1024 x 10980 px).
TERRAIN_BLOCK_ROWS = 1024
#: Name of V_sky in the temporary database (beside the DEM layers of ``dem.prepare.TABLE_NAMES``).
SKY_VIEW_TABLE = "VSKY"


def stored_terrain(database, resolution_m: int) -> dict:
    """The DEM layers of the correction (``scene_inputs(dem=...)``) as :class:`StoredArray` of the
    temporary database where the tile stored them (DEM, SLP, ASP if computed, SDW), plus the sky view
    factor V_sky = (1 + cos slope) / 2 (``terrain.sky_view_factor``), computed once block by block and
    stored as ``VSKY``: the correction reads every layer per cell or strip, none is held whole."""
    layers = {f"{key}_{unit}" if unit else key: StoredArray(database, TABLE_NAMES[key], resolution_m)
              if database.has(TABLE_NAMES[key], resolution_m) else None
              for key, unit in (("elevation", "m"), ("slope", "deg"), ("aspect", "deg"), ("hillshade", ""))}
    slope = layers["slope_deg"]
    node = database.create(SKY_VIEW_TABLE, resolution_m, slope.shape, np.float32)
    for a in range(0, slope.shape[0], TERRAIN_BLOCK_ROWS):
        node[a:a + TERRAIN_BLOCK_ROWS] = terrain.sky_view_factor(slope[a:a + TERRAIN_BLOCK_ROWS])
    layers["sky_view"] = StoredArray(database, SKY_VIEW_TABLE, resolution_m)
    return layers


def window_of_coarse(coarse: np.ndarray, frame_shape: tuple[int, int], shape: tuple[int, int],
                     offset_px: tuple[int, int]) -> np.ndarray:
    """A coarse field whose corner nodes lie on the tile corners (CAMS), sampled bilinearly at
    the pixels of a window (``shape`` pixels from ``offset_px`` in a tile of ``frame_shape``
    pixels). The result has one node per window pixel, so the driver's corner-to-corner stretch
    (:func:`sen2cor.atmcorr.aot.coarse_to_pixels`) returns it unchanged."""
    scale = [(n - 1) / max(f - 1, 1) for n, f in zip(np.shape(coarse), frame_shape)]
    return bilinear_at(coarse, (offset_px[0] + np.arange(shape[0])) * scale[0],
                       (offset_px[1] + np.arange(shape[1])) * scale[1], dtype=np.float64)


def scene_inputs(resolution_m: int, toa: dict[str, np.ndarray], scl: np.ndarray, product, season: str,
                 cams: dict | None, dem: dict | None = None, *,
                 offset_px: tuple[int, int] = (0, 0)) -> SceneInputs:
    """SceneInputs of one resolution from staged arrays and the L1C metadata.

    ``offset_px``: (row, col) of the arrays' first pixel in the tile grid of ``resolution_m`` (a
    Region_Of_Interest window); the per-pixel sun zenith and the CAMS fields follow it.
    """
    angles = product.tile.angles
    vza, vaa = radiance.mean_view_geometry(angles.mean_viewing)
    dem = dem or {}
    fields = {name: cams[key].values if cams and key in cams else None
              for name, key in (("aod550", "aod550"), ("geopotential", "z"))}
    if offset_px != (0, 0):
        geo = product.tile.geoposition[resolution_m]
        fields = {name: None if f is None else window_of_coarse(f, (geo.nrows, geo.ncols), scl.shape, offset_px)
                  for name, f in fields.items()}
    return SceneInputs(
        resolution_m, toa, scl, dict(product.radiometry.solar_irradiance), angles.mean_sun_zenith,
        angles.mean_sun_azimuth, vza, vaa, season,
        sza_map_deg=SunZenithMap(angles.sun_zenith, angles.step_m, scl.shape, float(resolution_m), offset_px),
        elevation_m=dem.get("elevation_m"), slope_deg=dem.get("slope_deg"), aspect_deg=dem.get("aspect_deg"),
        hillshade=dem.get("hillshade"), sky_view=dem.get("sky_view"),
        cams_aod550=fields["aod550"], cams_geopotential=fields["geopotential"],
    )


def note_sun_beyond_tables(sun_zenith_deg: np.ndarray, last_node_deg: float = float(grid.SZA_DEG[-1])) -> bool:
    """Log (WARNING) when the tile's sun zenith exceeds the tables' last node: Sen2Cor clamps its table
    queries at 69.999 deg (facts B.2), so the functions of 70 deg are used while radiance and reflectance
    keep the true sun zenith. Returns whether it happened."""
    values = np.asarray(sun_zenith_deg)
    values = values[np.isfinite(values)]
    if values.size == 0 or values.max() <= last_node_deg:
        return False
    top, share = float(values.max()), float(np.mean(values > last_node_deg))
    log.warning("sun zenith up to %.1f deg (%.0f %% of the angle grid) beyond the tables' last node %.0f deg: "
                "the atmospheric functions of %.0f deg are used there, as Sen2Cor clamps its table queries; "
                "radiance and reflectance use the true sun zenith", top, 100 * share, last_node_deg, last_node_deg)
    return True


def choose_atmosphere(product, settings: AcSettings, source: LutSource, tco3_kg_m2: np.ndarray | None,
                      make_scene: Callable[[str], SceneInputs]) -> TileAtmosphere:
    """Season, aerosol and ozone of the tile (facts B.4). ``make_scene(season)`` builds the 20 m scene,
    needed only for Aerosol_Type AUTO (two trial retrievals, rural and maritime)."""
    note_sun_beyond_tables(product.tile.angles.sun_zenith)
    geo = product.tile.geoposition[10]
    latitude = tile_latitude_deg(product.tile.epsg, geo.ulx, geo.uly, geo.ncols * geo.xdim)
    date = product.sensing_start.date()
    ratios = None
    if settings.aerosol_type.upper() == "AUTO":
        first = select_lut("RURAL", settings.mid_latitude, settings.ozone_content_du, date, latitude, tco3_kg_m2)
        trial = {aer: _load(product.spacecraft, first, aer, source, 20, product.spectral_responses)
                 for aer in ("rural", "maritime")}
        _, ratios = auto_aerosol(make_scene(first.season), trial, settings)
    selection = select_lut(settings.aerosol_type, settings.mid_latitude, settings.ozone_content_du, date,
                           latitude, tco3_kg_m2, ratios)
    log.info("LUT selection: %s aerosol, mid-latitude %s, ozone %s DU (%s), tables %s", selection.aerosol,
             selection.season, selection.table_ozone_du, selection.ozone_source,
             source.atm_dir if source.kind == "atm" else resolve_source(product.spacecraft))
    return TileAtmosphere(selection, source, product.spacecraft, product.spectral_responses)


def correct(scene: SceneInputs, table, settings: AcSettings, prior: Prior | None = None, *,
            sink: OutputSink | None = None) -> AcResult:
    """Run the driver on one resolution (the TOA arrays are overwritten by the surface reflectance;
    with ``sink`` each band, then AOT and WVP, goes to it as soon as it is final)."""
    return correct_resolution(scene, table, settings, prior, in_place=True, sink=sink)
