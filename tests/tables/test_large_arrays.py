"""Block-wise routines on arrays of more than 2048 rows (two full 1024-row blocks and a partial one),
non-square, against the element-wise formulas of algorithm facts B.14 and config facts §5.4. A block
boundary that drops, repeats or shifts a row, or blocks taken along the wrong axis, fail here."""

import numpy as np
import pytest

from sen2cor.tables import radiometry as r

ROWS, COLS = 2 * r.BLOCK_ROWS + 377, 5


@pytest.fixture(scope="module")
def dn():
    """L1C DN that differ in every row and column, with no-data and saturated pixels."""
    values = (1000 + 7 * np.arange(ROWS)[:, None] + 3 * np.arange(COLS)[None, :]).astype(np.uint16)
    values[::97, 0] = 0
    values[5::101, 1] = 65535
    return values


def test_dn_to_reflectance(dn):
    rho = r.dn_to_reflectance(dn, 10000.0, -1000)
    expected = (dn.astype(np.float64) - 1000.0) / 10000.0
    expected[dn == 0] = np.nan
    assert rho.shape == dn.shape and rho.dtype == np.float32
    np.testing.assert_allclose(rho, expected, rtol=1e-6, atol=1e-7)


def test_reflectance_to_dn(dn):
    rho = (dn.astype(np.float64) - 1000.0) / 10000.0
    rho[dn == 0] = np.nan
    back = r.reflectance_to_dn(rho.astype(np.float32), 10000.0, -1000)
    expected = np.where(dn == 0, 0, np.clip(dn, 1, 65534))
    assert back.dtype == np.uint16
    np.testing.assert_array_equal(back, expected)


def test_boa_dn_both_baselines(dn):
    rho = (dn.astype(np.float64) - 900.0) / 10000.0
    rho[::13, 2] = -0.2
    nodata = np.zeros(dn.shape, bool)
    nodata[::211, 3] = True
    out = r.reflectance_to_boa_dn(rho.astype(np.float32), nodata)
    expected = np.trunc(rho * 10000.0 + 1000.5)
    expected[expected < 0] = 1
    expected = np.clip(expected, 0, 32767)
    expected[nodata] = 0
    assert out.dtype == np.uint16
    np.testing.assert_array_equal(out, expected)
    old = r.reflectance_to_boa_dn(rho.astype(np.float32), nodata, add_offset=0)
    expected_old = np.clip(np.rint(np.maximum(rho, 1e-4) * 10000.0), 0, 32767)
    expected_old[nodata] = 0
    np.testing.assert_array_equal(old, expected_old)


def test_encode_quantity_aot_wvp_and_dem(dn):
    values = dn.astype(np.float64) / 4000.0
    nodata = np.zeros(dn.shape, bool)
    nodata[1::300, 4] = True
    aot = r.encode_aot(values, nodata)
    expected = np.trunc(values * 1000.0 + 0.5)
    expected[nodata] = 0
    np.testing.assert_array_equal(aot, expected)
    np.testing.assert_array_equal(r.encode_wvp(values), np.trunc(values * 1000.0 + 0.5))
    heights = dn.astype(np.float64) - 3000.3
    np.testing.assert_array_equal(r.encode_dem(heights), np.clip(np.rint(heights) + 10000, 0, 65535))


def test_tci(dn):
    out = r.tci_from_boa_dn(dn, dn[::-1], dn[:, ::-1])
    for channel, band in enumerate((dn, dn[::-1], dn[:, ::-1])):
        reflectance_dn = band.astype(np.int64) - 1000
        expected = np.clip(reflectance_dn, 0, 2500) * 254 // 2500 + 1
        expected[reflectance_dn <= 0] = 0
        np.testing.assert_array_equal(out[..., channel], expected)
    assert out.dtype == np.uint8 and out.shape == dn.shape + (3,)


def test_wide_short_arrays_use_rows_not_columns():
    """A 3 x 2500 array: blocks along the columns would cut it wrong."""
    dn = (1000 + np.arange(3 * 2500) % 9000).astype(np.uint16).reshape(3, 2500)
    np.testing.assert_allclose(r.dn_to_reflectance(dn, 10000.0, -1000), (dn - 1000.0) / 10000.0, rtol=1e-6)
    assert r.reflectance_to_boa_dn(np.full((3, 2500), 0.1, np.float32)).min() == 2000
