"""Write a complete compact-SAFE Level-1C product with ground truth: :func:`make_l1c`."""
from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

import numpy as np

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M
from sen2cor.testing import forward, grib, jp2, metadata, safe
from sen2cor.testing.atmosphere import Atmosphere
from sen2cor.testing.lut_adapter import default_atmosphere
from sen2cor.testing.geometry import SWATH_WIDTH_M, ViewModel, angle_grid_axes, angle_grids
from sen2cor.testing.naming import ProductIdentity, iso_us, orbits
from sen2cor.testing.noise import bilinear, block_mean, upsample_nearest
from sen2cor.testing.scene import Scene, SceneOptions, synthesize_scene
from sen2cor.testing.spectra import band_info
from sen2cor.testing.tiles import TileGrid, tile_grid
from sen2cor.testing.truth import TruthWriter
from sen2cor.testing.xmlutil import fmt

log = logging.getLogger(__name__)

SPACECRAFTS = ("S2A", "S2B", "S2C")
#: Rows of the 20 m grid processed at once (multiple of 3 so that 60 m blocks align; 5490 = 15 x 366).
BLOCK_ROWS_20M = 366
QUALIT_LAYERS = ("ANC_LOST", "ANC_DEG", "MSI_LOST", "MSI_DEG", "QT_DEFECTIVE_PIXELS", "QT_NODATA_PIXELS",
                 "QT_PARTIALLY_CORRECTED_PIXELS", "QT_SATURATED_PIXELS_L1A")
CLASSI_LAYERS = ("OPAQUE_CLOUDS", "CIRRUS_CLOUDS", "SNOW_ICE_AREAS")


@dataclass(frozen=True)
class GeneratorOptions:
    """Everything that defines a product; equal options and seed give byte-identical product files."""

    size_px: int = 600                 # side at 10 m (multiple of 6, 60 .. 10980)
    seed: int = 0
    spacecraft: str = "S2A"
    acquisition_date: date = date(2022, 10, 5)
    sensing_time_utc: time | None = None   # default: from the tile's longitude/latitude
    tile_id: str = "29UNU"
    offset_px: tuple[int, int] = (0, 0)    # crop origin in the tile (row, col) at 10 m
    baseline: str = "05.10"
    scene: SceneOptions = field(default_factory=SceneOptions)
    nodata_fraction: float = 0.08          # part of the crop outside the swath (partial swath)
    track_offset_km: float = 60.0          # across-track position of the crop centre when nodata_fraction == 0
    atmosphere: str = "auto"               # "auto" | "lut" | "analytic"
    atm_dir: str | None = None             # with atmosphere="lut": folder of Sen2Cor's lib_S2A/lib_S2B .atm LUTs
    tables: str = "auto"                   # packaged LUTs: "auto" (as the processor), "sen2cor", "6s-corrected", "6s"
    aerosol: str = "rural"
    ozone_du: float = 330.0
    write_truth: bool = True
    num_threads: int = 1


def _sensing_time(opts: GeneratorOptions, lon: float, lat: float) -> datetime:
    """Tile sensing time: 10:30 mean local solar time at the node, later at northern latitudes (descending)."""
    if opts.sensing_time_utc is not None:
        return datetime.combine(opts.acquisition_date, opts.sensing_time_utc, tzinfo=timezone.utc)
    local_h = 10.5 + 0.8 * lat / 60.0
    utc_h = local_h - lon / 15.0
    base = datetime.combine(opts.acquisition_date, time(0), tzinfo=timezone.utc)
    t = base + timedelta(seconds=round(utc_h * 3600.0, 3))
    return t.replace(microsecond=(t.microsecond // 1000) * 1000)


def earth_sun_factor(day: date) -> float:
    """U = 1 / d^2 (d in AU) as written in Reflectance_Conversion."""
    doy = day.timetuple().tm_yday
    return 1.0 / (1.0 - 0.01672 * np.cos(np.deg2rad(0.9856 * (doy - 4)))) ** 2


def _view_model(grid: TileGrid, opts: GeneratorOptions) -> ViewModel:
    """Ground track placed so that ``nodata_fraction`` of the crop lies beyond the swath's right edge."""
    heading = 192.0                      # descending pass, flying south-south-west
    e = grid.extent_m()
    cx, cy = grid.ulx_m + e / 2, grid.uly_m - e / 2
    h = np.deg2rad(heading)
    right = np.array([np.cos(h), -np.sin(h)])
    if opts.nodata_fraction > 0:
        xs = grid.ulx_m + (np.arange(64) + 0.5) * e / 64
        ys = grid.uly_m - (np.arange(64) + 0.5) * e / 64
        gx, gy = np.meshgrid(xs, ys)
        d0 = ViewModel(cx, cy, heading).across_track_m(gx, gy)
        shift = SWATH_WIDTH_M / 2 - float(np.quantile(d0, 1.0 - opts.nodata_fraction))
    else:
        shift = opts.track_offset_km * 1000.0
    return ViewModel(cx - shift * right[0], cy - shift * right[1], heading)


@dataclass
class SimulationContext:
    """Everything the band simulation and the writers need (built by :func:`generate` or the re-simulation)."""

    opts: GeneratorOptions
    grid: TileGrid
    identity: ProductIdentity
    view: ViewModel | None      # None when detector_maps are given (re-simulation)
    scene: Scene
    atmosphere: Atmosphere
    n20: int
    sun_grids: tuple            # (zenith, azimuth) on the 5 km nodes, deg, no NaN
    view_grids: dict            # band -> (zenith nodes, azimuth nodes)
    node_pos: tuple             # (fractional node row positions, col positions) of 20 m pixel centres
    detector_maps: dict = field(default_factory=dict)
    class_map: np.ndarray | None = None


def _detectors(ctx: SimulationContext, res: int) -> np.ndarray:
    """Detector number per pixel at ``res`` (0 outside the swath), computed once per resolution."""
    if res not in ctx.detector_maps:
        x, y = ctx.grid.pixel_centres(res)
        ctx.detector_maps[res] = ctx.view.detector(x[None, :], y[:, None])
    return ctx.detector_maps[res]


def _interp_angles(ctx: SimulationContext, zen: np.ndarray, az: np.ndarray, rows: slice):
    """Zenith and azimuth (deg) of the 20 m pixels of ``rows``, bilinear from node grids."""
    py, px = ctx.node_pos
    z = bilinear(zen.astype(np.float32), py[rows], px)
    # azimuth interpolated through its unit vector (no wrap-around artefact)
    s = bilinear(np.sin(np.deg2rad(az)).astype(np.float32), py[rows], px)
    c = bilinear(np.cos(np.deg2rad(az)).astype(np.float32), py[rows], px)
    return z, (np.rad2deg(np.arctan2(s, c)) % 360.0).astype(np.float32)


def _view20(ctx: SimulationContext, band: str, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    return _interp_angles(ctx, *ctx.view_grids[band], rows)


def _sun20(ctx: SimulationContext, rows: slice) -> tuple[np.ndarray, np.ndarray]:
    return _interp_angles(ctx, *ctx.sun_grids, rows)


def _toa20(ctx: SimulationContext, band: str, rows: slice, rho: np.ndarray, env: np.ndarray):
    sc = ctx.scene
    vz, va = _view20(ctx, band, rows)
    geom = forward.Geometry(*_sun20(ctx, rows), vz, va)
    return forward.toa_reflectance(
        ctx.atmosphere, band, rho, env, geom, sc.dem_m[rows], sc.aot550[rows], sc.wv_sea_level_cm[rows],
        sc.cloud_fraction[rows], sc.cloud_top_m[rows], sc.cloud_shadow[rows],
        sc.cast_shadow[rows].astype(np.float32), sc.cos_incidence[rows], sc.sky_view[rows], sc.cirrus_b10[rows],
        sc.brightness[rows])


def _toa60(ctx: SimulationContext, band: str, rows: slice, rho20: np.ndarray, env20: np.ndarray):
    """60 m TOA from 3x3 means of the 20 m scene fields (``rows``: a 20 m row slice, multiple of 3)."""
    sc = ctx.scene
    m = lambda a: block_mean(np.asarray(a, dtype=np.float32), 3)   # noqa: E731
    vz, va = _view20(ctx, band, rows)
    sz, sa = _sun20(ctx, rows)
    geom = forward.Geometry(m(sz), m(sa), m(vz), m(va))
    cf = m(sc.cloud_fraction[rows])
    top = np.where(cf > 0, block_mean(sc.cloud_top_m[rows] * sc.cloud_fraction[rows], 3) / np.maximum(cf, 1e-6), 0)
    toa, _ = forward.toa_reflectance(
        ctx.atmosphere, band, m(rho20), m(env20), geom, m(sc.dem_m[rows]), m(sc.aot550[rows]),
        m(sc.wv_sea_level_cm[rows]), cf, top.astype(np.float32), m(sc.cloud_shadow[rows]), m(sc.cast_shadow[rows]),
        m(sc.cos_incidence[rows]), m(sc.sky_view[rows]), m(sc.cirrus_b10[rows]), m(sc.brightness[rows]))
    return toa, m(rho20)


def simulate_band(ctx: SimulationContext, band: str, truth_sink=None) -> np.ndarray:
    """DN image of ``band`` at its native resolution; truth reflectance blocks go to ``truth_sink`` (array-like)."""
    res = NATIVE_RESOLUTION_M[band]
    factor = {10: 2, 20: 1, 60: 1}[res]
    n = ctx.n20 * factor if res != 60 else ctx.n20 // 3
    dn = np.empty((n, n), dtype=np.uint16)
    nodata = _detectors(ctx, res) == 0
    sat20 = ctx.scene.saturated
    rho20_all = forward.surface_reflectance_20m(ctx.scene, band)
    env20_all = forward.environment_reflectance(rho20_all, ctx.opts.scene.adjacency_range_m)
    tex_rng = np.random.default_rng(np.random.SeedSequence([ctx.opts.seed, BAND_IDS.index(band), 7]))
    for r0 in range(0, ctx.n20, BLOCK_ROWS_20M):
        rows = slice(r0, min(r0 + BLOCK_ROWS_20M, ctx.n20))
        rho20, env20 = rho20_all[rows], env20_all[rows]
        if res == 60:
            toa, rho = _toa60(ctx, band, rows, rho20, env20)
            out_rows = slice(rows.start // 3, rows.stop // 3)
            sat = block_mean(sat20[rows].astype(np.float32), 3) > 0
        else:
            toa, gain = _toa20(ctx, band, rows, rho20, env20)
            rho, sat = rho20, sat20[rows]
            if res == 10:
                rho = forward.texture_10m(rho20, tex_rng, ctx.scene.texture_10m)
                toa = upsample_nearest(toa, 2) + upsample_nearest(gain, 2) * (rho - upsample_nearest(rho20, 2))
                sat = upsample_nearest(sat, 2)
            out_rows = slice(rows.start * factor, rows.stop * factor)
        dn[out_rows] = forward.quantise(toa, nodata=nodata[out_rows], saturated=sat)
        if truth_sink is not None:
            truth_sink[out_rows] = np.where(nodata[out_rows], np.nan, rho)
    return dn


def _resample_mask(mask20: np.ndarray, res: int) -> np.ndarray:
    if res == 10:
        return upsample_nearest(mask20, 2)
    if res == 60:
        return block_mean(mask20.astype(np.float32), 3) > 0
    return mask20


def _tci(dn: np.ndarray) -> np.ndarray:
    """True-colour byte: reflectance 0..0.3 -> 1..255, 0 for no data."""
    refl = forward.dn_to_reflectance(dn)
    out = (np.clip(refl / 0.3, 0.0, 1.0) * 254.0 + 1.0).astype(np.uint8)
    out[dn == 0] = 0
    return out


def _lonlat_grid(grid: TileGrid) -> grib.LatLonGrid:
    lon, lat = zip(*grid.footprint_lonlat()[:4])
    return grib.LatLonGrid(round(max(lat), 3), round(min(lon), 3), round(min(lat), 3), round(max(lon), 3))


def _write_aux(ctx: SimulationContext, aux_dir: Path) -> None:
    """AUX_CAMSFO and AUX_ECMWFT sampled from the scene's AOT, WV and terrain at the 9 x 9 nodes."""
    gg = _lonlat_grid(ctx.grid)
    lon, lat = gg.nodes()
    from osgeo import osr
    src = osr.SpatialReference()
    src.ImportFromEPSG(4326)
    src.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    dst = osr.SpatialReference()
    dst.ImportFromEPSG(ctx.grid.epsg)
    dst.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    pts = np.asarray(osr.CoordinateTransformation(src, dst).TransformPoints(
        np.column_stack([lon.ravel(), lat.ravel()])))
    col = np.clip(((pts[:, 0] - ctx.grid.ulx_m) / 20.0).astype(int), 0, ctx.n20 - 1).reshape(lon.shape)
    row = np.clip(((ctx.grid.uly_m - pts[:, 1]) / 20.0).astype(int), 0, ctx.n20 - 1).reshape(lon.shape)
    sc = ctx.scene
    ref = datetime.combine(ctx.identity.tile_sensing.date(), time(0), tzinfo=timezone.utc)
    step = int((ctx.identity.tile_sensing - ref).total_seconds() // 60)
    elevation = sc.dem_m[row, col].astype(np.float64)
    cams = grib.camsfo_values(sc.aot550[row, col].astype(np.float64), elevation)
    wv_surface = sc.wv_surface_cm[row, col].astype(np.float64)
    ecm = grib.ecmwft_values(wv_surface, ctx.opts.ozone_du, np.random.default_rng([ctx.opts.seed, 11]))
    grib.write_grib(aux_dir / "AUX_CAMSFO", grib.CAMSFO_PARAMS, cams, gg, ref, step)
    grib.write_grib(aux_dir / "AUX_ECMWFT", grib.ECMWFT_PARAMS, ecm, gg, ref, step)


def class_map_of(ctx: SimulationContext) -> np.ndarray:
    """Truth class map (computed once)."""
    if ctx.class_map is None:
        ctx.class_map = ctx.scene.class_map()
    return ctx.class_map


def _write_product(ctx: SimulationContext, work: Path, final: Path, truth, angles, bands) -> None:
    """Write every file of the product into ``work``, then rename it to ``final``."""
    opts, grid, identity, sc = ctx.opts, ctx.grid, ctx.identity, ctx.scene
    gdir = work / "GRANULE" / identity.granule_name
    img, qi, aux = gdir / "IMG_DATA", gdir / "QI_DATA", gdir / "AUX_DATA"
    dsdir = work / "DATASTRIP" / identity.datastrip_name
    for d in (img, qi, aux, dsdir / "QI_DATA"):
        d.mkdir(parents=True)
    class_map = class_map_of(ctx)
    tci = np.zeros((opts.size_px, opts.size_px, 3), dtype=np.uint8)
    nt = opts.num_threads
    for band in BAND_IDS:
        res = NATIVE_RESOLUTION_M[band]
        n_band = opts.size_px * 10 // res
        dn = simulate_band(ctx, band, truth.reflectance_array(band, n_band) if truth else None)
        jp2.write_jp2(img / f"{identity.image_prefix}_{band}.jp2", dn, res, grid.ulx_m, grid.uly_m, grid.epsg, nt)
        if band in ("B04", "B03", "B02"):
            tci[..., ("B04", "B03", "B02").index(band)] = _tci(dn)
        det = _detectors(ctx, res)
        jp2.write_jp2(qi / f"MSK_DETFOO_{band}.jp2", det, res, grid.ulx_m, grid.uly_m, grid.epsg, nt)
        defective = _resample_mask(sc.defective[band], res) if band in sc.defective else None
        saturated = _resample_mask(sc.saturated, res)

        def quality_tile(rows: slice, cols: slice, det=det, defective=defective, saturated=saturated) -> np.ndarray:
            d = det[rows, cols]
            q = np.zeros(d.shape + (len(QUALIT_LAYERS),), dtype=np.uint8)
            if defective is not None:
                q[..., 4] = defective[rows, cols]
            q[..., 5] = d == 0
            q[..., 7] = saturated[rows, cols] & (d != 0)
            return q

        jp2.write_jp2(qi / f"MSK_QUALIT_{band}.jp2", None, res, grid.ulx_m, grid.uly_m, grid.epsg, nt,
                      shape=det.shape + (len(QUALIT_LAYERS),), dtype=np.uint8, tile_fn=quality_tile)
        del dn, det, defective, saturated
    jp2.write_jp2(img / f"{identity.image_prefix}_TCI.jp2", tci, 10, grid.ulx_m, grid.uly_m, grid.epsg, nt)
    pvi_step = 32
    pvi = tci[pvi_step // 2::pvi_step, pvi_step // 2::pvi_step]
    jp2.write_jp2(qi / f"{identity.image_prefix}_PVI.jp2", np.ascontiguousarray(pvi), 320, grid.ulx_m, grid.uly_m,
                  grid.epsg)
    del tci
    valid = class_map != 0
    opaque = sc.cloud_fraction >= 0.95
    classi = np.stack([block_mean(opaque.astype(np.float32), 3) >= 0.5,
                       block_mean(((sc.cirrus_b10 >= 0.01) & ~opaque).astype(np.float32), 3) >= 0.5,
                       block_mean((class_map == 11).astype(np.float32), 3) >= 0.5], axis=-1).astype(np.uint8)
    jp2.write_jp2(qi / "MSK_CLASSI_B00.jp2", classi, 60, grid.ulx_m, grid.uly_m, grid.epsg)

    _write_aux(ctx, aux)
    n_valid = max(int(valid.sum()), 1)
    cloud_pct = 100.0 * float(np.isin(class_map, (8, 9, 10)).sum()) / n_valid
    snow_pct = 100.0 * float((class_map == 11).sum()) / n_valid
    u = earth_sun_factor(opts.acquisition_date)
    extra = {"Solar_Angle_Zenith": {"EXPECTED": "70.0", "SOLAR_ZENITH_ANGLE": repr(angles.mean_sun[0])},
             "Sensing_Time": {"SENSING_TIME": iso_us(identity.tile_sensing)},
             "Tile_Position_Geoposition": {f"{k}({r})": v for r in (10, 20, 60) for k, v in (
                 ("ULX", fmt(grid.ulx_m)), ("ULY", fmt(grid.uly_m)), ("XDIM", str(r)), ("YDIM", str(-r)))}}
    for report in ("FORMAT_CORRECTNESS", "GENERAL_QUALITY", "GEOMETRIC_QUALITY", "SENSOR_QUALITY"):
        safe.write_olqc_report(qi / f"{report}.xml", report, identity, identity.tile_long_id, extra)
    for report in ("FORMAT_CORRECTNESS", "GENERAL_QUALITY", "GEOMETRIC_QUALITY", "RADIOMETRIC_QUALITY",
                   "SENSOR_QUALITY"):
        safe.write_olqc_report(dsdir / "QI_DATA" / f"{report}.xml", report, identity, identity.datastrip_long_id)
    metadata.write_tile_metadata(gdir / "MTD_TL.xml", identity, grid, angles, cloud_pct)
    metadata.write_datastrip_metadata(dsdir / "MTD_DS.xml", identity, bands, u)
    metadata.write_product_metadata(work / "MTD_MSIL1C.xml", identity, grid, bands, u,
                                    metadata.ProductQuality(cloud_pct, snow_pct))
    footprint = grid.footprint_lonlat()
    safe.write_inspire(work / "INSPIRE.xml", identity, footprint)
    safe.write_html(work / "HTML", identity)
    safe.write_rep_info(work / "rep_info", identity)
    (work / "AUX_DATA").mkdir()
    safe.write_manifest(work, identity, footprint)
    work.rename(final)


def make_l1c(out_dir: str | Path, size_px: int = 600, seed: int = 0, spacecraft: str = "S2A",
             acquisition_date: date | str = date(2022, 10, 5), scene: str | SceneOptions = "mixed",
             tile_id: str = "29UNU", **options) -> Path:
    """Generate a synthetic L1C product in ``out_dir``; returns the path of the ``.SAFE`` folder.

    ``options`` are further :class:`GeneratorOptions` fields (``baseline``, ``offset_px``, ``nodata_fraction``,
    ``atmosphere``, ``sensing_time_utc``, ``write_truth``, ...). The truth file ``<product>_truth.h5`` is
    written beside the product.
    """
    if isinstance(acquisition_date, str):
        acquisition_date = date.fromisoformat(acquisition_date)
    scene_opts = SceneOptions.for_kind(scene) if isinstance(scene, str) else scene
    opts = GeneratorOptions(size_px=size_px, seed=seed, spacecraft=spacecraft, acquisition_date=acquisition_date,
                            scene=scene_opts, tile_id=tile_id, **options)
    return generate(Path(out_dir), opts)


def generate(out_dir: Path, opts: GeneratorOptions) -> Path:
    """Generate the product described by ``opts`` under ``out_dir`` (see :func:`make_l1c`)."""
    if opts.spacecraft not in SPACECRAFTS:
        raise ValueError(f"spacecraft {opts.spacecraft!r} unknown; expected one of {', '.join(SPACECRAFTS)}")
    if opts.size_px % 6 or not 60 <= opts.size_px <= 10980:
        raise ValueError(f"size {opts.size_px} px: expected a multiple of 6 between 60 and 10980 (10 m pixels)")
    grid = tile_grid(opts.tile_id, opts.size_px, opts.offset_px)
    e = grid.extent_m()
    (clon,), (clat,) = grid.to_lonlat(np.array([grid.ulx_m + e / 2]), np.array([grid.uly_m - e / 2]))
    sensing = _sensing_time(opts, float(clon), float(clat))
    absolute, relative = orbits(opts.spacecraft, sensing)
    generation = (sensing + timedelta(hours=1, minutes=47, seconds=13)).replace(microsecond=0)
    identity = ProductIdentity(opts.spacecraft, grid.tile_id, sensing, generation, opts.baseline, absolute, relative)
    bands = band_info(opts.spacecraft)
    view = _view_model(grid, opts)

    xs, ys = angle_grid_axes(grid.ulx_m, grid.uly_m, e)
    angles = angle_grids(xs, ys, sensing, grid.to_lonlat, view)
    gx, gy = np.meshgrid(xs, ys)
    view_grids = {b: view.view_angles(gx, gy, b) for b in BAND_IDS}
    n20 = opts.size_px // 2
    x20, y20 = grid.pixel_centres(20)
    node_pos = ((grid.uly_m - y20) / 5000.0, (x20 - grid.ulx_m) / 5000.0)
    mean_vz, mean_va = angles.mean_view.get("B8A", (5.0, 100.0))

    rng = np.random.default_rng(np.random.SeedSequence([opts.seed, 20]))
    nodata20 = view.detector(x20[None, :], y20[:, None]) == 0
    season = "summer" if (clat >= 0) == (4 <= opts.acquisition_date.month <= 9) else "winter"
    sc = synthesize_scene(n20, rng, opts.scene, angles.mean_sun[0], angles.mean_sun[1], mean_vz, mean_va,
                          nodata=nodata20, season=season)
    atmosphere = default_atmosphere({b: i.central_nm for b, i in bands.items()}, opts.spacecraft,
                                    source=opts.atmosphere, aerosol=opts.aerosol, ozone_cm_atm=opts.ozone_du / 1000.0,
                                    season=season, atm_dir=opts.atm_dir, tables=opts.tables, band_info=bands)
    wv_range = getattr(atmosphere, "water_vapour_range_cm", None)
    if wv_range is not None:   # the forward model clips to the tables: the truth records what was simulated
        sc.wv_sea_level_cm = np.clip(sc.wv_sea_level_cm, *wv_range).astype(np.float32)
    ctx = SimulationContext(opts, grid, identity, view, sc, atmosphere, n20, (angles.sun_zenith, angles.sun_azimuth),
                            view_grids, node_pos)

    return write_product(out_dir, ctx, angles, bands)


def write_product(out_dir: Path, ctx: SimulationContext, angles, bands) -> Path:
    """Write the product of ``ctx`` (and its truth file) under ``out_dir``; returns the .SAFE path."""
    opts, identity, sc, atmosphere = ctx.opts, ctx.identity, ctx.scene, ctx.atmosphere
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{identity.product_name}.SAFE"
    work = out_dir / f".{identity.product_name}.SAFE.part"
    for p in (final, work):
        if p.exists():
            shutil.rmtree(p)
    truth_path = out_dir / f"{identity.product_name}_truth.h5"
    truth = TruthWriter(truth_path.with_name(truth_path.name + ".part")) if opts.write_truth else None
    try:
        _write_product(ctx, work, final, truth, angles, bands)
    except BaseException:
        if truth is not None:
            truth.close()
            truth.path.unlink(missing_ok=True)
        shutil.rmtree(work, ignore_errors=True)
        raise
    if truth is not None:
        truth.write_scene(sc, class_map_of(ctx), opts, atmosphere.name, identity)
        truth.close()
        truth.path.replace(truth_path)
    log.info("wrote %s", final)
    return final


__all__ = ["GeneratorOptions", "make_l1c", "generate", "earth_sun_factor", "SPACECRAFTS"]
