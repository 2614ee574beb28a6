"""Synthetic scenes with ground truth on the 20 m grid: terrain, land cover, clouds, atmosphere.

Everything here is pure numpy on arrays; geometry comes in as plain angles. The scene is
defined at 20 m (Sen2Cor's reference resolution); 10 m surface reflectance adds a texture
whose 2x2 means vanish, 60 m values are 3x3 means (see :mod:`sen2cor.testing.forward`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import ndimage

from sen2cor.rtm import grid
from sen2cor.testing.noise import regional_field, smooth_field
from sen2cor.testing.spectra import COVER_SCL, COVERS, SCL_CODES

#: Scene kinds offered by the generator (``--scene``).
SCENE_KINDS = ("mixed", "clear", "cloudy", "mountain", "snow", "water")

#: Scale height of water vapour (km): the column above height z is wv_sea_level * exp(-z / H).
WV_SCALE_HEIGHT_KM = 2.2
#: Sea-level water-vapour column (cm): (mean, standard deviation) per season when SceneOptions leaves it
#: None.  Mid-latitude summer / winter climatology (the standard MLS / MLW columns are ~2.9 / ~0.85 cm);
#: the winter values stay inside the winter LUTs' range (0.2 .. 1.1 cm).
WV_CLIMATOLOGY_CM = {"summer": (2.0, 0.4), "winter": (0.8, 0.08)}


@dataclass(frozen=True)
class SceneOptions:
    """Knobs of a synthetic scene (lengths in m, AOT dimensionless at 550 nm, WV in g cm-2 = cm)."""

    kind: str = "mixed"
    base_elevation_m: float = 50.0
    relief_m: float = 600.0
    aot550_mean: float = 0.15
    aot550_amplitude: float = 0.06        # standard deviation over a 110 km tile
    aot_feature_m: float = 30_000.0       # aerosol fields vary over tens of km
    wv_sea_level_cm: float | None = None  # None: the season's climatology (WV_CLIMATOLOGY_CM)
    wv_amplitude_cm: float | None = None
    adjacency_range_m: float = 500.0      # radius of the adjacency environment box (1 km wide)
    ddv_spread: float = 0.15              # 1-sigma spread of dense vegetation around the DDV relations
    opaque_cloud_fraction: float = 0.08
    thin_cloud_fraction: float = 0.05
    cirrus_fraction: float = 0.10
    cloud_heights_m: tuple[float, ...] = (1000.0, 2000.0, 3000.0)
    cirrus_height_m: float = 10000.0
    water_fraction: float = 0.08
    snow_line_quantile: float = 0.97
    urban_fraction: float = 0.06
    saturated_clusters: int = 3
    defective_columns: int = 1
    # relative amplitude (1 sigma) of the fine surface texture, features of 1-8 px at 20 m (:data:`FINE_TEXTURE`)
    texture: float = 0.08

    @classmethod
    def for_kind(cls, kind: str) -> "SceneOptions":
        """Presets: "mixed" (everything), "clear" (no cloud), "cloudy", "mountain", "snow", "water"."""
        if kind not in SCENE_KINDS:
            raise ValueError(f"scene kind {kind!r} unknown; expected one of {', '.join(SCENE_KINDS)}")
        presets = {
            "mixed": {},
            "clear": dict(opaque_cloud_fraction=0.0, thin_cloud_fraction=0.0, cirrus_fraction=0.0),
            "cloudy": dict(opaque_cloud_fraction=0.35, thin_cloud_fraction=0.15, cirrus_fraction=0.25),
            "mountain": dict(base_elevation_m=600.0, relief_m=2500.0, snow_line_quantile=0.85, water_fraction=0.03),
            "snow": dict(base_elevation_m=1200.0, relief_m=1500.0, snow_line_quantile=0.4, opaque_cloud_fraction=0.04),
            "water": dict(water_fraction=0.55, relief_m=150.0, base_elevation_m=0.0),
        }
        return cls(kind=kind, **presets[kind])


@dataclass
class Scene:
    """Ground truth of a scene on the 20 m grid (shape ``(n, n)``)."""

    dem_m: np.ndarray                 # float32 terrain height
    cover: np.ndarray                 # uint8 index into spectra.COVERS
    brightness: np.ndarray            # float32 multiplicative variability of the cover spectrum
    cloud_fraction: np.ndarray        # float32 0..1 cloud cover within the pixel (apparent position)
    cloud_top_m: np.ndarray           # float32 cloud-top height where cloud_fraction > 0 (else 0)
    cloud_shadow: np.ndarray          # float32 0..1 fraction of direct sun blocked by clouds
    cirrus_b10: np.ndarray            # float32 cirrus reflectance in B10
    cast_shadow: np.ndarray           # bool, terrain cast shadow
    cos_incidence: np.ndarray         # float32 cosine of the local solar incidence angle (flat: cos SZA)
    sky_view: np.ndarray              # float32 sky-view factor
    aot550: np.ndarray                # float32
    wv_sea_level_cm: np.ndarray       # float32 water-vapour column above sea level
    saturated: np.ndarray             # bool
    defective: dict[str, np.ndarray] = field(default_factory=dict)   # band -> bool (20 m grid)
    nodata: np.ndarray | None = None  # bool
    reflectance_60m: dict[str, np.ndarray] | None = None   # re-simulation: band -> 60 m surface reflectance
    texture_10m: float = 0.06         # relative amplitude of the 10 m texture
    red_deviation_pct: np.ndarray | None = None    # int8 %, dense vegetation red (B04) / DDV relation - 1
    blue_deviation_pct: np.ndarray | None = None   # int8 %, dense vegetation blue (B01, B02) / relation - 1

    @property
    def wv_surface_cm(self) -> np.ndarray:
        """Water-vapour column above the ground (the quantity an L2A WVP map estimates)."""
        return (self.wv_sea_level_cm * np.exp(-self.dem_m / (1000.0 * WV_SCALE_HEIGHT_KM))).astype(np.float32)

    def class_map(self) -> np.ndarray:
        """Truth classes with Sen2Cor's 12 SCL codes (precedence: no data, defective, clouds, shadows, covers)."""
        lut = np.array([COVER_SCL[c] for c in COVERS], dtype=np.uint8)
        scl = lut[self.cover]
        scl[self.cast_shadow] = SCL_CODES["DARK_FEATURE_SHADOW"]
        scl[self.cloud_shadow >= 0.5] = SCL_CODES["CLOUD_SHADOW"]
        scl[(self.cirrus_b10 >= 0.01)] = SCL_CODES["THIN_CIRRUS"]
        scl[(self.cloud_fraction >= 0.3)] = SCL_CODES["CLOUD_MEDIUM_PROBA"]
        scl[(self.cloud_fraction >= 0.95)] = SCL_CODES["CLOUD_HIGH_PROBA"]
        bad = self.saturated.copy()
        for mask in self.defective.values():
            bad |= mask
        scl[bad] = SCL_CODES["SATURATED_DEFECTIVE"]
        if self.nodata is not None:
            scl[self.nodata] = SCL_CODES["NO_DATA"]
        return scl


def terrain_illumination(dem_m: np.ndarray, pixel_m: float, sun_zenith_deg: float, sun_azimuth_deg: float
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of the solar incidence angle on the terrain and the sky-view factor (1 = flat)."""
    dz_dy_rows, dz_dx = np.gradient(dem_m.astype(np.float32), pixel_m)
    dz_dn = -dz_dy_rows                               # rows grow southwards
    norm = np.sqrt(dz_dx ** 2 + dz_dn ** 2 + 1.0)
    sz, sa = np.deg2rad(sun_zenith_deg), np.deg2rad(sun_azimuth_deg)
    sun = (np.sin(sz) * np.sin(sa), np.sin(sz) * np.cos(sa), np.cos(sz))
    cos_i = (-dz_dx * sun[0] - dz_dn * sun[1] + sun[2]) / norm
    sky_view = (1.0 + 1.0 / norm) / 2.0               # (1 + cos slope) / 2
    return cos_i.astype(np.float32), sky_view.astype(np.float32)


def cast_shadow(dem_m: np.ndarray, pixel_m: float, sun_zenith_deg: float, sun_azimuth_deg: float) -> np.ndarray:
    """Terrain cast shadow: a point is shadowed when terrain towards the sun rises above the sun ray."""
    tan_elev = np.tan(np.deg2rad(90.0 - sun_zenith_deg))
    relief = float(dem_m.max() - dem_m.min())
    if relief <= 0 or tan_elev <= 0:
        return np.zeros(dem_m.shape, dtype=bool)
    n_steps = int(min(np.ceil(relief / (pixel_m * tan_elev)), max(dem_m.shape)))
    sa = np.deg2rad(sun_azimuth_deg)
    ux, uy = np.sin(sa), -np.cos(sa)                  # towards the sun in (col, row) pixel steps
    shadow = np.zeros(dem_m.shape, dtype=bool)
    ny, nx = dem_m.shape
    for k in range(1, n_steps + 1):
        dc, dr = int(round(k * ux)), int(round(k * uy))
        if abs(dc) >= nx or abs(dr) >= ny:
            break
        dist = np.hypot(dc, dr) * pixel_m
        src = dem_m[max(dr, 0):ny + min(dr, 0), max(dc, 0):nx + min(dc, 0)]
        dst = (slice(max(-dr, 0), ny + min(-dr, 0)), slice(max(-dc, 0), nx + min(-dc, 0)))
        shadow[dst] |= src > dem_m[dst] + dist * tan_elev
    return shadow


def _shift(a: np.ndarray, dr: int, dc: int, fill=0) -> np.ndarray:
    """Translate ``a`` by (dr, dc) pixels (positive: down / right), filling uncovered cells."""
    out = np.full_like(a, fill)
    ny, nx = a.shape
    if abs(dr) >= ny or abs(dc) >= nx:
        return out
    out[max(dr, 0):ny + min(dr, 0), max(dc, 0):nx + min(dc, 0)] = a[max(-dr, 0):ny + min(-dr, 0),
                                                                     max(-dc, 0):nx + min(-dc, 0)]
    return out


def _fraction_threshold(noise: np.ndarray, fraction: float) -> float:
    """Threshold above which ``fraction`` of ``noise`` lies."""
    if fraction <= 0:
        return np.inf
    sample = noise[::max(1, noise.shape[0] // 512), ::max(1, noise.shape[1] // 512)]
    return float(np.quantile(sample, 1.0 - fraction))


def ddv_deviation_pct(shape: tuple[int, int], rng: np.random.Generator, spread: float, feature_px: float
                      ) -> np.ndarray:
    """Per-pixel deviation (int8, %) from a DDV relation: zero-mean field, 1 sigma ``spread``, +-3 sigma."""
    if spread <= 0:
        return np.zeros(shape, dtype=np.int8)
    dev = 100.0 * spread * np.clip(smooth_field(shape, rng, feature_px, octaves=2), -3.0, 3.0)
    return np.clip(np.rint(dev), -99, 127).astype(np.int8)


#: Fine surface texture: (feature size in 20 m pixels, octaves, persistence) of :func:`fine_texture`:
#: octaves of 8, 4, 2 and 1 px with amplitudes 1, 0.75, 0.56, 0.42, i.e. detail down to the pixel like
#: field patterns, crowns and roofs, whose JPEG 2000 coding cost matches real L1C bands (docs/performance.md).
FINE_TEXTURE = (8.0, 4, 0.75)


def fine_texture(shape: tuple[int, int], rng: np.random.Generator, amplitude: float) -> np.ndarray:
    """Multiplicative texture 1 + amplitude * field (unit-std field of :data:`FINE_TEXTURE`, clipped at
    +-3 sigma), float32; all ones when ``amplitude`` is 0 (no random numbers drawn)."""
    if amplitude <= 0:
        return np.ones(shape, dtype=np.float32)
    feature_px, octaves, persistence = FINE_TEXTURE
    field = smooth_field(shape, rng, feature_px, octaves=octaves, persistence=persistence)
    np.clip(field, -3.0, 3.0, out=field)
    field *= np.float32(amplitude)
    field += np.float32(1.0)
    return field


def synthesize_scene(n20: int, rng: np.random.Generator, options: SceneOptions, sun_zenith_deg: float,
                     sun_azimuth_deg: float, view_zenith_deg: float, view_azimuth_deg: float,
                     nodata: np.ndarray | None = None, season: str = "summer") -> Scene:
    """Build a :class:`Scene` of ``n20`` x ``n20`` pixels at 20 m (tile-mean sun and view angles in deg).

    ``season`` ("summer" / "winter") picks the water-vapour climatology when the options leave it open.
    """
    if season not in WV_CLIMATOLOGY_CM:
        raise ValueError(f"season {season!r} unknown; expected one of {', '.join(WV_CLIMATOLOGY_CM)}")
    shape = (n20, n20)
    scale = n20 / 300.0                        # feature sizes follow the product size, bounded below
    feat = lambda px: max(px * min(scale, 6.0), 8.0)   # noqa: E731
    rngs = rng.spawn(13)   # the 13th (fine texture) was added later: the first 12 fields are unchanged

    # terrain
    relief_noise = smooth_field(shape, rngs[0], feat(150), octaves=5, persistence=0.55)
    dem = options.base_elevation_m + options.relief_m * (relief_noise - relief_noise.min()) / max(
        float(np.ptp(relief_noise)), 1e-6)
    water_level = float(np.quantile(dem[::4, ::4], options.water_fraction)) if options.water_fraction > 0 else -1e9
    del relief_noise
    water = dem <= water_level
    dem = np.where(water, water_level, dem).astype(np.float32)

    # land cover
    cover = np.full(shape, COVERS.index("sparse_vegetation"), dtype=np.uint8)
    veg_noise = smooth_field(shape, rngs[1], feat(40), octaves=4)
    cover[veg_noise > 0.2] = COVERS.index("dense_vegetation")
    cover[veg_noise < -0.8] = COVERS.index("bare_soil")
    urban_noise = smooth_field(shape, rngs[2], feat(25), octaves=3)
    low = dem < np.quantile(dem[::4, ::4], 0.5)
    cover[(urban_noise > _fraction_threshold(urban_noise, options.urban_fraction * 2)) & low] = COVERS.index("urban")
    del veg_noise, urban_noise, low
    snow_line = float(np.quantile(dem[::4, ::4], options.snow_line_quantile))
    cover[dem >= snow_line] = COVERS.index("snow")
    cover[water] = COVERS.index("water")
    brightness = (1.0 + 0.08 * smooth_field(shape, rngs[3], feat(6), octaves=3)).astype(np.float32)
    brightness *= fine_texture(shape, rngs[12], options.texture)

    # illumination
    cos_i, sky_view = terrain_illumination(dem, 20.0, sun_zenith_deg, sun_azimuth_deg)
    shadow = cast_shadow(dem, 20.0, sun_zenith_deg, sun_azimuth_deg) | (cos_i <= 0)

    # clouds: opaque blobs with a soft edge, plus a thin semi-transparent layer
    cloud_noise = smooth_field(shape, rngs[4], feat(30), octaves=4)
    t_core = _fraction_threshold(cloud_noise, options.opaque_cloud_fraction)
    opaque = np.clip((cloud_noise - (t_core - 0.35)) / 0.35, 0.0, 1.0) if np.isfinite(t_core) else np.zeros(shape)
    thin_noise = smooth_field(shape, rngs[5], feat(50), octaves=3)
    t_thin = _fraction_threshold(thin_noise, options.thin_cloud_fraction)
    thin = 0.6 * np.clip((thin_noise - t_thin) / 0.5, 0.0, 1.0) if np.isfinite(t_thin) else np.zeros(shape)
    cloud_fraction = np.maximum(opaque, thin).astype(np.float32)
    del cloud_noise, thin_noise, opaque, thin
    labels, n_blobs = ndimage.label(cloud_fraction > 0)
    heights = np.asarray(options.cloud_heights_m, dtype=np.float32)
    blob_height = np.concatenate([[0.0], rngs[6].choice(heights, size=n_blobs)]).astype(np.float32)
    cloud_top = blob_height[labels]
    del labels

    # cloud shadows: the cloud seen at its apparent (parallax) position casts a shadow displaced along
    # the anti-solar azimuth by h tan(SZA) from its true position
    cloud_shadow = np.zeros(shape, dtype=np.float32)
    for h in heights:
        layer = np.where(cloud_top == h, cloud_fraction, 0.0).astype(np.float32)
        if not layer.any():
            continue
        sun_d = h * np.tan(np.deg2rad(sun_zenith_deg)) / 20.0
        view_d = h * np.tan(np.deg2rad(view_zenith_deg)) / 20.0
        sa, va = np.deg2rad(sun_azimuth_deg + 180.0), np.deg2rad(view_azimuth_deg + 180.0)
        dx = sun_d * np.sin(sa) - view_d * np.sin(va)
        dy = sun_d * np.cos(sa) - view_d * np.cos(va)
        cloud_shadow = np.maximum(cloud_shadow, _shift(layer, int(round(-dy)), int(round(dx)), 0.0))
    cloud_shadow = np.where(cloud_fraction >= 0.95, 0.0, cloud_shadow).astype(np.float32)

    # cirrus (B10 reflectance)
    ci_noise = smooth_field(shape, rngs[7], feat(60), octaves=3)
    t_ci = _fraction_threshold(ci_noise, options.cirrus_fraction)
    cirrus = (0.03 * np.clip((ci_noise - t_ci + 0.3) / 0.8, 0.0, 1.0)).astype(np.float32) if np.isfinite(
        t_ci) else np.zeros(shape, dtype=np.float32)

    # atmosphere
    aot = options.aot550_mean + options.aot550_amplitude * regional_field(shape, rngs[8], 20.0,
                                                                           options.aot_feature_m)
    # within the LUT's visibility range (5-120 km) at the pixel's height: the forward model clamps to it,
    # so a truth outside it would not be the AOT that was simulated
    z_km = np.clip(dem, 0.0, None) / 1000.0
    aot = np.clip(aot, grid.visibility_to_aot550(grid.VISIBILITY_KM[-1], z_km),
                  grid.visibility_to_aot550(grid.VISIBILITY_KM[0], z_km)).astype(np.float32)
    wv_mean, wv_std = WV_CLIMATOLOGY_CM[season]
    wv_mean = wv_mean if options.wv_sea_level_cm is None else options.wv_sea_level_cm
    wv_std = wv_std if options.wv_amplitude_cm is None else options.wv_amplitude_cm
    wv = wv_mean + wv_std * smooth_field(shape, rngs[9], feat(150), octaves=2)
    wv = np.clip(wv, 0.1, None).astype(np.float32)

    # dense vegetation: spread around Sen2Cor's red / B12 and blue / red relations (independent fields)
    ddv_rng = rngs[11].spawn(2)
    red_dev = ddv_deviation_pct(shape, ddv_rng[0], options.ddv_spread, feat(4))
    blue_dev = ddv_deviation_pct(shape, ddv_rng[1], options.ddv_spread, feat(4))

    # saturated clusters (bright roofs) and defective detector columns
    saturated = np.zeros(shape, dtype=bool)
    r = rngs[10]
    for _ in range(options.saturated_clusters):
        i, j = r.integers(2, n20 - 4, size=2)
        saturated[i:i + 2, j:j + 3] = True
    defective: dict[str, np.ndarray] = {}
    for k in range(options.defective_columns):
        band = ("B05", "B11", "B8A")[k % 3]
        mask = np.zeros(shape, dtype=bool)
        col, row0 = r.integers(0, n20), r.integers(0, max(1, n20 // 2))
        mask[row0:row0 + max(4, n20 // 10), col] = True
        defective[band] = mask

    return Scene(dem_m=dem, cover=cover, brightness=brightness, cloud_fraction=cloud_fraction,
                 cloud_top_m=cloud_top, cloud_shadow=cloud_shadow, cirrus_b10=cirrus, cast_shadow=shadow,
                 cos_incidence=cos_i, sky_view=sky_view, aot550=aot, wv_sea_level_cm=wv, saturated=saturated,
                 defective=defective, nodata=nodata, red_deviation_pct=red_dev, blue_deviation_pct=blue_dev)


__all__ = ["SCENE_KINDS", "WV_CLIMATOLOGY_CM", "FINE_TEXTURE", "ddv_deviation_pct", "fine_texture", "Scene",
           "SceneOptions", "synthesize_scene", "terrain_illumination", "cast_shadow"]
