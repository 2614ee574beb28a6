"""What the scene classification of a tile reads besides the TOA bands, on the classification grid:
geometry, no-data and saturation, the DEM layers, the L1C quality masks (Handle_L1C_QLT_Mask) and the
auxiliary maps (ESA-CCI land cover, water bodies and monthly snow condition, GlobalSnowMap).

Sen2Cor uses the ESA-CCI maps only with a DEM (manual §3.1.2); the snow-condition map of the sensing
month serves both algorithms: the classic one applies its water rule (facts A.3 step 2), the evolution
reads it as the ESA-CCI derived monthly snow climatology (manual §2.2.2). The GlobalSnowMap test runs
with or without a DEM. Which maps were used goes to the product metadata (Auxiliary_Data_Info).
"""
from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from sen2cor.bands import NATIVE_RESOLUTION_M
from sen2cor.config import L2A_Config
from sen2cor.dem.esacci import (
    EsaCciMaps, aux_search_dirs, locate_aux_maps, metadata_values, read_esacci_maps, scene_could_have_snow,
)
from sen2cor.dem.grid import TileGrid
from sen2cor.dem.prepare import DemProducts
from sen2cor.l1c.qi import defective_pixels
from sen2cor.sceneclass import SceneAux
from sen2cor.tables.resample import resample_mask
from sen2cor.tables.roi import Roi
from sen2cor.tables.staging import PROCESSING_BANDS

log = logging.getLogger(__name__)

#: Name of the combined L1C quality layer handed to the classification (all bands OR-ed).
L1C_QUALITY_LAYER = "MSK_QUALIT"


@dataclass(frozen=True)
class ClassificationInputs:
    """The SceneAux of one classification and the Auxiliary_Data_Info values of the maps it used."""

    aux: SceneAux
    metadata: dict[str, str]


def classification_inputs(product, config: L2A_Config, grid: TileGrid, roi: Roi | None, *, nodata: np.ndarray,
                          saturated: np.ndarray, dem: DemProducts | None) -> ClassificationInputs:
    """SceneAux for the classification on ``grid`` (the tile or its ROI window at 20 or 60 m)."""
    resolution = int(round(grid.pixel_size_m))
    angles = product.tile.angles
    files = locate_aux_maps(config.sc.references, aux_search_dirs(config.home))
    sensing: datetime = product.sensing_start
    maps = read_esacci_maps(files, grid, sensing, dem_available=dem is not None)
    could_have_snow = scene_could_have_snow(files.snow_map, grid.footprint_lonlat())
    quality = None
    if config.common.handle_l1c_qlt_mask:
        quality = l1c_defective_pixels(product, resolution, roi, nodata.shape, config.common.nr_threads)
    aux = SceneAux(
        resolution_m=float(resolution), sun_zenith_deg=angles.mean_sun_zenith,
        sun_azimuth_deg=angles.mean_sun_azimuth, nodata=nodata, saturated=saturated,
        quality_masks=None if quality is None else {L1C_QUALITY_LAYER: quality},
        handle_l1c_qlt_mask=quality is not None,
        dem_m=None if dem is None else dem.elevation_m,
        # the DEM layers' hillshade is the classification's SDW (gdaldem scale, 1 = self-shadow)
        sdw=None if dem is None else dem.terrain.hillshade,
        slope_deg=None if dem is None else dem.terrain.slope_deg)
    aux = with_aux_maps(aux, maps, could_have_snow)
    used_snow_map = files.snow_map if could_have_snow is not None else None
    return ClassificationInputs(aux, metadata_values(maps, used_snow_map, files.snow_condition_dir))


def with_aux_maps(aux: SceneAux, maps: EsaCciMaps, could_have_snow: bool | None = None) -> SceneAux:
    """``aux`` with the ESA-CCI layers and the GlobalSnowMap verdict (None = no map: snow tests run).

    The monthly snow-condition map is both inputs Sen2Cor's algorithms read: the classic one's CCI water rule
    (``snow_condition``) and the evolution's monthly snow climatology (``snow_climatology_percent``).
    """
    return dataclasses.replace(aux, water_bodies=maps.water_bodies, land_cover=maps.land_cover,
                               snow_condition=maps.snow_condition, snow_climatology_percent=maps.snow_condition,
                               could_have_snow=could_have_snow is not False)


def l1c_defective_pixels(product, resolution: int, roi: Roi | None, shape: tuple[int, int],
                         nr_threads: int = 1) -> np.ndarray | None:
    """Handle_L1C_QLT_Mask: pixels any band's L1C quality mask flags defective or saturated, on the grid of
    ``resolution`` (a coarse pixel is flagged when any fine pixel under it is). None without masks."""
    qi = getattr(product, "qi", None)
    if qi is None:
        log.warning("Handle_L1C_QLT_Mask is TRUE but the quality masks of this input are not read "
                    "(PDGS tile folder); class 1 comes from saturated DN only")
        return None
    out = np.zeros(shape, bool)
    bands = []
    for band in PROCESSING_BANDS[resolution]:
        native = NATIVE_RESOLUTION_M[band]
        mask = defective_pixels(qi, band, product.tile.geoposition[native], product.tile.epsg,
                                window=None if roi is None else roi.area(native), nr_threads=nr_threads)
        if mask is None:
            continue
        out |= resample_mask(mask, native, resolution)
        bands.append(band)
    if not bands:
        log.warning("Handle_L1C_QLT_Mask is TRUE but %s lists no quality masks; class 1 comes from saturated "
                    "DN only", product.tile_mtd_path)
        return None
    log.info("Handle_L1C_QLT_Mask: %d pixels at %d m flagged defective or saturated by the L1C quality masks "
             "of %d bands (%s)", int(out.sum()), resolution, len(bands), qi.mask_format)
    return out


__all__ = ["ClassificationInputs", "L1C_QUALITY_LAYER", "classification_inputs", "l1c_defective_pixels",
           "with_aux_maps"]
