"""The L2A product planned as data: every folder and file path of manual Fig. 2-19 (config facts §5.2-§5.3).

``L2ALayout`` is pure (it never touches the disk); the writer materialises it.  Example for the official
product ``S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE``::

    GRANULE/L2A_T29UNU_A038058_20221005T115407/IMG_DATA/R60m/T29UNU_20221005T115411_B02_60m.jp2
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sen2cor.bands import L2A_BANDS, RESOLUTIONS_M
from sen2cor.errors import ProductError
from sen2cor.product import naming

#: Image layers per resolution in the order of the official MTD_MSIL2A IMAGE_FILE list (PSD 14.9 / 15).
LAYERS: dict[int, tuple[str, ...]] = {
    res: L2A_BANDS[res] + ("TCI", "AOT", "WVP") + (("SCL",) if res != 10 else ()) for res in RESOLUTIONS_M
}
#: Probability masks Sen2Cor adds to the granule QI_DATA (20 m and 60 m only, never 10 m).
PROBABILITY_MASKS: tuple[str, ...] = ("MSK_CLDPRB", "MSK_SNWPRB")
PROBABILITY_MASK_RESOLUTIONS_M: tuple[int, ...] = (20, 60)
#: Every L2A mask of QI_DATA listed in MTD_TL Pixel_Level_QI: the probability masks and, with
#: Generate_DDV_Output TRUE, the DDV map (same resolutions).
QI_MASKS: tuple[str, ...] = PROBABILITY_MASKS + ("MSK_DDVPXL",)
#: Extension of the image files: JPEG 2000 by default, GeoTIFF with --tif.
EXTENSIONS = (".jp2", ".tif")


@dataclass(frozen=True)
class L2ALayout:
    """Names and paths of one L2A product.

    Parameters
    ----------
    root : Path
        Product folder ``<output_dir>/S2x_MSIL2A_...SAFE`` (or its temporary twin while being written).
    name : str
        Final product folder name (``....SAFE``); equals ``root.name`` once published.
    granule_name, datastrip_name : str
        ``L2A_T<tile>_A<abs orbit>_<start>`` and ``DS_<centre>_<generation>_S<start>``.
    tile_id : str
        ``"29UNU"``.
    datatake_start : datetime
        DATATAKE_SENSING_START of the L1C (prefix of every image file name).
    extension : str
        ``".jp2"`` or ``".tif"``.
    psd_major : int
        14 (PSD 14.x output layout, "14.9") or 15.
    """

    root: Path
    name: str
    granule_name: str
    datastrip_name: str
    tile_id: str
    datatake_start: datetime
    extension: str = ".jp2"
    psd_major: int = 14

    def __post_init__(self) -> None:
        if self.extension not in EXTENSIONS:
            raise ValueError(
                f"image extension {self.extension!r} not supported; expected one of {EXTENSIONS}"
            )
        if self.psd_major not in (14, 15):
            raise ValueError(f"PSD major version {self.psd_major} not supported; expected 14 or 15")

    # ----------------------------------------------------------------- construction
    @classmethod
    def plan(
        cls,
        product: Any,
        output_dir: Path,
        baseline: str,
        *,
        generation_time: datetime | None = None,
        processing_centre: str | None = None,
        tif: bool = False,
    ) -> L2ALayout:
        """Plan the L2A product of an L1C ``product`` (attributes of the L1CProduct contract).

        The generation time defaults to UTC now (Sen2Cor replaces the L1C discriminator by it); the
        datastrip keeps the L1C datastrip sensing start and, unless ``processing_centre`` is given,
        its processing centre.
        """
        generated = utc_milliseconds(generation_time or datetime.now(UTC))
        l1c_centre, ds_start = _datastrip_origin(product)
        tile_id, absolute_orbit, granule_start = naming.parse_granule_folder(Path(product.granule_dir).name)
        name = naming.product_name(
            product.spacecraft, product.sensing_start, baseline, product.relative_orbit, tile_id, generated
        )
        return cls(
            root=Path(output_dir) / name,
            name=name,
            granule_name=naming.granule_name(tile_id, absolute_orbit, granule_start),
            datastrip_name=naming.datastrip_name(processing_centre or l1c_centre, generated, ds_start),
            tile_id=tile_id,
            datatake_start=product.sensing_start,
            extension=".tif" if tif else ".jp2",
            psd_major=psd_major_of(product.psd_version),
        )

    @classmethod
    def from_root(cls, root: Path, *, tif: bool | None = None) -> L2ALayout:
        """Layout of an existing (or temporary) L2A product folder, read from its names.

        The extension is detected from the image files present unless ``tif`` is given; the PSD major
        version from the MTD_MSIL2A.xml namespace.
        """
        root = Path(root)
        name = root.name
        fields = naming.parse_safe_name(name)
        granules = sorted((root / "GRANULE").glob("L2A_T*"))
        datastrips = sorted((root / "DATASTRIP").glob("DS_*"))
        if fields is None or fields.level != "L2A" or not granules or not datastrips:
            raise ProductError(
                f"{root} is not an L2A product folder (S2x_MSIL2A_....SAFE with GRANULE/ and DATASTRIP/)"
            )
        if tif is None:
            tif = any(granules[0].glob("IMG_DATA/R*m/*.tif")) and not any(
                granules[0].glob("IMG_DATA/R*m/*.jp2")
            )
        mtd = root / "MTD_MSIL2A.xml"
        psd = 15 if mtd.is_file() and b"psd-15.sentinel2" in mtd.read_bytes()[:600] else 14
        return cls(
            root=root,
            name=name,
            granule_name=granules[0].name,
            datastrip_name=datastrips[0].name,
            tile_id=fields.tile_id,
            datatake_start=fields.datatake_start,
            extension=".tif" if tif else ".jp2",
            psd_major=psd,
        )

    def moved_to(self, root: Path) -> L2ALayout:
        """The same product planned at another folder (the temporary twin while writing)."""
        return dataclasses.replace(self, root=Path(root))

    # ----------------------------------------------------------------- folders
    @property
    def granule(self) -> Path:
        return self.root / "GRANULE" / self.granule_name

    @property
    def datastrip(self) -> Path:
        return self.root / "DATASTRIP" / self.datastrip_name

    def img_dir(self, resolution_m: int) -> Path:
        """``GRANULE/<tile>/IMG_DATA/R10m`` etc."""
        _check_resolution(resolution_m)
        return self.granule / "IMG_DATA" / f"R{resolution_m}m"

    @property
    def qi_dir(self) -> Path:
        return self.granule / "QI_DATA"

    @property
    def granule_aux_dir(self) -> Path:
        return self.granule / "AUX_DATA"

    @property
    def datastrip_qi_dir(self) -> Path:
        return self.datastrip / "QI_DATA"

    @property
    def aux_dir(self) -> Path:
        return self.root / "AUX_DATA"

    @property
    def html_dir(self) -> Path:
        return self.root / "HTML"

    @property
    def rep_info_dir(self) -> Path:
        return self.root / "rep_info"

    def directories(self) -> list[Path]:
        """Every folder of manual Fig. 2-19, parents first."""
        return [
            self.root,
            self.aux_dir,
            self.html_dir,
            self.rep_info_dir,
            self.root / "DATASTRIP",
            self.datastrip,
            self.datastrip_qi_dir,
            self.root / "GRANULE",
            self.granule,
            self.granule_aux_dir,
            self.granule / "IMG_DATA",
            *(self.img_dir(r) for r in RESOLUTIONS_M),
            self.qi_dir,
        ]

    # ----------------------------------------------------------------- files
    @property
    def mtd_product(self) -> Path:
        return self.root / "MTD_MSIL2A.xml"

    @property
    def mtd_tile(self) -> Path:
        return self.granule / "MTD_TL.xml"

    @property
    def mtd_datastrip(self) -> Path:
        return self.datastrip / "MTD_DS.xml"

    @property
    def inspire(self) -> Path:
        return self.root / "INSPIRE.xml"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.safe"

    @property
    def l2a_quality(self) -> Path:
        """``GRANULE/<tile>/QI_DATA/L2A_QUALITY.xml``."""
        return self.qi_dir / "L2A_QUALITY.xml"

    @property
    def pvi(self) -> Path:
        """``GRANULE/<tile>/QI_DATA/T29UNU_20221005T115411_PVI.jp2``."""
        return self.qi_dir / (naming.pvi_stem(self.tile_id, self.datatake_start) + self.extension)

    def layers(self, resolution_m: int) -> tuple[str, ...]:
        """Layers written at a resolution, in the official listing order (bands, TCI, AOT, WVP, SCL)."""
        _check_resolution(resolution_m)
        return LAYERS[resolution_m]

    def band(self, layer: str, resolution_m: int) -> Path:
        """Image file of a band/AOT/WVP/SCL/TCI layer.

        E.g. ``IMG_DATA/R20m/T29UNU_20221005T115411_SCL_20m.jp2``.
        """
        if layer not in self.layers(resolution_m):
            raise ValueError(
                f"layer {layer!r} is not written at {resolution_m} m; "
                f"expected one of {', '.join(self.layers(resolution_m))}"
            )
        stem = naming.image_stem(self.tile_id, self.datatake_start, layer, resolution_m)
        return self.img_dir(resolution_m) / (stem + self.extension)

    def image_files(self, resolution_m: int) -> list[Path]:
        """All image files of one resolution in listing order."""
        return [self.band(layer, resolution_m) for layer in self.layers(resolution_m)]

    def probability_mask(self, kind: str, resolution_m: int) -> Path:
        """``QI_DATA/MSK_CLDPRB_20m.jp2`` / ``MSK_SNWPRB_60m.jp2`` / ``MSK_DDVPXL_20m.jp2``."""
        if kind not in QI_MASKS or resolution_m not in PROBABILITY_MASK_RESOLUTIONS_M:
            raise ValueError(
                f"QI mask {kind!r} at {resolution_m} m does not exist; expected "
                f"{QI_MASKS} at {PROBABILITY_MASK_RESOLUTIONS_M} m"
            )
        return self.qi_dir / f"{kind}_{resolution_m}m{self.extension}"

    def dem(self, resolution_m: int) -> Path:
        """Optional DEM output ``GRANULE/<tile>/AUX_DATA/T29UNU_20221005T115411_DEM_20m.jp2``."""
        _check_resolution(resolution_m)
        stem = naming.image_stem(self.tile_id, self.datatake_start, "DEM", resolution_m)
        return self.granule_aux_dir / (stem + self.extension)

    def relative(self, path: Path) -> str:
        """POSIX path relative to the product root, as the metadata and manifest write it."""
        return Path(path).relative_to(self.root).as_posix()

    def metadata_entry(self, path: Path) -> str:
        """IMAGE_FILE text: relative path without extension."""
        rel = self.relative(path)
        return rel.rsplit(".", 1)[0] if "." in Path(rel).name else rel


#: Highest PSD version whose L2A output carries no BOA_ADD_OFFSET (Sen2Cor writes DN = rho * 10000 up to
#: PSD 14.6 and DN = rho * 10000 + 1000 above; derived ATCOR ``write_output_file_a3``, facts B.14).
LAST_PSD_WITHOUT_OFFSET = (14, 6)


def force_psd(product: Any, psd_version: str | None) -> Any:
    """The L1C ``product`` as the writers see it when L2A_GIPP PSD_Version forces an output PSD ("15.0"):
    its ``psd_version`` replaced; ``None`` (DEFAULT) keeps the input's. The reading side is unaffected."""
    if psd_version is None or psd_version == product.psd_version:
        return product
    return dataclasses.replace(product, psd_version=psd_version)


def output_boa_offset(psd_version: str | None) -> int:
    """BOA_ADD_OFFSET (DN) of an L2A product of ``psd_version``: -1000 above PSD 14.6, else 0."""
    try:
        major, minor = (int(p) for p in str(psd_version).split(".")[:2])
    except ValueError:
        return -1000
    return -1000 if (major, minor) > LAST_PSD_WITHOUT_OFFSET else 0


def psd_major_of(psd_version: str | float | None) -> int:
    """15 for a PSD 15.x input, else 14 (older inputs are written in the PSD 14.9 layout)."""
    try:
        return 15 if float(psd_version or 0) >= 15.0 else 14
    except ValueError:
        return 14


def _datastrip_origin(product: Any) -> tuple[str, datetime]:
    """(processing centre, sensing start) of the L1C datastrip: from its folder name, else from the
    reader's datastrip metadata (compact products without DATASTRIP/ folder)."""
    folder = getattr(product, "datastrip_dir", None)
    if folder is not None:
        centre, _, start = naming.parse_datastrip_folder(Path(folder).name)
        return centre, start
    datastrip = getattr(product, "datastrip", None)
    if datastrip is None:
        raise ProductError(
            f"L1C product {getattr(product, 'path', product)} has neither a DATASTRIP folder nor "
            "datastrip metadata; the L2A datastrip name cannot be derived"
        )
    return datastrip.processing_centre, datastrip.sensing_start


def _check_resolution(resolution_m: int) -> None:
    if resolution_m not in RESOLUTIONS_M:
        raise ValueError(f"resolution {resolution_m!r} m not supported; expected one of {RESOLUTIONS_M}")


def utc_milliseconds(moment: datetime) -> datetime:
    """UTC, truncated to milliseconds (GENERATION_TIME is written as ...T13:10:28.715000Z)."""
    utc = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return utc.replace(microsecond=utc.microsecond // 1000 * 1000)
