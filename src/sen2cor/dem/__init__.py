"""Digital elevation models: geocell selection, download, mosaic/warp, terrain layers (manual §2.2.8).

Main entry points::

    settings = DemSettings(directory=resolve_dem_directory(dem_dir, home), reference=dem_ref, ...)
    cells = obtain_geocells(settings, grid20.footprint_lonlat())        # once per tile
    products = prepare_dem(settings, cells, grid20, sza_mean, saa_mean)  # per resolution
"""

from sen2cor.dem.grid import TileGrid
from sen2cor.dem.prepare import (
    DemCells,
    DemProducts,
    DemSettings,
    dem_for_tile,
    dem_quality_indicators,
    flat_products,
    grid_from_product,
    obtain_geocells,
    prepare_dem,
    resolve_dem_directory,
    settings_from_config,
    store_terrain,
    terrain_correction_enabled,
)
from sen2cor.dem.sources import DemFormat, Geocell, detect_format, select_geocells
from sen2cor.dem.terrain import ASPECT_FLAT, TerrainLayers, illumination_cos

__all__ = [
    "ASPECT_FLAT",
    "DemCells",
    "DemFormat",
    "DemProducts",
    "DemSettings",
    "Geocell",
    "TerrainLayers",
    "TileGrid",
    "dem_for_tile",
    "dem_quality_indicators",
    "detect_format",
    "flat_products",
    "grid_from_product",
    "illumination_cos",
    "obtain_geocells",
    "prepare_dem",
    "resolve_dem_directory",
    "select_geocells",
    "settings_from_config",
    "store_terrain",
    "terrain_correction_enabled",
]
