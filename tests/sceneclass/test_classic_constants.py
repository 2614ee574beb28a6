"""Module-level numbers of sceneclass.classic (constants phase of the mutation run, issue 20).

Integer TOA inputs are Sen2Cor's uint16 encoding, reflectance x 10000 (the L1C QUANTIFICATION_VALUE); the
classification grid of SceneAux is the 20 m one unless the caller says otherwise (Sen2Cor classifies at 20 m;
60 m only for ``--resolution 60``).
"""
import numpy as np
import pytest

from sen2cor.sceneclass import SCL, SceneAux, classify
from sen2cor.sceneclass import classic
from tests.sceneclass.synthetic import BANDS


def test_integer_dn_are_reflectance_times_10000():
    bands = classic.Bands({"B02": np.array([[1234, 0, 10000]], np.uint16)}, ("B02",))
    np.testing.assert_allclose(bands.get("B02"), [[0.1234, 0.0, 1.0]], rtol=1e-7)
    assert bands.get("B02").dtype == np.float32


def test_integer_inputs_give_the_cloud_probability_of_their_reflectance():
    """The red ramp of step 1 is absolute: B04 = 2000 DN = 0.20 gives P = ((0.20 - 0.06) / 0.19)^2 = 0.5429
    (T1/T2_B04 0.06/0.25); any other scale of the DN moves it (11000 -> B04 0.182, P 0.41)."""
    # medium_cloud of test_classic_mutants.py: every other ramp is 1 (NDSI 0.11, NDVI < 0, soil R 1.5 > 1,
    # water B02 >= 0.2, rocks B8A/B11 0.75 with B02 above its line, B04/B11 1) -> MEDIUM_PROBA_CLOUDS
    spec = dict(B02=0.30, B03=0.25, B04=0.20, B05=0.20, B8A=0.15, B09=0.03, B10=0.001, B11=0.20, B12=0.10)
    copied = {"B01": "B02", "B06": "B05", "B07": "B8A", "B08": "B8A"}
    dn = {b: np.full((4, 4), round(spec[copied.get(b, b)] * 10000), np.uint16) for b in BANDS}
    res = classify(dn, SceneAux(resolution_m=20.0), classic=True)
    np.testing.assert_allclose(res.cloud_probability, (0.14 / 0.19) ** 2, atol=1e-4)
    assert (res.scl == SCL.MEDIUM_PROBA_CLOUDS).all()


def test_scene_aux_default_grid_is_20_m():
    assert SceneAux().resolution_m == pytest.approx(20.0)
