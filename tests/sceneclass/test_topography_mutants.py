"""Hand-derived cases that pin sceneclass/topography.py's cast-shadow march (mutation survivors).

Geometry: 10 m pixels, sun elevation 45 deg (zenith 45), so a wall of height h shades the ground up to
h / 10 px away from it on the side opposite the sun.
"""
import numpy as np
import pytest

from sen2cor.sceneclass import topography


@pytest.mark.parametrize("azimuth, wall, shaded, lit", [
    (180.0, (slice(10, 11), slice(None)), (slice(3, 10), 2), (slice(11, 20), 2)),     # sun south: shade north
    (0.0, (slice(10, 11), slice(None)), (slice(11, 18), 2), (slice(0, 10), 2)),       # sun north: shade south
    (270.0, (slice(None), slice(10, 11)), (2, slice(11, 18)), (2, slice(0, 10))),     # sun west: shade east
])
def test_cast_shadow_lies_opposite_the_sun(azimuth, wall, shaded, lit):
    dem = np.zeros((20, 20), np.float32)
    dem[wall] = 80.0                                      # 8 px of shadow
    shadow = topography.cast_shadow(dem, 10.0, 45.0, azimuth)
    assert shadow[shaded].all()
    assert not shadow[lit].any()


def test_a_thin_wall_shades_every_pixel_of_its_shadow_beyond_16_px():
    # 195 m wall: the shadow ends 19.5 px west of it; distances 17-19 px are reached by the 5 % steps
    dem = np.zeros((3, 60), np.float32)
    dem[:, 40] = 195.0
    shadow = topography.cast_shadow(dem, 10.0, 45.0, 90.0)
    assert shadow[1, 21:40].all()                         # 1 .. 19 px west
    assert not shadow[1, :21].any() and not shadow[1, 40:].any()


def test_a_plateau_shades_its_whole_shadow_length():
    # 300 m step up to the east: shadow length 30 px; pixels 2-29 px from the step are certainly shaded
    dem = np.zeros((3, 60), np.float32)
    dem[:, 40:] = 300.0
    shadow = topography.cast_shadow(dem, 10.0, 45.0, 90.0)
    assert shadow[1, 12:40].all()
    assert not shadow[1, :10].any() and not shadow[1, 40:].any()


def test_a_lower_sun_casts_longer_shadows():
    # zenith 60 deg: tan(30 deg) = 0.577 -> a 50 m wall shades 86.6 m = 8.66 px
    dem = np.zeros((3, 30), np.float32)
    dem[:, 20] = 50.0
    shadow = topography.cast_shadow(dem, 10.0, 60.0, 90.0)
    assert shadow[1, 12:20].all() and not shadow[1, :11].any()


def test_sun_on_the_horizon_gives_no_cast_shadow_instead_of_failing():
    dem = np.zeros((4, 4), np.float32)
    dem[1, 1] = 10.0
    assert not topography.cast_shadow(dem, 10.0, 90.0, 90.0).any()


def test_self_shadow_limit_is_a_parameter():
    sdw = np.array([0, 1, 2, 3], np.uint8)
    assert topography.topographic_shadow(sdw, None, self_shadow_max=2).tolist() == [False, True, True, False]
    assert topography.topographic_shadow(sdw).tolist() == [False, True, False, False]


def test_thin_wall_shadow_beyond_16_px_is_sampled_at_5_percent_steps():
    # documented march: 1 px steps up to 16 px, then x 1.05: 16.8, 17.64, 18.52, 19.45, 20.42, 21.44, 22.51,
    # 23.64, 24.82, 26.06, 27.37, 28.73 px -> rounded 17, 18, 19, 20, 21, 23, 24, 25, 26, 27, 29; a 300 m
    # wall (30 px of shadow) shades exactly those distances of a one-pixel ridge: 22 and 28 px are skipped
    dem = np.zeros((3, 60), np.float32)
    dem[:, 45] = 300.0
    shadow = topography.cast_shadow(dem, 10.0, 45.0, 90.0)
    shaded = sorted(45 - c for c in np.flatnonzero(shadow[1]))
    assert shaded == list(range(1, 22)) + [23, 24, 25, 26, 27, 29]


def test_flat_or_empty_terrain_gives_a_boolean_mask_of_its_shape():
    flat = topography.cast_shadow(np.full((4, 5), 300.0, np.float32), 20.0, 45.0, 100.0)
    assert flat.shape == (4, 5) and flat.dtype == bool and not flat.any()
    empty = topography.cast_shadow(np.zeros((0, 5), np.float32), 20.0, 45.0, 100.0)
    assert empty.shape == (0, 5)


def test_cast_shadow_does_not_depend_on_the_height_datum():
    dem = np.zeros((3, 20), np.float32)
    dem[:, 10] = 80.0
    lowland = dem - 100.0                                   # below sea level: -100 .. -20 m
    np.testing.assert_array_equal(topography.cast_shadow(lowland, 10.0, 45.0, 90.0),
                                  topography.cast_shadow(dem, 10.0, 45.0, 90.0))
    assert topography.cast_shadow(lowland, 10.0, 45.0, 90.0)[1, 3:10].all()


def test_a_low_sun_lets_a_small_step_cast_a_shadow():
    # 0.8 m step at 20 m pixels, sun elevation 2 deg: shadow 0.8 / tan(2 deg) = 22.9 m, i.e. the next pixel
    dem = np.zeros((3, 8), np.float32)
    dem[:, 4:] = 0.8
    shadow = topography.cast_shadow(dem, 20.0, 88.0, 90.0)
    assert shadow[1, 3] and not shadow[1, 2] and not shadow[1, 4:].any()


def test_a_shadow_longer_than_the_image_is_cut_at_its_edge():
    # 300 m wall at 10 m pixels, 45 deg: 30 px of shadow in a 20 px wide image
    dem = np.zeros((3, 20), np.float32)
    dem[:, 15] = 300.0
    shadow = topography.cast_shadow(dem, 10.0, 45.0, 90.0)
    assert shadow[1, :15].all() and not shadow[1, 15:].any()


def test_terrain_layers_types():
    dem = np.tile(np.arange(6, dtype=np.float32) * 10.0, (5, 1))
    sdw, slope = topography.terrain_layers(dem, 20.0, 45.0, 270.0, rows=2)
    assert sdw.dtype == np.uint8 and slope.dtype == np.float32
