import numpy as np
import pytest

from sen2cor.atmcorr import aot, visibility
from sen2cor.rtm import grid


@pytest.mark.parametrize(
    ("v", "nxt"),
    [(5, 23), (23, 26), (25, 28), (26, 30), (30, 35), (34, 40), (40, 50), (90, 100), (100, 120), (120, 120)],
)
def test_visibility_steps(v, nxt):
    assert aot.step_up_visibility(v) == nxt


def test_iterate_visibility_stops_when_no_longer_too_dark():
    calls = []

    def too_dark(v):
        calls.append(v)
        return v < 35

    assert aot.iterate_visibility(10, too_dark) == 35
    assert calls == [10, 23, 26, 30, 35]
    assert aot.iterate_visibility(10, lambda v: True, max_iterations=2) == 26
    assert aot.iterate_visibility(10, lambda v: True) == 120


def _scene(n, swir):
    scl = np.full(n, 4, np.uint8)
    return dict(
        rho_swir=np.asarray(swir, np.float32),
        rho_nir=np.full(n, 0.3, np.float32),
        rho_red_toa=np.full(n, 0.05, np.float32),
        rho_nir_toa=np.full(n, 0.3, np.float32),
        scl=scl,
        excluded=np.zeros(n, bool),
    )


def test_ddv_first_threshold():
    swir = np.full(100, 0.2)
    swir[:10] = 0.03
    sel = aot.select_ddv(**_scene(100, swir))
    assert sel.swir_upper == 0.05 and sel.percent == pytest.approx(10.0) and sel.mask.sum() == 10


def test_ddv_threshold_iteration_and_red_quirk():
    s = _scene(100, np.full(100, 0.2))
    s["rho_swir"][:5] = 0.07
    s["rho_red_toa"][:5] = 0.12  # too bright for Th1 (0.10) but fine for 0.15 (2nd)
    sel = aot.select_ddv(**s)
    assert sel.swir_upper == 0.10 and sel.mask.sum() == 5


def test_ddv_last_threshold_needs_one_percent_and_water_is_excluded():
    s = _scene(200, np.full(200, 0.2))
    s["rho_swir"][:3] = 0.11  # 1.5 % at Th3
    assert aot.select_ddv(**s).swir_upper == 0.12
    s["rho_swir"][2] = 0.2  # 1.0 %
    s["rho_swir"][1] = 0.2  # 0.5 %
    assert not aot.select_ddv(**s).found
    s = _scene(1000, np.full(1000, 0.03))
    s["scl"][:995] = 6  # > 99 % water
    assert not aot.select_ddv(**s).found


def test_ddv_candidates_need_vegetation_class_and_ndvi():
    s = _scene(100, np.full(100, 0.03))
    s["scl"][:50] = 5
    s["rho_nir_toa"][50:60] = 0.055  # NDVI 0.048 < 0.10
    assert aot.select_ddv(**s).mask.sum() == 40


def _rho_of_depth(d):
    return 0.09 - 0.05 * d  # darker with more optical depth


def test_ddv_visibility_index_inverts_a_linear_relation():
    rho_by_vis = _rho_of_depth(visibility.LUT_DEPTHS)[:, None] * np.ones((1, 3))
    target = np.array([60.0, 100.0, 7.0])
    rho_ref = _rho_of_depth(visibility.index_depth(target))
    np.testing.assert_allclose(aot.ddv_visibility_index(rho_by_vis, rho_ref), target, atol=1e-6)


def test_ddv_visibility_index_outside_the_lut():
    rho_by_vis = _rho_of_depth(visibility.LUT_DEPTHS)[:, None] * np.ones((1, 2))
    rho5, rho80, rho120 = _rho_of_depth(visibility.LUT_DEPTHS[[0, -2, -1]])
    rho_ref = np.array([rho5 - 0.01, rho120 + 0.0001])
    out = aot.ddv_visibility_index(rho_by_vis, rho_ref)
    assert out[0] == 182
    # Sen2Cor's extrapolation uses (rho_ref - rho[80 km]) (quirk), then clips at 0
    d = visibility.LUT_DEPTHS[-1] + (rho_ref[1] - rho80) / (rho120 - rho80) * (
        visibility.LUT_DEPTHS[-1] - visibility.LUT_DEPTHS[-2]
    )
    assert out[1] == pytest.approx(max(visibility.depth_to_index(d), 0.0))


def test_ddv_red_reflectance_with_half_adjacency():
    rho = aot.ddv_red_reflectance(
        np.array([4.0]),
        6.0,
        np.array([[1.0]]),
        np.array([[100.0]]),
        np.array([[20.0]]),
        np.array([[0.2]]),
        0.8,
    )
    # L* = 4 + 0.5 * 0.2 * (4 - 6) = 3.8 ; pi * 2.8 / 100
    assert rho[0, 0] == pytest.approx(np.pi * 2.8 / 100.0)
    full = aot.ddv_red_reflectance(np.array([4.0]), 6.0, np.array([[1.0]]), np.array([[100.0]]),
                                   np.array([[20.0]]), np.array([[0.2]]), 0.8, adjacency_weight=1.0)
    # L* = 4 + 1.0 * 0.2 * (4 - 6) = 3.6 ; pi * 2.6 / 100
    assert full[0, 0] == pytest.approx(np.pi * 2.6 / 100.0)


def test_shift_indices_moves_hazier_pixels_towards_the_new_mean():
    idx = np.array([40.0, 60.0, 80.0])  # mean 60
    out = aot.shift_indices(idx, 50.0)
    np.testing.assert_allclose(out, [40.0, 50.0, 70.0])


def test_negative_fraction_counts_land_over_all_valid():
    rho = np.full((10, 10), 0.05)
    scl = np.full((10, 10), 4, np.uint8)
    scl[:, 5:] = 6
    rho[0, :] = -0.02  # 5 land + 5 water pixels negative
    assert aot.negative_fraction(rho, scl, 0.0, 0.01, 20.0) == pytest.approx(0.05)


def test_cloud_proximity():
    scl = np.full((200, 200), 4, np.uint8)
    scl[100, 100] = 9
    near = aot.cloud_proximity(scl, 20.0)  # box 51 px: 255 / 2601 = 0.098 < 5: a single cloud pixel
    assert not near.any()
    scl[95:106, 95:106] = 9  # 121 px * 255 / 2601 = 11.9 > 5
    near = aot.cloud_proximity(scl, 20.0)
    assert near[100, 120] and not near[100, 140]


def test_cams_visibility_inverts_sen2cors_relation_at_the_surface_height():
    aod = grid.visibility_to_aot550(np.array([[15.0, 40.0]]), 0.5)
    geopotential = np.full((1, 2), 500.0 * 9.80665)
    np.testing.assert_allclose(aot.cams_visibility_km(aod, geopotential), [[15.0, 40.0]], rtol=1e-6)
    assert aot.coarse_to_pixels(np.array([[0.0, 1.0], [2.0, 3.0]]), (3, 3))[1, 1] == pytest.approx(1.5)


def test_coarse_to_pixels_is_scipy_bilinear_with_end_nodes_on_the_corners():
    """The separable strip-wise stretch equals scipy's order-1 map_coordinates on a 9x9 CAMS-like grid."""
    from scipy import ndimage

    coarse = np.random.default_rng(3).uniform(0.0, 0.8, (9, 9))
    shape = (700, 530)                      # > one 256-row strip, non-square
    rows, cols = np.meshgrid(np.linspace(0, 8, shape[0]), np.linspace(0, 8, shape[1]), indexing="ij")
    expected = ndimage.map_coordinates(coarse, [rows, cols], order=1, mode="nearest")
    stretched = aot.coarse_to_pixels(coarse, shape)
    assert stretched.dtype == np.float32
    np.testing.assert_allclose(stretched, expected, rtol=1e-6, atol=1e-7)
    assert stretched[0, 0] == pytest.approx(coarse[0, 0]) and stretched[-1, -1] == pytest.approx(coarse[-1, -1])
