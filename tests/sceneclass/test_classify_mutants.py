"""Both branches of sceneclass.classify.classify pass the thresholds and the median filter on (mutation cases)."""
import numpy as np
import pytest

from sen2cor.config.calibration import CloudThresholds
from sen2cor.sceneclass import SCL, SceneAux, classify
from tests.sceneclass.synthetic import SUN, fill, paint

AUX = SceneAux(resolution_m=20.0, **SUN)


@pytest.mark.parametrize("classic", [True, False])
def test_thresholds_reach_the_classification(classic):
    # cloud spectrum: B04 0.5; T2_B04 0.94 -> red ramp (0.5 - 0.06) / 0.88 = 0.5, P = 0.5^2 = 0.25 (every later
    # factor is 1 for this spectrum): MEDIUM (0.2 <= P < 0.8) instead of HIGH with the default T2_B04 0.25
    toa = fill((6, 6), "cloud")
    assert (classify(toa, AUX, classic=classic).scl == SCL.HIGH_PROBA_CLOUDS).all()
    res = classify(toa, AUX, CloudThresholds(t2_b04=0.94), classic=classic)
    assert (res.scl == SCL.MEDIUM_PROBA_CLOUDS).all() and (res.msk_cldprb() == 25).all()


@pytest.mark.parametrize("classic", [True, False])
def test_median_filter_reaches_the_classification(classic):
    toa = paint(fill((9, 9)), slice(4, 5), slice(4, 5), "soil")        # one NOT_VEGETATED pixel
    assert classify(toa, AUX, classic=classic).scl[4, 4] == SCL.NOT_VEGETATED
    assert classify(toa, AUX, classic=classic, median_filter_px=3).scl[4, 4] == SCL.VEGETATION
    assert np.isin(classify(toa, AUX, classic=classic, median_filter_px=3).scl, [SCL.VEGETATION]).all()
