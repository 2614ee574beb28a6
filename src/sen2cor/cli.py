"""``L2A_Process``: the command line of Sen2Cor 2.12.04 (manual §3.3.1, §3.3.2).

Thin by design: parse and check the options, then hand over to :mod:`sen2cor.run.modes`.
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
from dataclasses import replace
from typing import Iterator, NoReturn, Sequence

from sen2cor import PSD_MAX, PSD_MIN, SEN2COR_VERSION
from sen2cor.config.options import MODES, RunOptions
from sen2cor.errors import Sen2CorError

log = logging.getLogger(__name__)

EXIT_SUCCESS = 0
EXIT_FAILURE = 1

DESCRIPTION = (
    f"Sen2Cor. Version: {SEN2COR_VERSION} (open Python re-implementation), "
    f"supporting Level-1C product version {PSD_MIN} - {PSD_MAX}."
)


class UsageError(Sen2CorError):
    """A command-line option is missing or malformed."""


class Interrupted(KeyboardInterrupt):
    """The run received SIGINT or SIGTERM (a KeyboardInterrupt, so every clean-up path handles it)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    def __str__(self) -> str:
        name = signal.Signals(self.signum).name
        cause = "interrupted by the user" if self.signum == signal.SIGINT else "terminated"
        return f"{cause} ({name}); the unfinished output was removed"


#: Options that name files or folders: an empty value is refused (it would silently mean ".").
PATH_OPTIONS = ("input_dir", "datastrip", "tile", "output_dir", "work_dir", "img_database_dir",
                "res_database_dir", "GIP_L2A", "GIP_L2A_SC", "GIP_L2A_AC", "GIP_L2A_PB")


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
    p.add_argument("--GIP_L2A", help="Select the user GIPP")
    p.add_argument("--GIP_L2A_SC", help="Select the scene classification GIPP")
    p.add_argument("--GIP_L2A_AC", help="Select the atmospheric correction GIPP")
    p.add_argument("--GIP_L2A_PB", help="Select the processing baseline GIPP")
    return p


def options_from(args: argparse.Namespace) -> RunOptions:
    """RunOptions with absolute paths (relative ones against the current directory, as Sen2Cor) and
    output_dir defaulting to the parent directory of input_dir. Single values are checked there."""
    for name in PATH_OPTIONS:
        value = getattr(args, name, None)
        if value is not None and not str(value).strip():
            option = name if name == "input_dir" else f"--{name}"
            raise UsageError(f"{option} is empty; expected a path (use '.' for the current directory)")
    options = RunOptions.from_namespace(args).resolve_paths()
    if options.output_dir is None and options.input_dir is not None:
        options = replace(options, output_dir=options.input_dir.parent)
    return options


def check_arguments(options: RunOptions) -> None:
    """Cross-option rules of the command line; raises UsageError naming the options."""
    if options.mode is None:
        if options.input_dir is None:
            raise UsageError("input_dir is mandatory in Toolbox mode (no --mode given)")
    elif options.mode == "generate_datastrip":
        missing = [f"--{n}" for n in ("datastrip", "processing_centre", "archiving_centre", "output_dir")
                   if getattr(options, n) is None]
        if missing:
            raise UsageError(f"--mode generate_datastrip requires {', '.join(missing)}")
    elif options.mode == "process_tile":
        missing = [f"--{n}" for n in ("datastrip", "tile", "output_dir") if getattr(options, n) is None]
        if missing:
            raise UsageError(f"--mode process_tile requires {', '.join(missing)}")
    if options.raw and options.tif:
        raise UsageError("--raw and --tif are exclusive: choose one image export format")
    if options.sc_only and options.cr_only:
        raise UsageError("--sc_only and --cr_only are exclusive: --cr_only creates the product tree only, "
                         "--sc_only also runs the scene classification")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``L2A_Process`` and ``python -m sen2cor``; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with _signals_interrupt():
            options = options_from(args)
            check_arguments(options)
            from sen2cor.run.modes import run  # heavy imports only after parsing

            return run(options)
    except Sen2CorError as exc:
        _report_failure(exc, args.debug)
        return EXIT_FAILURE
    except KeyboardInterrupt as exc:
        _report_failure(exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT), args.debug)
        return EXIT_FAILURE
    except Exception as exc:  # a bug or an unforeseen library error: still one line and exit 1
        log.debug("unexpected error", exc_info=exc)
        _report_failure(Sen2CorError(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the "
                                     f"traceback)"), args.debug)
        return EXIT_FAILURE
    finally:
        from sen2cor.run.logging_setup import close_logging

        close_logging()


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


def _report_failure(exc: BaseException, debug: bool) -> None:
    """One readable line on stderr and in the run's log (the traceback goes to the log at debug level),
    then Sen2Cor's final status line in the report file."""
    if logging.getLogger("sen2cor").handlers:  # the run's console + report handlers are attached
        log.error("%s", exc)
        log.debug("traceback", exc_info=exc)
        from sen2cor.run.logging_setup import report_only

        report_only(log, "Progress[%]: 100.00 : Application terminated with at least one error.")
    else:
        print(f"L2A_Process: error: {exc}", file=sys.stderr)
        if debug:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
