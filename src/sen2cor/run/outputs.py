"""Image outputs of a processed tile: IMG_DATA layers, QI_DATA probability masks, the preview, and the
60 m layers downsampled from 20 m (facts §5.3-§5.4). Region_Of_Interest windows are embedded into the full
tile grid (0 outside) only when each file is written (``roi`` of the writers).

The corrected layers reach the writers through the temporary database: :class:`OutputEncoder` (the
correction's sink) encodes and stores each one as soon as it is final, :class:`StoredLayers` reads them
back one at a time."""
from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from sen2cor.config import L2A_Config
from sen2cor.l1c import L1CProduct
from sen2cor.tables.lazy import LazyMapping
from sen2cor.product.layout import L2ALayout
from sen2cor.product.writer import boa_offset_for
from sen2cor.sceneclass import SCL
from sen2cor.sceneclass.grids import block_mean_uint8, scl_to_60m
from sen2cor.tables import radiometry
from sen2cor.tables.resample import downsample_mean
from sen2cor.tables.roi import Roi, embed
from sen2cor.tables.store import Database
from sen2cor.tables.writers import TciTiles, write_pvi, write_qi_masks, write_resolution

#: Rows per block when the corrected outputs are encoded to DN (a 10 m block: 256 x 10980 px).
ENCODE_ROWS = 256


def write_layers(config: L2A_Config, layout: L2ALayout, resolution: int, layers: Mapping[str, np.ndarray],
                  product: L1CProduct, roi: Roi | None) -> list[Path]:
    """IMG_DATA/R{res}m files of one resolution; ``layers`` may load each layer on access
    (:class:`StoredLayers`): the writers take one at a time (three for the TCI)."""
    options = config.run
    return write_resolution(layout.granule, image_prefix(layout), resolution, layers,
                            product.tile.geoposition[10], fmt=image_format(config), sc_cog=options.sc_cog,
                            tci=config.common.generate_tci_output,
                            add_offset=(boa_offset_for(product) or 0),
                            epsg=product.tile.epsg, roi=roi, nr_threads=config.common.nr_threads)


class StoredLayers(LazyMapping):
    """name -> output layer of one resolution (uint16 / uint8) read from the temporary database
    (``OUT_<name>``) on each access: the writers hold one layer at a time (three for the TCI)."""

    def __init__(self, database: Database, resolution: int, names: tuple[str, ...]) -> None:
        super().__init__(names, lambda name: database.get(f"OUT_{name}", resolution))


class OutputEncoder:
    """Sink of the atmospheric correction (``driver.OutputSink``): encodes each output as it arrives
    (BOA DN with the baseline's offset, AOT and WVP x 1000; 0 where the SCL is no data or saturated,
    facts B.14) and stores it as ``OUT_<name>`` in the temporary database. Encoded in blocks of
    :data:`ENCODE_ROWS` rows: the no-data mask and the float64 temporaries stay of block size."""

    def __init__(self, database: Database, resolution: int, scl: np.ndarray, boa_add_offset: int) -> None:
        self._db, self._resolution, self._scl, self._offset = database, resolution, scl, boa_add_offset
        self.names: list[str] = []

    def __call__(self, name: str, values: np.ndarray) -> None:
        node = self._db.create(f"OUT_{name}", self._resolution, values.shape, np.uint16)
        for start in range(0, values.shape[0], ENCODE_ROWS):   # straight into the database: no full DN copy
            rows = slice(start, start + ENCODE_ROWS)
            nodata = self._scl[rows] <= SCL.SATURATED_DEFECTIVE
            if name == "AOT":
                node[rows] = radiometry.encode_aot(values[rows], nodata)
            elif name == "WVP":
                node[rows] = radiometry.encode_wvp(values[rows], nodata)
            else:
                node[rows] = radiometry.reflectance_to_boa_dn(values[rows], nodata, add_offset=self._offset)
        self.names.append(name)


def write_preview(product: L1CProduct, config: L2A_Config, layout: L2ALayout, resolution: int,
                  layers: Mapping[str, np.ndarray], roi: Roi | None) -> None:
    """The 320 m preview (QI_DATA/T<tile>_<datatake>_PVI) from the true-colour bands (0 outside a ROI)."""
    offset = boa_offset_for(product) or 0
    if roi is None:   # scaled where the preview samples it: the full RGB image is never held
        tci = TciTiles(layers["B04"], layers["B03"], layers["B02"], offset)
    else:
        tci = embed(radiometry.tci_from_boa_dn(layers["B04"], layers["B03"], layers["B02"], add_offset=offset),
                    roi, resolution)
    written = write_pvi(layout.qi_dir, image_prefix(layout), tci, product.tile.geoposition[resolution],
                        fmt=image_format(config), epsg=product.tile.epsg)
    if written.suffix != ".jp2":   # the L1C preview of the same name, copied with the L1C QI_DATA, is replaced
        written.with_suffix(".jp2").unlink(missing_ok=True)


def write_probabilities(config: L2A_Config, layout: L2ALayout, resolution: int,
                         masks: dict[str, np.ndarray], product: L1CProduct, roi: Roi | None) -> None:
    write_qi_masks(layout.qi_dir, resolution, masks, product.tile.geoposition[resolution],
                   fmt=image_format(config), epsg=product.tile.epsg, roi=roi, nr_threads=config.common.nr_threads)


def write_stored_masks(config: L2A_Config, layout: L2ALayout, resolution: int, tmp_db: Database,
                       kinds: tuple[str, ...], product: L1CProduct, roi: Roi | None) -> None:
    """The QI masks among ``kinds`` (e.g. DDVPXL) that the run stored as ``OUT_<kind>``, written to QI_DATA."""
    stored = {name[4:] for name, _ in tmp_db.names(resolution)}
    masks = {kind: tmp_db.get(f"OUT_{kind}", resolution) for kind in kinds if kind in stored}
    if masks:
        write_probabilities(config, layout, resolution, masks, product, roi)


def downsample_to_60(product: L1CProduct, config: L2A_Config, layout: L2ALayout, tmp_db: Database,
                      roi: Roi | None) -> None:
    """60 m outputs from the 20 m ones (facts §5.3): 3x3 block mean (+0.5) for reflectance, AOT, WVP
    and the probability masks; 3x3 median then nearest for the SCL and the DDV map."""
    layers: dict[str, np.ndarray] = {}
    masks: dict[str, np.ndarray] = {}
    for name, _ in tmp_db.names(20):
        if not name.startswith("OUT_"):
            continue
        array = tmp_db.get(name, 20)
        layer = name[4:]
        if layer == "SCL":
            layers[layer] = scl_to_60m(array)
        elif layer == "DDVPXL":   # class codes: as the SCL (Sen2Cor 2.8 averaged them, docs/product_format.md)
            masks[layer] = scl_to_60m(array)
        elif layer in ("CLDPRB", "SNWPRB"):
            masks[layer] = block_mean_uint8(array, 3)
        else:
            layers[layer] = downsample_mean(array, 3)
    if masks:
        write_probabilities(config, layout, 60, masks, product, roi)
    write_layers(config, layout, 60, layers, product, roi)


def write_quicklook(layout: L2ALayout) -> Path:
    """The quicklook PNG beside the preview (:mod:`sen2cor.export.quicklook`), titled with the final
    product name (the tile folder name in PDGS mode)."""
    from sen2cor.export.quicklook import write_quicklook as write_png

    return write_png(layout.granule, title=getattr(layout, "name", None))


def image_prefix(layout: L2ALayout) -> str:
    """Image file prefix ``T<tile>_<datatake start>``."""
    return f"T{layout.tile_id}_{layout.datatake_start:%Y%m%dT%H%M%S}"


def image_format(config: L2A_Config) -> str:
    """'raw' (--raw), 'cog' (--cog, also with --tif: a COG is a GeoTIFF), 'tif' (--tif) or 'jp2'."""
    run = config.run
    return "raw" if run.raw else "cog" if run.cog else "tif" if run.tif else "jp2"
