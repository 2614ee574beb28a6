"""Every fault test runs with its own SEN2COR_HOME (GIPP copy and logs in a temporary folder)."""
from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("SEN2COR_HOME", str(home))
    return home
