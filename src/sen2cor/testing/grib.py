"""GRIB edition 1 writer for the L1C AUX_DATA files AUX_ECMWFT and AUX_CAMSFO.

Messages mirror the real files (9 x 9 regular lat/lon grid over the tile, ECMWF centre 98,
16-bit simple packing, ECMWF local definition 1, forecast step in minutes since 00 UTC).
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

G0 = 9.80665                    # m s-2, geopotential = G0 * height
DOBSON_KG_M2 = 2.1415e-5        # kg m-2 of ozone per Dobson unit


@dataclass(frozen=True)
class LatLonGrid:
    """Regular grid, first point north-west, rows north -> south (deg)."""

    lat_first: float
    lon_first: float
    lat_last: float
    lon_last: float
    ni: int = 9
    nj: int = 9

    def nodes(self) -> tuple[np.ndarray, np.ndarray]:
        """Longitude and latitude of the nodes, shape (nj, ni)."""
        lon = np.linspace(self.lon_first, self.lon_last, self.ni)
        lat = np.linspace(self.lat_first, self.lat_last, self.nj)
        return np.meshgrid(lon, lat)


@dataclass(frozen=True)
class GribField:
    table: int          # parameter table version (128 ECMWF, 210 CAMS aerosol)
    param: int
    values: np.ndarray  # (nj, ni), rows north -> south
    level_type: int = 1  # 1 surface, 100 isobaric


#: AUX_ECMWFT content: tcwv (kg m-2), msl (Pa), tco3 (kg m-2), 10u, 10v (m s-1), r (%).
ECMWFT_PARAMS = (("tcwv", 128, 137, 1), ("msl", 128, 151, 1), ("tco3", 128, 206, 1), ("u10", 128, 165, 1),
                 ("v10", 128, 166, 1), ("r", 128, 157, 100))
#: AUX_CAMSFO content in manual Table 2-3 order: z, aod469, aod550, aod670, aod865, aod1240, bcaod550,
#: duaod550, omaod550, ssaod550, suaod550.
CAMSFO_PARAMS = (("z", 128, 129, 1), ("aod469", 210, 213, 1), ("aod550", 210, 207, 1), ("aod670", 210, 214, 1),
                 ("aod865", 210, 215, 1), ("aod1240", 210, 216, 1), ("bcaod550", 210, 211, 1),
                 ("duaod550", 210, 209, 100), ("omaod550", 210, 210, 1), ("ssaod550", 210, 208, 1),
                 ("suaod550", 210, 212, 1))


def ibm_float(x: float, round_down: bool = True) -> int:
    """IBM single-precision encoding of ``x``; rounded towards -inf when ``round_down``."""
    if x == 0:
        return 0
    sign = 0x80000000 if x < 0 else 0
    a = abs(x)
    e = math.floor(math.log(a, 16)) + 1
    mant = a / 16.0 ** e
    m = math.ceil(mant * 2 ** 24) if (x < 0) == round_down else math.floor(mant * 2 ** 24)
    while m >= 2 ** 24:
        m >>= 4
        e += 1
    while m < 2 ** 20 and m:
        m <<= 4
        e -= 1
    return sign | ((e + 64) << 24) | m


def ibm_to_float(v: int) -> float:
    sign = -1.0 if v & 0x80000000 else 1.0
    return sign * (v & 0xFFFFFF) / 2 ** 24 * 16.0 ** (((v >> 24) & 0x7F) - 64)


def _signed(value: int, nbytes: int) -> bytes:
    """GRIB1 sign-and-magnitude integer."""
    mag = abs(int(value))
    if value < 0:
        mag |= 1 << (8 * nbytes - 1)
    return mag.to_bytes(nbytes, "big")


def grib1_message(field: GribField, grid: LatLonGrid, ref_time: datetime, step_minutes: int, bits: int = 16) -> bytes:
    """One GRIB1 message: 52-byte PDS with ECMWF local definition 1, lat/lon GDS, simple-packed BDS."""
    year = ref_time.year
    century = (year - 1) // 100 + 1
    yy = year - (century - 1) * 100
    pds = bytes([field.table, 98, 128, 255, 0x80, field.param, field.level_type]) + (0).to_bytes(2, "big")
    pds += bytes([yy, ref_time.month, ref_time.day, ref_time.hour, ref_time.minute, 0])
    pds += int(step_minutes).to_bytes(2, "big") + bytes([10]) + (0).to_bytes(2, "big") + bytes([0, century, 0])
    pds += _signed(0, 2) + bytes(12) + bytes.fromhex("010e09040130303031000000")
    pds = (3 + len(pds)).to_bytes(3, "big") + pds

    def mdeg(v: float, n: int = 3) -> bytes:
        return _signed(int(round(v * 1000)), n)

    di = abs(grid.lon_last - grid.lon_first) / (grid.ni - 1)
    dj = abs(grid.lat_first - grid.lat_last) / (grid.nj - 1)
    gds = bytes([0, 255, 0]) + grid.ni.to_bytes(2, "big") + grid.nj.to_bytes(2, "big")
    gds += mdeg(grid.lat_first) + mdeg(grid.lon_first) + bytes([0x80]) + mdeg(grid.lat_last) + mdeg(grid.lon_last)
    gds += mdeg(di, 2) + mdeg(dj, 2) + bytes([0]) + bytes(4)
    gds = (3 + len(gds)).to_bytes(3, "big") + gds

    vals = np.asarray(field.values, dtype=np.float64).ravel()
    ref_code = ibm_float(float(vals.min()))
    ref = ibm_to_float(ref_code)
    span = float(vals.max()) - ref
    e = 0 if span <= 0 else math.ceil(math.log2(span / (2 ** bits - 1)))
    packed = np.clip(np.rint((vals - ref) / 2.0 ** e), 0, 2 ** bits - 1).astype(">u2")
    data = packed.tobytes()
    length = 11 + len(data)
    unused = 0
    if length % 2:
        data += b"\x00"
        length += 1
        unused = 8
    bds = length.to_bytes(3, "big") + bytes([unused]) + _signed(e, 2) + struct.pack(">I", ref_code) + bytes([bits])
    bds += data
    body = pds + gds + bds + b"7777"
    return b"GRIB" + (8 + len(body)).to_bytes(3, "big") + bytes([1]) + body


def write_grib(path: Path, params: tuple, values: dict[str, np.ndarray], grid: LatLonGrid, ref_time: datetime,
               step_minutes: int) -> Path:
    """Write one message per ``params`` entry (name, table, param, level type) with ``values[name]``."""
    with open(path, "wb") as f:
        for name, table, param, level_type in params:
            f.write(grib1_message(GribField(table, param, values[name], level_type), grid, ref_time, step_minutes))
    return Path(path)


def camsfo_values(aot550: np.ndarray, elevation_m: np.ndarray, angstrom: float = 1.3) -> dict[str, np.ndarray]:
    """CAMS fields consistent with an AOT550 field and a terrain height (z in m2 s-2)."""
    out = {"z": G0 * elevation_m}
    for name, wl in (("aod469", 469), ("aod550", 550), ("aod670", 670), ("aod865", 865), ("aod1240", 1240)):
        out[name] = aot550 * (wl / 550.0) ** -angstrom
    for name, share in (("bcaod550", 0.03), ("duaod550", 0.10), ("omaod550", 0.25), ("ssaod550", 0.15),
                        ("suaod550", 0.47)):
        out[name] = share * aot550
    return out


def ecmwft_values(wv_cm: np.ndarray, ozone_du: float, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """ECMWF fields: total column water vapour (kg m-2 = 10 x cm), ozone, pressure, wind, humidity."""
    shape = wv_cm.shape
    return {
        "tcwv": 10.0 * wv_cm,
        "msl": 101300.0 + 150.0 * rng.standard_normal(shape),
        "tco3": np.full(shape, ozone_du * DOBSON_KG_M2) * (1.0 + 0.005 * rng.standard_normal(shape)),
        "u10": 4.0 + rng.standard_normal(shape),
        "v10": 1.5 + rng.standard_normal(shape),
        "r": np.clip(75.0 + 5.0 * rng.standard_normal(shape), 0, 100),
    }
