"""Small generated L1C products (120 x 120 px, one acquisition date each) and L2A_Batch run as a command."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from lxml import etree

from sen2cor.testing import make_l1c

DATES = ("2022-10-05", "2022-10-15", "2022-10-25", "2022-11-04")


@pytest.fixture(scope="session")
def l1c_products(tmp_path_factory) -> list[Path]:
    """Four L1C products of different dates (the same tile and scene family, different seeds)."""
    root = tmp_path_factory.mktemp("batch_l1c")
    return [make_l1c(root, size_px=120, seed=20 + i, acquisition_date=d, write_truth=False)
            for i, d in enumerate(DATES)]


def batch_command(*args: object) -> list[str]:
    return [sys.executable, "-m", "sen2cor.batch", *map(str, args)]


def run_batch(*args: object, home: Path, timeout: float = 300.0) -> subprocess.CompletedProcess:
    """L2A_Batch with ``args`` (plain progress lines), its own SEN2COR_HOME; loopback only."""
    env = {**os.environ, "SEN2COR_HOME": str(home)}
    return subprocess.run(batch_command(*args, "--progress", "lines"), capture_output=True, text=True, env=env,
                          timeout=timeout)


def tile_qi(product: Path) -> dict[str, str]:
    """Image_Content_QI of the product's (or PDGS tile's) MTD_TL.xml, read here independently of sen2cor."""
    (mtd,) = list(product.glob("GRANULE/L2A_T*/MTD_TL.xml")) or [product / "MTD_TL.xml"]
    (content,) = etree.parse(str(mtd)).getroot().xpath("//*[local-name()='Image_Content_QI']")
    return {etree.QName(e).localname: e.text for e in content}


def tree_digest(folder: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime_ns) of every file below ``folder``: equal before and after means untouched."""
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}
