"""Tile processing opens its HDF5 databases with a small chunk cache (the default 16 MiB per open array
held ~0.9 GB at the full tile) and leaves PyTables' default untouched for other files."""

import numpy as np
import tables

from sen2cor.run import tile as tile_processing
from sen2cor.tables.store import Database


def test_databases_keep_the_small_chunk_cache_and_the_default_is_restored(tmp_path):
    default = tables.parameters.CHUNK_CACHE_SIZE
    with tile_processing._chunk_cache(tile_processing.DATABASE_CHUNK_CACHE_BYTES):
        db = Database(tmp_path / "t_resdb.h5")
    other = Database(tmp_path / "other_resdb.h5")
    try:
        assert tables.parameters.CHUNK_CACHE_SIZE == default
        assert db._h5.params["CHUNK_CACHE_SIZE"] == 1 << 20 < default
        assert other._h5.params["CHUNK_CACHE_SIZE"] == default
        image = np.arange(3000 * 1100, dtype=np.float32).reshape(3000, 1100)   # several 1024 px chunks
        db.put("B04", 10, image)
        np.testing.assert_array_equal(db.get("B04", 10), image)
        np.testing.assert_array_equal(db.get("B04", 10, (slice(1000, 1050), slice(1020, 1030))),
                                      image[1000:1050, 1020:1030])
    finally:
        db.close()
        other.close()
