"""Re-simulation of an L1C product from the official T29UNU L2A (validation path, needs ../shared)."""
from __future__ import annotations

import glymur
import numpy as np
import pytest

from sen2cor.testing import read_truth
from sen2cor.testing.resimulate import resimulate
from tests.conftest import shared_path

L2A = ("data", "real", "l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")


@pytest.fixture(scope="module")
def resim(tmp_path_factory):
    l2a = shared_path(*L2A)
    safe = resimulate(tmp_path_factory.mktemp("resim"), l2a, size_px=498, offset_px=(1500, 4500))
    return l2a, safe, read_truth(safe.parent / (safe.stem + "_truth.h5"))


def test_identity_follows_the_official_product(resim):
    l2a, safe, truth = resim
    assert safe.name == "S2A_MSIL1C_20221005T115411_N0400_R023_T29UNU_20221005T153022.SAFE"
    from sen2cor.l1c import read_l1c_product
    p = read_l1c_product(safe)
    assert p.absolute_orbit == 38058 and p.processing_baseline == "04.00"
    assert (p.tile.geoposition[60].ulx, p.tile.geoposition[60].uly) == (499980.0 + 45000, 5900040.0 - 15000)


def test_reference_classes_and_aot_are_the_official_ones(resim):
    l2a, safe, truth = resim
    (granule,) = (l2a / "GRANULE").iterdir()
    scl = glymur.Jp2k(str(next(granule.glob("IMG_DATA/R60m/*_SCL_60m.jp2"))))[250:333, 750:833]
    np.testing.assert_array_equal(truth["scene"]["class_map"][1::3, 1::3], scl)
    aot = glymur.Jp2k(str(next(granule.glob("IMG_DATA/R60m/*_AOT_60m.jp2"))))[250:333, 750:833] / 1000.0
    np.testing.assert_allclose(truth["scene"]["aot550"][1::3, 1::3][scl != 0], aot[scl != 0], atol=1e-6)


def test_toa_brighter_in_blue_darker_in_water_vapour_band(resim):
    _, safe, truth = resim
    (granule,) = (safe / "GRANULE").iterdir()
    cm = truth["scene"]["class_map"]
    for band, relation in (("B02", "above"), ("B09", "below")):   # 10 m and 60 m bands
        dn = glymur.Jp2k(str(next(granule.glob(f"IMG_DATA/*_{band}.jp2"))))[:]
        toa = (dn.astype(float) - 1000) / 10000
        k = cm.shape[0] / dn.shape[0]
        c = cm[1::3, 1::3] if k == 3 else np.repeat(np.repeat(cm, 2, 0), 2, 1)
        rho = truth["surface_reflectance"][band]
        veg = (c == 4) & (dn > 0)
        assert veg.mean() > 0.3                # this crop is mostly vegetation (official SCL)
        if relation == "above":            # path radiance dominates over dark vegetation in the blue
            assert np.mean(toa[veg]) > np.mean(rho[veg]) + 0.02
        else:                              # water vapour absorbs in B09
            assert np.mean(toa[veg]) < 0.6 * np.mean(rho[veg])
