"""AOT and water-vapour retrieval on a scene: the pure steps of ``aot``, ``scaling`` and ``wvp`` chained
with the tabulated atmospheric functions (``rtables``).  Used by ``driver`` at 20 m and 60 m.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from sen2cor.atmcorr import aot, scaling, visibility, wvp
from sen2cor.atmcorr.rtables import RtTable, lookup
from sen2cor.rtm.selection import aerosol_double_ratio
from sen2cor.atmcorr.surface import flat_reflectance
from sen2cor.sceneclass.thresholds import in_classes

log = logging.getLogger(__name__)


@dataclass
class AotRetrieval:
    """Visibility-index map and what the metadata reports about it."""

    vis_index: np.ndarray  # uint8 0..182, 0 outside the valid area
    method: str  # "SEN2COR_DDV" | "CAMS" | "DEFAULT"
    start_visibility_km: float
    final_visibility_km: float
    ddv_visibility_km: float | None = None
    ddv: aot.DdvSelection | None = None
    double_ratio: float | None = None
    blue_scaling: float = 1.0
    info: dict = field(default_factory=dict)


@dataclass(frozen=True)
class SceneRadiance:
    """Inputs of the retrievals at nadir geometry: radiance per band (mW cm-2 sr-1 um-1) and the scene."""

    radiance: dict[str, np.ndarray]
    toa: dict[str, np.ndarray]
    scl: np.ndarray
    valid: np.ndarray
    elevation_km: np.ndarray | float
    pixel_m: float
    water_vapour_cm: float  # LUT label used for the nadir table
    elevation_index: np.ndarray | None = None  # rtables.elevation_class of elevation_km (fast look-ups)
    hillshade: np.ndarray | None = None  # gdaldem hillshade (1 + 254 cos beta) with a DEM: the DBV incidence test

    @property
    def elevation(self):
        """What :func:`rtables.lookup` gets: the class index when known, else km."""
        return self.elevation_km if self.elevation_index is None else self.elevation_index


def _flat(sr: SceneRadiance, table: RtTable, band: str, vis_index, where=None) -> np.ndarray:
    z = sr.elevation if where is None or np.ndim(sr.elevation) == 0 else sr.elevation[where]
    radiance = sr.radiance[band] if where is None else sr.radiance[band][where]
    get = lambda name: lookup(table, name, band, z, vis_index, sr.water_vapour_cm)  # noqa: E731
    return flat_reflectance(radiance, get("lp"), get("e0t"), get("edift"), table.cos_sza)


def _mean_scalar(table: RtTable, name: str, band: str, z, vis_index: int, wv: float) -> float:
    return float(np.mean(lookup(table, name, band, float(np.mean(z)), vis_index, wv)))


def negative_check(sr: SceneRadiance, table: RtTable, start_km: float, settings, ddv_mask=None) -> float:
    """Visibility after the negative-reflectance checks (red, then B8A) and the green/red check."""
    z_mean = float(np.mean(sr.elevation_km))

    def too_dark(band: str, threshold: float):
        def test(v: float) -> bool:
            iv = int(visibility.visibility_to_index(v))
            rho = _flat(sr, table, band, iv)
            q = _mean_scalar(table, "q", band, z_mean, iv, sr.water_vapour_cm)
            return aot.negative_fraction(rho, sr.scl, q, threshold, sr.pixel_m) > aot.NEGATIVE_FRACTION_LIMIT

        return test

    v = aot.iterate_visibility(start_km, too_dark("B04", settings.cut_off_aot_iter_vegetation))
    if "B8A" in sr.radiance:
        v = aot.iterate_visibility(v, too_dark("B8A", settings.cut_off_aot_iter_water))
    if ddv_mask is not None and ddv_mask.any() and "B03" in sr.radiance:

        def green_too_low(vk: float) -> bool:
            iv = int(visibility.visibility_to_index(vk))
            green = _flat(sr, table, "B03", iv, ddv_mask).sum()
            red = _flat(sr, table, "B04", iv, ddv_mask).sum()
            return bool(green < aot.GREEN_RED_RATIO * red)

        v = aot.iterate_visibility(v, green_too_low, aot.MAX_GREEN_RED_ITERATIONS)
    return v


def _scaling(
    sr: SceneRadiance,
    table: RtTable,
    sel: aot.DdvSelection,
    rho_red_ref: np.ndarray,
    scene_index: int,
    settings,
) -> tuple[float | None, float]:
    """(aerosol double ratio, blue scaling factor) from the DDV pixels (facts B.8)."""
    if "B02" not in sr.radiance:
        return None, 1.0
    z = float(np.mean(sr.elevation_km))
    wv = sr.water_vapour_cm
    rho_red = float(rho_red_ref.mean())
    rho_blue = scaling.ddv_blue_reflectance(rho_red, settings.red_blue_refl_ratio)
    red_ddv = float(sr.toa["B04"][sel.mask].mean())
    clear = sr.valid & ~in_classes(sr.scl, aot.CLOUD_CLASSES) & (sr.toa["B04"] <= 5.0 * red_ddv)
    lp_scene, lp_lut = {}, {}
    for band, rho in (("B02", rho_blue), ("B04", rho_red)):
        get = lambda name: _mean_scalar(table, name, band, z, scene_index, wv)  # noqa: E731
        l_band = sr.radiance[band]
        l_ddv, l_clear = float(l_band[sel.mask].mean()), float(l_band[clear].mean())
        lp_scene[band] = scaling.scene_path_radiance(
            l_ddv, l_clear, get("q"), rho, get("e0t"), get("edift"), table.cos_sza
        )
        lp_lut[band] = get("lp")
    ratio = None
    if lp_scene["B02"] > 0 and lp_scene["B04"] > 0:
        ratio = aerosol_double_ratio(lp_scene["B02"], lp_scene["B04"], lp_lut["B02"], lp_lut["B04"])
    if not scaling.ddv_fraction_sufficient(
        int(sel.mask.sum()), int(sr.valid.sum()), settings.spr_refl_percentage, settings.spr_refl_promille
    ):
        return ratio, 1.0
    sc = scaling.blue_scaling_factor(
        lp_scene["B02"],
        lp_lut["B02"],
        disabler=settings.scaling_disabler,
        limiter=settings.scaling_limiter,
        min_sc_blu=settings.min_sc_blu,
        max_sc_blu=settings.max_sc_blu,
        aerosol_type_ratio_th=settings.aerosol_type_ratio_th,
    )
    return ratio, sc


#: DDV pixels inverted at once (bounds the (8, n) temporaries to ~100 MB).
DDV_CHUNK = 500_000


def _ddv_indices(
    sr: SceneRadiance,
    table: RtTable,
    mask,
    rho_ref: np.ndarray,
    l_clear: float,
    adjacency_weight: float = aot.DDV_ADJACENCY_WEIGHT,
) -> np.ndarray:
    """Fractional visibility index of every DDV pixel (``mask``, C order; facts B.7 step 5), in chunks."""
    lut_iv = visibility.visibility_to_index(visibility.grid.VISIBILITY_KM)
    out = np.empty(rho_ref.size, dtype=np.float64)
    l_red = sr.radiance["B04"][mask]
    z_ddv = sr.elevation if np.ndim(sr.elevation) == 0 else sr.elevation[mask]
    for start in range(0, rho_ref.size, DDV_CHUNK):
        z = z_ddv if np.ndim(z_ddv) == 0 else z_ddv[start : start + DDV_CHUNK]

        def get(name):
            rows = [
                np.asarray(lookup(table, name, "B04", z, int(k), sr.water_vapour_cm), dtype=np.float32)
                for k in lut_iv
            ]
            return np.stack([r.reshape(-1) if r.ndim else r.reshape(1) for r in rows])  # (8, n) or (8, 1)

        rho_by_vis = aot.ddv_red_reflectance(
            l_red[start : start + DDV_CHUNK],
            l_clear,
            get("lp"),
            get("e0t"),
            get("edift"),
            get("q"),
            table.cos_sza,
            adjacency_weight,
        )
        out[start : start + DDV_CHUNK] = aot.ddv_visibility_index(
            rho_by_vis, rho_ref[start : start + DDV_CHUNK]
        )
    return out


def retrieve_aot(
    sr: SceneRadiance,
    table: RtTable,
    settings,
    cams_aod550=None,
    cams_geopotential=None,
    detection_only: bool = False,
) -> AotRetrieval:
    """Visibility-index map (facts B.7).

    VIS_Update_Mode 1: DDV, else CAMS, else DBV then the negative-reflectance checks from the start
    visibility.  VIS_Update_Mode 0 (Sen2Cor's constant-visibility mode): the configured Visibility
    everywhere, no DDV search, no CAMS, no DBV, no checks; AOT_RETRIEVAL_METHOD "DEFAULT".
    """
    start = float(settings.visibility_km)
    shape = sr.scl.shape
    if settings.vis_update_mode == 0:
        index = int(visibility.visibility_to_index(start))
        vis_map = np.zeros(shape, np.uint8) if detection_only else np.where(sr.valid, index, 0).astype(np.uint8)
        log.info("AOT retrieval: VIS_Update_Mode 0, constant visibility %.1f km", start)
        return AotRetrieval(vis_map, "DEFAULT", start, start)
    iv23 = int(visibility.visibility_to_index(23.0))
    rho_swir = _flat(sr, table, "B12", iv23)
    rho_nir = _flat(sr, table, "B8A", iv23)
    # DDV candidates are SCL 4 (valid, neither shadow 3 nor cirrus 10): only the cloud proximity is excluded
    excluded = aot.cloud_proximity(sr.scl, sr.pixel_m)
    sel = aot.select_ddv(rho_swir, rho_nir, sr.toa["B04"], sr.toa["B8A"], sr.scl, excluded, settings.ddv)
    del rho_nir, excluded
    if sel.found:
        rho_ref = aot.red_reference(rho_swir[sel.mask], settings.ddv.swir_22um_red_refl_ratio)
        del rho_swir  # boolean-mask order = np.nonzero order; no (2, n) int64 index arrays
        clear = in_classes(sr.scl, (4, 5, 6))
        l_clear = float(sr.radiance["B04"][clear].mean())
        del clear
        index = _ddv_indices(sr, table, sel.mask, rho_ref, l_clear, settings.ddv_adjacency_weight)
        if np.isnan(index).all():
            index = np.full(index.shape, float(visibility.visibility_to_index(float(settings.visibility_km))))
        index = np.where(np.isnan(index), np.nanmean(index), index)
        mean_index = float(index.mean())
        v_ddv = visibility.scene_visibility_km(mean_index)
        ratio, sc = _scaling(sr, table, sel, rho_ref, int(round(mean_index)), settings)
        if detection_only:
            return AotRetrieval(np.zeros(shape, np.uint8), "SEN2COR_DDV", start, v_ddv, v_ddv, sel, ratio, sc)
        v_final = negative_check(sr, table, v_ddv, settings, sel.mask)
        new_index = float(visibility.visibility_to_index(v_final))
        if new_index < mean_index:
            index = aot.shift_indices(index, new_index)
            mean_index = float(index.mean())
        full = np.zeros(shape, np.float32)
        full[sel.mask] = index
        vis_map = visibility.visibility_index_map(
            full, sel.mask, sr.valid, mean_index, sr.pixel_m, settings.ddv_smoothing_window_km
        )
        result = AotRetrieval(vis_map, "SEN2COR_DDV", start, 0.0, v_ddv, sel, ratio, sc)
    elif detection_only:
        return AotRetrieval(np.zeros(shape, np.uint8), "DEFAULT", start, start, None, sel)
    elif cams_aod550 is not None:
        vis_coarse = aot.cams_visibility_km(cams_aod550, cams_geopotential)
        index_map = aot.coarse_to_pixels(visibility.visibility_to_index(vis_coarse).astype(np.float32), shape)
        mean_index = float(index_map[sr.valid].mean()) if sr.valid.any() else float(index_map.mean())
        v_final = negative_check(sr, table, visibility.scene_visibility_km(mean_index), settings)
        new_index = float(visibility.visibility_to_index(v_final))
        if new_index < mean_index:
            shift = mean_index - new_index
            index_map = np.where(index_map > new_index, np.maximum(index_map - shift, new_index), index_map)
        vis_map = np.clip(np.rint(index_map), 0, 182).astype(np.uint8)
        vis_map[~sr.valid] = 0
        result = AotRetrieval(vis_map, "CAMS", start, 0.0, None, sel)
    else:
        info: dict = {}
        v_dbv = dbv_visibility(sr, table, settings, info)
        v = v_dbv if v_dbv is not None and start < v_dbv <= aot.DBV_MAX_VISIBILITY_KM else start
        v_final = negative_check(sr, table, v, settings)
        vis_map = np.where(sr.valid, visibility.visibility_to_index(v_final), 0).astype(np.uint8)
        result = AotRetrieval(vis_map, "DEFAULT", start, 0.0, None, sel, info=info)
    land = sr.valid & in_classes(sr.scl, (4, 5))
    inside = land if land.any() else sr.valid
    mean_index = (
        float(result.vis_index[inside].mean())
        if inside.any()
        else float(visibility.visibility_to_index(start))
    )
    result.final_visibility_km = visibility.scene_visibility_km(mean_index)
    log.info(
        "AOT retrieval %s: start %.1f km, DDV %s km, final %.1f km (DDV %.2f %%)",
        result.method,
        start,
        result.ddv_visibility_km,
        result.final_visibility_km,
        sel.percent,
    )
    return result


def dbv_visibility(sr: SceneRadiance, table: RtTable, settings, info: dict | None = None) -> float | None:
    """Visibility (km) of the dense-bright-vegetation fall-back (facts B.7), None with fewer than 5 DBV pixels.

    The 10 darkest-red DBV pixels are given the surface red reflectance AC_Red_Ref_Refl_Th and inverted
    like DDV pixels (half-weight adjacency with the mean red radiance of :func:`aot.dbv_clear`); the
    caller accepts the result only if it is clearer than the start visibility and at most 80 km.
    """
    offset = None
    if sr.hillshade is not None:
        sza = np.degrees(np.arccos(table.cos_sza))

        def offset(flat_index: np.ndarray) -> np.ndarray:
            cos_beta = (np.asarray(sr.hillshade).ravel()[flat_index].astype(np.float64) - 1.0) / 254.0
            return np.abs(np.degrees(np.arccos(np.clip(cos_beta, -1.0, 1.0))) - sza)

    mask = aot.select_dbv(sr.toa["B04"], sr.toa["B8A"], sr.valid, settings.dbv, offset)
    n = int(mask.sum())
    if info is not None:
        info["DBV_PIXELS"] = n
    if n == 0:
        log.info("DBV fall-back: fewer than %d dense bright vegetation pixels", aot.DBV_MIN_PIXELS)
        return None
    l_clear = float(sr.radiance["B04"][aot.dbv_clear(sr.scl)].mean())
    rho_ref = np.full(n, settings.dbv.red_ref_refl, np.float64)
    index = _ddv_indices(sr, table, mask, rho_ref, l_clear, settings.ddv_adjacency_weight)
    if np.isnan(index).all():  # no pixel inverted: Sen2Cor falls back to the start visibility
        return None
    v = aot.dbv_visibility_km(np.where(np.isnan(index), np.nanmean(index), index))
    log.info("DBV fall-back: %d pixels, visibility %.1f km", n, v)
    if info is not None:
        info["DBV_VISIBILITY"] = v
    return v


def apda_curves(table: RtTable, vis_index: int, reference_albedo: float) -> wvp.ApdaCurves:
    """APDA LUT curves (B8A, B09) on the table's elevation nodes and water-vapour levels."""
    i_ref, i_abs = table.band("B8A"), table.band("B09")
    e = table.e0t * table.cos_sza + table.edift
    ratio = wvp.lut_ratio(
        e[i_ref, :, vis_index],
        table.s[i_ref, :, vis_index],
        e[i_abs, :, vis_index],
        table.s[i_abs, :, vis_index],
        reference_albedo,
    )
    return wvp.ApdaCurves(
        table.elevation_km,
        table.water_vapour_cm,
        table.lp[i_ref, :, vis_index],
        table.lp[i_abs, :, vis_index],
        ratio,
    )


def retrieve_wv(
    radiance_b8a: np.ndarray,
    radiance_b09: np.ndarray,
    scl: np.ndarray,
    elevation_km,
    table: RtTable,
    vis_index: int,
    start_cm: float,
    reference_albedo: float,
    wv_watermask: int,
    smooth_wv_map_m: float,
    pixel_m: float,
) -> tuple[np.ndarray, float]:
    """APDA water vapour: (LUT-label map in cm, filled and smoothed; land average label)."""
    curves = apda_curves(table, vis_index, reference_albedo)
    label = wvp.retrieve_water_vapour(radiance_b8a, radiance_b09, elevation_km, curves, start_cm)
    label, mean = wvp.fill_water_vapour(label, scl, wv_watermask, fallback_cm=start_cm)
    label = wvp.smooth_water_vapour(label, smooth_wv_map_m, pixel_m, scl > 0)
    return label, mean


def double_ratio_trial(sr: SceneRadiance, table: RtTable, settings) -> float | None:
    """Aerosol-type trial (AUTO): the double ratio of one LUT's DDV run, or None without DDV."""
    return retrieve_aot(sr, table, settings, detection_only=True).double_ratio
