"""Fixtures of the PDGS tests (inputs built by tests.pdgs.builders)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sen2cor.config import load_config


@pytest.fixture(scope="module")
def generated_l1c(tmp_path_factory) -> Path:
    """A 60 x 60 px compact L1C (baseline 05.10) from sen2cor.testing (its DS_* and L1C_T* folders)."""
    from sen2cor.testing import make_l1c

    return make_l1c(tmp_path_factory.mktemp("generated"), size_px=60, seed=3, tile_id="29UNU")


@pytest.fixture
def compact_inputs(generated_l1c, tmp_path) -> tuple[Path, Path]:
    """Copies of the generated product's DS_* and L1C_T* folders (tests may modify them)."""
    ds = next((generated_l1c / "DATASTRIP").iterdir())
    tile = next((generated_l1c / "GRANULE").iterdir())
    target = tmp_path / "in"
    shutil.copytree(ds, target / ds.name)
    shutil.copytree(tile, target / tile.name)
    return target / ds.name, target / tile.name


@pytest.fixture
def config(tmp_path):
    """Default configuration with SEN2COR_HOME in tmp_path."""
    return load_config(home=tmp_path / "home")


