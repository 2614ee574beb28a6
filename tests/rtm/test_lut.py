"""LutTable interpolation on small hand-made tables, visibility <-> AOT, forward model."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.rtm import grid
from sen2cor.rtm.lut import NATIVE_6S, AtmosphericFunctions, LutTable
from sen2cor.rtm.sources import load_lut
from sen2cor.errors import LutError


def make_table(fill) -> LutTable:
    """A 6S-kind table on Sen2Cor's grid (2 bands, 3 WV levels) whose values come from ``fill``."""
    axes = np.meshgrid(grid.SZA_DEG, grid.VZA_DEG, grid.RAA_DEG, grid.ELEVATION_KM, grid.VISIBILITY_KM,
                       np.array([0.4, 2.0, 4.0]), indexing="ij")
    base = fill(*axes)
    values = {q: np.stack([base, 2 * base]).astype(np.float64) for q in NATIVE_6S}
    return LutTable.from_native("6s", values, bands=("B04", "B09"), sza_deg=grid.SZA_DEG, vza_deg=grid.VZA_DEG,
                                raa_deg=grid.RAA_DEG, elevation_km=grid.ELEVATION_KM,
                                visibility_km=grid.VISIBILITY_KM, water_vapour_cm=np.array([0.4, 2.0, 4.0]),
                                solar_irradiance_w_m2_um=np.array([1500.0, 800.0]))


def linear(s, v, r, z, vis, w):
    """Linear in the first five axes, exp(a + b sqrt(u)) in water vapour (Sen2Cor's model, facts B.9)."""
    return (0.01 * s + 0.02 * v + 0.001 * r + 0.1 * z + 0.003 * vis + 0.05) * np.exp(-0.3 * np.sqrt(w))


def test_exact_at_nodes_for_arbitrary_values():
    rng = np.random.default_rng(1)
    table = make_table(lambda s, *_: rng.random(s.shape))
    raw = table.values["path_reflectance"]
    for idx in [(0, 0, 0, 0, 0, 0), (3, 1, 4, 2, 5, 1), (7, 1, 6, 5, 7, 2)]:
        q = [getattr(table, a)[i] for a, i in zip(("sza_deg", "vza_deg", "raa_deg", "elevation_km",
                                                    "visibility_km", "water_vapour_cm"), idx)]
        f = table.interpolate(*q, visibility_axis="km")
        assert f.path_reflectance[0] == pytest.approx(raw[(0, *idx)], abs=1e-12)
        assert f.path_reflectance[1] == pytest.approx(raw[(1, *idx)], abs=1e-12)


def test_linear_between_nodes_scalar_and_array_paths_agree():
    table = make_table(linear)
    sza, vza, raa, z, vis, wv = 33.0, 4.0, 100.0, np.array([0.3, 1.7, 2.2]), np.array([6.0, 30.0, 100.0]), 1.2
    f = table.interpolate(sza, vza, raa, z, vis, wv, visibility_axis="km")
    expected = linear(sza, vza, raa, z, vis, wv)           # the interpolation's model is reproduced exactly
    np.testing.assert_allclose(f.path_reflectance[0], expected, rtol=1e-6)
    np.testing.assert_allclose(f.path_reflectance[1], 2 * expected, rtol=1e-6)
    g = table.interpolate(np.full(3, sza), np.full(3, vza), np.full(3, raa), z, vis, np.full(3, wv),
                          visibility_axis="km")
    np.testing.assert_allclose(g.path_reflectance, f.path_reflectance, rtol=1e-6)


def test_water_vapour_follows_exp_of_sqrt_u_between_levels():
    """Sen2Cor's F(u) = exp(alpha + beta sqrt(u)): a B09-like transmittance, convex in u, between 0.4 and
    2.0 cm; linear interpolation would overestimate it (by 3 % at 1 cm here)."""
    table = make_table(lambda s, v, r, z, vis, w: 0.9 * np.exp(-0.35 * np.sqrt(w)))
    u = np.array([0.4, 0.7, 1.0, 1.5, 2.0, 3.1])
    f = table.interpolate(30.0, 0.0, 0.0, 0.0, 23.0, u, visibility_axis="km")
    np.testing.assert_allclose(f.spherical_albedo[0], 0.9 * np.exp(-0.35 * np.sqrt(u)), rtol=1e-6)
    lo, hi = 0.9 * np.exp(-0.35 * np.sqrt(0.4)), 0.9 * np.exp(-0.35 * np.sqrt(2.0))
    assert lo + (hi - lo) * 0.6 / 1.6 > 1.02 * f.spherical_albedo[0][2]
    g = table.interpolate(30.0, 0.0, 0.0, 0.0, 23.0, 1.0, visibility_axis="km")   # scalar path: the same
    assert g.spherical_albedo[0] == pytest.approx(f.spherical_albedo[0][2], rel=1e-12)


def test_midpoint_is_mean_of_neighbours():
    rng = np.random.default_rng(2)
    table = make_table(lambda s, *_: rng.random(s.shape))
    raw = table.values["spherical_albedo"][0]
    f = table.interpolate(15.0, 0.0, 0.0, 0.0, 5.0, 0.4, visibility_axis="km")
    assert f.spherical_albedo[0] == pytest.approx(0.5 * (raw[1, 0, 0, 0, 0, 0] + raw[2, 0, 0, 0, 0, 0]))


def test_clamping_and_elevation_extrapolation():
    table = make_table(linear)
    inside = table.interpolate(70.0, 10.0, 160.0, 0.0, 120.0, 4.0, visibility_axis="km")
    beyond = table.interpolate(85.0, 12.0, 200.0, 0.0, 200.0, 6.0, visibility_axis="km")
    np.testing.assert_allclose(beyond.path_reflectance, inside.path_reflectance)   # raa 200 folds to 160
    folded = table.interpolate(30.0, 5.0, np.array([-100.0, 260.0, 100.0]), 1.0, 20.0, 1.0, visibility_axis="km")
    np.testing.assert_allclose(folded.path_reflectance[0], folded.path_reflectance[0][2])
    # elevation: linear extrapolation of the last segment up to 3.5 km, constant beyond
    up = table.interpolate(0.0, 0.0, 0.0, np.array([3.0, 3.5, 5.0]), 5.0, 0.4, visibility_axis="km")
    np.testing.assert_allclose(up.path_reflectance[0], [linear(0, 0, 0, z, 5.0, 0.4) for z in (3.0, 3.5, 3.5)],
                               rtol=1e-6)


def test_visibility_axis_linear_in_aot():
    table = make_table(lambda s, v, r, z, vis, w: grid.visibility_to_aot550(vis, 0.0))
    f = table.interpolate(0.0, 0.0, 0.0, 0.0, np.array([5.0, 17.0, 60.0]), 0.4)
    np.testing.assert_allclose(f.path_reflectance[0], grid.visibility_to_aot550([5.0, 17.0, 60.0], 0.0))
    # aot550 query at 1 km: converted to visibility at that elevation first
    g = table.interpolate(0.0, 0.0, 0.0, 1.0, aot550=0.2)
    v = grid.aot550_to_visibility(0.2, 1.0)
    assert g.path_reflectance[0] == pytest.approx(float(grid.visibility_to_aot550(v, 0.0)))


def test_visibility_aot_relation_matches_sen2cor_examples():
    # facts B.3: sea level 23 km -> ~0.32, 40 km -> ~0.20; a(0)=1.54641, b(0)=-0.854022
    assert grid.visibility_to_aot550(23.0) == pytest.approx(np.exp(1.54641 - 0.854022 * np.log(23.0)))
    assert grid.visibility_to_aot550(23.0) == pytest.approx(0.32, abs=0.005)
    assert grid.visibility_to_aot550(40.0) == pytest.approx(0.20, abs=0.005)
    # at index 126 (2.52 km) the third coefficient pair applies
    assert grid.visibility_to_aot550(23.0, 2.52) == pytest.approx(np.exp(0.92664 - 0.805663 * np.log(23.0)))
    vis = np.array([5.0, 12.0, 80.0])
    np.testing.assert_allclose(grid.aot550_to_visibility(grid.visibility_to_aot550(vis, 1.3), 1.3), vis)


def test_ozone_letters():
    assert grid.nearest_ozone_letter(331, "summer") == "h"
    assert grid.nearest_ozone_letter(300, "summer") == "g"
    assert grid.nearest_ozone_letter(400, "winter") == "x"     # |420-400| < |377-400|
    assert grid.nearest_ozone_letter(377, "winter") == "w"


def test_forward_model_round_trip_and_hand_value():
    one = np.ones((1,))
    f = AtmosphericFunctions(bands=("B04",), solar_irradiance=one, path_reflectance=0.02 * one,
                             t_down_dir=0.8 * one, t_down_dif=0.1 * one, t_up_dir=0.85 * one, t_up_dif=0.05 * one,
                             spherical_albedo=0.1 * one)
    # 0.02 + 0.9 * 0.9 * 0.3 / (1 - 0.03) = 0.02 + 0.243 / 0.97
    assert f.toa_reflectance(0.3)[0] == pytest.approx(0.02 + 0.243 / 0.97)
    assert f.surface_reflectance(f.toa_reflectance(0.3))[0] == pytest.approx(0.3)


def test_band_selection_and_errors():
    table = make_table(linear)
    assert table.select_bands(("B09",)).bands == ("B09",)
    with pytest.raises(LutError, match="B12"):
        table.select_bands(("B12",))
    with pytest.raises(LutError, match="visibility_km or aot550"):
        table.interpolate(0, 0, 0, 0)
    with pytest.raises(LutError, match="season"):
        load_lut("S2A", season="autumn")
    with pytest.raises(LutError, match="aerosol"):
        load_lut("S2A", aerosol="desert")
