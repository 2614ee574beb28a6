"""Run orchestration (Sen2Cor's L2A_Process / L2A_ProcessTile): from options to an L2A product.

The order of a Toolbox run: logging on the console, configuration (GIPPs), the L1C product,
the run's report file under $SEN2COR_HOME/log, then the L2A product, written under a temporary
name and renamed when complete (manual §2.4, §2.7; facts §7).
"""
from __future__ import annotations

import contextlib
import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sen2cor import SEN2COR_VERSION
from sen2cor.config import L2A_Config, RunOptions, load_config
from sen2cor.export import stac
from sen2cor.l1c import read_l1c_product
from sen2cor.pdgs import generate_datastrip
from sen2cor.pdgs import process_tile as pdgs_process_tile
from sen2cor.pdgs.processor import process_tile_images
from sen2cor.run.logging_setup import close_logging, configure_logging, report_lines, report_path
from sen2cor.run.progress import FINAL_STEP, notify
from sen2cor.product.layout import L2ALayout, force_psd
from sen2cor.product.metadata import gipp_file_names
from sen2cor.run.input_checks import check_band_files
from sen2cor.run.output_checks import check_outside_inputs
from sen2cor.run.reruns import ALREADY_PROCESSED_MESSAGE, find_completed_run, remove_stale_temporaries
from sen2cor.run.tile import process_tile, resolution_plan
from sen2cor.product.publishing import final_location
from sen2cor.product.writer import create_l2a_skeleton, discard_product, finalise_product, publish_product

log = logging.getLogger(__name__)

EXIT_SUCCESS = 0


@dataclass(frozen=True)
class RunOutcome:
    """What a successful run left: its output (L2A product, datastrip or tile folder; None when nothing
    was written), whether that output existed already ("Product already processed.") and the report file."""

    output: Path | None
    already_processed: bool = False
    report: Path | None = None
    exit_code: int = EXIT_SUCCESS


def run(options: RunOptions) -> RunOutcome:
    """Process one run described by ``options`` (errors raise Sen2CorError)."""
    configure_logging(None, "INFO", options.debug)
    check_outside_inputs(options)
    if options.stac:   # fail before any processing when the item cannot be made
        stac.check_available(options.mode)
    config = load_config(options=options)
    if options.mode == "generate_datastrip":
        path = generate_datastrip(options, config)
        log.info("L2A datastrip: %s", path)
        return RunOutcome(path)
    if options.mode == "process_tile":
        return run_pdgs_tile(config)
    return run_toolbox(config)


def run_pdgs_tile(config: L2A_Config) -> RunOutcome:
    """PDGS process_tile: L2A datastrip + L1C tile -> L2A tile folder (standard SAFE).

    --cr_only writes the structure and metadata only; otherwise the images, masks and L2A_QUALITY.xml
    are produced by the same tile processing as a Toolbox run (``sen2cor.pdgs.processor``).
    """
    processor = None if config.run.cr_only else process_tile_images
    result = pdgs_process_tile(config.run, config, processor)
    if result.already_processed:
        log.info(ALREADY_PROCESSED_MESSAGE)
    else:
        log.info("L2A tile: %s", result.path)
    return RunOutcome(result.path, result.already_processed)


def run_toolbox(config: L2A_Config) -> RunOutcome:
    """Toolbox mode: one compact-SAFE L1C product in, one L2A product out.

    Success ("L2A product: <path>", "Application terminated successfully") is logged only once the
    product is complete under its final name; a failure before that removes the hidden folder and is
    logged in the report.
    """
    options = config.run
    started = time.monotonic()
    report = _start_report(config, options.input_dir.name)
    with _removed_if_created(options.work_dir, options.img_database_dir, options.res_database_dir):
        product = read_l1c_product(options.input_dir, check_band_files=not options.cr_only)
        log.info("Sen2Cor %s re-implementation, L1C product %s (PSD %s, baseline %s)", SEN2COR_VERSION,
                 product.name, product.psd_version, product.processing_baseline)
        if config.common.psd_version is not None:   # L2A_GIPP PSD_Version: the output follows the forced PSD
            log.info("PSD_Version %s forced for the L2A output (input PSD %s)", config.common.psd_version,
                     product.psd_version)
            product = force_psd(product, config.common.psd_version)
        if not options.cr_only:
            check_band_files(product)
            plan = resolution_plan(options.resolution, sc_only=options.sc_only,
                                   downsample_20_to_60=config.downsample_20_to_60)
            done = find_completed_run(options.output_dir, product.name, plan.written,
                                      atmospheric_correction=not options.sc_only)
            if done is not None:
                log.info("%s (%s)", ALREADY_PROCESSED_MESSAGE, done)
                close_logging()
                return RunOutcome(done, True, report)
        remove_stale_temporaries(options.output_dir)
        temporary = create_l2a_skeleton(product, options.output_dir, config.processing_baseline,
                                        processing_centre=options.processing_centre,
                                        archiving_centre=options.archiving_centre, tif=options.geotiff,
                                        doi=config.common.product_doi,
                                        dem_type=config.common.dem_reference or "None",
                                        gipp_files=gipp_file_names(config.files.sc, config.files.ac, config.files.pb),
                                        publish=False)
        try:
            if not options.cr_only:
                process_tile(product, config, L2ALayout.from_root(temporary, tif=options.geotiff))
            final = _publish(temporary, config, report, started)
        except BaseException:
            discard_product(temporary)
            raise
    for line in _success_lines(final, started):
        log.info("%s", line)
    notify(100.0, FINAL_STEP)   # listeners hear 100 % once the product has its final name
    return RunOutcome(final, False, report)


def _success_lines(final: Path, started: float) -> list[str]:
    return [f"L2A product: {final}", "Progress[%]: 100.00 : Application terminated successfully, elapsed time[s]: "
            f"{time.monotonic() - started:.1f}"]


def _publish(temporary: Path, config: L2A_Config, report: Path | None, started: float) -> Path:
    """Copy the report into the product, write the manifest, rename the product to its final name.

    The report is closed for the copy and re-opened (appended to) at once, so that whatever happens next,
    a failure included, is recorded in it. The copy inside the product ends with the success lines: it is
    only seen once the product is published (a failed publication discards it with the product).
    """
    final = final_location(temporary)
    log.info("L2A product complete; publishing it as %s", final)
    close_logging()
    try:
        finalise_product(temporary, report, report_tail=report_lines(log, _success_lines(final, started)))
    finally:
        _resume_report(config, report)
    item = stac.write_item(temporary, final, cog=config.run.cog) if config.run.stac else None
    try:
        published = publish_product(temporary)
    except BaseException:
        if item is not None:
            item.unlink(missing_ok=True)
        raise
    if item is not None:   # the STAC item beside the product (extension), renamed right after it
        stac.publish_item(item, published)
    return published


def _start_report(config: L2A_Config, input_name: str) -> Path | None:
    """Switch logging to a new report file in $SEN2COR_HOME/log (console only, with a warning, when the
    folder or the file cannot be written)."""
    path = report_path(config.log_dir, input_name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with open(path, "x", encoding="utf-8"):
                pass
        except FileExistsError:  # another run of the same product started in the same second
            path = path.with_name(path.name.replace("_report.log", f"_{os.getpid()}_report.log"))
        return configure_logging(path, config.log_level, config.run.debug)
    except OSError as exc:
        configure_logging(None, "INFO", config.run.debug)
        log.warning("log directory %s is not writable (%s); logging to the console only", path.parent, exc)
        return None


def _resume_report(config: L2A_Config, report: Path | None) -> None:
    try:
        configure_logging(report, config.log_level, config.run.debug)
    except OSError as exc:
        configure_logging(None, "INFO", config.run.debug)
        log.warning("report file %s cannot be re-opened (%s); logging to the console only", report, exc)


@contextlib.contextmanager
def _removed_if_created(*folders: Path | None) -> Iterator[None]:
    """Remove, at the end of the run, the given folders (and the parents created with them) that did not
    exist before it and are empty then: in Toolbox mode --work_dir and the database folders only hold
    files that the run deletes."""
    created = []   # (folder, its topmost ancestor that did not exist)
    for folder in (Path(f).absolute() for f in folders if f is not None):
        top, probe = None, folder
        while not probe.exists() and probe != probe.parent:
            top, probe = probe, probe.parent
        if top is not None:
            created.append((folder, top))
    try:
        yield
    finally:
        for folder, top in created:
            for path in (folder, *folder.parents):
                try:
                    path.rmdir()   # only when empty
                except OSError:
                    break
                log.debug("removed the folder %s created for this run", path)
                if path == top:
                    break
