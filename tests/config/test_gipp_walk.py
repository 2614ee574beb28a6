"""No silent inputs (issue 13 item 9): every element of the four packaged GIPPs and every L2A_Process option
has a row in docs/configuration.md saying where it is read, what it changes and which test shows it, or
why it has no effect (ignored by Sen2Cor, fixed by the schema, validation only); the test walks the files
and checks each claimed reader really reads the claimed attribute and each named test exists."""
from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
from lxml import etree

from sen2cor.cli import build_parser
from sen2cor.config.resources import cfg_dir

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "configuration.md"
GIPPS = ("L2A_GIPP.xml", "L2A_CAL_SC_GIPP.xml", "L2A_CAL_AC_GIPP.xml", "L2A_PB_GIPP.xml")
#: Elements wired by other items of issue 13 on other branches; their rows say so. Empty since items 1, 2
#: (ESA-CCI maps, snow climatology, L1C quality masks) and 7 (Lib_Dir) are merged.
WIRED_IN_PARALLEL: set[str] = set()
#: Statuses of rows without a reader in the processing code (the effect cell gives the reason and source).
NO_EFFECT = ("ignored by sen2cor", "fixed by the schema", "validation only", "parallel")
_READ = re.compile(r"`([A-Za-z_][A-Za-z0-9_]*)` in `([A-Za-z0-9_.]+)`")
_TEST = re.compile(r"`(tests/[A-Za-z0-9_/]+\.py)::([A-Za-z0-9_]+)`")
_TICKED = re.compile(r"`([^`]+)`")


def gipp_elements(name: str) -> set[str]:
    """``file:path`` of every leaf element and attribute (repeated elements once, no indices)."""
    root = etree.parse(str(cfg_dir() / name)).getroot()
    found = set()
    for node in root.iter():
        if not isinstance(node.tag, str) or node is root:
            continue
        path = "/".join(etree.QName(n).localname for n in reversed(list(node.iterancestors())) if n is not root)
        path = (path + "/" if path else "") + etree.QName(node).localname
        if not any(isinstance(c.tag, str) for c in node):
            found.add(f"{name}:{path}")
        found |= {f"{name}:{path}@{a}" for a in node.attrib if not a.startswith("{")}
    return found


def doc_rows(marker: str) -> list[list[str]]:
    """Cells of the table that follows ``<!-- marker -->`` in docs/configuration.md (header skipped)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(f"<!-- {marker} -->")
    rows = []
    for line in lines[start + 1:]:
        if not line.startswith("|"):
            if rows:
                break
            continue
        rows.append([c.strip() for c in line.strip().strip("|").split(" | ")])
    assert len(rows) > 2, marker
    return rows[2:]


def documented() -> dict[str, list[str]]:
    """``file:path`` -> its row, for the four GIPP tables."""
    out: dict[str, list[str]] = {}
    for name in GIPPS:
        for row in doc_rows(f"gipp-table: {name}"):
            for element in _TICKED.findall(row[0]):
                key = f"{name}:{element}"
                assert key not in out, f"{key} has two rows"
                out[key] = row
    return out


def _function(dotted: str):
    parts = dotted.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for attr in parts[i:]:
            obj = inspect.getattr_static(obj, attr)
        return obj.fget if isinstance(obj, property) else getattr(obj, "__func__", obj)
    raise AssertionError(f"{dotted} is not an importable function")


def check_row(key: str, row: list[str], reader_cell: int, effect_cell: int, test_cell: int) -> None:
    reads = _READ.findall(row[reader_cell])
    status = row[reader_cell].lower()
    if not reads:
        assert status.startswith(NO_EFFECT), f"{key}: no reader and no documented reason ({row[reader_cell]!r})"
        assert len(row[effect_cell]) > 20, f"{key}: the reason needs its source"
        if status.startswith("parallel"):
            assert key in WIRED_IN_PARALLEL, f"{key}: only the elements of WIRED_IN_PARALLEL may say parallel"
        return
    for attribute, dotted in reads:
        source = inspect.getsource(_function(dotted))
        assert re.search(rf"\b{attribute}\b", source), f"{key}: {dotted} does not read {attribute}"
    tests = _TEST.findall(row[test_cell])
    assert tests, f"{key}: no test shows the effect"
    for path, name in tests:
        text = (REPO / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {name}\(", text, re.M), f"{key}: {path}::{name} does not exist"


def test_every_packaged_gipp_element_has_a_row():
    rows = documented()
    walked = set().union(*(gipp_elements(name) for name in GIPPS))
    assert sorted(walked - set(rows)) == [], "elements without a row in docs/configuration.md"
    assert sorted(set(rows) - walked) == [], "rows naming no element of the packaged GIPPs"


@pytest.mark.parametrize("key", sorted(set().union(*(gipp_elements(name) for name in GIPPS))))
def test_each_element_is_read_where_documented_or_has_a_reason(key):
    rows = documented()
    if key in rows:   # a missing row fails the test above
        check_row(key, rows[key], 2, 3, 4)


def test_every_option_has_a_row_read_where_documented():
    options = {a.dest for a in build_parser()._actions if a.dest != "help"}
    rows = {}
    for row in doc_rows("options-table"):
        for name in _TICKED.findall(row[0]):
            rows[name.lstrip("-")] = row
    assert sorted(options - set(rows)) == [] and sorted(set(rows) - options) == []
    for name, row in rows.items():
        check_row(name, row, 1, 2, 3)
