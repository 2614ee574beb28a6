"""Shared fixtures: where the real Sentinel-2 material lives and how to skip without it."""
from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
#: ../shared beside the checkout (CI has it; user machines do not).
SHARED = REPO.parent / "shared"
REAL = SHARED / "data" / "real"


def shared_path(*parts: str) -> Path:
    """Path under ../shared, or skip the calling test with a clear reason when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real reference material not available: {path} (the ../shared checkout is absent)")
    return path


@pytest.fixture
def real_dir() -> Path:
    """../shared/data/real, or skip."""
    return shared_path("data", "real")
