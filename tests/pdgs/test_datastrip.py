"""--mode generate_datastrip: names, converted metadata, baseline precedence, errors, atomic output."""

from __future__ import annotations

import shutil

import pytest
from lxml import etree

from sen2cor.errors import ConfigError, OutputError, ProductError, ProductReadError
from sen2cor.pdgs import generate_datastrip, plan_datastrip
from sen2cor.config import load_config
from sen2cor.config.resources import cfg_dir
from tests.faults.helpers import abandon
from tests.pdgs.builders import GENERATED, STANDARD_DS, ds_options, standard_datastrip, tree_state
from tests.privileges import run_without_permission_override


def _text(root, name):
    return root.xpath(f"string(//*[local-name()='{name}'])")


def test_compact_datastrip_gets_the_pdgs_name_and_converted_metadata(compact_inputs, tmp_path, config):
    l1c_ds, _ = compact_inputs
    before = tree_state(l1c_ds)
    l1c_root = etree.parse(str(l1c_ds / "MTD_DS.xml")).getroot()
    start = _text(l1c_root, "DATASTRIP_SENSING_START")  # e.g. 2022-10-05T11:48:22.846Z
    expected_start = start[:19].replace("-", "").replace(":", "")
    out = generate_datastrip(ds_options(tmp_path, l1c_ds), config, generation_time=GENERATED)

    assert out.name == f"S2A_OPER_MSI_L2A_DS_EDRS_20250304T050607_S{expected_start}_N05.10"
    assert sorted(p.name for p in out.iterdir()) == ["MTD_DS.xml", "QI_DATA"]
    assert list((out / "QI_DATA").iterdir()) == []
    assert [p.name for p in out.parent.iterdir()] == [out.name]      # no temporary left
    root = etree.parse(str(out / "MTD_DS.xml")).getroot()
    assert etree.QName(root).localname == "Level-2A_DataStrip_ID"
    assert _text(root, "DATASTRIP_ID") == out.name
    assert _text(root, "PROCESSING_CENTER") == "EDRS"
    assert _text(root, "ARCHIVING_CENTRE") == "SGS_"
    assert _text(root, "PROCESSING_BASELINE") == "05.10"
    tile_ids = root.xpath("//*[local-name()='Tile']/@tileId")
    assert tile_ids
    assert all(t.startswith("S2A_OPER_MSI_L2A_TL_EDRS_20250304T050607_A") and t.endswith("_N05.10")
               for t in tile_ids)
    assert root.xpath("//*[local-name()='Datatake_Info']/@datatakeIdentifier")[0].endswith("_N05.10")
    gipps = root.xpath("//*[local-name()='GIPP_FILENAME']/@type")
    assert {"GIP_L2ACSC", "GIP_L2ACAC", "GIP_PROBA2"} <= set(gipps)
    assert root.xpath("//*[local-name()='QUANTIFICATION_VALUES_LIST']")
    assert tree_state(l1c_ds) == before                                   # input untouched


def test_standard_datastrip_folder_and_metadata_name(tmp_path, config):
    l1c_ds = standard_datastrip(tmp_path / "in")
    out = generate_datastrip(ds_options(tmp_path, l1c_ds, processing_centre="SGS_"), config,
                             generation_time=GENERATED)
    # spacecraft from the folder name, sensing start from the metadata, baseline 03.01 of the L1C datastrip
    assert out.name == "S2B_OPER_MSI_L2A_DS_SGS__20250304T050607_S20211016T212523_N03.01"
    assert (out / "MTD_DS.xml").is_file()
    root = etree.parse(str(out / "MTD_DS.xml")).getroot()
    assert root.xpath("//*[local-name()='Tile']/@tileId") == [
        "S2B_OPER_MSI_L2A_TL_SGS__20250304T050607_A024093_T05VPH_N03.01"]


def _pb_gipp(tmp_path, version):
    text = (cfg_dir() / "L2A_PB_GIPP.xml").read_text()
    start = text.index("<Baseline_Version>") + len("<Baseline_Version>")
    end = text.index("</Baseline_Version>")
    path = tmp_path / "my_PB_GIPP.xml"
    path.write_text(text[:start] + version + text[end:])
    return path


def test_baseline_precedence_option_then_pb_gipp_then_l1c(compact_inputs, tmp_path):
    l1c_ds, _ = compact_inputs
    pb = _pb_gipp(tmp_path, "06.50")
    cases = [({"processing_baseline": "07.00", "GIP_L2A_PB": pb}, "07.00"),
             ({"GIP_L2A_PB": pb}, "06.50"),
             ({}, "05.10")]                       # not the packaged GIPP's 99.99
    for extra, expected in cases:
        options = ds_options(tmp_path, l1c_ds, **extra)
        config = load_config(options=options, home=tmp_path / "home")
        plan = plan_datastrip(options, config, generation_time=GENERATED)
        assert plan.baseline == expected
        assert plan.name.endswith(f"_N{expected}")


def test_work_dir_is_created_and_report_name_follows_sen2cor(compact_inputs, tmp_path, config):
    l1c_ds, _ = compact_inputs
    options = ds_options(tmp_path, l1c_ds, work_dir=tmp_path / "new" / "work")
    generate_datastrip(options, config, generation_time=GENERATED)
    assert (tmp_path / "new" / "work").is_dir()
    plan = plan_datastrip(options, config, generation_time=GENERATED)
    report = plan.report_path(options.work_dir, GENERATED)
    assert report == tmp_path / "new" / "work" / f"{l1c_ds.name}_20250304T050607_report.xml"


@pytest.mark.parametrize("missing", ["processing_centre", "archiving_centre"])
def test_centres_are_required(compact_inputs, tmp_path, config, missing):
    l1c_ds, _ = compact_inputs
    with pytest.raises(ConfigError, match=f"--{missing} is required"):
        generate_datastrip(ds_options(tmp_path, l1c_ds, **{missing: None}), config)
    assert not (tmp_path / "out_ds").exists()


def test_wrong_folder_name_is_rejected_with_the_masks(compact_inputs, tmp_path, config):
    l1c_ds, _ = compact_inputs
    wrong = l1c_ds.rename(l1c_ds.with_name("my_datastrip"))
    masks = r"S2\?_OPER_MSI_L1C_DS\* \(standard SAFE\) or DS_\*.*'my_datastrip'"
    with pytest.raises(ProductError, match=masks):
        generate_datastrip(ds_options(tmp_path, wrong), config)
    assert not (tmp_path / "out_ds").exists()


def test_missing_and_malformed_metadata_name_file_and_expectation(compact_inputs, tmp_path, config):
    l1c_ds, _ = compact_inputs
    mtd = l1c_ds / "MTD_DS.xml"
    content = mtd.read_bytes()
    mtd.unlink()
    expected = r"metadata file missing; expected MTD_DS.xml or S2\?_OPER_MTD_L1C_DS"
    with pytest.raises(ProductReadError, match=expected):
        generate_datastrip(ds_options(tmp_path, l1c_ds), config)
    mtd.write_bytes(content[: len(content) // 2])
    with pytest.raises(ProductReadError, match="cannot read L1C datastrip metadata .*MTD_DS.xml"):
        generate_datastrip(ds_options(tmp_path, l1c_ds), config)
    text = content.decode()
    start = text.index("<DATASTRIP_SENSING_START>")
    end = text.index("</DATASTRIP_SENSING_START>") + len("</DATASTRIP_SENSING_START>")
    mtd.write_text(text[:start] + text[end:])
    with pytest.raises(ProductReadError, match="Datastrip_Time_Info/DATASTRIP_SENSING_START is missing"):
        generate_datastrip(ds_options(tmp_path, l1c_ds), config)
    assert not (tmp_path / "out_ds").exists()


def test_l2a_datastrip_is_not_accepted_as_l1c(compact_inputs, tmp_path, config):
    l1c_ds, _ = compact_inputs
    l2a = generate_datastrip(ds_options(tmp_path, l1c_ds), config, generation_time=GENERATED)
    renamed = tmp_path / "again" / STANDARD_DS
    shutil.copytree(l2a, renamed)
    expected = "root element is 'Level-2A_DataStrip_ID'; expected Level-1C_DataStrip_ID"
    with pytest.raises(ProductError, match=expected):
        generate_datastrip(ds_options(tmp_path, renamed, output_dir=tmp_path / "out2"), config)


def test_unwritable_output_dir_fails_cleanly(compact_inputs, tmp_path, config):
    l1c_ds, _ = compact_inputs
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)

    def body():
        with pytest.raises(OutputError, match="--output_dir .*locked is not writable"):
            generate_datastrip(ds_options(tmp_path, l1c_ds, output_dir=locked), config)
        assert list(locked.iterdir()) == []

    try:  # as root: in a child process held to the permission bits
        run_without_permission_override(body)
    finally:
        locked.chmod(0o700)


def test_existing_output_is_not_overwritten_and_stale_temporaries_go(compact_inputs, tmp_path, config):
    l1c_ds, _ = compact_inputs
    options = ds_options(tmp_path, l1c_ds)
    first = generate_datastrip(options, config, generation_time=GENERATED)
    stale = abandon(first.parent / "S2A_OPER_MSI_L2A_DS_EDRS_20250101T000000_S20221005T000000_N05.10")
    with pytest.raises(OutputError, match="already exists"):
        generate_datastrip(options, config, generation_time=GENERATED)
    assert not stale.exists()
    assert [p.name for p in first.parent.iterdir()] == [first.name]
