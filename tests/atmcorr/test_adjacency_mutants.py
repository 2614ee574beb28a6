"""Pins of atmcorr.adjacency found by mutation testing (issue 20): the rounding of the adjacency radius, the
border-zone bound 250/255 on both sides, the 'nearest' borders of both box-mean paths, the strip halo
rule and the strip bookkeeping of ``strip_apply``, dtypes, and that the caller's arrays stay untouched."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from sen2cor.atmcorr import adjacency


@pytest.mark.parametrize(("adj_km", "radius"), [(1.029, 51), (1.031, 53)])
def test_adjacency_radius_rounds_at_the_half_pixel(adj_km, radius):
    # 20 m: 1029 / 20 = 51.45 -> 51 (odd); 1031 / 20 = 51.55 -> 52 -> made odd 53
    assert adjacency.adjacency_radius_px(adj_km, 20.0) == radius


@pytest.mark.parametrize(("radius", "shape", "expected"), [
    (0, (200, 200), (0, 1)),
    (1, (200, 200), (1, 1)),
    (3, (230, 170), (3, 1)),        # direct filter: halo = radius
    (51, (101, 300), (51, 1)),      # 101 rows < 2 x 51: direct filter
    (51, (102, 300), (60, 6)),      # k = 6, round(51 / 6) = 8 blocks + 2 -> 10 blocks of 6 rows
    (25, (200, 200), (30, 3)),      # k = 3, round(25 / 3) = 8 -> 10 x 3
    (16, (32, 40), (20, 2)),        # k = 2, 8 + 2 blocks of 2 rows
])
def test_box_halo_follows_the_documented_rule(radius, shape, expected):
    assert adjacency.box_halo(radius, shape) == expected


def test_block_grid_from_twice_the_radius():
    assert adjacency.uses_block_grid(51, (102, 500)) and not adjacency.uses_block_grid(51, (101, 500))


def test_box_mean_is_float32_and_its_default_path_follows_uses_block_grid():
    rng = np.random.default_rng(2)
    img = rng.random((200, 200))                       # float64 input
    for radius in (0, 2, 51):
        assert adjacency.box_mean(img, radius).dtype == np.float32
    np.testing.assert_array_equal(adjacency.box_mean(img, 51), adjacency.box_mean(img, 51, True))
    assert np.abs(adjacency.box_mean(img, 51) - adjacency.box_mean(img, 51, False)).max() > 1e-5
    narrow = img[:101]                                 # 101 rows < 2 x 51: the direct filter
    np.testing.assert_array_equal(adjacency.box_mean(narrow, 51), adjacency.box_mean(narrow, 51, False))


def test_box_mean_borders_repeat_the_edge_pixel():
    ramp = np.tile(np.arange(10, dtype=np.float32), (4, 1))
    # column 0, radius 2, 'nearest': (0 + 0 + 0 + 1 + 2) / 5 = 0.6 ('reflect' would give 0.8)
    assert adjacency.box_mean(ramp, 2)[:, 0] == pytest.approx(0.6)


def test_block_grid_borders_agree_with_the_full_nearest_filter():
    # reflectance ramp 0.001 per column; radius 51 (k = 6) at column 0: the full 'nearest' filter gives
    # 1326 / 103 * 0.001 = 0.0129, the block grid 258.5 / 17 * 0.001 = 0.0152 ('reflect' on the block
    # grid would give 426.5 / 17 * 0.001 = 0.0251)
    ramp = np.tile(np.arange(200, dtype=np.float32) * 0.001, (200, 1))
    fast = adjacency.box_mean(ramp, 51)
    assert fast[0, 0] == pytest.approx(258.5 / 17 * 0.001, rel=1e-5)
    assert abs(fast[0, 0] - 1326 / 103 * 0.001) < 0.005


def test_background_of_an_image_without_clear_pixels_is_zero():
    rho = np.full((10, 10), 0.6, np.float32)
    bg = adjacency.background_reflectance(rho, 2, replace=np.ones(rho.shape, bool))
    assert np.all(bg == 0.0)


def test_background_never_modifies_the_reflectance_it_is_given():
    rho = np.array([[-0.02, 0.1], [0.2, -0.01]], np.float32)
    bg = adjacency.background_reflectance(rho, 0)       # radius 0: the clipped reflectance itself
    np.testing.assert_allclose(bg, [[0.0, 0.1], [0.2, 0.0]])
    assert rho[0, 0] == np.float32(-0.02) and rho[1, 1] == np.float32(-0.01)


def test_adjacency_correction_is_float32():
    out = adjacency.adjacency_correction(np.array([0.2]), np.array([0.1]), np.array([0.5]))
    assert out.dtype == np.float32 and out[0] == pytest.approx(0.25)


@pytest.mark.parametrize(("n_invalid", "border"), [(5, True), (4, False)])
def test_border_zone_bound_250_of_255_on_both_sides(n_invalid, border):
    # radius 7: 15 x 15 = 225 px; 5 invalid -> 255 * 220 / 225 = 249.3 (< 250: border), 4 -> 250.5
    valid = np.ones((41, 41), bool)
    valid[14, 16:16 + n_invalid] = False               # inside the box of pixel (20, 20), far from edges
    assert adjacency.border_zone(valid, 7)[20, 20] is np.bool_(border)


def test_border_zone_bound_is_strict_at_exactly_250():
    # radius 25 (direct filter): 51 x 51 box of pixel (60, 59), one full column of it invalid ->
    # 255 * 50 / 51 = 250 exactly (not a border); one more invalid pixel in the box -> 249.9 (border)
    valid = np.ones((120, 120), bool)
    valid[35:86, 34] = False
    assert not adjacency.border_zone(valid, 25, block_grid=False)[60, 59]
    valid[60, 35] = False
    assert adjacency.border_zone(valid, 25, block_grid=False)[60, 59]


def test_border_zone_radius_0_has_no_border():
    valid = np.ones((5, 5), bool)
    valid[2, 2] = False
    assert not adjacency.border_zone(valid, 0).any()


def test_background_and_border_in_strips_follow_the_whole_images_grid():
    # radius 16 on 200 x 60: block grid (k = 2); the last strips' windows have < 32 rows, where
    # box_mean alone would take the direct filter: the whole image's choice must be passed on
    rng = np.random.default_rng(3)
    rho = rng.random((200, 60)).astype(np.float32)
    cloud = rng.random(rho.shape) > 0.9
    valid = rng.random(rho.shape) > 0.02               # many pixels near the 250/255 bound
    grid = adjacency.uses_block_grid(16, rho.shape)
    halo, align = adjacency.box_halo(16, rho.shape)
    assert grid and (halo, align) == (20, 2)
    whole_bg = adjacency.background_reflectance(rho, 16, cloud, 0.5)
    whole_zone = adjacency.border_zone(valid, 16)
    bg = np.zeros_like(rho)
    zone = np.zeros(rho.shape, np.float32)

    def strip(a, b, w0, w1):
        bg[a:b] = adjacency.background_reflectance(rho[w0:w1], 16, cloud[w0:w1], 0.5, grid)[a - w0:b - w0]
        zone[a:b] = adjacency.border_zone(valid[w0:w1], 16, grid)[a - w0:b - w0]
        return np.zeros((b - a, rho.shape[1]), np.float32)

    adjacency.strip_apply(np.zeros_like(rho), halo, align, 10, strip)
    np.testing.assert_allclose(bg, whole_bg, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(zone.astype(bool), whole_zone)


def _recording(image):
    """strip_apply callback: checks each window holds original values, records (a, b, w0, w1, rows already
    written back), returns 10 x the strip + 1."""
    original = image.copy()
    calls = []

    def fn(a, b, w0, w1):
        window = image[w0:w1]
        assert np.array_equal(window, original[w0:w1]), "a window saw rows already written back"
        written = tuple(int(r) for r in np.flatnonzero(image[:, 0] != original[:, 0]))
        calls.append((a, b, w0, w1, written))
        return window[a - w0:b - w0] * 10 + 1

    return original, calls, fn


def test_strip_apply_windows_and_write_back_order():
    # 10 rows, strips of 3, halo 3: a strip is written back as soon as the next window (starting at
    # b - halo) no longer reaches it
    image = np.repeat(np.arange(10, dtype=np.float64)[:, None], 3, axis=1)
    original, calls, fn = _recording(image)
    adjacency.strip_apply(image, 3, 1, 3, fn)
    assert calls == [(0, 3, 0, 6, ()), (3, 6, 0, 9, ()), (6, 9, 3, 10, (0, 1, 2)),
                     (9, 10, 6, 10, (0, 1, 2, 3, 4, 5))]
    np.testing.assert_array_equal(image, original * 10 + 1)


def test_strip_apply_aligns_strips_and_halo_on_the_block_size():
    # align 3: strips of 7 rows -> 6, halo 4 -> 6
    image = np.repeat(np.arange(20, dtype=np.float64)[:, None], 2, axis=1)
    original, calls, fn = _recording(image)
    adjacency.strip_apply(image, 4, 3, 7, fn)
    assert [c[:4] for c in calls] == [(0, 6, 0, 12), (6, 12, 0, 18), (12, 18, 6, 20), (18, 20, 12, 20)]
    np.testing.assert_array_equal(image, original * 10 + 1)


def test_strip_apply_with_a_pool_computes_as_many_strips_as_workers_at_once():
    # 2 workers: the first two strips must run at the same time (each waits for the other)
    barrier = threading.Barrier(2, timeout=5)
    image = np.zeros((8, 2))

    def fn(a, b, w0, w1):
        if a < 4:
            barrier.wait()
        return np.full((b - a, 2), a + 1.0)

    with ThreadPoolExecutor(2) as pool:
        adjacency.strip_apply(image, 0, 1, 2, fn, pool)
    assert image[:, 0].tolist() == [1, 1, 3, 3, 5, 5, 7, 7]
