"""``--mode generate_datastrip``: L1C datastrip -> L2A datastrip folder (manual §3.3.1, facts §7.2, §6.3).

Output: ``<output_dir>/S2A_OPER_MSI_L2A_DS_<centre>_<generation UTC>_S<sensing start>_N<baseline>/`` holding
MTD_DS.xml (converted by :func:`sen2cor.product.mtd_datastrip.build_datastrip_metadata`) and an empty
QI_DATA/.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sen2cor.config import RunOptions
from sen2cor.errors import ConfigError
from sen2cor.l1c.xmlpath import as_utc
from sen2cor.dem.esacci import aux_search_dirs, locate_aux_maps, present_map_names
from sen2cor.product import naming
from sen2cor.product.layout import L2ALayout, psd_major_of, utc_milliseconds
from sen2cor.product.metadata import (
    BOA_ADD_OFFSET_DN, DEFAULT_GIPP_FILES, MetadataContext, gipp_file_names, write_xml,
)
from sen2cor.product.mtd_datastrip import build_datastrip_metadata
from sen2cor.pdgs import folders
from sen2cor.pdgs.folders import L1C_DATASTRIP

log = logging.getLogger(__name__)

METADATA_NAME = "MTD_DS.xml"
_GI = "General_Info"


@dataclass(frozen=True)
class DatastripPlan:
    """Everything generate_datastrip decides before writing (names, times, baseline)."""

    l1c_dir: Path
    l1c_metadata: Path
    output_dir: Path
    name: str
    spacecraft: str
    processing_centre: str
    archiving_centre: str
    generation_time: datetime
    sensing_start: datetime
    baseline: str
    psd_major: int

    @property
    def path(self) -> Path:
        """Final L2A datastrip folder."""
        return self.output_dir / self.name

    def report_path(self, work_dir: Path, now: datetime | None = None) -> Path:
        """Sen2Cor's run report in PDGS mode: ``<work_dir>/<L1C DS name, L1C->L2A>_<UTC>_report.xml``."""
        stamp = naming.compact_time(now or datetime.now(UTC))
        return Path(work_dir) / f"{self.l1c_dir.name.replace('L1C', 'L2A')}_{stamp}_report.xml"


def select_baseline(options: RunOptions, config: Any, l1c_baseline: str | None) -> str:
    """--processing_baseline, else Baseline_Version of a --GIP_L2A_PB file, else the L1C datastrip's."""
    if options.processing_baseline:
        return naming.check_baseline(options.processing_baseline)
    if options.GIP_L2A_PB is not None:
        return naming.check_baseline(config.pb.baseline_version)
    if not l1c_baseline:
        raise ConfigError("no processing baseline: give --processing_baseline or --GIP_L2A_PB, or an L1C "
                          "datastrip with General_Info/Processing_Info/PROCESSING_BASELINE")
    try:
        return naming.check_baseline(f"{float(l1c_baseline):05.2f}")
    except ValueError:
        raise ConfigError(f"L1C PROCESSING_BASELINE {l1c_baseline!r} is invalid; expected dd.dd") from None


def plan_datastrip(options: RunOptions, config: Any, *,
                   generation_time: datetime | None = None) -> DatastripPlan:
    """Check the options and the L1C datastrip and decide the output (nothing is written).

    Raises
    ------
    ConfigError
        --processing_centre or --archiving_centre missing, baseline invalid.
    ProductError / ProductReadError
        Folder name not ``S2?_OPER_MSI_L1C_DS*`` / ``DS_*``, metadata file missing, malformed or not L1C.
    """
    for option in ("processing_centre", "archiving_centre"):
        if getattr(options, option) is None:
            raise ConfigError(f"--{option} is required with --mode generate_datastrip "
                              "(4 characters, e.g. SGS_)")
    if options.output_dir is None:
        raise ConfigError("--output_dir is required with --mode generate_datastrip")
    l1c_dir = folders.check_folder(options.datastrip, L1C_DATASTRIP, "--datastrip")
    mtd = folders.metadata_file(l1c_dir, L1C_DATASTRIP)
    root = folders.read_metadata(mtd, L1C_DATASTRIP)
    start_text = folders.required_text(root, mtd, _GI, "Datastrip_Time_Info", "DATASTRIP_SENSING_START")
    sensing_start = as_utc(start_text, mtd, f"{_GI}/Datastrip_Time_Info/DATASTRIP_SENSING_START")
    l1c_baseline = folders.text_of(root, _GI, "Processing_Info", "PROCESSING_BASELINE")
    generated = utc_milliseconds(generation_time or datetime.now(UTC))
    spacecraft = folders.spacecraft_of(root, l1c_dir.name, mtd)
    baseline = select_baseline(options, config, l1c_baseline)
    name = naming.datastrip_identifier(spacecraft, options.processing_centre, generated, sensing_start,
                                       baseline)
    return DatastripPlan(
        l1c_dir=l1c_dir, l1c_metadata=mtd, output_dir=Path(options.output_dir).absolute(), name=name,
        spacecraft=spacecraft, processing_centre=options.processing_centre,
        archiving_centre=options.archiving_centre, generation_time=generated, sensing_start=sensing_start,
        baseline=baseline, psd_major=_forced_psd_major(config) or folders.psd_major(root),
    )


def _forced_psd_major(config: Any) -> int | None:
    """PSD major version forced by L2A_GIPP PSD_Version (None for DEFAULT: the L1C datastrip's)."""
    forced = getattr(getattr(config, "common", None), "psd_version", None)
    return None if forced is None else psd_major_of(forced)


def generate_datastrip(options: RunOptions, config: Any, *, generation_time: datetime | None = None) -> Path:
    """``--mode generate_datastrip``: write the L2A datastrip folder and return its path.

    The folder is assembled as ``.<name>.tmp/<name>`` in --output_dir and renamed when complete; the
    L1C input is only read.  --work_dir is created if missing (it receives the run report).

    Raises
    ------
    ConfigError, ProductError, ProductReadError
        See :func:`plan_datastrip`.
    OutputError
        --output_dir not creatable / writable, or the output exists.
    """
    plan = plan_datastrip(options, config, generation_time=generation_time)
    if options.work_dir is not None:
        folders.writable_dir(options.work_dir, "--work_dir")
    output_dir = folders.writable_dir(plan.output_dir, "--output_dir")
    folders.remove_stale(output_dir, "S2?_OPER_MSI_L2A_DS_*")
    root = folders.read_metadata(plan.l1c_metadata, L1C_DATASTRIP)
    ctx = _context(plan, config)
    temporary = folders.temporary_for(plan.path)
    try:
        (temporary / "QI_DATA").mkdir()
        write_xml(build_datastrip_metadata(root, ctx), temporary / METADATA_NAME)
        final = folders.publish(temporary, plan.path)
    except BaseException:
        folders.discard(temporary)
        raise
    log.info("L1C datastrip found, L2A datastrip successfully generated: %s", final)
    return final


def _context(plan: DatastripPlan, config: Any) -> MetadataContext:
    """Metadata identity of the L2A datastrip (a layout without granule: only datastrip fields are used)."""
    layout = L2ALayout(
        root=plan.path, name=plan.name, granule_name="", tile_id="",
        datastrip_name=naming.datastrip_name(plan.processing_centre, plan.generation_time,
                                             plan.sensing_start),
        datatake_start=plan.sensing_start, psd_major=plan.psd_major,
    )
    common = getattr(config, "common", None)
    files = getattr(config, "files", None)
    gipps = DEFAULT_GIPP_FILES if files is None else gipp_file_names(files.sc, files.ac, files.pb)
    kwargs = {}
    if common is not None:
        kwargs = {"doi": common.product_doi, "dem_type": common.dem_reference or "None"}
    sc = getattr(config, "sc", None)
    if sc is not None:   # the datastrip precedes its tiles: it names the maps present (esacci.present_map_names)
        kwargs["aux_maps"] = present_map_names(locate_aux_maps(sc.references,
                                                               aux_search_dirs(getattr(config, "home", None))))
    return MetadataContext(layout=layout, spacecraft=plan.spacecraft, baseline=plan.baseline,
                           archiving_centre=plan.archiving_centre, boa_add_offset_dn=BOA_ADD_OFFSET_DN,
                           generation=plan.generation_time, gipp_files=gipps, **kwargs)
