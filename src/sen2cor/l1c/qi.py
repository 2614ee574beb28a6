"""QI_DATA of the L1C tile: mask file paths and the GENERAL_QUALITY.xml report.

Baseline >= 04.00: raster masks MSK_QUALIT_Bxx.jp2 (per-band quality layers), MSK_DETFOO_Bxx.jp2
(detector footprint) and MSK_CLASSI_B00.jp2 (cloud/cirrus/snow classification).
Older baselines: GML vector masks MSK_{DEFECT,DETFOO,NODATA,SATURA,TECQUA}_Bxx.gml and MSK_CLOUDS_B00.gml;
their paths are recorded, they are not rasterised here.

Degraded bands are read from GENERAL_QUALITY.xml: every check whose status is not PASSED and whose
message or extra values name a band (B01..B12, B8A) marks that band degraded (inferred rule; the real
reports at hand all PASSED, see docs/l1c_reader.md).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sen2cor.bands import BAND_IDS
from sen2cor.l1c import xmlpath
from sen2cor.l1c.tile import MaskFile

log = logging.getLogger(__name__)

_BAND_TOKEN = re.compile(r"\bB(0?[1-9]|1[0-2]|8A)\b")
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
