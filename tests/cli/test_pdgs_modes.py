"""L2A_Process --mode generate_datastrip / process_tile from the command line (manual §3.3.1).

The processed PDGS tile must hold what a Toolbox run of the same L1C writes into its granule: its
radiometry comes from the datastrip metadata instead of MTD_MSIL1C.xml, so equal images prove the
adaptation faithful.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.testing import make_l1c
from sen2cor.testing.pdgs import write_pdgs_inputs

gdal.UseExceptions()
SIZE_PX = 120          # 10 m pixels: 60 at 20 m, 20 at 60 m
UL = (499980.0, 5900040.0)   # tile 29UNU upper-left corner (UTM 29N), as the generator writes it
_BANDS_20 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12")
LAYERS = {10: ("B02", "B03", "B04", "B08", "TCI", "AOT", "WVP"),
          20: _BANDS_20 + ("TCI", "AOT", "WVP", "SCL"),
          60: _BANDS_20 + ("B09", "TCI", "AOT", "WVP", "SCL")}


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=60, seed=5)


@pytest.fixture(autouse=True)
def _home(tmp_path, monkeypatch):
    monkeypatch.setenv("SEN2COR_HOME", str(tmp_path / "home"))


def test_generate_datastrip_then_process_tile_structure(l1c, tmp_path, capsys):
    ds_l1c = next((l1c / "DATASTRIP").iterdir())
    tile_l1c = next((l1c / "GRANULE").iterdir())
    out, work = tmp_path / "out", tmp_path / "work"
    assert main(["--mode", "generate_datastrip", "--datastrip", str(ds_l1c), "--output_dir", str(out),
                 "--work_dir", str(work), "--processing_centre", "EDRS", "--archiving_centre", "SGS_",
                 "--processing_baseline", "05.11"]) == 0
    (ds_l2a,) = out.iterdir()
    assert ds_l2a.name.startswith("S2A_OPER_MSI_L2A_DS_EDRS_") and ds_l2a.name.endswith("_N05.11")
    tiles = tmp_path / "tiles"
    argv = ["--mode", "process_tile", "--datastrip", str(ds_l2a), "--tile", str(tile_l1c), "--output_dir",
            str(tiles), "--work_dir", str(work), "--cr_only"]
    assert main(argv) == 0
    (tile_l2a,) = tiles.iterdir()
    assert tile_l2a.name.startswith("S2A_OPER_MSI_L2A_TL_EDRS_") and "_T29UNU_" in tile_l2a.name
    assert tile_l2a.name.endswith("_N05.11")
    capsys.readouterr()
    assert main(argv) == 0                                   # second run: already processed, exit 0
    assert "already processed" in capsys.readouterr().err
    assert len(list(tiles.iterdir())) == 1


def test_wrong_datastrip_folder_fails_cleanly(tmp_path, capsys):
    bogus = tmp_path / "not_a_datastrip"
    bogus.mkdir()
    out = tmp_path / "out"
    assert main(["--mode", "generate_datastrip", "--datastrip", str(bogus), "--output_dir", str(out),
                 "--processing_centre", "EDRS", "--archiving_centre", "SGS_"]) == 1
    assert "not_a_datastrip" in capsys.readouterr().err
    assert not out.exists() or list(out.iterdir()) == []


# ------------------------------------------------------------------ process_tile with image processing
@pytest.fixture(scope="module")
def pdgs(tmp_path_factory):
    """Generated L1C product, its PDGS datastrip and tile folders, and the L2A datastrip."""
    root = tmp_path_factory.mktemp("pdgs")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEN2COR_HOME", str(root / "home"))
        safe = make_l1c(root / "gen", size_px=SIZE_PX, seed=5)
        inputs = write_pdgs_inputs(safe, root / "in")
        assert main(["--mode", "generate_datastrip", "--datastrip", str(inputs.datastrip_dir), "--output_dir",
                     str(root / "ds"), "--processing_centre", "EDRS", "--archiving_centre", "SGS_"]) == 0
    (l2a_ds,) = (root / "ds").iterdir()
    return safe, inputs.tile_dir, l2a_ds


def _process_tile(l2a_ds: Path, tile: Path, out: Path, *extra: str) -> int:
    return main(["--mode", "process_tile", "--datastrip", str(l2a_ds), "--tile", str(tile), "--output_dir",
                 str(out), "--archiving_centre", "SGS_", *extra])


def _read(path: Path) -> np.ndarray:
    return gdal.Open(str(path)).ReadAsArray()


def _image(tile: Path, layer: str, res: int) -> Path:
    (path,) = (tile / "IMG_DATA" / f"R{res}m").glob(f"T29UNU_*_{layer}_{res}m.jp2")
    return path


def _local(tree, name: str) -> list[etree._Element]:
    return [e for e in tree.iter() if isinstance(e.tag, str) and etree.QName(e).localname == name]


@pytest.fixture(scope="module")
def processed(pdgs, tmp_path_factory):
    """One --resolution 10 process_tile run (module scope: ~1 s on 2 cores)."""
    _, tile, l2a_ds = pdgs
    out = tmp_path_factory.mktemp("tiles")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEN2COR_HOME", str(out.parent / "home_tiles"))
        assert _process_tile(l2a_ds, tile, out, "--resolution", "10") == 0
    (l2a_tile,) = out.iterdir()
    return out, l2a_tile


def test_every_layer_at_10_20_60_m_with_the_tile_georeferencing(processed):
    _, tile = processed
    assert tile.name.startswith("S2A_OPER_MSI_L2A_TL_EDRS_") and "_A038058_T29UNU_" in tile.name
    for res, layers in LAYERS.items():
        names = sorted(p.name for p in (tile / "IMG_DATA" / f"R{res}m").iterdir())
        assert len(names) == len(layers), names
        for layer in layers:
            ds = gdal.Open(str(_image(tile, layer, res)))
            assert (ds.RasterXSize, ds.RasterYSize) == (SIZE_PX * 10 // res,) * 2
            assert ds.GetGeoTransform() == (UL[0], res, 0.0, UL[1], 0.0, -res)
            assert ds.GetSpatialRef().GetAuthorityCode(None) == "32629"
            expected = "Byte" if layer in ("SCL", "TCI") else "UInt16"
            assert gdal.GetDataTypeName(ds.GetRasterBand(1).DataType) == expected
            assert ds.RasterCount == (3 if layer == "TCI" else 1)
    for name in ("MSK_CLDPRB_20m", "MSK_SNWPRB_20m", "MSK_CLDPRB_60m", "MSK_SNWPRB_60m"):
        mask = _read(tile / "QI_DATA" / f"{name}.jp2")
        assert mask.dtype == np.uint8 and mask.max() <= 100
    assert not list(tile.parent.glob(".*"))                   # no temporary left
    assert not list(tile.parent.glob("*.h5"))                # databases removed


def test_quality_report_and_tile_metadata_are_filled(processed):
    _, tile = processed
    report = etree.parse(str(tile / "QI_DATA" / "L2A_QUALITY.xml"))
    assert _local(report, "File_Class")[0].text == "OPER"
    mtd = etree.parse(str(tile / "MTD_TL.xml"))
    scl = _read(_image(tile, "SCL", 20))
    nodata = 100.0 * np.count_nonzero(scl == 0) / scl.size
    assert float(_local(mtd, "NODATA_PIXEL_PERCENTAGE")[0].text) == pytest.approx(nodata, abs=1e-4)
    # algorithm facts C.3 (2.10+): class percentages over valid pixels, i.e. without classes 0 and 1
    vegetation = 100.0 * np.count_nonzero(scl == 4) / np.count_nonzero(scl >= 2)
    assert float(_local(mtd, "VEGETATION_PERCENTAGE")[0].text) == pytest.approx(vegetation, abs=1e-4)
    aot = _read(_image(tile, "AOT", 20))
    mean_aot = aot[aot > 0].mean() / 1000.0     # facts C.3: mean of AOT > 0; AOT_QUANTIFICATION_VALUE 1000
    assert float(_local(mtd, "GRANULE_MEAN_AOT")[0].text) == pytest.approx(mean_aot, rel=1e-3)
    masks = {e.text.rsplit("/", 1)[1] for e in _local(mtd, "MASK_FILENAME") if "PRB" in e.get("type")}
    assert masks == {"MSK_CLDPRB_20m.jp2", "MSK_SNWPRB_20m.jp2", "MSK_CLDPRB_60m.jp2", "MSK_SNWPRB_60m.jp2"}


def test_images_equal_those_of_a_toolbox_run_of_the_same_l1c(pdgs, processed, tmp_path):
    safe, _, _ = pdgs
    _, tile = processed
    assert main([str(safe), "--resolution", "10", "--output_dir", str(tmp_path / "toolbox")]) == 0
    (product,) = (tmp_path / "toolbox").glob("*.SAFE")
    (granule,) = (product / "GRANULE").iterdir()
    for layer, res in (("B02", 10), ("B08", 10), ("B12", 20), ("SCL", 20), ("AOT", 20), ("WVP", 10),
                       ("B09", 60)):
        np.testing.assert_array_equal(_read(_image(tile, layer, res)), _read(_image(granule, layer, res)),
                                      err_msg=f"{layer} {res} m")


def test_sc_only_exports_the_l1c_digital_numbers(pdgs, tmp_path):
    _, tile_in, l2a_ds = pdgs
    out = tmp_path / "tiles"
    assert _process_tile(l2a_ds, tile_in, out, "--resolution", "10", "--sc_only") == 0
    (tile,) = out.iterdir()
    assert not any((tile / "IMG_DATA" / "R10m").iterdir())  # --sc_only: 20 m (+60 m) only
    (b05,) = (tile_in / "IMG_DATA").glob("*_B05.jp2")        # native 20 m band: exported unchanged
    np.testing.assert_array_equal(_read(_image(tile, "B05", 20)), _read(b05))
    assert not _read(_image(tile, "AOT", 20)).any() and not _read(_image(tile, "WVP", 20)).any()
    assert _read(_image(tile, "SCL", 60)).shape == (SIZE_PX // 6,) * 2
    mtd = etree.parse(str(tile / "MTD_TL.xml"))
    assert float(_local(mtd, "NODATA_PIXEL_PERCENTAGE")[0].text) > 0.0
    assert (tile / "QI_DATA" / "L2A_QUALITY.xml").is_file()


def test_rerun_is_already_processed_and_recomputes_nothing(pdgs, processed, capsys):
    _, tile_in, l2a_ds = pdgs
    out, tile = processed
    stamps = {p: p.stat().st_mtime_ns for p in tile.rglob("*")}
    capsys.readouterr()
    assert _process_tile(l2a_ds, tile_in, out, "--resolution", "10") == 0
    assert "already processed" in capsys.readouterr().err
    assert list(out.iterdir()) == [tile]
    assert {p: p.stat().st_mtime_ns for p in tile.rglob("*")} == stamps


def test_missing_band_fails_and_leaves_nothing(pdgs, tmp_path, capsys):
    _, tile_in, l2a_ds = pdgs
    tile = tmp_path / "in" / tile_in.name
    shutil.copytree(tile_in, tile)
    (b8a,) = (tile / "IMG_DATA").glob("*_B8A.jp2")
    b8a.unlink()
    before = sorted(p.relative_to(tile) for p in tile.rglob("*"))
    out = tmp_path / "tiles"
    assert _process_tile(l2a_ds, tile, out, "--resolution", "10") == 1
    err = capsys.readouterr().err
    assert "B8A" in err and "IMG_DATA" in err
    assert not out.exists() or list(out.iterdir()) == []
    assert sorted(p.relative_to(tile) for p in tile.rglob("*")) == before     # input untouched
