"""Auxiliary data of a generated product, derived from its truth: SRTM geocells of the terrain (for
DEM_Directory) and the ESA-CCI maps of Sen2Cor's aux_data/ (manual §3.1.2) matching its covers.

    from sen2cor.testing.auxdata import write_auxiliary_data
    aux = write_auxiliary_data(safe, out_dir)        # out_dir/dem, out_dir/aux_data
    # L2A_GIPP DEM_Directory = aux.dem_dir; the maps are found in $SEN2COR_HOME/aux_data or via
    # absolute References in L2A_CAL_SC_GIPP (aux.references_xml)

The CCI maps are written as Sen2Cor's files (names, EPSG:4326 GeoTIFFs, uint8) at the real products'
pixel sizes, by majority ("mode") resampling of the 20 m truth covers, so small patches blur as in the
real 300 m / 150 m / 500 m maps; the snow occurrence takes the largest value in each 500 m cell (a cell
with some snow is not snow-free), water the majority. They come from the truth, so they agree with the
scene better than real CCI maps (2015 land cover, 2000-2012 snow) agree with a real one: measurements with
them are an upper bound.

* land cover (LCCS): dense vegetation 60 (tree cover), sparse vegetation 130 (grassland), bare soil 200,
  urban 190, water 210, snow 220 (permanent snow and ice);
* water bodies: 2 on truth water, 1 elsewhere;
* monthly snow condition (all 12 months alike): ``snow_percent`` on truth snow, 0 % on other land
  (snow-free), 254 on water.
Cells beyond the truth grid are no data (LCCS 0, WB 0, snow 255).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from osgeo import gdal

from sen2cor.dem import grid_from_product
from sen2cor.dem.esacci import LANDCOVER_MAP, SNOWCONDITION_DIR, WATERBODIES_MAP
from sen2cor.dem.grid import TileGrid
from sen2cor.dem.sources import DemFormat
from sen2cor.dem.synthetic import elevation_from_array, write_geocells_for_grid
from sen2cor.testing.spectra import COVERS
from sen2cor.testing.truth import read_truth

log = logging.getLogger(__name__)

gdal.UseExceptions()

#: LCCS class per truth cover.
LCCS_OF_COVER = {"dense_vegetation": 60, "sparse_vegetation": 130, "bare_soil": 200, "urban": 190,
                 "water": 210, "snow": 220}
#: Pixel sizes (deg) of the real maps: LCCS 300 m, water bodies 150 m, snow condition 500 m.
LANDCOVER_STEP_DEG = 1 / 360
WATERBODIES_STEP_DEG = 1 / 720
SNOWCONDITION_STEP_DEG = 1 / 240
#: Margin (deg) of the maps around the tile footprint.
MARGIN_DEG = 0.02


@dataclass(frozen=True)
class AuxiliaryData:
    """Where the auxiliary data of one product were written."""

    dem_dir: Path
    aux_dir: Path

    def references(self) -> dict[str, str]:
        """Absolute References values of L2A_CAL_SC_GIPP for these maps (element name -> path)."""
        return {"ESACCI_WaterBodies_Map": str(self.aux_dir / WATERBODIES_MAP),
                "ESACCI_LandCover_Map": str(self.aux_dir / LANDCOVER_MAP),
                "ESACCI_SnowCondition_Map_Dir": str(self.aux_dir / SNOWCONDITION_DIR)}


def esacci_layers(cover: np.ndarray, snow_percent: int = 80) -> dict[str, np.ndarray]:
    """LCCS land cover, water bodies and snow condition (uint8, on the truth grid) from truth covers."""
    lut = np.array([LCCS_OF_COVER[c] for c in COVERS], np.uint8)
    water = cover == COVERS.index("water")
    snow = np.where(cover == COVERS.index("snow"), np.uint8(snow_percent), np.uint8(0))
    snow[water] = 254
    return {"land_cover": lut[cover], "water_bodies": np.where(water, 2, 1).astype(np.uint8),
            "snow_condition": snow}


def lonlat_map(values: np.ndarray, grid: TileGrid, step_deg: float, nodata: int,
               resampling: str = "mode") -> gdal.Dataset:
    """Class map on ``grid`` -> in-memory EPSG:4326 raster of ``step_deg`` pixels (majority by default)."""
    source = gdal.GetDriverByName("MEM").Create("", values.shape[1], values.shape[0], 1, gdal.GDT_Byte)
    source.SetGeoTransform(grid.geotransform)
    source.SetProjection(grid.spatial_reference().ExportToWkt())
    band = source.GetRasterBand(1)
    band.WriteArray(values)
    lon0, lat0, lon1, lat1 = grid.footprint_lonlat(MARGIN_DEG)
    bounds = (np.floor(lon0 / step_deg) * step_deg, np.floor(lat0 / step_deg) * step_deg,
              np.ceil(lon1 / step_deg) * step_deg, np.ceil(lat1 / step_deg) * step_deg)
    return gdal.Warp("", source, format="MEM", dstSRS="EPSG:4326", outputBounds=bounds, xRes=step_deg,
                     yRes=step_deg, resampleAlg=resampling, dstNodata=nodata, outputType=gdal.GDT_Byte)


def _write(path: Path, dataset: gdal.Dataset) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    gdal.GetDriverByName("GTiff").CreateCopy(str(path), dataset, options=["COMPRESS=DEFLATE"])
    return path


def write_esacci_maps(aux_dir: Path, cover: np.ndarray, grid: TileGrid, snow_percent: int = 80) -> Path:
    """The three ESA-CCI maps of Sen2Cor's aux_data/ for truth ``cover`` on ``grid``; returns ``aux_dir``."""
    layers = esacci_layers(cover, snow_percent)
    _write(aux_dir / LANDCOVER_MAP, lonlat_map(layers["land_cover"], grid, LANDCOVER_STEP_DEG, 0))
    _write(aux_dir / WATERBODIES_MAP, lonlat_map(layers["water_bodies"], grid, WATERBODIES_STEP_DEG, 0))
    snow = layers["snow_condition"]
    occurrence = lonlat_map(np.where(snow == 254, 0, snow).astype(np.uint8), grid, SNOWCONDITION_STEP_DEG, 255,
                            "max")
    water = lonlat_map((snow == 254).astype(np.uint8), grid, SNOWCONDITION_STEP_DEG, 255).ReadAsArray()
    values = occurrence.ReadAsArray()
    values[water == 1] = 254
    occurrence.GetRasterBand(1).WriteArray(values)
    for month in range(1, 13):
        _write(aux_dir / SNOWCONDITION_DIR / _month_name(month), occurrence)
    return aux_dir


def _month_name(month: int) -> str:
    return f"ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-{month:02d}-v2.4.tif"


def _truth_and_grid(safe: Path) -> tuple[dict, TileGrid]:
    from sen2cor.l1c import read_l1c_product

    scene = read_truth(safe.parent / f"{safe.stem}_truth.h5")["scene"]
    return scene, grid_from_product(read_l1c_product(safe), 20)


def write_dem_geocells(safe: Path, dem_dir: Path, *, samples_per_degree: int = 120) -> list[Path]:
    """SRTM 5x5 geocells of the truth terrain of the generated product ``safe`` in ``dem_dir``."""
    scene, grid20 = _truth_and_grid(Path(safe))
    return write_geocells_for_grid(DemFormat.SRTM, Path(dem_dir), grid20,
                                   elevation_from_array(grid20, scene["dem_m"]), samples_per_degree=samples_per_degree)


def write_auxiliary_data(safe: Path, out_dir: Path, *, samples_per_degree: int = 120,
                         snow_percent: int = 80) -> AuxiliaryData:
    """SRTM geocells of the truth terrain in ``out_dir/dem`` and ESA-CCI maps in ``out_dir/aux_data`` for the
    generated product ``safe`` (its ``<name>_truth.h5`` must exist)."""
    safe, out_dir = Path(safe), Path(out_dir)
    dem_dir = out_dir / "dem"
    write_dem_geocells(safe, dem_dir, samples_per_degree=samples_per_degree)
    scene, grid20 = _truth_and_grid(safe)
    aux_dir = write_esacci_maps(out_dir / "aux_data", scene["cover"], grid20, snow_percent)
    log.info("auxiliary data of %s: DEM geocells in %s, ESA-CCI maps in %s", safe.name, dem_dir, aux_dir)
    return AuxiliaryData(dem_dir, aux_dir)


__all__ = ["AuxiliaryData", "LCCS_OF_COVER", "esacci_layers", "lonlat_map", "write_auxiliary_data",
           "write_dem_geocells", "write_esacci_maps"]
