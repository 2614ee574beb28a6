"""Identity of a generated L1C product: times, orbits, baseline, and every name derived from them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

#: Orbits per repeat cycle and cycle length (sun-synchronous, 10 days).
ORBITS_PER_CYCLE = 143
ORBIT_PERIOD_S = 10 * 86400.0 / ORBITS_PER_CYCLE
#: Reference (absolute orbit, UTC time) per spacecraft; S2A/S2B from real products, S2C extrapolated
#: from its 2024-09-05 launch (documented gap).
_ORBIT_REFERENCE = {
    "S2A": (44535, datetime(2024, 1, 1, 10, 24, 31, tzinfo=timezone.utc)),
    "S2B": (40188, datetime(2024, 11, 15, 10, 1, 59, tzinfo=timezone.utc)),
    "S2C": (2000, datetime(2025, 3, 1, 10, 30, 0, tzinfo=timezone.utc)),
}
#: Absolute orbit offsets so that relative = (absolute - offset) % 143 + 1 matches real products.
_RELATIVE_OFFSET = {"S2A": 141, "S2B": 27, "S2C": 0}
PROCESSING_CENTRE = {"S2A": "2APS", "S2B": "2BPS", "S2C": "2CPS"}
SPACECRAFT_NAME = {"S2A": "Sentinel-2A", "S2B": "Sentinel-2B", "S2C": "Sentinel-2C"}
NSSDC_ID = {"S2A": "2015-028A", "S2B": "2017-013A", "S2C": "2024-157A"}
#: PSD version (namespace) per processing baseline: 05.11 onwards is PSD 15.
PSD_FOR_BASELINE = {"05.09": "14", "05.10": "14", "05.11": "15"}


def _stamp(t: datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%S")


def iso_ms(t: datetime) -> str:
    """``2024-01-01T10:24:31.024Z`` (milliseconds)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def iso_us(t: datetime) -> str:
    """``2024-01-01T12:21:07.000000Z`` (microseconds)."""
    return t.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def orbits(spacecraft: str, when: datetime) -> tuple[int, int]:
    """Absolute and relative orbit numbers of ``spacecraft`` at ``when``."""
    ref_orbit, ref_time = _ORBIT_REFERENCE[spacecraft]
    absolute = ref_orbit + int(round((when - ref_time).total_seconds() / ORBIT_PERIOD_S))
    absolute = max(absolute, 1)
    relative = (absolute - _RELATIVE_OFFSET[spacecraft]) % ORBITS_PER_CYCLE + 1
    return absolute, relative


@dataclass(frozen=True)
class ProductIdentity:
    spacecraft: str               # "S2A" | "S2B" | "S2C"
    tile_id: str                  # "29UNU"
    tile_sensing: datetime        # SENSING_TIME of the tile
    generation_time: datetime     # GENERATION_TIME (product discriminator)
    baseline: str = "05.10"
    absolute_orbit: int = 0
    relative_orbit: int = 0
    datatake: datetime | None = None       # default: 3 min before the tile
    datastrip: datetime | None = None      # default: 12 s before the tile

    @property
    def datatake_start(self) -> datetime:
        """Start of the datatake (product name, image file prefix)."""
        return self.datatake or self.tile_sensing - timedelta(seconds=180)

    @property
    def datastrip_start(self) -> datetime:
        return self.datastrip or self.tile_sensing - timedelta(seconds=12)

    @property
    def psd(self) -> str:
        return PSD_FOR_BASELINE.get(self.baseline, "14")

    @property
    def centre(self) -> str:
        return PROCESSING_CENTRE[self.spacecraft]

    @property
    def n_baseline(self) -> str:
        return "N" + self.baseline.replace(".", "")

    @property
    def product_name(self) -> str:
        return (f"{self.spacecraft}_MSIL1C_{_stamp(self.datatake_start)}_{self.n_baseline}_R{self.relative_orbit:03d}"
                f"_T{self.tile_id}_{_stamp(self.generation_time)}")

    @property
    def granule_name(self) -> str:
        return f"L1C_T{self.tile_id}_A{self.absolute_orbit:06d}_{_stamp(self.datastrip_start)}"

    @property
    def datastrip_name(self) -> str:
        return f"DS_{self.centre}_{_stamp(self.generation_time)}_S{_stamp(self.datastrip_start)}"

    @property
    def tile_long_id(self) -> str:
        return (f"{self.spacecraft}_OPER_MSI_L1C_TL_{self.centre}_{_stamp(self.generation_time)}"
                f"_A{self.absolute_orbit:06d}_T{self.tile_id}_N{self.baseline}")

    @property
    def datastrip_long_id(self) -> str:
        return (f"{self.spacecraft}_OPER_MSI_L1C_DS_{self.centre}_{_stamp(self.generation_time)}"
                f"_S{_stamp(self.datastrip_start)}_N{self.baseline}")

    @property
    def datatake_id(self) -> str:
        return f"G{self.spacecraft}_{_stamp(self.datatake_start)}_{self.absolute_orbit:06d}_N{self.baseline}"

    @property
    def image_prefix(self) -> str:
        return f"T{self.tile_id}_{_stamp(self.datatake_start)}"

    def namespace(self, schema: str) -> str:
        """Namespace URI of a PSD schema, e.g. ``User_Product_Level-1C``."""
        return f"https://psd-{self.psd}.sentinel2.eo.esa.int/PSD/{schema}.xsd"
