"""The image processing of ``--mode process_tile``: PDGS inputs through Sen2Cor's L2A_ProcessTile.

:func:`process_tile_images` is the ``tile_processor`` of :func:`sen2cor.pdgs.process_tile`: it adapts the
L1C tile folder and the L2A datastrip to ``sen2cor.run.tile.process_tile`` (same resolution plan,
stages and writers as a Toolbox run) and lets it write the temporary L2A tile folder::

    from sen2cor.pdgs import process_tile
    from sen2cor.pdgs.processor import process_tile_images
    result = process_tile(options, config, process_tile_images)
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from sen2cor.run.input_checks import check_band_files
from sen2cor.l1c import TileMetadata, xmlpath
from sen2cor.pdgs import folders
from sen2cor.pdgs.folders import L2A_DATASTRIP
from sen2cor.pdgs.inputs import (
    RADIOMETRIC_INFO,
    PdgsTileInput,
    PdgsTileLayout,
    l1c_tile_baseline,
    read_datastrip_radiometry,
    tile_aux_paths,
    tile_band_files,
)
from sen2cor.pdgs.tile import TileJob
from sen2cor.tables import radiometry as dn_codecs
from sen2cor.run.tile import process_tile

log = logging.getLogger(__name__)


def tile_input(job: TileJob) -> PdgsTileInput:
    """The L1C tile of ``job`` with its radiometry from the L2A datastrip; band files checked.

    Raises
    ------
    ProductReadError
        Band file missing, truncated, undecodable or of the wrong size; datastrip radiometry missing.
    """
    ds_mtd = folders.metadata_file(job.l2a_datastrip_dir, L2A_DATASTRIP)
    ds_root = folders.read_metadata(ds_mtd, L2A_DATASTRIP)
    l1c_baseline = l1c_tile_baseline(job.l1c_tile, job.l1c_tile_dir, job.l1c_tile_mtd)
    radiometry, spectral = read_datastrip_radiometry(ds_root, ds_mtd, l1c_baseline)
    _check_boa_offset(ds_root, ds_mtd, job.baseline)
    product = PdgsTileInput(
        path=job.l1c_tile_dir, name=job.name, tile_mtd_path=job.l1c_tile_mtd, spacecraft=job.spacecraft,
        processing_baseline=job.baseline, l1c_baseline=l1c_baseline, sensing_start=job.datatake_start,
        tile_id=job.tile_id, absolute_orbit=job.absolute_orbit, radiometry=radiometry,
        spectral_responses=spectral, tile=job.l1c_tile,
        aux_paths=xmlpath.FrozenDict(tile_aux_paths(job.l1c_tile_dir)),
        band_files=xmlpath.FrozenDict(tile_band_files(job.l1c_tile_dir)),
    )
    check_band_files(product, manifest="off")
    return product


def tile_layout(job: TileJob, l2a_tile_dir: Path) -> PdgsTileLayout:
    """Where the tile processing writes: the (temporary) PDGS tile folder, image names of ``job``."""
    return PdgsTileLayout(root=Path(l2a_tile_dir), tile_id=job.tile_id, datatake_start=job.datatake_start,
                          psd_major=job.psd_major, extension=job.extension)


def process_tile_images(l1c_tile: TileMetadata, l2a_tile_dir: Path, job: TileJob) -> None:
    """``tile_processor`` of process_tile: IMG_DATA/R10m|R20m|R60m, QI_DATA masks, PVI, L2A_QUALITY.xml.

    The resolutions follow --resolution / --sc_only as in a Toolbox run; the image and temporary databases
    go to --img_database_dir / --res_database_dir (default --work_dir) and are removed afterwards.
    """
    product = tile_input(job)
    run = dataclasses.replace(job.options, work_dir=job.work_dir, img_database_dir=job.img_database_dir,
                              res_database_dir=job.res_database_dir)
    config = dataclasses.replace(job.config, run=run)
    log.info("L1C tile %s (baseline %s) -> L2A tile %s", job.l1c_tile_dir.name, product.l1c_baseline,
             job.name)
    process_tile(product, config, tile_layout(job, l2a_tile_dir))


def _check_boa_offset(ds_root, ds_mtd: Path, baseline: str) -> None:
    """Warn when the BOA_ADD_OFFSET stated by the L2A datastrip differs from the one the images get."""
    path = f"{RADIOMETRIC_INFO}/BOA_ADD_OFFSET_VALUES_LIST/BOA_ADD_OFFSET"
    texts = {(e.text or "").strip() for e in xmlpath.find_all(ds_root, path)}
    written = dn_codecs.boa_add_offset(baseline)
    if texts and texts != {str(written)}:
        log.warning("%s: BOA_ADD_OFFSET %s differs from %d DN used for the images of baseline %s",
                    ds_mtd, ", ".join(sorted(texts)), written, baseline)
