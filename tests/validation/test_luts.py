"""sen2cor.validation.luts: surface-reflectance and water-vapour errors of a table against a reference."""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from sen2cor.rtm.atm_reader import load_atm_lut
from sen2cor.validation.luts import NodeAxes, surface_errors, water_vapour_errors

E0 = np.array([1512.06, 955.32, 812.92])


def table():
    return load_atm_lut(None, "S2A", "summer", "rura", 331.0).select_bands(("B04", "B8A", "B09"))


def test_identical_tables_give_no_error():
    ref = table()
    for errors in surface_errors(ref, ref, E0).values():
        np.testing.assert_allclose(errors, 0.0, atol=1e-6)
    mask = NodeAxes.of(ref).target_mask()
    np.testing.assert_allclose(water_vapour_errors(ref, ref, E0)[mask], 0.0, atol=1e-3)


def test_a_one_percent_brighter_irradiance_lowers_the_reflectance_by_one_percent():
    ref = table()
    brighter = replace(ref, values=dict(ref.values, e0t=ref.values["e0t"] * 1.01, edift=ref.values["edift"] * 1.01))
    errors = surface_errors(ref, brighter, E0, {"grey": {"B04": 0.2, "B8A": 0.2, "B09": 0.2}})["grey"]
    mask = NodeAxes.of(ref).target_mask()
    assert mask.sum() > 1000
    # rho' = y / (1 + S y) with y 1 % smaller: close to -1 % of 0.2 (the S term makes it a little less)
    assert np.all((errors[:, mask] < -0.0015) & (errors[:, mask] > -0.0021))


def test_less_b09_absorption_reads_as_less_water_vapour():
    ref = table()
    values = dict(ref.values)
    values["e0t"] = values["e0t"].copy()
    values["e0t"][2] *= 1.03       # the candidate's B09 transmits 3 % more: a given ratio means more water
    errors = water_vapour_errors(ref, replace(ref, values=values), E0)
    mask = NodeAxes.of(ref).target_mask()
    assert np.median(errors[mask]) > 0.02
