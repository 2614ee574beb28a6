"""Fault matrix of issue 9 item 5 (and the bad inputs of issue 2): one test per fault, each through
``L2A_Process`` (sen2cor.cli.main) on a small generated L1C product, checking the message on stderr
(file / element / expected value), the exit code, that nothing is left in the output directory (no
product, no hidden temporary) and that the input tree is byte-identical afterwards. Each test registers
its row of the matrix in docs/faults.md (:mod:`tests.faults.cases`). The faults of issue 19 (operators'
conditions) are in test_operator_faults.py.
"""
from __future__ import annotations

import logging
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.config.resources import cfg_dir
from tests.faults.cases import fault_case
from tests.faults.helpers import (
    SEEN,
    band_file,
    cli_subprocess,
    corrupt_tile_part_length,
    leftovers,
    record,
    replace_band_image,
    set_read_only,
    tile_mtd,
    tree_digest,
    try_mount,
    umount,
)

#: Faults found before any processing: checked with --sc_only and with --cr_only (product tree only).
BOTH_MODES = pytest.mark.parametrize("mode", ["--sc_only", "--cr_only"])


def run(args: list[str], capsys) -> tuple[int, str]:
    """``L2A_Process args`` in-process; returns (exit code, stderr)."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    return record(code, capsys.readouterr().err)


def assert_failed_cleanly(code: int, err: str, out: Path, *expected: str) -> None:
    assert code == 1, err
    for text in expected:
        assert text in err, f"{text!r} not in stderr:\n{err}"
    assert leftovers(out) == [], f"left in the output directory: {leftovers(out)}"


# --------------------------------------------------------------------------- bad input products
@fault_case("band file missing", "missing", 1)
def test_missing_band_file(product, tmp_path, capsys):
    band = band_file(product, "B05")
    band.unlink()
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, band.name, "B05", "missing")
    assert tree_digest(product) == before


@fault_case("band file truncated (half its bytes)", "T29UNU_20221005T114533_B05.jp2", 1)
@pytest.mark.filterwarnings("ignore:The b'jp2c' box has a length")   # glymur's note on the truncated box
def test_truncated_band_file(product, tmp_path, capsys):
    band = band_file(product, "B05")
    band.write_bytes(band.read_bytes()[: band.stat().st_size // 2])
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, band.name)
    assert tree_digest(product) == before


@fault_case("band file truncated by 100 bytes: refused before the product tree", "truncated", 1)
@pytest.mark.filterwarnings("ignore:The b'jp2c' box has a length")
def test_truncated_band_file_fails_before_any_output(product, tmp_path, capsys):
    band = band_file(product, "B11")
    band.write_bytes(band.read_bytes()[:-100])
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, band.name, "truncated")
    assert "L2A product tree created" not in err  # the check comes before the skeleton


@fault_case("code stream corrupt, headers intact", "cannot decode", 1)
def test_corrupt_codestream_fails_at_decode_naming_the_band(product, tmp_path, capsys):
    band = band_file(product, "B8A")
    corrupt_tile_part_length(band)   # headers valid: only the decoder notices
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, band.name, "cannot decode")
    assert tree_digest(product) == before


@fault_case("band of the wrong size", "expected 60 x 60", 1)
def test_band_of_wrong_size(product, tmp_path, capsys):
    band = band_file(product, "B05")   # 20 m band: MTD_TL says 60 x 60 for this 1.2 km crop
    replace_band_image(band, np.full((30, 30), 1500, np.uint16))
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, band.name, "30 x 30", "expected 60 x 60")
    assert tree_digest(product) == before


@fault_case("MTD_TL.xml missing", "MTD_TL.xml", 1)
@BOTH_MODES
def test_tile_metadata_missing(product, tmp_path, capsys, mode):
    tile_mtd(product).unlink()
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, mode, "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, "MTD_TL.xml", "missing")
    assert tree_digest(product) == before


@fault_case("MTD_TL.xml malformed", "malformed", 1)
@BOTH_MODES
def test_tile_metadata_malformed(product, tmp_path, capsys, mode):
    mtd = tile_mtd(product)
    text = mtd.read_text(encoding="utf-8")
    mtd.write_text(text[: len(text) // 2], encoding="utf-8")   # cut in the middle of an element
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, mode, "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, "MTD_TL.xml", "malformed")
    assert tree_digest(product) == before


@BOTH_MODES
@pytest.mark.parametrize("namespace, expected", [("psd-13", "PSD 13.0 (processing baseline 05.10) is older"),
                                                 ("psd-16", "PSD 16.0 (processing baseline 05.10) is newer")])
@fault_case("PSD outside 14.2-15.1 (13.0, 16.0)", "14.2-15.1", 1)
def test_psd_version_unsupported(product, tmp_path, capsys, mode, namespace, expected):
    mtd = product / "MTD_MSIL1C.xml"
    mtd.write_text(mtd.read_text(encoding="utf-8").replace("psd-14.sentinel2", f"{namespace}.sentinel2"),
                   encoding="utf-8")
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, mode, "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, "MTD_MSIL1C.xml", expected, "14.2-15.1")
    assert tree_digest(product) == before


@fault_case("input folder that is not a product", "MTD_MSIL1C.xml", 1)
@BOTH_MODES
def test_input_that_is_not_a_product(tmp_path, capsys, mode):
    folder = tmp_path / "holiday_photos.SAFE"
    folder.mkdir()
    (folder / "beach.jpg").write_bytes(b"\xff\xd8\xff\xe0 not a satellite image")
    before = tree_digest(folder)
    out = tmp_path / "out"
    code, err = run([folder, mode, "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, str(folder), "MTD_MSIL1C.xml")
    assert tree_digest(folder) == before


@fault_case("input that is a regular file (a zip)", "not a directory", 1)
@BOTH_MODES
def test_input_that_is_a_regular_file(tmp_path, capsys, mode):
    archive = tmp_path / "S2A_MSIL1C_20221005T114533_N0510_R023_T29UNU_20221005T133546.zip"
    archive.write_bytes(b"PK\x03\x04 zipped product")
    out = tmp_path / "out"
    code, err = run([archive, mode, "--output_dir", out], capsys)
    assert_failed_cleanly(code, err, out, archive.name, "not a directory")
    assert archive.read_bytes() == b"PK\x03\x04 zipped product"


# --------------------------------------------------------------------------- read-only input (must work)
@fault_case("read-only input (read-only bind mount, else chmod)", "", 0, "the product")
@BOTH_MODES
def test_read_only_input_product_succeeds(product, tmp_path, capsys, mode):
    """A really read-only file system (bind mount) when permitted, else read-only permissions (root
    ignores those, so there the byte-identical tree is what proves nothing was written)."""
    mount_point = tmp_path / "ro" / product.name
    mount_point.mkdir(parents=True)
    reason = try_mount(["--bind", str(product), str(mount_point)])
    if reason is None and try_mount(["-o", "remount,ro,bind", str(mount_point)]) is not None:
        umount(mount_point)
        reason = "read-only remount not permitted"
    source = mount_point if reason is None else product
    if reason is None:
        with pytest.raises(OSError):   # really read-only, even for root
            (mount_point / "probe.txt").write_text("x")
    else:
        set_read_only(product)
    before = tree_digest(source)
    out = tmp_path / "out"
    try:
        code, err = run([source, mode, "--output_dir", out], capsys)
        assert code == 0, err
        assert tree_digest(source) == before
    finally:
        if reason is None:
            umount(mount_point)
        else:
            set_read_only(product, False)
    (l2a,) = out.glob("S2A_MSIL2A_*.SAFE")
    assert leftovers(out) == [l2a.name]
    assert (l2a / "MTD_MSIL2A.xml").is_file()
    if mode == "--sc_only":
        assert len(list(l2a.glob("GRANULE/*/IMG_DATA/R20m/*_SCL_20m.jp2"))) == 1


# --------------------------------------------------------------------------- output problems
@fault_case("output directory below a regular file", "cannot be created", 1)
@BOTH_MODES
def test_output_directory_under_a_regular_file(product, tmp_path, capsys, mode):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where a folder is expected")
    out = blocker / "out"
    before = tree_digest(product)
    code, err = run([product, mode, "--output_dir", out], capsys)
    assert code == 1, err
    assert str(out) in err and "cannot be created" in err, err
    assert blocker.read_text() == "a file where a folder is expected"
    assert tree_digest(product) == before
    assert tree_digest(product) == before


def _blocks(root: Path, block: int = 4096) -> int:
    return sum(-(-p.stat().st_size // block) * block for p in root.rglob("*") if p.is_file())


def _run_on_tiny_filesystem(product: Path, tmp_path: Path, capsys) -> tuple[int, str, Path]:
    """--sc_only into a tmpfs 64 KiB larger than the product tree: the run fails while writing the images."""
    skeleton_dir = tmp_path / "skeleton"
    code, err = run([product, "--cr_only", "--output_dir", skeleton_dir], capsys)
    assert code == 0, err
    SEEN.clear()   # a preparation: the fault case is the run below
    size_kib = (_blocks(skeleton_dir) + 64 * 1024) // 1024
    out = tmp_path / "tiny"
    out.mkdir()
    reason = try_mount(["-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(out)])
    if reason is not None:
        pytest.skip(f"no tiny file system: {reason}; test_write_error_from_file_size_limit covers write errors")
    try:
        code, err = run([product, "--sc_only", "--output_dir", out], capsys)
        left = leftovers(out)
    finally:
        umount(out)
    assert left == [], f"left on the full file system: {left}"
    return code, err, out


@fault_case("disk full (tmpfs 64 KiB larger than the product tree)", "cannot write", 1)
def test_disk_full_on_a_tiny_filesystem(product, tmp_path, capsys):
    before = tree_digest(product)
    code, err, out = _run_on_tiny_filesystem(product, tmp_path, capsys)
    assert_failed_cleanly(code, err, out, str(out), "cannot write")
    assert tree_digest(product) == before


@fault_case("disk full: the cause is named", "No space left on device", 1)
def test_disk_full_message_names_the_cause(product, tmp_path, capsys):
    code, err, _ = _run_on_tiny_filesystem(product, tmp_path, capsys)
    assert code == 1
    assert "No space left on device" in err, err


@fault_case("write error EFBIG (RLIMIT_FSIZE in a child process)", "cannot write", 1)
def test_write_error_from_file_size_limit(l1c, product, tmp_path, home, capsys):
    """RLIMIT_FSIZE in a child process: every write beyond the limit fails with EFBIG ("File too large"),
    a real write error from the kernel. The limit lies between the largest file of the product tree
    (--cr_only) and the largest file of a complete --sc_only product."""
    skeleton_dir = tmp_path / "skeleton"
    full_dir = tmp_path / "full"
    assert run([product, "--cr_only", "--output_dir", skeleton_dir], capsys)[0] == 0
    assert run([product, "--sc_only", "--output_dir", full_dir], capsys)[0] == 0
    SEEN.clear()   # preparations: the fault case is the run below
    largest_skeleton = max(p.stat().st_size for p in skeleton_dir.rglob("*") if p.is_file())
    largest_full = max(p.stat().st_size for p in full_dir.rglob("*") if p.is_file())
    assert largest_full > largest_skeleton + 1024, "no file of the processing is larger than the tree's"
    limit = (largest_skeleton + largest_full) // 2
    out = tmp_path / "out"
    before = tree_digest(product)
    preamble = ("import resource, signal\nsignal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
                f"resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, {limit}))")
    child = cli_subprocess([str(product), "--sc_only", "--output_dir", str(out)], home, preamble=preamble)
    _, err = child.communicate(timeout=120)
    record(child.returncode, err)
    assert "Traceback" not in err, err
    assert_failed_cleanly(child.returncode, err, out, str(out), "cannot write")
    assert tree_digest(product) == before


# --------------------------------------------------------------------------- configuration
@fault_case("invalid GIPP value (Nr_Threads = many)", "allowed", 1)
@BOTH_MODES
def test_invalid_gipp_value(product, tmp_path, capsys, mode):
    bad = tmp_path / "bad_GIPP.xml"
    bad.write_text((cfg_dir() / "L2A_GIPP.xml").read_text(encoding="utf-8").replace("<Nr_Threads>AUTO</Nr_Threads>",
                                                                 "<Nr_Threads>many</Nr_Threads>"), encoding="utf-8")
    assert "<Nr_Threads>many</Nr_Threads>" in bad.read_text(encoding="utf-8")
    before = tree_digest(product)
    out = tmp_path / "out"
    code, err = run([product, mode, "--output_dir", out, "--GIP_L2A", bad], capsys)
    assert_failed_cleanly(code, err, out, bad.name, "Nr_Threads", "'many'", "allowed")
    assert tree_digest(product) == before


# --------------------------------------------------------------------------- empty tile (SRN 2.1 / 2.3)
@pytest.fixture
def empty_product(product) -> Path:
    """Every band DN 0 (= NO_DATA), sizes unchanged."""
    for path in product.glob("GRANULE/*/IMG_DATA/*_B??.jp2"):
        shape = gdal.Open(str(path)).ReadAsArray().shape
        replace_band_image(path, np.zeros(shape, np.uint16))
    return product


@fault_case("all-no-data tile (every band DN 0): valid product", "", 0, "the product (SCL all 0)")
def test_all_nodata_tile_gives_a_valid_product(empty_product, tmp_path, capsys):
    before = tree_digest(empty_product)
    out = tmp_path / "out"
    code, err = run([empty_product, "--sc_only", "--output_dir", out], capsys)
    assert code == 0, err
    (l2a,) = out.glob("S2A_MSIL2A_*.SAFE")
    assert leftovers(out) == [l2a.name]
    (scl,) = l2a.glob("GRANULE/*/IMG_DATA/R20m/*_SCL_20m.jp2")
    assert np.all(gdal.Open(str(scl)).ReadAsArray() == 0)          # SCL class 0 NO_DATA everywhere
    mtd = etree.parse(str(l2a / "MTD_MSIL2A.xml"))
    (nodata,) = mtd.xpath("//*[local-name()='NODATA_PIXEL_PERCENTAGE']")
    assert float(nodata.text) == pytest.approx(100.0)
    assert "nan" not in (l2a / "MTD_MSIL2A.xml").read_text().lower()
    assert tree_digest(empty_product) == before


@fault_case("all-no-data tile: warning", "no valid pixel", 0, "the product")
def test_all_nodata_tile_warns(empty_product, tmp_path, capsys, caplog):
    out = tmp_path / "out"
    with caplog.at_level(logging.WARNING):
        code, err = run([empty_product, "--sc_only", "--output_dir", out], capsys)
    assert code == 0, err
    assert "no valid pixel" in err


# --------------------------------------------------------------------------- interrupted run
@fault_case("SIGKILL mid-run, then run again", "removed the temporary folder", "-9, then 0",
            "the product of the re-run")
def test_sigkill_mid_run_then_rerun_succeeds(product, tmp_path, home, capsys):
    out = tmp_path / "out"
    child = cli_subprocess([str(product), "--sc_only", "--output_dir", str(out)], home)
    deadline = time.monotonic() + 120
    temporaries: list[Path] = []
    while not temporaries and child.poll() is None and time.monotonic() < deadline:
        temporaries = list(out.glob(".S2A_MSIL2A_*.SAFE.tmp")) if out.exists() else []
        time.sleep(0.002)
    child.send_signal(signal.SIGKILL)
    record(child.wait(timeout=30), "")
    assert child.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    assert temporaries, "no hidden temporary folder was seen"
    assert not list(out.glob("S2A_MSIL2A_*.SAFE")), "a killed run must not leave a final product"

    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    assert code == 0, err
    (l2a,) = out.glob("S2A_MSIL2A_*.SAFE")
    assert (l2a / "manifest.safe").is_file()
    assert f"removed the temporary folder {temporaries[0].name} left by an interrupted run" in err
    assert leftovers(out) == [l2a.name]


# --------------------------------------------------------------------------- re-runs (issue 9 item 4)
@fault_case("same run twice", "Product already processed.", 0, "the first product, unchanged")
def test_rerun_reports_already_processed_and_keeps_the_product(product, tmp_path, capsys):
    out = tmp_path / "out"
    assert run([product, "--sc_only", "--output_dir", out], capsys)[0] == 0
    (l2a,) = out.glob("S2A_MSIL2A_*.SAFE")
    before = tree_digest(l2a)
    time.sleep(1.0)   # a recomputed product would get another generation time (second resolution)
    code, err = run([product, "--sc_only", "--output_dir", out], capsys)
    assert code == 0, err
    assert "Product already processed." in err
    assert leftovers(out) == [l2a.name]
    assert tree_digest(l2a) == before

