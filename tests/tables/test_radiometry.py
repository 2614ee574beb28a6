"""DN <-> reflectance codecs and L2A encodings, hand-computed values."""
from __future__ import annotations

import numpy as np

from sen2cor.tables import radiometry as r
from tests.conftest import shared_path


def test_l1c_dn_to_reflectance_with_baseline_offset():
    dn = np.array([[0, 1000, 3500, 65535]], np.uint16)
    rho = r.dn_to_reflectance(dn, 10000.0, -1000)
    assert rho.dtype == np.float32
    assert np.isnan(rho[0, 0])
    np.testing.assert_allclose(rho[0, 1:], [0.0, 0.25, 6.4535], rtol=1e-6)
    np.testing.assert_allclose(r.dn_to_reflectance(dn, 10000.0, 0, nodata_value=0)[0], [0, 0.1, 0.35, 6.5535],
                               rtol=1e-6)


def test_masks():
    dn = np.array([0, 1, 65535, 65534], np.uint16)
    assert r.nodata_mask(dn).tolist() == [True, False, False, False]
    assert r.saturation_mask(dn).tolist() == [False, False, True, False]


def test_boa_encoding_baseline_04():
    rho = np.array([[0.1, -0.2, np.nan, 0.0, 5.0, 0.12345, -0.09]], np.float32)
    # 0.1 -> 1000+1000; -0.2 -> -999.5 -> 1; NaN -> 0; exactly 0 -> no data; 5 -> clip 32767
    # 0.12345 -> 1234.5+1000.5 = 2235.0 -> 2235 (float32 0.12345 = 0.123450003)
    # -0.09 -> -900 + 1000.5 = 100.5 -> 100
    assert r.reflectance_to_boa_dn(rho).tolist() == [[2000, 1, 0, 0, 32767, 2235, 100]]
    nodata = np.array([[True, False, False, False, False, False, False]])
    assert r.reflectance_to_boa_dn(rho, nodata)[0, 0] == 0


def test_boa_encoding_before_baseline_04():
    rho = np.array([0.1, -0.2, 0.00004, np.nan], np.float32)[None]
    assert r.reflectance_to_boa_dn(rho, add_offset=0).tolist() == [[1000, 1, 1, 0]]
    assert r.boa_add_offset("04.00") == -1000 and r.boa_add_offset("05.11") == -1000
    assert r.boa_add_offset("02.14") == 0


def test_boa_roundtrip_within_half_a_dn():
    rho = np.linspace(0.001, 1.5, 3000, dtype=np.float32).reshape(30, 100)
    back = r.boa_dn_to_reflectance(r.reflectance_to_boa_dn(rho))
    assert np.abs(back - rho).max() <= 0.5 / 10000 + 1e-6


def test_aot_wvp_dem_encodings():
    assert r.encode_aot(np.array([[0.2, 0.1234, np.nan]])).tolist() == [[200, 123, 0]]
    assert r.encode_wvp(np.array([[1.5, 0.0005]])).tolist() == [[1500, 1]]
    np.testing.assert_allclose(r.decode_quantity(np.array([1500], np.uint16), 1000.0), [1.5])
    dem = r.encode_dem(np.array([[-35.0, 0.0, 4807.6]]))
    assert dem.dtype == np.uint16 and dem.tolist() == [[9965, 10000, 14808]]
    assert r.decode_dem(dem).tolist() == [[-35, 0, 4808]]
    assert r.encode_percent(np.array([[0.0, 0.504, 1.0, np.nan]])).tolist() == [[0, 50, 100, 0]]


def test_tci_scaling_by_hand():
    dn = np.array([[0, 999, 1000, 1001, 1010, 2250, 3500, 9000]], np.uint16)
    # (DN-1000) clipped to 0..2500, *254/2500 truncated, +1; reflectance <= 0 -> 0
    assert r.tci_from_boa_dn(dn, dn, dn)[..., 0].tolist() == [[0, 0, 0, 1, 2, 128, 255, 255]]
    assert r.tci_from_boa_dn(dn, dn, dn, add_offset=0)[..., 0].tolist() == [[0, 102, 102, 102, 103, 229, 255, 255]]


def test_tci_scaling_matches_the_official_product():
    granule = shared_path("data", "real", "l2a",
                          "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE",
                          "GRANULE", "L2A_T29UNU_A038058_20221005T115407", "IMG_DATA", "R60m")
    from sen2cor.io.jp2 import read_jp2

    bands = [read_jp2(granule / f"T29UNU_20221005T115411_{b}_60m.jp2", window=(600, 600, 1000, 1000))
             for b in ("B04", "B03", "B02")]
    real = read_jp2(granule / "T29UNU_20221005T115411_TCI_60m.jp2", window=(600, 600, 1000, 1000))
    ours = r.tci_from_boa_dn(*bands)
    np.testing.assert_array_equal(ours, real)
