"""Spectral response functions: metadata reader, packaged copy, resampling onto the 6S grid."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.rtm import srf
from sen2cor.rtm.sixs import grid_wavelengths_um
from sen2cor.bands import BAND_IDS
from sen2cor.errors import LutError
from tests.conftest import shared_path


def test_read_mtd_srf_real_product():
    mtd = shared_path("data", "real", "l1c", "S2A_MSIL1C_20240101T102431_N0510_R065_T30NWM_20240101T122107.SAFE",
                      "MTD_MSIL1C.xml")
    srfs = srf.read_mtd_srf(mtd)
    assert tuple(srfs) == BAND_IDS
    b01 = srfs["B01"]
    assert b01.wavelength_nm[0] == 412 and b01.wavelength_nm[-1] == 456     # MIN/MAX of the metadata
    assert b01.response.max() == 1.0
    assert b01.response[0] == pytest.approx(0.001775742)                     # first VALUES entry


def test_packaged_srf_s2a_and_s2c_fallback(caplog):
    s2a = srf.packaged_srf("S2A")
    assert set(s2a) == set(BAND_IDS)
    peak_nm = s2a["B04"].wavelength_nm[np.argmax(s2a["B04"].response)]
    assert 650 <= peak_nm <= 680
    s2c = srf.packaged_srf("S2C")
    np.testing.assert_array_equal(s2c["B09"].response, s2a["B09"].response)
    assert "S2C" in caplog.text
    e0 = srf.packaged_solar_irradiance("S2B")
    assert 1800 < e0["B02"] < 2100 and 80 < e0["B12"] < 90
    with pytest.raises(LutError, match="S2Z"):
        srf.packaged_srf("S2Z")


def test_resample_on_grid_is_exact_at_whole_nanometres():
    band = srf.BandResponse(np.arange(600.0, 611.0), np.linspace(0.0, 1.0, 11))
    wl = grid_wavelengths_um(0.5975, 0.6125)                   # 597.5 ... 612.5 nm in 2.5 nm steps
    out = srf.resample(band, wl)
    # 597.5 outside, 600 -> 0, 602.5 -> 0.25, 605 -> 0.5, 607.5 -> 0.75, 610 -> 1, 612.5 outside
    np.testing.assert_allclose(out, [0.0, 0.0, 0.25, 0.5, 0.75, 1.0, 0.0], atol=1e-12)


def test_srf_outside_tables_is_an_error():
    band = srf.BandResponse(np.arange(2400.0, 2450.0), np.ones(50))
    with pytest.raises(LutError, match="not covered"):
        srf.srf_matrix({"B12": band}, ("B12",), grid_wavelengths_um(0.40, 2.40))
