"""Classic (Sen2Cor 2.9, ``--sc_classic``) scene classification and the stages the evolution algorithm
(:mod:`sen2cor.sceneclass.evolution`) shares with it; the classic steps follow algorithm facts A.3 in order.
Per-pixel steps run over row strips (with a halo where a step looks at neighbours) so that a full 5490 x 5490
tile needs a few hundred MB beside its input bands.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Iterator, Mapping

import numpy as np
from scipy import ndimage

from sen2cor.errors import MissingBandError
from sen2cor.sceneclass import cirrus, cloud, recovery, shadow, snow, topography, vegetation, water
from sen2cor.sceneclass.grids import probability_percent
from sen2cor.sceneclass.masks import nodata_from_reflectance, saturated_defective
from sen2cor.sceneclass.percentages import class_percentages
from sen2cor.sceneclass.ramps import scale_inside_ramp
from sen2cor.sceneclass.thresholds import in_classes, NOT_CLASSIFIED, SCL, CloudThresholds

log = logging.getLogger(__name__)

#: Bands the classic tests read (TOA reflectance on the SC grid).
CLASSIC_BANDS = ("B02", "B03", "B04", "B05", "B8A", "B09", "B10", "B11", "B12")
#: Rows per strip of the per-pixel stages.
STRIP_ROWS = 256
#: Integer inputs are reflectance times this (Sen2Cor's internal uint16 encoding).
INTEGER_REFLECTANCE_SCALE = 10000.0


@dataclasses.dataclass(frozen=True, kw_only=True)
class SceneAux:
    """Geometry and auxiliary layers on the SC grid (keywords only; all optional layers may be None).

    The sun angles are required: they place the cloud shadows and the terrain shading, and no default position
    would be Sen2Cor's (a tile run passes the tile's mean angles from the L1C metadata).

    Attributes
    ----------
    resolution_m : float
        Pixel size of the SC grid (m): 20 (default; Sen2Cor classifies at 20 m) or 60 (``--resolution 60``).
    sun_zenith_deg, sun_azimuth_deg : float
        Tile-mean solar angles (degrees; azimuth clockwise from north). Required.
    nodata : bool ndarray
        No-data pixels (any band DN 0). Default: any band reflectance exactly 0 or not finite.
    saturated : bool ndarray
        Pixels with a saturated DN in any band.
    quality_masks : mapping band -> bool ndarray
        L1C MSK_QUALIT defective/saturated layers, used with ``handle_l1c_qlt_mask``.
    degraded_bands : tuple of str
        Bands GENERAL_QUALITY.xml reports degraded (None = all bands in ``quality_masks``).
    dem_m : ndarray
        Terrain height (m). ``sdw`` and ``slope_deg`` are derived from it when not given.
    sdw : uint8 ndarray
        Hillshade on gdaldem's scale, ``1 + 254 max(cos i, 0)`` (1 = self-shadow, 0 = no data), as
        :func:`sen2cor.dem.terrain.hillshade` and ``gdaldem hillshade`` produce it (Sen2Cor's SDW).
    slope_deg : ndarray
        Terrain slope, degrees.
    water_bodies, land_cover, snow_condition : ndarray
        ESA-CCI WB (2 = water), LCCS land cover and snow condition (254 water, 255 no data).
    snow_climatology_percent : ndarray
        ESA-CCI derived monthly snow occurrence (evolution).
    could_have_snow : bool
        Result of the global snow-map test; False skips the snow branch.
    """

    resolution_m: float = 20.0
    sun_zenith_deg: float
    sun_azimuth_deg: float
    nodata: np.ndarray | None = None
    saturated: np.ndarray | None = None
    quality_masks: Mapping[str, np.ndarray] | None = None
    degraded_bands: tuple[str, ...] | None = None
    handle_l1c_qlt_mask: bool = False
    dem_m: np.ndarray | None = None
    sdw: np.ndarray | None = None
    slope_deg: np.ndarray | None = None
    water_bodies: np.ndarray | None = None
    land_cover: np.ndarray | None = None
    snow_condition: np.ndarray | None = None
    snow_climatology_percent: np.ndarray | None = None
    could_have_snow: bool = True


@dataclasses.dataclass
class SceneClassification:
    """Result of :func:`classify`: SCL (uint8), probabilities (float32, 0-1) and the no-data mask."""

    scl: np.ndarray
    cloud_probability: np.ndarray
    snow_probability: np.ndarray
    nodata: np.ndarray
    algorithm: str
    step_counts: dict[str, int] = dataclasses.field(default_factory=dict)

    def msk_cldprb(self) -> np.ndarray:
        """MSK_CLDPRB: cloud probability in percent (uint8, 0 on no-data)."""
        return probability_percent(self.cloud_probability, self.nodata)

    def msk_snwprb(self) -> np.ndarray:
        """MSK_SNWPRB: snow probability in percent (uint8, 0 on no-data)."""
        return probability_percent(self.snow_probability, self.nodata)

    def percentages(self, **kwargs) -> dict[str, float]:
        """Quality-indicator percentages (see :func:`sen2cor.sceneclass.percentages.class_percentages`)."""
        return class_percentages(self.scl, **kwargs)


class Bands:
    """Read-only view of the TOA inputs returning float32 reflectance for a row range."""

    def __init__(self, toa: Mapping[str, np.ndarray], required: tuple[str, ...]):
        missing = [b for b in required if b not in toa]
        if missing:
            raise MissingBandError(f"scene classification needs TOA bands {', '.join(missing)}; "
                                   f"got {', '.join(sorted(toa))}")
        self.toa = toa
        self.shape = toa[required[0]].shape

    def __contains__(self, band: str) -> bool:
        return band in self.toa

    def get(self, band: str, rows: slice = slice(None)) -> np.ndarray:
        values = self.toa[band][rows]
        if np.issubdtype(values.dtype, np.integer):
            return values.astype(np.float32) / np.float32(INTEGER_REFLECTANCE_SCALE)
        return values.astype(np.float32, copy=False)

    def block(self, bands: tuple[str, ...], rows: slice) -> dict[str, np.ndarray]:
        return {b: self.get(b, rows) for b in bands}


def strips(n_rows: int, halo: int = 0, rows: int | None = None) -> Iterator[tuple[slice, slice, slice]]:
    """Yield ``(read, core_in_block, core)`` row slices covering ``n_rows`` with a ``halo``; ``rows`` per strip
    (default :data:`STRIP_ROWS`, read at each call)."""
    rows = rows or STRIP_ROWS
    for r0 in range(0, n_rows, rows):
        r1 = min(r0 + rows, n_rows)
        lo, hi = max(r0 - halo, 0), min(r1 + halo, n_rows)
        yield slice(lo, hi), slice(r0 - lo, r0 - lo + (r1 - r0)), slice(r0, r1)


@dataclasses.dataclass(frozen=True)
class SnowToCloud:
    """Evolution: snow-mask pixels where snow is ruled out (climatology) become clouds.

    Attributes
    ----------
    cloud_probability : float
        P given to the rejected pixels that end as MEDIUM_PROBA_CLOUDS (after the cirrus tests).
    cirrus_b02_max : float or None
        B02 limit of the thin-cirrus test on rejected pixels (None: no limit; classic 0.5).

    Both come from :class:`sen2cor.sceneclass.evolution.EvolutionOptions` (no defaults here).
    """

    cloud_probability: float
    cirrus_b02_max: float | None


def spectral_tests(b: dict[str, np.ndarray], nodata: np.ndarray, th: CloudThresholds, could_have_snow: bool,
                   snow_excluded: np.ndarray | None = None, cci_snow_water: np.ndarray | None = None,
                   dem_m: np.ndarray | None = None, snow_ruled_out: np.ndarray | None = None,
                   snow_to_cloud: SnowToCloud | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 0-7 on one block: returns ``(class map, cloud probability, snow probability)``.

    The class map holds SCL codes and NOT_CLASSIFIED (100) for pixels no test claimed. ``snow_excluded``
    zeroes S before the snow mask (classic CCI water rule). With ``snow_to_cloud`` (evolution), snow-mask
    pixels inside ``snow_ruled_out`` become MEDIUM_PROBA_CLOUDS (S = 0, no snow ring), may still be taken
    by the thin-cirrus test, and end with ``P = snow_to_cloud.cloud_probability``.
    """
    b02, b03, b04, b05, b8a, b11, b12 = (b[k] for k in ("B02", "B03", "B04", "B05", "B8A", "B11", "B12"))
    cm = np.full(nodata.shape, NOT_CLASSIFIED, np.uint8)
    cm[nodata] = SCL.NO_DATA
    # step 1a: red brightness, dark features
    p = cloud.red_brightness(b04, th)
    dark = cloud.dark_features(b04, b8a) & (cm == NOT_CLASSIFIED)
    cm[dark] = SCL.DARK_FEATURES
    p[dark] = 0
    # step 1b: NDSI cloud ramp (also resets dark features with a zero ramp, facts D)
    nd = cloud.ndsi(b03, b11)
    rn = cloud.ndsi_cloud_membership(nd, th)
    cm[(rn == 0) & ~nodata] = NOT_CLASSIFIED
    p *= rn
    # step 2: snow
    s = np.zeros(nodata.shape, np.float32)
    rejected = None
    if could_have_snow:
        s = snow.snow_probability(nd, p, b02, b04, b05, b8a, th, excluded=snow_excluded)
        s[nodata] = 0
        is_snow = snow.snow_mask(s, th) & ~nodata
        if snow_to_cloud is not None and snow_ruled_out is not None:
            rejected = is_snow & snow_ruled_out
            is_snow &= ~rejected
            cm[rejected] = SCL.MEDIUM_PROBA_CLOUDS
            p[rejected] = 0                      # until the cirrus tests (thin cirrus needs P < T_CLOUD_MP)
            s[snow_ruled_out] = 0
        cm[is_snow] = SCL.SNOW_ICE
        p[snow.ring_cloud_reset(snow.snow_ring(is_snow), b12, th) | is_snow] = 0
        if cci_snow_water is not None:
            cm[is_snow & cci_snow_water] = SCL.MEDIUM_PROBA_CLOUDS
    # step 3: NDVI
    rv = vegetation.ndvi_membership(vegetation.ndvi(b8a, b04), th)
    veg = vegetation.vegetation(rv, b02) & (cm == NOT_CLASSIFIED)
    cm[veg] = SCL.VEGETATION
    p = scale_inside_ramp(p, rv, decreasing=True)      # inside the ramp (0 < rV < 1): never a VEGETATION pixel
    # step 5.1: soil
    soil, ambiguous, factor = cloud.soil_b02_b11(b02, b11, th)
    _claim(cm, p, soil, SCL.NOT_VEGETATED)
    sel = ambiguous & (cm == NOT_CLASSIFIED)
    p[sel] *= factor[sel]
    # step 5.2: water
    is_water, ambiguous, factor = water.water_b02_b11(b02, b04, b8a, b11, b12, th)
    _claim(cm, p, is_water, SCL.WATER)
    p[ambiguous] *= factor[ambiguous]
    _claim(cm, p, water.water_blue_red(b02, b04, b8a), SCL.WATER)
    # step 6: rocks and sand
    rocks, ambiguous, factor = cloud.rocks_b8a_b11(b02, b8a, b11, th)
    _claim(cm, p, rocks, SCL.NOT_VEGETATED)
    sel = ambiguous & (cm == NOT_CLASSIFIED)
    p[sel] *= factor[sel]
    # step 6bis: B04/B11
    rr = cloud.ratio_b04_b11_membership(b04, b11)
    p[(rr >= 1) & (cm == NOT_CLASSIFIED)] = 0
    p = scale_inside_ramp(p, rr, decreasing=True)
    # step 7: cloud classes, thin and thick cirrus
    free = cm == NOT_CLASSIFIED
    cm[free] = cloud.cloud_classes(p[free], th)
    thin = cirrus.thin_cirrus(b["B10"], b02, p, th, dem_m)
    if rejected is not None:
        thin |= rejected & cirrus.thin_cirrus(b["B10"], b02, p, th, dem_m, b02_max=snow_to_cloud.cirrus_b02_max)
    cm[thin & ~nodata] = SCL.THIN_CIRRUS
    cm[cirrus.thick_cirrus(b["B10"], p, th) & ~nodata] = SCL.MEDIUM_PROBA_CLOUDS
    if rejected is not None:
        p[rejected & (cm == SCL.MEDIUM_PROBA_CLOUDS)] = np.float32(snow_to_cloud.cloud_probability)
    p[nodata] = 0
    return cm, p, s


def _claim(cm: np.ndarray, p: np.ndarray, mask: np.ndarray, code: int) -> None:
    """Assign ``code`` (and P = 0) to the not-yet-classified pixels of ``mask``, in place."""
    sel = mask & (cm == NOT_CLASSIFIED)
    cm[sel] = code
    p[sel] = 0


def run_spectral_stage(bands: Bands, nodata: np.ndarray, th: CloudThresholds, aux: SceneAux,
                       snow_excluded: np.ndarray | None, snow_ruled_out: np.ndarray | None = None,
                       snow_to_cloud: SnowToCloud | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steps 0-7 over row strips (halo = snow dilation radius); see :func:`spectral_tests`."""
    cm = np.empty(bands.shape, np.uint8)
    p = np.empty(bands.shape, np.float32)
    s = np.empty(bands.shape, np.float32)
    cci_water = snow.cci_snow_water_mask(aux.snow_condition)
    if snow_excluded is None and snow_ruled_out is None:
        snow_excluded = cci_water
    names = ("B02", "B03", "B04", "B05", "B8A", "B10", "B11", "B12")
    for read, inner, core in strips(bands.shape[0], halo=snow.SNOW_DILATION_PX):
        out = spectral_tests(bands.block(names, read), nodata[read], th, aux.could_have_snow,
                             _rows(snow_excluded, read), _rows(cci_water, read), _rows(aux.dem_m, read),
                             _rows(snow_ruled_out, read), snow_to_cloud)
        cm[core], p[core], s[core] = (a[inner] for a in out)
    return cm, p, s


def _rows(a: np.ndarray | None, rows: slice) -> np.ndarray | None:
    return None if a is None else a[rows]


def run_shadow_stage(bands: Bands, cm: np.ndarray, p: np.ndarray, nodata: np.ndarray, th: CloudThresholds,
                     aux: SceneAux, sun_azimuth_deg: float,
                     darkness: shadow.DarknessReference | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Step 11 score parts ``(spectral, geometric)``; CLOUD_SHADOWS where their product > 0.05.

    The spectral part runs over row strips with a 1-row halo for its 3x3 medians (the image's own
    border rows and columns stay untouched, as in Sen2Cor). With ``darkness.window_m > 0`` (evolution)
    it is the maximum of Sen2Cor's score and :func:`shadow.relative_darkness` of B8A against the sunlit
    clear-sky reference (:class:`sen2cor.sceneclass.shadow.DarknessReference`), 0 on thin cirrus and on water
    (B8A < B04 and B02 < 0.2).
    """
    # geometric part first: its FFT temporaries and the spectral score are never alive together
    clouds = shadow.shadow_casting_clouds(p)
    geometric = shadow.geometric_shadow_probability(clouds, nodata, aux.sun_zenith_deg, sun_azimuth_deg,
                                                    aux.resolution_m)
    del clouds
    local = None
    if darkness is not None and darkness.window_m > 0:
        local, factor = shadow.clear_b8a_reference(bands, cm, aux.resolution_m, darkness,
                                                   geometric if darkness.sunlit_only else None, STRIP_ROWS)
    spectral = np.empty(bands.shape, np.float32)
    for read, inner, core in strips(bands.shape[0], halo=1):
        block = bands.block(shadow.SHADOW_BANDS, read)
        dark, mad = shadow.spectral_distance(block)
        wet = shadow.shadow_water(block["B02"], block["B11"])
        cirrus_px = cm[read] == SCL.THIN_CIRRUS
        score = shadow.spectral_shadow_score(dark, mad, wet, cirrus_px, th)
        if local is not None:
            rows = np.arange(read.start, read.stop) // factor
            cols = np.arange(bands.shape[1]) // factor
            rel = shadow.relative_darkness(block["B8A"], local[np.ix_(rows, cols)], darkness.ratio)
            # water: NIR below red and B02 < 0.2 (the conditions common to Sen2Cor's water tests); hazy
            # shadows can exceed B02/B11 = 6, and shadowed snow has NIR below red but a bright B02
            wet_px = (block["B8A"] < block["B04"]) & (block["B02"] < np.float32(water.WATER_B02_MAX))
            rel[wet_px | cirrus_px] = 0
            np.maximum(score, rel, out=score)
        spectral[core] = score[inner]
    return spectral, geometric


def run_pixel_recoveries(bands: Bands, cm: np.ndarray, aux: SceneAux, th: CloudThresholds) -> None:
    """Steps 12-17 over row strips, in place (halo = snow dilation radius for step 16)."""
    snow0 = cm == SCL.SNOW_ICE
    names = ("B02", "B03", "B04", "B8A", "B11")
    for read, inner, core in strips(bands.shape[0], halo=snow.SNOW_DILATION_PX):
        b = bands.block(names, read)
        c = cm[read].copy()
        nv = vegetation.ndvi(b["B8A"], b["B04"])
        sel = vegetation.dark_vegetation_recovery(nv, b["B8A"], b["B03"], th)
        c[sel & in_classes(c, (SCL.DARK_FEATURES, NOT_CLASSIFIED))] = SCL.VEGETATION             # step 12
        from_dark, from_free = water.water_recovery(b["B02"], b["B04"], b["B8A"], b["B11"], th)
        c[from_dark & (c == SCL.DARK_FEATURES)] = SCL.WATER                                      # step 13
        c[from_free & (c == NOT_CLASSIFIED)] = SCL.WATER
        if aux.water_bodies is not None:                                                         # step 14
            c[recovery.cci_water_recovery(c, aux.water_bodies[read])] = SCL.WATER
        if aux.sdw is not None:                                                                  # step 15
            sdw = aux.sdw[read]
            if aux.slope_deg is not None:
                c[(c == SCL.WATER) & water.steep_shaded_water(sdw, aux.slope_deg[read])] = SCL.DARK_FEATURES
            c[recovery.shaded_shadow(c, sdw)] = SCL.DARK_FEATURES
            if aux.water_bodies is not None:
                c[recovery.topographic_dark(c, sdw, aux.water_bodies[read], b["B02"], b["B04"], b["B8A"])] = \
                    SCL.DARK_FEATURES
        sel = snow.snow_recovery(snow0[read], b["B03"], b["B11"])                                # step 16
        c[sel & (c == NOT_CLASSIFIED)] = SCL.SNOW_ICE
        c[recovery.soil_recovery(c, b["B02"], b["B11"])] = SCL.NOT_VEGETATED                      # step 17
        cm[core] = c[inner]


def run_land_cover_recoveries(bands: Bands, cm: np.ndarray, aux: SceneAux) -> None:
    """Steps 18-20 (need the CCI land cover), in place."""
    lcm = aux.land_cover
    if lcm is None:
        return
    b10 = bands.get("B10")
    t_b10 = recovery.land_b10_threshold(cm, b10, aux.resolution_m)
    if t_b10 is not None:                                                                        # step 18
        t_ratio = recovery.land_ratio_threshold(cm, bands.get("B09"), bands.get("B8A"))
        sel = recovery.land_recovery(cm, lcm, bands.get("B09"), bands.get("B8A"), b10, t_b10, t_ratio)
        cm[sel] = SCL.NOT_VEGETATED
        log.debug("land recovery: T_B10=%.5f T_ratio=%.4f, %d px", t_b10, t_ratio, int(sel.sum()))
    t_land, t_water = cirrus.cirrus_recovery_thresholds(b10[cm == SCL.NOT_VEGETATED], b10[cm == SCL.WATER])
    low = True if aux.dem_m is None else aux.dem_m < cirrus.CIRRUS_DEM_MAX_M
    land = in_classes(cm, (SCL.VEGETATION, SCL.NOT_VEGETATED)) & (b10 > t_land) & low               # step 19
    wet = (cm == SCL.WATER) & (b10 > t_water) & low
    cm[land | wet] = SCL.THIN_CIRRUS
    cm[recovery.urban_bare_recovery(cm, lcm)] = SCL.NOT_VEGETATED                                 # step 20


def finish(cm: np.ndarray, p: np.ndarray, s: np.ndarray, nodata: np.ndarray, aux: SceneAux,
           median_filter_px: int = 0) -> None:
    """Step 21 and class 1, in place: 100 -> UNCLASSIFIED, optional median, saturated/defective, no-data."""
    cm[cm == NOT_CLASSIFIED] = SCL.UNCLASSIFIED
    if median_filter_px > 1:
        cm[...] = ndimage.median_filter(cm, size=median_filter_px, mode="nearest")
    defective = saturated_defective(cm.shape, aux.saturated, aux.quality_masks, aux.degraded_bands,
                                    aux.handle_l1c_qlt_mask)
    cm[defective] = SCL.SATURATED_DEFECTIVE
    cm[nodata] = SCL.NO_DATA
    p[nodata] = 0
    s[nodata] = 0


def with_terrain(aux: SceneAux) -> SceneAux:
    """``aux`` with SDW and slope derived from its DEM where they are missing (gdaldem conventions)."""
    if aux.dem_m is None or (aux.sdw is not None and aux.slope_deg is not None):
        return aux
    sdw, slope = topography.terrain_layers(aux.dem_m, aux.resolution_m, aux.sun_zenith_deg, aux.sun_azimuth_deg)
    return dataclasses.replace(aux, sdw=sdw if aux.sdw is None else aux.sdw,
                               slope_deg=slope if aux.slope_deg is None else aux.slope_deg)


def prepare(toa: Mapping[str, np.ndarray], aux: SceneAux, required: tuple[str, ...]) -> tuple[Bands, np.ndarray]:
    """Wrap the inputs and resolve the no-data mask."""
    bands = Bands(toa, required)
    nodata = aux.nodata if aux.nodata is not None else nodata_from_reflectance(toa)
    return bands, nodata.astype(bool, copy=False)


def classify_classic(toa: Mapping[str, np.ndarray], aux: SceneAux, thresholds: CloudThresholds | None = None,
                     median_filter_px: int = 0) -> SceneClassification:
    """Sen2Cor 2.9 ("classic") scene classification (facts A.3, A.4).

    Parameters
    ----------
    toa : mapping band -> 2-D array
        TOA reflectance on the SC grid: float32 (0-1) or integer reflectance x 10000. Needs
        B02, B03, B04, B05, B8A, B09, B10, B11, B12.
    aux : SceneAux
        Geometry and optional auxiliary layers.
    thresholds : CloudThresholds
        L2A_CAL_SC_GIPP thresholds (defaults when None).
    median_filter_px : int
        L2A_GIPP Median_Filter (0 = off).
    """
    th = thresholds or CloudThresholds()
    aux = with_terrain(aux)
    bands, nodata = prepare(toa, aux, CLASSIC_BANDS)
    cm, p, s = run_spectral_stage(bands, nodata, th, aux, snow_excluded=None)
    # Sen2Cor uses int(mean SAA) + 0.5 for the projection (facts A.4)
    spectral, geometric = run_shadow_stage(bands, cm, p, nodata, th, aux, int(aux.sun_azimuth_deg) + 0.5)
    shadows = shadow.cloud_shadow(spectral, geometric)
    shadows &= ~nodata
    cm[shadows] = SCL.CLOUD_SHADOWS
    del spectral, geometric
    run_pixel_recoveries(bands, cm, aux, th)
    run_land_cover_recoveries(bands, cm, aux)
    finish(cm, p, s, nodata, aux, median_filter_px)
    return SceneClassification(cm, p, s, nodata, "classic", {"cloud_shadow": int(shadows.sum())})
