"""Sen2Cor's numbers of the DDV aerosol retrieval, each exercised just inside and just outside its value
(algorithm facts B.7 steps 2, 7 and 8). Expected values are derived by hand from the facts, not taken
from the code's outputs."""

import numpy as np
import pytest
from scipy.special import erfc

from sen2cor.atmcorr import aot, retrieval, visibility
from sen2cor.atmcorr.rtables import RtTable
from sen2cor.atmcorr.settings import AcSettings


# --- pixels near clouds: box of odd(min(int(1000 m / pixel), 500)) px, mean of 255 * cloud > 5 (step 2) ---

def _cloud_columns(first: int, last: int, width: int = 400) -> np.ndarray:
    # 40 rows: below 8 radius / 4 rows box_mean filters directly (larger images use a block grid)
    scl = np.full((40, width), 4, np.uint8)
    scl[:, first:last + 1] = 9
    return scl


def test_cloud_proximity_at_20_m_box_51():
    # Box 51 x 51: k cloud columns inside give 255 k / 51 = 5 k, so "near" needs k >= 2 columns.
    # Cloud columns 98-99: column c sees 98-99 while c - 25 <= 98, i.e. c <= 123 (a box of 53 reaches 124).
    near = aot.cloud_proximity(_cloud_columns(98, 99), 20.0)[20]
    assert near[123] and not near[124]
    assert near[74] and not near[73]  # the other side: c + 25 >= 99
    # a single cloud column is 255 * 51 / 2601 = 5.0, not > 5: no pixel is near
    assert not aot.cloud_proximity(_cloud_columns(99, 99), 20.0).any()


def test_cloud_proximity_at_60_m_box_17():
    # int(1000 / 60) = 16 -> odd -> 17 (radius 8); one cloud column gives 255 / 17 = 15 > 5.
    near = aot.cloud_proximity(_cloud_columns(0, 99), 60.0)[20]
    assert near[107] and not near[108]


def test_cloud_proximity_at_10_m_box_101():
    # 1000 / 10 = 100 -> odd -> 101 (radius 50); k columns give 255 k / 101 > 5 for k >= 2.
    near = aot.cloud_proximity(_cloud_columns(0, 99, width=600), 10.0)[20]
    assert near[148] and not near[149]


@pytest.mark.parametrize("cls", [7, 8, 9, 10])
def test_cloud_proximity_classes_7_to_10_count_as_cloud(cls):
    scl = _cloud_columns(0, 99)
    scl[scl == 9] = cls
    assert aot.cloud_proximity(scl, 60.0)[20, 107]


@pytest.mark.parametrize("cls", [3, 6, 11])
def test_cloud_proximity_ignores_shadow_water_and_snow(cls):
    scl = _cloud_columns(0, 99)
    scl[scl == 9] = cls
    assert not aot.cloud_proximity(scl, 60.0).any()


# --- negative-reflectance check: rho + q (rho - Gauss_sigma(min(rho, 0.4))) < threshold (step 7) ---

def test_negative_fraction_adds_the_adjacency_term_with_its_sign():
    # One dark land pixel (0.05) in a bright field (0.3, not land): background ~0.3, q = 0.2:
    # rho_adj = 0.05 + 0.2 (0.05 - 0.3) = 0.0 -> below 0.01; with the sign flipped 0.10 would not be.
    rho = np.full((200, 200), 0.3)
    scl = np.full((200, 200), 6, np.uint8)
    rho[100, 100], scl[100, 100] = 0.05, 4
    fraction = aot.negative_fraction(rho, scl, 0.2, 0.01, 20.0)
    assert fraction == pytest.approx(1 / 40000)
    # without adjacency (q = 0) the pixel (0.05) is above the threshold
    assert aot.negative_fraction(rho, scl, 0.0, 0.01, 20.0) == 0.0
    # a dark pixel in a darker field is brightened by the term: 0.02 + 0.5 (0.02 - 0.0) = 0.03 > 0.025
    rho[:] = 0.0
    rho[100, 100] = 0.02
    assert aot.negative_fraction(rho, scl, 0.5, 0.025, 20.0) == 0.0
    assert aot.negative_fraction(rho, scl, 0.0, 0.025, 20.0) == pytest.approx(1 / 40000)


@pytest.mark.parametrize(("threshold", "counted"), [(0.0155, True), (0.0145, False)])
def test_negative_fraction_background_is_capped_at_0_4(threshold, counted):
    # field 0.6 -> background min(0.6, 0.4) = 0.4: rho_adj = 0.05 + 0.1 (0.05 - 0.4) = 0.015
    rho = np.full((200, 200), 0.6)
    scl = np.full((200, 200), 6, np.uint8)
    rho[100, 100], scl[100, 100] = 0.05, 4
    assert (aot.negative_fraction(rho, scl, 0.1, threshold, 20.0) > 0) is counted


@pytest.mark.parametrize(("pixel_m", "sigma_px"), [(20.0, 51), (60.0, 17), (10.0, 51), (500.0, 3)])
def test_negative_fraction_gaussian_sigma(pixel_m, sigma_px):
    # A bright half-plane (0.4, water) beside dark land (0.0): Gaussian step response at column
    # distance d from the edge = 0.4 * erfc(d / (sigma sqrt 2)) / 2, so rho_adj = -q * background.
    # sigma = odd(clamp(1000 m / pixel, 3, 51)) px. Count of land columns with rho_adj < threshold:
    width = 8 * sigma_px + 200
    rho = np.zeros((3 * sigma_px + 70, width))
    scl = np.full(rho.shape, 4, np.uint8)
    edge = width // 2
    rho[:, :edge], scl[:, :edge] = 0.4, 6
    q, threshold = 1.0, -0.01
    d = np.arange(edge, width) - edge + 0.5
    background = 0.4 * 0.5 * erfc(d / (sigma_px * np.sqrt(2)))
    expected_columns = int(np.count_nonzero(-q * background < threshold))
    got = aot.negative_fraction(rho, scl, q, threshold, pixel_m) * rho.size / rho.shape[0]
    assert got == pytest.approx(expected_columns, abs=1.01)
    # a sigma two pixels larger or smaller moves the count by more than that
    for other in (sigma_px - 2, sigma_px + 2):
        bg = 0.4 * 0.5 * erfc(d / (other * np.sqrt(2)))
        assert abs(int(np.count_nonzero(-q * bg < threshold)) - expected_columns) >= 2


def test_negative_fraction_counts_only_vegetation_and_bare_soil():
    rho = np.full((20, 20), 0.2)
    rho[0, :] = -0.1
    for cls, counted in ((4, True), (5, True), (6, False), (3, False), (8, False), (11, False)):
        scl = np.full((20, 20), 7, np.uint8)
        scl[0, :] = cls
        assert (aot.negative_fraction(rho, scl, 0.0, 0.01, 20.0) > 0) is counted


# --- visibility steps of the iteration (step 7) on both sides of each boundary ---

@pytest.mark.parametrize(
    ("v", "nxt"),
    [(22.5, 23), (23.0, 26), (25.5, 28.5), (26.0, 30), (29.5, 33.5), (30.0, 35), (39.5, 44.5), (40.0, 50),
     (42.0, 52), (99.5, 109.5), (100.0, 120), (55.0, 65), (119.0, 120)],
)
def test_visibility_step_boundaries(v, nxt):
    # < 23 -> 23; < 26: +3; < 30: +4; < 40: +5; < 100: +10; else 120; results ending in 9 -> next decade
    assert aot.step_up_visibility(v) == pytest.approx(nxt)


def test_visibility_ending_in_nine_goes_to_the_next_decade():
    assert aot.step_up_visibility(24.0) == 27.0
    assert aot.step_up_visibility(26.0) == 30.0  # 26 + 4 = 30
    assert aot.step_up_visibility(25.0) == 28.0
    assert aot.step_up_visibility(34.0) == 40.0  # 39 -> 40
    assert aot.step_up_visibility(79.0) == 90.0  # 89 -> 90
    assert aot.step_up_visibility(58.0) == 68.0


# --- the negative check and the green/red check of retrieval.negative_check, on a hand-made table ---

def _table(lp_green: float = 0.0) -> RtTable:
    """Flat table: E0t = pi, Edift = 0, cos SZA = 1 -> rho = L - Lp; q = 0 (no adjacency term)."""
    shape = (3, 1, visibility.N_VIS_INDEX, 1)
    lp = np.zeros(shape)
    lp[0] = lp_green
    return RtTable(("B03", "B04", "B8A"), np.array([0.0]), np.array([1.0]), 1.0, lp,
                   np.full(shape, np.pi), np.zeros(shape), np.zeros(shape), np.zeros(shape), np.ones(shape))


def _scene(green: np.ndarray, red: np.ndarray, nir: np.ndarray | None = None) -> retrieval.SceneRadiance:
    radiance = {"B03": green.astype(np.float32), "B04": red.astype(np.float32)}
    if nir is not None:
        radiance["B8A"] = nir.astype(np.float32)
    scl = np.full(green.shape, 4, np.uint8)
    return retrieval.SceneRadiance(radiance, radiance, scl, scl > 0, 0.0, 20.0, 1.0)


@pytest.mark.parametrize(("ratio", "final_km"), [(1.085, 40.0), (1.075, 100.0)])
def test_green_red_check_on_both_sides_of_1_08(ratio, final_km):
    # DDV mean green must reach 1.08 x mean red; otherwise V steps up, at most 6 times: 40 -> 100 km.
    red = np.full((10, 10), 0.05)
    green = ratio * red
    ddv = np.zeros(red.shape, bool)
    ddv[:5] = True
    v = retrieval.negative_check(_scene(green, red), _table(), 40.0, AcSettings(), ddv_mask=ddv)
    assert v == pytest.approx(final_km)


def test_green_red_check_stops_as_soon_as_green_is_high_enough():
    # Green path radiance 0.02 below 55 km and 0 above: green = 0.064 - 0.02 < 1.08 * 0.05 until V >= 55.
    lp_green = np.where(visibility.VISEXT_KM >= 55.0, 0.0, 0.02)[None, :, None]
    table = _table()
    table.lp[0] = lp_green
    red = np.full((10, 10), 0.05)
    ddv = np.ones(red.shape, bool)
    v = retrieval.negative_check(_scene(np.full((10, 10), 0.064), red), table, 40.0, AcSettings(), ddv_mask=ddv)
    assert v == pytest.approx(60.0)  # 40 -> 50 (still hazy) -> 60


def test_green_red_check_uses_only_ddv_pixels():
    red = np.full((10, 10), 0.05)
    green = 1.2 * red
    green[5:] = 0.5 * red[5:]  # non-DDV pixels would fail the ratio
    ddv = np.zeros(red.shape, bool)
    ddv[:5] = True
    assert retrieval.negative_check(_scene(green, red), _table(), 40.0, AcSettings(), ddv_mask=ddv) == 40.0


@pytest.mark.parametrize(("n_dark", "final_km"), [(10, 40.0), (11, 120.0)])
def test_negative_check_limit_is_one_percent_of_the_pixels(n_dark, final_km):
    # 1000 land pixels, red reflectance 0.005 < 0.01 on n_dark of them: > 1 % -> V up to 120 km.
    red = np.full((20, 50), 0.05)
    red.reshape(-1)[:n_dark] = 0.005
    green = 1.2 * red
    assert retrieval.negative_check(_scene(green, red), _table(), 40.0, AcSettings()) == final_km


@pytest.mark.parametrize(("value", "final_km"), [(0.0101, 40.0), (0.0099, 120.0)])
def test_negative_check_red_cut_off_0_01(value, final_km):
    red = np.full((10, 10), 0.05)
    red[0] = value  # 10 % of the pixels at the cut-off AC_Cut_Off_Aot_Iter_Vegetation = 0.01
    assert retrieval.negative_check(_scene(1.2 * red, red), _table(), 40.0, AcSettings()) == final_km


@pytest.mark.parametrize(("value", "final_km"), [(-0.0049, 40.0), (-0.0051, 120.0)])
def test_negative_check_nir_cut_off_minus_0_005(value, final_km):
    red = np.full((10, 10), 0.05)
    nir = np.full((10, 10), 0.3)
    nir[0] = value  # AC_Cut_Off_Aot_Iter_Water = -0.005, applied to B8A
    assert retrieval.negative_check(_scene(1.2 * red, red, nir), _table(), 40.0, AcSettings()) == final_km


def test_negative_check_iterates_at_most_12_times():
    # always too dark: 5 -> 23 -> 26 -> 30 -> 35 -> 40 -> 50 ... 100 -> 120 takes all 12 steps
    red = np.full((10, 10), 0.0)
    assert retrieval.negative_check(_scene(red, red), _table(), 5.0, AcSettings()) == 120.0


# --- shift of the DDV indices after the check (step 8) ---

def test_shift_indices_never_moves_towards_haze():
    idx = np.array([40.0, 60.0, 80.0])  # mean 60; a new mean above the old one is no shift
    np.testing.assert_array_equal(aot.shift_indices(idx, 70.0), idx)
    np.testing.assert_allclose(aot.shift_indices(idx, 59.0), [40.0, 59.0, 79.0])


# --- DDV selection (step 3): each threshold on both sides ---

def _ddv_scene(n=100, **values):
    scene = dict(rho_swir=np.full(n, 0.03, np.float32), rho_nir=np.full(n, 0.3, np.float32),
                 rho_red_toa=np.full(n, 0.05, np.float32), rho_nir_toa=np.full(n, 0.3, np.float32),
                 scl=np.full(n, 4, np.uint8), excluded=np.zeros(n, bool))
    for key, value in values.items():
        scene[key][:] = value
    return scene


@pytest.mark.parametrize(("key", "value", "found"), [
    ("rho_swir", 0.0101, True), ("rho_swir", 0.01, False),          # AC_Swir_Refl_Lower_Th 0.01 (strict)
    ("rho_swir", 0.1199, True), ("rho_swir", 0.12, False),          # last upper threshold 0.12 (strict)
    ("rho_nir", 0.3799, True), ("rho_nir", 0.38, False),            # NIR < 0.38
    ("rho_red_toa", 0.18, True), ("rho_red_toa", 0.1801, False),    # red TOA <= the 1.6 um threshold (0.18 last)
    ("scl", 5, False), ("excluded", True, False),
])
def test_ddv_candidate_thresholds(key, value, found):
    assert aot.select_ddv(**_ddv_scene(**{key: value})).found is found


@pytest.mark.parametrize(("nir_toa", "found"), [(0.0612, True), (0.0610, False)])
def test_ddv_ndvi_threshold_0_10(nir_toa, found):
    # NDVI_TOA = (0.0612 - 0.05) / 0.1112 = 0.1007 > 0.10; (0.061 - 0.05) / 0.111 = 0.0991
    assert aot.select_ddv(**_ddv_scene(rho_nir_toa=nir_toa)).found is found


@pytest.mark.parametrize(("swir", "red", "upper"), [(0.0499, 0.10, 0.05), (0.05, 0.10, 0.10), (0.0999, 0.15, 0.10),
                                                    (0.0999, 0.1501, 0.12), (0.1, 0.18, 0.12)])
def test_ddv_threshold_pairs(swir, red, upper):
    # (B12 upper, red TOA max) pairs: (0.05, 0.10), (0.10, 0.15), (0.12, 0.18)
    sel = aot.select_ddv(**_ddv_scene(rho_swir=swir, rho_red_toa=red))
    assert sel.found and sel.swir_upper == upper


@pytest.mark.parametrize(("n_ddv", "upper"), [(3, 0.05), (2, 0.10)])
def test_ddv_minimum_area_2_percent_of_non_water(n_ddv, upper):
    # 200 pixels, 50 water: the first percentage is over the 150 non-water pixels, 3 of 150 = 2.0 %
    s = _ddv_scene(n=200, rho_swir=0.2)
    s["scl"][:50] = 6
    s["rho_swir"][50:50 + n_ddv] = 0.03
    s["rho_swir"][60:66] = 0.07  # candidates of the second threshold: (n + 6) / 200 >= 2 %
    assert aot.select_ddv(**s).swir_upper == upper


def test_ddv_search_gives_up_above_99_percent_water():
    s = _ddv_scene(n=1000)
    s["scl"][:990] = 6          # exactly 99 % water: still searched
    assert aot.select_ddv(**s).found
    s["scl"][990] = 6           # 99.1 %
    assert not aot.select_ddv(**s).found


# --- visibility grid and maps (steps 5, 6, 10, 11) ---

def test_scene_visibility_is_capped_at_120_km_and_indices_map_to_the_grid_ends():
    assert visibility.scene_visibility_km(0) == 120.0
    assert visibility.scene_visibility_km(182) == pytest.approx(5.0, abs=0.05)
    assert visibility.VISEXT_KM[0] == pytest.approx(187.81, abs=0.05)
    assert visibility.visibility_to_index(5.0) == 182 and visibility.visibility_to_index(500.0) == 0


@pytest.mark.parametrize(("pixel_m", "sigma"), [(20.0, 51), (60.0, 17), (10.0, 101), (400.0, 3)])
def test_visibility_map_smoothing_sigma(pixel_m, sigma):
    # sigma = odd(max(1 km * 1000 / pixel, 3)). On 40 rows the map is filtered directly (no block grid): a
    # one-pixel DDV index, scaled to a peak near 150, gives exactly the rounded Gaussian of that sigma.
    from scipy import ndimage

    impulse = np.zeros((40, 6 * sigma + 1))
    impulse[20, 3 * sigma] = 150.0 * 40 * sigma * np.sqrt(2 * np.pi)
    out = visibility.visibility_index_map(impulse, impulse > 0, np.ones(impulse.shape, bool), 0.0, pixel_m)

    def rounded(s):
        return np.clip(np.rint(ndimage.gaussian_filter(impulse, s)), 0, 182)

    np.testing.assert_array_equal(out, rounded(sigma))
    assert out.max() > 100
    assert not np.array_equal(out, rounded(sigma + 2)) and not np.array_equal(out, rounded(sigma - 2))


@pytest.mark.parametrize(("pixel_m", "sigma"), [(20.0, 5), (60.0, 3), (10.0, 11), (4.0, 21), (2.0, 21)])
def test_aot_map_smoothing_sigma(pixel_m, sigma):
    # sigma = odd(max(int(100 / pixel), 3)), at most 21: the AOT map of a one-pixel step is that Gaussian
    from scipy import ndimage

    n = 8 * sigma + 9
    index = np.full((n, n), 40, np.uint8)
    index[:, n // 2:] = 120
    aot_map = visibility.aot550_map(index, 0.0, np.ones((n, n), bool), pixel_m)
    from sen2cor.rtm import grid

    values = grid.visibility_to_aot550(visibility.VISEXT_KM[index], 0.0)
    expected = ndimage.gaussian_filter(values, sigma)
    np.testing.assert_allclose(aot_map[n // 2], expected[n // 2], atol=2e-3)
    other = ndimage.gaussian_filter(values, sigma + 2)
    assert np.abs(other[n // 2] - aot_map[n // 2]).max() > 4e-3


@pytest.mark.parametrize(("n_ddv", "found"), [(2, True), (1, False)])
def test_ddv_last_threshold_is_kept_from_1_percent(n_ddv, found):
    # 200 pixels, candidates only for the last threshold (0.10 <= B12 < 0.12): 2 = 1.0 % is kept, 1 is not
    s = _ddv_scene(n=200, rho_swir=0.2)
    s["rho_swir"][:n_ddv] = 0.11
    sel = aot.select_ddv(**s)
    assert sel.found is found and (not found or sel.swir_upper == 0.12)
