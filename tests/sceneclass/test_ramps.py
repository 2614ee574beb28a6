import numpy as np
import pytest

from sen2cor.sceneclass.ramps import MIN_DENOMINATOR, normalized_difference, ramp, ratio, scale_inside_ramp


@pytest.mark.parametrize(("x", "expected"), [(-1.0, 0.0), (0.06, 0.0), (0.155, 0.5), (0.25, 1.0), (3.0, 1.0)])
def test_ramp_is_linear_between_thresholds_and_clipped_outside(x, expected):
    assert ramp(np.array([x]), 0.06, 0.25)[0] == pytest.approx(expected, abs=1e-6)


def test_ramp_handles_negative_thresholds_like_the_ndsi_cloud_pair():
    # NDSI -0.20 is halfway between -0.24 and -0.16
    assert ramp(np.array([-0.20]), -0.24, -0.16)[0] == pytest.approx(0.5, abs=1e-6)


def test_ratio_floors_the_denominator():
    r = ratio(np.array([0.5, 0.3]), np.array([0.0, 0.6]))
    assert r[0] == pytest.approx(0.5 / MIN_DENOMINATOR, rel=1e-5)
    assert r[1] == pytest.approx(0.5)
    assert r.dtype == np.float32


def test_normalized_difference_is_ndsi_and_stays_finite_on_zeros():
    nd = normalized_difference(np.array([0.3, 0.0]), np.array([0.1, 0.0]))
    assert nd[0] == pytest.approx(0.5)      # (0.3 - 0.1) / 0.4
    assert nd[1] == 0.0


def test_scale_inside_ramp_only_touches_the_open_interval():
    p = np.array([0.8, 0.8, 0.8], np.float32)
    r = np.array([0.0, 0.25, 1.0], np.float32)
    dec = scale_inside_ramp(p, r, decreasing=True)
    np.testing.assert_allclose(dec, [0.8, 0.6, 0.8])          # 0.8 * (1 - 0.25) in the middle only
    inc = scale_inside_ramp(p, r, where=np.array([True, False, True]))
    np.testing.assert_allclose(inc, [0.8, 0.8, 0.8])          # middle excluded by ``where``
    assert p[1] == pytest.approx(0.8)                          # input untouched
