"""Atmospheric correction of one resolution: arrays in, arrays out (manual §2.4.3-§2.4.5).

20 m (and native 60 m with --resolution 60): AOT (visibility) and water vapour are retrieved,
optional cirrus correction, then the surface reflectance of every band except B10.
10 m: the 20 m visibility-index map is up-sampled (nearest) and the scene-average water vapour
used (``prior=result_20m.for_10m()``); no DDV search, no cirrus correction.

The LUT is any :class:`sen2cor.atmcorr.rtables.AtmosphereTable` (``rtm.sources.load_lut(...)``); it is
evaluated per processing cell (``radiance.cells``) on the visibility-index grid.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from sen2cor.atmcorr import cirrus, radiance, visibility, wvp
from sen2cor.rtm import grid
from sen2cor.atmcorr.retrieval import SceneRadiance, retrieve_aot, retrieve_wv
from sen2cor.atmcorr.rtables import (
    AtmosphereTable,
    elevation_class,
    elevation_nodes,
    tabulate,
)
from sen2cor.atmcorr.settings import AcSettings

from sen2cor.atmcorr.inputs import (
    AcResult,
    OutputSink,
    Prior,
    SceneInputs,
    elevation_km,
    reference_albedo,
    rugged_terrain,
)
from sen2cor.atmcorr.reflectance import STRIP_ROWS, SurfaceInputs, surface_reflectance
from sen2cor.tables.lazy import LazyMapping, read_through
from sen2cor.sceneclass.thresholds import in_classes

log = logging.getLogger(__name__)


class _Bands(LazyMapping):
    """The ``names`` present in ``toa``, read through on each access: nothing is loaded up front when
    ``toa`` loads on access (``stage.StagedBands``)."""

    def __init__(self, toa: Mapping[str, np.ndarray], names: tuple[str, ...]) -> None:
        super().__init__((b for b in names if b in toa), toa.__getitem__)


class LazyRadiance(LazyMapping):
    """band -> TOA radiance computed from the TOA reflectance on access (no stored copies)."""

    def __init__(self, toa: Mapping[str, np.ndarray], e0_w_m2_um: Mapping[str, float], sza_deg: float):
        super().__init__(toa, lambda band: radiance.toa_radiance(toa[band], e0_w_m2_um[band], sza_deg))


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
    valid = _valid_area(scl)
    for band in scene.toa:                       # NaN / inf TOA (e.g. no data from the reader) -> no data
        valid &= np.isfinite(scene.toa[band])
    scl = _no_data_outside(scl, valid)
    z = _elevation_km(scene, settings)
    nodes = elevation_nodes(lut.elevation_km, z)
    zi = _in_strips(lambda rows: elevation_class(nodes, z if np.ndim(z) == 0 else z[rows]), np.shape(z), np.int16)
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
            rad, _Bands(scene.toa, ("B04", "B8A")), scl, valid, z, pixel, aot_wv or main_wv, zi,
            hillshade=scene.hillshade if rugged_terrain(scene, settings) else None,
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
        toa = _cirrus(toa, valid, info, settings.wavelength_um)
    inputs = SurfaceInputs(
        scene, lut, settings, bands, e0, raa, zi, nodes, levels, vis_map, mean_index, wv_label,
        float(wv_mean), blue_sc, r_ref, valid,
    )
    z = z if np.ndim(z) == 0 else None   # not needed by the surface reflectance: made per strip after it
    rho = surface_reflectance(inputs, toa, in_place=in_place, strip_rows=strip_rows, sink=sink)
    del inputs, toa, zi
    z = _ElevationKm(scene, settings) if z is None else z
    strips = strip_rows or STRIP_ROWS
    # after the surface reflectance, AOT (larger temporaries) before WV: fewer maps alive at the peaks
    aot550 = visibility.aot550_map(vis_map, z, valid, pixel)
    info["GRANULE_MEAN_AOT"] = _positive_mean(aot550, strips)
    if sink is not None:
        sink("AOT", aot550)
        aot550 = None
    # strip by strip: the temporaries (float64 profile interpolation with a per-pixel elevation) stay small
    def wv_strip(rows: slice) -> np.ndarray:
        label = np.float32(wv_label) if np.ndim(wv_label) == 0 else wv_label[rows]
        return wvp.column_above_ground(np.where(valid[rows], label, np.float32(0.0)),
                                       z if np.ndim(z) == 0 else z[rows])

    # float64 temporaries of 128 rows (10 m: 11 MB each)
    wv_cm = _in_strips(wv_strip, scl.shape, np.float32, strip_rows=max(strips // 8, 1))
    wv_label = None   # the 10 m label map (the closure above shares the name)
    info["GRANULE_MEAN_WV"] = _positive_mean(wv_cm, strips)
    if sink is not None:
        sink("WVP", wv_cm)
        wv_cm = None
    info["BLUE_PATH_RADIANCE_RESCALING_FACTOR"] = blue_sc
    return AcResult(rho, aot550, wv_cm, vis_map, float(wv_mean), blue_sc, ddv_mask, info)


def _in_strips(fn, shape: tuple[int, ...], dtype, strip_rows: int = STRIP_ROWS):
    """``fn(rows)`` for row strips filled into one array (``fn(slice(None))`` for a 0-d ``shape``): the
    float temporaries of an elementwise computation stay of strip size."""
    if len(shape) == 0:
        return fn(slice(None))
    out = np.empty(shape, dtype)
    for a in range(0, shape[0], strip_rows):
        out[a:a + strip_rows] = fn(slice(a, a + strip_rows))
    return out


class _ElevationKm:
    """:func:`elevation_km` of the rows asked for (``z[rows]``): the AOT and WV maps read the elevation
    strip by strip, so the full float32 map is not made again after the surface reflectance."""

    ndim = 2

    def __init__(self, scene: SceneInputs, settings: AcSettings) -> None:
        self._scene, self._settings = scene, settings
        self.shape = tuple(np.shape(scene.elevation_m))

    def __getitem__(self, rows) -> np.ndarray:
        return elevation_km(replace(self._scene, elevation_m=self._scene.elevation_m[rows]), self._settings)


def _elevation_km(scene: SceneInputs, settings: AcSettings):
    """:func:`elevation_km` computed strip by strip (the DEM may be int16 metres or read per slice)."""
    if scene.elevation_m is None:
        return elevation_km(scene, settings)
    per_rows = _ElevationKm(scene, settings)
    return _in_strips(per_rows.__getitem__, per_rows.shape, np.float32)


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
    from sen2cor.rtm.selection import choose_aerosol

    ratios: dict[str, float | None] = {}
    z = elevation_km(scene, settings)
    scl = np.asarray(scene.scl)
    valid = _valid_area(scl)
    scl = _no_data_outside(scl, valid)
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
            scl,
            valid,
            z,
            float(scene.resolution_m),
            main_wv,
        )
        ratios[name] = double_ratio_trial(sr, nadir, settings)
    return choose_aerosol("AUTO", ratios), ratios


def _valid_area(scl: np.ndarray) -> np.ndarray:
    """Pixels the correction works on: Sen2Cor's AC treats SCL 0 (no data) and 1 (saturated / defective) as
    background (``getNodataMap``, SCL <= 1 -> 0; facts A.6)."""
    return scl > 1


def _no_data_outside(scl: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """The SCL as the correction sees it: 0 outside ``valid`` (copied only when some pixel is outside)."""
    return scl if valid.all() else np.where(valid, scl, np.uint8(0)).astype(np.uint8, copy=False)


def _cirrus(toa: Mapping[str, np.ndarray], valid: np.ndarray, info: dict,
            wavelength_um: Mapping[str, float]) -> Mapping[str, np.ndarray]:
    rho_cir = cirrus.cirrus_reflectance(toa["B10"])
    cir = cirrus.cirrus_pixels(rho_cir, valid)
    clear = cirrus.clear_pixels(rho_cir, valid)
    gamma = cirrus.estimate_gamma([toa[b] for b in ("B01", "B02", "B03") if b in toa], rho_cir, cir, clear)
    if gamma is None:
        log.info("cirrus correction skipped: too few cirrus / cirrus-free pixels")
        return toa
    info["CIRRUS_GAMMA"] = gamma
    return read_through(toa, lambda band, values: values if band == "B10" else
                        cirrus.correct_cirrus(values, rho_cir, gamma, wavelength_um[band]))
