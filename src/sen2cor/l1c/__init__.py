"""Level-1C compact SAFE reader (Sentinel-2A/B/C, PSD 14.2-15.1, processing baselines up to 05.xx).

>>> from sen2cor.l1c import read_l1c_product
>>> safe = "S2A_MSIL1C_20240101T102431_N0510_R065_T30NWM_20240101T122107.SAFE"
>>> product = read_l1c_product(safe)  # doctest: +SKIP
>>> product.radiometry.add_offset["B04"], product.band_path("B8A")  # doctest: +SKIP

Module map: ``product`` (layout, paths, :class:`L1CProduct`), ``mtd`` (MTD_MSIL1C.xml), ``tile`` (MTD_TL.xml,
angle grids), ``datastrip`` (MTD_DS.xml), ``qi`` (QI_DATA), ``grib`` (AUX_DATA GRIB), ``versions``
(every baseline/PSD quirk). See docs/l1c_reader.md.
"""

from sen2cor.l1c.datastrip import DatastripMetadata
from sen2cor.l1c.grib import GribField, read_cams, read_grib
from sen2cor.l1c.mtd import GranuleRef, ProductInfo, Radiometry, SpectralResponse
from sen2cor.l1c.product import L1CProduct, read_l1c_product
from sen2cor.l1c.qi import QualityCheck, QualityInfo
from sen2cor.l1c.tile import (
    AngleGrids,
    GeoPosition,
    MaskFile,
    TileMetadata,
    merge_detectors,
    read_tile_metadata,
)

__all__ = [
    "AngleGrids",
    "DatastripMetadata",
    "GeoPosition",
    "GranuleRef",
    "GribField",
    "L1CProduct",
    "MaskFile",
    "ProductInfo",
    "QualityCheck",
    "QualityInfo",
    "Radiometry",
    "SpectralResponse",
    "TileMetadata",
    "merge_detectors",
    "read_cams",
    "read_grib",
    "read_l1c_product",
    "read_tile_metadata",
]
