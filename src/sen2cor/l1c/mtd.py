"""MTD_MSIL1C.xml (product metadata) -> frozen value objects.

Paths below are relative to the root ``n1:Level-1C_User_Product``; ``GI`` is ``General_Info``,
``PIC`` is ``General_Info/Product_Image_Characteristics``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.errors import ProductError, ProductReadError
from sen2cor.l1c import ranges, versions, xmlpath

log = logging.getLogger(__name__)

_PI = "General_Info/Product_Info"
_PIC = "General_Info/Product_Image_Characteristics"
_SPACECRAFTS = {"Sentinel-2A": "S2A", "Sentinel-2B": "S2B", "Sentinel-2C": "S2C"}
_IMAGE_BAND = re.compile(r"_(B\d[\dA])$|_(TCI)$")


@dataclass(frozen=True)
class Radiometry:
    """Radiometric constants of the L1C product (all per band, keys from ``BAND_IDS``).

    Attributes
    ----------
    quantification_value : DN per unit TOA reflectance (10000).
    add_offset : RADIO_ADD_OFFSET in DN (-1000 from baseline 04.00, 0 before); rho = (DN + offset) / Q.
    solar_irradiance : SOLAR_IRRADIANCE, W m-2 um-1.
    u : Earth-Sun distance correction factor U of Reflectance_Conversion (unitless).
    nodata_dn, saturated_dn : Special_Values NODATA (0) and SATURATED (65535), DN.
    physical_gains : PHYSICAL_GAINS per band (DN per W m-2 sr-1 um-1).
    """

    quantification_value: float
    add_offset: Mapping[str, int]
    solar_irradiance: Mapping[str, float]
    u: float
    nodata_dn: int
    saturated_dn: int
    physical_gains: Mapping[str, float]


@dataclass(frozen=True)
class SpectralResponse:
    """Relative spectral response of one band on its wavelength axis (nm, step STEP)."""

    wavelength_nm: np.ndarray
    response: np.ndarray
    central_nm: float
    resolution_m: int


@dataclass(frozen=True)
class GranuleRef:
    """One Granule of Product_Organisation/Granule_List."""

    datastrip_identifier: str
    granule_identifier: str
    image_format: str
    image_files: tuple[str, ...]  # relative to the product, without extension


@dataclass(frozen=True)
class ProductInfo:
    """General_Info/Product_Info and the remaining product-level facts."""

    product_uri: str
    product_type: str
    processing_level: str
    processing_baseline: str
    product_format: str | None
    product_doi: str | None
    product_start_time: datetime
    product_stop_time: datetime
    generation_time: datetime
    datatake_identifier: str
    datatake_type: str
    datatake_sensing_start: datetime
    spacecraft: str
    relative_orbit: int
    orbit_direction: str
    absolute_orbit: int | None
    granules: tuple[GranuleRef, ...]
    psd_major: int
    namespace: str
    reference_band: int | None
    cloud_coverage_assessment: float | None


def _frozen(mapping: dict) -> Mapping:
    return xmlpath.FrozenDict(dict(mapping))


def _readonly(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


def _band_of(element: etree._Element, attribute: str, file: Path, path: str) -> str:
    raw = element.get(attribute)
    try:
        return BAND_IDS[int(raw)]
    except (TypeError, ValueError, IndexError):
        raise ProductReadError(
            f"{file}: {path}/@{attribute} = {raw!r}; expected 0..{len(BAND_IDS) - 1}"
        ) from None


def _per_band(root: etree._Element, path: str, attribute: str, file: Path, convert) -> dict[str, object]:
    values = {}
    for element in xmlpath.find_all(root, path):
        values[_band_of(element, attribute, file, path)] = convert((element.text or "").strip(), file, path)
    return values


def _require_all_bands(values: Mapping[str, object], path: str, file: Path) -> None:
    missing = [band for band in BAND_IDS if band not in values]
    if missing:
        raise ProductReadError(f"{file}: element {path} missing for band(s) {', '.join(missing)}")


def read_radiometry(root: etree._Element, file: Path, baseline: str) -> Radiometry:
    """Quantification, offsets, solar irradiance, U, special values and gains of MTD_MSIL1C."""
    quant_path = f"{_PIC}/QUANTIFICATION_VALUE"
    quant = ranges.check_value(
        xmlpath.as_float(xmlpath.required_text(root, quant_path, file), file, quant_path), ranges.POSITIVE, file,
        quant_path,
    )
    offset_path = f"{_PIC}/Radiometric_Offset_List/RADIO_ADD_OFFSET"
    offsets = _per_band(root, offset_path, "band_id", file, xmlpath.as_int)
    if offsets:
        _require_all_bands(offsets, offset_path, file)
    elif versions.has_radiometric_offset(baseline):
        raise ProductReadError(
            f"{file}: element {offset_path} is missing; it is required from baseline 04.00 "
            f"(this product: {baseline})"
        )
    else:
        offsets = dict.fromkeys(BAND_IDS, 0)
    e0_path = f"{_PIC}/Reflectance_Conversion/Solar_Irradiance_List/SOLAR_IRRADIANCE"
    e0 = _per_band(root, e0_path, "bandId", file, xmlpath.as_float)
    _require_all_bands(e0, e0_path, file)
    for band, value in e0.items():
        ranges.check_value(value, ranges.POSITIVE, file, f"{e0_path}[@bandId='{BAND_IDS.index(band)}'] ({band})")
    u_path = f"{_PIC}/Reflectance_Conversion/U"
    u = ranges.check_value(xmlpath.as_float(xmlpath.required_text(root, u_path, file), file, u_path),
                           ranges.POSITIVE, file, u_path)
    special = {}
    for element in xmlpath.find_all(root, f"{_PIC}/Special_Values"):
        name = xmlpath.optional_text(element, "SPECIAL_VALUE_TEXT")
        index = xmlpath.optional_text(element, "SPECIAL_VALUE_INDEX")
        if name and index:
            special[name] = xmlpath.as_int(index, file, f"{_PIC}/Special_Values/SPECIAL_VALUE_INDEX")
    for name in ("NODATA", "SATURATED"):
        if name not in special:
            raise ProductReadError(
                f"{file}: element {_PIC}/Special_Values with SPECIAL_VALUE_TEXT {name} is missing"
            )
    gains = _per_band(root, f"{_PIC}/PHYSICAL_GAINS", "bandId", file, xmlpath.as_float)
    return Radiometry(
        quant, _frozen(offsets), _frozen(e0), u, special["NODATA"], special["SATURATED"], _frozen(gains)
    )


def read_spectral_responses(root: etree._Element, file: Path) -> Mapping[str, SpectralResponse]:
    """Spectral_Information_List: response on MIN + STEP * i (nm) for each band."""
    path = f"{_PIC}/Spectral_Information_List/Spectral_Information"
    responses = {}
    for element in xmlpath.find_all(root, path):
        band = _band_of(element, "bandId", file, path)
        where = f"{path}[@bandId='{element.get('bandId')}']"
        start = xmlpath.as_float(
            xmlpath.required_text(element, "Wavelength/MIN", file), file, f"{where}/Wavelength/MIN"
        )
        stop = xmlpath.as_float(
            xmlpath.required_text(element, "Wavelength/MAX", file), file, f"{where}/Wavelength/MAX"
        )
        step = ranges.check_value(xmlpath.as_float(
            xmlpath.required_text(element, "Spectral_Response/STEP", file), file, f"{where}/STEP"
        ), ranges.POSITIVE, file, f"{where}/Spectral_Response/STEP")
        text = xmlpath.required_text(element, "Spectral_Response/VALUES", file)
        try:
            response = np.array(text.split(), dtype=np.float64)
        except ValueError:
            raise ProductReadError(
                f"{file}: {where}/Spectral_Response/VALUES holds non-numeric values"
            ) from None
        if not (np.isfinite(response).all() and (response >= 0).all() and response.sum() > 0):
            raise ProductReadError(
                f"{file}: {where}/Spectral_Response/VALUES is out of range (minimum {response.min()!r}, sum "
                f"{response.sum()!r}); allowed: finite numbers >= 0 with a positive sum"
            )
        wavelength = start + step * np.arange(response.size, dtype=np.float64)
        if not np.isclose(wavelength[-1], stop):  # e.g. baseline 02.06: B02 has 97 values on [440, 538] nm
            log.debug(
                "%s: %s has %d values on [%g, %g] nm with step %g; axis = MIN + STEP*i",
                file,
                band,
                response.size,
                start,
                stop,
                step,
            )
        central = xmlpath.optional_text(element, "Wavelength/CENTRAL")
        resolution = xmlpath.optional_text(element, "RESOLUTION")
        responses[band] = SpectralResponse(
            _readonly(wavelength),
            _readonly(response),
            float(central) if central else float(np.sum(wavelength * response) / np.sum(response)),
            int(resolution) if resolution else 0,
        )
    _require_all_bands(responses, path, file)
    return _frozen(responses)


def _granules(root: etree._Element, file: Path) -> tuple[GranuleRef, ...]:
    path = f"{_PI}/Product_Organisation/Granule_List/Granule"
    granules = []
    for element in xmlpath.find_all(root, path):
        files = tuple((e.text or "").strip() for e in xmlpath.find_all(element, "IMAGE_FILE"))
        granules.append(
            GranuleRef(
                element.get("datastripIdentifier", ""),
                element.get("granuleIdentifier", ""),
                element.get("imageFormat", ""),
                files,
            )
        )
    if not granules:
        raise ProductReadError(f"{file}: required element {path} is missing")
    return tuple(granules)


def image_files_by_band(granule: GranuleRef) -> dict[str, str]:
    """{'B01': 'GRANULE/.../IMG_DATA/T.._B01', ..., 'TCI': ...} from the IMAGE_FILE entries."""
    files = {}
    for entry in granule.image_files:
        match = _IMAGE_BAND.search(entry)
        if match:
            files[match.group(1) or match.group(2)] = entry
    return files


def read_product_info(root: etree._Element, file: Path) -> ProductInfo:
    """General_Info/Product_Info; validates level, type and spacecraft."""
    if xmlpath.local_name(root) != "Level-1C_User_Product":
        raise ProductError(
            f"{file}: root element is {xmlpath.local_name(root)!r}; expected Level-1C_User_Product "
            "(not a Level-1C product)"
        )
    level = xmlpath.required_text(root, f"{_PI}/PROCESSING_LEVEL", file)
    ptype = xmlpath.required_text(root, f"{_PI}/PRODUCT_TYPE", file)
    if level != "Level-1C" or ptype != "S2MSI1C":
        raise ProductError(
            f"{file}: PROCESSING_LEVEL/PRODUCT_TYPE = {level}/{ptype}; expected Level-1C/S2MSI1C"
        )
    baseline = versions.parse_baseline(xmlpath.required_text(root, f"{_PI}/PROCESSING_BASELINE", file), file)
    dt = f"{_PI}/Datatake"
    name = xmlpath.required_text(root, f"{dt}/SPACECRAFT_NAME", file)
    if name not in _SPACECRAFTS:
        raise ProductError(
            f"{file}: element {dt}/SPACECRAFT_NAME = {name!r}; expected one of {', '.join(_SPACECRAFTS)}"
        )
    datatake = xmlpath.required(root, dt, file).get("datatakeIdentifier", "")
    fields = datatake.split("_")
    absolute = int(fields[2]) if len(fields) > 2 and fields[2].isdigit() else None

    def when(path: str) -> datetime:
        return xmlpath.as_utc(xmlpath.required_text(root, path, file), file, path)

    def number(path: str) -> float | None:
        text = xmlpath.optional_text(root, path)
        return xmlpath.as_float(text, file, path) if text is not None else None

    schema = root.get("{http://www.w3.org/2001/XMLSchema-instance}schemaLocation", "")
    ref_band = number(f"{_PIC}/REFERENCE_BAND")
    return ProductInfo(
        product_uri=xmlpath.required_text(root, f"{_PI}/PRODUCT_URI", file),
        product_type=ptype,
        processing_level=level,
        processing_baseline=baseline,
        product_format=xmlpath.optional_text(root, f"{_PI}/Query_Options/PRODUCT_FORMAT"),
        product_doi=xmlpath.optional_text(root, f"{_PI}/PRODUCT_DOI"),
        product_start_time=when(f"{_PI}/PRODUCT_START_TIME"),
        product_stop_time=when(f"{_PI}/PRODUCT_STOP_TIME"),
        generation_time=when(f"{_PI}/GENERATION_TIME"),
        datatake_identifier=datatake,
        datatake_type=xmlpath.optional_text(root, f"{dt}/DATATAKE_TYPE") or "",
        datatake_sensing_start=when(f"{dt}/DATATAKE_SENSING_START"),
        spacecraft=_SPACECRAFTS[name],
        relative_orbit=xmlpath.as_int(
            xmlpath.required_text(root, f"{dt}/SENSING_ORBIT_NUMBER", file), file, f"{dt}/SENSING_ORBIT_NUMBER"
        ),
        orbit_direction=xmlpath.optional_text(root, f"{dt}/SENSING_ORBIT_DIRECTION") or "",
        absolute_orbit=absolute,
        granules=_granules(root, file),
        psd_major=versions.psd_major_from_namespace(xmlpath.namespace(root), schema, file),
        namespace=xmlpath.namespace(root),
        reference_band=int(ref_band) if ref_band is not None else None,
        cloud_coverage_assessment=number("Quality_Indicators_Info/Cloud_Coverage_Assessment"),
    )
