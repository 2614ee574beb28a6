"""One L2A_Process run in-process: :func:`process` (keywords) and :func:`run` (RunOptions or a Namespace).

``L2A_Process`` is ``run(parsed arguments)``: the same option checks, GIPP handling, report file, console
lines and error messages. Around the run this module measures wall time, CPU time and peak memory,
forwards Sen2Cor's ``Progress[%]`` lines to a ``progress`` callback, and reads the quality indicators
back from the written product (:mod:`sen2cor.api.result`).
"""
from __future__ import annotations

import contextlib
import logging
import os
import re
import resource
import signal
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from sen2cor.api.options import as_run_options, check_options, prepare_options
from sen2cor.api.result import ALREADY_PROCESSED, CREATED, PROCESSED, L2AResult, ProgressStep, read_product_quality
from sen2cor.config.options import RunOptions
from sen2cor.errors import Interrupted, Sen2CorError
from sen2cor.run.logging_setup import PACKAGE_LOGGER, close_logging, logging_configured, report_only

log = logging.getLogger(__name__)

#: ``progress(percent, step)``: called for every ``Progress[%]: <percent> : <step>`` line of the run.
ProgressCallback = Callable[[float, str], None]

_PROGRESS = re.compile(r"^Progress\[%\]:\s*(?P<percent>[0-9.]+)\s*:\s*(?P<step>.*)$")


def process(input_dir: str | Path | None = None, *, progress: ProgressCallback | None = None,
            console: bool = True, **options: object) -> L2AResult:
    """Process one L1C product (or one PDGS step) like ``L2A_Process``; returns an :class:`L2AResult`.

    Parameters
    ----------
    input_dir : the L1C product folder (Toolbox mode).
    progress : optional ``progress(percent, step)`` callback receiving Sen2Cor's progress events.
    console : False keeps the console silent (the report file still gets everything); True prints
        what L2A_Process prints, including the one-line error message of a failure.
    **options : any option of L2A_Process by its name: ``resolution=10``, ``output_dir=...``,
        ``GIP_L2A=...``, ``sc_only=True``, ``mode="process_tile"``, ``datastrip=...``, ``tile=...``, ...

    Raises
    ------
    Sen2CorError (ConfigError, UsageError, ProductError, OutputError, DemError, LutError): the
    message L2A_Process prints. TypeError for a keyword that is not an option.
    """
    if input_dir is not None:
        options["input_dir"] = input_dir
    return run(options, progress=progress, console=console)


def run(options: RunOptions | Mapping[str, object] | object, *, progress: ProgressCallback | None = None,
        console: bool = True) -> L2AResult:
    """Run L2A_Process for ``options`` (RunOptions, a mapping of option names or an argparse Namespace)."""
    debug = bool(getattr(options, "debug", False) or (isinstance(options, Mapping) and options.get("debug")))
    meter = _Meter()
    steps: list[ProgressStep] = []
    with _console_output(console), _progress_bridge(progress, steps, meter.started):
        try:
            run_options = prepare_options(as_run_options(options))
            check_options(run_options)
            from sen2cor.run.modes import run as run_mode  # heavy imports only once the options are valid

            outcome = run_mode(run_options)
        except KeyboardInterrupt as exc:
            report_failure(exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT), debug, cause=exc)
            raise
        except Sen2CorError as exc:
            report_failure(exc, debug)
            raise
        except Exception as exc:  # a bug or an unforeseen library error: still one line
            report_failure(Sen2CorError(f"unexpected {type(exc).__name__}: {exc} (run with --debug for the "
                                        f"traceback)"), debug, cause=exc)
            raise
        finally:
            close_logging()
    wall_s, cpu_s, peak, scope = meter.stop()
    if outcome.already_processed:
        status = ALREADY_PROCESSED
    else:
        status = CREATED if run_options.cr_only else PROCESSED
    quality = None
    if outcome.output is not None and run_options.mode != "generate_datastrip":
        quality = read_product_quality(outcome.output)
    return L2AResult(
        input=_input_of(run_options), mode=run_options.mode or "toolbox", status=status, output=outcome.output,
        report=outcome.report, quality=quality, wall_time_s=wall_s, cpu_time_s=cpu_s, peak_rss_bytes=peak,
        peak_rss_scope=scope, steps=tuple(steps), exit_code=outcome.exit_code)


def report_failure(exc: BaseException, debug: bool, *, cause: BaseException | None = None,
                   prog: str = "L2A_Process") -> None:
    """One readable line: into the run's log (console + report) when it is open, followed in the report by
    Sen2Cor's final status line; else on stderr.

    The traceback of ``cause`` (default ``exc``) goes to the report at DEBUG level, or to stderr with ``debug``.
    """
    cause = exc if cause is None else cause
    if logging_configured():
        log.error("%s", exc)
        log.debug("traceback", exc_info=cause)
        report_only(log, "Progress[%]: 100.00 : Application terminated with at least one error.")
        return
    print(f"{prog}: error: {exc}", file=sys.stderr)
    if debug:
        import traceback

        traceback.print_exception(cause, file=sys.stderr)


def _input_of(options: RunOptions) -> Path | None:
    if options.mode == "process_tile":
        return options.tile
    if options.mode == "generate_datastrip":
        return options.datastrip
    return options.input_dir


# --------------------------------------------------------------------------- console, progress, resources
@contextlib.contextmanager
def _console_output(console: bool) -> Iterator[None]:
    """With ``console=False`` the run's stderr lines go nowhere (the run's console handler writes to the
    current ``sys.stderr``); the report file is unaffected."""
    if console:
        yield
        return
    with open(os.devnull, "w", encoding="utf-8") as sink, contextlib.redirect_stderr(sink):
        yield


class _ProgressHandler(logging.Handler):
    """Turns ``Progress[%]: xx.xx : step`` records of the ``sen2cor`` logger into callback calls."""

    def __init__(self, callback: ProgressCallback | None, steps: list[ProgressStep], started: float) -> None:
        super().__init__(logging.INFO)
        self.callback, self.steps, self.started = callback, steps, started

    def emit(self, record: logging.LogRecord) -> None:
        match = _PROGRESS.match(record.getMessage())
        if match is None:
            return
        percent, step = float(match["percent"]), match["step"].strip()
        self.steps.append(ProgressStep(percent, step, time.monotonic() - self.started))
        if self.callback is not None:
            try:
                self.callback(percent, step)
            except Exception:  # a faulty callback must not fail the run
                log.debug("progress callback failed", exc_info=True)


@contextlib.contextmanager
def _progress_bridge(callback: ProgressCallback | None, steps: list[ProgressStep], started: float
                     ) -> Iterator[None]:
    handler = _ProgressHandler(callback, steps, started)
    logger = logging.getLogger(PACKAGE_LOGGER)
    logger.addHandler(handler)
    try:
        yield
    finally:
        logger.removeHandler(handler)


class _Meter:
    """Wall time, CPU time (user + system of this process) and peak RSS of one run.

    Linux lets a process reset its recorded peak (``/proc/self/clear_refs`` with 5): the peak is then that
    of the run alone ("run"). Elsewhere it is the process's peak since it started ("process").
    """

    def __init__(self) -> None:
        self.scope = "run" if _reset_peak_rss() else "process"
        self.started = time.monotonic()
        self.cpu0 = _cpu_s()

    def stop(self) -> tuple[float, float, int | None, str]:
        return time.monotonic() - self.started, _cpu_s() - self.cpu0, _peak_rss_bytes(), self.scope


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss_bytes() -> int | None:
    """VmHWM of /proc/self/status, else ru_maxrss (kB on Linux)."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
