"""The acceptance window of the dense-bright-vegetation (DBV) fall-back at retrieval level (facts B.7
"Fallbacks when no DDV"): the DBV visibility is taken only if it is clearer than the start visibility and
at most 80 km (``aot.DBV_MAX_VISIBILITY_KM``); otherwise the start visibility goes into the checks.

The scenes are built with the analytic atmosphere at a known visibility: soil (no DDV: B12 too bright)
with a 5 x 6 patch of dense bright vegetation (TOA B8A ~ 0.4, NDVI ~ 0.9) whose surface red is exactly
AC_Red_Ref_Refl_Th (0.02), the value the DBV routine assumes; the red is the same everywhere, so the
half-weight adjacency term of the inversion vanishes and the DBV visibility is the truth to within a
step of the 183-index grid (about 6 km near 80 km: 76.4, 81.5, 87.2 km).
"""

import numpy as np
import pytest

from sen2cor.atmcorr import retrieval, visibility
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr.analytic_atmosphere import make_table
from tests.atmcorr.retrieval_scenes import grid_km, nadir_table, scene_radiance



@pytest.fixture(scope="module")
def lut():
    return make_table()


@pytest.fixture(scope="module")
def table(lut):
    return nadir_table(lut)


def test_dbv_above_80_km_is_rejected_and_the_start_visibility_kept(lut, table):
    """Truth 86 km: the DBV routine finds a visibility above 80 km (within a grid step of the truth), which
    Sen2Cor does not accept; the start visibility (40 km) passes the negative-reflectance checks on the
    bright soil, so it is the final visibility.  With an 88 km bound the DBV value would be taken."""
    sr = scene_radiance(lut, 86.0)
    settings = AcSettings(adj_km=0.0, visibility_km=40.0)
    v_dbv = retrieval.dbv_visibility(sr, table, settings)
    assert 80.0 < v_dbv <= 88.0
    res = retrieval.retrieve_aot(sr, table, settings)
    assert res.method == "DEFAULT"
    assert res.final_visibility_km == pytest.approx(grid_km(40.0))
    assert np.all(res.vis_index[sr.valid] == visibility.visibility_to_index(40.0))


def test_dbv_below_80_km_is_accepted(lut, table):
    """Control of the test above: the same scene at 70 km gives a DBV visibility clearer than the start and
    below 80 km, which becomes the final visibility (to within a grid step of the truth)."""
    sr = scene_radiance(lut, 70.0)
    settings = AcSettings(adj_km=0.0, visibility_km=40.0)
    res = retrieval.retrieve_aot(sr, table, settings)
    assert res.method == "DEFAULT"
    assert 40.0 < res.final_visibility_km <= 80.0
    assert res.final_visibility_km == pytest.approx(70.0, abs=6.0)
    assert res.final_visibility_km == pytest.approx(retrieval.dbv_visibility(sr, table, settings))
