"""Skeleton writer: Fig. 2-19 tree, atomic write, untouched input, output errors, finalisation, re-runs."""

from __future__ import annotations

import hashlib
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.l1c import read_l1c_product
from sen2cor.product import (
    L2ALayout,
    already_processed,
    create_l2a_skeleton,
    finalise_product,
    find_l2a_products,
    processed_resolutions,
    publish_product,
    stale_temporaries,
    writer,
)
from sen2cor.product.manifest import object_ids
from sen2cor.product.publishing import reserve
from tests.faults.helpers import abandon
from tests.faults.helpers import set_read_only
from tests.l1c.builders import assemble
from tests.product.conftest import GENERATED, OFFICIAL_N0211, OFFICIAL_N0400, OFFICIAL_N0511, official
from tests.privileges import run_without_permission_override


def tree_digest(folder: Path) -> dict[str, tuple[str, int]]:
    """Relative path -> (sha256 of content, mode) of every file and folder (symlinks by their target)."""
    out = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        if path.is_file():
            out[rel] = (hashlib.sha256(path.read_bytes()).hexdigest(), os.lstat(path).st_mode)
        else:
            out[rel] = ("dir", os.lstat(path).st_mode)
    return out


def test_tree_is_complete_per_figure_2_19(l1c_n0510, out_dir):
    root = create_l2a_skeleton(l1c_n0510, out_dir, "05.10", generation_time=GENERATED)
    assert root == out_dir / "S2A_MSIL2A_20240101T102431_N0510_R065_T30NWM_20250304T050607.SAFE"
    assert [p.name for p in out_dir.iterdir()] == [root.name]  # no temporary left
    granule = root / "GRANULE" / "L2A_T30NWM_A044535_20240101T102736"
    datastrip = root / "DATASTRIP" / "DS_2APS_20250304T050607_S20240101T102736"
    for folder in (
        root / "AUX_DATA",
        root / "HTML",
        root / "rep_info",
        datastrip / "QI_DATA",
        granule / "AUX_DATA",
        granule / "IMG_DATA" / "R10m",
        granule / "IMG_DATA" / "R20m",
        granule / "IMG_DATA" / "R60m",
        granule / "QI_DATA",
    ):
        assert folder.is_dir(), folder
    for file in (
        root / "MTD_MSIL2A.xml",
        root / "INSPIRE.xml",
        root / "manifest.safe",
        datastrip / "MTD_DS.xml",
        granule / "MTD_TL.xml",
        root / "rep_info" / "S2_User_Product_Level-2A_Metadata.xsd",
        root / "HTML" / "UserProduct_index.html",
    ):
        assert file.is_file() and file.stat().st_size > 0, file
    # Inherited from the L1C tile: GRIB auxiliary data and the quality masks.
    assert {p.name for p in (granule / "AUX_DATA").iterdir()} == {"AUX_CAMSFO", "AUX_ECMWFT"}
    assert len(list((granule / "QI_DATA").glob("MSK_DETFOO_B*.jp2"))) == 13
    assert (granule / "QI_DATA" / "GENERAL_QUALITY.xml").is_file()


def test_failure_mid_write_leaves_nothing(l1c_n0510, out_dir, monkeypatch):
    def disk_full(root):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(writer, "write_manifest", disk_full)  # the last step: tree nearly complete
    with pytest.raises(OutputError, match="No space left"):
        create_l2a_skeleton(l1c_n0510, out_dir, "05.10", generation_time=GENERATED)
    assert list(out_dir.iterdir()) == []


def test_malformed_input_metadata_leaves_nothing(l1c_n0206, out_dir):
    Path(l1c_n0206.tile_mtd_path).write_text("<n1:Level-1C_Tile_ID", encoding="utf-8")
    with pytest.raises(ProductReadError, match="MTD_TL.xml"):
        create_l2a_skeleton(l1c_n0206, out_dir, "99.99", generation_time=GENERATED)
    assert list(out_dir.iterdir()) == []


def test_read_only_input_is_untouched_and_output_is_writable(l1c_n0510, out_dir):
    safe = Path(l1c_n0510.path)
    set_read_only(safe)   # never chmods through links into ../shared
    before = tree_digest(safe)
    try:
        root = create_l2a_skeleton(l1c_n0510, out_dir, "05.10", generation_time=GENERATED)
        finalise_product(root)
    finally:
        set_read_only(safe, False)
    after = tree_digest(safe)
    assert {k: v[0] for k, v in after.items()} == {k: v[0] for k, v in before.items()}
    copied = next(root.glob("GRANULE/*/QI_DATA/MSK_QUALIT_B01.jp2"))
    assert copied.stat().st_mode & stat.S_IWUSR  # content copied, not the read-only mode


def test_output_directory_that_cannot_exist_is_an_output_error(l1c_n0206, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot be created"):
        create_l2a_skeleton(l1c_n0206, blocker / "out", "99.99")


def test_read_only_output_directory_is_an_output_error(l1c_n0206, out_dir):
    out_dir.chmod(0o555)

    def body():
        with pytest.raises(OutputError, match="not writable"):
            create_l2a_skeleton(l1c_n0206, out_dir, "99.99")
        assert list(out_dir.iterdir()) == []

    try:  # as root: in a child process held to the permission bits
        run_without_permission_override(body)
    finally:
        out_dir.chmod(0o755)


def test_existing_product_is_not_overwritten(l1c_n0206, out_dir):
    create_l2a_skeleton(l1c_n0206, out_dir, "99.99", generation_time=GENERATED)
    with pytest.raises(OutputError, match="already exists"):
        create_l2a_skeleton(l1c_n0206, out_dir, "99.99", generation_time=GENERATED)


def test_unpublished_skeleton_is_hidden_until_published(l1c_n0206, out_dir):
    temporary = create_l2a_skeleton(l1c_n0206, out_dir, "99.99", generation_time=GENERATED, publish=False)
    name = "S2A_MSIL2A_20180101T105441_N9999_R051_T31TDH_20250304T050607.SAFE"
    assert temporary == out_dir / f".{name}.tmp" / name
    assert find_l2a_products(out_dir, l1c_n0206.name) == []
    assert stale_temporaries(out_dir) == []  # our own run holds its lock
    final = publish_product(temporary)
    assert final == out_dir / name
    assert not temporary.exists() and sorted(p.name for p in out_dir.iterdir()) == [name]


def test_stale_temporary_of_a_dead_process_is_reported(out_dir):
    dead = abandon(out_dir / "S2A_MSIL2A_20180101T105441_N9999_R051_T31TDH_20250304T050607.SAFE")
    assert stale_temporaries(out_dir) == [dead]


def test_same_second_takes_the_next_free_name(l1c_n0206, out_dir):
    """Sen2Cor names products with a one-second clock: a name held by a running run (or an existing product)
    moves the generation time on by one second, never onto the other run's product."""
    frozen = datetime(2025, 3, 4, 5, 6, 7, tzinfo=UTC)
    holder = reserve(out_dir / "S2A_MSIL2A_20180101T105441_N9999_R051_T31TDH_20250304T050607.SAFE")

    class Clock(datetime):
        @classmethod
        def now(cls, tz=None):
            return frozen

    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(writer, "datetime", Clock)
            first = create_l2a_skeleton(l1c_n0206, out_dir, "99.99")
            second = create_l2a_skeleton(l1c_n0206, out_dir, "99.99")
    finally:
        holder.discard()
    assert first.name.endswith("_20250304T050608.SAFE") and second.name.endswith("_20250304T050609.SAFE")
    assert "<GENERATION_TIME>2025-03-04T05:06:08" in (first / "MTD_MSIL2A.xml").read_text()


def test_finalise_lists_every_file_with_size_and_checksum(l1c_n0510, out_dir, tmp_path):
    root = create_l2a_skeleton(l1c_n0510, out_dir, "05.10", generation_time=GENERATED)
    layout = L2ALayout.from_root(root)
    layout.band("B8A", 20).write_bytes(b"\x01" * 100)
    layout.band("AOT", 20).write_bytes(b"\x02" * 50)
    layout.band("SCL", 20).write_bytes(b"\x03" * 25)
    layout.probability_mask("MSK_CLDPRB", 20).write_bytes(b"\x04" * 10)
    report = tmp_path / "S2A_MSIL2A_report.xml"
    report.write_text("<Sen2Cor_Level-2A_Report_File/>")
    manifest = finalise_product(root, report)
    assert (root / "HTML" / report.name).read_text() == "<Sen2Cor_Level-2A_Report_File/>"
    doc = etree.parse(str(manifest)).getroot()
    listed = {s.find("fileLocation").get("href")[2:]: s for s in doc.iter("byteStream")}
    on_disk = {
        p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and p.name != "manifest.safe"
    }
    assert set(listed) == on_disk
    for rel, stream in listed.items():
        data = (root / rel).read_bytes()
        assert int(stream.get("size")) == len(data)
        assert stream.find("checksum").text == hashlib.sha3_256(data).hexdigest().upper()
    ids = [d.get("ID") for d in doc.iter("dataObject")]
    assert len(ids) == len(set(ids))
    assert "IMG_DATA_Band_B8A_20m_Tile1_Data" in ids and "CloudPrbMask_Tile1_Data" in ids
    assert "DetectorFootprintMask_Band_20m_4_12_Tile1_Data" in ids  # B8A as in the official manifest
    mtd = etree.parse(str(root / "MTD_MSIL2A.xml")).getroot()
    prefix = f"GRANULE/{layout.granule_name}/IMG_DATA/R20m/T30NWM_20240101T102431_"
    assert [e.text for e in mtd.iter("IMAGE_FILE")] == [
        prefix + "B8A_20m",
        prefix + "AOT_20m",
        prefix + "SCL_20m",
    ]
    tile = etree.parse(str(layout.mtd_tile)).getroot()
    assert tile.xpath("//MASK_FILENAME[@type='MSK_CLDPRB']/text()") == [
        f"GRANULE/{layout.granule_name}/QI_DATA/MSK_CLDPRB_20m.jp2"
    ]


def test_already_processed_detection(l1c_n0510, out_dir):
    assert already_processed(out_dir, l1c_n0510.name, [20]) is None
    root = create_l2a_skeleton(l1c_n0510, out_dir, "05.10", generation_time=GENERATED)
    assert processed_resolutions(root) == ()
    layout = L2ALayout.from_root(root)
    layout.band("AOT", 20).write_bytes(b"\x00")
    layout.band("AOT", 60).write_bytes(b"\x00")
    assert processed_resolutions(root) == (20, 60)
    assert find_l2a_products(out_dir, l1c_n0510.name + ".SAFE") == [root]
    assert already_processed(out_dir, l1c_n0510.name, [20, 60]) == root
    assert already_processed(out_dir, l1c_n0510.name, [10]) is None
    # Another acquisition of the same tile is not a match.
    assert (
        find_l2a_products(out_dir, "S2A_MSIL1C_20240111T102431_N0510_R065_T30NWM_20240111T122107.SAFE") == []
    )


def test_input_without_datastrip_metadata_gets_a_minimal_mtd_ds(tmp_path, out_dir):
    folder = tmp_path / "bare"
    folder.mkdir()
    l1c = read_l1c_product(assemble(folder, "N0206", datastrip_mtd=False))
    assert l1c.datastrip_mtd_path is None or not Path(l1c.datastrip_mtd_path).is_file()
    root = create_l2a_skeleton(l1c, out_dir, "99.99", generation_time=GENERATED)
    ds = etree.parse(str(next(root.glob("DATASTRIP/*/MTD_DS.xml")))).getroot()
    expected_id = "S2A_OPER_MSI_L2A_DS_SGS__20250304T050607_S20180101T105435_N99.99"
    assert ds.xpath("string(//DATASTRIP_ID)") == expected_id
    assert ds.xpath("string(//DATASTRIP_SENSING_START)") == "2018-01-01T10:54:35.000Z"
    assert ds.xpath("string(//PROCESSING_BASELINE)") == "99.99"
    assert ds.xpath("string(//PROCESSING_CENTER)") == "SGS_"


@pytest.mark.parametrize("product", [OFFICIAL_N0400, OFFICIAL_N0511, OFFICIAL_N0211])
def test_manifest_object_ids_follow_the_official_manifests(product):
    doc = etree.parse(str(official(*product, "manifest.safe"))).getroot()
    pairs = [(o.find(".//fileLocation").get("href")[2:], o.get("ID")) for o in doc.iter("dataObject")]
    # Sen2Cor 2.8 (N0211) numbered the probability masks as Preview_<n>; later products name them.
    pairs = [(href, ident) for href, ident in pairs if not ident.startswith("Preview_")]
    assert len(pairs) > 50
    assert [object_ids(href)[1] for href, _ in pairs] == [ident for _, ident in pairs]
