"""LUT selection: atmosphere (Mid_Latitude), ozone (Ozone_Content) and aerosol type (Aerosol_Type).

Manual §2.2.3.2.1-§2.2.3.2.3, algorithm facts B.4.  The choices are returned as a
:class:`LutSelection` whose fields are written to the metadata / quality report.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

import numpy as np

from sen2cor.rtm import grid
from sen2cor.errors import ConfigError

log = logging.getLogger(__name__)

#: Ozone column used when Ozone_Content = 0 and the L1C has no usable AUX_ECMWFT (DU).
FALLBACK_OZONE_DU = 331.0
#: 300 DU correspond to 6.428e-3 kg m-2 of ozone (ECMWF tco3 unit).
KG_M2_PER_300_DU = 6.428e-3


@dataclass(frozen=True)
class LutSelection:
    """The LUT family used for a tile (values as written to the metadata)."""

    season: str  # "summer" | "winter"
    aerosol: str  # "rural" | "maritime"
    ozone_du: float  # the value the table was chosen for (GIPP or AUX_ECMWFT)
    ozone_letter: str  # letter of the nearest LUT ozone level
    ozone_source: str  # "GIPP" | "AUX_ECMWFT" | "DEFAULT"

    @property
    def table_ozone_du(self) -> int:
        """Ozone column of the chosen LUT level (DU)."""
        return grid.OZONE_DU[self.season][self.ozone_letter]

    def metadata(self) -> dict[str, object]:
        """Quality-report / metadata items of the selection (Sen2Cor spellings of the GIPP values)."""
        return {"AEROSOL_TYPE": self.aerosol.upper(), "MID_LATITUDE": self.season.upper(),
                "OZONE_VALUE": round(self.ozone_du, 2), "OZONE_SOURCE": self.ozone_source,
                "OZONE_LUT_VALUE": self.table_ozone_du}


def mid_latitude_season(setting: str, date: dt.date, latitude_deg: float) -> str:
    """ "summer"/"winter" from Mid_Latitude SUMMER/WINTER/AUTO (facts B.4).

    AUTO: |lat| < 30 -> summer; otherwise northern summer is day-of-year 91 (92 leap) up to
    273 (274 leap), i.e. 1 April - 30 September; the southern hemisphere is inverted.
    ``latitude_deg`` is truncated to an integer like Sen2Cor.
    """
    setting = setting.upper()
    if setting in ("SUMMER", "WINTER"):
        return setting.lower()
    if setting != "AUTO":
        raise ConfigError(f"Mid_Latitude = {setting!r}; allowed: SUMMER, WINTER, AUTO")
    lat = int(latitude_deg)
    if abs(lat) < 30:
        return "summer"
    northern_summer = dt.date(date.year, 4, 1) <= date < dt.date(date.year, 10, 1)
    return "summer" if northern_summer == (lat > 0) else "winter"


def ozone_from_ecmwf(tco3_kg_m2: np.ndarray | None) -> float | None:
    """Mean of the positive AUX_ECMWFT total-column-ozone values in DU, or None if there are none."""
    if tco3_kg_m2 is None:
        return None
    values = np.asarray(tco3_kg_m2, dtype=np.float64)
    positive = values[np.isfinite(values) & (values > 0)]
    if positive.size == 0:
        return None
    return float(positive.mean() * 300.0 / KG_M2_PER_300_DU)


def select_ozone(
    ozone_content_du: float, season: str, tco3_kg_m2: np.ndarray | None = None
) -> tuple[float, str, str]:
    """(ozone DU, nearest LUT letter, source) for GIPP Ozone_Content (0 = from AUX_ECMWFT tco3)."""
    if ozone_content_du:
        value, source = float(ozone_content_du), "GIPP"
    else:
        measured = ozone_from_ecmwf(tco3_kg_m2)
        if measured is None:
            log.warning("Ozone_Content = 0 but no AUX_ECMWFT ozone; using %s DU", FALLBACK_OZONE_DU)
            value, source = FALLBACK_OZONE_DU, "DEFAULT"
        else:
            value, source = measured, "AUX_ECMWFT"
    return value, grid.nearest_ozone_letter(value, season), source


def aerosol_double_ratio(
    lp_blue_scene: float, lp_red_scene: float, lp_blue_lut: float, lp_red_lut: float
) -> float:
    """D = (Lp_blue / Lp_red)_scene / (Lp_blue / Lp_red)_LUT (manual §2.2.3.2.2)."""
    return (lp_blue_scene / lp_red_scene) / (lp_blue_lut / lp_red_lut)


def choose_aerosol(setting: str, double_ratios: dict[str, float | None] | None = None) -> str:
    """ "rural"/"maritime" from Aerosol_Type; AUTO picks the type whose double ratio is closest to 1.

    ``double_ratios`` maps "rural"/"maritime" to D of the trial run (None: no DDV pixels /
    negative scene path radiance).  Without any usable ratio AUTO keeps RURAL.
    """
    setting = setting.upper()
    if setting in ("RURAL", "MARITIME"):
        return setting.lower()
    if setting != "AUTO":
        raise ConfigError(f"Aerosol_Type = {setting!r}; allowed: RURAL, MARITIME, AUTO")
    usable = {k: v for k, v in (double_ratios or {}).items() if v is not None and np.isfinite(v) and v > 0}
    if not usable:
        log.info("Aerosol_Type AUTO: no DDV double ratio available, keeping rural")
        return "rural"
    choice = min(usable, key=lambda k: abs(usable[k] - 1.0))
    log.info("Aerosol_Type AUTO: double ratios %s -> %s", usable, choice)
    return choice


def select_lut(
    aerosol_type: str,
    mid_latitude: str,
    ozone_content_du: float,
    date: dt.date,
    latitude_deg: float,
    tco3_kg_m2: np.ndarray | None = None,
    double_ratios: dict[str, float | None] | None = None,
) -> LutSelection:
    """All three choices at once (AUTO aerosol needs the trial ``double_ratios``)."""
    season = mid_latitude_season(mid_latitude, date, latitude_deg)
    ozone, letter, source = select_ozone(ozone_content_du, season, tco3_kg_m2)
    return LutSelection(season, choose_aerosol(aerosol_type, double_ratios), ozone, letter, source)
