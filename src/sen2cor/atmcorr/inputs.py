"""What the atmospheric correction of one resolution takes and gives: the staged scene, the 10 m prior, the
result, the output sink, and the background albedo of a table (shared by ``driver`` and ``step2``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sen2cor.atmcorr import terrain
from sen2cor.atmcorr.rtables import AtmosphereTable
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.atmcorr.surface import ATM_REFERENCE_ALBEDO

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
    sky_view: np.ndarray | None = None  # V_sky from slope_deg precomputed (any object sliced [rows, cols]); optional
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



def reference_albedo(lut: AtmosphereTable) -> float:
    """Background albedo Sen2Cor assumes inside its tables (the (rho_bar - 0.15) S of facts B.11): 0.15 for every
    table source, as Sen2Cor (its own tables are black-background like the 6S ones, docs/atmcorr.md; a
    different value only through AcSettings.reference_albedo, e.g. for a physically consistent check)."""
    return ATM_REFERENCE_ALBEDO


def elevation_km(scene: SceneInputs, settings: AcSettings) -> float | np.ndarray:
    """Ground elevation in km: the DEM clipped to the tables' 0-3.5 km, or the flat Altitude of the GIPP."""
    if scene.elevation_m is None:
        return float(settings.altitude_km)
    z = np.asarray(scene.elevation_m, dtype=np.float32) / np.float32(1000.0)
    return np.clip(z, 0.0, 3.5, out=z)


def rugged_terrain(scene: SceneInputs, settings: AcSettings) -> bool:
    """Whether the terrain correction runs: slope and aspect (or hillshade) staged, DEM_Terrain_Correction on,
    and the terrain not quasi-flat (facts B.5)."""
    if scene.elevation_m is None or scene.slope_deg is None:
        return False
    if scene.aspect_deg is None and scene.hillshade is None:
        return False
    if not settings.dem_terrain_correction:
        return False
    flat = terrain.is_quasi_flat(
        scene.elevation_m,
        scene.slope_deg,
        settings.dem_p2p_val_m,
        settings.slope_th,
        settings.topo_corr_th,
        slope_transform=np.deg2rad,
    )
    return not flat
