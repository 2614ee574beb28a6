"""Scene classification "evolution" (default since Sen2Cor 2.10; manual §2.2.2).

Sen2Cor's evolution module is not public. The manual lists four changes over the classic algorithm;
each is built here on top of the classic steps and can be switched off through
:class:`EvolutionOptions`, so that its effect can be measured (docs/sceneclass.md):

1. snow limited by an ESA-CCI derived monthly snow climatology (replaces the CCI snow-condition rule);
2. MSI parallax between B08 and B8A/B07 to reject false clouds (bright static surfaces) and false snow
   (moving clouds classified as snow);
3. topographic (cast and self) shadow separated from cloud shadow with the DEM;
4. cloud and cloud-shadow dilation (after removing isolated single cloud pixels).

With every option off the result equals the classic algorithm.
"""
from __future__ import annotations

import dataclasses
import logging
from typing import Mapping

import numpy as np

from sen2cor.errors import ConfigError
from sen2cor.sceneclass import cloud, dilation, parallax, shadow, snow, topography
from sen2cor.sceneclass.classic import (
    CLASSIC_BANDS, Bands, SceneAux, SceneClassification, SnowToCloud, finish, prepare,
    run_land_cover_recoveries, run_pixel_recoveries, run_shadow_stage, run_spectral_stage, strips, with_terrain,
)
from sen2cor.sceneclass.parallax import CDI_PARALLAX_MAX, CDI_WINDOW_PX
from sen2cor.sceneclass.thresholds import in_classes, NOT_CLASSIFIED, SCL, CloudThresholds

log = logging.getLogger(__name__)

PARALLAX_BANDS = ("B07", "B08", "B8A")


@dataclasses.dataclass(frozen=True)
class EvolutionOptions:
    """Switches and parameters of the evolution steps (not in any GIPP; see docs/sceneclass.md).

    Attributes
    ----------
    snow_climatology : bool
        Exclude snow where the monthly climatology is ``<= snow_climatology_min_percent`` or water.
    snow_ruled_out_as_cloud : bool
        Snow-mask pixels the climatology rules out become MEDIUM_PROBA_CLOUDS (THIN_CIRRUS where B10 says
        so) with P = ``snow_ruled_out_cloud_probability``, as the classic CCI water rule does for snow on
        water (inferred from an official 2.10 product, docs/sceneclass.md). False: S = 0 there before the
        snow mask and the pixels run through the cloud tests.
    snow_ruled_out_cloud_probability : float
        Cloud probability of those pixels (MSK_CLDPRB 65 in the official 2.10 product).
    snow_ruled_out_cirrus_b02_max : float or None
        B02 limit of the thin-cirrus test on those pixels (None: none; the classic test uses 0.5).
    parallax : bool
        Use the cloud displacement index (needs B07, B08, B8A). Off by default: it could not be validated
        on data with real inter-band parallax, and on the re-simulated official tile it removed real clouds
        (docs/sceneclass_validation.md).
    parallax_cdi_max : float
        CDI below this is parallax (Frantz et al. 2018: -0.5).
    parallax_window_px : int
        Window of the CDI variances.
    false_cloud_max_fraction : float
        A MEDIUM/HIGH cloud blob with a smaller share of parallax pixels is a static bright surface.
    false_snow_min_fraction : float
        A snow blob with at least this share of parallax pixels is a cloud.
    reject_high_proba_clouds : bool
        Also test HIGH_PROBA_CLOUDS blobs for parallax (default: only MEDIUM_PROBA_CLOUDS, where bright
        surfaces end up; low clouds have little parallax).
    topographic_shadow : bool
        Separate terrain shadow from cloud shadow (needs ``aux.dem_m``).
    topographic_geometric_max : float
        Cloud-shadow pixels in terrain shadow whose geometric (projection) score is below this become
        DARK_FEATURES.
    cloud_dilation_m, shadow_dilation_m : float
        Dilation radii (0 = off) of the clouds and of the cloud shadows.
    cloud_dilation_footprint : str
        "disk" (Euclidean distance) or "square" (Chebyshev) footprint of the cloud dilation.
    cloud_dilation_min_probability : float
        Only MEDIUM/HIGH cloud pixels with P >= this grow (0: all of them).
    dilation_raises_probability : bool
        New cloud pixels get ``P >= T_CLOUD_MP``; False keeps their own P (as MSK_CLDPRB of the official
        2.10 product shows).
    remove_isolated_clouds : bool
        Single-pixel cloud blobs become UNCLASSIFIED before dilation.
    shadow_darkness_window_m : float
        Evolution shadow test: besides Sen2Cor's reference-spectrum score, B8A darker than
        ``shadow_darkness_ratio`` times the clear-sky B8A mean within this window counts as shadow-like
        (0 = off, classic score only).
    shadow_darkness_ratio : tuple of float
        Ramp of B8A / local clear mean: fully shadow-like at or below the first value, not at all above the
        second.
    shadow_darkness_sunlit_only : bool
        The clear-sky reference leaves out pixels a projected cloud can reach (geometric score > 0.05).
    shadow_darkness_fallback_scales : int
        3x larger windows tried where a window holds less than ``shadow_darkness_min_clear_fraction`` of
        reference pixels (then the image mean).
    shadow_darkness_min_clear_fraction : float
        See above.
    exact_sun_azimuth : bool
        Project shadows along the tile-mean solar azimuth itself; False uses the classic
        ``int(azimuth) + 0.5``.
    """

    snow_climatology: bool = True
    snow_climatology_min_percent: float = 0.0
    snow_ruled_out_as_cloud: bool = True
    snow_ruled_out_cloud_probability: float = 0.65
    snow_ruled_out_cirrus_b02_max: float | None = None
    parallax: bool = False
    parallax_cdi_max: float = CDI_PARALLAX_MAX
    parallax_window_px: int = CDI_WINDOW_PX
    false_cloud_max_fraction: float = 0.05
    false_snow_min_fraction: float = 0.25
    reject_high_proba_clouds: bool = False
    topographic_shadow: bool = True
    topographic_geometric_max: float = 0.5
    cloud_dilation_m: float = 100.0
    shadow_dilation_m: float = 40.0
    cloud_dilation_footprint: str = "disk"
    cloud_dilation_min_probability: float = 0.65
    dilation_raises_probability: bool = False
    remove_isolated_clouds: bool = True
    shadow_darkness_window_m: float = 1500.0
    shadow_darkness_ratio: tuple[float, float] = (0.4, 0.65)
    shadow_darkness_sunlit_only: bool = True
    shadow_darkness_fallback_scales: int = 2
    shadow_darkness_min_clear_fraction: float = 0.1
    exact_sun_azimuth: bool = True

    def __post_init__(self) -> None:
        for name in ("false_cloud_max_fraction", "false_snow_min_fraction", "topographic_geometric_max",
                     "snow_ruled_out_cloud_probability", "cloud_dilation_min_probability",
                     "shadow_darkness_min_clear_fraction"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ConfigError(f"EvolutionOptions.{name}={getattr(self, name)} must lie in [0, 1]")
        if self.cloud_dilation_footprint not in ("disk", "square"):
            raise ConfigError(f"EvolutionOptions.cloud_dilation_footprint={self.cloud_dilation_footprint!r} "
                              "must be 'disk' or 'square'")
        if self.cloud_dilation_m < 0 or self.shadow_dilation_m < 0:
            raise ConfigError(f"EvolutionOptions dilation radii must be >= 0 m, got {self.cloud_dilation_m}, "
                              f"{self.shadow_dilation_m}")

    @classmethod
    def classic(cls) -> "EvolutionOptions":
        """Every evolution step off (reproduces the classic algorithm)."""
        return cls(snow_climatology=False, snow_ruled_out_as_cloud=False, parallax=False, topographic_shadow=False,
                   cloud_dilation_m=0.0, shadow_dilation_m=0.0, remove_isolated_clouds=False,
                   shadow_darkness_window_m=0.0, exact_sun_azimuth=False)


def apply_parallax(cm: np.ndarray, p: np.ndarray, s: np.ndarray, textured: np.ndarray, moving: np.ndarray,
                   th: CloudThresholds, opt: EvolutionOptions) -> tuple[int, int]:
    """Reject false clouds and false snow in place; returns the pixel counts ``(false_cloud, false_snow)``.

    ``textured`` / ``moving`` come from :func:`sen2cor.sceneclass.parallax.parallax_masks`. Blobs
    without texture are left alone. False clouds (MEDIUM blobs, and HIGH
    ones with ``reject_high_proba_clouds``, without parallax) become NOT_VEGETATED with P = 0. False snow
    (snow blobs with parallax) takes the cloud class of its snow probability, which becomes P; S = 0.
    """
    codes = (SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS) if opt.reject_high_proba_clouds else \
        (SCL.MEDIUM_PROBA_CLOUDS,)
    clouds = in_classes(cm, codes)
    false_cloud = parallax.static_blobs(clouds, textured, moving, opt.false_cloud_max_fraction)
    cm[false_cloud] = SCL.NOT_VEGETATED
    p[false_cloud] = 0
    false_snow = parallax.moving_blobs(cm == SCL.SNOW_ICE, textured, moving, opt.false_snow_min_fraction)
    p[false_snow] = s[false_snow]
    classes = cloud.cloud_classes(p[false_snow], th)
    classes[classes == NOT_CLASSIFIED] = SCL.UNCLASSIFIED
    cm[false_snow] = classes
    s[false_snow] = 0
    return int(false_cloud.sum()), int(false_snow.sum())


def separate_topographic_shadow(cm: np.ndarray, spectral: np.ndarray, geometric: np.ndarray,
                                terrain_shadow: np.ndarray, opt: EvolutionOptions) -> int:
    """In place: cloud shadows in terrain shadow without projection support, and spectrally dark
    unclassified pixels in terrain shadow, become DARK_FEATURES (cast shadow). Returns the count."""
    weak = (cm == SCL.CLOUD_SHADOWS) & terrain_shadow & (geometric < opt.topographic_geometric_max)
    dark = in_classes(cm, (NOT_CLASSIFIED, SCL.UNCLASSIFIED)) & terrain_shadow & (spectral >= 1)
    sel = weak | dark
    cm[sel] = SCL.DARK_FEATURES
    return int(sel.sum())


def dilate_clouds_and_shadows(cm: np.ndarray, p: np.ndarray, th: CloudThresholds, opt: EvolutionOptions,
                              resolution_m: float) -> tuple[int, int]:
    """In place: remove single-pixel clouds, dilate clouds and cloud shadows.

    MEDIUM/HIGH cloud pixels with ``P >= cloud_dilation_min_probability`` grow by ``cloud_dilation_m``
    (disk or square). New cloud pixels become MEDIUM_PROBA_CLOUDS (with ``P >= T_CLOUD_MP`` only when
    ``dilation_raises_probability``); they replace any class except no-data, clouds and thin cirrus. New
    shadow pixels replace only DARK_FEATURES, VEGETATION, NOT_VEGETATED, WATER and UNCLASSIFIED. Returns
    the counts of new cloud and new shadow pixels.
    """
    clouds = in_classes(cm, (SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS))
    if opt.remove_isolated_clouds:
        lonely = dilation.isolated_pixels(clouds)
        cm[lonely] = SCL.UNCLASSIFIED
        clouds &= ~lonely
    if opt.cloud_dilation_min_probability > 0:
        clouds &= p >= np.float32(opt.cloud_dilation_min_probability)
    grow = dilation.dilate_disk if opt.cloud_dilation_footprint == "disk" else dilation.dilate_square
    grown = grow(clouds, dilation.radius_px(opt.cloud_dilation_m, resolution_m))
    new_cloud = grown & ~in_classes(cm, (SCL.NO_DATA, SCL.MEDIUM_PROBA_CLOUDS, SCL.HIGH_PROBA_CLOUDS,
                                      SCL.THIN_CIRRUS))
    cm[new_cloud] = SCL.MEDIUM_PROBA_CLOUDS
    if opt.dilation_raises_probability:
        p[new_cloud] = np.maximum(p[new_cloud], np.float32(th.t_cloud_mp))
    shadows = cm == SCL.CLOUD_SHADOWS
    grown = dilation.dilate_square(shadows, dilation.radius_px(opt.shadow_dilation_m, resolution_m))
    new_shadow = grown & in_classes(cm, (SCL.DARK_FEATURES, SCL.VEGETATION, SCL.NOT_VEGETATED, SCL.WATER,
                                      SCL.UNCLASSIFIED, NOT_CLASSIFIED))
    cm[new_shadow] = SCL.CLOUD_SHADOWS
    return int(new_cloud.sum()), int(new_shadow.sum())


def _parallax_strips(bands: Bands, opt: EvolutionOptions) -> tuple[np.ndarray, np.ndarray]:
    """``(textured, moving)`` masks of the cloud displacement index over row strips (halo = half window)."""
    textured = np.empty(bands.shape, bool)
    moving = np.empty(bands.shape, bool)
    for read, inner, core in strips(bands.shape[0], halo=opt.parallax_window_px // 2 + 1):
        block = bands.block(PARALLAX_BANDS, read)
        cdi = parallax.cloud_displacement_index(*(block[b] for b in PARALLAX_BANDS), window_px=opt.parallax_window_px)
        tex, mov = parallax.parallax_masks(cdi[inner], opt.parallax_cdi_max)
        textured[core], moving[core] = tex, mov
    return textured, moving


def _terrain_shadow(aux: SceneAux) -> np.ndarray:
    """Self (SDW 1, gdaldem scale) or cast terrain shadow; ``aux`` carries SDW (:func:`with_terrain`)."""
    cast = topography.cast_shadow(aux.dem_m, aux.resolution_m, aux.sun_zenith_deg, aux.sun_azimuth_deg)
    return topography.topographic_shadow(aux.sdw, cast)


def classify_evolution(toa: Mapping[str, np.ndarray], aux: SceneAux, thresholds: CloudThresholds | None = None,
                       options: EvolutionOptions | None = None, median_filter_px: int = 0) -> SceneClassification:
    """Evolution scene classification (inputs as :func:`sen2cor.sceneclass.classic.classify_classic`,
    plus B07 and B08 for the parallax test, skipped with a warning when they are missing)."""
    th = thresholds or CloudThresholds()
    opt = options or EvolutionOptions()
    aux = with_terrain(aux)
    bands, nodata = prepare(toa, aux, CLASSIC_BANDS)
    counts: dict[str, int] = {}
    excluded = ruled_out = to_cloud = None
    if opt.snow_climatology and aux.snow_climatology_percent is not None:
        excluded = snow.climatology_excludes_snow(aux.snow_climatology_percent, opt.snow_climatology_min_percent)
        if opt.snow_ruled_out_as_cloud:
            ruled_out, excluded = excluded, None
            to_cloud = SnowToCloud(opt.snow_ruled_out_cloud_probability, opt.snow_ruled_out_cirrus_b02_max)
    cm, p, s = run_spectral_stage(bands, nodata, th, aux, snow_excluded=excluded, snow_ruled_out=ruled_out,
                                  snow_to_cloud=to_cloud)
    if opt.parallax:
        if all(b in bands for b in PARALLAX_BANDS):
            textured, moving = _parallax_strips(bands, opt)
            counts["false_cloud"], counts["false_snow"] = apply_parallax(cm, p, s, textured, moving, th, opt)
            del textured, moving
        else:
            log.warning("parallax test skipped: needs bands %s", ", ".join(PARALLAX_BANDS))
    azimuth = aux.sun_azimuth_deg if opt.exact_sun_azimuth else int(aux.sun_azimuth_deg) + 0.5
    darkness = shadow.DarknessReference(opt.shadow_darkness_window_m, opt.shadow_darkness_ratio,
                                 opt.shadow_darkness_sunlit_only, opt.shadow_darkness_fallback_scales,
                                 opt.shadow_darkness_min_clear_fraction)
    spectral, geometric = run_shadow_stage(bands, cm, p, nodata, th, aux, azimuth, darkness)
    shadows = shadow.cloud_shadow(spectral, geometric)
    shadows &= ~nodata
    cm[shadows] = SCL.CLOUD_SHADOWS
    counts["cloud_shadow"] = int(shadows.sum())
    if opt.topographic_shadow and aux.dem_m is not None:
        counts["topographic_shadow"] = separate_topographic_shadow(cm, spectral, geometric,
                                                                   _terrain_shadow(aux), opt)
    del spectral, geometric, shadows
    run_pixel_recoveries(bands, cm, aux, th)
    run_land_cover_recoveries(bands, cm, aux)
    counts["cloud_dilation"], counts["shadow_dilation"] = dilate_clouds_and_shadows(cm, p, th, opt, aux.resolution_m)
    finish(cm, p, s, nodata, aux, median_filter_px)
    log.debug("evolution step counts: %s", counts)
    return SceneClassification(cm, p, s, nodata, "evolution", counts)
