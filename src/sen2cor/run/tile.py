"""L2A_ProcessTile: one L1C tile through the Tables, scene classification and correction stages.

Resolution workflow of manual §2.4 / facts §5.3: no --resolution = 20 m then 10 m, plus 60 m by
downsampling the 20 m results when Downsample_20_to_60 is TRUE; --resolution 10 runs 20 m first;
--resolution 20 only 20 m (+60 m downsampling); --resolution 60 natively at 60 m. Each band is
decoded once into the image database; every stage works on arrays; outputs go straight into the
(temporary) L2A product folder.

Region_Of_Interest (manual §2.4.2, :mod:`sen2cor.tables.roi`): with a manual or AUTO window only
the window is decoded, classified and corrected; every array of the stages is a window, and the
writers embed it into the full tile grid with no data (0) outside. Position-dependent inputs
(sun-zenith map, CAMS fields, DEM grid) are built for the window.
"""
from __future__ import annotations

import contextlib
import logging
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import tables

from sen2cor.config import L2A_Config
from sen2cor.l1c import L1CProduct
from sen2cor.run.input_checks import warn_if_no_data
from sen2cor.l1c import read_cams, read_grib, versions
from sen2cor.product.layout import L2ALayout
from sen2cor.product.metadata import update_auxiliary_maps
from sen2cor.product.writer import boa_offset_for
from sen2cor.quality import AerosolRetrieval, compute_indicators, write_quality
from sen2cor.sceneclass import SCL, classify
from sen2cor.sceneclass.grids import upsample_nearest
from sen2cor.sceneclass.water import WBI_WATER
from sen2cor.run import outputs as tile_outputs
from sen2cor.run.progress import RunProgress, tile_steps
from sen2cor.run.scene_inputs import classification_inputs
from sen2cor.tables import radiometry
from sen2cor.atmcorr import stage
from sen2cor.atmcorr.aot import ddv_map
from sen2cor.atmcorr.driver import Prior
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.atmcorr.stage import TileAtmosphere
from sen2cor.bands import L2A_BANDS, NATIVE_RESOLUTION_M
from sen2cor.tables.resample import downsample_mean, resample_band
from sen2cor.tables.roi import Roi, crop, embed, roi_from_region
from sen2cor.tables.staging import PROCESSING_BANDS, import_bands, stage_resolution, valid_mask_60m
from sen2cor.tables.store import Database, open_databases
from sen2cor.dem import DemSettings, grid_from_product, obtain_geocells, prepare_dem, settings_from_config
from sen2cor.dem.grid import TileGrid
from sen2cor.dem.prepare import TABLE_NAMES, DemCells, DemProducts, store_terrain
from sen2cor.tables.writers import output_path, write_image

log = logging.getLogger(__name__)

#: Bands the scene classification reads at its resolution (sceneclass facts A.1).
SC_BANDS = ("B02", "B03", "B04", "B05", "B07", "B8A", "B09", "B10", "B11", "B12")
#: HDF5 chunk cache of every open array of the tile's databases (PyTables' default: 16 MiB). The
#: stages read and write whole images or whole rows of chunks, which the cache does not speed up,
#: and with the ~50 arrays of a run open the default caches held ~0.9 GB at the full tile.
DATABASE_CHUNK_CACHE_BYTES = 1 << 20


@dataclass(frozen=True)
class ResolutionPlan:
    """Which resolutions are processed natively and whether 60 m is derived from 20 m."""

    native: tuple[int, ...]
    downsample_to_60: bool

    @property
    def written(self) -> tuple[int, ...]:
        return self.native + ((60,) if self.downsample_to_60 and 60 not in self.native else ())


def resolution_plan(resolution: int | None, *, sc_only: bool, downsample_20_to_60: bool) -> ResolutionPlan:
    """Sen2Cor's order of resolutions for a run (facts §5.3; --sc_only at 20 or 60 m only)."""
    if resolution == 60:
        return ResolutionPlan((60,), False)
    if sc_only or resolution == 20:
        return ResolutionPlan((20,), downsample_20_to_60)
    return ResolutionPlan((20, 10), downsample_20_to_60)


@dataclass
class TileResults:
    """What the run learnt, for the quality indicators and the console summary."""

    scl: dict[int, np.ndarray] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    sc_algorithm: str = ""
    atmosphere: TileAtmosphere | None = None
    prior: Prior | None = None            # what 10 m reuses from 20 m (visibility index, scene WV)
    ac_info: dict = field(default_factory=dict)
    corrected: bool = False
    pvi_written: bool = False
    dem_settings: DemSettings | None = None
    dem_cells: DemCells | None = None
    # (DEM_TYPE, geocell files) per resolution with a DEM; its layers are in the temporary database
    dem: dict[int, tuple[str, tuple[Path, ...]]] = field(default_factory=dict)
    roi: Roi | None = None                # Region_Of_Interest window (None = whole tile)
    aux_fields: tuple[dict, dict] | None = None   # AUX_ECMWFT, AUX_CAMSFO GRIB fields, read once per tile
    aux_maps: dict[str, str] = field(default_factory=dict)   # Auxiliary_Data_Info names of the maps SC used
    water_bodies: np.ndarray | None = None   # ESA-CCI water bodies on the SC grid (land of the quality indicators)


class _Stopwatch:
    """One console line per stage with elapsed time (plain lines: readable in batch logs), and the
    run's ``Progress[%]`` line when a stage begins (:mod:`sen2cor.run.progress`)."""

    def __init__(self, results: TileResults, progress: RunProgress) -> None:
        self._results = results
        self._start = time.monotonic()
        self.progress = progress

    def begin(self, stage: str) -> float:
        release_free_memory()
        self.progress.begin(stage)
        return time.monotonic()

    def done(self, stage: str, since: float) -> float:
        now = time.monotonic()
        self._results.seconds[stage] = now - since
        log.info("%-38s %7.1f s (total %.1f s)", stage, now - since, now - self._start)
        return now


def release_free_memory() -> None:
    """Give the memory freed by the previous stage back to the system (glibc ``malloc_trim``; nothing
    elsewhere). Arrays below glibc's mmap threshold (up to 32 MB: strips, cells) come from per-thread
    arenas, which keep freed memory mapped: measured on a full tile, RSS stayed ~0.4-0.8 GiB above the
    live arrays from one stage into the next (docs/performance.md)."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _glibc():
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim   # noqa: B018 -- glibc only
    except (OSError, AttributeError):
        return None
    return libc


_LIBC = _glibc()


def process_tile(product: L1CProduct, config: L2A_Config, layout: L2ALayout) -> TileResults:
    """Run every stage of one tile into the product folder of ``layout`` (usually its temporary twin)."""
    options = config.run
    plan = resolution_plan(options.resolution, sc_only=options.sc_only,
                           downsample_20_to_60=config.downsample_20_to_60)
    results = TileResults()
    region = config.common.region_of_interest
    if region.mode == "MANUAL":   # checked before any decoding: a bad window fails fast
        results.roi = roi_from_region(region, frame_px=_frame_px(product))
    steps = tile_steps(plan.native, downsample_to_60=plan.downsample_to_60, classify=lambda res: res != 10,
                       correct=not options.sc_only, quicklook=not options.no_quicklook)
    clock = _Stopwatch(results, RunProgress(steps))
    t = clock.begin("import of the L1C bands")
    with contextlib.ExitStack() as stack:
        with _chunk_cache(DATABASE_CHUNK_CACHE_BYTES):   # files keep the cache size they are opened with
            img_db, tmp_db = stack.enter_context(open_databases(   # named after the (reserved, unique) output
                Path(layout.root).name.removesuffix(".SAFE"), layout.granule, img_database_dir=options.img_database_dir,
                res_database_dir=options.res_database_dir, work_dir=options.work_dir,
                compression_level=config.atmcorr.database_compression_level))
        if region.mode == "AUTO":
            results.roi = _auto_roi(product, config, img_db)
        if results.roi is not None:
            roi = results.roi
            log.info("Region_Of_Interest %s: rows %d..%d, cols %d..%d of the %d px frame (10 m), %.1f %% of "
                     "the tile", region.mode, roi.row0, roi.row0 + roi.nrows, roi.col0, roi.col0 + roi.ncols,
                     roi.frame_px, 100 * roi.fraction)
        import_bands(img_db, dict(product.band_files), nr_threads=config.common.nr_threads, roi=results.roi)
        clock.done("import of the L1C bands", t)
        t = clock.begin("DEM geocells")
        results.dem_settings = settings_from_config(config)
        results.dem_cells = obtain_geocells(results.dem_settings,
                                            _grid(product, 20, results.roi).footprint_lonlat())
        t = clock.done("DEM geocells", t)
        for resolution in plan.native:
            _process_resolution(product, config, layout, img_db, tmp_db, resolution, results, clock)
            t = clock.done(f"{resolution} m processing", t)
        if plan.downsample_to_60:
            t = clock.begin("60 m downsampling")
            tile_outputs.downsample_to_60(product, config, layout, tmp_db, results.roi)
            clock.done("60 m downsampling", t)
        t = clock.begin("quality indicators")
        _write_quality(product, config, layout, tmp_db, plan.native[0], results)
        update_auxiliary_maps(layout.root, results.aux_maps)
        clock.done("quality indicators", t)
    if not options.no_quicklook:
        t = clock.begin("quicklook")
        tile_outputs.write_quicklook(layout)
        clock.done("quicklook", t)
    clock.begin("product finalisation")
    return results


@contextlib.contextmanager
def _chunk_cache(nbytes: int):
    """PyTables' CHUNK_CACHE_SIZE for the HDF5 files opened inside (a file keeps the value it was opened
    with; PyTables offers no per-call argument through ``tables.store``); restored on exit."""
    saved = tables.parameters.CHUNK_CACHE_SIZE
    tables.parameters.CHUNK_CACHE_SIZE = int(nbytes)
    try:
        yield
    finally:
        tables.parameters.CHUNK_CACHE_SIZE = saved


def _frame_px(product: L1CProduct) -> int:
    """Side of the product's tile in 10 m pixels (10980 for a real tile; generated ones are smaller)."""
    return int(product.tile.geoposition[10].nrows)


def _auto_roi(product: L1CProduct, config: L2A_Config, img_db: Database) -> Roi | None:
    """ROI AUTO: bounding box of the valid B01 pixels (60 m, decoded in full: 1830 x 1830 at most).
    With a window, B01 is cropped in the image database like the bands imported afterwards."""
    import_bands(img_db, {"B01": product.band_files["B01"]}, nr_threads=config.common.nr_threads)
    roi = roi_from_region(config.common.region_of_interest, valid=valid_mask_60m(img_db), valid_resolution_m=60,
                          frame_px=_frame_px(product))
    if roi is not None:
        img_db.put("B01", 60, crop(img_db.get("B01", 60), roi, 60))
    return roi


def _grid(product: L1CProduct, resolution: int, roi: Roi | None) -> TileGrid:
    """Grid of the processed pixels at ``resolution``: the tile, or the ROI window of it."""
    grid = grid_from_product(product, resolution)
    if roi is None:
        return grid
    rows, cols = roi.window(resolution)
    return replace(grid, ulx_m=grid.ulx_m + cols.start * grid.pixel_size_m,
                   uly_m=grid.uly_m - rows.start * grid.pixel_size_m,
                   nrows=rows.stop - rows.start, ncols=cols.stop - cols.start)


def _offset(roi: Roi | None, resolution: int) -> tuple[int, int]:
    """(row, col) of the first processed pixel in the tile grid of ``resolution``."""
    if roi is None:
        return 0, 0
    rows, cols = roi.window(resolution)
    return rows.start, cols.start


def _terrain(product: L1CProduct, config: L2A_Config, layout: L2ALayout, tmp_db: Database, resolution: int,
             results: TileResults) -> DemProducts | None:
    """DEM, slope, aspect and hillshade on the grid of ``resolution`` (None for flat terrain), also stored
    in the temporary database (``dem.prepare.store_terrain``: DEM, SLP, ASP, SDW) where the correction
    and the quality indicators read them, so no stage after the scene classification holds them."""
    if results.dem_cells is None or results.dem_cells.is_flat:
        return None
    angles = product.tile.angles
    dem = prepare_dem(results.dem_settings, results.dem_cells, _grid(product, resolution, results.roi),
                      angles.mean_sun_zenith, angles.mean_sun_azimuth, with_aspect=resolution != 10)
    if dem.is_flat:
        return None
    store_terrain(tmp_db, resolution, dem)
    results.dem[resolution] = (dem.dem_type, dem.files)
    if config.common.generate_dem_output:   # height + 10000 m (uint16); 0 outside a ROI
        fmt = tile_outputs.image_format(config)
        write_image(output_path(layout.granule_aux_dir, f"{tile_outputs.image_prefix(layout)}_DEM_{resolution}m", fmt),
                    embed(radiometry.encode_dem(dem.elevation_m), results.roi, resolution),
                    product.tile.geoposition[resolution], fmt=fmt, epsg=product.tile.epsg,
                    nr_threads=config.common.nr_threads)
    return dem


def _process_resolution(product: L1CProduct, config: L2A_Config, layout: L2ALayout, img_db: Database,
                        tmp_db: Database, resolution: int, results: TileResults, clock: _Stopwatch) -> None:
    """Staging, scene classification (20 / 60 m), correction and outputs of one resolution, each
    with its own progress line (``<res> m: <step>``).

    Every output layer is stored in the temporary database as soon as it is final (uint16 / uint8)
    and the writers read them back one at a time, so no stage holds all layers of a resolution."""
    radiometry_ = product.radiometry
    t = clock.begin(f"{resolution} m: staging")
    dem = _terrain(product, config, layout, tmp_db, resolution, results)
    with_dem = dem is not None
    if resolution == 10:   # no classification at 10 m: the correction reads the stored layers (0.84 GB freed)
        dem = None
    stage_resolution(img_db, tmp_db, resolution, quantification=radiometry_.quantification_value,
                     add_offset=radiometry_.add_offset,   # 10 m: one band at a time (0.7 GB per band in flight)
                     nr_threads=config.common.nr_threads if resolution != 10 else 1)
    t = clock.done(f"{resolution} m: staging", t)
    if resolution in (20, 60):
        clock.begin(f"{resolution} m: scene classification")
        scl = _classify(product, config, layout, img_db, tmp_db, resolution, results, dem)
        t = clock.done(f"{resolution} m: scene classification", t)
    else:
        scl = upsample_nearest(results.scl[20], 2)   # not kept in results: 0.12 GB at 10 m
    del dem   # the correction reads the DEM layers from the temporary database
    if config.run.sc_only or scl.max() <= SCL.SATURATED_DEFECTIVE:   # nothing to correct (facts §7.1)
        names = _store_toa_layers(img_db, tmp_db, resolution)   # the L1C TOA bands are exported
    else:
        clock.begin(f"{resolution} m: atmospheric correction")
        names = _correct(product, config, tmp_db, resolution, scl, results, with_dem)
        t = clock.done(f"{resolution} m: atmospheric correction", t)
        tile_outputs.write_stored_masks(config, layout, resolution, tmp_db, ("DDVPXL",), product, results.roi)
    tmp_db.put("OUT_SCL", resolution, scl)   # the OUT_ layers are also the input of the 60 m downsampling
    del scl
    clock.begin(f"{resolution} m: outputs")
    layers = tile_outputs.StoredLayers(tmp_db, resolution, names + ("SCL",))
    tile_outputs.write_layers(config, layout, resolution, layers, product, results.roi)
    if resolution != 10 and not results.pvi_written:
        tile_outputs.write_preview(product, config, layout, resolution, layers, results.roi)
        results.pvi_written = True
    clock.done(f"{resolution} m: outputs", t)


def _classify(product: L1CProduct, config: L2A_Config, layout: L2ALayout, img_db: Database, tmp_db: Database,
              resolution: int, results: TileResults, dem: DemProducts | None) -> np.ndarray:
    """Scene classification at 20 or 60 m; writes MSK_CLDPRB / MSK_SNWPRB and returns the SCL.

    The classification reads its bands strip by strip (``Bands.get(band, rows)``), so it gets the
    temporary database's arrays themselves: no band is loaded whole (11 float32 bands, 1.3 GB at 20 m)."""
    tmp_db.put("B08", resolution, _b08_reflectance(img_db, resolution, product))   # parallax test (evolution)
    toa = {band: tmp_db.node(band, resolution) for band in SC_BANDS + ("B08",)}
    nodata = tmp_db.get("NODATA", resolution).astype(bool)
    warn_if_no_data(nodata, tile_id=product.tile_id, resolution_m=resolution)
    saturated = tmp_db.get("SATURATED", resolution) != 0
    inputs = classification_inputs(product, config, _grid(product, resolution, results.roi), results.roi,
                                   nodata=nodata, saturated=saturated, dem=dem)
    results.aux_maps = inputs.metadata
    results.water_bodies = inputs.aux.water_bodies
    classified = classify(toa, inputs.aux, thresholds=config.sc.thresholds, classic=config.run.sc_classic,
                          median_filter_px=config.sc.median_filter_px)
    del toa, inputs, nodata, saturated
    results.scl[resolution] = classified.scl
    results.sc_algorithm = classified.algorithm
    probabilities = {"CLDPRB": classified.msk_cldprb(), "SNWPRB": classified.msk_snwprb()}
    scl = classified.scl
    del classified   # the float32 probability maps
    tile_outputs.write_probabilities(config, layout, resolution, probabilities, product, results.roi)
    for kind, mask in probabilities.items():
        tmp_db.put(f"OUT_{kind}", resolution, mask)
    return scl


def _correct(product: L1CProduct, config: L2A_Config, tmp_db: Database, resolution: int,
             scl: np.ndarray, results: TileResults, with_dem: bool) -> tuple[str, ...]:
    """Atmospheric correction of one resolution; the uint16 BOA bands, AOT and WVP (facts B.14) go
    into the temporary database (``OUT_<name>``) one by one as the driver finishes them.

    The TOA bands are read from the database when the driver needs them (``stage.StagedBands``) and
    each output is encoded as soon as it is final, so about one float32 band is alive at a time.
    Returns the names of the stored layers."""
    settings = replace(AcSettings.from_config(config.atmcorr, config.cal_ac), nr_threads=config.common.nr_threads)
    toa = stage.StagedBands(tmp_db, resolution, PROCESSING_BANDS[resolution])
    ecmwf, cams = _aux_fields(product, results)
    if results.atmosphere is None:
        tco3 = ecmwf["tco3"].values if "tco3" in ecmwf else None
        source = stage.lut_source(config.cal_ac.lib_dir, config.home, product.spacecraft)
        results.atmosphere = stage.choose_atmosphere(
            product, settings, source, tco3,
            lambda season: stage.scene_inputs(resolution, toa, scl, product, season, cams,
                                              offset_px=_offset(results.roi, resolution)))
    atmosphere = results.atmosphere
    # the DEM layers are read per cell / strip from the database (aspect: None at 10 m, cos(beta) from the hillshade)
    terrain = stage.stored_terrain(tmp_db, resolution) if with_dem else None
    scene = stage.scene_inputs(resolution, toa, scl, product, atmosphere.selection.season, cams, terrain,
                               offset_px=_offset(results.roi, resolution))
    del terrain
    sink = tile_outputs.OutputEncoder(tmp_db, resolution, scl,
                                      (boa_offset_for(product) or 0))
    result = stage.correct(scene, atmosphere.table(resolution), settings,
                           results.prior if resolution == 10 else None, sink=sink)
    if resolution != 10 and config.common.generate_ddv_output:   # MSK_DDVPXL (20 / 60 m only)
        tmp_db.put("OUT_DDVPXL", resolution, ddv_map(scl, result.ddv_mask))
    if resolution != 10:
        results.prior = result.for_10m()
        results.ac_info = dict(result.info) | atmosphere.selection.metadata()
    results.corrected = True
    return tuple(sink.names)


def _aux_fields(product: L1CProduct, results: TileResults, *, with_cams: bool = True) -> tuple[dict, dict]:
    """AUX_ECMWFT and AUX_CAMSFO GRIB fields (empty when the L1C has none), read on first use only; CAMS is
    read (and its absence reported) only when the atmospheric correction needs it."""
    if results.aux_fields is None:
        ecmwf_path = product.aux_paths.get("AUX_ECMWFT")
        ecmwf = read_grib(ecmwf_path) if ecmwf_path is not None else {}
        if not with_cams:
            return ecmwf, {}
        cams = read_cams(product.aux_paths.get("AUX_CAMSFO"), Path(product.tile_mtd_path).parent / "AUX_DATA",
                         expected=versions.has_radiometric_offset(product.processing_baseline))  # CAMS from 04.00
        results.aux_fields = (ecmwf, cams)
    return results.aux_fields


def _b08_reflectance(img_db: Database, resolution: int, product: L1CProduct) -> np.ndarray:
    """B08 (10 m) block-averaged to the classification grid, as TOA reflectance (float32)."""
    dn = downsample_mean(img_db.get("B08", 10), resolution // 10)
    rho = radiometry.dn_to_reflectance(dn, product.radiometry.quantification_value,
                                       product.radiometry.add_offset.get("B08", 0), nodata_value=0.0)
    rho[dn == 0] = 0.0
    return rho


def _store_toa_layers(img_db: Database, tmp_db: Database, resolution: int) -> tuple[str, ...]:
    """--sc_only outputs (facts §7.1): the L1C TOA DN resampled to ``resolution``, zero AOT and WVP,
    stored as ``OUT_<name>`` in the temporary database; returns their names."""
    names = []
    shape = None
    for band in PROCESSING_BANDS[resolution]:
        if band == "B10":
            continue
        native = NATIVE_RESOLUTION_M[band]
        dn = resample_band(band, img_db.get(band, native), native, resolution)
        shape = dn.shape
        tmp_db.put(f"OUT_{band}", resolution, dn)
        names.append(band)
        del dn
    for name in ("AOT", "WVP"):
        tmp_db.put(f"OUT_{name}", resolution, np.zeros(shape, dtype=np.uint16))
        names.append(name)
    return tuple(names)


def _write_quality(product: L1CProduct, config: L2A_Config, layout: L2ALayout, tmp_db: Database,
                   resolution: int, results: TileResults) -> None:
    """L2A_QUALITY.xml and the metadata quality indicators from the first processed resolution."""
    ecmwf, _ = _aux_fields(product, results, with_cams=False)
    info = results.ac_info
    start_km = config.atmcorr.visibility_km
    retrieval = AerosolRetrieval(
        method=info.get("AOT_RETRIEVAL_METHOD", "DEFAULT"), start_visibility_km=info.get("START_VISIBILITY", start_km),
        ddv_visibility_km=info.get("VISIBILITY_FROM_DDV"), final_visibility_km=info.get("FINAL_VISIBILITY"),
        ddv_pixel_percent=info.get("DDV_PIXEL_PERCENTAGE", 0.0),
        ddv_reflectance_range=info.get("DDV_REFLECTANCE_RANGE") or 0.0,
        blue_rescaling_factor=info.get("BLUE_PATH_RADIANCE_RESCALING_FACTOR", 1.0))
    boa = {name[4:]: tmp_db.get(name, resolution) for name, _ in tmp_db.names(resolution)
           if name[4:] in L2A_BANDS[resolution] and name.startswith("OUT_")} if results.corrected else None
    indicators = compute_indicators(
        tmp_db.get("OUT_SCL", resolution), aot_dn=tmp_db.get("OUT_AOT", resolution),
        wvp_dn=tmp_db.get("OUT_WVP", resolution), mean_sun_zenith_deg=product.tile.angles.mean_sun_zenith,
        retrieval=retrieval, tco3_kg_m2=ecmwf["tco3"].values if "tco3" in ecmwf else None,
        configured_ozone_du=config.atmcorr.ozone_content_du, boa=boa,
        boa_add_offset_dn=(boa_offset_for(product) or 0),
        degraded_msi_percent=product.tile.degraded_msi_data_percentage or 0.0,
        sc_only=not results.corrected, psd15=layout.psd_major == 15, n_full=_tile_pixels(product, resolution),
        land=None if results.water_bodies is None else results.water_bodies != WBI_WATER,
        **_dem_indicators(results, tmp_db, resolution))
    write_quality(layout, indicators)


def _tile_pixels(product: L1CProduct, resolution: int) -> int:
    """Pixels of the whole tile at ``resolution``: outside a ROI they count as no data (as in Sen2Cor)."""
    geo = product.tile.geoposition[resolution]
    return int(geo.nrows) * int(geo.ncols)


def _dem_indicators(results: TileResults, tmp_db: Database, resolution: int) -> dict:
    """DEM arguments of the quality indicators (DEM_TYPE, mean altitude and slope) when a DEM was used."""
    if resolution not in results.dem:
        return {}
    dem_type, files = results.dem[resolution]
    return {"dem_m": tmp_db.get(TABLE_NAMES["elevation"], resolution),
            "slope_deg": tmp_db.get(TABLE_NAMES["slope"], resolution), "dem_type": dem_type,
            "dem_files": tuple(Path(f).name for f in files)}


__all__ = ["ResolutionPlan", "resolution_plan", "process_tile", "TileResults"]
