import math

import numpy as np
import pytest

from sen2cor.sceneclass import topography


def test_flat_hillshade_is_gdaldem_1_plus_254_cos_zenith():
    dem = np.zeros((5, 5), np.float32)
    assert (topography.hillshade(dem, 20.0, 60.0, 135.0) == 128).all()     # 1 + 254 * 0.5 = 128


def test_slope_of_a_30_degree_plane():
    cols = np.arange(8, dtype=np.float32)
    dem = np.tile(cols * 20.0 * math.tan(math.radians(30)), (8, 1))        # rises eastwards
    assert topography.slope_deg(dem, 20.0)[4, 4] == pytest.approx(30.0, abs=1e-3)


def test_hillshade_of_a_slope_facing_the_sun_and_away():
    cols = np.arange(8, dtype=np.float32)
    east_up = np.tile(cols * 20.0, (8, 1))                                   # 45 deg slope facing west
    # sun in the west at zenith 45 deg: normal and sun parallel -> cos i = 1 ; sun in the east -> 90 deg -> 0
    assert topography.hillshade(east_up, 20.0, 45.0, 270.0)[4, 4] == 255
    assert topography.hillshade(east_up, 20.0, 45.0, 90.0)[4, 4] == 1            # self-shadow: gdaldem's 1


def test_strip_terrain_layers_equal_whole_image_and_gdaldem_inside():
    from sen2cor.dem.terrain import terrain_layers as gdal_layers
    rng = np.random.default_rng(3)
    dem = (rng.normal(0.0, 1.0, (70, 40)).cumsum(0).cumsum(1) * 5).astype(np.float32)
    sdw, slope = topography.terrain_layers(dem, 20.0, 50.0, 160.0, rows=16)   # 5 strips with halos
    assert (sdw == topography.hillshade(dem, 20.0, 50.0, 160.0)).all()
    np.testing.assert_allclose(slope, topography.slope_deg(dem, 20.0))
    ref = gdal_layers(dem, 20.0, 50.0, 160.0)                                  # gdaldem -compute_edges
    assert np.abs(ref.hillshade[1:-1, 1:-1].astype(int) - sdw[1:-1, 1:-1]).max() <= 1
    np.testing.assert_allclose(ref.slope_deg[1:-1, 1:-1], slope[1:-1, 1:-1], atol=1e-3)


def test_cast_shadow_behind_a_wall():
    dem = np.zeros((3, 30), np.float32)
    dem[:, 10] = 100.0                                  # 100 m wall, 10 m pixels
    # sun in the east, elevation 45 deg: the shadow reaches 100 m (10 px) west of the wall
    shadow = topography.cast_shadow(dem, 10.0, 45.0, 90.0)
    assert shadow[1, 1:10].all()
    assert not shadow[1, 0] and not shadow[1, 10:].any()


def test_cast_shadow_flat_terrain_is_empty():
    assert not topography.cast_shadow(np.zeros((4, 4), np.float32), 20.0, 70.0, 100.0).any()


def test_topographic_shadow_combines_self_and_cast():
    sdw = np.array([1, 100, 100, 0])                   # gdaldem: 1 = self-shadow, 0 = no data
    cast = np.array([False, True, False, False])
    assert topography.topographic_shadow(sdw, cast).tolist() == [True, True, False, False]
