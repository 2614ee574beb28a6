"""L2A_ProcessTile: one L1C tile through the Tables, scene classification and correction stages.

Resolution workflow of manual §2.4 / facts §5.3: no --resolution = 20 m then 10 m, plus 60 m by
downsampling the 20 m results when Downsample_20_to_60 is TRUE; --resolution 10 runs 20 m first;
--resolution 20 only 20 m (+60 m downsampling); --resolution 60 natively at 60 m. Each band is
decoded once into the image database; every stage works on arrays; outputs go straight into the
(temporary) L2A product folder.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sen2cor.config import L2A_Config
from sen2cor.l1c import L1CProduct
from sen2cor.input_checks import warn_if_no_data
from sen2cor.l1c import read_grib
from sen2cor.product.layout import L2ALayout
from sen2cor.quality import AerosolRetrieval, compute_indicators, write_quality
from sen2cor.sceneclass import SCL, SceneAux, classify
from sen2cor.sceneclass.grids import block_mean_uint8, scl_to_60m, upsample_nearest
from sen2cor.tables import radiometry
from sen2cor.bands import NATIVE_RESOLUTION_M
from sen2cor.tables.resample import downsample_mean, resample_band
from sen2cor.tables.staging import PROCESSING_BANDS, import_bands, stage_resolution
from sen2cor.tables.store import Database, open_databases
from sen2cor.tables.writers import write_pvi, write_qi_mask, write_resolution

log = logging.getLogger(__name__)

#: Bands the scene classification reads at its resolution (sceneclass facts A.1).
SC_BANDS = ("B02", "B03", "B04", "B05", "B07", "B8A", "B09", "B10", "B11", "B12")


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


class _Stopwatch:
    """One console line per stage with elapsed time (plain lines: readable in batch logs)."""

    def __init__(self, results: TileResults) -> None:
        self._results = results
        self._start = time.monotonic()

    def done(self, stage: str, since: float) -> float:
        now = time.monotonic()
        self._results.seconds[stage] = now - since
        log.info("%-38s %7.1f s (total %.1f s)", stage, now - since, now - self._start)
        return now


def process_tile(product: L1CProduct, config: L2A_Config, layout: L2ALayout) -> TileResults:
    """Run every stage of one tile into the product folder of ``layout`` (usually its temporary twin)."""
    options = config.run
    plan = resolution_plan(options.resolution, sc_only=options.sc_only,
                           downsample_20_to_60=config.downsample_20_to_60)
    if not options.sc_only:
        from sen2cor.errors import Sen2CorError

        raise Sen2CorError("the atmospheric correction is not available yet in this version; "
                           "use --sc_only (scene classification) or --cr_only (product tree)")
    results = TileResults()
    clock = _Stopwatch(results)
    t = time.monotonic()
    with open_databases(product.name, layout.granule, img_database_dir=options.img_database_dir,
                        res_database_dir=options.res_database_dir, work_dir=options.work_dir,
                        compression_level=config.atmcorr.database_compression_level) as (img_db, tmp_db):
        import_bands(img_db, dict(product.band_files), nr_threads=config.common.nr_threads)
        t = clock.done("import of the L1C bands", t)
        for resolution in plan.native:
            _process_resolution(product, config, layout, img_db, tmp_db, resolution, results)
            t = clock.done(f"{resolution} m processing", t)
        if plan.downsample_to_60:
            _downsample_to_60(product, config, layout, tmp_db)
            t = clock.done("60 m downsampling", t)
        _write_quality(product, config, layout, tmp_db, plan.native[0])
        clock.done("quality indicators", t)
    return results


def _process_resolution(product: L1CProduct, config: L2A_Config, layout: L2ALayout, img_db: Database,
                        tmp_db: Database, resolution: int, results: TileResults) -> None:
    radiometry_ = product.radiometry
    stage_resolution(img_db, tmp_db, resolution, quantification=radiometry_.quantification_value,
                     add_offset=radiometry_.add_offset)
    if resolution in (20, 60):
        toa = {band: tmp_db.get(band, resolution) for band in SC_BANDS}
        toa["B08"] = _b08_reflectance(img_db, resolution, product)   # parallax test of the evolution
        nodata = tmp_db.get("NODATA", resolution).astype(bool)
        warn_if_no_data(nodata, tile_id=product.tile_id, resolution_m=resolution)
        saturated = tmp_db.get("SATURATED", resolution) != 0
        angles = product.tile.angles
        aux = SceneAux(resolution_m=float(resolution), sun_zenith_deg=angles.mean_sun_zenith,
                       sun_azimuth_deg=angles.mean_sun_azimuth, nodata=nodata, saturated=saturated,
                       handle_l1c_qlt_mask=False)
        classified = classify(toa, aux, thresholds=config.sc.thresholds, classic=config.run.sc_classic,
                              median_filter_px=config.sc.median_filter_px)
        del toa
        results.scl[resolution] = classified.scl
        results.sc_algorithm = classified.algorithm
        scl = classified.scl
        probabilities = {"CLDPRB": classified.msk_cldprb(), "SNWPRB": classified.msk_snwprb()}
        _write_probabilities(config, layout, resolution, probabilities, product)
        for kind, mask in probabilities.items():
            tmp_db.put(f"OUT_{kind}", resolution, mask)
    else:
        scl = upsample_nearest(results.scl[20], 2)
        results.scl[10] = scl
    layers = _toa_layers(img_db, resolution)   # --sc_only: the L1C TOA bands are exported
    layers["SCL"] = scl
    _write_layers(config, layout, resolution, layers, product)
    for name, array in layers.items():  # kept for the 60 m downsampling
        tmp_db.put(f"OUT_{name}", resolution, array)


def _b08_reflectance(img_db: Database, resolution: int, product: L1CProduct) -> np.ndarray:
    """B08 (10 m) block-averaged to the classification grid, as TOA reflectance (float32)."""
    dn = downsample_mean(img_db.get("B08", 10), resolution // 10)
    rho = radiometry.dn_to_reflectance(dn, product.radiometry.quantification_value,
                                       product.radiometry.add_offset.get("B08", 0), nodata_value=0.0)
    rho[dn == 0] = 0.0
    return rho


def _toa_layers(img_db: Database, resolution: int) -> dict[str, np.ndarray]:
    """--sc_only outputs (facts §7.1): the L1C TOA DN resampled to ``resolution``, zero AOT and WVP."""
    layers: dict[str, np.ndarray] = {}
    for band in PROCESSING_BANDS[resolution]:
        if band == "B10":
            continue
        native = NATIVE_RESOLUTION_M[band]
        layers[band] = resample_band(band, img_db.get(band, native), native, resolution)
    shape = next(iter(layers.values())).shape
    layers["AOT"] = np.zeros(shape, dtype=np.uint16)
    layers["WVP"] = np.zeros(shape, dtype=np.uint16)
    return layers


def _write_layers(config: L2A_Config, layout: L2ALayout, resolution: int, layers: dict[str, np.ndarray],
                  product: L1CProduct) -> list[Path]:
    options = config.run
    return write_resolution(layout.granule, _prefix(layout), resolution, layers,
                            product.tile.geoposition[10], fmt=_image_format(config), sc_cog=options.sc_cog,
                            tci=config.common.generate_tci_output,
                            add_offset=radiometry.boa_add_offset(product.processing_baseline),
                            epsg=product.tile.epsg, nr_threads=config.common.nr_threads)


def _write_probabilities(config: L2A_Config, layout: L2ALayout, resolution: int,
                         masks: dict[str, np.ndarray], product: L1CProduct) -> None:
    geo = product.tile.geoposition[resolution]
    for kind, mask in masks.items():
        write_qi_mask(layout.qi_dir, kind, resolution, mask, geo, fmt=_image_format(config),
                      epsg=product.tile.epsg, nr_threads=config.common.nr_threads)


def _downsample_to_60(product: L1CProduct, config: L2A_Config, layout: L2ALayout, tmp_db: Database) -> None:
    """60 m outputs from the 20 m ones (facts §5.3): 3x3 block mean (+0.5) for reflectance, AOT, WVP
    and the probability masks; 3x3 median then nearest for the SCL."""
    layers: dict[str, np.ndarray] = {}
    for name, _ in tmp_db.names(20):
        if not name.startswith("OUT_"):
            continue
        array = tmp_db.get(name, 20)
        layer = name[4:]
        if layer == "SCL":
            layers[layer] = scl_to_60m(array)
        elif layer in ("CLDPRB", "SNWPRB"):
            _write_probabilities(config, layout, 60, {layer: block_mean_uint8(array, 3)}, product)
        else:
            layers[layer] = downsample_mean(array, 3)
    _write_layers(config, layout, 60, layers, product)


def _write_quality(product: L1CProduct, config: L2A_Config, layout: L2ALayout, tmp_db: Database,
                   resolution: int) -> None:
    """L2A_QUALITY.xml and the metadata quality indicators from the first processed resolution."""
    ecmwf = product.aux_paths.get("AUX_ECMWFT")
    tco3 = read_grib(ecmwf)["tco3"].values if ecmwf is not None else None
    indicators = compute_indicators(
        tmp_db.get("OUT_SCL", resolution), aot_dn=tmp_db.get("OUT_AOT", resolution),
        wvp_dn=tmp_db.get("OUT_WVP", resolution), mean_sun_zenith_deg=product.tile.angles.mean_sun_zenith,
        retrieval=AerosolRetrieval(start_visibility_km=config.atmcorr.visibility_km), tco3_kg_m2=tco3,
        configured_ozone_du=config.atmcorr.ozone_content_du,
        degraded_msi_percent=product.tile.degraded_msi_data_percentage or 0.0,
        sc_only=config.run.sc_only, psd15=layout.psd_major == 15)
    write_quality(layout, indicators)


def _prefix(layout: L2ALayout) -> str:
    """Image file prefix ``T<tile>_<datatake start>``."""
    return f"T{layout.tile_id}_{layout.datatake_start:%Y%m%dT%H%M%S}"


def _image_format(config: L2A_Config) -> str:
    return "raw" if config.run.raw else "tif" if config.run.tif else "jp2"


__all__ = ["ResolutionPlan", "resolution_plan", "process_tile", "TileResults", "SCL", "write_pvi"]
