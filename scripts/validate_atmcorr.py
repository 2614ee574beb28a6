"""Closed-loop validation of the atmospheric correction on generated L1C products (issue 7, item 8a).

For each case a product is generated with sen2cor.testing (forward model with a LUT), read back
through sen2cor.l1c + glymur like a real product, corrected at 20 m with sen2cor.atmcorr.driver
(SCL = the generator's true class map, DEM = the true DEM), and compared with the truth on clear
land pixels.  Writes docs/atmcorr_validation.md.

    nice -n 19 .venv/bin/python scripts/validate_atmcorr.py [--size 1200] [--lut atm|6s]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from dataclasses import replace

import numpy as np

from sen2cor.atmcorr import driver, radiance
from sen2cor.atmcorr.aot import DdvThresholds
from sen2cor.atmcorr.lut import load_lut
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.dem.terrain import slope_aspect
from sen2cor.io.jp2 import read_jp2
from sen2cor.l1c import read_grib, read_l1c_product
from sen2cor.tables.radiometry import dn_to_reflectance
from sen2cor.tables.resample import resample
from sen2cor.testing import make_l1c, read_truth

REPO = Path(__file__).resolve().parents[1]
ATM_DIR = REPO.parent / "shared" / "luts" / "sen2cor-2.8"
BANDS_20 = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B09", "B10", "B11", "B12")
NATIVE = {
    "B01": 60,
    "B02": 10,
    "B03": 10,
    "B04": 10,
    "B05": 20,
    "B06": 20,
    "B07": 20,
    "B08": 10,
    "B8A": 20,
    "B09": 60,
    "B10": 60,
    "B11": 20,
    "B12": 20,
}
OFFICIAL_L2A = (REPO.parent / "shared" / "data" / "real" / "l2a"
                / "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")
WINTER_NOTE = (
    'The winter case has SZA ~73 deg (January, 53 deg N), beyond the LUT range (clamped at 70 deg by'
    ' both the generator and the correction, which converts radiance with the true SZA): its errors '
    'are not representative. The red/B12 = 0.5 DDV assumption biases AOT low by ~0.1 on the generato'
    "r's vegetation (red/B12 = 0.3); with the matched ratio the AOT bias is below 0.025 and the rema"
    'ining RMSE is the spatial AOT variation the 1 km smoothing removes. CAMS cases meet every targe'
    't but B09.'
)
#: Red / B12 surface-reflectance ratio of the generator's vegetation (Sen2Cor assumes 0.5).
GENERATOR_RED_SWIR_RATIO = 0.3
CASES = [  # name, spacecraft, date, scene, aerosol
    ("flat summer rural S2A", "S2A", "2022-07-15", "clear", "rural"),
    ("flat summer maritime S2B", "S2B", "2022-07-15", "clear", "maritime"),
    ("flat winter rural S2B", "S2B", "2022-01-20", "clear", "rural"),
    ("rugged summer rural S2A", "S2A", "2022-07-15", "mountain", "rural"),
    ("mixed (clouds, water) summer rural S2C", "S2C", "2022-08-20", "mixed", "rural"),
]


def correct(safe: Path, aerosol: str, lut_source: str, red_ratio: float = 0.5):
    product = read_l1c_product(safe)
    truth = read_truth(safe.parent / (safe.name[:-5] + "_truth.h5"))
    rad = product.radiometry
    toa = {}
    for b in BANDS_20:
        dn = read_jp2(product.band_path(b))
        rho = dn_to_reflectance(dn, rad.quantification_value, rad.add_offset[b], nodata_value=0.0)
        toa[b] = resample(rho, NATIVE[b], 20).astype(np.float32)
    scene_truth = truth["scene"]
    scl = scene_truth["class_map"].astype(np.uint8).copy()
    scl[toa["B8A"] == 0] = 0
    angles = product.tile.angles
    vza, vaa = radiance.mean_view_geometry(angles.mean_viewing)
    dem = scene_truth["dem_m"].astype(np.float32)
    slope, aspect = slope_aspect(dem, 20.0)
    cams = read_grib(product.aux_paths["AUX_CAMSFO"]) if product.aux_paths.get("AUX_CAMSFO") else {}
    month = product.sensing_start.month
    season = "summer" if 4 <= month <= 9 else "winter"
    scene = driver.SceneInputs(
        20,
        toa,
        scl,
        rad.solar_irradiance,
        angles.mean_sun_zenith,
        angles.mean_sun_azimuth,
        vza,
        vaa,
        season,
        sza_map_deg=radiance.angle_grid_to_pixels(angles.sun_zenith, angles.step_m, scl.shape, 20.0),
        elevation_m=dem,
        slope_deg=slope,
        aspect_deg=aspect,
        cams_aod550=cams["aod550"].values if "aod550" in cams else None,
        cams_geopotential=cams["z"].values if "z" in cams else None,
    )
    spacecraft = (
        product.spacecraft if lut_source == "6s" else ("S2B" if product.spacecraft == "S2B" else "S2A")
    )
    lut = load_lut(
        spacecraft,
        season,
        aerosol,
        331 if season == "summer" else 330,
        source=lut_source,
        atm_dir=ATM_DIR if lut_source == "atm" else None,
    )
    # the generator's forward model has a black background: reference albedo 0 whatever the LUT
    started = time.perf_counter()
    settings = AcSettings(
        reference_albedo=0.0, ddv=replace(DdvThresholds(), swir_22um_red_refl_ratio=red_ratio)
    )
    res = driver.correct_resolution(scene, lut, settings)
    seconds = time.perf_counter() - started
    return res, truth, scl, seconds


def metrics(res, truth, scl):
    sc = truth["scene"]
    clear = (
        np.isin(scl, (4, 5))
        & (sc["cloud_fraction"] == 0)
        & (sc["cloud_shadow"] == 0)
        & (sc["cast_shadow"] == 0)
    )
    clear &= sc["cirrus_b10"] == 0
    out = {
        "n_clear": int(clear.sum()),
        "aot_rmse": float(np.sqrt(np.mean((res.aot550[clear] - sc["aot550"][clear]) ** 2))),
        "aot_bias": float(np.mean(res.aot550[clear] - sc["aot550"][clear])),
        "wv_rmse": float(np.sqrt(np.mean((res.wv_cm[clear] - sc["wv_cm"][clear]) ** 2))),
        "wv_bias": float(np.mean(res.wv_cm[clear] - sc["wv_cm"][clear])),
    }
    for b, r in res.surface_reflectance.items():
        t = resample(np.nan_to_num(truth["surface_reflectance"][b]), NATIVE[b], 20)
        out[b] = float(np.mean(np.abs(r[clear] - t[clear])))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1200, help="product side at 10 m (multiple of 6)")
    p.add_argument("--lut", choices=("atm", "6s"), default="atm")
    p.add_argument("--out", type=Path, default=REPO / "docs" / "atmcorr_validation.md")
    p.add_argument("--skip-official", action="store_true",
                   help="skip case (b), the re-simulated official L2A")
    args = p.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, (name, sc, date, kind, aerosol) in enumerate(CASES):
            safe = make_l1c(
                Path(tmp) / str(i),
                size_px=args.size,
                seed=i,
                spacecraft=sc,
                acquisition_date=date,
                scene=kind,
                aerosol=aerosol,
                atmosphere="lut",
                atm_dir=str(ATM_DIR),
                nodata_fraction=0.0,
            )
            for ratio in (0.5, GENERATOR_RED_SWIR_RATIO):
                res, truth, scl, seconds = correct(safe, aerosol, args.lut, ratio)
                m = metrics(res, truth, scl)
                label = f"{name}, red/B12 {ratio}"
                rows.append((label, res.info, m, seconds))
                print(
                    label,
                    res.info["AOT_RETRIEVAL_METHOD"],
                    {k: round(v, 4) for k, v in m.items()},
                    f"{seconds:.1f} s",
                )
        if OFFICIAL_L2A.exists() and not args.skip_official:
            rows.extend(_official(Path(tmp) / "official", args))
    write_report(args, rows)
    return 0


def _official(out: Path, args) -> list:
    """(b) L1C re-simulated from the official T29UNU L2A; its AOT, WVP and BOA are the reference."""
    from sen2cor.testing.resimulate import resimulate

    safe = resimulate(out, OFFICIAL_L2A, size_px=args.size, atm_dir=ATM_DIR)
    rows = []
    res, truth, scl, seconds = correct(safe, "rural", args.lut)
    m = metrics(res, truth, scl)
    label = "(b) re-simulated official T29UNU L2A (Sen2Cor 2.10, N0400), rural"
    print(label, res.info["AOT_RETRIEVAL_METHOD"], {k: round(v, 4) for k, v in m.items()})
    rows.append((label, res.info, m, seconds))
    return rows


def write_report(args, rows) -> None:
    bands = [b for b in BANDS_20 if b != "B10"]
    lines = [
        "# Atmospheric correction: closed-loop validation",
        "",
        f"Generated by `nice -n 19 .venv/bin/python scripts/validate_atmcorr.py --size {args.size} "
        f"--lut {args.lut}` (products forward-modelled by `sen2cor.testing` with Sen2Cor's 2.8 .atm LUTs; "
        f"correction with the `{args.lut}` LUTs at 20 m; SCL = true class map; DEM = true DEM). "
        "Clear land = SCL 4/5 without cloud, cloud shadow, cast shadow or cirrus.",
        "",
        "Each case runs twice: with Sen2Cor's AC_Swir_22um_Red_Refl_Ratio 0.5 and with 0.3, "
        "the red/B12 ratio "
        "of the generator's vegetation (its B12 is 0.09-0.2, red/B12 = 0.30), which separates the DDV "
        "assumption from the implementation.  In winter the generator's truth WV (~1.7 cm) exceeds the "
        "winter LUT range (<= 1.1 cm sea level), where its forward model clips: the WV truth is not the "
        "simulated one there.",
        " " + WINTER_NOTE,
        "",
        "Targets (issue 7): AOT RMSE <= 0.03, WV RMSE <= 0.2 cm, SR MAE <= 0.01 per band "
        "(stretch 0.02 / 0.1 / 0.005).",
        "",
        "| case | method | clear px | AOT RMSE (bias) | WV RMSE cm (bias) | time s |",
        "|---|---|---|---|---|---|",
    ]
    for name, info, m, seconds in rows:
        lines.append(
            f"| {name} | {info['AOT_RETRIEVAL_METHOD']} | {m['n_clear']} | {m['aot_rmse']:.3f} "
            f"({m['aot_bias']:+.3f}) | {m['wv_rmse']:.3f} ({m['wv_bias']:+.3f}) | {seconds:.1f} |"
        )
    lines += [
        "",
        "Surface reflectance mean absolute error on clear land:",
        "",
        "| case | " + " | ".join(bands) + " |",
        "|---|" + "---|" * len(bands),
    ]
    for name, _, m, _ in rows:
        lines.append(f"| {name} | " + " | ".join(f"{m[b]:.4f}" for b in bands) + " |")
    lines += [
        "",
        "Case (b): an L1C re-simulated (`sen2cor.testing.resimulate`, Sen2Cor's .atm LUTs) from the official "
        "T29UNU L2A's 60 m BOA, AOT and WVP; its SCL is used, and the official AOT/WVP/BOA are the reference "
        "(textureless 60 m surface; Sen2Cor's own retrieval noise is therefore part of the difference). "
        "Not yet measured: (c) the same with the project's 6S LUTs (`--lut 6s` once `luts/` holds them).",
        "",
    ]
    args.out.write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
