"""The inputs of one resolution (``atmcorr.inputs``): the DEM in km inside the tables' range and each
condition of the terrain correction (facts B.5), with hand-derived cases on both sides."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import inputs
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr.analytic_atmosphere import make_table


def _scene(**kw) -> inputs.SceneInputs:
    return inputs.SceneInputs(20, {}, np.full((10, 10), 4, np.uint8), {}, 35.0, 150.0, **kw)


def test_elevation_km_of_the_dem_is_clipped_to_the_tables_and_float32():
    dem = np.array([[-12, 0, 1234], [3499, 3500, 4100]], np.int16)
    z = inputs.elevation_km(_scene(elevation_m=dem), AcSettings())
    np.testing.assert_allclose(z, [[0.0, 0.0, 1.234], [3.499, 3.5, 3.5]], rtol=1e-6)
    assert z.dtype == np.float32
    np.testing.assert_array_equal(dem, [[-12, 0, 1234], [3499, 3500, 4100]])   # the staged DEM is not touched
    assert inputs.elevation_km(_scene(), AcSettings(altitude_km=0.75)) == 0.75   # no DEM: the flat Altitude


def test_reference_albedo_is_0_15():
    assert inputs.reference_albedo(make_table()) == 0.15


def _terrain(p2p_m=100.0, slope_deg=30.0):
    """A DEM ramp of ``p2p_m`` and a uniform slope (degrees)."""
    dem = 500.0 + np.linspace(0.0, p2p_m, 100).reshape(10, 10)
    return dict(elevation_m=dem, slope_deg=np.full((10, 10), slope_deg), aspect_deg=np.zeros((10, 10)))


def test_rugged_terrain_needs_dem_slope_and_aspect_or_hillshade():
    settings = AcSettings()
    rugged = _scene(**_terrain())
    assert inputs.rugged_terrain(rugged, settings)
    assert not inputs.rugged_terrain(replace(rugged, elevation_m=None), settings)
    assert not inputs.rugged_terrain(replace(rugged, slope_deg=None), settings)
    assert not inputs.rugged_terrain(replace(rugged, aspect_deg=None), settings)
    assert inputs.rugged_terrain(replace(rugged, aspect_deg=None, hillshade=np.full((10, 10), 200, np.uint8)),
                                 settings)
    assert not inputs.rugged_terrain(rugged, replace(settings, dem_terrain_correction=False))


@pytest.mark.parametrize(("p2p_m", "changes", "rugged"), [
    (100.0, {}, True),                           # 100 m peak to peak >= AC_Dem_P2p_Val 50
    (40.0, {}, False),                           # below 50 m, slope 30 deg = 0.52 rad is not above 6
    (100.0, {"dem_p2p_val_m": 150.0}, False),    # the GIPP value is used
    (40.0, {"dem_p2p_val_m": 30.0}, True),
    (40.0, {"slope_th": 0.5}, True),             # 0.52 rad > 0.5 everywhere: steep
    (40.0, {"slope_th": 0.53}, False),           # 30 deg in radians (0.5236) is compared, not 30
    (40.0, {"slope_th": 0.5, "topo_corr_th": 1.01}, False),   # 100 % steep is below 101 %
])
def test_rugged_terrain_uses_the_quasi_flat_elements(p2p_m, changes, rugged):
    assert inputs.rugged_terrain(_scene(**_terrain(p2p_m)), AcSettings(**changes)) is rugged


def test_scene_without_view_angles_is_seen_at_nadir():
    scene = inputs.SceneInputs(20, {}, np.zeros((1, 1), np.uint8), {}, 35.0, 150.0)
    assert (scene.vza_deg, scene.vaa_deg, scene.season) == (0.0, 0.0, "summer")
    assert scene.elevation_m is None and scene.sza_map_deg is None and scene.cams_aod550 is None
