"""STAC item of a PDGS L2A tile folder (``--mode process_tile --stac``), built with pystac and its extensions.

Why not ``stactools.sentinel2.stac.create_item`` as for compact products: it reads a compact SAFE product
(manifest.safe, MTD_MSIL2A.xml) or the AWS tile layout (metadata.xml, tileInfo.json, fixed ``R10m/B02.jp2``
names), and a PDGS tile folder is neither. The item is therefore assembled here from stactools-sentinel2's
own readers and asset builder (``GranuleMetadata`` of the tile's MTD_TL.xml, ``image_asset_from_href`` for
each image, so asset keys, ``eo:bands`` and ``raster:bands`` are those of the compact item) plus what only
the L2A datastrip metadata hold (orbit, BOA offsets). Differences from the compact item: the geometry is
the tile's image extent (PDGS tile metadata carry no data footprint) and there is no product-level asset.
Runs in the child process of :mod:`sen2cor.export.stac` (imports stactools, rasterio).
"""
from __future__ import annotations

import logging
import re
from pathlib import Path

from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.errors import ProductReadError

log = logging.getLogger(__name__)

#: Image files of a tile folder that become assets, as in the compact item: IMG_DATA and the preview.
IMAGE_SUFFIXES = (".jp2", ".tif")
PVI_RESOLUTION_M = 320


def _datastrip_values(datastrip_dir: Path) -> dict:
    """Relative orbit, orbit direction and BOA_ADD_OFFSET per band of the L2A datastrip metadata."""
    found = sorted(Path(datastrip_dir).glob("*MTD*DS*.xml")) + sorted(Path(datastrip_dir).glob("MTD_DS.xml"))
    if not found:
        raise ProductReadError(f"no datastrip metadata (MTD_DS.xml) in {datastrip_dir}")
    root = etree.parse(str(found[0])).getroot()
    values: dict = {"boa_add_offsets": {}}
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        name = etree.QName(element).localname
        if name == "SENSING_ORBIT_NUMBER":
            values["relative_orbit"] = int(element.text)
        elif name == "SENSING_ORBIT_DIRECTION":
            values["orbit_state"] = element.text.strip().lower()
        elif name == "BOA_ADD_OFFSET" and element.get("band_id") is not None:
            values["boa_add_offsets"][BAND_IDS[int(element.get("band_id"))]] = int(element.text)
    return values


def _footprint(epsg: int, proj_bbox: list[float]) -> dict:
    """Lon/lat polygon of the tile's image extent (corners and edge points every 10 km)."""
    from pyproj import Transformer

    xmin, ymin, xmax, ymax = proj_bbox
    steps = 11
    ring = ([(xmin + (xmax - xmin) * i / steps, ymax) for i in range(steps)]
            + [(xmax, ymax - (ymax - ymin) * i / steps) for i in range(steps)]
            + [(xmax - (xmax - xmin) * i / steps, ymin) for i in range(steps)]
            + [(xmin, ymin + (ymax - ymin) * i / steps) for i in range(steps)])
    to_lonlat = Transformer.from_crs(epsg, 4326, always_xy=True)
    points = [tuple(round(v, 7) for v in to_lonlat.transform(x, y)) for x, y in ring]
    return {"type": "Polygon", "coordinates": [points + [points[0]]]}


def build_tile_item(tile_dir: Path, datastrip_dir: Path, item_id: str | None = None):
    """pystac.Item of the PDGS L2A tile folder ``tile_dir`` (hrefs absolute; the caller makes them relative),
    identified as ``item_id`` (default: the folder name; the final name while it is written elsewhere)."""
    import pystac
    from pystac.extensions.eo import EOExtension
    from pystac.extensions.grid import GridExtension
    from pystac.extensions.mgrs import MgrsExtension
    from pystac.extensions.projection import ProjectionExtension
    from pystac.extensions.raster import RasterExtension
    from pystac.extensions.sat import OrbitState, SatExtension
    from pystac.extensions.view import ViewExtension
    from stactools.sentinel2.constants import SENTINEL2_EXTENSION_SCHEMA
    from stactools.sentinel2.granule_metadata import GranuleMetadata
    from stactools.sentinel2.stac import image_asset_from_href, set_asset_properties

    tile_dir = Path(tile_dir)
    mtd = sorted(tile_dir.glob("MTD_TL.xml")) or sorted(tile_dir.glob("*MTD*TL*.xml"))
    if not mtd:
        raise ProductReadError(f"no tile metadata (MTD_TL.xml) in {tile_dir}")
    granule = GranuleMetadata(str(mtd[0]))
    datastrip = _datastrip_values(datastrip_dir)
    sensing = next(e.text for e in etree.parse(str(mtd[0])).getroot().iter("SENSING_TIME", "{*}SENSING_TIME"))
    item = pystac.Item(id=item_id or tile_dir.name, geometry=_footprint(granule.epsg, granule.proj_bbox), bbox=None,
                       datetime=pystac.utils.str_to_datetime(sensing), properties={})
    coordinates = item.geometry["coordinates"][0]
    item.bbox = [min(c[0] for c in coordinates), min(c[1] for c in coordinates),
                 max(c[0] for c in coordinates), max(c[1] for c in coordinates)]
    item.common_metadata.platform = granule.platform
    item.common_metadata.constellation = "sentinel-2"
    item.common_metadata.instruments = ["msi"]
    eo = EOExtension.ext(item, add_if_missing=True)
    eo.cloud_cover = granule.cloudiness_percentage
    eo.snow_cover = granule.snow_ice_percentage
    RasterExtension.add_to(item)
    ProjectionExtension.ext(item, add_if_missing=True).epsg = granule.epsg
    if "relative_orbit" in datastrip:
        sat = SatExtension.ext(item, add_if_missing=True)
        sat.relative_orbit = datastrip["relative_orbit"]
        sat.orbit_state = OrbitState(datastrip["orbit_state"]) if "orbit_state" in datastrip else None
    view = ViewExtension.ext(item, add_if_missing=True)
    angles = list(granule.viewing_angles.values())
    view.azimuth = sum(a.azimuth for a in angles) / len(angles)
    view.incidence_angle = sum(a.zenith for a in angles) / len(angles)
    view.sun_azimuth = granule.mean_solar_azimuth
    view.sun_elevation = 90.0 - granule.mean_solar_zenith
    tile = re.search(r"_T(\d{2})([C-X])([A-Z]{2})(_|$)", item.id)
    if tile:
        mgrs = MgrsExtension.ext(item, add_if_missing=True)
        mgrs.utm_zone, mgrs.latitude_band, mgrs.grid_square = int(tile[1]), tile[2], tile[3]
        GridExtension.ext(item, add_if_missing=True).code = f"MGRS-{tile[1]}{tile[2]}{tile[3]}"
    item.stac_extensions.append(SENTINEL2_EXTENSION_SCHEMA)
    item.properties.update(granule.metadata_dict)
    item.properties.update({"s2:processing_baseline": granule.processing_baseline, "s2:product_type": "S2MSI2A"})
    for path in sorted(p for p in tile_dir.glob("IMG_DATA/R*m/*") if p.suffix in IMAGE_SUFFIXES):
        key, asset = image_asset_from_href(item=item, asset_href=str(path),
                                           resolution_to_shape=granule.resolution_to_shape,
                                           proj_bbox=granule.proj_bbox, media_type=None,
                                           processing_baseline=granule.processing_baseline,
                                           boa_add_offsets=datastrip["boa_add_offsets"] or None)
        item.add_asset(key, asset)
    for path in sorted(p for p in tile_dir.glob("QI_DATA/*_PVI.*") if p.suffix in IMAGE_SUFFIXES):
        preview = pystac.Asset(href=str(path), media_type=pystac.MediaType.GEOTIFF if path.suffix == ".tif"
                               else pystac.MediaType.JPEG2000, title="True color preview", roles=["overview"])
        set_asset_properties(preview, PVI_RESOLUTION_M, granule.resolution_to_shape[PVI_RESOLUTION_M],
                             granule.proj_bbox, PVI_RESOLUTION_M)
        item.add_asset("preview", preview)
    key, asset = granule.create_asset()
    item.add_asset(key, asset)
    return item
