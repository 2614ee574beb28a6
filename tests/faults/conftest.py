"""Every fault test runs with its own SEN2COR_HOME (GIPP copy and logs in a temporary folder), on a private
copy of one small generated L1C product."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from sen2cor.testing import make_l1c
from tests.faults.helpers import SEEN, copy_product

SIZE_10M = 120  # 60 x 60 at 20 m, 20 x 20 at 60 m: every run takes well under a second


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SEN2COR_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=SIZE_10M, seed=1, write_truth=False)


@pytest.fixture
def product(l1c, tmp_path) -> Path:
    """A private copy of the L1C product, free to damage."""
    return copy_product(l1c, tmp_path / "input")


@pytest.fixture(autouse=True)
def matrix_row(request):
    """A test registered as a fault case (tests.faults.cases) must have seen its documented exit code(s) and
    message: the table in docs/faults.md states what the tests observed."""
    SEEN.clear()
    yield
    case = getattr(request.node.function, "case", None)
    if case is None or not SEEN or getattr(request.node, "rep_call_failed", True):
        return
    codes = {code for code, _ in SEEN}
    expected = {int(c) for c in re.findall(r"-?\d+", case.exit_code)}
    assert codes <= expected or not expected, (f"{case.fault}: exit code(s) {sorted(codes)} seen, the matrix says "
                                               f"{case.exit_code}")
    assert any(case.message in text for _, text in SEEN), f"{case.fault}: {case.message!r} never seen"


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    if call.when == "call":
        item.rep_call_failed = outcome.get_result().failed
