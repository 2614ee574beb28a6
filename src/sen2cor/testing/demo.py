"""The built-in demo: generate a small L1C product, run L2A_Process on it, print a summary.

    python -m sen2cor.testing.demo OUTPUT_DIR [L2A_Process options, e.g. --cog --stac]

The L1C product comes from :mod:`sen2cor.testing` (synthetic scene with known truth, hilly); its
terrain is written as SRTM geocells and a copy of L2A_GIPP.xml names them (DEM_Directory), so the
run includes the terrain correction (see ``DEMO_OPTIONS`` for the command line).
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import numpy as np

#: Options of the demo run: Sen2Cor's usual call (20 m, then 10 m, plus 60 m by downsampling).
DEMO_OPTIONS = ("--resolution", "10")
DEMO_SIZE_PX = 1200
SCL_NAMES = ("NO_DATA", "SATURATED_DEFECTIVE", "DARK_FEATURES", "CLOUD_SHADOWS", "VEGETATION", "NOT_VEGETATED",
             "WATER", "UNCLASSIFIED", "MEDIUM_PROBA_CLOUDS", "HIGH_PROBA_CLOUDS", "THIN_CIRRUS", "SNOW_ICE")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0] if args else "demo_output").absolute()
    l1c_dir, l2a_dir = out / "L1C", out / "L2A"
    os.environ.setdefault("SEN2COR_HOME", str(out / "sen2cor_home"))
    from sen2cor.cli import main as l2a_process
    from sen2cor.testing import make_l1c

    start = time.monotonic()
    l1c_dir.mkdir(parents=True, exist_ok=True)
    l1c = make_l1c(l1c_dir, size_px=DEMO_SIZE_PX, seed=2026)
    print(f"demo L1C product ({DEMO_SIZE_PX}x{DEMO_SIZE_PX} px at 10 m): {l1c}  [{time.monotonic() - start:.1f} s]")
    gipp = _gipp_with_dem(l1c, out)
    argv_run = [str(l1c), "--output_dir", str(l2a_dir), *DEMO_OPTIONS, "--GIP_L2A", str(gipp), *args[1:]]
    print("running: L2A_Process " + " ".join(argv_run))
    code = l2a_process(argv_run)
    if code != 0:
        print(f"L2A_Process failed with exit code {code}", file=sys.stderr)
        return code
    product = max(l2a_dir.glob("S2*_MSIL2A_*.SAFE"), key=lambda p: p.stat().st_mtime)
    _summary(product, l1c, time.monotonic() - start)
    return 0


def _gipp_with_dem(l1c: Path, out: Path) -> Path:
    """SRTM geocells of the scene's terrain in ``out/dem`` and an L2A_GIPP.xml copy pointing at them
    (DEM_Directory), so the demo shows the terrain correction as a user with a DEM would run it."""
    from lxml import etree

    from sen2cor.config.resources import cfg_dir
    from sen2cor.testing.auxdata import write_dem_geocells

    write_dem_geocells(l1c, out / "dem", samples_per_degree=240)
    tree = etree.parse(str(cfg_dir() / "L2A_GIPP.xml"))
    (element,) = tree.xpath("//*[local-name()='DEM_Directory']")
    element.text = str(out / "dem")
    path = out / "L2A_GIPP.xml"
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


def _summary(product: Path, l1c: Path, seconds: float) -> None:
    from osgeo import gdal

    from sen2cor.testing import read_truth

    files = [p for p in product.rglob("*") if p.is_file()]
    size_mb = sum(p.stat().st_size for p in files) / 1e6
    print(f"\nL2A product: {product}\n  {len(files)} files, {size_mb:.1f} MB, total time {seconds:.1f} s")
    for what, path in (("quicklook", next(product.glob("GRANULE/*/QI_DATA/*_quicklook.png"), None)),
                       ("STAC item", product.with_name(product.name.removesuffix(".SAFE") + ".json"))):
        if path is not None and path.is_file():
            print(f"  {what}: {path}")
    scl_path = next(p for p in product.glob("GRANULE/*/IMG_DATA/R20m/*_SCL_20m.*") if p.suffix != ".xml")
    scl = gdal.Open(str(scl_path)).ReadAsArray()
    counts = np.bincount(scl.ravel(), minlength=12)
    print("  scene classification at 20 m (percent of pixels):")
    for code, name in enumerate(SCL_NAMES):
        print(f"    {code:2d} {name:<22s} {100.0 * counts[code] / scl.size:6.2f}")
    truth_file = l1c.parent / f"{l1c.stem}_truth.h5"
    if not truth_file.is_file():
        return
    truth = read_truth(truth_file)
    classes = truth["scene"]["class_map"]
    valid = classes > 0
    print(f"  agreement with the generator's truth classes: {100 * np.mean(scl[valid] == classes[valid]):.1f} %")
    scene = truth["scene"]
    # clear land as in docs/atmcorr_validation.md: vegetation / soil without cloud, shadow or cirrus
    clear = (np.isin(classes, (4, 5)) & (scl > 1) & (scene["cloud_fraction"] == 0) & (scene["cloud_shadow"] == 0)
             & (scene["cast_shadow"] == 0) & (scene["cirrus_b10"] == 0))
    aot = gdal.Open(str(next(product.glob("GRANULE/*/IMG_DATA/R20m/*_AOT_20m.*")))).ReadAsArray() / 1000.0
    wvp = gdal.Open(str(next(product.glob("GRANULE/*/IMG_DATA/R20m/*_WVP_20m.*")))).ReadAsArray() / 1000.0
    print(f"  AOT550 over clear land: L2A {aot[clear].mean():.3f}, truth {truth['scene']['aot550'][clear].mean():.3f}")
    print(f"  water vapour over clear land: L2A {wvp[clear].mean():.2f} cm, "
          f"truth {truth['scene']['wv_cm'][clear].mean():.2f} cm")
    print("  surface reflectance over clear land, mean absolute error against the truth:")
    for band in ("B02", "B03", "B04", "B08"):
        boa = gdal.Open(str(next(product.glob(f"GRANULE/*/IMG_DATA/R10m/*_{band}_10m.*")))).ReadAsArray()
        rho = (boa.astype(np.float64) - 1000.0) / 10000.0
        ref = truth["surface_reflectance"][band]
        mask = np.repeat(np.repeat(clear, 2, 0), 2, 1) & np.isfinite(ref)
        print(f"    {band} (10 m): {np.abs(rho - ref)[mask].mean():.4f}")


if __name__ == "__main__":
    sys.exit(main())
