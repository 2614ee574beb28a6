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
from collections.abc import Mapping
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
    in_classes,
)

log = logging.getLogger(__name__)

#: Bands whose RT functions follow the per-pixel water vapour at 20/60 m (facts B.9).
WV_BANDS = ("B05", "B06", "B07", "B09", "B10", "B11", "B12")
#: Cloud fraction above which the adjacency step is skipped (2.10.2, facts B.10).
HIGH_CLOUD_FRACTION = 0.95
#: Rows per strip of the surface-reflectance step 2 (a 10 m strip: 1024 x 10980 x 4 B = 45 MB).
STRIP_ROWS = 1024


@dataclass(frozen=True)
class SceneInputs:
    """One resolution of one tile, as the Tables layer stages it."""

    resolution_m: int
    toa: Mapping[str, np.ndarray]  # TOA reflectance (float32) per band
    scl: np.ndarray  # uint8 scene classification (0 = no data)
    e0_w_m2_um: Mapping[str, float]  # SOLAR_IRRADIANCE per band
    sza_deg: float  # tile-mean sun zenith / azimuth
    saa_deg: float
    vza_deg: float = 0.0  # tile-mean view zenith / azimuth
    vaa_deg: float = 0.0
    season: str = "summer"
    sza_map_deg: np.ndarray | None = None  # per-pixel sun zenith (radiance.angle_grid_to_pixels)
    elevation_m: np.ndarray | None = None  # DEM; None = flat at Altitude
    slope_deg: np.ndarray | None = None
    aspect_deg: np.ndarray | None = None
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
    """Outputs of one resolution (float32 maps; 0 outside the valid area)."""

    surface_reflectance: dict[str, np.ndarray]
    aot550: np.ndarray
    wv_cm: np.ndarray  # column above ground (WVP)
    vis_index: np.ndarray  # uint8
    wv_label_mean_cm: float
    blue_scaling: float
    ddv_mask: np.ndarray | None = None
    info: dict = field(default_factory=dict)

    def for_10m(self) -> Prior:
        return Prior(self.vis_index, self.wv_label_mean_cm, self.blue_scaling, dict(self.info))


class LazyRadiance(Mapping):
    """band -> TOA radiance computed from the TOA reflectance on access (no stored copies)."""

    def __init__(self, toa: Mapping[str, np.ndarray], e0_w_m2_um: Mapping[str, float], sza_deg: float):
        self._toa, self._e0, self._sza = toa, e0_w_m2_um, sza_deg

    def __getitem__(self, band: str) -> np.ndarray:
        return radiance.toa_radiance(self._toa[band], self._e0[band], self._sza)

    def __iter__(self):
        return iter(self._toa)

    def __len__(self) -> int:
        return len(self._toa)


def reference_albedo(lut: AtmosphereTable) -> float:
    """Background albedo inside the LUT: 0.15 for Sen2Cor's .atm tables, 0 for 6S tables."""
    return ATM_REFERENCE_ALBEDO if getattr(lut, "kind", "atm") == "atm" else 0.0


def _elevation_km(scene: SceneInputs, settings: AcSettings):
    if scene.elevation_m is None:
        return float(settings.altitude_km)
    return np.clip(np.asarray(scene.elevation_m, dtype=np.float32) / 1000.0, 0.0, 3.5)


def _rugged(scene: SceneInputs, settings: AcSettings) -> bool:
    if scene.elevation_m is None or scene.slope_deg is None or scene.aspect_deg is None:
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
) -> AcResult:
    """Surface reflectance, AOT550, water vapour and visibility index of one resolution.

    ``in_place=True`` writes each band's surface reflectance into its float32 TOA array of
    ``scene.toa`` (saves one full copy of all bands: ~1.3 GB for a 20 m tile).  Step 2 of the
    surface reflectance runs in row strips of ``strip_rows`` (default :data:`STRIP_ROWS`) with a halo
    of the neighbourhood radius; the result does not depend on the strip height.
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
        rad = LazyRadiance(
            {b: scene.toa[b] for b in ("B02", "B03", "B04", "B8A", "B09", "B12") if b in scene.toa},
            scene.e0_w_m2_um,
            scene.sza_deg,
        )
        apda = settings.wv_correction == 1 and "B8A" in rad and "B09" in rad
        start = (
            settings.wv_iter_start_summer_cm if scene.season == "summer" else settings.wv_iter_start_winter_cm
        )
        aot_wv = _preliminary_wv(rad, scl, z, nadir, settings, start, r_ref) if apda else main_wv
        sr = SceneRadiance(
            rad, {b: scene.toa[b] for b in ("B04", "B8A")}, scl, valid, z, pixel, aot_wv or main_wv, zi
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

    toa = dict(scene.toa)
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
    rho = _surface(
        scene,
        toa,
        lut,
        settings,
        bands,
        e0,
        raa,
        zi,
        nodes,
        levels,
        vis_map,
        mean_index,
        wv_label,
        wv_mean,
        blue_sc,
        r_ref,
        valid,
        in_place,
        strip_rows,
    )
    # after the surface reflectance, AOT (larger temporaries) before WV: fewer maps alive at the peaks
    aot550 = visibility.aot550_map(vis_map, z, valid, pixel)
    if np.ndim(wv_label) == 0 and np.ndim(z) == 0:  # 10 m, flat: one value, no full-size temporaries
        wv_cm = np.zeros(scl.shape, np.float32)
        wv_cm[valid] = wvp.column_above_ground(np.float32(wv_label), z)
    else:
        wv_cm = wvp.column_above_ground(
            np.where(valid, np.float32(wv_label) if np.ndim(wv_label) == 0 else wv_label, np.float32(0.0)), z
        )
    del wv_label
    info.update(
        GRANULE_MEAN_AOT=_positive_mean(aot550, strip_rows or STRIP_ROWS),
        GRANULE_MEAN_WV=_positive_mean(wv_cm, strip_rows or STRIP_ROWS),
        BLUE_PATH_RADIANCE_RESCALING_FACTOR=blue_sc,
    )
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
        rad = {b: radiance.toa_radiance(scene.toa[b], scene.e0_w_m2_um[b], scene.sza_deg) for b in bands}
        sr = SceneRadiance(
            rad,
            {b: scene.toa[b] for b in ("B04", "B8A")},
            np.asarray(scene.scl),
            valid,
            z,
            float(scene.resolution_m),
            main_wv,
        )
        ratios[name] = double_ratio_trial(sr, nadir, settings)
    return choose_aerosol("AUTO", ratios), ratios


def _cirrus(toa: dict, valid: np.ndarray, info: dict) -> dict:
    rho_cir = cirrus.cirrus_reflectance(toa["B10"])
    cir = cirrus.cirrus_pixels(rho_cir, valid)
    clear = valid & (rho_cir < cirrus.CLEAR_THRESHOLD)
    gamma = cirrus.estimate_gamma([toa[b] for b in ("B01", "B02", "B03") if b in toa], rho_cir, cir, clear)
    if gamma is None:
        log.info("cirrus correction skipped: too few cirrus / cirrus-free pixels")
        return toa
    info["CIRRUS_GAMMA"] = gamma
    return {
        b: (cirrus.correct_cirrus(v, rho_cir, gamma, WAVELENGTH_UM[b]) if b != "B10" else v)
        for b, v in toa.items()
    }


def _surface(
    scene,
    toa,
    lut,
    settings,
    bands,
    e0,
    raa,
    z,
    nodes,
    levels,
    vis_map,
    mean_index,
    wv_label,
    wv_mean,
    blue_sc,
    r_ref,
    valid,
    in_place=False,
    strip_rows=None,
) -> dict[str, np.ndarray]:
    """Step 1 per cell, then step 2 (terrain, adjacency, spherical albedo) and BRDF (facts B.10-B.12).

    ``z`` is the elevation-class index (``rtables.elevation_class``) of every pixel, or a 0-d 0.
    Step 2 runs in strips of ``strip_rows`` rows (default :data:`STRIP_ROWS`).
    """
    strip_rows = STRIP_ROWS if strip_rows is None else max(int(strip_rows), 1)
    pixel = float(scene.resolution_m)
    out_bands = [b for b in bands if b != "B10"]
    per_pixel_wv = np.ndim(wv_label) > 0
    scale = band_scaling_factors({b: WAVELENGTH_UM[b] for b in out_bands}, blue_sc)
    rugged = _rugged(scene, settings)
    cbeta, vsky = _terrain_maps(scene, strip_rows) if rugged else (None, None)

    def target(b):
        a = toa[b]
        if in_place and isinstance(a, np.ndarray) and a.dtype == np.float32 and a.flags.writeable:
            return a  # each cell is read before it is overwritten
        return np.zeros(scene.scl.shape, np.float32)

    rho1 = {b: target(b) for b in out_bands}
    for rows, cols in radiance.cells(scene.scl.shape):
        sza_c = (
            float(np.mean(scene.sza_map_deg[rows, cols])) if scene.sza_map_deg is not None else scene.sza_deg
        )
        table = tabulate(
            lut,
            tuple(out_bands),
            sza_c,
            scene.vza_deg,
            raa,
            e0[[bands.index(b) for b in out_bands]],
            nodes,
            levels,
        )
        zc = z if np.ndim(z) == 0 else z[rows, cols]
        wvc = wv_class(wv_label[rows, cols]) if per_pixel_wv else None
        visc = vis_map[rows, cols]
        for b in out_bands:
            if per_pixel_wv and b in WV_BANDS:
                vis, wv = mean_index, wvc
            else:
                vis, wv = visc, wv_mean
            if not rugged:
                rho1[b][rows, cols] = _flat_step1(
                    table,
                    b,
                    toa[b][rows, cols],
                    scene.e0_w_m2_um[b],
                    scale[b],
                    zc,
                    vis,
                    wv,
                    settings.topo_corr_cutoff,
                )
                continue
            get = lambda name: lookup(table, name, b, zc, vis, wv)  # noqa: E731
            lrad = radiance.toa_radiance(toa[b][rows, cols], scene.e0_w_m2_um[b], sza_c)
            lp, e0t, edift = get("lp") * scale[b], get("e0t"), get("edift")
            tsun = sun_transmittance(get("t_dir"), table.cos_sza)
            e_pix = pixel_irradiance(e0t, edift, cbeta[rows, cols], table.cos_sza, vsky[rows, cols], tsun)
            e_ter = terrain_start_irradiance(
                e0t, edift, table.cos_sza, vsky[rows, cols], settings.terrain_refl_start
            )
            rho1[b][rows, cols] = step1_reflectance(lrad, lp, e_pix, e_ter, settings.topo_corr_cutoff)
    invalid = ~valid
    for b in out_bands:                         # no data must not leak into neighbourhood means
        rho1[b][invalid] = 0.0
    del invalid
    centre = tabulate(
        lut,
        tuple(out_bands),
        scene.sza_deg,
        scene.vza_deg,
        raa,
        e0[[bands.index(b) for b in out_bands]],
        nodes,
        levels,
    )
    n_cloud, n_clear = _count_classes(scene.scl, strip_rows)
    adjacency_on = settings.adj_km > 0 and n_cloud <= HIGH_CLOUD_FRACTION * max(n_cloud + n_clear, 1)
    n_adj = adjacency.adjacency_radius_px(settings.adj_km, pixel) if adjacency_on else 0
    veg = None
    if rugged and settings.brdf_correction > 10 and "B8A" in rho1 and "B04" in rho1:
        veg = brdf.vegetation_mask(rho1["B8A"], rho1["B04"], settings.vegetation_index_th)
    step2 = _Step2(
        scene, settings, centre, z, mean_index, wv_mean, r_ref, valid, n_adj, rugged, cbeta, vsky, veg,
        strip_rows,
    )
    out = {}
    for b in out_bands:
        base = rho1.pop(b)
        step2.run(base, b)
        out[b] = base
    return out
