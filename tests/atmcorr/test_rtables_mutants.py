"""``rtables``: elevation nodes, 20 m classes, 0.01 cm water-vapour steps and the per-pixel look-up (facts
B.2, B.5, B.6, B.9) on a table whose fields are known in closed form.

The synthetic field F(z, iv, u) = (1 + 2 z + 0.01 iv) exp(-0.3 sqrt(u)) is linear in elevation and
exp(alpha + beta sqrt(u)) in water vapour - the two models the look-up interpolates with - so at a class
centre and on a 0.01 cm step the look-up must give F exactly (to float32)."""

import numpy as np
import pytest

from sen2cor.atmcorr import rtables, visibility
from sen2cor.atmcorr.surface import adjacency_factor
from tests.atmcorr.analytic_atmosphere import E0, make_table

NODES = np.array([0.0, 0.5, 1.0])
LEVELS = np.array([0.4, 1.0, 2.0])
IV = np.arange(visibility.N_VIS_INDEX)


def truth(z, iv, u, scale=1.0):
    return scale * (1.0 + 2.0 * np.asarray(z) + 0.01 * np.asarray(iv)) * np.exp(-0.3 * np.sqrt(u))


def synthetic(nodes=NODES, levels=LEVELS) -> rtables.RtTable:
    """Bands B04 (F) and B09 (3 F); the fields lp, e0t, edift, s, q, t_dir are 1, 2, ... 6 times that."""
    z, iv, u = np.meshgrid(nodes, IV, levels, indexing="ij")
    f = np.stack([truth(z, iv, u), truth(z, iv, u, 3.0)])
    return rtables.RtTable(("B04", "B09"), nodes, levels, 0.8, f, 2 * f, 3 * f, 4 * f, 5 * f, 6 * f)


# ----------------------------------------------------------------------------- elevation nodes
def test_elevation_nodes_cover_the_scene_range():
    lut = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
    assert rtables.elevation_nodes(lut, np.array([0.2, 1.3])).tolist() == [0.0, 0.5, 1.0, 1.5]
    assert rtables.elevation_nodes(lut, np.array([0.5, 1.0])).tolist() == [0.5, 1.0]        # on nodes
    assert rtables.elevation_nodes(lut, np.array([0.0, 0.25])).tolist() == [0.0, 0.5]
    # above the table: extended by its 0.5 km step up to 3.5 km, higher elevations clipped to 3.5
    assert rtables.elevation_nodes(lut, np.array([2.2, 3.2])).tolist() == [2.0, 2.5, 3.0, 3.5]
    assert rtables.elevation_nodes(lut, np.array([3.0, 4.2])).tolist() == [3.0, 3.5]
    assert rtables.elevation_nodes(lut, np.array([-0.3, 0.4])).tolist() == [0.0, 0.5]       # below 0: 0
    assert rtables.elevation_nodes(lut, np.array([np.nan, 0.2, 0.7])).tolist() == [0.0, 0.5, 1.0]
    # a table with a 1 km step is extended by 1 km; a one-level table by Sen2Cor's 0.5 km
    assert rtables.elevation_nodes(np.array([0.0, 1.0]), np.array([0.2, 2.7])).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert rtables.elevation_nodes(np.array([0.0]), np.array([0.2, 0.7])).tolist() == [0.0, 0.5, 1.0]


@pytest.mark.parametrize("z, node", [(0.73, 0.73), (np.array([1.2]), 1.2), (np.full((3, 2), 0.4), 0.4),
                                     (5.0, 3.5), (-1.0, 0.0)])
def test_a_flat_scene_gets_one_node_at_its_elevation(z, node):
    nodes = rtables.elevation_nodes(np.array([0.0, 0.5, 1.0]), z)
    assert nodes.tolist() == [pytest.approx(node)]


# ----------------------------------------------------------------------------- classes and positions
def test_position_is_the_lower_node_and_the_weight_clamped():
    i0, w = rtables.position(NODES, np.array([-0.2, 0.0, 0.2, 0.5, 0.9, 1.0, 1.4]))
    assert i0.tolist() == [0, 0, 0, 1, 1, 1, 1]
    np.testing.assert_allclose(w, [0.0, 0.0, 0.4, 0.0, 0.8, 1.0, 1.0])
    i0, w = rtables.position(np.array([0.3]), np.array([0.1, 0.9]))
    assert i0.tolist() == [0, 0] and w.tolist() == [0.0, 0.0]


def test_elevation_classes_are_20_m_wide_from_the_first_node():
    assert rtables.n_classes(NODES) == 51
    assert rtables.n_classes(np.array([0.5, 1.0, 1.5])) == 51
    cls = rtables.elevation_class(np.array([0.5, 1.0]), np.array([0.5, 0.509, 0.511, 0.63, 1.0, 1.3, 0.2]))
    assert cls.tolist() == [0, 0, 1, 6, 25, 25, 0] and cls.dtype == np.int16
    one = rtables.elevation_class(np.array([0.7]), np.full((2, 2), 1.3))
    assert one.tolist() == [[0, 0], [0, 0]] and one.dtype == np.int16


def test_water_vapour_steps_are_0_01_cm():
    steps = rtables.wv_class(np.array([0.0, 0.004, 0.006, 1.37, 2.0, -0.5, 400.0]))
    assert steps.tolist() == [0, 0, 1, 137, 200, 0, 32000] and steps.dtype == np.int16


def test_wv_position_is_linear_in_the_square_root():
    i0, w = rtables.wv_position(LEVELS, np.array([0.7, 1.0, 1.5, 3.0, -1.0]))
    assert i0.tolist() == [0, 1, 1, 1, 0]
    np.testing.assert_allclose(w, [(np.sqrt(0.7) - np.sqrt(0.4)) / (1 - np.sqrt(0.4)), 0.0,
                                   (np.sqrt(1.5) - 1) / (np.sqrt(2) - 1), 1.0, 0.0])


# ----------------------------------------------------------------------------- look-up
@pytest.mark.parametrize("field, factor", [("lp", 1), ("e0t", 2), ("edift", 3), ("s", 4), ("q", 5), ("t_dir", 6)])
def test_lookup_per_pixel_visibility_is_the_field_at_class_centres(field, factor):
    t = synthetic()
    z = np.array([0.0, 0.26, 0.5, 0.74, 1.0, 1.2])          # class centres; 1.2 km is clipped to the top node
    iv = np.array([0, 7, 50, 120, 182, 3])
    for u in (0.4, 1.37, 2.0):                               # on a level, between levels (sqrt model), top level
        got = rtables.lookup(t, field, "B09", z, iv, u)
        want = truth(np.minimum(z, 1.0), iv, u, 3.0 * factor)
        np.testing.assert_allclose(got, want, rtol=2e-6)
        assert got.dtype == np.float32
    # another band of the same table is its own field
    got = rtables.lookup(t, field, "B04", z, iv, 1.37)
    np.testing.assert_allclose(got, truth(np.minimum(z, 1.0), iv, 1.37, factor), rtol=2e-6)


def test_lookup_per_pixel_water_vapour_is_the_field_on_0_01_cm_steps():
    t = synthetic()
    z = np.array([0.0, 0.26, 0.5, 0.74, 1.0])
    u = np.array([0.4, 0.73, 1.37, 2.0, 2.6])                # above the last level: the last level
    for iv in (0, 40, 182):
        got = rtables.lookup(t, "lp", "B04", z, iv, u)
        np.testing.assert_allclose(got, truth(z, iv, np.minimum(u, 2.0)), rtol=2e-6)
    # the 0.01 cm step indices of wv_class give the same values; below the first level: the first level
    np.testing.assert_allclose(rtables.lookup(t, "lp", "B04", z, 40, rtables.wv_class(u)),
                               truth(z, 40, np.minimum(u, 2.0)), rtol=2e-6)
    np.testing.assert_allclose(rtables.lookup(t, "lp", "B04", 0.5, 40, np.array([0.1, 0.2])),
                               truth(0.5, 40, 0.4), rtol=2e-6)


def test_lookup_takes_class_indices_and_caches_per_query():
    t = synthetic()
    z = np.array([0.26, 0.74])
    cls = rtables.elevation_class(NODES, z)
    np.testing.assert_allclose(rtables.lookup(t, "lp", "B04", cls, 60, 1.0), truth(z, 60, 1.0), rtol=2e-6)
    # repeated queries at other water vapour / visibility on the same table are not served from a cache entry
    # of the first one
    for u in (0.4, 2.0, 1.0):
        np.testing.assert_allclose(rtables.lookup(t, "lp", "B04", z, np.array([60, 61]), u),
                                   truth(z, [60, 61], u), rtol=2e-6)
    for iv in (10, 20):
        np.testing.assert_allclose(rtables.lookup(t, "e0t", "B04", z, iv, np.array([0.5, 1.5])),
                                   truth(z, iv, [0.5, 1.5], 2.0), rtol=2e-6)
    assert rtables.field_table(t, "lp", "B04", water_vapour_cm=1.0).shape == (51, visibility.N_VIS_INDEX)
    assert rtables.field_table(t, "lp", "B04", vis_index=5).shape == (51, 201)


def test_lookup_on_a_one_node_table():
    t = synthetic(nodes=np.array([0.3]))
    np.testing.assert_allclose(rtables.lookup(t, "lp", "B04", np.array([0.0, 0.3, 2.0]), 9, 1.37),
                               truth(0.3, 9, 1.37), rtol=2e-6)
    assert rtables.elevation_class(np.array([0.3]), np.array([0.0, 2.0])).tolist() == [0, 0]


def test_lookup_refuses_per_pixel_visibility_and_water_vapour_at_once():
    with pytest.raises(ValueError, match="per-pixel visibility and per-pixel water vapour"):
        rtables.lookup(synthetic(), "lp", "B04", 0.5, np.array([1, 2]), np.array([1.0, 2.0]))


# ----------------------------------------------------------------------------- tabulate
def test_tabulate_evaluates_the_lut_on_the_visibility_grid():
    lut = make_table()
    bands = ("B02", "B09")
    e0 = np.array([E0[b] for b in bands])
    nodes = np.array([0.0, 0.5])
    t = rtables.tabulate(lut, bands, 35.0, 5.0, 60.0, e0, nodes, np.array([0.4, 2.0]))
    assert t.bands == bands and t.band("B09") == 1
    assert t.cos_sza == pytest.approx(np.cos(np.deg2rad(35.0)))
    assert t.lp.shape == (2, 2, visibility.N_VIS_INDEX, 2)
    np.testing.assert_array_equal(t.elevation_km, nodes)
    np.testing.assert_array_equal(t.water_vapour_cm, [0.4, 2.0])
    f = lut.interpolate(35.0, 5.0, 60.0, 0.5, visibility.VISEXT_KM[30], 2.0, bands=bands, e0_w_m2_um=e0)
    for name, got in (("path_radiance", t.lp), ("e0t", t.e0t), ("edift", t.edift), ("spherical_albedo", t.s),
                      ("t_up_dir", t.t_dir)):
        np.testing.assert_allclose(got[:, 1, 30, 1], getattr(f, name), rtol=1e-6, err_msg=name)
    np.testing.assert_allclose(t.q[:, 1, 30, 1], adjacency_factor(f.t_up_dir, f.t_up_dif), rtol=1e-6)
    assert t.q[1, 0, 30, 0] != t.q[1, 0, 150, 0]            # q depends on the visibility


# ----------------------------------------------------------------------------- round 4 (helper mutH)
def test_elevation_nodes_clip_the_dem_to_3_5_km_on_a_table_reaching_higher():
    """Sen2Cor clips the DEM to 3500 m (algorithm facts, altitude grid): on a table whose nodes go to 4.5 km,
    a scene between 3.0 and 3.9 km needs the nodes up to 3.5 km only, and one entirely above 3.5 km sits at
    3.5 km."""
    lut = 0.5 * np.arange(10)                                  # 0 .. 4.5 km
    assert rtables.elevation_nodes(lut, np.array([3.0, 3.9])).tolist() == [3.0, 3.5]
    assert rtables.elevation_nodes(lut, np.array([4.1, 4.3])).tolist() == [3.5, 4.0]
    # entirely below sea level: clipped to 0 km, still a two-node table from 0
    assert rtables.elevation_nodes(lut, np.array([-0.3, -0.1])).tolist() == [0.0, 0.5]


def test_tabulate_takes_a_single_water_vapour_level_as_a_number():
    lut = make_table()
    e0 = np.array([E0["B02"]])
    t = rtables.tabulate(lut, ("B02",), 35.0, 5.0, 60.0, e0, np.array([0.0, 0.5]), 1.0)
    assert t.water_vapour_cm.tolist() == [1.0] and t.lp.shape == (1, 2, visibility.N_VIS_INDEX, 1)


def test_tabulate_uses_the_products_solar_irradiance():
    """The product's SOLAR_IRRADIANCE replaces the LUT's: path radiance and the two irradiances are
    proportional to it; s, q and t_dir are ratios of transmittances and do not change."""
    lut = make_table()
    bands = ("B02", "B09")
    e0 = np.array([E0[b] for b in bands])
    nodes = np.array([0.0, 0.5])
    wv = np.array([0.4, 2.0])
    ref = rtables.tabulate(lut, bands, 35.0, 5.0, 60.0, e0, nodes, wv)
    other = rtables.tabulate(lut, bands, 35.0, 5.0, 60.0, e0 * np.array([1.1, 0.9]), nodes, wv)
    ratio = np.array([1.1, 0.9])[:, None, None, None]
    for name in ("lp", "e0t", "edift"):
        np.testing.assert_allclose(getattr(other, name), getattr(ref, name) * ratio, rtol=1e-6, err_msg=name)
    for name in ("s", "q", "t_dir"):
        np.testing.assert_allclose(getattr(other, name), getattr(ref, name), rtol=1e-6, err_msg=name)


def test_lookup_per_pixel_water_vapour_is_float32():
    """Per-pixel maps are float32 (memory of a 10980 x 10980 band), also on the water-vapour path."""
    got = rtables.lookup(synthetic(), "lp", "B04", np.array([0.26, 0.74]), 40, np.array([0.73, 1.37]))
    assert got.dtype == np.float32


def test_lookup_error_names_the_function():
    with pytest.raises(ValueError, match=r"^lookup: per-pixel visibility and per-pixel water vapour at once "
                                         r"is not supported$"):
        rtables.lookup(synthetic(), "lp", "B04", 0.5, np.array([1, 2]), np.array([1.0, 2.0]))


def test_lookup_per_pixel_visibility_between_the_first_two_levels():
    """A scalar water vapour between the table's first two levels (0.4 and 1.0 cm) blends those two levels."""
    z = np.array([0.0, 0.5, 0.74])
    iv = np.array([3, 90, 182])
    for u in (0.55, 0.73):
        np.testing.assert_allclose(rtables.lookup(synthetic(), "lp", "B04", z, iv, u), truth(z, iv, u), rtol=2e-6)
