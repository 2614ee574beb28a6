"""Names of the L2A product, its granule, datastrip and files (config facts §5.1, §5.3).

Pure string functions, no file access.  Every name is derived the way Sen2Cor 2.12 derives it from
the Level-1C input, e.g. ``S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from sen2cor.errors import ConfigError, ProductError

#: Toolbox default processing baseline (L2A_PB_GIPP Baseline_Version), product-name field N9999.
DEFAULT_BASELINE = "99.99"

_BASELINE_RE = re.compile(r"^\d{2}\.\d{2}$")
_TIME_RE = r"\d{8}T\d{6}"
_L2A_NAME_RE = re.compile(
    rf"^(?P<spacecraft>S2[A-D])_MSIL2A_(?P<sensing>{_TIME_RE})_N(?P<baseline>\d{{4}})_R(?P<orbit>\d{{3}})"
    rf"_T(?P<tile>\d{{2}}[A-Z]{{3}})_(?P<generation>{_TIME_RE})(?P<safe>\.SAFE)?$"
)
_L1C_NAME_RE = re.compile(
    rf"^(?P<spacecraft>S2[A-D])_MSIL1C_(?P<sensing>{_TIME_RE})_N(?P<baseline>\d{{4}})_R(?P<orbit>\d{{3}})"
    rf"_T(?P<tile>\d{{2}}[A-Z]{{3}})_(?P<generation>{_TIME_RE})(?P<safe>\.SAFE)?$"
)
_DS_FOLDER_RE = re.compile(rf"^DS_(?P<centre>.{{4}})_(?P<generation>{_TIME_RE})_S(?P<sensing>{_TIME_RE})$")
_GRANULE_RE = re.compile(
    rf"^L[12][AC]_T(?P<tile>\d{{2}}[A-Z]{{3}})_A(?P<orbit>\d{{6}})_(?P<start>{_TIME_RE})$"
)
_CENTRE_RE = re.compile(r"^[A-Z0-9_]{4}$")


def check_baseline(baseline: str) -> str:
    """Return ``baseline`` if it has Sen2Cor's ``dd.dd`` form (e.g. "05.11"), else raise ConfigError."""
    if not isinstance(baseline, str) or not _BASELINE_RE.match(baseline):
        raise ConfigError(
            f"processing baseline {baseline!r} is invalid; expected the form dd.dd, e.g. '05.11' or '99.99'"
        )
    return baseline


def baseline_field(baseline: str) -> str:
    """Product-name field of a baseline: "05.11" -> "N0511", "99.99" -> "N9999"."""
    return "N" + check_baseline(baseline).replace(".", "")


def baseline_long(baseline: str) -> str:
    """Suffix of the long PDGS identifiers: "05.11" -> "N05.11"."""
    return "N" + check_baseline(baseline)


def compact_time(moment: datetime) -> str:
    """``YYYYMMDDTHHMMSS`` in UTC (fractions dropped), as in every SAFE name."""
    return _utc(moment).strftime("%Y%m%dT%H%M%S")


def xml_time(moment: datetime, decimals: int = 6) -> str:
    """ISO time with ``decimals`` fraction digits and ``Z``: 2022-10-05T16:44:54.000000Z (6), .000Z (3)."""
    utc = _utc(moment)
    frac = f"{utc.microsecond:06d}"[:decimals]
    return utc.strftime("%Y-%m-%dT%H:%M:%S") + (f".{frac}" if decimals else "") + "Z"


def parse_compact_time(text: str) -> datetime:
    """Inverse of :func:`compact_time` (UTC-aware)."""
    return datetime.strptime(text, "%Y%m%dT%H%M%S").replace(tzinfo=UTC)


def product_name(
    spacecraft: str,
    datatake_start: datetime,
    baseline: str,
    relative_orbit: int,
    tile_id: str,
    generation_time: datetime,
) -> str:
    """``S2A_MSIL2A_<datatake start>_N<baseline>_R<orbit>_T<tile>_<generation>.SAFE``."""
    return (
        f"{spacecraft}_MSIL2A_{compact_time(datatake_start)}_{baseline_field(baseline)}"
        f"_R{relative_orbit:03d}_T{tile_id}_{compact_time(generation_time)}.SAFE"
    )


def granule_name(tile_id: str, absolute_orbit: int, granule_start: datetime) -> str:
    """Granule folder ``L2A_T29UNU_A038058_20221005T115407`` (start = datastrip sensing start)."""
    return f"L2A_T{tile_id}_A{absolute_orbit:06d}_{compact_time(granule_start)}"


def datastrip_name(centre: str, generation_time: datetime, datastrip_start: datetime) -> str:
    """Datastrip folder ``DS_ATOS_20221005T164454_S20221005T115407`` (centre is 4 characters, "SGS_")."""
    return f"DS_{check_centre(centre)}_{compact_time(generation_time)}_S{compact_time(datastrip_start)}"


def tile_identifier(
    spacecraft: str, centre: str, generation_time: datetime, absolute_orbit: int, tile_id: str, baseline: str
) -> str:
    """Long tile id ``S2A_OPER_MSI_L2A_TL_ATOS_20221005T164454_A038058_T29UNU_N04.00``."""
    return (
        f"{spacecraft}_OPER_MSI_L2A_TL_{check_centre(centre)}_{compact_time(generation_time)}"
        f"_A{absolute_orbit:06d}_T{tile_id}_{baseline_long(baseline)}"
    )


def datastrip_identifier(
    spacecraft: str, centre: str, generation_time: datetime, datastrip_start: datetime, baseline: str
) -> str:
    """Long datastrip id ``S2A_OPER_MSI_L2A_DS_ATOS_20221005T164454_S20221005T115407_N04.00``."""
    return (
        f"{spacecraft}_OPER_MSI_L2A_DS_{check_centre(centre)}_{compact_time(generation_time)}"
        f"_S{compact_time(datastrip_start)}_{baseline_long(baseline)}"
    )


def datatake_identifier(spacecraft: str, datatake_start: datetime, absolute_orbit: int, baseline: str) -> str:
    """``GS2A_20221005T115411_038058_N04.00`` (the Datatake@datatakeIdentifier)."""
    return f"G{spacecraft}_{compact_time(datatake_start)}_{absolute_orbit:06d}_{baseline_long(baseline)}"


def image_stem(tile_id: str, datatake_start: datetime, layer: str, resolution_m: int) -> str:
    """``T29UNU_20221005T115411_B02_10m`` for a band, AOT, WVP, SCL or TCI layer (no extension)."""
    return f"T{tile_id}_{compact_time(datatake_start)}_{layer}_{resolution_m}m"


def pvi_stem(tile_id: str, datatake_start: datetime) -> str:
    """Preview image ``T29UNU_20221005T115411_PVI`` (no extension)."""
    return f"T{tile_id}_{compact_time(datatake_start)}_PVI"


def check_centre(centre: str) -> str:
    """A 4-character processing / archiving centre code ("ATOS", "SGS_", "2BPS")."""
    if not isinstance(centre, str) or not _CENTRE_RE.match(centre):
        raise ConfigError(
            f"processing/archiving centre {centre!r} is invalid; expected 4 characters of A-Z, 0-9 or _"
        )
    return centre


@dataclass(frozen=True)
class SafeName:
    """Fields of a compact L1C or L2A product name."""

    spacecraft: str
    level: str  # "L1C" | "L2A"
    datatake_start: datetime
    baseline_field: str  # "N0400"
    relative_orbit: int
    tile_id: str
    generation_time: datetime

    @property
    def acquisition_key(self) -> tuple[str, datetime, int, str]:
        """What identifies the acquisition independently of level, baseline and generation."""
        return (self.spacecraft, self.datatake_start, self.relative_orbit, self.tile_id)


def parse_safe_name(name: str) -> SafeName | None:
    """Fields of ``S2x_MSIL1C_...`` / ``S2x_MSIL2A_...`` names (with or without .SAFE), else None."""
    for level, regex in (("L2A", _L2A_NAME_RE), ("L1C", _L1C_NAME_RE)):
        match = regex.match(name)
        if match:
            return SafeName(
                match["spacecraft"],
                level,
                parse_compact_time(match["sensing"]),
                "N" + match["baseline"],
                int(match["orbit"]),
                match["tile"],
                parse_compact_time(match["generation"]),
            )
    return None


def parse_datastrip_folder(name: str) -> tuple[str, datetime, datetime]:
    """(centre, generation time, sensing start) of a compact datastrip folder ``DS_SGS__..._S...``."""
    match = _DS_FOLDER_RE.match(name)
    if not match:
        raise ProductError(
            f"datastrip folder {name!r} does not match DS_<centre>_<YYYYMMDDTHHMMSS>_S<YYYYMMDDTHHMMSS>"
        )
    return match["centre"], parse_compact_time(match["generation"]), parse_compact_time(match["sensing"])


def parse_granule_folder(name: str) -> tuple[str, int, datetime]:
    """(tile id, absolute orbit, start time) of a granule folder ``L1C_T31TDH_A013204_20180101T105435``."""
    match = _GRANULE_RE.match(name)
    if not match:
        raise ProductError(f"granule folder {name!r} does not match L1C_T<tile>_A<orbit>_<YYYYMMDDTHHMMSS>")
    return match["tile"], int(match["orbit"]), parse_compact_time(match["start"])


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
