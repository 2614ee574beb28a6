"""Python API: one L1C product processed in-process, as ``L2A_Process`` does it (docs/api.md).

    from sen2cor.api import process
    result = process("S2A_MSIL1C_....SAFE", resolution=10, output_dir="/data/L2A")
    result.output, result.status, result.quality.cloud_percent, result.quality.aot_mean, result.peak_rss_bytes

``L2A_Process`` is a thin command line over :func:`run`; ``L2A_Batch`` (:mod:`sen2cor.batch`) calls it once
per product in its worker processes.
"""
from sen2cor.api.options import as_run_options, check_exclusive, check_options, prepare_options
from sen2cor.api.result import (
    ALREADY_PROCESSED,
    CREATED,
    PROCESSED,
    L2AResult,
    ProductQuality,
    ProgressStep,
    read_product_quality,
)
from sen2cor.api.runner import ProgressCallback, process, report_failure, run

__all__ = [
    "ALREADY_PROCESSED",
    "CREATED",
    "PROCESSED",
    "L2AResult",
    "ProductQuality",
    "ProgressCallback",
    "ProgressStep",
    "as_run_options",
    "check_exclusive",
    "check_options",
    "prepare_options",
    "process",
    "read_product_quality",
    "report_failure",
    "run",
]
