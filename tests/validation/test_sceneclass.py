"""sen2cor.validation.sceneclass*: metrics worked out by hand, the document sections, the product inputs, the
re-simulation of the baseline 02.11 official product (T56LMM) and the benchmark tile."""
from __future__ import annotations

import json

import glymur
import numpy as np
import pytest

from sen2cor.sceneclass import SCL, SceneAux
from sen2cor.validation.sceneclass import (
    ALGORITHMS, agreement, binary_scores, class_boa, confusion, generated_section, interior_60m, per_class_rows,
    read_product_inputs, resimulated_inputs, write_section,
)
from sen2cor.validation.sceneclass_speed import TILE_BANDS, benchmark_one, synthetic_tile
from tests.conftest import shared_path

T56LMM = ("data", "real", "l2a", "S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE")


def test_binary_scores_by_hand():
    pred = np.array([1, 1, 0, 0, 1, 0, 1, 0], bool)
    truth = np.array([1, 0, 0, 1, 1, 0, 0, 0], bool)
    valid = np.array([1, 1, 1, 1, 1, 1, 1, 0], bool)          # the last pixel is left out
    s = binary_scores(pred, truth, valid)
    # tp 2 (0, 4), fp 2 (1, 6), fn 1 (3), tn 2 (2, 5)
    assert s["agreement"] == pytest.approx(4 / 7)
    assert s["recall"] == pytest.approx(2 / 3) and s["precision"] == pytest.approx(0.5)
    assert s["specificity"] == pytest.approx(0.5) and s["boa"] == pytest.approx((2 / 3 + 0.5) / 2)
    assert np.isnan(binary_scores(pred, np.zeros(8, bool), valid)["recall"])


def test_confusion_agreement_and_class_boa_by_hand():
    truth = np.array([[4, 4, 8], [9, 6, 0]], np.uint8)
    ours = np.array([[4, 8, 8], [8, 6, 4]], np.uint8)
    conf = confusion(ours, truth, truth != 0)
    assert conf.sum() == 5 and conf[4, 4] == 1 and conf[4, 8] == 1 and conf[9, 8] == 1 and conf[0].sum() == 0
    assert agreement(conf) == pytest.approx(60.0)
    # cloud mask {8, 9}: tp 2 (8->8, 9->8), fn 0, fp 1 (4->8), tn 2 -> (1 + 2/3) / 2
    assert class_boa(conf, (SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS)) == pytest.approx((1 + 2 / 3) / 2)
    rows = per_class_rows(conf)
    assert rows[0] == "| 4 VEGETATION | 2 | 50.0 | 100.0 |" and len(rows) == 4     # classes 4, 6, 8, 9


def test_write_section_appends_then_replaces_only_its_block(tmp_path):
    doc = tmp_path / "v.md"
    write_section(doc, "one", "first text", header="# Head\n")
    write_section(doc, "two", "second text")
    write_section(doc, "one", "new first")
    text = doc.read_text()
    assert text.startswith("# Head\n")
    assert "new first" in text and "first text" not in text and "second text" in text
    assert text.index("BEGIN one") < text.index("BEGIN two")


@pytest.mark.parametrize("azimuth, bottom, right", [(180.0, True, False), (90.0, False, True), (0.0, False, False)])
def test_interior_leaves_out_the_sun_side_bands(azimuth, bottom, right):
    aux = SceneAux(sun_zenith_deg=45.0, sun_azimuth_deg=azimuth)
    mask, (rows, cols) = interior_60m((300, 300), aux)
    width = int(np.ceil(6000.0 / 60.0))          # 6 km highest cloud, tan(45 deg) = 1
    expected = np.ones((300, 300), bool)
    if azimuth == 0.0:
        expected[:width] = False                 # sun north: clouds north of the window shade its top
    if bottom:
        expected[-width:] = False
    if right:
        expected[:, -width:] = False
    np.testing.assert_array_equal(mask, expected)


def test_generated_section_runs_every_variant_with_and_without_maps(tmp_path):
    text = generated_section(120, ["mixed"], [3])
    for label in list(ALGORITHMS) + ["classic + CCI maps", "evolution + CCI maps"]:
        assert f"| {label} | " in text
    assert "generated --size 120 --scenes mixed --seeds 3" in text


def test_product_inputs_follow_the_truth(tmp_path):
    from sen2cor.testing import make_l1c

    safe = make_l1c(tmp_path, size_px=120, seed=1, scene="clear")
    inputs = read_product_inputs(safe)
    truth = inputs.truth["scene"]["class_map"]
    assert set(inputs.toa) == {"B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11",
                               "B12"}
    assert all(a.shape == (60, 60) and a.dtype == np.float32 for a in inputs.toa.values())
    # no data: the truth's, plus a few edge pixels where a 60 m band's pixel overlaps the swath edge
    assert inputs.aux.nodata[truth == 0].all() and inputs.aux.nodata[truth != 0].mean() < 0.02
    assert inputs.aux.saturated[truth == 1].mean() > 0.5 and inputs.aux.saturated[truth > 1].mean() < 0.02


def test_t56lmm_baseline_02_11_is_re_simulated(tmp_path):
    """Baseline 02.11: no BOA offset, GML detector footprints, no CAMS geopotential (flat 0 m); the reference
    classes are the official 60 m SCL and the re-simulated TOA follows the official BOA."""
    l2a = shared_path(*T56LMM)
    inputs, _ = resimulated_inputs(l2a, tmp_path, 600, (0, 0))
    (granule,) = (l2a / "GRANULE").iterdir()
    scl = glymur.Jp2k(str(next(granule.glob("IMG_DATA/R60m/*_SCL_60m.jp2"))))[:100, :100]
    np.testing.assert_array_equal(inputs.truth["scene"]["class_map"][1::3, 1::3], scl)
    assert np.all(inputs.truth["scene"]["dem_m"] == 0)
    boa = glymur.Jp2k(str(next(granule.glob("IMG_DATA/R60m/*_B8A_60m.jp2"))))[:100, :100] / 10000.0
    water = scl == SCL.WATER
    toa = inputs.toa["B8A"][1::3, 1::3]
    # dark sea: TOA = BOA + a little path radiance (within 0.05), never the BOA minus the 0.1 of a wrong offset
    assert np.all(np.abs(toa[water] - boa[water]) < 0.05) and np.median(toa[water]) > np.median(boa[water])
    nodata = inputs.aux.nodata[1::3, 1::3]
    assert nodata[scl == 0].all() and nodata[scl != 0].mean() < 0.02     # swath-edge pixels of 60 m bands


def test_benchmark_tile_and_one_run():
    toa, nodata = synthetic_tile(90, "uint16")
    assert set(toa) == set(TILE_BANDS) and all(a.dtype == np.uint16 for a in toa.values())
    assert nodata[:, :4].all() and not nodata[:, 5:].any()
    result = benchmark_one(90, "float32", "classic")
    assert sum(result["counts"]) == 90 * 90 and result["counts"][0] == int(nodata.sum())
    json.dumps(result)
