"""End-to-end accuracy of L2A_Process against the generator's truth, with tolerances that fail when the
science is wrong.

The products are the validation cases of docs/atmcorr_validation.md ("flat summer rural S2A", seed 0,
1200 px, default tables) and docs/sceneclass_validation.md (mixed, seed 0, 1200 px), generated here and
processed by the command line. Each tolerance is the validated figure plus a stated margin. The margins cover
what differs from the validation runs: the processor's own SCL instead of the true class map, and no DEM.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.testing import SceneOptions, make_l1c, read_truth

SIZE_10M = 1200
#: docs/atmcorr_validation.md, flat summer rural S2A, LUT auto: AOT RMSE 0.023 (bias 0.000), WV RMSE 0.082 cm
#: (bias +0.059), SR MAE per band.
AOT_RMSE, AOT_RMSE_MARGIN, AOT_BIAS_MAX = 0.023, 0.010, 0.015
WV_RMSE, WV_RMSE_MARGIN, WV_BIAS, WV_BIAS_MARGIN = 0.082, 0.040, 0.059, 0.040
SR_MAE = {"B01": 0.0064, "B02": 0.0051, "B03": 0.0037, "B04": 0.0033, "B05": 0.0027, "B06": 0.0028,
          "B07": 0.0029, "B8A": 0.0026, "B11": 0.0009, "B12": 0.0006}
SR_MARGIN = 0.003
#: docs/sceneclass_validation.md (a), evolution, product mixed/seed 0: cloud BOA 0.93, shadow BOA 0.66.
CLOUD_BOA, SHADOW_BOA, SCL_MARGIN = 0.93, 0.66, 0.04


def _run(l1c: Path, out: Path, home: Path, *options: str) -> Path:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEN2COR_HOME", str(home))
        assert main([str(l1c), "--output_dir", str(out), *options]) == 0
    (product,) = out.glob("S2A_MSIL2A_*.SAFE")
    return product


def _layer(product: Path, name: str) -> np.ndarray:
    (path,) = product.glob(f"GRANULE/*/IMG_DATA/R20m/*_{name}_20m.jp2")
    return gdal.Open(str(path)).ReadAsArray()


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    """(truth, L2A product) of the flat summer rural case, processed at 20 m."""
    tmp = tmp_path_factory.mktemp("flat")
    scene = replace(SceneOptions.for_kind("clear"), relief_m=20.0)
    l1c = make_l1c(tmp / "l1c", size_px=SIZE_10M, seed=0, spacecraft="S2A", acquisition_date="2022-07-15",
                   tile_id="29UNU", scene=scene, aerosol="rural", nodata_fraction=0.0)
    truth = read_truth(l1c.parent / f"{l1c.stem}_truth.h5")
    return truth, _run(l1c, tmp / "out", tmp / "home", "--resolution", "20")


@pytest.fixture(scope="module")
def clear_land(flat):
    """Clear land of the validation: truth SCL 4/5 without cloud, cloud shadow, cast shadow or cirrus."""
    scene = flat[0]["scene"]
    return (np.isin(scene["class_map"], (4, 5)) & (scene["cloud_fraction"] == 0) & (scene["cloud_shadow"] == 0)
            & ~scene["cast_shadow"].astype(bool) & (scene["cirrus_b10"] == 0))


def test_aot_within_the_validated_rmse(flat, clear_land):
    truth, product = flat
    aot = _layer(product, "AOT") / 1000.0
    error = aot[clear_land] - truth["scene"]["aot550"][clear_land]
    assert clear_land.sum() > 250_000
    rmse, bias = float(np.sqrt(np.mean(error**2))), float(error.mean())
    assert rmse <= AOT_RMSE + AOT_RMSE_MARGIN, (rmse, bias)
    assert abs(bias) <= AOT_BIAS_MAX, (rmse, bias)


def test_water_vapour_within_the_validated_rmse(flat, clear_land):
    """On clear land that the processor also classifies as land (elsewhere WVP is the land average)."""
    truth, product = flat
    retrieved = clear_land & np.isin(_layer(product, "SCL"), (4, 5))
    wv = _layer(product, "WVP") / 1000.0
    error = wv[retrieved] - truth["scene"]["wv_cm"][retrieved]
    assert retrieved.sum() > 0.8 * clear_land.sum()
    rmse, bias = float(np.sqrt(np.mean(error**2))), float(error.mean())
    assert rmse <= WV_RMSE + WV_RMSE_MARGIN, (rmse, bias)
    assert abs(bias - WV_BIAS) <= WV_BIAS_MARGIN, (rmse, bias)


@pytest.mark.parametrize("band", sorted(SR_MAE))
def test_surface_reflectance_within_the_validated_mae(flat, clear_land, band):
    truth, product = flat
    boa = (_layer(product, band).astype(np.float64) - 1000.0) / 10000.0
    true = truth["surface_reflectance"][band]
    if true.shape != boa.shape:  # 10 m bands: 2 x 2 means; 60 m bands: nearest
        k = true.shape[0] // boa.shape[0]
        true = true.reshape(boa.shape[0], k, boa.shape[1], k).mean(axis=(1, 3)) if k else \
            np.repeat(np.repeat(true, boa.shape[0] // true.shape[0], 0), boa.shape[1] // true.shape[1], 1)
    mask = clear_land & np.isfinite(true)
    mae = float(np.abs(boa[mask] - true[mask]).mean())
    assert mae <= SR_MAE[band] + SR_MARGIN, mae


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """(truth class map, SCL) of the mixed/seed 0 product of the scene-classification validation."""
    tmp = tmp_path_factory.mktemp("mixed")
    l1c = make_l1c(tmp / "l1c", size_px=SIZE_10M, seed=0, scene="mixed")
    product = _run(l1c, tmp / "out", tmp / "home", "--sc_only")
    return read_truth(l1c.parent / f"{l1c.stem}_truth.h5")["scene"]["class_map"], _layer(product, "SCL")


def _balanced_accuracy(predicted: np.ndarray, true: np.ndarray) -> float:
    tp, fn = np.sum(predicted & true), np.sum(~predicted & true)
    fp, tn = np.sum(predicted & ~true), np.sum(~predicted & ~true)
    return float((tp / max(tp + fn, 1) + tn / max(tn + fp, 1)) / 2)


def test_cloud_mask_at_the_validated_balanced_accuracy(mixed):
    truth, scl = mixed
    valid = (truth > 0) & (scl > 0)
    clouds = (8, 9, 10)
    boa = _balanced_accuracy(np.isin(scl[valid], clouds), np.isin(truth[valid], clouds))
    assert boa >= CLOUD_BOA - SCL_MARGIN, boa


def test_cloud_shadows_at_the_validated_balanced_accuracy(mixed):
    truth, scl = mixed
    valid = (truth > 0) & (scl > 0)
    boa = _balanced_accuracy(scl[valid] == 3, truth[valid] == 3)
    assert boa >= SHADOW_BOA - SCL_MARGIN, boa
