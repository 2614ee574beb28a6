"""Options of this re-implementation beyond Sen2Cor's: --cog, --stac, --no_quicklook (usage and effects)."""
from __future__ import annotations

import json
import warnings

import pytest
from lxml import etree

from sen2cor.cli import main
from sen2cor.export import stac
from sen2cor.testing.pdgs import write_pdgs_inputs

COG_TYPE = "image/tiff; application=geotiff; profile=cloud-optimized"


def test_quicklook_by_default_and_not_with_no_quicklook(small_l1c, tmp_path, run_20m):
    product = run_20m(small_l1c, tmp_path / "a")
    assert len(list(product.glob("GRANULE/*/QI_DATA/T*_quicklook.png"))) == 1
    assert "_quicklook.png" in (product / "manifest.safe").read_text()
    product = run_20m(small_l1c, tmp_path / "b", "--no_quicklook")
    assert not list(product.rglob("*quicklook*"))


def test_stac_with_tif_types_the_assets_as_plain_geotiff(small_l1c, tmp_path, run_20m):
    product = run_20m(small_l1c, tmp_path, "--tif", "--stac", "--no_quicklook")
    item = json.loads(stac.item_path(product).read_text())
    tif = [a for a in item["assets"].values() if a["href"].endswith(".tif")]
    assert tif and {a["type"] for a in tif} == {stac.GEOTIFF}
    assert all((product.parent / a["href"]).is_file() for a in item["assets"].values())
    assert not list(product.glob("GRANULE/*/IMG_DATA/R*m/*.jp2"))


def test_raw_excludes_cog(small_l1c, tmp_path, capsys):
    assert main([str(small_l1c), "--output_dir", str(tmp_path), "--raw", "--cog"]) == 1
    assert "--raw and --cog are exclusive" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_stac_refused_for_a_datastrip(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    code = main(["--mode", "generate_datastrip", "--datastrip", str(tmp_path / "ds"), "--output_dir",
                 str(tmp_path / "out"), "--processing_centre", "EDRS", "--archiving_centre", "SGS_", "--stac"])
    assert code == 1
    assert "--stac is not supported with --mode generate_datastrip" in capsys.readouterr().err


def test_stac_item_per_pdgs_tile(small_l1c, tmp_path, monkeypatch):
    """process_tile --stac --cog: <tile folder>.json beside the tile, valid against the core schema, relative
    hrefs to existing COGs, the tile's cloud cover, and the BOA offset of the L2A datastrip."""
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    inputs = write_pdgs_inputs(small_l1c, tmp_path / "in")
    assert main(["--mode", "generate_datastrip", "--datastrip", str(inputs.datastrip_dir), "--output_dir",
                 str(tmp_path / "ds"), "--processing_centre", "EDRS", "--archiving_centre", "SGS_"]) == 0
    (l2a_ds,) = (tmp_path / "ds").iterdir()
    assert main(["--mode", "process_tile", "--datastrip", str(l2a_ds), "--tile", str(inputs.tile_dir), "--output_dir",
                 str(tmp_path / "tiles"), "--archiving_centre", "SGS_", "--resolution", "20", "--cog", "--stac"]) == 0
    (tile,) = [p for p in (tmp_path / "tiles").iterdir() if p.is_dir()]
    item = json.loads(stac.item_path(tile).read_text())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from pystac.validation.local_validator import LocalValidator

        LocalValidator().item_validator(item["stac_version"]).validate(item)
    assert item["id"] == tile.name
    hrefs = {key: asset["href"] for key, asset in item["assets"].items()}
    assert all(h.startswith(f"./{tile.name}/") and (tile.parent / h).is_file() for h in hrefs.values())
    assert hrefs["scl"].endswith("_SCL_20m.tif") and item["assets"]["scl"]["type"] == COG_TYPE
    (mtd,) = tile.glob("MTD_TL.xml")
    cloud = next(e.text for e in etree.parse(str(mtd)).getroot().iter("{*}CLOUDY_PIXEL_PERCENTAGE"))
    assert item["properties"]["eo:cloud_cover"] == pytest.approx(float(cloud))
    offsets = {e.text for e in etree.parse(str(l2a_ds / "MTD_DS.xml")).getroot().iter("{*}BOA_ADD_OFFSET")}
    (offset,) = offsets
    assert item["assets"]["red_20m"]["raster:bands"][0]["offset"] == pytest.approx(float(offset) / 10000)


def test_stac_without_its_packages_fails_before_processing(small_l1c, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(stac, "REQUIRED", ("sen2cor_not_a_package.sub",))
    assert main([str(small_l1c), "--output_dir", str(tmp_path / "out"), "--stac"]) == 1
    assert "--stac needs the Python package sen2cor_not_a_package" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_quicklook_without_tci_files(small_l1c, tmp_path, run_20m):
    """Generate_TCI_Output FALSE: no TCI file, the quicklook's true colour comes from B04, B03, B02."""
    from sen2cor.config.resources import cfg_dir

    gipp = tmp_path / "L2A_GIPP.xml"
    text = (cfg_dir() / "L2A_GIPP.xml").read_text()
    gipp.write_text(text.replace("<Generate_TCI_Output>TRUE</Generate_TCI_Output>",
                                 "<Generate_TCI_Output>FALSE</Generate_TCI_Output>"))
    product = run_20m(small_l1c, tmp_path, "--GIP_L2A", str(gipp))
    assert not list(product.glob("GRANULE/*/IMG_DATA/R*m/*_TCI_*"))
    (png,) = product.glob("GRANULE/*/QI_DATA/*_quicklook.png")
    from PIL import Image

    picture = Image.open(png).convert("RGB")
    left = [picture.getpixel((12 + x, 40 + y)) for x in range(100, 500, 50) for y in range(100, 500, 50)]
    assert len(set(left)) > 3   # a picture, not an empty panel
