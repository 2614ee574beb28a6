"""Fixtures for the configuration tests: an isolated SEN2COR_HOME and GIPP variants."""
from __future__ import annotations

from pathlib import Path

import pytest

from sen2cor.config.resources import cfg_dir


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point SEN2COR_HOME at a fresh folder so no test touches ~/sen2cor."""
    home = tmp_path / "sen2cor_home"
    monkeypatch.setenv("SEN2COR_HOME", str(home))
    return home


@pytest.fixture
def gipp_variant(tmp_path: Path):
    """Write a copy of a packaged GIPP with text replacements; each replacement must apply once."""

    def make(name: str, *replacements: tuple[str, str], filename: str | None = None) -> Path:
        text = (cfg_dir() / name).read_text(encoding="utf-8")
        for old, new in replacements:
            assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {name}"
            text = text.replace(old, new)
        path = tmp_path / "variants" / (filename or name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return make
