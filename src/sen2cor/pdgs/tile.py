"""``--mode process_tile``: L2A datastrip + L1C tile -> L2A tile folder (manual §3.3.1, config facts §7.2).

Output: ``<output_dir>/S2A_OPER_MSI_L2A_TL_<centre>_<DS creation>_A<orbit>_T<tile>_N<baseline>/`` with
MTD_TL.xml (converted from the L1C tile), IMG_DATA/R10m|R20m|R60m, QI_DATA (L1C reports and masks) and
AUX_DATA (L1C GRIB).  Centre, creation time and baseline come from the L2A datastrip, so every tile of a
datastrip gets consistent names.  An existing output tile means "already processed" (exit 0).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from sen2cor.config import RunOptions
from sen2cor.errors import ConfigError, ProductError, ProductReadError
from sen2cor.export import stac
from sen2cor.l1c import TileMetadata, read_tile_metadata
from sen2cor.l1c.xmlpath import as_utc
from sen2cor.product import naming
from sen2cor.product.layout import LAYERS, L2ALayout
from sen2cor.product.metadata import MetadataContext, read_xml, write_xml
from sen2cor.product.mtd_tile import build_tile_metadata, set_probability_masks
from sen2cor.product.writer import present_masks
from sen2cor.pdgs import folders
from sen2cor.pdgs.folders import L1C_TILE, L2A_DATASTRIP

log = logging.getLogger(__name__)

METADATA_NAME = "MTD_TL.xml"
RESOLUTIONS_M = (10, 20, 60)
_GI = "General_Info"

#: ``tile_processor(l1c_tile, l2a_tile_dir, job)``: fills the images of the temporary L2A tile folder.
TileProcessor = Callable[[TileMetadata, Path, "TileJob"], None]


@dataclass(frozen=True)
class TileJob:
    """One process_tile run: inputs, names and the (temporary) L2A tile folder being written.

    ``l2a_tile_dir`` is the temporary folder while the tile processor runs (the final folder in the
    result of :func:`plan_tile`); ``granule_name`` is the compact granule name used in metadata paths.
    """

    options: RunOptions
    config: Any
    l1c_tile_dir: Path
    l1c_tile_mtd: Path
    l1c_tile: TileMetadata
    l2a_datastrip_dir: Path
    output_dir: Path
    l2a_tile_dir: Path
    name: str
    granule_name: str
    spacecraft: str
    tile_id: str
    absolute_orbit: int
    processing_centre: str
    datastrip_creation: datetime
    datastrip_start: datetime
    datatake_start: datetime
    baseline: str
    psd_major: int
    extension: str
    work_dir: Path
    img_database_dir: Path
    res_database_dir: Path

    @property
    def final_dir(self) -> Path:
        return self.output_dir / self.name

    @property
    def mtd_tl(self) -> Path:
        return self.l2a_tile_dir / METADATA_NAME

    @property
    def qi_dir(self) -> Path:
        return self.l2a_tile_dir / "QI_DATA"

    @property
    def aux_dir(self) -> Path:
        return self.l2a_tile_dir / "AUX_DATA"

    @property
    def l2a_quality(self) -> Path:
        return self.qi_dir / "L2A_QUALITY.xml"

    @property
    def pvi(self) -> Path:
        return self.qi_dir / (naming.pvi_stem(self.tile_id, self.datatake_start) + self.extension)

    def img_dir(self, resolution_m: int) -> Path:
        """``IMG_DATA/R10m`` etc."""
        return self.l2a_tile_dir / "IMG_DATA" / f"R{resolution_m}m"

    def image_path(self, layer: str, resolution_m: int) -> Path:
        """``IMG_DATA/R20m/T29UNU_20221005T115411_SCL_20m.jp2`` (layers of ``sen2cor.product.LAYERS``)."""
        if layer not in LAYERS.get(resolution_m, ()):
            raise ValueError(f"layer {layer!r} is not written at {resolution_m} m; expected one of "
                             f"{LAYERS.get(resolution_m, ())}")
        return self.img_dir(resolution_m) / (
            naming.image_stem(self.tile_id, self.datatake_start, layer, resolution_m) + self.extension)

    def probability_mask(self, kind: str, resolution_m: int) -> Path:
        """``QI_DATA/MSK_CLDPRB_20m.jp2`` / ``MSK_SNWPRB_60m.jp2``."""
        return self.qi_dir / f"{kind}_{resolution_m}m{self.extension}"

    def report_path(self, now: datetime) -> Path:
        """Sen2Cor's run report in PDGS mode: ``<work_dir>/<L2A tile id>_<UTC>_report.xml``."""
        return self.work_dir / f"{self.name}_{naming.compact_time(now)}_report.xml"


@dataclass(frozen=True)
class TileResult:
    """Outcome of process_tile: the L2A tile folder and whether it existed already (exit code 0 both)."""

    path: Path
    already_processed: bool


def plan_tile(options: RunOptions, config: Any = None) -> TileJob:
    """Check the options, the L2A datastrip and the L1C tile, and decide the output (nothing is written).

    Raises
    ------
    ProductError / ProductReadError
        Folder names not matching ``S2?_OPER_MSI_L2A_DS*``/``DS_*`` and ``S2?_OPER_MSI_L1C_TL*``/``L1C_T*``,
        metadata missing or malformed, an L1C datastrip given instead of the L2A one, spacecraft mismatch.
    """
    if options.output_dir is None:
        raise ConfigError("--output_dir is required with --mode process_tile")
    ds_dir = folders.check_folder(options.datastrip, L2A_DATASTRIP, "--datastrip")
    ds_mtd = folders.metadata_file(ds_dir, L2A_DATASTRIP)
    ds_root = folders.read_metadata(ds_mtd, L2A_DATASTRIP)
    tile_dir = folders.check_folder(options.tile, L1C_TILE, "--tile")
    tile_mtd = folders.metadata_file(tile_dir, L1C_TILE)
    folders.read_metadata(tile_mtd, L1C_TILE)
    l1c_tile = read_tile_metadata(tile_mtd)
    fields = _datastrip_fields(ds_dir, ds_root, ds_mtd)
    baseline = naming.check_baseline(folders.required_text(ds_root, ds_mtd, _GI, "Processing_Info",
                                                           "PROCESSING_BASELINE"))
    if options.processing_baseline and options.processing_baseline != baseline:
        log.warning("--processing_baseline %s ignored: the tile takes the baseline %s of the L2A "
                    "datastrip %s",
                    options.processing_baseline, baseline, ds_dir.name)
    tile_id, orbit = folders.tile_and_orbit(tile_dir.name, l1c_tile.tile_identifier, tile_mtd)
    tile_sc = l1c_tile.tile_identifier[:3] if l1c_tile.tile_identifier.startswith("S2") else fields["sc"]
    if tile_sc != fields["sc"]:
        raise ProductError(f"--tile {tile_dir.name} ({tile_sc}) does not belong to --datastrip {ds_dir.name} "
                           f"({fields['sc']}); expected the same spacecraft")
    creation = naming.parse_compact_time(fields["created"])
    ds_start = naming.parse_compact_time(fields["start"])
    datatake_text = folders.text_of(ds_root, _GI, "Datatake_Info", "DATATAKE_SENSING_START")
    datatake = as_utc(datatake_text, ds_mtd, "Datatake_Info/DATATAKE_SENSING_START") if datatake_text \
        else l1c_tile.sensing_time
    name = naming.tile_identifier(fields["sc"], fields["centre"], creation, orbit, tile_id, baseline)
    output_dir = Path(options.output_dir).absolute()
    work_dir = Path(options.work_dir).absolute() if options.work_dir else output_dir
    return TileJob(
        options=options, config=config, l1c_tile_dir=tile_dir, l1c_tile_mtd=tile_mtd, l1c_tile=l1c_tile,
        l2a_datastrip_dir=ds_dir, output_dir=output_dir, l2a_tile_dir=output_dir / name, name=name,
        granule_name=naming.granule_name(tile_id, orbit, ds_start), spacecraft=fields["sc"], tile_id=tile_id,
        absolute_orbit=orbit, processing_centre=fields["centre"], datastrip_creation=creation,
        datastrip_start=ds_start, datatake_start=datatake, baseline=baseline,
        psd_major=folders.psd_major(ds_root),
        extension=".rawl" if options.raw else (".tif" if options.geotiff else ".jp2"), work_dir=work_dir,
        img_database_dir=Path(options.img_database_dir).absolute() if options.img_database_dir else work_dir,
        res_database_dir=Path(options.res_database_dir).absolute() if options.res_database_dir else work_dir,
    )


def process_tile(options: RunOptions, config: Any = None, tile_processor: TileProcessor | None = None
                 ) -> TileResult:
    """``--mode process_tile``: write the L2A tile folder (or find it already processed).

    Parameters
    ----------
    options : RunOptions
        --datastrip (L2A datastrip folder from generate_datastrip), --tile (L1C tile folder),
        --output_dir, optional --work_dir (default --output_dir; created), --img_database_dir and
        --res_database_dir (default --work_dir; created), --archiving_centre, --tif / --raw.
    config : L2A_Config, optional
        Run configuration (Product_DOI, DEM reference), passed on to the tile processor.
    tile_processor : callable, optional
        ``tile_processor(l1c_tile: TileMetadata, l2a_tile_dir: Path, job: TileJob) -> None`` writes the
        images, masks and L2A_QUALITY.xml into the temporary ``l2a_tile_dir`` (paths from ``job.image_path``,
        ``job.probability_mask``, ``job.pvi``; quality via
        ``sen2cor.quality.write_quality(l2a_tile_dir, qi)``).
        None: only the structure and metadata are created (like --cr_only).

    Any exception leaves nothing under the final name (the temporary folder is removed).
    """
    job = plan_tile(options, config)
    for folder, option in ((job.work_dir, "--work_dir"), (job.img_database_dir, "--img_database_dir"),
                           (job.res_database_dir, "--res_database_dir"), (job.output_dir, "--output_dir")):
        folders.writable_dir(folder, option)
    if job.final_dir.exists():
        log.info("Product already processed: L2A tile %s exists in %s", job.name, job.output_dir)
        return TileResult(job.final_dir, True)
    folders.remove_stale(job.output_dir, job.name)
    temporary = folders.temporary_for(job.final_dir)
    job = replace(job, l2a_tile_dir=temporary)
    item = None
    try:
        _skeleton(job)
        if tile_processor is not None:
            tile_processor(job.l1c_tile, temporary, job)
            _refresh_masks(job)
        if options.stac:   # STAC item beside the tile folder (extension), published with it
            item = stac.write_item(temporary, job.final_dir, cog=options.cog, datastrip=job.l2a_datastrip_dir)
        final = folders.publish(temporary, job.final_dir)
        if item is not None:
            stac.publish_item(item, job.final_dir)
    except BaseException:
        folders.discard(temporary)
        if item is not None:
            item.unlink(missing_ok=True)
        raise
    log.info("L2A tile written: %s", final)
    return TileResult(final, False)


def _datastrip_fields(ds_dir: Path, root: Any, mtd: Path) -> dict[str, str]:
    """sc, centre, created, start, baseline of the L2A datastrip: from its name, else its DATASTRIP_ID."""
    for text in (ds_dir.name, folders.text_of(root, _GI, "DATASTRIP_ID") or ""):
        fields = folders.parse_l2a_datastrip_name(text)
        if fields:
            return fields
    raise ProductReadError(f"{mtd}: neither the folder name {ds_dir.name!r} nor General_Info/DATASTRIP_ID "
                           "has the form S2x_OPER_MSI_L2A_DS_<centre>_<YYYYMMDDThhmmss>"
                           "_S<YYYYMMDDThhmmss>_N<dd.dd>")


def _skeleton(job: TileJob) -> None:
    """IMG_DATA/R*m, QI_DATA and AUX_DATA (L1C files copied) and the converted MTD_TL.xml."""
    for res in RESOLUTIONS_M:
        job.img_dir(res).mkdir(parents=True)
    job.qi_dir.mkdir()
    job.aux_dir.mkdir()
    folders.copy_files(job.l1c_tile_dir / "QI_DATA", job.qi_dir)
    folders.copy_files(job.l1c_tile_dir / "AUX_DATA", job.aux_dir)
    l1c_root = read_xml(job.l1c_tile_mtd)
    write_xml(build_tile_metadata(l1c_root, _context(job), _l1c_granule_name(job, l1c_root), []), job.mtd_tl)


def _context(job: TileJob) -> MetadataContext:
    layout = L2ALayout(
        root=job.l2a_tile_dir, name=job.name, granule_name=job.granule_name,
        datastrip_name=naming.datastrip_name(job.processing_centre, job.datastrip_creation,
                                             job.datastrip_start),
        tile_id=job.tile_id, datatake_start=job.datatake_start,
        extension=job.extension if job.extension in (".jp2", ".tif") else ".jp2", psd_major=job.psd_major,
    )
    common = getattr(job.config, "common", None)
    extra = {"doi": common.product_doi, "dem_type": common.dem_reference or "None"} if common else {}
    return MetadataContext(layout=layout, spacecraft=job.spacecraft, baseline=job.baseline,
                           archiving_centre=job.options.archiving_centre, **extra)


def _l1c_granule_name(job: TileJob, l1c_root: Any) -> str:
    """Compact L1C granule name used in the L1C mask paths (``GRANULE/<name>/QI_DATA/...``)."""
    for node in l1c_root.iter():
        if isinstance(node.tag, str) and node.tag.endswith("MASK_FILENAME") and (node.text or "").startswith(
                "GRANULE/"):
            return node.text.split("/")[1]
    return job.l1c_tile_dir.name


def _refresh_masks(job: TileJob) -> None:
    """List the MSK_CLDPRB / MSK_SNWPRB files the processor wrote in MTD_TL.xml Pixel_Level_QI."""
    tree = read_xml(job.mtd_tl)
    entries = [(kind, f"GRANULE/{job.granule_name}/QI_DATA/{path.name}")
               for kind, path in present_masks(job.l2a_tile_dir)]
    set_probability_masks(tree, entries)
    write_xml(tree, job.mtd_tl)
