"""Reader of Sen2Cor's native .atm LUTs, checked against raw offsets of a real file."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.rtm.atm_reader import ATM_BANDS, atm_file_name, load_atm_lut, read_atm
from sen2cor.rtm.sources import load_lut
from sen2cor.errors import LutError
from tests.conftest import shared_path

RECORD = 104      # 2 header floats + 6 elevations x 17 values


def raw_value(raw, band, vis, sza, z, k):
    """Value k of elevation block z, computed from the documented byte layout (facts B.2)."""
    return raw[((band * 8 + vis) * 8 + sza) * RECORD + 2 + z * 17 + k]


def test_file_name():
    assert atm_file_name("h", 2.0, "rura") == "h99000_wv20_rura.atm"
    assert atm_file_name("w", 0.4, "mari") == "w99000_wv04_mari.atm"


def test_read_real_file_matches_raw_layout():
    path = shared_path("luts", "sen2cor-2.8", "lib_S2A", "20_60", "h99000_wv20_rura.atm")
    raw = np.fromfile(path, dtype=">f4")
    t = read_atm(path, ATM_BANDS["20_60"])
    assert t["path_radiance"].shape == (12, 8, 2, 7, 6, 8)
    b, v, s, z = 3, 5, 3, 2          # B04, 40 km, 30 deg, 1.0 km
    assert t["path_radiance"][b, s, 0, 4, z, v] == raw_value(raw, b, v, s, z, 0)   # nadir Lp, any azimuth
    assert t["edift"][b, s, 0, 0, z, v] == raw_value(raw, b, v, s, z, 1)
    assert t["e0t"][b, s, 1, 0, z, v] == raw_value(raw, b, v, s, z, 7)
    assert t["t_up_dif"][b, s, 1, 0, z, v] == raw_value(raw, b, v, s, z, 9)
    assert t["spherical_albedo"][b, s, 1, 6, z, v] == raw_value(raw, b, v, s, z, 5)
    for phi in range(7):             # 10 deg view: Lp at 0, 30, ..., 180 deg
        assert t["path_radiance"][b, s, 1, phi, z, v] == raw_value(raw, b, v, s, z, 10 + phi)


def test_physical_sanity_of_sen2cor_tables():
    root = shared_path("luts", "sen2cor-2.8")
    lut = load_lut("S2A", "summer", "rural", 331, source="atm", atm_dir=root)
    f = lut.interpolate(30.0, 0.0, 0.0, 0.0, np.array([5.0, 23.0, 120.0]), 2.0)
    b04 = lut.bands.index("B04")
    assert np.all(np.diff(f.path_radiance[b04]) < 0)              # clearer air -> less path radiance
    for t in (f.t_up_dir, f.t_up_dif, f.t_down_dir, f.t_down_dif):
        assert np.all((t[b04] > 0) & (t[b04] <= 1))
    # E0t = E0/10 * Tsun * T_up with Tsun = Tdir^(1/cos sza) (facts B.2), checked for B04 at 23 km
    e0 = lut.solar_irradiance_w_m2_um[b04] / 10
    tsun = f.t_up_dir[b04, 1] ** (1 / np.cos(np.deg2rad(30.0)))
    assert f.e0t[b04, 1] == pytest.approx(e0 * tsun * (f.t_up_dir[b04, 1] + f.t_up_dif[b04, 1]), rel=0.01)
    wv = lut.interpolate(30.0, 0.0, 0.0, 0.0, 23.0, np.array([0.4, 2.0, 5.0]))
    assert np.all(np.diff(wv.t_up_dir[lut.bands.index("B09")]) < 0)   # more water, less B09 transmittance


def test_ten_metre_folder_and_ozone_choice():
    root = shared_path("luts", "sen2cor-2.8")
    lut = load_lut("S2B", "winter", "maritime", 400, source="atm", atm_dir=root, resolution="10")
    assert lut.bands == ("B02", "B03", "B04", "B08")
    assert lut.description["ozone_letter"] == "x"
    assert lut.water_vapour_cm.tolist() == [0.2, 0.4, 0.8, 1.1]


def test_wrong_size_and_missing_folder(tmp_path):
    bad = tmp_path / "h99000_wv20_rura.atm"
    bad.write_bytes(b"\0" * 1000)
    with pytest.raises(LutError, match="1000 bytes"):
        read_atm(bad, ATM_BANDS["20_60"])
    with pytest.raises(LutError, match="lib_S2C"):
        load_atm_lut(tmp_path, "S2C")
