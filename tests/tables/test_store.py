"""PyTables databases: storage, windows, compression, locations, clean-up."""
from __future__ import annotations


import numpy as np
import pytest
import tables

from sen2cor.errors import MissingBandError
from sen2cor.tables.store import Database, database_dirs, database_path, filters, open_databases


def test_put_get_window_and_names(tmp_path):
    a = np.arange(300 * 200, dtype=np.uint16).reshape(300, 200)
    with Database(tmp_path / "x.h5") as db:
        db.put("B02", 10, a)
        db.put("AOT", 20, a[:150, :100].astype(np.float32))
        np.testing.assert_array_equal(db.get("B02", 10), a)
        np.testing.assert_array_equal(db.get("B02", 10, (slice(10, 20), slice(5, 9))), a[10:20, 5:9])
        assert db.get("AOT", 20).dtype == np.float32
        assert db.names() == [("AOT", 20), ("B02", 10)]
        assert db.names(20) == [("AOT", 20)]
        blocks = list(db.iter_row_blocks("B02", 10, block_rows=128))
        assert [b[0] for b in blocks] == [slice(0, 128), slice(128, 256), slice(256, 300)]
        db.remove("AOT", 20)
        assert not db.has("AOT", 20)
        with pytest.raises(MissingBandError, match="AOT at 20 m is not in database x.h5"):
            db.get("AOT", 20)
    assert not (tmp_path / "x.h5").exists()


def test_block_wise_fill(tmp_path):
    with Database(tmp_path / "y.h5", remove_on_close=False) as db:
        node = db.create("SCL", 20, (50, 40), np.uint8)
        for start in range(0, 50, 16):
            node[start:start + 16] = start
        assert db.get("SCL", 20)[49, 0] == 48
    assert (tmp_path / "y.h5").exists()


@pytest.mark.parametrize("level,complib", [(1, "blosc2"), (1, "zlib"), (5, "blosc2")])
def test_compression(tmp_path, level, complib):
    a = np.tile(np.arange(1000, dtype=np.uint16), (1000, 1))
    with Database(tmp_path / "c.h5", compression_level=level, complib=complib, remove_on_close=False) as db:
        db.put("B01", 60, a)
    with tables.open_file(str(tmp_path / "c.h5")) as h5:
        node = h5.get_node("/R60m/B01")
        assert node.filters.complevel == level and node.filters.complib.startswith(complib)
        assert node.chunkshape == (1000, 1000)
        np.testing.assert_array_equal(node.read(), a)
    assert (tmp_path / "c.h5").stat().st_size < a.nbytes / 4
    assert filters(0) is None
    with pytest.raises(ValueError, match="0..9"):
        filters(10)


def test_database_location_rule(tmp_path):
    tile = tmp_path / "L2A_T29UNU"
    assert database_dirs(tile) == (tile, tile)
    assert database_dirs(tile, work_dir=tmp_path / "w") == (tmp_path / "w", tmp_path / "w")
    assert database_dirs(tile, img_database_dir=tmp_path / "ram", work_dir=tmp_path / "w") == \
        (tmp_path / "ram", tmp_path / "w")
    assert database_dirs(tile, res_database_dir=tmp_path / "r") == (tile, tmp_path / "r")
    assert database_path(tile, "T29UNU", "image").name == "T29UNU_imgdb.h5"
    assert database_path(tile, "T29UNU", "temporary").name == "T29UNU_resdb.h5"


def test_databases_are_removed_after_a_failure(tmp_path):
    with pytest.raises(RuntimeError, match="boom"):
        with open_databases("T1", tmp_path / "tile", img_database_dir=tmp_path / "img") as (img, tmp):
            img.put("B01", 60, np.ones((6, 6), np.uint16))
            assert img.path == tmp_path / "img" / "T1_imgdb.h5" and img.path.exists()
            assert tmp.path == tmp_path / "tile" / "T1_resdb.h5" and tmp.path.exists()
            raise RuntimeError("boom")
    assert list((tmp_path / "img").iterdir()) == [] and list((tmp_path / "tile").iterdir()) == []


def test_renew_keeps_only_what_the_next_resolution_needs(tmp_path):
    with open_databases("T2", tmp_path, compression_level=1) as (_, tmp):
        aot = np.full((30, 30), 200, np.uint16)
        tmp.put("AOT", 20, aot)
        tmp.put("B05", 20, np.zeros((30, 30), np.float32))
        tmp.renew([("AOT", 20)])
        assert tmp.names() == [("AOT", 20)]
        np.testing.assert_array_equal(tmp.get("AOT", 20), aot)
        tmp.put("SCL", 10, np.zeros((60, 60), np.uint8))
        assert sorted(p.name for p in tmp_path.iterdir()) == ["T2_imgdb.h5", "T2_resdb.h5"]
    assert list(tmp_path.iterdir()) == []


def test_a_stale_database_is_truncated_not_reused(tmp_path):
    with Database(tmp_path / "s.h5", remove_on_close=False) as db:
        db.put("B02", 10, np.ones((4, 4), np.uint16))
    with Database(tmp_path / "s.h5") as db:
        assert db.names() == []
