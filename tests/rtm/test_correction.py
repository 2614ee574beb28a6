"""6S tables corrected towards Sen2Cor's (rtm.correction): the regression, its cross-validation on S2A / S2B
(fit on one spacecraft, test on the other; random 50/50 node splits) and the shipped coefficients."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.rtm import correction
from sen2cor.rtm.sources import load_lut
from sen2cor.rtm.srf import packaged_srf
from sen2cor.validation.luts import TablePair, cross_validate, evaluate
from tests.rtm.test_lut import make_table

BANDS = ("B02", "B04", "B8A", "B09", "B11", "B12")


def test_fit_recovers_a_known_model_and_apply_uses_it():
    table = make_table(lambda s, v, r, z, vis, w: 0.05 + 0.001 * s + 0.01 * w)
    rng = np.random.default_rng(5)
    nz, nv = table.elevation_km.size, table.visibility_km.size
    coef = {q: rng.normal(0, 0.02, (2, nz, nv, len(correction.QUANTITY_FEATURES[q]))) for q in correction.QUANTITIES}
    ratio = {q: correction.predict(coef[q], correction.grid_features(table, q)) for q in correction.QUANTITIES}
    for q in correction.QUANTITIES:
        fitted = correction.fit([ratio[q]], correction.grid_features(table, q), ridge=0.0)
        np.testing.assert_allclose(fitted, coef[q], atol=1e-8, err_msg=q)
    out = correction.apply(table, coef, table.bands)
    np.testing.assert_allclose(out.values["e0t"], table.values["e0t"] * np.exp(ratio["e0t"]), rtol=1e-5)
    np.testing.assert_allclose(out.values["path_reflectance"],
                               table.values["path_reflectance"] * np.exp(ratio["path_radiance"]), rtol=1e-5)
    # down-welling transmittances follow E0t = E0 T_dir,down T_up as in Sen2Cor's tables
    t_up = out.values["t_up_dir"] + out.values["t_up_dif"]
    e0 = table.solar_irradiance_w_m2_um.reshape(-1, 1, 1, 1, 1, 1, 1) / 10
    np.testing.assert_allclose(out.values["t_down_dir"] * t_up * e0, out.values["e0t"], rtol=1e-5)


@pytest.fixture(scope="module")
def pairs():
    return {c: TablePair.load(c, "summer", "rura", bands=BANDS) for c in ("S2A", "S2B")}


def test_cross_validation_on_s2a_and_s2b(pairs):
    results = {h.label: h for h in cross_validate(pairs)}
    for craft in ("S2A", "S2B"):
        raw = results[f"uncorrected 6S, {craft}"]
        other = "S2B" if craft == "S2A" else "S2A"
        for held_out in (results[f"fit {other}, test {craft}"], results[f"50/50 node split (seed 0), {craft}"]):
            for band in BANDS:       # every band clearly better than the uncorrected tables
                assert held_out.sr_p95[band] < 0.6 * raw.sr_p95[band], (held_out.label, band)
            assert held_out.sr_p95["B04"] <= 0.005 and held_out.sr_p95["B8A"] <= 0.005
            assert held_out.sr_p95["B09"] <= 0.011 and held_out.sr_p95["B11"] <= 0.005
            assert abs(held_out.wv_bias_cm) <= 0.1 < abs(raw.wv_bias_cm) + 0.1 <= raw.wv_p95_cm


def test_shipped_correction_is_the_default_for_s2c(pairs):
    """S2C has no Sen2Cor tables: the corrected 6S tables; here checked with S2A's SRF against S2A's tables."""
    s2a = pairs["S2A"]
    table = load_lut("S2C", "summer", "rural", 331, srf=packaged_srf("S2A"), bands=BANDS)
    assert table.description["table_source"] == "6s-corrected"
    assert "corrected towards Sen2Cor" in table.description["label"]
    result = evaluate(s2a, table, "shipped")
    assert max(result.sr_p95[b] for b in ("B02", "B04", "B8A")) <= 0.005
    assert abs(result.wv_bias_cm) <= 0.05
