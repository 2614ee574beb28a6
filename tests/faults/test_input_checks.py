"""sen2cor.run.input_checks on a generated L1C product, damaged copies of it, and real JPEG 2000 files."""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from sen2cor.errors import ProductReadError
from sen2cor.run.input_checks import (
    check_band_files,
    check_jp2_file,
    check_jp2_structure,
    jp2_boxes,
    read_manifest,
    warn_if_no_data,
)
from sen2cor.io.jp2 import read_jp2
from sen2cor.l1c import read_l1c_product
from sen2cor.testing import make_l1c
from tests.conftest import shared_path
from tests.faults.helpers import band_file, copy_product, corrupt_tile_part_length, replace_band_image


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=120, seed=2, write_truth=False)


@pytest.fixture
def product(l1c, tmp_path) -> Path:
    return copy_product(l1c, tmp_path)


def test_intact_product_passes_with_the_geoposition_sizes(l1c):
    shapes = check_band_files(read_l1c_product(l1c), manifest="error", verify_checksums=True)
    # 120 px at 10 m = 1.2 km: 60 px at 20 m, 20 px at 60 m
    assert shapes["B02"] == (120, 120) and shapes["B05"] == (60, 60) and shapes["B01"] == (20, 20)
    assert set(shapes) == {"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
                           "B12"}


def test_box_layout_ends_with_the_code_stream(l1c):
    path = band_file(l1c, "B03")
    boxes = jp2_boxes(path)
    assert [b.box_type for b in boxes[:2]] == ["jP  ", "ftyp"]
    assert boxes[-1].box_type == "jp2c"
    assert boxes[-1].offset + boxes[-1].length == path.stat().st_size
    assert path.read_bytes()[-2:] == b"\xff\xd9"


def test_wrong_size_names_file_expected_and_found(product):
    band = band_file(product, "B11")
    replace_band_image(band, np.ones((30, 40), np.uint16))
    with pytest.raises(ProductReadError) as info:
        check_band_files(read_l1c_product(product), manifest="off")
    message = str(info.value)
    assert band.name in message and "30 x 40" in message and "expected 60 x 60" in message


def test_truncated_file_is_caught_by_the_box_lengths(product):
    band = band_file(product, "B02")
    band.write_bytes(band.read_bytes()[:-50])
    with pytest.raises(ProductReadError, match="truncated") as info:
        check_jp2_structure(band)
    assert band.name in str(info.value)


def test_manifest_size_mismatch_warns_by_default_and_fails_on_request(product, caplog):
    band = band_file(product, "B02")
    size = band.stat().st_size
    band.write_bytes(band.read_bytes()[:-50])
    parsed = read_l1c_product(product)
    with pytest.raises(ProductReadError, match=f"{size - 50} bytes differs from the {size} bytes"):
        check_band_files(parsed, manifest="error")
    with caplog.at_level(logging.WARNING, logger="sen2cor.run.input_checks"), \
            pytest.raises(ProductReadError, match="truncated"):   # the box lengths still catch it
        check_band_files(parsed)
    assert f"{size - 50} bytes differs" in caplog.text


def test_replaced_band_of_the_right_size_passes_with_a_warning(product, caplog):
    band = band_file(product, "B07")
    replace_band_image(band, np.full((60, 60), 1234, np.uint16))
    with caplog.at_level(logging.WARNING, logger="sen2cor.run.input_checks"):
        assert check_band_files(read_l1c_product(product), bands=["B07"])["B07"] == (60, 60)
    assert "manifest.safe" in caplog.text
    assert check_band_files(read_l1c_product(product), bands=["B07"], manifest="off")["B07"] == (60, 60)


def test_missing_end_of_codestream_marker(product):
    band = band_file(product, "B04")
    data = bytearray(band.read_bytes())
    data[-2:] = b"\x00\x00"
    band.write_bytes(bytes(data))
    with pytest.raises(ProductReadError, match="EOC marker FFD9 .found 0000."):
        check_jp2_structure(band)


def test_not_a_jpeg2000_file(product):
    band = band_file(product, "B09")
    band.write_bytes(b"II*\x00" + bytes(200))   # a TIFF header under a .jp2 name
    with pytest.raises(ProductReadError, match="not a JPEG 2000"):
        check_jp2_file(band)


def test_empty_band_file(product):
    band = band_file(product, "B10")
    band.write_bytes(b"")
    with pytest.raises(ProductReadError, match="empty"):
        check_jp2_file(band, label="band B10 (60 m)")


def test_missing_band_file(l1c, tmp_path):
    copy = copy_product(l1c, tmp_path)
    parsed = read_l1c_product(copy)
    band = band_file(copy, "B12")
    band.unlink()
    with pytest.raises(ProductReadError, match="band B12 .20 m. file listed in MTD_MSIL1C.xml is missing"):
        check_band_files(parsed)


def test_corrupt_codestream_passes_headers_and_fails_at_decode_naming_the_file(product):
    band = band_file(product, "B8A")
    corrupt_tile_part_length(band)
    assert check_jp2_file(band, (60, 60)) == (60, 60)   # structure and header are intact ...
    with pytest.raises(ProductReadError) as info:        # ... OpenJPEG fails when decoding
        read_jp2(band)
    assert str(band) in str(info.value)


def test_silently_wrong_pixels_only_caught_by_the_manifest_checksum(product):
    band = band_file(product, "B06")
    data = bytearray(band.read_bytes())
    sot = data.find(b"\xff\x90")
    data[sot + 14:-2] = bytes(len(data) - 2 - (sot + 14))   # zero the entropy-coded data, same length
    band.write_bytes(bytes(data))
    parsed = read_l1c_product(product)
    assert check_band_files(parsed, bands=["B06"])["B06"] == (60, 60)
    with pytest.raises(ProductReadError, match="SHA3-256 checksum .* differs"):
        check_band_files(parsed, bands=["B06"], manifest="error", verify_checksums=True)


def test_manifest_entries_of_the_generated_product(l1c):
    entries = read_manifest(l1c)
    band = band_file(l1c, "B05")
    entry = entries[band.relative_to(l1c).as_posix()]
    assert entry.size_bytes == band.stat().st_size
    assert entry.checksum_name == "SHA3-256" and len(entry.checksum) == 64


def test_real_l1c_manifest_with_md5():
    safe = shared_path("data", "real", "metadata", "stactools",
                       "S2A_MSIL1C_20200717T221941_R029_T01LAC_20200717T234135.SAFE")
    entries = read_manifest(safe)
    (b05,) = [v for k, v in entries.items() if k.endswith("_B05.jp2")]
    assert b05.checksum_name == "MD5" and len(b05.checksum) == 32
    assert entries["MTD_MSIL1C.xml"].size_bytes == (safe / "MTD_MSIL1C.xml").stat().st_size


def test_real_jpeg2000_files_pass_the_structure_check():
    """Official L2A/L1C rasters (bands, TCI, PVI, masks) of several baselines, all from real products."""
    folder = shared_path("data", "real")
    files = sorted(p for p in folder.rglob("*.jp2") if "aws-tile" not in p.parent.name)  # those are TIFFs
    assert len(files) > 100
    for path in files:
        check_jp2_file(path, components=None)


def test_real_tiff_named_jp2_is_rejected():
    tiff = shared_path("data", "real", "l1c", "aws-tile-19UDP-20170729", "B03.jp2")
    with pytest.raises(ProductReadError, match="not a JPEG 2000"):
        check_jp2_file(tiff)


def test_warn_if_no_data(caplog):
    with caplog.at_level(logging.WARNING, logger="sen2cor.run.input_checks"):
        assert warn_if_no_data(np.ones((4, 4), bool), tile_id="29UNU", resolution_m=20) is True
        assert warn_if_no_data(np.eye(4, dtype=bool), tile_id="29UNU", resolution_m=20) is False
    assert len(caplog.records) == 1
    assert "29UNU" in caplog.text and "no valid pixel" in caplog.text


def test_raw_codestream_without_boxes(tmp_path, l1c):
    """A .j2k code stream (no JP2 boxes) is accepted when it ends with EOC."""
    source = band_file(l1c, "B01")
    boxes = jp2_boxes(source)
    jp2c = boxes[-1]
    raw = source.read_bytes()[jp2c.offset + 8:jp2c.offset + jp2c.length]
    path = tmp_path / "B01.j2k"
    path.write_bytes(raw)
    check_jp2_structure(path)
    shutil.copy(path, tmp_path / "cut.j2k")
    (tmp_path / "cut.j2k").write_bytes(raw[:-10])
    with pytest.raises(ProductReadError, match="EOC"):
        check_jp2_structure(tmp_path / "cut.j2k")
