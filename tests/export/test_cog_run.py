"""``L2A_Process --cog --stac`` end to end on a generated product: every image a valid COG (GDAL's and
rio-cogeo's validators) whose band metadata give physical values, metadata listing the .tif files, a STAC
item valid against the core schema that odc-stac reads back, and the quicklook."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.io.gdal_io import category_names, cog_errors
from sen2cor.testing import make_l1c

#: 600 px at 10 m: the 10 m images are larger than one 512-px tile, so they need overviews.
SIZE_PX = 600
#: Files of the L1C QI_DATA copied as they are (not outputs of the processor).
COPIED_L1C_MASKS = ("MSK_DETFOO", "MSK_QUALIT", "MSK_CLASSI")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("cog")
    l1c = make_l1c(base / "l1c", size_px=SIZE_PX, seed=11)
    mp = pytest.MonkeyPatch()
    mp.setenv("SEN2COR_HOME", str(base / "home"))
    try:
        assert main([str(l1c), "--resolution", "10", "--output_dir", str(base / "out"), "--cog", "--stac"]) == 0
        loaded_rasterio = "rasterio" in sys.modules
    finally:
        mp.undo()
    (product,) = (base / "out").glob("S2A_MSIL2A_*.SAFE")
    return product, loaded_rasterio


def _granule(product: Path) -> Path:
    (granule,) = product.glob("GRANULE/L2A_*")
    return granule


def _images(product: Path) -> list[Path]:
    granule = _granule(product)
    files = sorted(granule.glob("IMG_DATA/R*m/*")) + sorted(granule.glob("QI_DATA/*"))
    return [f for f in files if f.suffix in (".tif", ".jp2") and not f.name.startswith(COPIED_L1C_MASKS)]


def _mtd_value(path: Path, name: str) -> str:
    """Text of element ``name`` (the same in every occurrence, e.g. BOA_ADD_OFFSET of each band)."""
    values = {e.text.strip() for e in etree.parse(str(path)).getroot().iter(f"{{*}}{name}", name)}
    assert len(values) == 1, (name, values)
    return values.pop()


def test_every_image_is_a_valid_cog(run):
    product, _ = run
    images = _images(product)
    layers = {f.stem.split("_")[-2] if "_PVI" not in f.stem else "PVI" for f in images}
    assert layers >= {"B02", "B12", "AOT", "WVP", "SCL", "TCI", "CLDPRB", "SNWPRB", "PVI"}
    assert all(f.suffix == ".tif" for f in images), [f.name for f in images if f.suffix != ".tif"]
    for path in images:
        assert cog_errors(path) == [], path.name
    datasets = [gdal.Open(str(f)) for f in images]   # kept open: a band must not outlive its dataset
    big = [ds for ds in datasets if ds.RasterXSize > 512]
    assert big and all(ds.GetRasterBand(1).GetOverviewCount() >= 1 for ds in big)


def test_rio_cogeo_validates_every_image(run):
    """The independent validator (rio-cogeo, on rasterio's own GDAL: run in a child process)."""
    product, _ = run
    script = textwrap.dedent("""
        import sys
        from rio_cogeo.cogeo import cog_validate
        bad = [(p, cog_validate(p, strict=True)) for p in sys.argv[1:]]
        print([(p, e, w) for p, (ok, e, w) in bad if not ok or e or w])
    """)
    paths = [str(p) for p in _images(product)]
    done = subprocess.run([sys.executable, "-c", script, *paths], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"


def test_band_scale_and_offset_give_the_metadata_reflectance(run):
    """Reader's value = DN x scale + offset must equal (DN + BOA_ADD_OFFSET) / BOA_QUANTIFICATION_VALUE of
    MTD_MSIL2A.xml, AOT = DN / AOT_QUANTIFICATION_VALUE, WV = DN / WVP_QUANTIFICATION_VALUE cm."""
    product, _ = run
    mtd = product / "MTD_MSIL2A.xml"
    quantification = float(_mtd_value(mtd, "BOA_QUANTIFICATION_VALUE"))
    offset = float(_mtd_value(mtd, "BOA_ADD_OFFSET"))
    img = _granule(product) / "IMG_DATA" / "R20m"
    (b8a,) = img.glob("*_B8A_20m.tif")
    ds = gdal.Open(str(b8a))
    band = ds.GetRasterBand(1)
    dn = band.ReadAsArray().astype(np.float64)
    valid = dn > 0
    np.testing.assert_allclose(dn[valid] * band.GetScale() + band.GetOffset(),
                               (dn[valid] + offset) / quantification, atol=1e-9)
    assert band.GetNoDataValue() == 0 and band.GetDescription() == "B8A"
    for layer, element, unit in (("AOT", "AOT_QUANTIFICATION_VALUE", ""), ("WVP", "WVP_QUANTIFICATION_VALUE", "cm")):
        (path,) = img.glob(f"*_{layer}_20m.tif")
        ds = gdal.Open(str(path))
        band = ds.GetRasterBand(1)
        assert band.GetScale() == pytest.approx(1 / float(_mtd_value(mtd, element)))
        assert (band.GetOffset() or 0.0) == 0.0 and band.GetUnitType() == unit


def test_scl_carries_sen2cor_colours_and_class_names(run):
    product, _ = run
    (scl,) = (_granule(product) / "IMG_DATA" / "R20m").glob("*_SCL_20m.tif")
    names = category_names(scl)
    ds = gdal.Open(str(scl))
    band = ds.GetRasterBand(1)
    # the labels of manual Table 2-1 and the usual SCL palette (vegetation green, water blue, cirrus light blue)
    assert names[4] == "VEGETATION" and names[6] == "WATER" and names[10] == "THIN_CIRRUS" and len(names) == 12
    table = band.GetColorTable()
    assert table.GetColorEntry(4)[:3] == (0, 160, 0)
    assert table.GetColorEntry(6)[:3] == (0, 0, 255)
    assert table.GetColorEntry(9)[:3] == (255, 255, 255)


def test_metadata_lists_the_tif_files(run):
    product, _ = run
    mtd = (product / "MTD_MSIL2A.xml").read_text()
    images = sorted((_granule(product) / "IMG_DATA").glob("R*m/*.tif"))
    assert images and all(f.relative_to(product).with_suffix("").as_posix() in mtd for f in images)
    assert 'imageFormat="GeoTIFF"' in mtd
    manifest = (product / "manifest.safe").read_text()
    assert all(f.name in manifest for f in images)


def test_stac_item_is_valid_relative_and_matches_the_metadata(run):
    product, _ = run
    item_file = product.with_name(product.name.removesuffix(".SAFE") + ".json")
    item = json.loads(item_file.read_text())
    with warnings.catch_warnings():   # LocalValidator: the core schemas shipped with pystac (offline)
        warnings.simplefilter("ignore", DeprecationWarning)
        from pystac.validation.local_validator import LocalValidator

        LocalValidator().item_validator(item["stac_version"]).validate(item)
    hrefs = [asset["href"] for asset in item["assets"].values()]
    assert all(h.startswith(f"./{product.name}/") for h in hrefs)
    assert all((item_file.parent / h).is_file() for h in hrefs)
    tif_types = {a["type"] for a in item["assets"].values() if a["href"].endswith(".tif")}
    assert tif_types == {"image/tiff; application=geotiff; profile=cloud-optimized"}
    tile_mtd = _granule(product) / "MTD_TL.xml"
    assert item["properties"]["eo:cloud_cover"] == pytest.approx(
        float(_mtd_value(tile_mtd, "CLOUDY_PIXEL_PERCENTAGE")), abs=1e-6)
    assert item["properties"]["proj:code"] == f"EPSG:{_mtd_value(tile_mtd, 'HORIZONTAL_CS_CODE').split(':')[-1]}"
    assert not list(product.parent.glob(".*"))   # no partial item or temporary folder left


def test_odc_stac_reads_a_band_back(run):
    """A STAC-aware reader opens the item and gets the product's pixels (child process: rasterio's GDAL)."""
    product, _ = run
    item_file = product.with_name(product.name.removesuffix(".SAFE") + ".json")
    (b11,) = (_granule(product) / "IMG_DATA" / "R20m").glob("*_B11_20m.tif")
    script = textwrap.dedent("""
        import sys, numpy as np, pystac, odc.stac
        item = pystac.Item.from_file(sys.argv[1])
        data = odc.stac.load([item], bands=["swir16"], resolution=20, chunks=None)
        np.save(sys.argv[2], data["swir16"].values[0])
    """)
    out = product.parent / "b11.npy"
    done = subprocess.run([sys.executable, "-c", script, str(item_file), str(out)], capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    np.testing.assert_array_equal(np.load(out), gdal.Open(str(b11)).ReadAsArray())
    out.unlink()


def test_the_run_keeps_rasterio_out_of_its_process(run):
    _, loaded_rasterio = run
    assert not loaded_rasterio


def test_quicklook_is_written(run):
    product, _ = run
    (png,) = (_granule(product) / "QI_DATA").glob("*_quicklook.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
