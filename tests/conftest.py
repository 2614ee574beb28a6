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


def shared_params(paths: list, what: str) -> list:
    """Parameters from files under ../shared, or one parameter that skips with a reason when there are none
    (an empty list would make pytest report an anonymous "empty parameter set")."""
    if paths:
        return list(paths)
    reason = f"real reference material not available: no {what} under {REAL} (the ../shared checkout is absent)"
    return [pytest.param(None, id="no-shared", marks=pytest.mark.skip(reason=reason))]
