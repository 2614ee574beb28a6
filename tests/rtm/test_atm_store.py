"""Sen2Cor's tables packaged in luts/: every value identical to the .atm files, and the codec exact."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.errors import LutError
from sen2cor.rtm import grid
from sen2cor.rtm.atm_reader import ATM_BANDS, atm_file_name, load_atm_lut
from sen2cor.rtm.atm_store import (STORE_BANDS, block_shape, decode_block, encode_block, packaged_spacecraft,
                                   read_block, store_path)
from tests.conftest import shared_path


def test_codec_is_exact_on_any_bit_pattern():
    rng = np.random.default_rng(3)
    shape = (3, 2, 2, 2, 4, 5)
    values = rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(np.uint32).view(np.float32)
    reference = rng.integers(0, 2**32, size=shape, dtype=np.uint64).astype(np.uint32).view(np.float32)
    for ref in (None, reference):
        planes = encode_block(values, ref)
        assert planes.shape == (4, values.size) and planes.dtype == np.uint8
        np.testing.assert_array_equal(decode_block(planes, shape, ref).view(np.uint32), values.view(np.uint32))


def test_smooth_tables_encode_to_small_numbers():
    """Neighbouring nodes differ in low-order bits only: most high bytes of the differences are 0."""
    sza = np.linspace(0.1, 0.9, 8, dtype=np.float32)
    ozone = np.linspace(1, 1.01, 6, dtype=np.float32)[:, None, None, None, None, None]
    values = np.broadcast_to(sza[:, None] * ozone, (6, 2, 1, 1, 8, 3)).copy()
    planes = encode_block(values)
    assert np.mean(planes[3] == 0) > 0.8


def test_packaged_spacecraft():
    assert packaged_spacecraft() == ("S2A", "S2B")
    with pytest.raises(LutError, match="no packaged Sen2Cor tables for S2C"):
        load_atm_lut(None, "S2C")


def test_every_value_equals_the_atm_files():
    """All 480 files of lib_S2A and lib_S2B (10 and 20_60) against the packaged blocks, bit for bit."""
    root = shared_path("luts", "sen2cor-2.8")
    checked = 0
    for craft in ("S2A", "S2B"):
        for season in grid.SEASONS:
            for aerosol in grid.AEROSOLS:
                block = read_block(craft, season, aerosol)
                assert block.shape == block_shape(season)
                for i, letter in enumerate(grid.OZONE_DU[season]):
                    for j, wv in enumerate(grid.WATER_VAPOUR_CM[season]):
                        name = atm_file_name(letter, float(wv), aerosol)
                        for resolution, bands in ATM_BANDS.items():
                            raw = (root / f"lib_{craft}" / resolution / name).read_bytes()
                            packed = block[i, j][[STORE_BANDS.index(b) for b in bands]]
                            assert packed.astype(">f4").tobytes() == raw, f"{craft}/{resolution}/{name}"
                            checked += 1
    assert checked == 480


def test_packaged_and_folder_tables_are_the_same_lut():
    root = shared_path("luts", "sen2cor-2.8")
    packed = load_atm_lut(None, "S2B", "winter", "mari", 377.0, resolution="10")
    folder = load_atm_lut(root, "S2B", "winter", "mari", 377.0, resolution="10")
    assert packed.bands == folder.bands == ("B02", "B03", "B04", "B08")
    for name, values in folder.values.items():
        np.testing.assert_array_equal(packed.values[name], values, err_msg=name)
    assert "packaged" in packed.description["source"]


def test_store_size_stays_lean():
    total = sum(store_path(c).stat().st_size for c in packaged_spacecraft())
    assert total < 12.5e6          # 11.6 MB for S2A + S2B (docs/luts.md)
