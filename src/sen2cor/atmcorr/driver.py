"""Atmospheric correction of one resolution: arrays in, arrays out (manual §2.4.3-§2.4.5).

20 m (and native 60 m with --resolution 60): AOT (visibility) and water vapour are retrieved,
optional cirrus correction, then the surface reflectance of every band except B10.
10 m: the 20 m visibility-index map is up-sampled (nearest) and the scene-average water vapour
used (``prior=result_20m.for_10m()``); no DDV search, no cirrus correction.

The LUT is any :class:`sen2cor.atmcorr.rtables.AtmosphereTable` (``lut.load_lut(...)``); it is
evaluated per processing cell (``radiance.cells``) on the visibility-index grid.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sen2cor.atmcorr import adjacency, brdf, cirrus, grid, radiance, terrain, visibility, wvp
from sen2cor.atmcorr.retrieval import SceneRadiance, retrieve_aot, retrieve_wv
from sen2cor.atmcorr.rtables import (
    AtmosphereTable,
    elevation_class,
    elevation_nodes,
    lookup,
    tabulate,
    wv_class,
)
from sen2cor.atmcorr.scaling import band_scaling_factors
from sen2cor.atmcorr.settings import WAVELENGTH_UM, AcSettings
from sen2cor.atmcorr.surface import (
    ATM_REFERENCE_ALBEDO,
    pixel_irradiance,
    step1_reflectance,
    sun_transmittance,
    terrain_start_irradiance,
)

from sen2cor.atmcorr.step2 import (
    _count_classes,
    _flat_step1,
    _Step2,
    _terrain_maps,
)
from sen2cor.lazy import LazyMapping, read_through
from sen2cor.sceneclass.thresholds import in_classes

log = logging.getLogger(__name__)

#: Bands whose RT functions follow the per-pixel water vapour at 20/60 m (facts B.9).
WV_BANDS = ("B05", "B06", "B07", "B09", "B10", "B11", "B12")
#: Cloud fraction above which the adjacency step is skipped (2.10.2, facts B.10).
HIGH_CLOUD_FRACTION = 0.95
#: Rows per strip of the surface-reflectance step 2 (a 10 m strip: 1024 x 10980 x 4 B = 45 MB).
STRIP_ROWS = 1024

#: ``sink(name, array)``: receives each output of :func:`correct_resolution` as soon as it is final —
#: a band's surface reflectance ("B02", ...), then "AOT" (AOT550) and "WVP" (cm), float32, 0 outside
#: the valid area — so the caller can encode and store it while the driver drops its reference.
OutputSink = Callable[[str, np.ndarray], None]


@dataclass(frozen=True)
class SceneInputs:
    """One resolution of one tile, as the Tables layer stages it."""

    resolution_m: int
    toa: Mapping[str, np.ndarray]  # TOA reflectance (float32) per band; may load on access (StagedBands)
    scl: np.ndarray  # uint8 scene classification (0 = no data)
    e0_w_m2_um: Mapping[str, float]  # SOLAR_IRRADIANCE per band
    sza_deg: float  # tile-mean sun zenith / azimuth
    saa_deg: float
    vza_deg: float = 0.0  # tile-mean view zenith / azimuth
    vaa_deg: float = 0.0
    season: str = "summer"
    sza_map_deg: np.ndarray | None = None  # per-pixel sun zenith: an array or any object sliced [rows, cols]
    elevation_m: np.ndarray | None = None  # DEM; None = flat at Altitude
    slope_deg: np.ndarray | None = None
    aspect_deg: np.ndarray | None = None
    # gdaldem hillshade (uint8, 1 + 254 cos i for the tile-mean sun): Sen2Cor's source of cos(beta); used
    # where no aspect is staged (10 m, where Sen2Cor computes no aspect, facts A.1 / B.5)
    hillshade: np.ndarray | None = None
    cams_aod550: np.ndarray | None = None  # AUX_CAMSFO grids (coarse)
    cams_geopotential: np.ndarray | None = None


@dataclass(frozen=True)
class Prior:
    """What the 10 m correction reuses from 20 m."""

    vis_index: np.ndarray  # 20 m visibility-index map
    wv_label_mean_cm: float  # scene-average water vapour (LUT label)
    blue_scaling: float
    info: dict


@dataclass
class AcResult:
    """Outputs of one resolution (float32 maps; 0 outside the valid area).

    With an :data:`OutputSink` the bands, AOT550 and WVP went to the sink: ``surface_reflectance`` is
    then empty and ``aot550`` / ``wv_cm`` are None.
    """

    surface_reflectance: dict[str, np.ndarray]
    aot550: np.ndarray | None
    wv_cm: np.ndarray | None  # column above ground (WVP)
    vis_index: np.ndarray  # uint8
    wv_label_mean_cm: float
    blue_scaling: float
    ddv_mask: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def for_10m(self) -> Prior:
        return Prior(self.vis_index, self.wv_label_mean_cm, self.blue_scaling, dict(self.info))


class _Bands(LazyMapping):
    """The ``names`` present in ``toa``, read through on each access: nothing is loaded up front when
    ``toa`` loads on access (``stage.StagedBands``)."""

    def __init__(self, toa: Mapping[str, np.ndarray], names: tuple[str, ...]) -> None:
        super().__init__((b for b in names if b in toa), toa.__getitem__)


class LazyRadiance(LazyMapping):
    """band -> TOA radiance computed from the TOA reflectance on access (no stored copies)."""

    def __init__(self, toa: Mapping[str, np.ndarray], e0_w_m2_um: Mapping[str, float], sza_deg: float):
        super().__init__(toa, lambda band: radiance.toa_radiance(toa[band], e0_w_m2_um[band], sza_deg))


def reference_albedo(lut: AtmosphereTable) -> float:
    """Background albedo inside the LUT: 0.15 for Sen2Cor's .atm tables, 0 for 6S tables."""
    return ATM_REFERENCE_ALBEDO if getattr(lut, "kind", "atm") == "atm" else 0.0


def _elevation_km(scene: SceneInputs, settings: AcSettings):
    if scene.elevation_m is None:
        return float(settings.altitude_km)
    z = np.asarray(scene.elevation_m, dtype=np.float32) / np.float32(1000.0)
    return np.clip(z, 0.0, 3.5, out=z)


def _rugged(scene: SceneInputs, settings: AcSettings) -> bool:
    if scene.elevation_m is None or scene.slope_deg is None:
        return False
    if scene.aspect_deg is None and scene.hillshade is None:
        return False
    if not settings.dem_terrain_correction:
        return False
    flat = terrain.is_quasi_flat(
        scene.elevation_m,
        np.deg2rad(scene.slope_deg),
        settings.dem_p2p_val_m,
        settings.slope_th,
        settings.topo_corr_th,
    )
    return not flat


def _upsample(index_20m: np.ndarray, shape: tuple[int, int], factor: int) -> np.ndarray:
    """Nearest up-sampling by ``factor`` onto ``shape`` (cropped or zero-padded)."""
    out = np.zeros(shape, dtype=index_20m.dtype)
    rows = np.minimum(np.arange(shape[0]) // factor, index_20m.shape[0] - 1)
    cols = np.minimum(np.arange(shape[1]) // factor, index_20m.shape[1] - 1)
    for start in range(0, shape[0], 2048):
        out[start:start + 2048] = index_20m[rows[start:start + 2048]][:, cols]
    return out


def correct_resolution(
    scene: SceneInputs,
    lut: AtmosphereTable,
    settings: AcSettings = AcSettings(),
    prior: Prior | None = None,
    *,
    in_place: bool = False,
    strip_rows: int | None = None,
    sink: OutputSink | None = None,
) -> AcResult:
    """Surface reflectance, AOT550, water vapour and visibility index of one resolution.

    ``in_place=True`` writes each band's surface reflectance into its float32 TOA array of
    ``scene.toa`` (saves one full copy of all bands: ~1.3 GB for a 20 m tile).  Step 2 of the
    surface reflectance runs in row strips of ``strip_rows`` (default :data:`STRIP_ROWS`) with a halo
    of the neighbourhood radius; the result does not depend on the strip height.

    The bands are corrected one after the other (step 1 per cell, step 2, BRDF), each read from
    ``scene.toa`` once for it (and once before, for the finite-TOA check): with a ``scene.toa`` that
    loads on access (``stage.StagedBands``) and a ``sink`` that takes each output away, about one
    band is held at a time instead of all of them.
    """
    pixel = float(scene.resolution_m)
    scl = np.asarray(scene.scl)
    valid = scl > 0
    for band in scene.toa:                       # NaN / inf TOA (e.g. no data from the reader) -> no data
        valid &= np.isfinite(scene.toa[band])
    if not valid.all():
        scl = np.where(valid, scl, np.uint8(0)).astype(np.uint8, copy=False)
    z = _elevation_km(scene, settings)
    nodes = elevation_nodes(lut.elevation_km, z)
    zi = elevation_class(nodes, z)
    levels = np.asarray(lut.water_vapour_cm, dtype=np.float64)
    main_wv = grid.DEFAULT_WATER_VAPOUR_CM[scene.season] if levels.size > 1 else float(levels[0])
    r_ref = reference_albedo(lut) if settings.reference_albedo is None else settings.reference_albedo
    bands = tuple(b for b in scene.toa if b in lut.bands)
    e0 = np.array([scene.e0_w_m2_um[b] for b in bands])
    raa = radiance.relative_azimuth_deg(scene.saa_deg, scene.vaa_deg)
    info: dict = {}

    if prior is None:
        nadir = tabulate(lut, bands, scene.sza_deg, 0.0, 0.0, e0, nodes, levels)
        rad = LazyRadiance(_Bands(scene.toa, ("B02", "B03", "B04", "B8A", "B09", "B12")), scene.e0_w_m2_um,
                           scene.sza_deg)
        apda = settings.wv_correction == 1 and "B8A" in rad and "B09" in rad
        start = (
            settings.wv_iter_start_summer_cm if scene.season == "summer" else settings.wv_iter_start_winter_cm
        )
        aot_wv = _preliminary_wv(rad, scl, z, nadir, settings, start, r_ref) if apda else main_wv
        sr = SceneRadiance(
            rad, _Bands(scene.toa, ("B04", "B8A")), scl, valid, z, pixel, aot_wv or main_wv, zi
        )
        ret = retrieve_aot(sr, nadir, settings, scene.cams_aod550, scene.cams_geopotential)
        vis_map, blue_sc = ret.vis_index, ret.blue_scaling
        mean_index = int(visibility.visibility_to_index(ret.final_visibility_km))
        info.update(
            AOT_RETRIEVAL_METHOD=ret.method,
            START_VISIBILITY=ret.start_visibility_km,
            VISIBILITY_FROM_DDV=ret.ddv_visibility_km,
            FINAL_VISIBILITY=ret.final_visibility_km,
            DDV_PIXEL_PERCENTAGE=ret.ddv.percent if ret.ddv else 0.0,
            DDV_REFLECTANCE_RANGE=ret.ddv.swir_upper if ret.ddv else None,
            AEROSOL_DOUBLE_RATIO=ret.double_ratio,
        )
        ddv_mask = ret.ddv.mask if ret.ddv else None
        if apda:
            wv_label, wv_mean = retrieve_wv(
                rad["B8A"],
                rad["B09"],
                scl,
                z,
                nadir,
                mean_index,
                start,
                r_ref,
                settings.wv_watermask,
                settings.smooth_wv_map_m,
                pixel,
            )
            info["WV_RETRIEVAL_METHOD"] = "SEN2COR_APDA"
        else:
            wv_label, wv_mean = np.where(valid, np.float32(main_wv), np.float32(0.0)), main_wv
            info["WV_RETRIEVAL_METHOD"] = "DEFAULT"
        del rad, sr
    else:
        factor = max(int(round(20.0 / pixel)), 1)
        vis_map = _upsample(prior.vis_index, scl.shape, factor)
        vis_map[~valid] = 0
        land = valid & in_classes(scl, (4, 5))
        inside = land if land.any() else valid
        mean_index = int(round(float(vis_map[inside].mean()))) if inside.any() else 0
        wv_mean, blue_sc, ddv_mask = prior.wv_label_mean_cm, prior.blue_scaling, None
        wv_label = wv_mean
        info.update({k: v for k, v in prior.info.items()})
        info["FINAL_VISIBILITY"] = visibility.scene_visibility_km(mean_index)

    toa: Mapping[str, np.ndarray] = scene.toa
    if (
        prior is None
        and "B10" in toa
        and cirrus.cirrus_enabled(
            settings.cirrus_correction,
            scene.resolution_m,
            float(wvp.column_above_ground(wv_mean, np.mean(z))),
            settings.wv_threshold_cirrus_cm,
        )
    ):
        toa = _cirrus(toa, valid, info)
    inputs = SurfaceInputs(
        scene, lut, settings, bands, e0, raa, zi, nodes, levels, vis_map, mean_index, wv_label,
        float(wv_mean), blue_sc, r_ref, valid,
    )
    rho = _surface(inputs, toa, in_place=in_place, strip_rows=strip_rows, sink=sink)
    del inputs, toa
    strips = strip_rows or STRIP_ROWS
    # after the surface reflectance, AOT (larger temporaries) before WV: fewer maps alive at the peaks
    aot550 = visibility.aot550_map(vis_map, z, valid, pixel)
    info["GRANULE_MEAN_AOT"] = _positive_mean(aot550, strips)
    if sink is not None:
        sink("AOT", aot550)
        aot550 = None
    # strip by strip: the temporaries (float64 profile interpolation with a per-pixel elevation) stay small
    wv_cm = np.empty(scl.shape, np.float32)
    for a in range(0, scl.shape[0], strips):
        rows = slice(a, a + strips)
        label = np.float32(wv_label) if np.ndim(wv_label) == 0 else wv_label[rows]
        wv_cm[rows] = wvp.column_above_ground(np.where(valid[rows], label, np.float32(0.0)),
                                              z if np.ndim(z) == 0 else z[rows])
    del wv_label
    info["GRANULE_MEAN_WV"] = _positive_mean(wv_cm, strips)
    if sink is not None:
        sink("WVP", wv_cm)
        wv_cm = None
    info["BLUE_PATH_RADIANCE_RESCALING_FACTOR"] = blue_sc
    return AcResult(rho, aot550, wv_cm, vis_map, float(wv_mean), blue_sc, ddv_mask, info)


def _positive_mean(image: np.ndarray, strip_rows: int) -> float:
    """Mean of the pixels > 0 (0.0 if none), accumulated in float64 strip by strip (no masked copy)."""
    total, count = 0.0, 0
    for a in range(0, image.shape[0], strip_rows):
        part = image[a:a + strip_rows]
        positive = part > 0
        total += float(part.sum(where=positive, dtype=np.float64))
        count += int(np.count_nonzero(positive))
    return total / count if count else 0.0


def _preliminary_wv(rad, scl, z, nadir, settings: AcSettings, start_cm: float, r_ref: float) -> float:
    """Scene-mean water vapour (LUT label) from every 4th pixel at the start visibility.

    The DDV search evaluates B12 / B8A, which absorb a little water vapour, with this value
    instead of the LUT's main level (our choice; the order in Sen2Cor is a gap).
    """
    sub = (slice(None, None, 4), slice(None, None, 4))
    zs = z if np.ndim(z) == 0 else z[sub]
    iv = int(visibility.visibility_to_index(settings.visibility_km))
    _, mean = retrieve_wv(
        rad["B8A"][sub], rad["B09"][sub], scl[sub], zs, nadir, iv, start_cm, r_ref, 1, 0.0, 1.0
    )
    return float(mean)


def auto_aerosol(
    scene: SceneInputs, luts: Mapping[str, AtmosphereTable], settings: AcSettings = AcSettings()
) -> tuple[str, dict[str, float | None]]:
    """Aerosol_Type AUTO (manual §2.2.3.2.2): one DDV trial per LUT ("rural", "maritime"), then the type
    whose blue/red path-radiance double ratio is closest to 1 (rural without DDV pixels)."""
    from sen2cor.atmcorr.retrieval import double_ratio_trial
    from sen2cor.atmcorr.selection import choose_aerosol

    ratios: dict[str, float | None] = {}
    z = _elevation_km(scene, settings)
    valid = np.asarray(scene.scl) > 0
    for name, lut in luts.items():
        bands = tuple(b for b in ("B02", "B03", "B04", "B8A", "B12") if b in scene.toa and b in lut.bands)
        levels = np.asarray(lut.water_vapour_cm, dtype=np.float64)
        main_wv = grid.DEFAULT_WATER_VAPOUR_CM[scene.season] if levels.size > 1 else float(levels[0])
        e0 = np.array([scene.e0_w_m2_um[b] for b in bands])
        nadir = tabulate(
            lut, bands, scene.sza_deg, 0.0, 0.0, e0, elevation_nodes(lut.elevation_km, z), levels
        )
        rad = LazyRadiance(_Bands(scene.toa, bands), scene.e0_w_m2_um, scene.sza_deg)
        sr = SceneRadiance(
            rad,
            _Bands(scene.toa, ("B04", "B8A")),
            np.asarray(scene.scl),
            valid,
            z,
            float(scene.resolution_m),
            main_wv,
        )
        ratios[name] = double_ratio_trial(sr, nadir, settings)
    return choose_aerosol("AUTO", ratios), ratios


def _cirrus(toa: Mapping[str, np.ndarray], valid: np.ndarray, info: dict) -> Mapping[str, np.ndarray]:
    rho_cir = cirrus.cirrus_reflectance(toa["B10"])
    cir = cirrus.cirrus_pixels(rho_cir, valid)
    clear = valid & (rho_cir < cirrus.CLEAR_THRESHOLD)
    gamma = cirrus.estimate_gamma([toa[b] for b in ("B01", "B02", "B03") if b in toa], rho_cir, cir, clear)
    if gamma is None:
        log.info("cirrus correction skipped: too few cirrus / cirrus-free pixels")
        return toa
    info["CIRRUS_GAMMA"] = gamma
    return read_through(toa, lambda band, values: values if band == "B10" else
                        cirrus.correct_cirrus(values, rho_cir, gamma, WAVELENGTH_UM[band]))


@dataclass(frozen=True, eq=False)
class SurfaceInputs:
    """What the surface-reflectance retrieval of one resolution uses besides the TOA bands."""

    scene: SceneInputs
    lut: AtmosphereTable
    settings: AcSettings
    bands: tuple[str, ...]  # LUT bands of the scene, in scene order
    e0_w_m2_um: np.ndarray  # SOLAR_IRRADIANCE of ``bands``
    raa_deg: float
    elevation_class: np.ndarray | int  # rtables.elevation_class per pixel, or a 0-d 0
    nodes_km: np.ndarray  # LUT elevation nodes covering the scene
    wv_levels_cm: np.ndarray  # LUT water-vapour levels
    vis_index: np.ndarray  # uint8 visibility-index map
    mean_vis_index: int  # scene visibility index (WV-dependent bands at 20/60 m, step 2)
    wv_label_cm: np.ndarray | float  # per-pixel LUT water-vapour label (20/60 m) or the scene value
    wv_mean_cm: float
    blue_scaling: float
    reference_albedo: float
    valid: np.ndarray  # bool


def _cell_tables(p: SurfaceInputs, out_bands: list[str]) -> list[tuple[slice, slice, float, object, object]]:
    """(rows, cols, cell sun zenith, RT table, WV classes or None) of every processing cell."""
    scene = p.scene
    e0 = p.e0_w_m2_um[[p.bands.index(b) for b in out_bands]]
    per_pixel_wv = np.ndim(p.wv_label_cm) > 0
    cells = []
    for rows, cols in radiance.cells(scene.scl.shape):
        sza_c = scene.sza_deg if scene.sza_map_deg is None else float(np.mean(scene.sza_map_deg[rows, cols]))
        table = tabulate(
            p.lut, tuple(out_bands), sza_c, scene.vza_deg, p.raa_deg, e0, p.nodes_km, p.wv_levels_cm
        )
        wvc = wv_class(p.wv_label_cm[rows, cols]) if per_pixel_wv else None
        cells.append((rows, cols, sza_c, table, wvc))
    return cells


def _step1_band(p: SurfaceInputs, band: str, source: np.ndarray, target: np.ndarray, cells, scale: float,
                rugged: bool, cbeta, vsky) -> None:
    """Step-1 reflectance of one band, cell by cell, into ``target`` (may be ``source`` itself: each
    cell is read before it is overwritten); 0 on no data."""
    scene, settings, z = p.scene, p.settings, p.elevation_class
    for rows, cols, sza_c, table, wvc in cells:
        zc = z if np.ndim(z) == 0 else z[rows, cols]
        if wvc is not None and band in WV_BANDS:
            vis, wv = p.mean_vis_index, wvc
        else:
            vis, wv = p.vis_index[rows, cols], p.wv_mean_cm
        if not rugged:
            cell = _flat_step1(
                table, band, source[rows, cols], scene.e0_w_m2_um[band], scale, zc, vis, wv,
                settings.topo_corr_cutoff,
            )
        else:
            get = lambda name: lookup(table, name, band, zc, vis, wv)  # noqa: E731
            lrad = radiance.toa_radiance(source[rows, cols], scene.e0_w_m2_um[band], sza_c)
            lp, e0t, edift = get("lp") * scale, get("e0t"), get("edift")
            tsun = sun_transmittance(get("t_dir"), table.cos_sza)
            e_pix = pixel_irradiance(e0t, edift, cbeta[rows, cols], table.cos_sza, vsky[rows, cols], tsun)
            e_ter = terrain_start_irradiance(
                e0t, edift, table.cos_sza, vsky[rows, cols], settings.terrain_refl_start
            )
            cell = step1_reflectance(lrad, lp, e_pix, e_ter, settings.topo_corr_cutoff)
        cell[~p.valid[rows, cols]] = 0.0  # no data must not leak into neighbourhood means
        target[rows, cols] = cell
        table.cache.clear()  # this band's expanded fields: the next band needs its own


def _surface(
    p: SurfaceInputs,
    toa: Mapping[str, np.ndarray],
    *,
    in_place: bool = False,
    strip_rows: int | None = None,
    sink: OutputSink | None = None,
) -> dict[str, np.ndarray]:
    """Step 1 per cell, then step 2 (terrain, adjacency, spherical albedo) and BRDF (facts B.10-B.12),
    one band at a time; each band goes to ``sink`` when given, else into the returned dict.

    Step 2 runs in strips of ``strip_rows`` rows (default :data:`STRIP_ROWS`).
    """
    strip_rows = STRIP_ROWS if strip_rows is None else max(int(strip_rows), 1)
    scene, settings = p.scene, p.settings
    out_bands = [b for b in p.bands if b != "B10"]
    scale = band_scaling_factors({b: WAVELENGTH_UM[b] for b in out_bands}, p.blue_scaling)
    rugged = _rugged(scene, settings)
    log.info("surface reflectance: terrain correction %s", "on (rugged terrain)" if rugged else
             "off (no DEM, DEM_Terrain_Correction FALSE or quasi-flat terrain)")
    cbeta, vsky = _terrain_maps(scene, strip_rows) if rugged else (None, None)
    cells = _cell_tables(p, out_bands)

    def step1(band: str) -> np.ndarray:
        source = toa[band]
        writable = isinstance(source, np.ndarray) and source.dtype == np.float32 and source.flags.writeable
        if in_place and writable:
            target = source
        else:
            target = np.empty(scene.scl.shape, np.float32)
        _step1_band(p, band, source, target, cells, scale[band], rugged, cbeta, vsky)
        return target

    centre = tabulate(
        p.lut, tuple(out_bands), scene.sza_deg, scene.vza_deg, p.raa_deg,
        p.e0_w_m2_um[[p.bands.index(b) for b in out_bands]], p.nodes_km, p.wv_levels_cm,
    )
    n_cloud, n_clear = _count_classes(scene.scl, strip_rows)
    adjacency_on = settings.adj_km > 0 and n_cloud <= HIGH_CLOUD_FRACTION * max(n_cloud + n_clear, 1)
    n_adj = adjacency.adjacency_radius_px(settings.adj_km, float(scene.resolution_m)) if adjacency_on else 0
    early: dict[str, np.ndarray] = {}  # step-1 bands needed before any step 2 (the BRDF vegetation mask)
    veg = None
    if rugged and settings.brdf_correction > 10 and "B8A" in out_bands and "B04" in out_bands:
        early = {b: step1(b) for b in ("B8A", "B04")}
        veg = brdf.vegetation_mask(early["B8A"], early["B04"], settings.vegetation_index_th)
    step2 = _Step2(
        scene, settings, centre, p.elevation_class, p.mean_vis_index, p.wv_mean_cm, p.reference_albedo,
        p.valid, n_adj, rugged, cbeta, vsky, veg, strip_rows,
    )
    out = {}
    for b in out_bands:
        base = early.pop(b) if b in early else step1(b)
        step2.run(base, b)
        if sink is None:
            out[b] = base
        else:
            sink(b, base)
        del base
    return out
