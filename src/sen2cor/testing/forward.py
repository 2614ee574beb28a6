"""Forward model: surface reflectance -> L1C top-of-atmosphere reflectance -> quantised DN.

Independent of the atmospheric-correction code: it only uses an :class:`~sen2cor.testing.
atmosphere.Atmosphere`. Per pixel (all quantities per band):

    D = max(cos i, 0) / cos SZA * (1 - cast) * (1 - cloud shadow)
    T_down = t_down_dir D + t_down_dif (k D + (1 - k) V_sky) + (t_down_dir + t_down_dif) (1 - V_sky) rho_env
             (k = t_down_dir: Hay's circumsolar fraction of the diffuse sky; last term: terrain-reflected)
    rho_surf* = rho_path + T_gas * T_down * (t_up_dir * rho + t_up_dif * rho_env) / (1 - S * rho_env)
    rho_cloud* = same for the cloud-top reflectance, with the atmosphere above the cloud top
    rho_TOA = (1 - f) * rho_surf* + f * rho_cloud* + rho_cirrus,B10 * k_band

rho_env is the surface reflectance averaged within SceneOptions.adjacency_range_m (adjacency), also the reflectance of
the surrounding slopes in the terrain-reflected term (documented in docs/test_products.md).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from sen2cor.bands import BAND_IDS
from sen2cor.testing.atmosphere import Atmosphere
from sen2cor.testing.noise import block_mean, upsample_nearest
from sen2cor.testing.scene import WV_SCALE_HEIGHT_KM, Scene
from sen2cor.testing.spectra import (CIRRUS_RELATIVE, CLOUD_SPECTRUM, COVERS, DDV_BLUE_BANDS, DDV_RED_BANDS,
                                     SPECTRA)

QUANTIFICATION_VALUE = 10000.0
RADIO_ADD_OFFSET = -1000
NODATA_DN = 0
SATURATED_DN = 65535
#: Aerosol scale height (km): AOT above height z is AOT * exp(-z / H).
AEROSOL_SCALE_HEIGHT_KM = 1.5
#: Default radius (m) of the adjacency environment box (SceneOptions.adjacency_range_m).
ADJACENCY_RANGE_M = 500.0

_SPECTRA = np.array([SPECTRA[c] for c in COVERS], dtype=np.float32)     # (cover, band)
_DENSE = COVERS.index("dense_vegetation")


def surface_reflectance_20m(scene: Scene, band: str, rows: slice = slice(None)) -> np.ndarray:
    """Truth surface reflectance of ``band`` on the 20 m grid (rows ``rows``)."""
    if scene.reflectance_60m is not None:
        return upsample_nearest(scene.reflectance_60m[band], 3)[rows].astype(np.float32)
    b = BAND_IDS.index(band)
    cover = scene.cover[rows]
    rho = _SPECTRA[cover, b] * scene.brightness[rows]
    if band in DDV_RED_BANDS or band in DDV_BLUE_BANDS:
        # dense vegetation scatters around the DDV relations (red = 0.5 B12, blue = 0.5 red) per pixel
        factor = np.ones(rho.shape, dtype=np.float32)
        for dev in (scene.red_deviation_pct, scene.blue_deviation_pct if band in DDV_BLUE_BANDS else None):
            if dev is not None:
                factor *= 1.0 + dev[rows].astype(np.float32) / 100.0
        rho = np.where(cover == _DENSE, rho * factor, rho)
    return rho


def texture_10m(rho20: np.ndarray, rng: np.random.Generator, amplitude: float = 0.06) -> np.ndarray:
    """10 m reflectance from 20 m: nearest upsampling times a texture whose 2x2 block means are 1."""
    noise = rng.standard_normal((rho20.shape[0] * 2, rho20.shape[1] * 2)).astype(np.float32)
    noise -= upsample_nearest(block_mean(noise, 2), 2)
    return upsample_nearest(rho20, 2) * (1.0 + amplitude * np.clip(noise, -2.5, 2.5))


def environment_reflectance(rho20: np.ndarray, range_m: float = ADJACENCY_RANGE_M) -> np.ndarray:
    """Surface reflectance averaged within ``range_m`` (box of 2 range + 60 m), on the 20 m grid (at 60 m)."""
    n = rho20.shape[0] - rho20.shape[0] % 3
    coarse = block_mean(rho20[:n, :n], 3) if n >= 3 else rho20
    size = 2 * int(round(range_m / 60.0)) + 1
    smooth = ndimage.uniform_filter(coarse, size=size, mode="reflect")
    env = upsample_nearest(smooth, 3) if n >= 3 else smooth
    if env.shape != rho20.shape:
        env = np.pad(env, ((0, rho20.shape[0] - env.shape[0]), (0, rho20.shape[1] - env.shape[1])), mode="edge")
    return env


@dataclass(frozen=True)
class Geometry:
    """Per-pixel angles (deg) on the grid being simulated."""

    sun_zenith: np.ndarray
    sun_azimuth: np.ndarray
    view_zenith: np.ndarray
    view_azimuth: np.ndarray

    @property
    def relative_azimuth(self) -> np.ndarray:
        d = np.abs(self.sun_azimuth - self.view_azimuth) % 360.0
        return np.where(d > 180.0, 360.0 - d, d)


def toa_reflectance(atmosphere: Atmosphere, band: str, rho: np.ndarray, rho_env: np.ndarray,
                    geometry: Geometry, dem_m, aot550, wv_sea_level_cm, cloud_fraction, cloud_top_m,
                    cloud_shadow, cast_shadow, cos_incidence, sky_view, cirrus_b10, brightness
                    ) -> tuple[np.ndarray, np.ndarray]:
    """TOA reflectance of ``band`` and its derivative d(TOA)/d(rho) (same grid, float32)."""
    b = BAND_IDS.index(band)
    sz, vz, raa = geometry.sun_zenith, geometry.view_zenith, geometry.relative_azimuth
    z_km = dem_m / 1000.0
    wv_surface = wv_sea_level_cm * np.exp(-z_km / WV_SCALE_HEIGHT_KM)
    o = atmosphere.optics(band, sz, vz, raa, z_km, aot550, wv_surface)
    mu_s = np.cos(np.deg2rad(sz))
    direct = np.maximum(cos_incidence, 0.0) / mu_s * (1.0 - cast_shadow) * (1.0 - cloud_shadow)
    # diffuse sky (Hay): the circumsolar part, fraction k = beam transmittance, arrives like the beam;
    # the isotropic rest through the sky-view factor.  Flat and sunlit: t_down_dir + t_down_dif.
    k = o.t_down_dir
    t_down = o.t_down_dir * direct + o.t_down_dif * (k * direct + (1.0 - k) * sky_view)
    # terrain-reflected irradiance: the surroundings (rho_env, lit like flat ground) fill the part of the
    # hemisphere the sky does not (first order)
    t_down = t_down + (o.t_down_dir + o.t_down_dif) * (1.0 - sky_view) * rho_env
    denom = 1.0 - o.spherical_albedo * rho_env
    gain = o.gas_transmittance * t_down * o.t_up_dir / denom
    surf = o.path_reflectance + gain * rho + o.gas_transmittance * t_down * o.t_up_dif * rho_env / denom
    toa = surf
    cloudy = cloud_fraction > 0
    if np.any(cloudy):
        f = cloud_fraction[cloudy]
        h_km = cloud_top_m[cloudy] / 1000.0
        oc = atmosphere.optics(band, sz[cloudy], vz[cloudy], raa[cloudy], h_km,
                               aot550[cloudy] * np.exp(-h_km / AEROSOL_SCALE_HEIGHT_KM),
                               wv_sea_level_cm[cloudy] * np.exp(-h_km / WV_SCALE_HEIGHT_KM))
        rho_c = CLOUD_SPECTRUM[b] * brightness[cloudy]
        cloud = oc.path_reflectance + oc.gas_transmittance * (oc.t_down_dir + oc.t_down_dif) * (
            oc.t_up_dir + oc.t_up_dif) * rho_c / (1.0 - oc.spherical_albedo * rho_c)
        toa = toa.copy()
        toa[cloudy] = (1.0 - f) * surf[cloudy] + f * cloud
        gain = gain.copy()
        gain[cloudy] *= 1.0 - f
    toa = toa + cirrus_b10 * CIRRUS_RELATIVE[b]
    return toa.astype(np.float32), gain.astype(np.float32)


def quantise(toa: np.ndarray, nodata: np.ndarray | None = None, saturated: np.ndarray | None = None) -> np.ndarray:
    """L1C digital numbers: DN = TOA * 10000 - RADIO_ADD_OFFSET, 0 = no data, 65535 = saturated."""
    dn = np.rint(toa * QUANTIFICATION_VALUE - RADIO_ADD_OFFSET)
    dn = np.clip(dn, 1, SATURATED_DN - 1).astype(np.uint16)
    if saturated is not None:
        dn[saturated] = SATURATED_DN
    if nodata is not None:
        dn[nodata] = NODATA_DN
    return dn


def dn_to_reflectance(dn: np.ndarray) -> np.ndarray:
    """Inverse of :func:`quantise` for valid pixels."""
    return (dn.astype(np.float32) + RADIO_ADD_OFFSET) / QUANTIFICATION_VALUE
