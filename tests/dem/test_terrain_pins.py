"""Terrain layers of flat ground and the hillshade encoding (algorithm facts A.1, B.5)."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.dem.terrain import ASPECT_FLAT, flat_terrain, hillshade


@pytest.mark.parametrize(("sza", "shade"), [(0.0, 255), (30.0, 221), (60.0, 128), (89.0, 5)])
def test_flat_terrain_layers(sza, shade):
    # hillshade of a horizontal plane: round(1 + 254 cos SZA)
    layers = flat_terrain((3, 5), sza)
    assert layers.slope_deg.shape == (3, 5) and layers.slope_deg.dtype == np.float32
    assert (layers.slope_deg == 0).all()
    assert layers.aspect_deg.dtype == np.float32 and (layers.aspect_deg == ASPECT_FLAT).all()
    assert layers.hillshade.dtype == np.uint8 and (layers.hillshade == shade).all()
    assert round(1 + 254 * np.cos(np.deg2rad(sza))) == shade
    assert flat_terrain((2, 2), sza, with_aspect=False).aspect_deg is None


def test_hillshade_of_self_shadowed_and_grazing_slopes():
    # a 40 deg slope facing away from a sun at 60 deg zenith: cos i = cos60 cos40 - sin60 sin40 < 0 -> 1
    assert hillshade(np.array([40.0]), np.array([0.0]), 60.0, 180.0).tolist() == [1]
    # facing the sun: i = 20 deg -> round(1 + 254 cos 20) = 240
    assert hillshade(np.array([40.0]), np.array([180.0]), 60.0, 180.0).tolist() == [240]
    # cos i exactly 0 (slope 30 away from a sun at 60): self-shadow value 1
    assert hillshade(np.array([30.0]), np.array([0.0]), 60.0, 180.0).tolist() == [1]


def test_layer_dtypes():
    from sen2cor.dem.terrain import slope_aspect, terrain_layers

    dem = (np.arange(36, dtype=np.int16).reshape(6, 6) * 7).astype(np.int16)
    layers = terrain_layers(dem, 20.0, 40.0, 150.0)
    assert layers.slope_deg.dtype == np.float32 and layers.aspect_deg.dtype == np.float32
    assert layers.hillshade.dtype == np.uint8
    assert terrain_layers(dem.astype(np.float64), 20.0, 40.0, 150.0).slope_deg.dtype == np.float32
    slope, aspect = slope_aspect(dem.astype(np.float64), 20.0)
    assert slope.dtype == np.float32 and aspect.dtype == np.float32
    assert hillshade(np.array([10.0]), np.array([180.0]), 40.0, 180.0).dtype == np.uint8
