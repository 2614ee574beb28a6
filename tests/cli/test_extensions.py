"""Options of this re-implementation beyond Sen2Cor's: --cog, --stac, --no_quicklook (usage and effects)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from sen2cor.cli import main
from sen2cor.export import stac
from sen2cor.testing import make_l1c


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=120, seed=8)


def _run(l1c: Path, tmp_path: Path, monkeypatch, *options: str) -> Path:
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    out = tmp_path / "out"
    assert main([str(l1c), "--resolution", "20", "--output_dir", str(out), *options]) == 0
    (product,) = out.glob("S2A_MSIL2A_*.SAFE")
    return product


def test_quicklook_by_default_and_not_with_no_quicklook(l1c, tmp_path, monkeypatch):
    product = _run(l1c, tmp_path / "a", monkeypatch)
    assert len(list(product.glob("GRANULE/*/QI_DATA/T*_quicklook.png"))) == 1
    assert "_quicklook.png" in (product / "manifest.safe").read_text()
    product = _run(l1c, tmp_path / "b", monkeypatch, "--no_quicklook")
    assert not list(product.rglob("*quicklook*"))


def test_stac_with_tif_types_the_assets_as_plain_geotiff(l1c, tmp_path, monkeypatch):
    product = _run(l1c, tmp_path, monkeypatch, "--tif", "--stac", "--no_quicklook")
    item = json.loads(stac.item_path(product).read_text())
    tif = [a for a in item["assets"].values() if a["href"].endswith(".tif")]
    assert tif and {a["type"] for a in tif} == {stac.GEOTIFF}
    assert all((product.parent / a["href"]).is_file() for a in item["assets"].values())
    assert not list(product.glob("GRANULE/*/IMG_DATA/R*m/*.jp2"))


def test_raw_excludes_cog(l1c, tmp_path, capsys):
    assert main([str(l1c), "--output_dir", str(tmp_path), "--raw", "--cog"]) == 1
    assert "--raw and --cog are exclusive" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_stac_refused_in_process_tile_mode(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    code = main(["--mode", "process_tile", "--datastrip", str(tmp_path / "ds"), "--tile", str(tmp_path / "tl"),
                 "--output_dir", str(tmp_path / "out"), "--stac"])
    assert code == 1
    assert "--stac is not supported with --mode process_tile" in capsys.readouterr().err


def test_stac_without_its_packages_fails_before_processing(l1c, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(stac, "REQUIRED", ("sen2cor_not_a_package.sub",))
    assert main([str(l1c), "--output_dir", str(tmp_path / "out"), "--stac"]) == 1
    assert "--stac needs the Python package sen2cor_not_a_package" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
