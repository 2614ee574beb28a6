"""Atmosphere backed by the project's radiative-transfer LUTs (sen2cor.rtm.lut), for the forward model.

Only the table lookup is shared with the atmospheric correction; the forward equations stay in
:mod:`sen2cor.testing.forward`. Geometry is taken per call as the mean of the given angles (the
generator calls per block of rows, over which angles vary by < 0.1 deg); elevation, AOT and water
vapour are per pixel. The LUT transmittances include gas absorption, so ``gas_transmittance`` is 1.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sen2cor.rtm.srf import BandResponse
from sen2cor.testing.atmosphere import AEROSOLS, AnalyticAtmosphere, Atmosphere, AtmosphericOptics
from sen2cor.testing.scene import WV_SCALE_HEIGHT_KM

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LutAtmosphere:
    tables: tuple                # sen2cor.rtm.lut.LutTable objects; the first holding a band is used
    name: str

    @classmethod
    def load(cls, spacecraft: str, aerosol: str = "rural", ozone_cm_atm: float = 0.33, season: str = "summer",
             source: str = "auto", atm_dir: Path | None = None, srf=None) -> "LutAtmosphere":
        """Load the packaged tables of ``source`` (:func:`sen2cor.rtm.sources.load_lut`: "auto" = the processor's
        default for ``spacecraft``, "sen2cor", "6s-corrected", "6s"; the 6S ones integrated with ``srf``, the
        product's spectral responses) or Sen2Cor's .atm files of a folder (``source="atm"``, ``atm_dir``)."""
        from sen2cor.rtm.sources import load_lut, resolve_source
        from sen2cor.errors import LutError
        ozone = ozone_cm_atm * 1000.0
        try:
            if source == "atm":        # Sen2Cor keeps B08 in its 10 m folder only
                tables = [load_lut(spacecraft, season, aerosol, ozone, source="atm", atm_dir=atm_dir,
                                   resolution=folder) for folder in ("20_60", "10")]
            else:
                tables = [load_lut(spacecraft, season, aerosol, ozone, source=source, srf=srf, resolution="all")]
            kind = source if source == "atm" else resolve_source(spacecraft, source)
        except LutError as exc:
            raise ValueError(str(exc)) from exc
        return cls(tuple(tables), f"lut-{kind}-{spacecraft}-{season}-{aerosol}")

    @property
    def water_vapour_range_cm(self) -> tuple[float, float]:
        """Sea-level water-vapour columns (cm) the tables cover; the forward model clips to them."""
        axis = np.asarray(self.tables[0].water_vapour_cm, dtype=np.float64)
        return float(axis.min()), float(axis.max())

    def _table(self, band: str):
        for table in self.tables:
            if band in table.bands:
                return table
        raise KeyError(f"band {band} not in the LUTs ({', '.join(self.tables[0].bands)})")

    def optics(self, band, sun_zenith_deg, view_zenith_deg, relative_azimuth_deg, elevation_km, aot550,
               wv_cm) -> AtmosphericOptics:
        lut = self._table(band)
        z = np.clip(np.asarray(elevation_km, dtype=np.float64), 0.0, 3.5)
        # the LUT's water-vapour axis is the sea-level column; ours is the column above the target
        wv_sea_level = np.asarray(wv_cm, dtype=np.float64) * np.exp(z / WV_SCALE_HEIGHT_KM)
        lo, hi = float(np.min(lut.water_vapour_cm)), float(np.max(lut.water_vapour_cm))
        f = lut.interpolate(float(np.mean(sun_zenith_deg)), float(np.mean(view_zenith_deg)),
                                 float(np.mean(relative_azimuth_deg)), z, None, np.clip(wv_sea_level, lo, hi),
                                 aot550=np.asarray(aot550, dtype=np.float64), bands=(band,))
        shape = np.broadcast(z, np.asarray(aot550)).shape
        pick = lambda a: np.broadcast_to(np.asarray(a)[0], shape).astype(np.float32)  # noqa: E731
        return AtmosphericOptics(pick(f.path_reflectance), pick(f.t_down_dir), pick(f.t_down_dif),
                                 pick(f.t_up_dir), pick(f.t_up_dif), pick(f.spherical_albedo),
                                 np.ones(shape, dtype=np.float32))


def default_atmosphere(band_centres_nm: dict[str, float], spacecraft: str, source: str = "auto",
                       aerosol: str = "rural", ozone_cm_atm: float = 0.33, season: str = "summer",
                       atm_dir=None, tables: str = "auto", band_info=None) -> Atmosphere:
    """The generator's atmosphere: ``"auto"`` the packaged LUTs when usable else analytic; ``"lut"`` LUTs or
    error; ``"analytic"`` the fallback. LUTs: Sen2Cor's own .atm files when ``atm_dir`` is given, else the
    packaged ``tables`` ("auto": what the processor uses for ``spacecraft``: Sen2Cor's for S2A/S2B, the
    corrected 6S ones otherwise), 6S ones integrated with the SRFs of ``band_info`` (the product's)."""
    if source in ("auto", "lut"):
        srf = None if band_info is None else {
            b: BandResponse(np.arange(i.min_nm, i.max_nm + 1, dtype=np.float64), i.spectral_response())
            for b, i in band_info.items()}
        try:
            return LutAtmosphere.load(spacecraft, aerosol=aerosol, ozone_cm_atm=ozone_cm_atm, season=season,
                                      source="atm" if atm_dir else tables, atm_dir=atm_dir, srf=srf)
        except (ImportError, OSError, ValueError, KeyError) as exc:
            if source == "lut":
                raise
            log.info("radiative-transfer LUTs not usable (%s); using the analytic fallback atmosphere", exc)
    if aerosol not in AEROSOLS:
        raise ValueError(f"aerosol type {aerosol!r} unknown; expected one of {', '.join(AEROSOLS)}")
    return AnalyticAtmosphere(band_centres_nm, aerosol=aerosol, ozone_cm_atm=ozone_cm_atm)
