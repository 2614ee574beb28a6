"""Shared by the option tests: a small generated L1C product and one L2A_Process run into a product."""
from __future__ import annotations

from pathlib import Path

import pytest

from sen2cor.cli import main
from sen2cor.testing import make_l1c


@pytest.fixture(scope="module")
def small_l1c(tmp_path_factory) -> Path:
    """120 x 120 px generated L1C product (seed 8), one per test module."""
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=120, seed=8)


@pytest.fixture
def run_20m(tmp_path, monkeypatch):
    """``run_20m(l1c, folder, *options)``: L2A_Process --resolution 20 into ``folder``/out (exit 0 expected),
    SEN2COR_HOME in ``folder``/home; returns the product folder."""
    def run(l1c: Path, folder: Path, *options: str) -> Path:
        monkeypatch.setenv("SEN2COR_HOME", str(folder / "home"))
        out = folder / "out"
        assert main([str(l1c), "--resolution", "20", "--output_dir", str(out), *options]) == 0
        (product,) = out.glob("S2A_MSIL2A_*.SAFE")
        return product
    return run
