"""FieldInterpolator (per-cell geometry, per-pixel elevation / visibility / WV) vs LutTable.interpolate."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.rtm.lut_field import FieldInterpolator
from sen2cor.errors import LutError
from tests.rtm.test_lut import make_table


def table():
    rng = np.random.default_rng(3)
    return make_table(lambda s, *_: 0.1 + rng.random(s.shape))


def test_field_matches_general_interpolation():
    lut = table()
    rng = np.random.default_rng(4)
    z = rng.uniform(0, 3.2, (7, 5))
    vis = rng.uniform(4, 130, (7, 5))
    wv = rng.uniform(0.3, 4.5, (7, 5))
    ref = lut.interpolate(27.0, 6.0, 75.0, z, vis, wv, e0_w_m2_um=[1400.0, 900.0])
    fi = FieldInterpolator(lut.at_geometry(27.0, 6.0, 75.0), z, vis, wv, e0_w_m2_um=[1400.0, 900.0])
    for field in ("path_reflectance", "path_radiance", "e0t", "spherical_albedo"):
        for i, band in enumerate(lut.bands):
            out = fi.evaluate(field, band)
            assert out.dtype == np.float32 and out.shape == (7, 5)
            np.testing.assert_allclose(out, getattr(ref, field)[i], rtol=2e-5)


def test_scalar_water_vapour_and_errors():
    lut = table()
    z = np.array([0.1, 1.9])
    ref = lut.interpolate(10.0, 0.0, 0.0, z, 40.0, 2.0)
    fi = FieldInterpolator(lut.at_geometry(10.0, 0.0, 0.0), z, 40.0, 2.0)
    np.testing.assert_allclose(fi.evaluate("t_up_dir", "B09"), ref.t_up_dir[1], rtol=2e-5)
    with pytest.raises(LutError, match="at_geometry"):
        FieldInterpolator(lut, z, 40.0)
    with pytest.raises(LutError, match="B12"):
        fi.evaluate("t_up_dir", "B12")
