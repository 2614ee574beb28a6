"""PDGS operation modes (manual §3.3.1; config facts §7.2): datastrip generation and tile processing.

    from sen2cor.pdgs import generate_datastrip, process_tile
    ds = generate_datastrip(options, config)                  # --mode generate_datastrip -> L2A DS folder
    result = process_tile(options, config, tile_processor)    # --mode process_tile
    result.path, result.already_processed

See docs/pdgs.md.
"""

from sen2cor.pdgs.datastrip import DatastripPlan, generate_datastrip, plan_datastrip, select_baseline
from sen2cor.pdgs.tile import TileJob, TileProcessor, TileResult, plan_tile, process_tile

__all__ = [
    "DatastripPlan",
    "TileJob",
    "TileProcessor",
    "TileResult",
    "generate_datastrip",
    "plan_datastrip",
    "plan_tile",
    "process_tile",
    "select_baseline",
]
