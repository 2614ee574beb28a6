"""QI_DATA of the L1C tile: mask file paths and the GENERAL_QUALITY.xml report.

Baseline >= 04.00: raster masks MSK_QUALIT_Bxx.jp2 (per-band quality layers), MSK_DETFOO_Bxx.jp2
(detector footprint) and MSK_CLASSI_B00.jp2 (cloud/cirrus/snow classification).
Older baselines: GML vector masks MSK_{DEFECT,DETFOO,NODATA,SATURA,TECQUA}_Bxx.gml and MSK_CLOUDS_B00.gml;
their paths are recorded and :func:`rasterize_gml` burns them onto a band grid when needed.

:func:`defective_pixels` reads what Handle_L1C_QLT_Mask uses: the QT_DEFECTIVE_PIXELS and
QT_SATURATED_PIXELS_L1A layers of MSK_QUALIT (PSD >= 14.8; only those two components are decoded),
or the MSK_DEFECT and MSK_SATURA polygons of older baselines.

Degraded bands are read from GENERAL_QUALITY.xml: every check whose status is not PASSED and whose
message or extra values name a band (B01..B12, B8A) marks that band degraded (inferred rule; the real
reports at hand all PASSED, see docs/l1c_reader.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sen2cor.bands import BAND_IDS
from sen2cor.errors import ProductReadError
from sen2cor.io.jp2 import read_jp2_strips
from sen2cor.l1c import xmlpath
from sen2cor.l1c.tile import GeoPosition, MaskFile

log = logging.getLogger(__name__)

_BAND_TOKEN = re.compile(r"\bB(0?[1-9]|1[0-2]|8A)\b")
#: Layers of MSK_QUALIT_Bxx.jp2 (PSD >= 14.8), in component order.
QUALIT_LAYERS = ("ANC_LOST", "ANC_DEG", "MSI_LOST", "MSI_DEG", "QT_DEFECTIVE_PIXELS", "QT_NODATA_PIXELS",
                 "QT_PARTIALLY_CORRECTED_PIXELS", "QT_SATURATED_PIXELS_L1A")
#: The layers that make a pixel SATURATED_DEFECTIVE with Handle_L1C_QLT_Mask TRUE.
DEFECTIVE_LAYERS = ("QT_DEFECTIVE_PIXELS", "QT_SATURATED_PIXELS_L1A")
#: Their GML counterparts of baselines < 04.00.
DEFECTIVE_GML_MASKS = ("MSK_DEFECT", "MSK_SATURA")
_REPORTS = (
    "FORMAT_CORRECTNESS",
    "GENERAL_QUALITY",
    "GEOMETRIC_QUALITY",
    "RADIOMETRIC_QUALITY",
    "SENSOR_QUALITY",
)


@dataclass(frozen=True)
class QualityCheck:
    """One ``check`` of an OLQC report."""

    check_id: str
    status: str
    message: str
    extra_values: Mapping[str, str]


@dataclass(frozen=True)
class QualityInfo:
    """Tile QI_DATA content.

    Attributes
    ----------
    qi_dir : GRANULE/<tile>/QI_DATA.
    mask_format : 'jp2' (baseline >= 04.00) or 'gml'.
    masks : (mask type, band or None) -> absolute path, from MTD_TL Pixel_Level_QI.
    missing_masks : listed masks whose file does not exist.
    reports : report name (e.g. 'GENERAL_QUALITY') -> path, for those present.
    general_quality : checks of GENERAL_QUALITY.xml (empty when the file is absent).
    degraded_bands : bands named by a non-PASSED GENERAL_QUALITY check.
    """

    qi_dir: Path
    mask_format: str
    masks: Mapping[tuple[str, str | None], Path]
    missing_masks: tuple[Path, ...]
    reports: Mapping[str, Path]
    general_quality: tuple[QualityCheck, ...]
    degraded_bands: tuple[str, ...]

    def mask(self, mask_type: str, band: str | None = None) -> Path | None:
        """Path of e.g. ``mask('MSK_QUALIT', 'B04')`` or ``mask('MSK_CLASSI')``; None when not listed."""
        return self.masks.get((mask_type, band))

    @property
    def classification_mask(self) -> Path | None:
        """MSK_CLASSI_B00.jp2 (baseline >= 04.00) or None."""
        return self.mask("MSK_CLASSI")

    def quality_mask(self, band: str) -> Path | None:
        """MSK_QUALIT_<band>.jp2 (baseline >= 04.00) or None."""
        return self.mask("MSK_QUALIT", band)

    def detector_footprint(self, band: str) -> Path | None:
        """MSK_DETFOO_<band> (.jp2 from 04.00, .gml before)."""
        return self.mask("MSK_DETFOO", band)


def _normalise_band(token: str) -> str:
    return "B8A" if token == "8A" else f"B{int(token):02d}"


def read_quality_report(file: Path) -> tuple[QualityCheck, ...]:
    """All ``check`` elements of an OLQC report (GENERAL_QUALITY.xml and siblings)."""
    root = xmlpath.parse_xml(file)
    checks = []
    for check in xmlpath.find_all(root, "//check"):
        inspection = xmlpath.find(check, "inspection")
        extras = {
            e.get("name", ""): (e.text or "").strip() for e in xmlpath.find_all(check, "extraValues/value")
        }
        checks.append(
            QualityCheck(
                check_id=inspection.get("id", "") if inspection is not None else "",
                status=inspection.get("status", "") if inspection is not None else "",
                message=xmlpath.optional_text(check, "message") or "",
                extra_values=xmlpath.FrozenDict(extras),
            )
        )
    return tuple(checks)


def degraded_bands(checks: tuple[QualityCheck, ...]) -> tuple[str, ...]:
    """Bands named by the message or extra values of checks that did not pass, in band order."""
    named = set()
    for check in checks:
        if check.status.upper() == "PASSED":
            continue
        texts = [check.message, *check.extra_values.keys(), *check.extra_values.values()]
        for text in texts:
            named.update(_normalise_band(m) for m in _BAND_TOKEN.findall(text))
    return tuple(b for b in BAND_IDS if b in named)


def read_quality_info(
    product_dir: Path, granule_dir: Path, mask_files: tuple[MaskFile, ...], mask_format: str
) -> QualityInfo:
    """Collect the tile QI paths (listed in MTD_TL) and parse GENERAL_QUALITY.xml if present."""
    qi_dir = granule_dir / "QI_DATA"
    masks, missing = {}, []
    for entry in mask_files:
        path = xmlpath.listed_path(product_dir, entry.relative_path, granule_dir / "MTD_TL.xml")
        if not path.suffix:
            path = path.with_suffix("." + mask_format)
        if not path.is_file():
            # PSD 14 lists masks relative to the product; tolerate a bare file name too.
            candidate = qi_dir / Path(entry.relative_path).name
            path = candidate if candidate.is_file() else path
        masks[(entry.mask_type, entry.band)] = path
        if not path.is_file():
            missing.append(path)
    if missing:
        log.warning(
            "%d quality mask file(s) listed in MTD_TL.xml are missing, e.g. %s", len(missing), missing[0]
        )
    reports = {name: qi_dir / f"{name}.xml" for name in _REPORTS if (qi_dir / f"{name}.xml").is_file()}
    checks = read_quality_report(reports["GENERAL_QUALITY"]) if "GENERAL_QUALITY" in reports else ()
    return QualityInfo(
        qi_dir,
        mask_format,
        xmlpath.FrozenDict(masks),
        tuple(missing),
        xmlpath.FrozenDict(reports),
        checks,
        degraded_bands(checks),
    )


#: ``(row0, col0, row1, col1)`` of a band grid, in its own pixels.
Window = tuple[int, int, int, int]


def defective_pixels(qi: QualityInfo, band: str, geoposition: GeoPosition, epsg: int, *,
                     window: Window | None = None, nr_threads: int = 1) -> np.ndarray | None:
    """Defective or L1A-saturated pixels of ``band`` on its native grid (or ``window`` of it).

    Raster masks: any of :data:`DEFECTIVE_LAYERS` set in MSK_QUALIT_<band>.jp2 (decoded strip by strip, two
    components). GML masks: the polygons of MSK_DEFECT and MSK_SATURA burnt in (pixel centres inside).
    Returns None when the product lists no such mask for ``band``.
    """
    rows, cols = (geoposition.nrows, geoposition.ncols) if window is None else \
        (window[2] - window[0], window[3] - window[1])
    raster = qi.quality_mask(band) if qi.mask_format == "jp2" else None
    if raster is not None:
        out = np.zeros((rows, cols), bool)
        components = tuple(QUALIT_LAYERS.index(name) for name in DEFECTIVE_LAYERS)
        for offset, strip in read_jp2_strips(raster, nr_threads=nr_threads, window=window, components=components):
            out[offset:offset + strip.shape[0]] = strip.any(axis=-1)
        return out
    paths = [qi.mask(kind, band) for kind in DEFECTIVE_GML_MASKS]
    paths = [path for path in paths if path is not None and path.suffix.lower() == ".gml"]
    if not paths:
        return None
    ulx, xdim, _, uly, _, ydim = geoposition.geotransform
    if window is not None:
        ulx, uly = ulx + window[1] * xdim, uly + window[0] * ydim
    out = np.zeros((rows, cols), bool)
    for path in paths:
        out |= rasterize_gml(path, (ulx, xdim, 0.0, uly, 0.0, ydim), (rows, cols), epsg) != 0
    return out


def rasterize_gml(path: Path, geotransform: tuple[float, ...], shape: tuple[int, int], epsg: int,
                  value_of: Callable[[str], int] | None = None) -> np.ndarray:
    """Burn the polygons of a GML mask (eop:Mask) onto a grid: uint8, 0 outside every polygon.

    ``value_of(gml_id)`` gives each feature's value (default 1), e.g. the detector number of a
    ``detector_footprint-B01-12-0`` feature. A mask without members (``<eop:maskMembers/>``) is all 0.
    """
    from osgeo import gdal, ogr, osr

    gdal.UseExceptions()
    ogr.UseExceptions()
    try:
        if not Path(path).is_file():
            raise RuntimeError("no such file")
        source = ogr.Open(str(path))
    except RuntimeError as exc:
        raise ProductReadError(f"cannot read GML mask {path}: {exc}") from exc
    target = gdal.GetDriverByName("MEM").Create("", shape[1], shape[0], 1, gdal.GDT_Byte)
    target.SetGeoTransform(tuple(geotransform))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(int(epsg))
    target.SetProjection(srs.ExportToWkt())
    for index in range(source.GetLayerCount() if source is not None else 0):
        layer = source.GetLayer(index)
        if value_of is None:
            gdal.RasterizeLayer(target, [1], layer, burn_values=[1])
            continue
        for feature in layer:
            value = int(value_of(feature.GetField("gml_id") or ""))
            memory = ogr.GetDriverByName("Memory").CreateDataSource("")
            single = memory.CreateLayer("one", layer.GetSpatialRef(), layer.GetGeomType())
            copy = ogr.Feature(single.GetLayerDefn())
            copy.SetGeometry(feature.GetGeometryRef().Clone())
            single.CreateFeature(copy)
            gdal.RasterizeLayer(target, [1], single, burn_values=[value])
    return target.GetRasterBand(1).ReadAsArray()
