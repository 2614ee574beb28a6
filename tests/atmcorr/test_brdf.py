import numpy as np
import pytest

from sen2cor.atmcorr import brdf
from sen2cor.errors import ConfigError


@pytest.mark.parametrize(("sza", "beta_t"), [(30, 55), (40, 60), (47, 62), (55, 65), (62, 70), (68, 73)])
def test_threshold_angle(sza, beta_t):
    assert brdf.threshold_angle_deg(sza) == beta_t


def test_brdf_factor_only_darkens_beyond_the_threshold():
    # SZA 30 -> beta_T 55 deg; cos 55 = 0.5736
    cos_beta = np.array([0.9, np.cos(np.deg2rad(70)), np.cos(np.deg2rad(88))])
    g1 = brdf.brdf_factor(cos_beta, 30.0, 1.0, 0.22)
    assert g1[0] == 1.0
    assert g1[1] == pytest.approx(np.cos(np.deg2rad(70)) / np.cos(np.deg2rad(55)), rel=1e-5)
    assert g1[2] == pytest.approx(0.22)  # lower bound
    g2 = brdf.brdf_factor(cos_beta, 30.0, 0.5, 0.1)
    assert g2[1] == pytest.approx(np.sqrt(g1[1]), rel=1e-5)
    assert g2[2] == pytest.approx(np.sqrt(np.cos(np.deg2rad(88)) / np.cos(np.deg2rad(55))), rel=1e-5)


def test_brdf_codes():
    rho = np.full(3, 0.2, np.float32)
    cos_beta = np.array([0.9, 0.2, 0.05])
    assert brdf.brdf_correct(rho, cos_beta, 30.0, 0, 0.665) is rho  # BRDF_Correction 0: off
    one = brdf.brdf_correct(rho, cos_beta, 30.0, 1, 0.665, 0.22)
    two = brdf.brdf_correct(rho, cos_beta, 30.0, 2, 0.665, 0.22)
    assert one[0] == two[0] == pytest.approx(0.2) and one[1] < two[1] < 0.2
    lower = brdf.brdf_correct(rho, cos_beta, 30.0, 1, 0.665, 0.10)
    assert lower[2] < one[2]  # BRDF_Lower_Bound
    assert brdf.brdf_exponent(11, 0.842, True) == pytest.approx(1 / 3)
    assert brdf.brdf_exponent(22, 0.665, True) == 0.75
    with pytest.raises(ConfigError, match="BRDF_Correction"):
        brdf.brdf_exponent(3, 0.665, False)


def test_vegetation_mask():
    nir = np.full((7, 7), 0.4)
    red = np.full((7, 7), 0.05)
    red[:, :2] = 0.3
    veg = brdf.vegetation_mask(nir, red)
    assert veg[:, 4:].all() and not veg[:, 0].any()
