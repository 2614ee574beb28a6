"""L1C inputs for the product tests: real metadata assembled by tests.l1c.builders, read by sen2cor.l1c."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sen2cor.l1c import read_l1c_product
from tests.conftest import shared_path
from tests.l1c.builders import assemble, edit_xml

GENERATED = datetime(2025, 3, 4, 5, 6, 7, 890000, tzinfo=UTC)
OFFICIAL_N0400 = ("l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")
OFFICIAL_N0511 = ("l2a", "S2B_MSIL2A_20241115T100159_N0511_R122_T32TQM_20241115T125542.SAFE")
OFFICIAL_N0211 = ("l2a", "S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE")


def build_l1c(tmp_path: Path, key: str, *, psd15: bool = False):
    """Assemble the real-metadata L1C ``key`` (see tests.l1c.builders.REAL_L1C) and read it."""
    folder = tmp_path / "input"
    folder.mkdir(exist_ok=True)
    safe = assemble(folder, key, datastrip_mtd=True)
    if key == "N0510":
        source = shared_path("data", "real", "l1c", safe.name, "INSPIRE.xml")
        shutil.copyfile(source, safe / "INSPIRE.xml")
    if psd15:
        edit_xml(safe / "MTD_MSIL1C.xml", "psd-14.sentinel2", "psd-15.sentinel2", count=10)
    return read_l1c_product(safe)


@pytest.fixture
def l1c_n0206(tmp_path):
    """PSD 14.3 / baseline 02.06 input (no radiometric offset, GML masks)."""
    return build_l1c(tmp_path, "N0206")


@pytest.fixture
def l1c_n0510(tmp_path):
    """PSD 14.x / baseline 05.10 input (offset -1000, JPEG 2000 masks)."""
    return build_l1c(tmp_path, "N0510")


@pytest.fixture
def l1c_psd15(tmp_path):
    """The baseline 05.10 input declared as PSD 15 (namespace psd-15)."""
    return build_l1c(tmp_path, "N0510", psd15=True)


@pytest.fixture
def out_dir(tmp_path) -> Path:
    path = tmp_path / "output"
    path.mkdir()
    return path


def official(*parts: str) -> Path:
    return shared_path("data", "real", *parts)
