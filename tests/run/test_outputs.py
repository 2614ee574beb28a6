"""Tile processing keeps each output in the temporary database as soon as it is final: the driver sink
encodes it block by block (facts B.14) and the writers read the layers back one at a time."""

import numpy as np
import pytest

from sen2cor.run import outputs as tile_outputs
from sen2cor.tables.store import Database


@pytest.fixture()
def db(tmp_path):
    with Database(tmp_path / "t_resdb.h5") as database:
        yield database


def _scl(rows: int) -> np.ndarray:
    scl = np.full((rows, 3), 4, np.uint8)
    scl[0] = 0      # no data
    scl[300] = 1    # saturated / defective
    return scl


def test_sink_encodes_bands_aot_and_wvp_over_several_blocks(db):
    rows = 2 * tile_outputs.ENCODE_ROWS + 88            # three encoding blocks
    scl = _scl(rows)
    sink = tile_outputs.OutputEncoder(db, 10, scl, boa_add_offset=-1000)
    rho = np.tile(np.array([0.1234, -0.05, -0.2], np.float32), (rows, 1))
    rho[5, 0] = 0.0                                         # exactly 0: no data in Sen2Cor's encoding
    sink("B04", rho)
    sink("AOT", np.full((rows, 3), 0.25, np.float32))
    sink("WVP", np.full((rows, 3), 1.5, np.float32))
    assert sink.names == ["B04", "AOT", "WVP"]
    dn = db.get("OUT_B04", 10)
    assert dn.dtype == np.uint16
    # trunc(rho * 10000 + 1000 + 0.5): 0.1234 -> 2234, -0.05 -> 500, -0.2 -> -999 -> 1 (negative DN)
    np.testing.assert_array_equal(dn[1], [2234, 500, 1])
    np.testing.assert_array_equal(dn[-1], [2234, 500, 1])
    assert dn[5, 0] == 0
    for name, value in (("OUT_B04", None), ("OUT_AOT", 250), ("OUT_WVP", 1500)):
        out = db.get(name, 10)
        assert not out[0].any() and not out[300].any()      # SCL 0 and 1 -> 0 in every layer
        if value is not None:
            assert np.all(np.delete(out, [0, 300], axis=0) == value)


def test_sink_without_offset_uses_the_old_baseline_encoding(db):
    sink = tile_outputs.OutputEncoder(db, 20, np.full((2, 2), 5, np.uint8), boa_add_offset=0)
    sink("B8A", np.array([[0.25, 0.0], [-0.1, 0.00004]], np.float32))
    # round(max(rho, 1e-4) * 10000): 0.25 -> 2500, 0 / negatives / below 1e-4 -> 1
    np.testing.assert_array_equal(db.get("OUT_B8A", 20), [[2500, 1], [1, 1]])


def test_stored_layers_read_the_database_only_when_a_layer_is_taken(db):
    db.put("OUT_B02", 10, np.arange(6, dtype=np.uint16).reshape(2, 3))
    layers = tile_outputs.StoredLayers(db, 10, ("B02", "SCL"))
    assert "SCL" in layers and "B03" not in layers          # membership reads nothing (SCL is not stored)
    assert list(layers) == ["B02", "SCL"] and len(layers) == 2
    np.testing.assert_array_equal(layers["B02"], [[0, 1, 2], [3, 4, 5]])
    with pytest.raises(KeyError):
        layers["B03"]
