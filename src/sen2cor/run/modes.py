"""Run orchestration (Sen2Cor's L2A_Process / L2A_ProcessTile): from options to an L2A product.

The order of a Toolbox run: logging on the console, configuration (GIPPs), the L1C product,
the run's report file under $SEN2COR_HOME/log, then the L2A product, written under a temporary
name and renamed when complete (manual §2.4, §2.7; facts §7).
"""
from __future__ import annotations

import logging
import time
from pathlib import Path

from sen2cor import SEN2COR_VERSION
from sen2cor.config import L2A_Config, RunOptions, load_config
from sen2cor.l1c import read_l1c_product
from sen2cor.pdgs import generate_datastrip
from sen2cor.pdgs import process_tile as pdgs_process_tile
from sen2cor.pdgs.processor import process_tile_images
from sen2cor.run.logging_setup import close_logging, configure_logging, report_path
from sen2cor.run.progress import FINAL_STEP, notify
from sen2cor.product.layout import L2ALayout
from sen2cor.run.input_checks import check_band_files
from sen2cor.run.reruns import ALREADY_PROCESSED_MESSAGE, find_completed_run, remove_stale_temporaries
from sen2cor.run.tile import process_tile, resolution_plan
from sen2cor.product.writer import create_l2a_skeleton, discard_product, finalise_product, publish_product

log = logging.getLogger(__name__)

EXIT_SUCCESS = 0


def run(options: RunOptions) -> int:
    """Process one run described by ``options``; returns the exit code (errors raise Sen2CorError)."""
    configure_logging(None, "INFO", options.debug)
    config = load_config(options=options)
    if options.mode == "generate_datastrip":
        path = generate_datastrip(options, config)
        log.info("L2A datastrip: %s", path)
        return EXIT_SUCCESS
    if options.mode == "process_tile":
        return run_pdgs_tile(config)
    return run_toolbox(config)


def run_pdgs_tile(config: L2A_Config) -> int:
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
    return EXIT_SUCCESS


def run_toolbox(config: L2A_Config) -> int:
    """Toolbox mode: one compact-SAFE L1C product in, one L2A product out."""
    options = config.run
    started = time.monotonic()
    report = _start_report(config, options.input_dir.name)
    product = read_l1c_product(options.input_dir, check_band_files=not options.cr_only)
    log.info("Sen2Cor %s re-implementation, L1C product %s (PSD %s, baseline %s)", SEN2COR_VERSION,
             product.name, product.psd_version, product.processing_baseline)
    if not options.cr_only:
        check_band_files(product)
        plan = resolution_plan(options.resolution, sc_only=options.sc_only,
                               downsample_20_to_60=config.downsample_20_to_60)
        done = find_completed_run(options.output_dir, product.name, plan.written,
                                  atmospheric_correction=not options.sc_only)
        if done is not None:
            log.info("%s (%s)", ALREADY_PROCESSED_MESSAGE, done)
            close_logging()
            return EXIT_SUCCESS
    remove_stale_temporaries(options.output_dir)
    temporary = create_l2a_skeleton(product, options.output_dir, config.processing_baseline,
                                    processing_centre=options.processing_centre,
                                    archiving_centre=options.archiving_centre, tif=options.tif,
                                    doi=config.common.product_doi,
                                    dem_type=config.common.dem_reference or "None", publish=False)
    try:
        if not options.cr_only:
            process_tile(product, config, L2ALayout.from_root(temporary, tif=options.tif))
        log.info("L2A product: %s", _final_path(temporary))
        _finish(temporary, report, started)
        publish_product(temporary)
    except BaseException:
        discard_product(temporary)
        raise
    notify(100.0, FINAL_STEP)   # listeners hear 100 % once the product has its final name
    return EXIT_SUCCESS


def _final_path(temporary: Path) -> Path:
    """``.<name>.SAFE.tmp-<pid>`` -> ``<name>.SAFE`` (the name publish_product gives)."""
    return temporary.with_name(temporary.name[1:].rsplit(".tmp-", 1)[0])


def _start_report(config: L2A_Config, input_name: str) -> Path | None:
    """Switch logging to the run's report file in $SEN2COR_HOME/log (console only if not writable)."""
    path = report_path(config.log_dir, input_name)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        log.warning("log directory %s is not writable (%s); logging to the console only", path.parent, exc)
        return None
    return configure_logging(path, config.log_level, config.run.debug)


def _finish(temporary: Path, report: Path | None, started: float) -> None:
    """Close the report, copy it into the product and write the manifest (still under the temporary name)."""
    log.info("Progress[%%]: 100.00 : Application terminated successfully, elapsed time[s]: %.1f",
             time.monotonic() - started)
    close_logging()
    finalise_product(temporary, report)
