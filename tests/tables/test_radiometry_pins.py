"""Edges of the DN <-> reflectance codecs and the L2A encodings (algorithm facts B.14, config facts §5.4):
clipping bounds, rounding, no data, dtypes."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.tables import radiometry as r


def test_reflectance_to_dn_clips_to_1_and_65534_and_keeps_nan_as_0():
    rho = np.array([[-0.5, 0.00004, 0.00005, 6.6, np.nan, 0.1]], np.float32)
    out = r.reflectance_to_dn(rho, 10000.0, 0)
    assert out.dtype == np.uint16
    assert out.tolist() == [[1, 1, 1, 65534, 0, 1000]]
    assert r.reflectance_to_dn(np.array([[0.0]], np.float32), 10000.0, -1000).tolist() == [[1000]]


def test_dn_to_reflectance_keeps_float32_and_the_no_data_value():
    dn = np.array([[0, 10000]], np.uint16)
    out = r.dn_to_reflectance(dn, 10000.0, 0, nodata_value=-1.0)
    assert out.dtype == np.float32 and out.tolist() == [[-1.0, 1.0]]


@pytest.mark.parametrize(("baseline", "offset"), [("03.99", 0), ("04.00", -1000), ("04.01", -1000), ("02.14", 0),
                                                  ("05.11.01", -1000), ("10.00", -1000)])
def test_boa_offset_from_baseline_04_00(baseline, offset):
    assert r.boa_add_offset(baseline) == offset


def test_encode_quantity_rounds_half_up_clips_and_zeroes_no_data():
    values = np.array([[0.0004, 0.0005, -0.0004, -0.2, 70.0, np.inf, 1.2345]])
    nodata = np.array([[False, False, False, False, False, False, True]])
    out = r.encode_quantity(values, 1000.0, nodata)
    # trunc(v * 1000 + 0.5): 0.9 -> 0, 1.0 -> 1, 0.1 -> 0, -199.5 -> 0 (clip), 70000 -> 65535, inf -> 0
    assert out.dtype == np.uint16
    assert out.tolist() == [[0, 1, 0, 0, 65535, 0, 0]]
    assert r.encode_aot(np.array([[0.2]]), np.array([[True]])).tolist() == [[0]]
    assert r.encode_wvp(np.array([[2.5, 1.0]]), np.array([[False, True]])).tolist() == [[2500, 0]]


def test_decoders_return_float32_and_int32():
    assert r.decode_quantity(np.array([[1500]], np.uint16), 1000.0).dtype == np.float32
    dem = r.decode_dem(np.array([[0, 65535]], np.uint16))
    assert dem.dtype == np.int32 and dem.tolist() == [[-10000, 55535]]


def test_encode_dem_rounds_and_clips():
    out = r.encode_dem(np.array([[-12000.0, 60000.0, 10.4, 10.6, -0.6]]))
    assert out.dtype == np.uint16 and out.tolist() == [[0, 65535, 10010, 10011, 9999]]


def test_encode_percent_fraction_or_percent_input():
    out = r.encode_percent(np.array([[0.0, 0.004, 0.005, 0.999, 1.0, np.nan]], np.float32))
    assert out.dtype == np.uint8 and out.tolist() == [[0, 0, 1, 100, 100, 0]]
    # a maximum above 1 means the values are percent already
    assert r.encode_percent(np.array([[1.0, 45.4, 45.5, 120.0, -3.0]])).tolist() == [[1, 45, 46, 100, 0]]
    assert r.encode_percent(np.zeros((0, 3))).shape == (0, 3)


def test_tci_bounds():
    # DN + offset clipped to 0..2500, * 254 // 2500 + 1; DN + offset <= 0 -> 0
    dn = np.array([[1000, 1001, 3499, 3500, 3501, 60000]], np.uint16)
    out = r.tci_from_boa_dn(dn, dn, dn)
    assert out.dtype == np.uint8 and out.shape == (1, 6, 3)
    assert out[..., 0].tolist() == [[0, 1, 254, 255, 255, 255]]
    assert (out[..., 0] == out[..., 2]).all()
    b = np.array([[1, 2500]], np.uint16)
    assert r.tci_from_boa_dn(b, b * 0, b, add_offset=0)[0].tolist() == [[1, 0, 1], [255, 0, 255]]


def test_boa_dn_exactly_zero_stays_zero():
    # B.14: DN = trunc(rho * 10000 + 1000.5), only DN < 0 becomes 1: -0.10005 and -0.1001 truncate to 0
    # (-0.5 truncates to -0, which is not below 0), so such pixels come out as no data, as in Sen2Cor
    assert r.reflectance_to_boa_dn(np.array([[-0.10005, -0.1001, -0.2]], np.float32)).tolist() == [[0, 0, 1]]


def test_percent_input_between_1_and_2_is_percent():
    assert r.encode_percent(np.array([[1.5, 0.4]])).tolist() == [[2, 0]]
