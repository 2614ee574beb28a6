"""--mode process_tile: names from the L2A datastrip, structure, already processed, processor hook, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from sen2cor.errors import ConfigError, ProductError, ProductReadError
from sen2cor.l1c import TileMetadata
from sen2cor.pdgs import TileJob, generate_datastrip, plan_tile, process_tile
from sen2cor.quality import compute_indicators, read_quality_values, write_quality
from tests.faults.helpers import abandon
from tests.pdgs.builders import (
    GENERATED,
    ds_options,
    standard_datastrip,
    standard_tile,
    tile_options,
    tree_state,
)


def _text(path: Path, name: str) -> str:
    return etree.parse(str(path)).getroot().xpath(f"string(//*[local-name()='{name}'])")


@pytest.fixture
def compact_pair(compact_inputs, tmp_path, config):
    """(L2A datastrip from generate_datastrip, generated L1C tile folder)."""
    l1c_ds, l1c_tile = compact_inputs
    return generate_datastrip(ds_options(tmp_path, l1c_ds), config, generation_time=GENERATED), l1c_tile


def test_tile_name_and_structure_from_compact_inputs(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    before = tree_state(l1c_tile)
    result = process_tile(tile_options(tmp_path, l2a_ds, l1c_tile), config)
    orbit = l1c_tile.name.split("_")[2]                      # L1C_T29UNU_A038058_...
    assert not result.already_processed
    assert result.path.name == f"S2A_OPER_MSI_L2A_TL_EDRS_20250304T050607_{orbit}_T29UNU_N05.10"
    assert sorted(p.name for p in result.path.iterdir()) == ["AUX_DATA", "IMG_DATA", "MTD_TL.xml", "QI_DATA"]
    assert sorted(p.name for p in (result.path / "IMG_DATA").iterdir()) == ["R10m", "R20m", "R60m"]
    assert (result.path / "AUX_DATA" / "AUX_ECMWFT").is_file()
    assert (result.path / "QI_DATA" / "MSK_DETFOO_B01.jp2").read_bytes() == \
        (l1c_tile / "QI_DATA" / "MSK_DETFOO_B01.jp2").read_bytes()
    mtd = result.path / "MTD_TL.xml"
    assert etree.QName(etree.parse(str(mtd)).getroot()).localname == "Level-2A_Tile_ID"
    assert _text(mtd, "TILE_ID") == result.path.name
    assert _text(mtd, "DATASTRIP_ID") == l2a_ds.name
    assert _text(mtd, "L1C_TILE_ID") == _text(l1c_tile / "MTD_TL.xml", "TILE_ID")
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]     # no temporary left
    assert tree_state(l1c_tile) == before


def test_second_run_is_already_processed_and_does_not_process(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    options = tile_options(tmp_path, l2a_ds, l1c_tile)
    first = process_tile(options, config)
    stamp = (first.path / "MTD_TL.xml").stat().st_mtime_ns

    def must_not_run(*args):
        raise AssertionError("the tile processor ran on an already processed tile")

    again = process_tile(options, config, must_not_run)
    assert again.already_processed and again.path == first.path
    assert (first.path / "MTD_TL.xml").stat().st_mtime_ns == stamp


def test_processor_fills_the_temporary_tile_and_quality_goes_into_mtd(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    seen = {}

    def processor(l1c: TileMetadata, folder: Path, job: TileJob) -> None:
        seen.update(tile=l1c.tile_id, folder=folder, exists=folder.is_dir())
        assert folder.parent.name == f".{folder.name}.tmp"   # hidden until published
        job.image_path("SCL", 20).write_bytes(b"scl")
        job.probability_mask("MSK_CLDPRB", 20).write_bytes(b"cld")
        scl = np.array([[0, 4, 4, 8]], np.uint8)
        qi = compute_indicators(scl, aot_dn=np.array([[0, 100, 300, 200]], np.uint16),
                                wvp_dn=np.full((1, 4), 2000, np.uint16), mean_sun_zenith_deg=40.0)
        write_quality(folder, qi)

    result = process_tile(tile_options(tmp_path, l2a_ds, l1c_tile), config, processor)
    assert seen["tile"] == "29UNU" and seen["exists"]
    assert not seen["folder"].exists()
    assert len(list((result.path / "IMG_DATA" / "R20m").glob("T29UNU_*_SCL_20m.jp2"))) == 1
    mtd = result.path / "MTD_TL.xml"
    masks = etree.parse(str(mtd)).getroot().xpath(
        "//*[local-name()='MASK_FILENAME'][@type='MSK_CLDPRB']/text()")
    assert len(masks) == 1 and masks[0].endswith("/QI_DATA/MSK_CLDPRB_20m.jp2")
    # SCL [0, 4, 4, 8]: 3 valid pixels, 2 vegetation, 1 medium cloud (float32 ratios as Sen2Cor: 2/3, 1/3)
    assert _text(mtd, "VEGETATION_PERCENTAGE") == "66.666669"
    assert _text(mtd, "CLOUDY_PIXEL_PERCENTAGE") == "33.333334"
    assert _text(mtd, "GRANULE_MEAN_AOT") == "0.200000"
    values = read_quality_values(result.path / "QI_DATA" / "L2A_QUALITY.xml")
    assert values["GRANULE_MEAN_WV"] == "2.000000"
    report = etree.parse(str(result.path / "QI_DATA" / "L2A_QUALITY.xml")).getroot()
    assert report.xpath("string(//*[local-name()='File_Class'])") == "OPER"
    assert report.xpath("//*[local-name()='item']/@name")[0] == result.path.name


def test_failing_processor_leaves_nothing(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair

    def broken(l1c, folder, job):
        (folder / "IMG_DATA" / "R20m" / "partial.jp2").write_bytes(b"x")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        process_tile(tile_options(tmp_path, l2a_ds, l1c_tile), config, broken)
    assert list((tmp_path / "out_tl").iterdir()) == []
    # and a re-run then succeeds
    assert not process_tile(tile_options(tmp_path, l2a_ds, l1c_tile), config).already_processed


def test_stale_temporary_of_a_killed_run_is_removed(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    options = tile_options(tmp_path, l2a_ds, l1c_tile)
    job = plan_tile(options, config)
    job.output_dir.mkdir(parents=True, exist_ok=True)
    stale = abandon(job.output_dir / job.name, "IMG_DATA")
    result = process_tile(options, config)
    assert not stale.exists()
    assert [p.name for p in job.output_dir.iterdir()] == [result.path.name]


def test_database_and_work_dirs_default_and_are_created(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    options = tile_options(tmp_path, l2a_ds, l1c_tile, work_dir=tmp_path / "w",
                           res_database_dir=tmp_path / "ram" / "res")
    job = plan_tile(options, config)
    assert job.img_database_dir == tmp_path / "w" and job.res_database_dir == tmp_path / "ram" / "res"
    process_tile(options, config)
    assert (tmp_path / "w").is_dir() and (tmp_path / "ram" / "res").is_dir()
    assert job.report_path(GENERATED) == tmp_path / "w" / f"{job.name}_20250304T050607_report.xml"


def test_baseline_comes_from_the_l2a_datastrip(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    job = plan_tile(tile_options(tmp_path, l2a_ds, l1c_tile, processing_baseline="09.99"), config)
    assert job.baseline == "05.10" and job.name.endswith("_N05.10")


def test_standard_safe_inputs(tmp_path, config):
    l1c_ds = standard_datastrip(tmp_path / "in")
    l1c_tile = standard_tile(tmp_path / "in")
    l2a_ds = generate_datastrip(ds_options(tmp_path, l1c_ds, processing_centre="SGS_",
                                           processing_baseline="05.11"), config, generation_time=GENERATED)
    options = tile_options(tmp_path, l2a_ds, l1c_tile, tif=True)
    assert plan_tile(options, config).image_path("B02", 10).name.endswith("_B02_10m.tif")
    result = process_tile(options, config)
    assert result.path.name == "S2B_OPER_MSI_L2A_TL_SGS__20250304T050607_A024093_T05VPH_N05.11"
    mtd = result.path / "MTD_TL.xml"
    assert _text(mtd, "L1C_TILE_ID") == "S2B_OPER_MSI_L1C_TL_VGS1_20211016T214514_A024093_T05VPH_N03.01"
    masks = etree.parse(str(mtd)).getroot().xpath("//*[local-name()='MASK_FILENAME']/text()")
    assert masks and all(m.startswith("GRANULE/L2A_T05VPH_A024093_20211016T212523/QI_DATA/") for m in masks)
    assert (result.path / "AUX_DATA" / "AUX_ECMWFT").is_file() and not (result.path / "AUX_DATA" /
                                                                         "AUX_ECMWFT").is_symlink()


def test_l1c_datastrip_given_instead_of_l2a(compact_inputs, tmp_path, config):
    l1c_ds, l1c_tile = compact_inputs
    with pytest.raises(ProductError, match="Level-1C_DataStrip_ID.*run --mode generate_datastrip"):
        process_tile(tile_options(tmp_path, l1c_ds, l1c_tile), config)
    assert not (tmp_path / "out_tl").exists()


def test_wrong_tile_folder_and_missing_tile_metadata(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    odd = shutil.copytree(l1c_tile, tmp_path / "tile_copy")
    masks = r"--tile .*must match S2\?_OPER_MSI_L1C_TL\* \(standard SAFE\) or L1C_T\*"
    with pytest.raises(ProductError, match=masks):
        process_tile(tile_options(tmp_path, l2a_ds, odd), config)
    (l1c_tile / "MTD_TL.xml").unlink()
    with pytest.raises(ProductReadError, match=r"L1C tile metadata file missing; expected MTD_TL.xml or "
                                               r"S2\?_OPER_MTD_L1C_TL_\*.xml"):
        process_tile(tile_options(tmp_path, l2a_ds, l1c_tile), config)
    assert not (tmp_path / "out_tl").exists()


def test_l2a_tile_metadata_is_not_an_l1c_tile(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    produced = process_tile(tile_options(tmp_path, l2a_ds, l1c_tile), config).path
    fake = shutil.copytree(l1c_tile, tmp_path / "second" / l1c_tile.name)
    shutil.copyfile(produced / "MTD_TL.xml", fake / "MTD_TL.xml")
    with pytest.raises(ProductError, match="root element is 'Level-2A_Tile_ID'; expected Level-1C_Tile_ID"):
        process_tile(tile_options(tmp_path, l2a_ds, fake, output_dir=tmp_path / "o2"), config)


def test_missing_options(compact_pair, tmp_path, config):
    l2a_ds, l1c_tile = compact_pair
    with pytest.raises(ConfigError, match="--output_dir is required"):
        process_tile(tile_options(tmp_path, l2a_ds, l1c_tile, output_dir=None), config)
    with pytest.raises(ConfigError, match="--tile is required"):
        process_tile(tile_options(tmp_path, l2a_ds, None), config)
    with pytest.raises(ProductError, match="--datastrip .* does not exist"):
        process_tile(tile_options(tmp_path, tmp_path / "nowhere" / l2a_ds.name, l1c_tile), config)


def test_psd15_inputs_give_psd15_tile_metadata(tmp_path, config):
    from sen2cor.testing import make_l1c

    safe = make_l1c(tmp_path / "gen", size_px=60, seed=1, baseline="05.11")
    l1c_ds = next((safe / "DATASTRIP").iterdir())
    l1c_tile = next((safe / "GRANULE").iterdir())
    l2a_ds = generate_datastrip(ds_options(tmp_path, l1c_ds), config, generation_time=GENERATED)
    assert l2a_ds.name.endswith("_N05.11")

    def processor(l1c, folder, job):
        assert job.psd_major == 15
        qi = compute_indicators(np.array([[2, 2, 4, 0]], np.uint8), aot_dn=None, wvp_dn=None,
                                mean_sun_zenith_deg=40.0, sc_only=True, psd15=True)
        write_quality(folder, qi)

    result = process_tile(tile_options(tmp_path, l2a_ds, l1c_tile), config, processor)
    mtd = result.path / "MTD_TL.xml"
    assert "psd-15.sentinel2" in etree.parse(str(mtd)).getroot().nsmap["n1"]
    assert _text(mtd, "CAST_SHADOW_PERCENTAGE") == "66.666669" and not _text(mtd, "DARK_FEATURES_PERCENTAGE")
    assert _text(mtd, "AOT_RETRIEVAL_METHOD") == "DEFAULT"
    values = read_quality_values(result.path / "QI_DATA" / "L2A_QUALITY.xml")
    assert values["GRANULE_MEAN_AOT"] == "-999.000000" and values["AC_ENABLED"] == "False"
