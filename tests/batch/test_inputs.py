"""L2A_Batch inputs: folders, archives, glob patterns, folders to scan and list files, each product once."""
from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sen2cor.batch.archive import remove_stale_unpacked, unpacked
from sen2cor.batch.inputs import SAFE, TILE, ZIP, collect_inputs
from sen2cor.errors import ProductReadError, UsageError

A = "S2A_MSIL1C_20221005T114533_N0510_R023_T29UNU_20221005T133546"
B = "S2B_MSIL1C_20221006T114533_N0510_R023_T29UNU_20221006T133546"
C = "S2A_MSIL1C_20221015T114533_N0510_R023_T29UNU_20221015T133546"


def _product(folder: Path, name: str) -> Path:
    safe = folder / f"{name}.SAFE"
    (safe / "GRANULE").mkdir(parents=True)
    (safe / "MTD_MSIL1C.xml").write_text("<x/>")
    return safe


def _archive(folder: Path, name: str, file_name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (file_name or f"{name}.SAFE.zip")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}.SAFE/MTD_MSIL1C.xml", "<x/>")
        zf.writestr(f"{name}.SAFE/GRANULE/readme.txt", "tile")
    return path


def test_folder_archive_glob_scan_and_list(tmp_path):
    data = tmp_path / "data"
    a = _product(data / "sub", A)
    b = _archive(data, B, "download_1.zip")              # name from the archive's content
    c = _product(tmp_path / "elsewhere", C)
    (data / "notes.txt").write_text("not a product")
    listing = tmp_path / "list.txt"
    listing.write_text(f"# products\n\n../{tmp_path.name}/elsewhere/{C}.SAFE\n{a}\n")
    items = collect_inputs([str(data), str(listing)], cwd=tmp_path)
    assert [(i.name, i.kind, i.source) for i in items] == [(B, ZIP, b), (A, SAFE, a), (C, SAFE, c)]
    assert all(i.error is None for i in items)
    globbed = collect_inputs([str(tmp_path / "*" / "*.SAFE"), "data/*.zip"], cwd=tmp_path)
    assert [i.name for i in globbed] == [C, B]


def test_missing_inputs_become_failed_items_and_others_stay(tmp_path):
    a = _product(tmp_path, A)
    items = collect_inputs([str(tmp_path / "nothing.SAFE"), str(a), str(tmp_path / "none_*.zip")])
    assert [i.name for i in items] == ["nothing", A, "none_*.zip"]
    assert "does not exist" in items[0].error and items[1].error is None and "matches" in items[2].error


def test_the_same_product_twice_is_processed_once(tmp_path, caplog):
    a = _product(tmp_path, A)
    _archive(tmp_path / "zips", A)
    items = collect_inputs([str(a), str(tmp_path / "zips"), str(a)])
    assert [(i.name, i.source) for i in items] == [(A, a)]
    assert "given twice" in caplog.text


def test_tiles_in_process_tile_mode(tmp_path):
    for name in ("S2A_OPER_MSI_L1C_TL_EDRS_20221005T133546_A038058_T29UNU_N05.10",
                 "L1C_T29UNV_A038058_20221005T114821"):
        (tmp_path / "tiles" / name).mkdir(parents=True)
        (tmp_path / "tiles" / name / "MTD_TL.xml").write_text("<x/>")
    (tmp_path / "tiles" / "other").mkdir()
    items = collect_inputs([str(tmp_path / "tiles")], tiles=True)
    assert [i.kind for i in items] == [TILE, TILE] and items[0].name.startswith("L1C_T29UNV")


def test_unreadable_or_self_including_list_files_are_usage_errors(tmp_path):
    with pytest.raises(UsageError, match="no input"):
        collect_inputs([])
    loop = tmp_path / "loop.txt"
    loop.write_text("loop.txt\n")
    with pytest.raises(UsageError, match="includes itself"):
        collect_inputs([str(loop)])
    binary = tmp_path / "list.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(UsageError, match="list file"):
        collect_inputs([str(binary)])


def test_archive_is_unpacked_and_always_removed(tmp_path):
    archive = _archive(tmp_path, A)
    work = tmp_path / "work"
    with unpacked(archive, work, A) as safe:
        assert safe.name == f"{A}.SAFE" and (safe / "MTD_MSIL1C.xml").read_text() == "<x/>"
        assert safe.is_relative_to(work) and all(p.name.startswith(".") for p in work.iterdir())
    assert list(work.iterdir()) == []
    with pytest.raises(RuntimeError), unpacked(archive, work, A) as safe:
        raise RuntimeError("the run failed")
    assert list(work.iterdir()) == [] and archive.is_file()


@pytest.mark.parametrize("content, message", [
    (b"PK\x03\x04 truncated", "cannot unpack archive"),
    (None, "points outside"),
    ("two", "holds 2 L1C products"),
])
def test_bad_archives_are_refused_naming_the_archive(tmp_path, content, message):
    path = tmp_path / "bad.zip"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        with zipfile.ZipFile(path, "w") as zf:
            if content is None:
                zf.writestr("../evil/MTD_MSIL1C.xml", "x")
            else:
                zf.writestr(f"{A}.SAFE/MTD_MSIL1C.xml", "x")
                zf.writestr(f"{B}.SAFE/MTD_MSIL1C.xml", "x")
    with pytest.raises(ProductReadError, match=message) as caught, unpacked(path, tmp_path / "work", "bad"):
        pass
    assert "bad.zip" in str(caught.value)
    assert not (tmp_path / "evil").exists() and list((tmp_path / "work").iterdir()) == []


def test_stale_unpacked_folders_of_dead_processes_are_removed(tmp_path):
    """A worker killed while its archive is unpacked leaves the folder; the next batch removes it, but not the
    folder of a live run (the lock it holds tells them apart, whatever the process ids)."""
    import subprocess
    import sys

    archive = _archive(tmp_path, A)
    killed = subprocess.run([sys.executable, "-c", (
        "import os, sys\nfrom pathlib import Path\nfrom sen2cor.batch.archive import unpacked\n"
        f"with unpacked(Path({str(archive)!r}), Path({str(tmp_path / 'work')!r}), 'dead'):\n"
        "    os._exit(9)\n")])
    assert killed.returncode == 9
    (left,) = (tmp_path / "work").iterdir()
    with unpacked(archive, tmp_path / "work", "alive") as safe:
        assert remove_stale_unpacked(tmp_path / "work") == [left]
        assert safe.is_dir() and not left.exists()
