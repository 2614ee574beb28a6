"""Logging of one run (manual §2.7): a detailed report file plus a short console.

The file gets every record at the run's level with UTC timestamp, level, module, function and
line, like Sen2Cor's report; the console (stderr) shows INFO and above as plain one-liners,
without tracebacks unless ``debug``. Handlers sit on the ``sen2cor`` logger only, are tagged,
and are replaced on every call, so ``main()`` may run many times in one process.

    log_path = configure_logging(config.log_dir / "run_report.log", config.common.log_level, debug)
    ...
    close_logging()          # flush and close, then copy the file into the product
"""
from __future__ import annotations

import logging
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

PACKAGE_LOGGER = "sen2cor"
LEVELS = ("NOTSET", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

#: Report-file line: 2026-11-21T11:50:00.123Z INFO     sen2cor.config.loader load_config:118 message
FILE_FORMAT = "%(asctime)s %(levelname)-8s %(name)s %(funcName)s:%(lineno)d %(message)s"

_TAG = "_sen2cor_run_handler"


class _UtcFormatter(logging.Formatter):
    """ISO 8601 UTC timestamps with milliseconds and a Z suffix."""

    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created))
        return f"{stamp}.{int(record.msecs):03d}Z"


class _StderrHandler(logging.StreamHandler):
    """Console handler that always writes to the *current* ``sys.stderr`` (which tests and callers may swap)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:  # the base class assigns it; the current stderr is always used
        pass


class _ConsoleFormatter(logging.Formatter):
    """``message`` for INFO, ``LEVEL: message`` above; tracebacks only when ``debug``."""

    def __init__(self, debug: bool) -> None:
        super().__init__("%(message)s")
        self._debug = debug

    def format(self, record: logging.LogRecord) -> str:
        text = record.getMessage()
        if record.levelno != logging.INFO:
            text = f"{record.levelname}: {text}"
        if self._debug and record.exc_info:
            text += "\n" + self.formatException(record.exc_info)
        return text


def level_number(level: str | int) -> int:
    """Numeric level of a GIPP Log_Level (NOTSET means 'everything', i.e. DEBUG)."""
    if isinstance(level, int):
        return level or logging.DEBUG
    name = str(level).upper()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {level!r}; expected one of {', '.join(LEVELS)}")
    return logging.DEBUG if name == "NOTSET" else logging.getLevelName(name)


def configure_logging(log_path: Path | None = None, level: str | int = "INFO", debug: bool = False) -> Path | None:
    """(Re)configure the run's handlers; returns the log file path (None for console only).

    Parameters
    ----------
    log_path
        Report file of this run (parent folders are created; appended to if it exists).
    level
        Log_Level from the GIPP (NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL) or a number.
    debug
        --debug: the file level becomes DEBUG and the console also shows DEBUG and tracebacks.
    """
    close_logging()
    file_level = logging.DEBUG if debug else level_number(level)
    console_level = logging.DEBUG if debug else logging.INFO
    logger = logging.getLogger(PACKAGE_LOGGER)

    console = _StderrHandler()
    console.setLevel(console_level)
    console.setFormatter(_ConsoleFormatter(debug))
    _attach(logger, console)

    if log_path is not None:
        log_path = Path(log_path)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(log_path, mode="a", encoding="utf-8")
        handler.setLevel(file_level)
        handler.setFormatter(_UtcFormatter(FILE_FORMAT))
        _attach(logger, handler)
    logger.setLevel(min(file_level if log_path is not None else console_level, console_level))
    return log_path


def _attach(logger: logging.Logger, handler: logging.Handler) -> None:
    setattr(handler, _TAG, True)
    logger.addHandler(handler)


def logging_configured() -> bool:
    """True while handlers of :func:`configure_logging` are attached (console, and file if any).

    Error reporting can use it to decide between ``log.error`` (which then reaches stderr and
    the report file) and a plain print to stderr.
    """
    return any(getattr(h, _TAG, False) for h in logging.getLogger(PACKAGE_LOGGER).handlers)


def close_logging() -> list[Path]:
    """Flush, close and remove the run's handlers; returns the log files that were open."""
    logger = logging.getLogger(PACKAGE_LOGGER)
    closed: list[Path] = []
    for handler in list(logger.handlers):
        if getattr(handler, _TAG, False):
            handler.flush()
            if isinstance(handler, logging.FileHandler):
                closed.append(Path(handler.baseFilename))
            logger.removeHandler(handler)
            handler.close()
    logger.setLevel(logging.NOTSET)
    return closed


def report_path(log_dir: Path, product_name: str, when: datetime | None = None) -> Path:
    """``<log_dir>/<product name>_<YYYYMMDDTHHMMSS>_report.log`` (Sen2Cor names its report alike)."""
    when = when or datetime.now(timezone.utc)
    return Path(log_dir) / f"{product_name.removesuffix('.SAFE')}_{when:%Y%m%dT%H%M%S}_report.log"


def report_only(logger: logging.Logger, message: str, level: int = logging.INFO) -> None:
    """Write ``message`` to the run's report file(s) only (not to the console), e.g. the final status."""
    record = logger.makeRecord(logger.name, level, "(report)", 0, message, (), None)
    for handler in logging.getLogger(PACKAGE_LOGGER).handlers:
        if getattr(handler, _TAG, False) and isinstance(handler, logging.FileHandler) and level >= handler.level:
            handler.handle(record)


def report_lines(logger: logging.Logger, messages: list[str], level: int = logging.INFO) -> str:
    """``messages`` formatted as lines of the report file (timestamp, level, module), for writing them
    into a copy of the report without logging them (e.g. the final status inside the product)."""
    formatter = _UtcFormatter(FILE_FORMAT)
    records = (logger.makeRecord(logger.name, level, "(report)", 0, m, (), None) for m in messages)
    return "".join(formatter.format(record) + "\n" for record in records)
