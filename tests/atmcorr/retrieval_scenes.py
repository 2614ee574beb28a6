"""Small analytic scenes as the input of ``retrieval`` (a SceneRadiance and the nadir table), shared by
test_dbv_pins.py and test_retrieval_mutants.py: soil (no DDV: B12 too bright) with a 5 x 6 patch of dense
bright vegetation whose surface red is AC_Red_Ref_Refl_Th (0.02), seen through a known visibility."""

import numpy as np

from sen2cor.atmcorr import radiance, retrieval, rtables, visibility
from tests.atmcorr.analytic_atmosphere import E0, toa_reflectance
from tests.atmcorr.test_driver import SOIL, SZA

ELEVATION_KM = 0.1
WATER_VAPOUR_CM = 2.0
PATCH = (slice(10, 15), slice(10, 16))
DBV_SURFACE = {"B04": 0.02, "B8A": 0.45, "B12": 0.15, "B11": 0.25, "B03": 0.06, "B02": 0.03, "B09": 0.45}


def nadir_table(lut) -> rtables.RtTable:
    """The nadir table of the retrievals (one elevation node: the scene is flat at 0.1 km)."""
    e0 = np.array([E0[b] for b in lut.bands])
    nodes = rtables.elevation_nodes(lut.elevation_km, ELEVATION_KM)
    return rtables.tabulate(lut, lut.bands, SZA, 0.0, 0.0, e0, nodes, np.asarray(lut.water_vapour_cm, float))


def scene_radiance(lut, true_vis_km: float, n: int = 30, surface: dict | None = None,
                   scl_value: int = 5) -> retrieval.SceneRadiance:
    """Soil (SCL ``scl_value``) with the DBV patch (SCL 4), seen through ``true_vis_km`` at 0.1 km."""
    scl = np.full((n, n), scl_value, np.uint8)
    rho = {b: np.full((n, n), SOIL[b], np.float32) for b in lut.bands}
    rho["B04"][:] = DBV_SURFACE["B04"]
    scl[PATCH] = 4
    for band, value in (surface or DBV_SURFACE).items():
        rho[band][PATCH] = value
    f = lut.interpolate(SZA, 0.0, 0.0, ELEVATION_KM, true_vis_km, WATER_VAPOUR_CM)
    toa = {b: toa_reflectance(f, i, rho[b]) for i, b in enumerate(lut.bands)}
    rad = {b: radiance.toa_radiance(toa[b], E0[b], SZA) for b in lut.bands}
    return retrieval.SceneRadiance(rad, toa, scl, scl > 0, ELEVATION_KM, 20.0, WATER_VAPOUR_CM)


def grid_km(v_km: float) -> float:
    """The visibility of the 183-index grid nearest to ``v_km``."""
    return float(visibility.VISEXT_KM[visibility.visibility_to_index(v_km)])
