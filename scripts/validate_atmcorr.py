"""Validation of the atmospheric correction (issue 7, item 8 a, b, c).

(a) For each case a product is generated with sen2cor.testing (forward model with Sen2Cor's .atm
LUTs), read back through sen2cor.l1c + glymur like a real product, corrected at 20 m with
sen2cor.atmcorr.driver (SCL = the generator's true class map, DEM = the true DEM), and compared with
the truth on clear land pixels.  (b) The same on an L1C re-simulated from the official T29UNU L2A.
(c) Every case is corrected with each LUT source of ``--lut`` (default both: Sen2Cor's .atm and the
project's 6S tables), which separates LUT from algorithm differences.  Writes docs/atmcorr_validation.md.

    nice -n 19 .venv/bin/python scripts/validate_atmcorr.py [--size 1200] [--lut atm 6s]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
from scipy import ndimage

from sen2cor.atmcorr import driver, radiance, visibility
from sen2cor.rtm.sources import load_lut
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.dem.terrain import slope_aspect
from sen2cor.io.jp2 import read_jp2
from sen2cor.l1c import read_grib, read_l1c_product
from sen2cor.tables.radiometry import dn_to_reflectance
from sen2cor.tables.resample import resample
from sen2cor.testing import SceneOptions, make_l1c, read_truth

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
#: Flat: the clear preset with 20 m of relief (below Sen2Cor's 50 m quasi-flat limit, facts B.5).
FLAT = replace(SceneOptions.for_kind("clear"), relief_m=20.0)
CASES = [  # name, spacecraft, date, tile, scene, aerosol
    ("flat summer rural S2A", "S2A", "2022-07-15", "29UNU", FLAT, "rural"),
    ("flat summer maritime S2B", "S2B", "2022-07-15", "29UNU", FLAT, "maritime"),
    ("flat winter rural S2B (43 N, Feb)", "S2B", "2022-02-15", "31TDH", FLAT, "rural"),
    ("rugged (2500 m relief) summer rural S2A", "S2A", "2022-07-15", "29UNU", "mountain", "rural"),
    ("hilly (600 m) with clouds, water, urban, summer rural S2C", "S2C", "2022-08-20", "29UNU", "mixed", "rural"),
]
#: Diagnostic cases (``--extra``): outside the LUTs' validity, not part of the validation.
EXTRA_CASES = [
    ("flat winter S2B at 53 N in January (SZA ~74 > 70, beyond both LUT families)", "S2B", "2022-01-20",
     "29UNU", FLAT, "rural"),
]
#: Hand-written explanation of the results (update it with the numbers when they change).
NOTES = """## Notes (hand-written; update them when the numbers change)

### What changed in the generator since the previous version of this page, and why

1. **Dense vegetation now obeys Sen2Cor's DDV relations on average** (red = 0.5 B12, blue = 0.5 red, with
   a 15 % per-pixel spread; docs/test_products.md). Before, its red/B12 was 0.30: the closed loop measured
   the DDV assumption (AOT biased by -0.10), not the implementation. The former second run with
   AC_Swir_22um_Red_Refl_Ratio = 0.3 is gone: every run uses Sen2Cor's defaults. The column *DDV truth
   red/B12, blue/red* shows what the retrieval actually met (0.49-0.50 on the generated scenes: the 15 %
   spread sampled by spatially clustered DDV pixels, worth up to ~0.005 in AOT).
2. **AOT varies over tens of km** (30 km features; 0.06 standard deviation over a 110 km tile, 0.01-0.03 on
   these 12 km scenes). The former field had 2.4-4.8 km features and 0.06 standard deviation on every
   12 km scene, which real aerosol does not do. The earlier explanation of its ~0.06 RMSE as "fine-scale
   variation the 1 km smoothing removes" was checked and is wrong: a 1 km Gaussian removes only 0.011-0.019
   RMS of that field. Most of the RMSE was Sen2Cor's map construction: non-DDV pixels take the scene-mean
   visibility index before the smoothing (facts B.7 step 10), so the map follows the aerosol only near DDV
   pixels. The *design limit* column measures that for the new field (0.007-0.020): what a perfect
   per-pixel inversion would reach. *vs truth smoothed 1 km* stays within 0.001 of the AOT RMSE: the
   smoothing scale is not what limits the accuracy.
3. **Winter within the LUTs**: 43 N (tile 31TDH) on 15 February, SZA 58, and a winter water-vapour
   climatology of 0.8 +- 0.08 cm (winter LUTs: 0.2-1.1 cm). The former January case at 53 N had SZA ~74,
   beyond the 70 deg end of both LUT families. Re-run for reference (`--lut atm 6s --cases --extra
   --skip-official`): AOT bias -0.076 (atm) / -0.079 (6s), B01 MAE 0.049. There is no truth beyond 70 deg:
   the generator evaluates the tables at 70 deg in reflectance units while the correction, like Sen2Cor,
   converts radiance with the true sun zenith, so ~16 % (1 - cos 74 / cos 70) too much path radiance is
   removed. Not a retrieval error; such scenes are not used.
4. **Flat is flat** (20 m relief, below Sen2Cor's 50 m quasi-flat limit); the former "flat" cases had 600 m
   of relief. The 600 m case is now called hilly.
5. **Forward model**: the diffuse sky is anisotropic (Hay: a circumsolar part, the beam transmittance's
   fraction of the diffuse light, arrives like the beam) and slopes receive light reflected by the
   surrounding terrain. Before, the diffuse sky was isotropic and terrain reflection was missing, unlike
   real slopes and unlike Sen2Cor's own model. In the rugged case the B06-B8A, B11 and B12 errors dropped by
   23-48 %. The adjacency environment is unchanged (box of 500 m radius) but now an option
   (`SceneOptions.adjacency_range_m`); see the sensitivity below.

### Misses and limits with Sen2Cor's own LUTs (`atm`: the algorithm alone)

* **Hilly case, AOT RMSE 0.032 (bias -0.028)**. Sen2Cor's negative-reflectance check (facts B.7 step 7)
  raises the visibility from the DDV value 52.6 km to 57.8 km: more than 1 % of the land pixels have a red
  reflectance below 0.01. They are partial cloud shadows (less than 50 % of the sun blocked: not SCL 3 in
  the truth map, and Sen2Cor's detector misses such edges too) and self-shaded slopes, which the check's
  flat equation makes dark. Diagnostic run (`--lut atm --cases 3 4 --no-negative-check --skip-official`):
  without the check the bias is -0.016 (RMSE 0.022). Ad-hoc variants of this scene (SceneOptions changed,
  not in the script): without clouds the check does not trigger (bias -0.013); with 20 m instead of 600 m
  relief but with clouds it still triggers (bias -0.021, -0.010 without the check). The remaining -0.01 to
  -0.016 comes from the DDV sample (its true red/B12 is 0.488, see 1.) and from what the design limit
  column shows. This is Sen2Cor's behaviour, reproduced on
  purpose (its defaults are kept); a terrain-aware check would be a deviation (request to the lead).
* **Rugged case** (meets the targets; AOT bias -0.021): the same check raises V from the DDV value
  (column *V DDV -> final*) on self-shaded slopes; without it the bias is +0.001 and the RMSE 0.013.
  B01 (0.0099) and B09 (0.0094) are the worst bands, both 60 m bands corrected on the 20 m terrain
  (cos beta varies inside one 60 m TOA pixel). The B01 bias changes with elevation, from -0.009
  (1.5-2 km) to +0.017 (2-2.5 km, just below the snow: bright surroundings); not fully understood.
* **(b) re-simulated official T29UNU, AOT RMSE 0.035 (bias +0.034)**. The official BOA on the pixels our
  retrieval takes as DDV has red/B12 = 0.54 (column *DDV truth*), not 0.5: the re-simulation starts from
  the official 60 m BOA (the only resolution of the product in the material), and 60 m means of DDV and
  non-DDV pixels are a different population from Sen2Cor's 20 m DDV pixels (we find 6.5 % DDV pixels,
  Sen2Cor reported 2.3 %). A red reference 8 % too dark (0.5 instead of 0.54 times B12) is consistent
  with the +0.03 in AOT at this geometry (SZA 58).
  The official AOT map is itself Sen2Cor's retrieval (visibility 103 km, AOT 0.089), so part of the
  difference is Sen2Cor's own retrieval noise. WV and every band meet the targets.
* **Sensitivity to the adjacency kernel** (no miss with the default generator). The DDV inversion removes
  the adjacency with half weight against the scene-mean radiance (L + 0.5 q (L - mean L), facts B.7 step 5);
  how much adjacency light the DDV pixels (forest clusters of a few hundred metres to km) really carry
  depends on the adjacency kernel, which the generator models as a box. AOT bias (atm LUTs, flat cases
  rural summer / maritime / winter; `--lut atm --cases 0 1 2 --skip-official` with the options shown):

  | generator box radius | DDV adjacency weight | AOT bias | SR MAE B01 (rural summer) |
  |---|---|---|---|
  | 500 m (default) | 0.5 (Sen2Cor) | +0.002 / +0.014 / -0.003 | 0.0058 |
  | 500 m | 1.0 (`--ddv-adjacency-weight 1.0`) | -0.031 / -0.015 / -0.032 | 0.0057 |
  | 1000 m (`--adjacency-range-m 1000`) | 0.5 | +0.027 / +0.034 / +0.019 (RMSE 0.036 / 0.036 / 0.025) | 0.0041 |
  | 1000 m | 1.0 | -0.011 / -0.002 / -0.013 | 0.0029 |

  A 1000 m radius is the range Sen2Cor's own adjacency correction (Adj_Km = 1, box of 2 km) assumes, so
  its surface reflectance fits best there; a 500 m box reproduces Sen2Cor's half-weight assumption in the
  DDV step best. Real kernels are peaked with long tails, between the two: the AOT of Sen2Cor's DDV
  retrieval carries an uncertainty of about +-0.03 from this approximation alone. Sen2Cor's 0.5 is kept.
* The check also acts on the flat rural scene (64.1 -> 67.8 km): the darkest dense-vegetation pixels (15 %
  spread, down to red 0.011) fall below 0.01 once the adjacency term darkens them; the AOT bias stays +0.002.
* Otherwise every case meets every target. Stretch targets (AOT 0.02, WV 0.1 cm, SR 0.005): WV in every
  generated case (not (b): 0.14), SR in every band but B01, B09 (and B02 on the rugged and hilly scenes),
  AOT in the maritime and winter cases only (the design limit alone is 0.020 on the flat rural scene).

### Misses with the project's 6S LUTs (`6s`, item 8c: LUT differences on top of the algorithm)

The products are forward-modelled with Sen2Cor's tables, so a `6s` row minus its `atm` row is the
difference between the two LUT families (docs/lut_validation.md):
* **Summer WV +0.39 to +0.60 cm** (RMSE up to 0.65, target 0.2): the 6S tables' B09 absorption and
  transmittances differ from Sen2Cor's (B09 global irradiance: median difference 5.5-5.7 %, p95 ~60 %).
  The difference depends on elevation: +0.60 cm on the flat scenes near sea level, +0.39 cm on the hilly
  one, -0.09 cm on the rugged one. Winter WV (0.2-1.1 cm) meets the target.
* **SR MAE above 0.01 in B05, B11, B12** (flat summer, hilly; B12 also in winter): gas absorption in those bands differs (global
  irradiance median differences 5-7 %), and the WV error above feeds the WV-dependent bands.
* **B01 0.012 (winter, rugged)** and **AOT -0.023 (winter) / -0.026 (rugged)**: the 6S tables hold more
  red path radiance at a given visibility (signed median +4 to +12 % in B04). Both steps then choose a
  clearer atmosphere: the DDV inversion (e.g. (b): 64.1 -> 76.4 km) and, more often, the
  negative-reflectance check, whose flat surface reflectance comes out darker (winter: 42.7 -> 48.2 km
  with 6s, none with atm). B01, the most aerosol-sensitive band, carries most of the resulting error.
* **Hilly with 6s**: the AOT miss is the `atm` one (negative-reflectance check), unchanged.
* **(b) with 6s**: B09 0.019 (absorption band); the AOT bias is smaller (+0.020) because the lower 6S AOT
  (previous item) partly offsets the DDV-ratio bias above."""
#: Gaussian sigma (20 m pixels) of Sen2Cor's visibility-index smoothing: odd(AC_Ddv_Smooting_Window 1 km / 20 m)
#: (facts B.7 step 10).
RETRIEVAL_SIGMA_PX = visibility.odd(1000.0 / 20.0)


def correct(safe: Path, aerosol: str, lut_source: str, negative_check: bool = True,
            ddv_adjacency_weight: float | None = None):
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
    settings = AcSettings(reference_albedo=0.0)
    if not negative_check:   # diagnostic: thresholds no reflectance reaches switch the checks off
        settings = replace(settings, cut_off_aot_iter_vegetation=-1.0, cut_off_aot_iter_water=-1.0)
    if ddv_adjacency_weight is not None:   # diagnostic: Sen2Cor uses 0.5
        settings = replace(settings, ddv_adjacency_weight=ddv_adjacency_weight)
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
    aot_true = sc["aot550"]
    # diagnostic: the truth at the retrieval's own scale (Sen2Cor smooths the index map with sigma 1 km)
    aot_smooth = ndimage.gaussian_filter(aot_true.astype(np.float64), RETRIEVAL_SIGMA_PX, mode="nearest")
    out = {
        "n_clear": int(clear.sum()),
        "aot_rmse": float(np.sqrt(np.mean((res.aot550[clear] - aot_true[clear]) ** 2))),
        "aot_bias": float(np.mean(res.aot550[clear] - aot_true[clear])),
        "aot_rmse_smooth": float(np.sqrt(np.mean((res.aot550[clear] - aot_smooth[clear]) ** 2))),
        "aot_true_std": float(np.std(aot_true[clear])),
        "aot_design_rmse": float("nan"),
        "ddv_red_swir": float("nan"),
        "ddv_blue_red": float("nan"),
        "aot_rmse_design": float("nan"),
        "wv_rmse": float(np.sqrt(np.mean((res.wv_cm[clear] - sc["wv_cm"][clear]) ** 2))),
        "wv_bias": float(np.mean(res.wv_cm[clear] - sc["wv_cm"][clear])),
    }
    if res.ddv_mask is not None and res.ddv_mask.any():
        # the truth passed through Sen2Cor's map construction (facts B.7 step 10): DDV pixels keep their
        # value, all others take the DDV mean, Gaussian sigma 1 km; separates the design from the rest
        ddv = res.ddv_mask
        filled = np.where(ddv, aot_true, float(aot_true[ddv].mean())).astype(np.float64)
        design = ndimage.gaussian_filter(filled, RETRIEVAL_SIGMA_PX, mode="nearest")
        out["aot_design_rmse"] = float(np.sqrt(np.mean((design[clear] - aot_true[clear]) ** 2)))
        out["aot_rmse_design"] = float(np.sqrt(np.mean((res.aot550[clear] - design[clear]) ** 2)))
        # the DDV assumptions checked on the truth: red = 0.5 B12, blue = 0.5 red (means over DDV pixels)
        rho = {b: resample(np.nan_to_num(truth["surface_reflectance"][b]), NATIVE[b], 20)[ddv]
               for b in ("B02", "B04", "B12")}
        out["ddv_red_swir"] = float(rho["B04"].mean() / rho["B12"].mean())
        out["ddv_blue_red"] = float(rho["B02"].mean() / rho["B04"].mean())
    for b, r in res.surface_reflectance.items():
        t = resample(np.nan_to_num(truth["surface_reflectance"][b]), NATIVE[b], 20)
        out[b] = float(np.mean(np.abs(r[clear] - t[clear])))
    return out


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=1200, help="product side at 10 m (multiple of 6)")
    p.add_argument("--lut", nargs="+", choices=("atm", "6s"), default=["atm", "6s"])
    p.add_argument("--out", type=Path, default=REPO / "docs" / "atmcorr_validation.md")
    p.add_argument("--skip-official", action="store_true",
                   help="skip case (b), the re-simulated official L2A")
    p.add_argument("--no-negative-check", action="store_true",
                   help="diagnostic: switch Sen2Cor's negative-reflectance visibility checks off")
    p.add_argument("--extra", action="store_true", help="diagnostic: add the out-of-LUT cases")
    p.add_argument("--adjacency-range-m", type=float, default=None,
                   help="diagnostic: radius of the generator's adjacency environment (default 500 m)")
    p.add_argument("--ddv-adjacency-weight", type=float, default=None,
                   help="diagnostic: weight of the adjacency term in the DDV inversion (Sen2Cor: 0.5)")
    p.add_argument("--cases", type=int, nargs="*", default=None, help="indices of CASES to run (default all)")
    args = p.parse_args(argv)
    rows = []
    cases = [c for i, c in enumerate(CASES) if args.cases is None or i in args.cases]
    cases += EXTRA_CASES if args.extra else []
    with tempfile.TemporaryDirectory() as tmp:
        for name, sc, date, tile, kind, aerosol in cases:
            i = (CASES + EXTRA_CASES).index((name, sc, date, tile, kind, aerosol))
            if args.adjacency_range_m is not None:
                kind = SceneOptions.for_kind(kind) if isinstance(kind, str) else kind
                kind = replace(kind, adjacency_range_m=args.adjacency_range_m)
            safe = make_l1c(
                Path(tmp) / str(i),
                size_px=args.size,
                seed=i,
                spacecraft=sc,
                acquisition_date=date,
                tile_id=tile,
                scene=kind,
                aerosol=aerosol,
                atmosphere="lut",
                atm_dir=str(ATM_DIR),
                nodata_fraction=0.0,
            )
            for lut_source in args.lut:
                rows.append(_run(name, safe, aerosol, lut_source, not args.no_negative_check,
                                 args.ddv_adjacency_weight))
        if OFFICIAL_L2A.exists() and not args.skip_official:
            from sen2cor.testing.resimulate import resimulate

            safe = resimulate(Path(tmp) / "official", OFFICIAL_L2A, size_px=args.size, atm_dir=ATM_DIR)
            for lut_source in args.lut:
                rows.append(_run(OFFICIAL_LABEL, safe, "rural", lut_source, not args.no_negative_check,
                                 args.ddv_adjacency_weight))
    write_report(args, rows)
    return 0


OFFICIAL_LABEL = "(b) re-simulated official T29UNU L2A (Sen2Cor 2.10, N0400), rural"


def _run(name: str, safe: Path, aerosol: str, lut_source: str, negative_check: bool = True,
         ddv_adjacency_weight: float | None = None):
    res, truth, scl, seconds = correct(safe, aerosol, lut_source, negative_check, ddv_adjacency_weight)
    m = metrics(res, truth, scl)
    sza = float(read_l1c_product(safe).tile.angles.mean_sun_zenith)
    print(name, lut_source, res.info["AOT_RETRIEVAL_METHOD"], f"SZA {sza:.1f}",
          {k: round(v, 4) for k, v in m.items()}, f"{seconds:.1f} s", flush=True)
    return name, lut_source, res.info, m, seconds, sza


def _km(value) -> str:
    return "-" if value is None else f"{value:.1f}"


def _mark(value: float, target: float, fmt: str) -> str:
    """``value`` formatted, in bold when it misses ``target``."""
    text = format(value, fmt)
    return f"**{text}**" if value > target else text


def _flags(args) -> str:
    out = " --no-negative-check" if args.no_negative_check else ""
    out += " --extra" if args.extra else ""
    out += " --cases " + " ".join(map(str, args.cases)) if args.cases is not None else ""
    out += " --skip-official" if args.skip_official else ""
    out += f" --adjacency-range-m {args.adjacency_range_m}" if args.adjacency_range_m is not None else ""
    w = args.ddv_adjacency_weight
    out += f" --ddv-adjacency-weight {w}" if w is not None else ""
    return out


def write_report(args, rows) -> None:
    bands = [b for b in BANDS_20 if b != "B10"]
    luts = " ".join(args.lut)
    lines = [
        "# Atmospheric correction: validation",
        "",
        "Reproduce (about 3 min on 2 cores):",
        "",
        "```bash",
        f"nice -n 19 .venv/bin/python scripts/validate_atmcorr.py --size {args.size} --lut {luts}{_flags(args)}",
        "```",
        "",
        "Products are forward-modelled by `sen2cor.testing` with Sen2Cor's 2.8 .atm LUTs and corrected at 20 m "
        "with the LUT source of the `LUT` column (`atm`: the same .atm LUTs, so the difference to the truth is "
        "the algorithm's; `6s`: the project's 6S tables, which adds the LUT difference; item 8c). SCL = the true "
        "class map; DEM = the true DEM; all Sen2Cor defaults (AC_Swir_22um_Red_Refl_Ratio 0.5, "
        "AC_Red_Blue_Refl_Ratio 0.5, 1 km DDV smoothing). Clear land = SCL 4/5 without cloud, cloud shadow, "
        "cast shadow or cirrus. Misses of the targets are in bold. AOT diagnostics: *truth AOT std* = the "
        "spatial variation on clear land (the RMSE of a perfect constant map); *vs truth smoothed 1 km* = "
        "against the truth Gaussian-smoothed at the retrieval's scale; *design limit* = RMSE of the truth "
        "passed through Sen2Cor's map construction (truth kept on the retrieval's DDV pixels, the DDV mean "
        "elsewhere, 1 km Gaussian; facts B.7 step 10) - what a perfect per-pixel inversion would reach; "
        "*vs design map* = our map against that map (inversion, negative-reflectance check, LUT errors). "
        "*DDV truth red/B12, blue/red*: the true surface-reflectance ratios (means) on the pixels the retrieval "
        "took as DDV, against Sen2Cor's assumed 0.5 and 0.5.",
        "",
        "Targets (issue 7): AOT RMSE <= 0.03, WV RMSE <= 0.2 cm, SR MAE <= 0.01 per band "
        "(stretch 0.02 / 0.1 / 0.005).",
        "",
        "| case | LUT | SZA deg | method | V DDV -> final km | clear px | DDV truth red/B12, blue/red "
        "| AOT RMSE (bias) | truth AOT std | AOT RMSE vs truth smoothed 1 km | design limit "
        "| AOT RMSE vs design map | WV RMSE cm (bias) | time s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, lut_source, info, m, seconds, sza in rows:
        lines.append(
            f"| {name} | {lut_source} | {sza:.1f} | {info['AOT_RETRIEVAL_METHOD']} "
            f"| {_km(info.get('VISIBILITY_FROM_DDV'))} -> {_km(info.get('FINAL_VISIBILITY'))} | {m['n_clear']} "
            f"| {m['ddv_red_swir']:.2f}, {m['ddv_blue_red']:.2f} "
            f"| {_mark(m['aot_rmse'], 0.03, '.3f')} ({m['aot_bias']:+.3f}) | {m['aot_true_std']:.3f} "
            f"| {m['aot_rmse_smooth']:.3f} | {m['aot_design_rmse']:.3f} | {m['aot_rmse_design']:.3f} "
            f"| {_mark(m['wv_rmse'], 0.2, '.3f')} ({m['wv_bias']:+.3f}) "
            f"| {seconds:.1f} |"
        )
    lines += [
        "",
        "Surface reflectance mean absolute error on clear land:",
        "",
        "| case | LUT | " + " | ".join(bands) + " |",
        "|---|---|" + "---|" * len(bands),
    ]
    for name, lut_source, _, m, _, _ in rows:
        lines.append(f"| {name} | {lut_source} | " + " | ".join(_mark(m[b], 0.01, ".4f") for b in bands) + " |")
    lines += ["", NOTES, ""]
    args.out.write_text("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
