"""AUX_DATA GRIB files of the L1C tile (AUX_ECMWFT, AUX_CAMSFO) through GDAL's GRIB driver.

Both are GRIB edition 1 on a small regular lat/lon grid over the tile (9 x 9 nodes in the real products).
What the real files carry (GDAL 3.6 element -> name used here, unit):

AUX_ECMWFT (ECMWF table 128): PWC -> ``tcwv`` (total column water vapour, kg m-2), MSL -> ``msl`` (Pa),
TCO3 -> ``tco3`` (total column ozone, kg m-2; 300 DU = 6.428e-3 kg m-2), 10U/10V -> ``u10``/``v10`` (m s-1),
R -> ``r`` (relative humidity, %). Older products (baseline 02.xx) carry only tcwv, msl, tco3.

AUX_CAMSFO (ECMWF local table 210, which GDAL does not name; it reports ``var<N> of table 210``):
Z -> ``z`` (surface geopotential, m2 s-2), 207 ``aod550``, 208 ``ssaod550``, 209 ``duaod550``,
210 ``omaod550``,
211 ``bcaod550``, 212 ``suaod550``, 213 ``aod469``, 214 ``aod670``, 215 ``aod865``, 216 ``aod1240``
(aerosol optical depths, unitless).

Nothing is written next to the input: GDAL's .aux.xml side-car (PAM) is disabled while reading.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from osgeo import gdal

from sen2cor.errors import ProductReadError

log = logging.getLogger(__name__)

#: GDAL GRIB_ELEMENT -> (name, long name) for ECMWF table 128 fields.
_ELEMENTS = {
    "PWC": ("tcwv", "total column water vapour"),
    "MSL": ("msl", "mean sea level pressure"),
    "TCO3": ("tco3", "total column ozone"),
    "10U": ("u10", "10 metre U wind component"),
    "10V": ("v10", "10 metre V wind component"),
    "R": ("r", "relative humidity"),
    "Z": ("z", "geopotential (surface: orography)"),
}

#: ECMWF GRIB1 local table 210 (CAMS/MACC aerosol) parameter -> (name, long name); all unitless.
_TABLE_210 = {
    207: ("aod550", "total aerosol optical depth at 550 nm"),
    208: ("ssaod550", "sea salt aerosol optical depth at 550 nm"),
    209: ("duaod550", "dust aerosol optical depth at 550 nm"),
    210: ("omaod550", "organic matter aerosol optical depth at 550 nm"),
    211: ("bcaod550", "black carbon aerosol optical depth at 550 nm"),
    212: ("suaod550", "sulphate aerosol optical depth at 550 nm"),
    213: ("aod469", "total aerosol optical depth at 469 nm"),
    214: ("aod670", "total aerosol optical depth at 670 nm"),
    215: ("aod865", "total aerosol optical depth at 865 nm"),
    216: ("aod1240", "total aerosol optical depth at 1240 nm"),
}

#: GDAL unit strings -> CF-style units.
_UNITS = {
    "[kg/m^2]": "kg m-2",
    "[Pa]": "Pa",
    "[m/s]": "m s-1",
    "[%]": "%",
    "[m^2/s^2]": "m2 s-2",
    "[-]": "1",
    "[K]": "K",
}

_LOCAL_PARAM = re.compile(r"var(\d+) of table (\d+)")
_FIRST_INT = re.compile(r"-?\d+")


@dataclass(frozen=True)
class GribField:
    """One GRIB message as a 2-D array on a regular lat/lon grid.

    ``geotransform`` is GDAL-ordered in degrees (origin = upper-left corner of the first cell);
    ``values`` is float64 in ``units`` and read-only.
    """

    name: str
    long_name: str
    units: str
    values: np.ndarray
    geotransform: tuple[float, float, float, float, float, float]
    valid_time: datetime
    reference_time: datetime
    level: str
    grib_element: str
    band_index: int


def _utc(text: str | None) -> datetime:
    match = _FIRST_INT.search(text or "")
    seconds = int(match.group()) if match else 0
    return datetime.fromtimestamp(seconds, tz=UTC)


def _identify(element: str, comment: str) -> tuple[str, str]:
    if element in _ELEMENTS:
        return _ELEMENTS[element]
    match = _LOCAL_PARAM.search(element)
    if match and int(match.group(2)) == 210 and int(match.group(1)) in _TABLE_210:
        return _TABLE_210[int(match.group(1))]
    name = re.sub(r"[^0-9a-z]+", "_", element.lower()).strip("_") or "field"
    return name, comment or element


def _open(path: Path) -> gdal.Dataset:
    if not path.is_file():
        raise ProductReadError(f"{path}: GRIB file is missing")
    gdal.PushErrorHandler("CPLQuietErrorHandler")  # GRIB1 local tables trigger noisy warnings
    try:
        dataset = gdal.OpenEx(str(path), gdal.OF_RASTER | gdal.OF_READONLY, allowed_drivers=["GRIB"])
        message = gdal.GetLastErrorMsg()
    except RuntimeError as exc:  # when some caller enabled gdal.UseExceptions()
        dataset, message = None, str(exc)
    finally:
        gdal.PopErrorHandler()
    if dataset is None or dataset.RasterCount == 0:
        raise ProductReadError(
            f"{path}: not a readable GRIB file ({message or 'GDAL GRIB driver refused it'})"
        )
    return dataset


def read_grib(path: Path) -> dict[str, GribField]:
    """Read every message of a GRIB file into named :class:`GribField` objects.

    Names follow ECMWF short names (``tcwv``, ``msl``, ``tco3``, ``aod550`` ...); a repeated name gets the
    suffix ``_<band index>``.

    Raises
    ------
    ProductReadError
        When the file is missing or GDAL cannot read it as GRIB.
    """
    path = Path(path)
    previous = gdal.GetThreadLocalConfigOption("GDAL_PAM_ENABLED", None)
    gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", "NO")  # no .aux.xml beside the (read-only) input
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        return _read_fields(path)
    finally:
        gdal.PopErrorHandler()
        gdal.SetThreadLocalConfigOption("GDAL_PAM_ENABLED", previous)


def _read_fields(path: Path) -> dict[str, GribField]:
    dataset = _open(path)
    geotransform = tuple(float(v) for v in dataset.GetGeoTransform())
    fields: dict[str, GribField] = {}
    try:
        for index in range(1, dataset.RasterCount + 1):
            band = dataset.GetRasterBand(index)
            meta = band.GetMetadata()
            element = meta.get("GRIB_ELEMENT", "")
            comment = re.sub(r"\s*\[.*\]$", "", meta.get("GRIB_COMMENT", ""))
            name, long_name = _identify(element, comment)
            try:
                values = band.ReadAsArray()
            except RuntimeError:
                values = None
            if values is None:
                raise ProductReadError(f"{path}: GRIB message {index} ({element}) cannot be decoded")
            values = values.astype(np.float64)
            values.setflags(write=False)
            if name in fields:
                name = f"{name}_{index}"
            fields[name] = GribField(
                name=name,
                long_name=long_name,
                units=_UNITS.get(meta.get("GRIB_UNIT", ""), meta.get("GRIB_UNIT", "").strip("[]")),
                values=values,
                geotransform=geotransform,
                valid_time=_utc(meta.get("GRIB_VALID_TIME")),
                reference_time=_utc(meta.get("GRIB_REF_TIME")),
                level=band.GetDescription(),
                grib_element=element,
                band_index=index,
            )
    finally:
        dataset = None  # close while PAM is still disabled
    log.debug("%s: GRIB fields %s", path, ", ".join(fields))
    return fields


def read_cams(path: Path | None, aux_dir: Path, *, expected: bool = True) -> dict[str, GribField]:
    """The AUX_CAMSFO fields for the AOT retrieval, or {} with a warning naming the file and the cause.

    Without usable CAMS ``aod550`` the AOT retrieval falls back to the GIPP's start visibility wherever
    dark dense vegetation is missing (method DEFAULT in L2A_QUALITY.xml), so a missing, unreadable or
    wrong file is reported (WARNING when ``expected``, i.e. for L1C baselines that carry CAMS, else INFO)
    instead of being silently ignored. A damaged CAMS file never stops the run.
    """
    level = logging.WARNING if expected else logging.INFO
    fallback = "the AOT retrieval uses the default visibility where no dark dense vegetation is found"
    if path is None:
        log.log(level, "%s: no AUX_CAMSFO file; CAMS not used: %s", aux_dir, fallback)
        return {}
    try:
        fields = read_grib(path)
    except ProductReadError as exc:
        log.warning("%s; CAMS not used: %s", exc, fallback)
        return {}
    aod = fields.get("aod550")
    if aod is None:
        log.warning("%s: AUX_CAMSFO holds no aod550 field (found: %s); CAMS not used: %s", path,
                    ", ".join(fields) or "none", fallback)
        return {}
    if not (np.isfinite(aod.values).all() and (aod.values >= 0).all()):
        log.warning("%s: aod550 holds values outside [0, inf) (minimum %r); CAMS not used: %s", path,
                    float(np.nanmin(aod.values)) if np.isfinite(aod.values).any() else float("nan"), fallback)
        return {}
    return fields
