"""What one run returns: :class:`L2AResult`, with the quality indicators read back from the written product.

The indicators are read from the published product's metadata, not from the run's memory, so a product
found "already processed" reports the same numbers as the run that made it: ``Image_Content_QI`` of
MTD_TL.xml (class percentages, AOT / WV means, AOT method), every value of ``QI_DATA/L2A_QUALITY.xml``
and, for a Toolbox product, ``Cloud_Coverage_Assessment`` of MTD_MSIL2A.xml.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sen2cor.product.metadata import child, local, read_xml
from sen2cor.quality.report import read_quality_values

#: L2AResult.status values.
PROCESSED, ALREADY_PROCESSED, CREATED = "processed", "already_processed", "created"


@dataclass(frozen=True)
class ProductQuality:
    """Quality indicators of one L2A tile, by their metadata names, as written (text)."""

    values: Mapping[str, str]
    cloud_coverage_assessment: float | None = None   # MTD_MSIL2A.xml (%), None for a PDGS tile folder

    def number(self, name: str) -> float | None:
        """Indicator ``name`` as a float; None when absent or not a number."""
        try:
            return float(self.values[name])
        except (KeyError, TypeError, ValueError):
            return None

    @property
    def cloud_percent(self) -> float | None:
        """CLOUDY_PIXEL_PERCENTAGE (%)."""
        return self.number("CLOUDY_PIXEL_PERCENTAGE")

    @property
    def class_percentages(self) -> dict[str, float]:
        """Every ``*_PERCENTAGE`` indicator of MTD_TL.xml / L2A_QUALITY.xml (%), e.g. VEGETATION_PERCENTAGE."""
        found = {name: self.number(name) for name in self.values if name.endswith("_PERCENTAGE")}
        return {name: value for name, value in found.items() if value is not None}

    @property
    def aot_mean(self) -> float | None:
        """GRANULE_MEAN_AOT (aerosol optical thickness at 550 nm, unitless)."""
        return self.number("GRANULE_MEAN_AOT")

    @property
    def wv_mean(self) -> float | None:
        """GRANULE_MEAN_WV (water-vapour column, cm)."""
        return self.number("GRANULE_MEAN_WV")

    @property
    def aot_method(self) -> str | None:
        """AOT_RETRIEVAL_METHOD (SEN2COR_DDV, CAMS, ...)."""
        return self.values.get("AOT_RETRIEVAL_METHOD")


@dataclass(frozen=True)
class ProgressStep:
    """One ``Progress[%]`` event of the run: percentage, step text and seconds since the run started."""

    percent: float
    step: str
    elapsed_s: float


@dataclass(frozen=True)
class L2AResult:
    """Outcome of one successful run (failures raise :class:`sen2cor.errors.Sen2CorError`)."""

    input: Path | None                 # input_dir (Toolbox), --tile (process_tile), --datastrip (generate_datastrip)
    mode: str                          # "toolbox", "generate_datastrip" or "process_tile"
    status: str                        # "processed", "already_processed" or "created" (--cr_only)
    output: Path | None                # the L2A product, tile or datastrip folder under its final name
    report: Path | None = None         # the run's report file ($SEN2COR_HOME/log), when one was written
    quality: ProductQuality | None = None
    wall_time_s: float = 0.0
    cpu_time_s: float = 0.0            # user + system time of this process during the run
    peak_rss_bytes: int | None = None  # peak resident memory during the run (see peak_rss_scope)
    peak_rss_scope: str = "run"        # "run": peak reset at the start; "process": since the process started
    steps: tuple[ProgressStep, ...] = field(default_factory=tuple)
    exit_code: int = 0

    def as_dict(self) -> dict[str, object]:
        """Plain JSON-ready values (paths as strings, quality values and the convenience numbers)."""
        data = asdict(self)
        for key in ("input", "output", "report"):
            data[key] = None if data[key] is None else str(data[key])
        if self.quality is not None:
            data["quality"] = {"values": dict(self.quality.values),
                               "cloud_coverage_assessment": self.quality.cloud_coverage_assessment,
                               "cloud_percent": self.quality.cloud_percent, "aot_mean": self.quality.aot_mean,
                               "wv_mean": self.quality.wv_mean, "aot_method": self.quality.aot_method}
        return data


def read_product_quality(path: Path) -> ProductQuality | None:
    """Quality indicators of an L2A product (``.SAFE`` with one granule) or a PDGS L2A tile folder.

    None when the product holds no ``L2A_QUALITY.xml`` (``--cr_only``). Raises ProductReadError naming
    the file when a metadata file is unreadable.
    """
    path = Path(path)
    if (path / "MTD_MSIL2A.xml").is_file():
        granules = sorted(g for g in (path / "GRANULE").glob("L2A_T*") if g.is_dir())
        if not granules:
            return None
        tile_dir = granules[0]
    else:
        tile_dir = path
    report = tile_dir / "QI_DATA" / "L2A_QUALITY.xml"
    if not report.is_file():
        return None
    values = dict(read_quality_values(report))
    mtd_tl = tile_dir / "MTD_TL.xml"
    if mtd_tl.is_file():
        content = child(read_xml(mtd_tl), "Quality_Indicators_Info", "Image_Content_QI")
        for node in content if content is not None else ():
            if isinstance(node.tag, str):
                values[local(node)] = (node.text or "").strip()
    cca = None
    if (path / "MTD_MSIL2A.xml").is_file():
        node = child(read_xml(path / "MTD_MSIL2A.xml"), "Quality_Indicators_Info", "Cloud_Coverage_Assessment")
        try:
            cca = float(node.text) if node is not None and node.text else None
        except ValueError:
            cca = None
    return ProductQuality(values, cca)
