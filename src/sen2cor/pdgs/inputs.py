"""PDGS inputs as the tile processing sees them: an L1C tile folder plus the L2A datastrip metadata.

``tile_processing.process_tile`` reads an L1C product (``L1CProduct``) and writes into an L2A layout.
In ``--mode process_tile`` there is no MTD_MSIL1C.xml: the radiometry and the spectral responses come from
``Image_Data_Info/Radiometric_Info`` of the datastrip metadata, the band files from the tile's IMG_DATA,
the geometry from its MTD_TL.xml.  The L2A datastrip written by generate_datastrip keeps
Reflectance_Conversion (U, SOLAR_IRRADIANCE) and Spectral_Information_List but replaces the L1C
QUANTIFICATION_VALUE and Radiometric_Offset_List by the L2A lists (PSD L2A datastrip schema); the L1C
values are then taken as the L1C format defines them (see docs/pdgs.md, "L1C radiometry").
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from sen2cor.bands import BAND_IDS
from sen2cor.errors import ProductReadError
from sen2cor.l1c import Radiometry, SpectralResponse, TileMetadata, versions, xmlpath

log = logging.getLogger(__name__)

#: Where the L1C (and L2A) datastrip metadata hold the radiometric constants (PSD 14 A_RADIOMETRIC_DATA).
RADIOMETRIC_INFO = "Image_Data_Info/Radiometric_Info"
#: QUANTIFICATION_VALUE of every L1C processing baseline (DN per unit TOA reflectance).
L1C_QUANTIFICATION_VALUE = 10000.0
#: RADIO_ADD_OFFSET of L1C baselines >= 04.00 (DN); 0 before.
L1C_RADIO_ADD_OFFSET = -1000
NODATA_DN, SATURATED_DN = 0, 65535
_BASELINE = re.compile(r"_N(\d{2}\.\d{2})$")
_BAND_FILE = re.compile(r"_(B\d[\dA])$")
_AUX_NAMES = ("AUX_ECMWFT", "AUX_CAMSFO")


@dataclass(frozen=True)
class PdgsTileInput:
    """The L1CProduct attributes the tile processing reads, for one PDGS L1C tile.

    ``processing_baseline`` is the baseline of the L2A being produced (it decides BOA_ADD_OFFSET, which
    the L2A datastrip already states); ``l1c_baseline`` the one of the L1C tile (RADIO_ADD_OFFSET).
    """

    path: Path
    name: str
    tile_mtd_path: Path
    spacecraft: str
    processing_baseline: str
    l1c_baseline: str
    sensing_start: datetime
    tile_id: str
    absolute_orbit: int
    radiometry: Radiometry
    spectral_responses: Mapping[str, SpectralResponse]
    tile: TileMetadata
    aux_paths: Mapping[str, Path | None]
    band_files: Mapping[str, Path]


@dataclass(frozen=True)
class PdgsTileLayout:
    """The L2ALayout attributes the tile processing writes to, for a (temporary) PDGS L2A tile folder.

    A PDGS tile folder is the granule itself: IMG_DATA/R*m, QI_DATA and AUX_DATA sit directly below it.
    It is path-like (``os.fspath`` gives the folder), so ``sen2cor.quality.write_quality`` treats it as a
    PDGS tile (File_Class OPER, MTD_TL.xml updated).
    """

    root: Path
    tile_id: str
    datatake_start: datetime
    psd_major: int
    extension: str

    @property
    def granule(self) -> Path:
        return self.root

    @property
    def qi_dir(self) -> Path:
        return self.root / "QI_DATA"

    @property
    def granule_aux_dir(self) -> Path:
        return self.root / "AUX_DATA"

    @property
    def l2a_quality(self) -> Path:
        return self.qi_dir / "L2A_QUALITY.xml"

    def __fspath__(self) -> str:
        return os.fspath(self.root)


def l1c_tile_baseline(tile: TileMetadata, tile_dir: Path, tile_mtd: Path) -> str:
    """Processing baseline of the L1C tile: the ``_Ndd.dd`` end of TILE_ID, else of the folder name."""
    for text in (tile.tile_identifier, tile_dir.name):
        match = _BASELINE.search(text.strip())
        if match:
            return match.group(1)
    raise ProductReadError(f"{tile_mtd}: the L1C processing baseline is found neither in "
                           f"General_Info/TILE_ID ({tile.tile_identifier!r}) nor in the folder name "
                           f"{tile_dir.name!r}; expected a name ending in _N<dd.dd>")


def tile_band_files(tile_dir: Path) -> dict[str, Path]:
    """``IMG_DATA/*_Bxx.jp2`` of an L1C tile folder, by band.

    Raises
    ------
    ProductReadError
        A band without file (naming the band and the expected pattern) or one band with several files.
    """
    img = tile_dir / "IMG_DATA"
    found: dict[str, list[Path]] = {}
    for path in sorted(img.glob("*.jp2")) if img.is_dir() else []:
        match = _BAND_FILE.search(path.stem)
        if match:
            found.setdefault(match.group(1), []).append(path)
    missing = [band for band in BAND_IDS if band not in found]
    if missing:
        raise ProductReadError(f"{img}: band image file(s) missing for {', '.join(missing)}; expected "
                               "IMG_DATA/<name>_<band>.jp2 for each of the 13 bands")
    several = {band: paths for band, paths in found.items() if len(paths) > 1}
    if several:
        band, paths = next(iter(several.items()))
        names = ", ".join(p.name for p in paths)
        raise ProductReadError(f"{img}: {len(paths)} files for band {band} ({names}); expected one")
    return {band: found[band][0] for band in BAND_IDS}


def tile_aux_paths(tile_dir: Path) -> dict[str, Path | None]:
    """AUX_DATA GRIB files of the L1C tile (``AUX_ECMWFT``, ``AUX_CAMSFO``; long PDGS names accepted)."""
    aux = tile_dir / "AUX_DATA"
    paths: dict[str, Path | None] = {}
    for name in _AUX_NAMES:
        candidates = sorted(aux.glob(f"*{name}*")) if aux.is_dir() else []
        paths[name] = next((p for p in candidates if p.is_file() and not p.name.endswith(".aux.xml")), None)
    return paths


def read_datastrip_radiometry(ds_root, ds_mtd: Path, l1c_baseline: str
                              ) -> tuple[Radiometry, Mapping[str, SpectralResponse]]:
    """Radiometry and spectral responses from ``Image_Data_Info/Radiometric_Info`` of datastrip metadata.

    QUANTIFICATION_VALUE and Radiometric_Offset_List are used when present (L1C datastrip metadata);
    an L2A datastrip lacks them and the L1C values follow from ``l1c_baseline``: 10000, and
    RADIO_ADD_OFFSET -1000 DN from baseline 04.00 (0 before).  U, SOLAR_IRRADIANCE (W m-2 um-1) and the
    spectral responses are required.
    """
    info = xmlpath.required(ds_root, RADIOMETRIC_INFO, ds_mtd)
    quant_text = xmlpath.optional_text(info, "QUANTIFICATION_VALUE")
    quant = xmlpath.as_float(quant_text, ds_mtd, f"{RADIOMETRIC_INFO}/QUANTIFICATION_VALUE") if quant_text \
        else L1C_QUANTIFICATION_VALUE
    offset_path = "Radiometric_Offset_List/RADIO_ADD_OFFSET"
    offsets = _per_band(info, offset_path, "band_id", ds_mtd, xmlpath.as_int)
    if not offsets:
        value = L1C_RADIO_ADD_OFFSET if versions.has_radiometric_offset(l1c_baseline) else 0
        offsets = dict.fromkeys(BAND_IDS, value)
        log.debug("%s: no RADIO_ADD_OFFSET; L1C baseline %s gives %d DN", ds_mtd, l1c_baseline, value)
    e0 = _per_band(info, "Reflectance_Conversion/Solar_Irradiance_List/SOLAR_IRRADIANCE", "bandId", ds_mtd,
                   xmlpath.as_float)
    u_path = "Reflectance_Conversion/U"
    u = xmlpath.as_float(xmlpath.required_text(info, u_path, ds_mtd), ds_mtd, f"{RADIOMETRIC_INFO}/{u_path}")
    for values, path in ((offsets, offset_path), (e0, "Reflectance_Conversion/Solar_Irradiance_List")):
        missing = [band for band in BAND_IDS if band not in values]
        if missing:
            raise ProductReadError(f"{ds_mtd}: element {RADIOMETRIC_INFO}/{path} missing for band(s) "
                                   f"{', '.join(missing)}")
    gains = _per_band(info, "PHYSICAL_GAINS", "bandId", ds_mtd, xmlpath.as_float)
    radiometry = Radiometry(quant, xmlpath.FrozenDict(offsets), xmlpath.FrozenDict(e0), u, NODATA_DN, SATURATED_DN,
                            xmlpath.FrozenDict(gains))
    return radiometry, _spectral_responses(info, ds_mtd)


def _band(element, attribute: str, file: Path, path: str) -> str:
    raw = element.get(attribute)
    try:
        return BAND_IDS[int(raw)]
    except (TypeError, ValueError, IndexError):
        raise ProductReadError(f"{file}: {RADIOMETRIC_INFO}/{path}/@{attribute} = {raw!r}; expected "
                               f"0..{len(BAND_IDS) - 1}") from None


def _per_band(info, path: str, attribute: str, file: Path, convert) -> dict[str, object]:
    where = f"{RADIOMETRIC_INFO}/{path}"
    return {_band(e, attribute, file, path): convert((e.text or "").strip(), file, where)
            for e in xmlpath.find_all(info, path)}


def _spectral_responses(info, file: Path) -> Mapping[str, SpectralResponse]:
    """Spectral_Information_List: relative response on MIN + STEP * i (nm) per band."""
    path = "Spectral_Information_List/Spectral_Information"
    responses = {}
    for element in xmlpath.find_all(info, path):
        band = _band(element, "bandId", file, path)
        where = f"{RADIOMETRIC_INFO}/{path}[@bandId='{element.get('bandId')}']"

        def number(sub: str) -> float:
            return xmlpath.as_float(xmlpath.required_text(element, sub, file), file, f"{where}/{sub}")

        try:
            response = np.array(xmlpath.required_text(element, "Spectral_Response/VALUES", file).split(),
                                dtype=np.float64)
        except ValueError:
            raise ProductReadError(f"{file}: {where}/Spectral_Response/VALUES holds non-numeric "
                                   "values") from None
        wavelength = number("Wavelength/MIN") + number("Spectral_Response/STEP") * np.arange(response.size)
        central = xmlpath.optional_text(element, "Wavelength/CENTRAL")
        resolution = xmlpath.optional_text(element, "RESOLUTION")
        for array in (wavelength, response):
            array.setflags(write=False)
        responses[band] = SpectralResponse(
            wavelength, response,
            float(central) if central else float(np.sum(wavelength * response) / np.sum(response)),
            int(resolution) if resolution else 0)
    missing = [band for band in BAND_IDS if band not in responses]
    if missing:
        raise ProductReadError(f"{file}: element {RADIOMETRIC_INFO}/{path} missing for band(s) "
                               f"{', '.join(missing)}")
    return xmlpath.FrozenDict(responses)
