"""docs/api.md: every ```python block runs, in order, in one namespace (the page's examples are tests)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def _blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_page_has_examples():
    assert len(_blocks()) >= 5


def test_examples_run_in_order(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    namespace: dict[str, object] = {"__name__": "api_md"}
    for number, block in enumerate(_blocks(), 1):
        try:
            exec(compile(block, f"{DOC.name} block {number}", "exec"), namespace)
        except Exception as exc:  # name the block that failed
            pytest.fail(f"{DOC.name} block {number} failed: {type(exc).__name__}: {exc}\n{block}")
