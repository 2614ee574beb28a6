"""One small generated product shared by the tests of this folder (generation takes a few seconds)."""
from __future__ import annotations

from pathlib import Path

import pytest

from sen2cor.testing import make_l1c, read_truth


@pytest.fixture(scope="session")
def product(tmp_path_factory) -> Path:
    """A 600 x 600 px (10 m) S2A product of the default mixed scene, seed 3."""
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=600, seed=3, spacecraft="S2A",
                    acquisition_date="2022-10-05", scene="mixed", atmosphere="analytic")


@pytest.fixture(scope="session")
def truth(product: Path) -> dict:
    return read_truth(product.parent / (product.stem + "_truth.h5"))


@pytest.fixture(scope="session")
def granule(product: Path) -> Path:
    (g,) = (product / "GRANULE").iterdir()
    return g
