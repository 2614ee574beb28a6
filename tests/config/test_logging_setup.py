"""One log file per run (timestamp, level, module, function, line), short console, idempotent set-up."""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone

import pytest

from sen2cor.run.logging_setup import (
    close_logging, configure_logging, level_number, logging_configured, report_path,
)

log = logging.getLogger("sen2cor.test_logging")
LINE = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\w+) +(sen2cor\.test_logging) (\w+):(\d+) (.*)$")


@pytest.fixture(autouse=True)
def _closed():
    yield
    close_logging()


def _emit_all():
    log.debug("a debug line")
    log.info("an info line")
    log.warning("a warning line")


def test_file_lines_carry_timestamp_level_module_function_and_line(tmp_path):
    path = configure_logging(tmp_path / "log" / "run_report.log", "INFO")
    _emit_all()
    here = _emit_all.__code__.co_firstlineno                # line of "def _emit_all"
    assert close_logging() == [path]
    lines = path.read_text().splitlines()
    assert len(lines) == 2                                   # DEBUG filtered by Log_Level INFO
    match = LINE.match(lines[0])
    assert match, lines[0]
    stamp, level, module, function, lineno, message = match.groups()
    assert (level, module, function, message) == ("INFO", "sen2cor.test_logging", "_emit_all", "an info line")
    assert int(lineno) == here + 2                           # log.info is the 2nd line of the body
    when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    assert abs((datetime.now(timezone.utc) - when).total_seconds()) < 60
    assert LINE.match(lines[1]).group(2) == "WARNING"


def test_gipp_level_and_debug_override(tmp_path):
    quiet = configure_logging(tmp_path / "quiet.log", "ERROR")
    _emit_all()
    close_logging()
    assert quiet.read_text() == ""
    loud = configure_logging(tmp_path / "loud.log", "ERROR", debug=True)
    _emit_all()
    close_logging()
    assert [LINE.match(line).group(2) for line in loud.read_text().splitlines()] == ["DEBUG", "INFO", "WARNING"]


def test_console_is_short_and_hides_tracebacks(tmp_path, capsys):
    configure_logging(tmp_path / "r.log", "DEBUG")
    _emit_all()
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        log.error("processing failed", exc_info=True)
    close_logging()
    err = capsys.readouterr().err.splitlines()
    assert err == ["an info line", "WARNING: a warning line", "ERROR: processing failed"]
    report = (tmp_path / "r.log").read_text()
    assert "Traceback" in report and "RuntimeError: boom" in report and "a debug line" in report


def test_console_shows_debug_and_tracebacks_with_debug(capsys):
    configure_logging(None, "INFO", debug=True)
    try:
        raise ValueError("bad")
    except ValueError:
        log.error("failed", exc_info=True)
    log.debug("details")
    close_logging()
    err = capsys.readouterr().err
    assert "ERROR: failed" in err and "ValueError: bad" in err and "details" in err


def test_repeated_configuration_does_not_duplicate_handlers(tmp_path, capsys):
    for i in range(3):
        configure_logging(tmp_path / f"run{i}.log", "INFO")
        log.info("run %d", i)
    close_logging()
    assert capsys.readouterr().err.splitlines() == ["run 0", "run 1", "run 2"]
    assert [(tmp_path / f"run{i}.log").read_text().count("\n") for i in range(3)] == [1, 1, 1]
    ours = [h for h in logging.getLogger("sen2cor").handlers if getattr(h, "_sen2cor_run_handler", False)]
    assert ours == [] and not logging_configured()
    configure_logging(None)
    assert logging_configured()


def test_closed_log_can_be_copied_complete(tmp_path):
    path = configure_logging(tmp_path / "r.log", "INFO")
    for i in range(200):
        log.info("line %d", i)
    close_logging()
    copy = tmp_path / "product" / "report.log"
    copy.parent.mkdir()
    copy.write_bytes(path.read_bytes())
    assert copy.read_text().count("\n") == 200 and "line 199" in copy.read_text()
    log.info("after close")                                   # no handler of ours any more
    assert "after close" not in path.read_text()


def test_level_names_and_report_path(tmp_path):
    assert level_number("NOTSET") == logging.DEBUG and level_number("warning") == logging.WARNING
    with pytest.raises(ValueError, match="VERBOSE"):
        level_number("VERBOSE")
    when = datetime(2024, 5, 1, 10, 20, 30, tzinfo=timezone.utc)
    assert report_path(tmp_path, "S2A_MSIL2A_X.SAFE", when) == tmp_path / "S2A_MSIL2A_X_20240501T102030_report.log"
