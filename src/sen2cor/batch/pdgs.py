"""``L2A_Batch --mode process_tile``: the PDGS pattern, one L2A datastrip then its tiles in parallel.

Sen2Cor's production centres call ``L2A_Process --mode generate_datastrip`` once per datastrip and then
``L2A_Process --mode process_tile`` once per tile (manual §3.3.1). The batch does the first step here,
in its own process, and hands the tiles to the workers. The L2A tile names carry the datastrip's
creation time, so a re-run must use the same L2A datastrip to find its tiles processed: an L2A datastrip
of the same spacecraft, processing centre, sensing start and baseline already in the output folder is
reused instead of generating another.
"""
from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

from sen2cor.api import run
from sen2cor.config.options import RunOptions
from sen2cor.errors import ProductError
from sen2cor.pdgs import folders
from sen2cor.pdgs.datastrip import plan_datastrip
from sen2cor.pdgs.folders import L2A_DATASTRIP

log = logging.getLogger(__name__)


def is_l2a_datastrip(folder: Path) -> bool:
    """True when ``folder`` holds an L2A datastrip metadata file (root ``Level-2A_DataStrip_ID``)."""
    try:
        folders.read_metadata(folders.metadata_file(Path(folder), L2A_DATASTRIP), L2A_DATASTRIP)
    except ProductError:
        return False
    return True


def existing_datastrip(options: RunOptions, config: object) -> Path | None:
    """The newest L2A datastrip in ``options.output_dir`` that generate_datastrip would make from
    ``options.datastrip`` apart from its creation time, or None."""
    wanted = folders.parse_l2a_datastrip_name(plan_datastrip(options, config).name)
    output_dir = Path(options.output_dir)
    if wanted is None or not output_dir.is_dir():
        return None
    same = []
    for candidate in output_dir.iterdir():
        fields = folders.parse_l2a_datastrip_name(candidate.name)
        if fields and candidate.is_dir() and {k: v for k, v in fields.items() if k != "created"} == {
                k: v for k, v in wanted.items() if k != "created"}:
            same.append((fields["created"], candidate))
    return max(same)[1] if same else None


def prepare_datastrip(options: RunOptions, config: object) -> Path:
    """The L2A datastrip for the batch's tiles: ``--datastrip`` itself when it is one, else the L2A
    datastrip generated from that L1C datastrip (or found from an earlier run of the same batch)."""
    given = Path(options.datastrip)
    if is_l2a_datastrip(given):
        log.info("L2A datastrip given: %s", given)
        return given
    found = existing_datastrip(options, config)
    if found is not None:
        log.info("L2A datastrip of an earlier run reused: %s", found)
        return found
    result = run(replace(options, mode="generate_datastrip", input_dir=None, tile=None), console=False)
    log.info("L2A datastrip generated: %s", result.output)
    return Path(result.output)
