"""Re-simulate an L1C product from an official L2A product (validation only; reads ../shared).

The official L2A's 60 m surface reflectance, AOT and water vapour, its sun/view angle grids and
detector footprints drive the forward model; its SCL, AOT and WVP become the reference for the
processor's output. Baselines before 04.00 (no BOA_ADD_OFFSET, GML detector footprints, no AUX_CAMSFO)
are read too: reflectance = DN / 10000, footprints burnt from the GML, flat terrain at 0 m without the CAMS
geopotential; the L1C written is always of the PB >= 04.00 layout (raster masks, RADIO_ADD_OFFSET), which
the classification does not depend on. 10 m and 20 m bands are the 60 m reflectance repeated (no texture), B08 is
0.98 x B8A, B10's surface value is 0.5 x B11; B10 cirrus/cloud reflectance is synthesised from the
SCL classes (thin cirrus 0.012, medium/high cloud 0.008/0.02) and, as cirrus, added to every band
(documented approximation: Sen2Cor removed it from the BOA). Terrain: the CAMS geopotential
(9 x 9) interpolated, flat within 60 m. No clouds are modelled separately: the official BOA over
clouds is forward-transformed like any surface.

    python -m sen2cor.testing.resimulate OUT [--l2a ../shared/data/real/l2a/S2A_MSIL2A_..._T29UNU_....SAFE]
           [--size 1830] [--offset ROW COL] [--atm-dir ../shared/luts/sen2cor-2.8]
"""
from __future__ import annotations

import argparse
import sys
import warnings
from datetime import datetime, timezone
from pathlib import Path

import glymur
import numpy as np
from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.testing.lut_adapter import default_atmosphere
from sen2cor.testing.geometry import ANGLE_STEP_M, AngleGrids
from sen2cor.testing.naming import ProductIdentity
from sen2cor.testing.noise import bilinear, upsample_nearest
from sen2cor.testing.product import GeneratorOptions, SimulationContext, write_product
from sen2cor.testing.scene import WV_SCALE_HEIGHT_KM, Scene, SceneOptions
from sen2cor.testing.spectra import band_info
from sen2cor.testing.tiles import tile_grid

DEFAULT_L2A = (Path(__file__).resolve().parents[3].parent / "shared" / "data" / "real" / "l2a" /
               "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")
CIRRUS_B10_BY_SCL = {8: 0.008, 9: 0.02, 10: 0.012}


def _values(el) -> np.ndarray:
    return np.array([[float(v) for v in row.text.split()] for row in el.find("Values_List")], dtype=np.float64)


def read_angles(mtd_tl: Path, node_rows: slice, node_cols: slice) -> tuple[AngleGrids, dict]:
    """Angle grids of an official MTD_TL.xml restricted to the given nodes, and per-band merged view grids."""
    root = etree.parse(str(mtd_tl)).getroot()
    sun = root.find(".//Sun_Angles_Grid")
    sz = _values(sun.find("Zenith"))[node_rows, node_cols]
    sa = _values(sun.find("Azimuth"))[node_rows, node_cols]
    vz, va = {}, {}
    for g in root.iter("Viewing_Incidence_Angles_Grids"):
        key = (BAND_IDS[int(g.get("bandId"))], int(g.get("detectorId")))
        z = _values(g.find("Zenith"))[node_rows, node_cols]
        if np.isfinite(z).any():
            vz[key] = z
            va[key] = _values(g.find("Azimuth"))[node_rows, node_cols]
    merged = {}
    for band in BAND_IDS:
        zs = [v for (b, _), v in vz.items() if b == band]
        azs = [va[(b, d)] for (b, d) in vz if b == band]
        with warnings.catch_warnings():          # nodes outside every detector stay NaN
            warnings.simplefilter("ignore", RuntimeWarning)
            z = np.nanmean(np.stack(zs), axis=0)
            s = np.nanmean(np.sin(np.deg2rad(np.stack(azs))), axis=0)
            c = np.nanmean(np.cos(np.deg2rad(np.stack(azs))), axis=0)
        merged[band] = (z, np.rad2deg(np.arctan2(s, c)) % 360.0)
    mean_view = {b: (float(np.nanmean(z)), float(np.nanmean(a))) for b, (z, a) in merged.items()}
    mean_sun = (float(np.mean(sz)), float(np.mean(sa)))
    return AngleGrids(sz, sa, vz, va, mean_sun, mean_view), merged


def _fill(a: np.ndarray) -> np.ndarray:
    """Replace NaN nodes by the nearest valid value along rows then columns (nodes outside the swath)."""
    out = a.copy()
    for _ in range(out.shape[0] + out.shape[1]):
        bad = ~np.isfinite(out)
        if not bad.any():
            break
        shifted = np.stack([np.roll(out, s, axis=ax) for ax in (0, 1) for s in (1, -1)])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            cand = np.nanmean(shifted, axis=0)
        out[bad] = cand[bad]
    return out


def resimulate(out_dir: Path, l2a: Path = DEFAULT_L2A, size_px: int = 1830, offset_px: tuple[int, int] = (0, 0),
               atm_dir: Path | None = None, seed: int = 0, spacecraft: str | None = None,
               tables: str | None = None) -> Path:
    """Write the re-simulated L1C under ``out_dir``; ``size_px``/``offset_px`` at 10 m, multiples of 6 / 1500
    (offsets on both the 60 m grid and the 5 km angle nodes). Forward model: Sen2Cor's .atm tables of
    ``atm_dir``, else the packaged ``tables`` ("auto": the processor's for the spacecraft, "sen2cor",
    "6s-corrected", "6s"), else (neither given) the analytic atmosphere; ``spacecraft``
    replaces the official product's (S2A) to re-simulate the same scene as seen by S2B or S2C."""
    l2a = Path(l2a)
    if size_px % 6 or offset_px[0] % 1500 or offset_px[1] % 1500:
        raise ValueError(f"size {size_px} must be a multiple of 6 and offsets {offset_px} multiples of 1500 px "
                         "(60 m pixels and 5 km angle nodes)")
    granule = next((l2a / "GRANULE").iterdir())
    mtd = etree.parse(str(granule / "MTD_TL.xml")).getroot()
    tile_id = mtd.findtext(".//L1C_TILE_ID").split("_T")[-1][:5]
    grid = tile_grid(tile_id, size_px, offset_px)
    n60, n20 = size_px // 6, size_px // 2
    r60, c60 = offset_px[0] // 6, offset_px[1] // 6
    win60 = (slice(r60, r60 + n60), slice(c60, c60 + n60))
    nodes = int(np.ceil(size_px * 10 / ANGLE_STEP_M)) + 1
    node_sl = (slice(offset_px[0] // 500, offset_px[0] // 500 + nodes),
               slice(offset_px[1] // 500, offset_px[1] // 500 + nodes))
    angles, merged = read_angles(granule / "MTD_TL.xml", *node_sl)

    def img(name: str) -> np.ndarray:
        f = next(granule.glob(f"IMG_DATA/R60m/*_{name}_60m.jp2"))
        return glymur.Jp2k(str(f))[win60]

    offset = boa_add_offset(l2a)
    rho60 = {}
    for band in BAND_IDS:
        if band in ("B08", "B10"):
            continue
        rho60[band] = np.clip((img(band).astype(np.float32) + offset) / 10000.0, 0.0, 1.5)
    rho60["B08"] = 0.98 * rho60["B8A"]
    rho60["B10"] = 0.5 * rho60["B11"]
    scl = img("SCL")
    aot = img("AOT").astype(np.float32) / 1000.0
    wv_surface = img("WVP").astype(np.float32) / 1000.0
    dem60 = _terrain(granule, win60)

    up = lambda a: upsample_nearest(a, 3)  # noqa: E731
    valid = scl != 0
    aot = np.where(valid & (aot > 0), aot, float(np.mean(aot[valid & (aot > 0)]) if (valid & (aot > 0)).any() else 0.1))
    wv_mean = float(np.mean(wv_surface[valid & (wv_surface > 0)])) if (valid & (wv_surface > 0)).any() else 1.5
    wv_surface = np.where(valid & (wv_surface > 0), wv_surface, wv_mean)
    cirrus = np.zeros(scl.shape, dtype=np.float32)
    for code, value in CIRRUS_B10_BY_SCL.items():
        cirrus[scl == code] = value
    zeros = np.zeros((n20, n20), dtype=np.float32)
    cover = np.zeros((n20, n20), dtype=np.uint8)
    scene = Scene(dem_m=up(dem60).astype(np.float32), cover=cover, brightness=np.ones((n20, n20), np.float32),
                  cloud_fraction=zeros, cloud_top_m=zeros, cloud_shadow=zeros, cirrus_b10=up(cirrus),
                  cast_shadow=np.zeros((n20, n20), dtype=bool), cos_incidence=np.full((n20, n20), 1.0, np.float32),
                  sky_view=np.ones((n20, n20), np.float32), aot550=up(aot).astype(np.float32),
                  wv_sea_level_cm=up(wv_surface * np.exp(dem60 / 1000.0 / WV_SCALE_HEIGHT_KM)).astype(np.float32),
                  saturated=np.zeros((n20, n20), dtype=bool), nodata=up(~valid), reflectance_60m=rho60,
                  texture_10m=0.0)
    sensing = datetime.fromisoformat(mtd.findtext(".//SENSING_TIME").replace("Z", "+00:00")).astimezone(timezone.utc)
    l1c_tile = mtd.findtext(".//L1C_TILE_ID")                     # S2A_OPER_MSI_L1C_TL_ATOS_<gen>_A<orbit>_T.._N04.00
    parts = l1c_tile.split("_")
    generation = datetime.strptime(parts[6], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    absolute = int(parts[7][1:])
    name = l2a.name.split("_")
    datatake = datetime.strptime(name[2], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    datastrip = datetime.strptime(granule.name.split("_")[-1], "%Y%m%dT%H%M%S").replace(tzinfo=timezone.utc)
    craft = spacecraft or name[0]
    baseline = max(parts[-1][1:], "04.00")           # the generator writes the PB >= 04.00 layout
    identity = ProductIdentity(craft, tile_id, sensing, generation, baseline, absolute, int(name[4][1:]),
                               datatake=datatake, datastrip=datastrip)
    opts = GeneratorOptions(size_px=size_px, seed=seed, spacecraft=craft, acquisition_date=sensing.date(),
                            tile_id=tile_id, offset_px=offset_px, baseline=identity.baseline,
                            scene=SceneOptions(kind="resimulated"),
                            atmosphere="lut" if atm_dir or tables else "analytic",
                            atm_dir=str(atm_dir) if atm_dir else None, tables=tables or "auto")
    bands = band_info(opts.spacecraft)
    northern_summer = 4 <= sensing.month <= 9
    season = "summer" if northern_summer == (grid.epsg < 32700) else "winter"
    atmosphere = default_atmosphere({b: i.central_nm for b, i in bands.items()}, opts.spacecraft,
                                    source=opts.atmosphere, season=season, atm_dir=atm_dir, tables=opts.tables,
                                    band_info=bands)
    x20, y20 = grid.pixel_centres(20)
    node_pos = ((grid.uly_m - y20) / ANGLE_STEP_M, (x20 - grid.ulx_m) / ANGLE_STEP_M)
    sun_grids = (_fill(angles.sun_zenith), _fill(angles.sun_azimuth))
    sz20 = bilinear(sun_grids[0].astype(np.float32), *node_pos)
    view_grids = {b: (_fill(z), _fill(a)) for b, (z, a) in merged.items()}
    scene.cos_incidence = np.cos(np.deg2rad(sz20)).astype(np.float32)        # flat terrain
    del sz20
    ctx = SimulationContext(opts, grid, identity, None, scene, atmosphere, n20, sun_grids, view_grids, node_pos)
    ctx.class_map = up(scl).astype(np.uint8)             # the official SCL is the reference class map
    for res, band in ((10, "B02"), (20, "B8A"), (60, "B01")):
        k = 60 // res
        det = _detectors(granule, band, res, tile_grid(tile_id), (r60 * k, c60 * k), n60 * k)
        nod = np.repeat(np.repeat(~valid, 60 // res, 0), 60 // res, 1)
        ctx.detector_maps[res] = np.where(nod, 0, det).astype(np.uint8)
    return write_product(Path(out_dir), ctx, angles, bands)


def boa_add_offset(l2a: Path) -> float:
    """BOA_ADD_OFFSET of an official L2A (DN, -1000 from baseline 04.00; 0 when the metadata has none)."""
    root = etree.parse(str(l2a / "MTD_MSIL2A.xml")).getroot()
    values = {float(e.text) for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("BOA_ADD_OFFSET")}
    if len(values) > 1:
        raise ValueError(f"{l2a / 'MTD_MSIL2A.xml'}: per-band BOA_ADD_OFFSET values {sorted(values)} differ")
    return values.pop() if values else 0.0


def _terrain(granule: Path, win60: tuple[slice, slice]) -> np.ndarray:
    """Terrain (m) on the 60 m window from the AUX_CAMSFO geopotential (9 x 9 nodes over the tile); 0 m
    without CAMS (baselines before 04.00 carry only AUX_ECMWFT, which has no geopotential)."""
    from osgeo import gdal

    cams = granule / "AUX_DATA" / "AUX_CAMSFO"
    if not cams.is_file():
        rows, cols = (w.stop - w.start for w in win60)
        return np.zeros((rows, cols), np.float32)
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        ds = gdal.Open(str(cams))
        z_nodes = ds.GetRasterBand(1).ReadAsArray() / 9.80665
        ds = None
    finally:
        gdal.PopErrorHandler()
    pos = (np.arange(1830) + 0.5) / 1830 * (z_nodes.shape[0] - 1)
    return np.maximum(bilinear(z_nodes.astype(np.float32), pos, pos)[win60], 0.0)


def _detectors(granule: Path, band: str, res: int, tile, origin: tuple[int, int], size: int) -> np.ndarray:
    """Detector numbers of ``band`` on a ``size`` px window at ``res`` (``origin`` = its first row, column in the
    ``tile`` grid) from the official MSK_DETFOO (JPEG 2000 from baseline 04.00, GML polygons
    ``detector_footprint-Bxx-<detector>-<n>`` before)."""
    r0, c0 = origin
    raster = granule / "QI_DATA" / f"MSK_DETFOO_{band}.jp2"
    if raster.is_file():
        return glymur.Jp2k(str(raster))[r0:r0 + size, c0:c0 + size]
    from sen2cor.l1c.qi import rasterize_gml

    geotransform = (tile.ulx_m + c0 * res, float(res), 0.0, tile.uly_m - r0 * res, 0.0, -float(res))
    return rasterize_gml(granule / "QI_DATA" / f"MSK_DETFOO_{band}.gml", geotransform, (size, size), tile.epsg,
                         value_of=lambda gml_id: int(gml_id.split("-")[2]))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sen2cor.testing.resimulate", description=__doc__.splitlines()[0])
    ap.add_argument("output_dir", type=Path)
    ap.add_argument("--l2a", type=Path, default=DEFAULT_L2A)
    ap.add_argument("--size", type=int, default=1830)
    ap.add_argument("--offset", type=int, nargs=2, default=(0, 0))
    ap.add_argument("--atm-dir", type=Path, default=None)
    args = ap.parse_args(argv)
    if not args.l2a.is_dir():
        print(f"official L2A product not found: {args.l2a}", file=sys.stderr)
        return 1
    print(resimulate(args.output_dir, args.l2a, args.size, tuple(args.offset), args.atm_dir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
