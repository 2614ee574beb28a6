"""Closed loop through Sen2Cor's own libRadtran LUTs (../shared/luts; skipped without them)."""

import numpy as np
import pytest

from sen2cor.atmcorr import driver
from sen2cor.rtm import grid
from sen2cor.rtm.sources import load_lut
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.testing.spectra import cover_reflectance
from tests.conftest import shared_path

#: Dark dense vegetation of the generator (red = 0.5 B12, blue = 0.5 red: Sen2Cor's DDV relations).
VEG = cover_reflectance("dense_vegetation")


@pytest.fixture(scope="module")
def atm_lut():
    return load_lut(
        "S2A",
        "summer",
        "rural",
        331,
        source="atm",
        atm_dir=shared_path("luts", "sen2cor-2.8"),
        resolution="20_60",
    )


@pytest.mark.parametrize(("vis_km", "wv_cm"), [(15.0, 2.0), (40.0, 1.0)])
def test_uniform_vegetation_is_recovered_with_sen2cors_luts(atm_lut, vis_km, wv_cm):
    rng = np.random.default_rng(0)
    n, sza = 60, 40.0
    e0 = {b: 1500.0 for b in atm_lut.bands}
    noise = 1 + 0.03 * rng.standard_normal((n, n))
    rho = {b: (VEG[b] * noise).astype(np.float32) for b in atm_lut.bands}
    rho["B09"] = rho["B8A"]  # APDA assumes the same surface reflectance at 865 and 945 nm
    f = atm_lut.interpolate(sza, 0.0, 0.0, 0.1, vis_km, wv_cm, e0_w_m2_um=np.full(len(atm_lut.bands), 1500.0))
    mu = np.cos(np.deg2rad(sza))
    toa = {}
    for i, b in enumerate(atm_lut.bands):
        # the .atm functions hold a 0.15 background: L = Lp + E rho / (pi (1 - (rho - 0.15) S))
        e = f.e0t[i] * mu + f.edift[i]
        L = f.path_radiance[i] + e * rho[b] / (np.pi * (1 - (rho[b] - 0.15) * f.spherical_albedo[i]))
        toa[b] = (L * np.pi / (150.0 * mu)).astype(np.float32)
    scene = driver.SceneInputs(20, toa, np.full((n, n), 4, np.uint8), e0, sza, 100.0, 0.0, 100.0)
    res = driver.correct_resolution(scene, atm_lut, AcSettings(adj_km=0.0))
    assert res.info["AOT_RETRIEVAL_METHOD"] == "SEN2COR_DDV"
    assert res.info["GRANULE_MEAN_AOT"] == pytest.approx(grid.visibility_to_aot550(vis_km, 0.1), abs=0.01)
    assert res.wv_label_mean_cm == pytest.approx(wv_cm, rel=0.03)
    # the 183-step visibility grid quantises V (15 km -> 15.3 km): up to 0.0015 in B01
    for b, r in res.surface_reflectance.items():
        assert np.abs(r - rho[b]).mean() < 0.002, b
