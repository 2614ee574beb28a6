"""The L1C compact SAFE product: layout checks, file paths and the assembled :class:`L1CProduct`.

Compact SAFE layout (PSD 14/15)::

    S2x_MSIL1C_<sensing>_N<baseline>_R<orbit>_T<tile>_<generation>.SAFE/
        MTD_MSIL1C.xml   manifest.safe   INSPIRE.xml   AUX_DATA/   HTML/   rep_info/
        DATASTRIP/DS_<centre>_<created>_S<start>/MTD_DS.xml (+ QI_DATA/)
        GRANULE/L1C_T<tile>_A<abs orbit>_<ds start>/
            MTD_TL.xml   IMG_DATA/T<tile>_<sensing>_Bxx.jp2   QI_DATA/   AUX_DATA/AUX_ECMWFT [AUX_CAMSFO]

Nothing is ever written: the input may be read-only.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sen2cor.bands import BAND_IDS
from sen2cor.errors import MissingBandError, ProductError, ProductReadError
from sen2cor.l1c import versions, xmlpath
from sen2cor.l1c.datastrip import DatastripMetadata, datastrip_from_identifier, read_datastrip_metadata
from sen2cor.l1c.mtd import (
    ProductInfo,
    Radiometry,
    SpectralResponse,
    image_files_by_band,
    read_product_info,
    read_radiometry,
    read_spectral_responses,
)
from sen2cor.l1c.qi import QualityInfo, read_quality_info
from sen2cor.l1c.tile import TileMetadata, read_tile_metadata

log = logging.getLogger(__name__)

MTD_NAME = "MTD_MSIL1C.xml"
_COMPACT_NAME = re.compile(
    r"^S2[A-D]_MSIL1C_\d{8}T\d{6}_(N\d{4}_)?R\d{3}_T\d{2}[A-Z]{3}_\d{8}T\d{6}(\.SAFE)?$"
)
_STANDARD_NAME = re.compile(r"^S2[A-D]_OPER_PRD_MSIL1C")
_AUX_NAMES = ("AUX_CAMSFO", "AUX_ECMWFT")


@dataclass(frozen=True)
class L1CProduct:
    """A validated L1C compact SAFE product (metadata parsed once, frozen). See docs/l1c_reader.md."""

    path: Path
    name: str
    mtd_path: Path
    tile_mtd_path: Path
    datastrip_mtd_path: Path | None
    granule_dir: Path
    datastrip_dir: Path | None
    spacecraft: str
    psd_version: str
    processing_baseline: str
    sensing_start: datetime
    generation_time: datetime
    relative_orbit: int
    absolute_orbit: int
    tile_id: str
    radiometry: Radiometry
    spectral_responses: Mapping[str, SpectralResponse]
    tile: TileMetadata
    datastrip: DatastripMetadata
    qi: QualityInfo
    aux_paths: Mapping[str, Path | None]
    band_files: Mapping[str, Path]
    tci_path: Path | None
    info: ProductInfo

    def band_path(self, band: str) -> Path:
        """JPEG 2000 file of ``band`` ('B01'..'B12', 'B8A').

        Raises
        ------
        MissingBandError
            For a name that is not a Sentinel-2 band or not listed in MTD_MSIL1C.xml.
        ProductReadError
            When the listed file does not exist.
        """
        if band not in self.band_files:
            raise MissingBandError(
                f"{self.mtd_path}: band {band!r} is not listed in "
                f"Granule/IMAGE_FILE; expected one of {', '.join(BAND_IDS)}"
            )
        path = self.band_files[band]
        if path.is_dir():
            raise ProductReadError(
                f"{path}: image path of band {band} (listed in {self.mtd_path.name}) is a directory; expected a "
                "JPEG 2000 file"
            )
        if not path.is_file():
            raise ProductReadError(
                f"{path}: image file of band {band} (listed in {self.mtd_path.name}) is missing"
            )
        return path

    @property
    def has_radiometric_offset(self) -> bool:
        """True for baseline >= 04.00 (RADIO_ADD_OFFSET -1000)."""
        return versions.has_radiometric_offset(self.processing_baseline)


def _check_layout(path: Path) -> Path:
    """Tell an L1C compact SAFE from an L2A, an old standard SAFE or a random folder."""
    if not path.exists():
        raise ProductError(f"{path}: input product does not exist")
    if not path.is_dir():
        raise ProductError(f"{path}: input product is not a directory (expected an unpacked .SAFE folder)")
    if (path / "MTD_MSIL2A.xml").exists() or "MSIL2A" in path.name:
        raise ProductError(
            f"{path}: this is a Level-2A product (MTD_MSIL2A.xml); expected a Level-1C product "
            f"with {MTD_NAME}"
        )
    if _STANDARD_NAME.match(path.name) or any(path.glob("S2?_OPER_MTD_SAFL1C*.xml")):
        raise ProductError(
            f"{path}: standard (non-compact) SAFE with the multi-tile PSD 13 layout is not supported; "
            f"expected a compact SAFE Level-1C product (PSD 14.2-15.1) with {MTD_NAME}"
        )
    mtd = path / MTD_NAME
    if not mtd.is_file():
        raise ProductReadError(
            f"{mtd}: product metadata is missing; {path.name} is not a Level-1C compact SAFE "
            f"product (expected {MTD_NAME}, GRANULE/ and DATASTRIP/)"
        )
    if not _COMPACT_NAME.match(path.name):
        log.warning(
            "%s: folder name does not follow S2x_MSIL1C_<sensing>_Nxxxx_Rxxx_Txxxxx_<time>.SAFE", path.name
        )
    return mtd


def _granule_dir(path: Path, info: ProductInfo, mtd: Path) -> Path:
    """The single tile folder under GRANULE/ (the compact format holds exactly one)."""
    granule_root = path / "GRANULE"
    tiles = sorted(p for p in granule_root.iterdir() if p.is_dir()) if granule_root.is_dir() else []
    if not tiles:
        raise ProductReadError(
            f"{granule_root}: no tile folder found (expected GRANULE/L1C_T<tile>_A<orbit>_<time>)"
        )
    if len(tiles) > 1 or len(info.granules) > 1:
        raise ProductError(
            f"{granule_root}: {max(len(tiles), len(info.granules))} tiles found; a compact SAFE "
            "product holds exactly one (multi-tile products are not supported)"
        )
    listed = [f.split("/")[1] for f in info.granules[0].image_files if f.startswith("GRANULE/")]
    if listed and listed[0] != tiles[0].name:
        raise ProductReadError(
            f"{mtd}: Granule/IMAGE_FILE names tile folder {listed[0]!r} but GRANULE/ holds {tiles[0].name!r}"
        )
    return tiles[0]


def _band_files(path: Path, info: ProductInfo, mtd: Path, check: bool) -> tuple[dict[str, Path], Path | None]:
    listed = image_files_by_band(info.granules[0])
    missing_entries = [b for b in BAND_IDS if b not in listed]
    if missing_entries:
        raise ProductReadError(
            f"{mtd}: Granule/IMAGE_FILE entries missing for band(s) {', '.join(missing_entries)}"
        )
    files = {band: xmlpath.listed_path(path, f"{listed[band]}.jp2", mtd) for band in BAND_IDS}
    if check:
        folders = [f"{band} ({files[band]})" for band in BAND_IDS if files[band].is_dir()]
        if folders:
            raise ProductReadError(
                f"{path}: band image path(s) listed in {MTD_NAME} are directories, expected JPEG 2000 files: "
                f"{'; '.join(folders)}"
            )
        absent = [f"{band} ({files[band]})" for band in BAND_IDS if not files[band].is_file()]
        if absent:
            raise ProductReadError(
                f"{path}: band image file(s) listed in {MTD_NAME} are missing: {'; '.join(absent)}"
            )
    tci = xmlpath.listed_path(path, f"{listed['TCI']}.jp2", mtd) if "TCI" in listed else None
    return files, tci


def _datastrip(
    path: Path, info: ProductInfo, mtd: Path
) -> tuple[Path | None, Path | None, DatastripMetadata]:
    ds_root = path / "DATASTRIP"
    folders = sorted(p for p in ds_root.iterdir() if p.is_dir()) if ds_root.is_dir() else []
    identifier = info.granules[0].datastrip_identifier
    if folders and (folders[0] / "MTD_DS.xml").is_file():
        ds_mtd = folders[0] / "MTD_DS.xml"
        return folders[0], ds_mtd, read_datastrip_metadata(ds_mtd, identifier)
    log.warning("%s: no DATASTRIP/<ds>/MTD_DS.xml; datastrip facts taken from the datastrip identifier", path)
    ids = tuple(g.granule_identifier for g in info.granules)
    return (folders[0] if folders else None), None, datastrip_from_identifier(identifier, ids, mtd)


def _aux_paths(granule_dir: Path) -> dict[str, Path | None]:
    aux_dir = granule_dir / "AUX_DATA"
    paths: dict[str, Path | None] = {}
    for name in _AUX_NAMES:
        exact = aux_dir / name
        candidates = (
            [exact] if exact.is_file() else sorted(aux_dir.glob(f"*{name}*")) if aux_dir.is_dir() else []
        )
        paths[name] = next((c for c in candidates if c.is_file() and not c.name.endswith(".aux.xml")), None)
    return paths


def _absolute_orbit(info: ProductInfo, granule_dir: Path, mtd: Path) -> int:
    """From Datatake/@datatakeIdentifier (GS2A_<time>_<orbit>_N..), else the tile folder's _A<orbit>_."""
    if info.absolute_orbit is not None:
        return info.absolute_orbit
    match = re.search(r"_A(\d{6})_", granule_dir.name + "_")
    if match is None:
        raise ProductReadError(
            f"{mtd}: absolute orbit found neither in Datatake/@datatakeIdentifier nor in {granule_dir.name}"
        )
    return int(match.group(1))


def read_l1c_product(path: str | Path, *, check_band_files: bool = True) -> L1CProduct:
    """Validate and read an L1C compact SAFE product (each XML file parsed once).

    Parameters
    ----------
    path : the ``.SAFE`` folder (absolute or relative to the current directory).
    check_band_files : when True (default) every band JPEG 2000 listed in MTD_MSIL1C.xml must exist;
        ``False`` allows metadata-only products (e.g. ``--cr_only`` on partial copies).

    Raises
    ------
    ProductError
        Not a Level-1C compact SAFE product (an L2A, a random folder, a standard PSD 13 product),
        or PSD outside 14.2-15.1.
    ProductReadError
        A metadata file is missing or malformed, a required element is absent, or a band file is missing.
    """
    path = Path(path).expanduser().absolute()
    mtd = _check_layout(path)
    root = xmlpath.parse_xml(mtd)
    info = read_product_info(root, mtd)
    if info.product_format is not None and info.product_format != "SAFE_COMPACT":
        raise ProductError(
            f"{mtd}: Query_Options/PRODUCT_FORMAT = {info.product_format!r}; expected SAFE_COMPACT"
        )
    baseline = info.processing_baseline
    psd = versions.psd_version(info.psd_major, baseline)
    versions.check_psd_supported(psd, baseline, mtd)
    radiometry = read_radiometry(root, mtd, baseline)
    spectral = read_spectral_responses(root, mtd)
    del root
    granule_dir = _granule_dir(path, info, mtd)
    tile_mtd = granule_dir / "MTD_TL.xml"
    if not tile_mtd.is_file():
        raise ProductReadError(
            f"{tile_mtd}: tile metadata is missing (expected GRANULE/{granule_dir.name}/MTD_TL.xml)"
        )
    tile = read_tile_metadata(tile_mtd)
    psd = versions.psd_version(info.psd_major, baseline, tile.schema_location)
    versions.check_psd_supported(psd, baseline, mtd)
    if f"_T{tile.tile_id}_" not in granule_dir.name + "_":
        log.warning(
            "%s: TILE_ID names tile %s but the granule folder is %s", tile_mtd, tile.tile_id, granule_dir.name
        )
    band_files, tci = _band_files(path, info, mtd, check_band_files)
    ds_dir, ds_mtd, datastrip = _datastrip(path, info, mtd)
    qi = read_quality_info(path, granule_dir, tile.mask_files, versions.qi_mask_format(baseline))
    product = L1CProduct(
        path=path,
        name=path.name[:-5] if path.name.endswith(".SAFE") else path.name,
        mtd_path=mtd,
        tile_mtd_path=tile_mtd,
        datastrip_mtd_path=ds_mtd,
        granule_dir=granule_dir,
        datastrip_dir=ds_dir,
        spacecraft=info.spacecraft,
        psd_version=psd,
        processing_baseline=baseline,
        sensing_start=info.datatake_sensing_start,
        generation_time=info.generation_time,
        relative_orbit=info.relative_orbit,
        absolute_orbit=_absolute_orbit(info, granule_dir, mtd),
        tile_id=tile.tile_id,
        radiometry=radiometry,
        spectral_responses=spectral,
        tile=tile,
        datastrip=datastrip,
        qi=qi,
        aux_paths=xmlpath.FrozenDict(_aux_paths(granule_dir)),
        band_files=xmlpath.FrozenDict(band_files),
        tci_path=tci,
        info=info,
    )
    log.info(
        "L1C product %s: %s, baseline %s, PSD %s, tile %s",
        product.name,
        product.spacecraft,
        baseline,
        psd,
        product.tile_id,
    )
    return product
