"""Slope, aspect, hillshade: analytic planes, GDAL DEMProcessing vs the numpy implementation."""

from __future__ import annotations

import numpy as np
import pytest

from sen2cor.dem.terrain import (
    ASPECT_FLAT,
    flat_terrain,
    hillshade,
    illumination_cos,
    slope_aspect,
    terrain_layers,
)

PIXEL_M = 20.0


def plane(east_per_m: float, north_per_m: float, shape=(12, 15)) -> np.ndarray:
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]]
    return 500.0 + east_per_m * cols * PIXEL_M - north_per_m * rows * PIXEL_M  # row 0 is north


@pytest.mark.parametrize(
    ("east", "north", "slope_deg", "aspect_deg"),
    [
        (-0.3, 0.0, 16.699244, 90.0),  # falls to the east: atan(0.3)
        (0.0, 0.2, 11.309932, 180.0),  # rises to the north, falls to the south: atan(0.2)
        (0.1, 0.1, 8.0495, 225.0),  # rises to the north-east: atan(0.1 * sqrt 2), faces south-west
    ],
)
def test_planes_gdal_and_numpy(east, north, slope_deg, aspect_deg):
    z = plane(east, north)
    gdal_layers = terrain_layers(z, PIXEL_M, 30.0, 135.0)
    slope, aspect = slope_aspect(z, PIXEL_M)
    inner = (slice(1, -1), slice(1, -1))
    assert np.allclose(gdal_layers.slope_deg[inner], slope_deg, atol=1e-3)
    assert np.allclose(slope, slope_deg, atol=1e-3)  # numpy extrapolates edges linearly
    assert np.allclose(gdal_layers.aspect_deg[inner], aspect_deg, atol=1e-3)
    assert np.allclose(aspect, aspect_deg, atol=1e-3)


def test_hillshade_of_a_plane_facing_the_sun():
    # slope 16.7 deg facing east (90), sun from 135 at zenith 30:
    # cos i = cos30 cos16.7 + sin30 sin16.7 cos45 = 0.8295 + 0.1016 = 0.9311 -> 1 + 254 * 0.9311 = 237.5
    z = plane(-0.3, 0.0)
    layers = terrain_layers(z, PIXEL_M, 30.0, 135.0)
    assert float(illumination_cos(16.699244, 90.0, 30.0, 135.0)) == pytest.approx(0.9311, abs=1e-4)
    assert np.all(np.abs(layers.hillshade[1:-1, 1:-1].astype(int) - 237) <= 1)


def test_gdal_and_numpy_agree_on_rough_terrain():
    rng = np.random.default_rng(7)
    rows, cols = np.mgrid[0:40, 0:50]
    z = 800 + 120 * np.sin(cols / 6.0) * np.cos(rows / 9.0) + rng.normal(0, 4, (40, 50))
    gdal_layers = terrain_layers(z, PIXEL_M, 35.0, 160.0)
    slope, aspect = slope_aspect(z, PIXEL_M)
    not_corner = np.ones(z.shape, bool)
    not_corner[[0, 0, -1, -1], [0, -1, 0, -1]] = False  # gdaldem treats the four corners differently
    assert np.abs(gdal_layers.slope_deg - slope)[not_corner].max() < 1e-3
    difference = np.abs((gdal_layers.aspect_deg - aspect + 180) % 360 - 180)
    assert difference[not_corner].max() < 1e-2
    shade = hillshade(slope, aspect, 35.0, 160.0)
    assert np.abs(gdal_layers.hillshade.astype(int) - shade)[not_corner].max() <= 1


def test_self_shadowed_slope_gets_one():
    # 45 deg slope facing north, sun from the south at zenith 60: cos i = 0.5*0.707 - 0.866*0.707 < 0
    z = plane(0.0, -1.0)
    layers = terrain_layers(z, PIXEL_M, 60.0, 180.0)
    assert np.all(layers.hillshade[1:-1, 1:-1] == 1)


def test_flat_terrain():
    z = np.full((6, 7), 250.0)
    layers = terrain_layers(z, PIXEL_M, 40.0, 150.0)
    assert np.all(layers.slope_deg == 0) and np.all(layers.aspect_deg == ASPECT_FLAT)
    flat = flat_terrain((6, 7), 40.0)
    assert np.array_equal(flat.hillshade, layers.hillshade)  # 1 + 254 cos 40 = 195.6 -> 196
    assert np.all(flat.hillshade == 196) and np.all(flat.aspect_deg == ASPECT_FLAT)
    assert slope_aspect(z, PIXEL_M)[1][0, 0] == ASPECT_FLAT


def test_aspect_is_optional():
    assert terrain_layers(plane(0.1, 0.0), PIXEL_M, 30.0, 100.0, with_aspect=False).aspect_deg is None
