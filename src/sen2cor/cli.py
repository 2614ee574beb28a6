"""``L2A_Process``: the command line of Sen2Cor 2.12.04 (manual §3.3.1, §3.3.2).

Thin by design: parse the options, then hand over to the Python API (:func:`sen2cor.api.run`), which
checks them, runs :mod:`sen2cor.run.modes` and reports failures.
Exit codes follow Sen2Cor: 0 success (also "Product already processed."), 1 failure. SIGTERM (timeout,
``docker stop``, a batch system at wall time) and SIGINT (Ctrl-C) end a run like a failure: the hidden
output folder is removed, one line names the signal, exit code 1 (docs/faults.md).
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import sys
import threading
from typing import Iterator, NoReturn, Sequence

from sen2cor import PSD_MAX, PSD_MIN, SEN2COR_VERSION
from sen2cor.config.options import MODES
from sen2cor.errors import Interrupted

__all__ = ["Interrupted", "add_processing_options", "build_parser", "main"]

log = logging.getLogger(__name__)

EXIT_SUCCESS = 0
EXIT_FAILURE = 1

DESCRIPTION = (
    f"Sen2Cor. Version: {SEN2COR_VERSION} (open Python re-implementation), "
    f"supporting Level-1C product version {PSD_MIN} - {PSD_MAX}."
)


class _Parser(argparse.ArgumentParser):
    """argparse with Sen2Cor's exit code: a usage error exits with 1, not 2."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_FAILURE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    """The option set of Sen2Cor 2.12.04, names and help as in the manual."""
    p = _Parser(prog="L2A_Process", description=DESCRIPTION)
    p.add_argument("input_dir", nargs="?", help="Directory of Level-1C input (Toolbox mode; mandatory there)")
    p.add_argument("--mode", choices=MODES, metavar="MODE", help="Mode: generate_datastrip, process_tile")
    add_processing_options(p)
    return p


def add_processing_options(p: argparse.ArgumentParser) -> None:
    """Every option of L2A_Process except input_dir and --mode (L2A_Batch applies them to all products)."""
    p.add_argument("--resolution", type=int, choices=(10, 20, 60),
                   help="Target resolution, can be 10, 20 or 60m. If omitted, only 20 and 10m resolutions "
                        "will be processed (plus 60m by downsampling when Downsample_20_to_60 is TRUE)")
    p.add_argument("--datastrip", help="Datastrip folder (L1C for generate_datastrip, L2A for process_tile)")
    p.add_argument("--tile", help="Tile folder (L1C tile, process_tile mode)")
    p.add_argument("--output_dir", help="Output directory (default: the parent directory of the input)")
    p.add_argument("--work_dir", help="Work directory")
    p.add_argument("--img_database_dir", help="Database directory for L1C input images")
    p.add_argument("--res_database_dir", help="Database directory for results and temporary products")
    p.add_argument("--processing_centre", help='Processing centre as regex: ^[A-Z_]{4}$, e.g. "SGS_"')
    p.add_argument("--archiving_centre", help='Archiving centre as regex: ^[A-Z_]{4}$, e.g. "SGS_"')
    p.add_argument("--processing_baseline",
                   help='Processing baseline in the format: "dd.dd", where d=[0:9]')
    p.add_argument("--raw", action="store_true", help="Export raw images in rawl format with ENVI hdr")
    p.add_argument("--tif", action="store_true", help="Export raw images in TIFF format instead of JPEG-2000")
    p.add_argument("--sc_only", action="store_true",
                   help="Performs only the scene classification at 60 or 20m resolution")
    p.add_argument("--sc_classic", action="store_true", help="Performs scene classification in Sen2Cor 2.9 mode")
    p.add_argument("--sc_cog", action="store_true", help="Export SCL image in COG format instead of JPEG_2000")
    p.add_argument("--cr_only", action="store_true",
                   help="Performs only the creation of the L2A product tree, no processing")
    p.add_argument("--debug", action="store_true", help="Performs in debug mode")
    extensions = p.add_argument_group("extensions of this re-implementation (not Sen2Cor options)")
    extensions.add_argument("--cog", action="store_true",
                            help="Export every image as a Cloud-Optimized GeoTIFF (.tif: internal overviews, "
                                 "ZSTD, reflectance scale/offset, SCL colours) instead of JPEG-2000")
    extensions.add_argument("--stac", action="store_true",
                            help="Write a STAC item (<product>.json) next to the product, one per tile in "
                                 "process_tile mode (needs the 'stac' extra)")
    extensions.add_argument("--no_quicklook", action="store_true",
                            help="Do not write the quicklook PNG (true colour, SCL, legend, quality numbers) "
                                 "into the granule's QI_DATA")
    p.add_argument("--GIP_L2A", help="Select the user GIPP")
    p.add_argument("--GIP_L2A_SC", help="Select the scene classification GIPP")
    p.add_argument("--GIP_L2A_AC", help="Select the atmospheric correction GIPP")
    p.add_argument("--GIP_L2A_PB", help="Select the processing baseline GIPP")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``L2A_Process`` and ``python -m sen2cor``; returns the exit code.

    The run itself is :func:`sen2cor.api.run`, which prints the one-line error message of a failure.
    """
    args = build_parser().parse_args(argv)
    from sen2cor.api import run  # heavy imports only after parsing

    try:
        with _signals_interrupt():
            return run(args).exit_code
    except (Exception, KeyboardInterrupt):  # reported by the API: one line on the console and in the report
        return EXIT_FAILURE


@contextlib.contextmanager
def _signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGINT raise :class:`Interrupted` in the main thread while a run is going on (the
    previous handlers come back afterwards; ignored signals and other threads are left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame) -> None:
        raise Interrupted(signum)

    previous = {sig: signal.signal(sig, interrupt) for sig in (signal.SIGTERM, signal.SIGINT)
                if signal.getsignal(sig) is not signal.SIG_IGN}   # an ignored signal (nohup, `cmd &`) stays ignored
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
