"""DEM formats Sen2Cor 2.12 understands: geocell names, coverage, local files, download URLs.

=================  ====================================================  =====================
format             geocell file (in DEM_Directory)                        DEM_Reference
=================  ====================================================  =====================
SRTM (CGIAR 5x5)   ``srtm_XX_YY.zip`` (or the extracted ``srtm_XX_YY.tif``)  URL of the zips
Copernicus AWS     ``Copernicus_DSM_COG_10_N45_00_E006_00_DEM/`` +          copernicus-dem-30m /
                   ``<same>.tif`` (folder as on AWS, or the .tif alone)     -90m bucket URL
Copernicus CDSE    ``Copernicus_DSM_10_N45_00_E006_00_DEM.tif`` (GLO-30),    ``CDSE-GLO-30`` /
DGED               ``Copernicus_DSM_30_..._DEM.tif`` (GLO-90), flat          ``CDSE-GLO-90``
PlanetDEM DTED-1   ``e006n45.dt1`` ((e|w)XXX(n|s)YY, south-west corner)     any label
=================  ====================================================  =====================

SRTM cells: ``XX = floor((lon + 180) / 5) + 1`` (1..72), ``YY = floor((60 - lat) / 5) + 1``
(1..24); coverage 60 N .. 60 S in the grid, data to 56 S. All other cells are 1 x 1 degree
named after their south-west corner.
"""

from __future__ import annotations

import enum
import logging
import math
from dataclasses import dataclass
from pathlib import Path

from sen2cor.errors import DemError

log = logging.getLogger(__name__)

#: SRTM (CGIAR-CSI v4.1) latitude coverage, degrees (manual §3.1.2).
SRTM_LAT_MAX_DEG = 60.0
SRTM_LAT_MIN_DEG = -56.0
#: The SRTM 5x5 grid itself starts at 60 N and has 24 rows.
SRTM_GRID_TOP_DEG = 60.0
SRTM_CELL_DEG = 5.0
#: Fraction of a cell that must be covered for the cell to be needed (guards float noise).
_EPS_DEG = 1e-9


class DemFormat(enum.Enum):
    """DEM families with their Sen2Cor ``DEM_TYPE`` quality-report codes."""

    SRTM = "SRTM_90"
    COPERNICUS_AWS_30 = "AWS_COPERNICUS_30"
    COPERNICUS_AWS_90 = "AWS_COPERNICUS_90"
    COPERNICUS_DGED_30 = "COPERNICUS_30"
    COPERNICUS_DGED_90 = "COPERNICUS_90"
    DTED = "DTED_90"

    @property
    def dem_type(self) -> str:
        """Code for L2A_QUALITY ``DEM_TYPE`` (config facts §6.1)."""
        return self.value

    @property
    def downloadable(self) -> bool:
        """Whether Sen2Cor fetches this format itself from DEM_Reference (SRTM and AWS only)."""
        return self in (DemFormat.SRTM, DemFormat.COPERNICUS_AWS_30, DemFormat.COPERNICUS_AWS_90)


@dataclass(frozen=True)
class Geocell:
    """One DEM file: name, geographic extent (deg), path relative to DEM_Directory and URL path."""

    fmt: DemFormat
    name: str
    lon_min: float
    lat_min: float
    lon_max: float
    lat_max: float
    relative_path: str
    url_path: str | None

    def candidates(self, directory: Path) -> list[Path]:
        """Local files accepted for this cell, preferred first."""
        if self.fmt is DemFormat.SRTM:
            return [directory / f"{self.name}.zip", directory / f"{self.name}.tif"]
        if self.fmt in (DemFormat.COPERNICUS_AWS_30, DemFormat.COPERNICUS_AWS_90):
            return [directory / self.name / f"{self.name}.tif", directory / f"{self.name}.tif"]
        if self.fmt is DemFormat.DTED:  # PDGS static auxiliaries spell it w009_s73.dt1
            stem = self.name[:-4]
            return [
                directory / self.name,
                directory / self.name.upper(),
                directory / f"{stem[:4]}_{stem[4:]}.dt1",
            ]
        return [directory / self.relative_path]

    def find(self, directory: Path) -> Path | None:
        """First existing candidate file (symbolic links followed), or None."""
        for path in self.candidates(directory):
            if path.is_file():
                return path
        return None


def detect_format(dem_reference: str, directory: Path | None = None) -> DemFormat:
    """Choose the DEM format from ``DEM_Reference`` and, failing that, from the directory content.

    ``CDSE-GLO-30``/``CDSE-GLO-90`` select the DGED geocells; an URL naming the
    ``copernicus-dem-30m``/``-90m`` buckets selects the AWS COGs; an URL mentioning ``srtm``
    selects CGIAR SRTM. Otherwise the files present decide; an unknown URL defaults to SRTM,
    the only format older Sen2Cor versions downloaded.
    """
    ref = dem_reference.strip()
    upper = ref.upper()
    if upper in ("CDSE-GLO-30", "CDSE-GLO-90"):
        return DemFormat.COPERNICUS_DGED_30 if upper.endswith("30") else DemFormat.COPERNICUS_DGED_90
    if upper.startswith("CDSE"):
        raise DemError(
            f"DEM_Reference '{ref}': the CDSE resolution is mandatory, expected 'CDSE-GLO-30' or "
            "'CDSE-GLO-90'"
        )
    lower = ref.lower()
    if "copernicus-dem-30m" in lower:
        return DemFormat.COPERNICUS_AWS_30
    if "copernicus-dem-90m" in lower:
        return DemFormat.COPERNICUS_AWS_90
    if "srtm" in lower:
        return DemFormat.SRTM
    found = _format_from_content(directory) if directory is not None else None
    if found is not None:
        return found
    if is_url(ref):
        return DemFormat.SRTM
    raise DemError(
        f"cannot tell the DEM format: DEM_Reference '{ref}' is neither CDSE-GLO-30/90 nor an URL and "
        f"DEM_Directory {directory} holds no srtm_XX_YY, Copernicus_DSM_* or *.dt1 files"
    )


def is_url(reference: str) -> bool:
    return reference.strip().lower().startswith(("http://", "https://"))


def _format_from_content(directory: Path) -> DemFormat | None:
    if not directory.is_dir():
        return None
    names = [p.name for p in directory.iterdir()]
    checks = (
        (DemFormat.SRTM, lambda n: n.lower().startswith("srtm_")),
        (DemFormat.COPERNICUS_AWS_30, lambda n: n.startswith("Copernicus_DSM_COG_10_")),
        (DemFormat.COPERNICUS_AWS_90, lambda n: n.startswith("Copernicus_DSM_COG_30_")),
        (DemFormat.COPERNICUS_DGED_30, lambda n: n.startswith("Copernicus_DSM_10_")),
        (DemFormat.COPERNICUS_DGED_90, lambda n: n.startswith("Copernicus_DSM_30_")),
        (DemFormat.DTED, lambda n: n.lower().endswith(".dt1")),
    )
    present = [fmt for fmt, test in checks if any(test(n) for n in names)]
    if len(present) > 1:
        log.warning(
            "DEM_Directory %s mixes DEM formats %s; using %s",
            directory,
            [f.name for f in present],
            present[0].name,
        )
    return present[0] if present else None


def coverage_problem(fmt: DemFormat, bbox_deg: tuple[float, float, float, float]) -> str | None:
    """Why ``fmt`` cannot cover the lon/lat box, or None. Only SRTM has a latitude limit."""
    _, lat_min, _, lat_max = bbox_deg
    if fmt is DemFormat.SRTM and (lat_max > SRTM_LAT_MAX_DEG or lat_min < SRTM_LAT_MIN_DEG):
        return (
            f"tile latitudes {lat_min:.2f}..{lat_max:.2f} deg leave the SRTM coverage "
            f"({SRTM_LAT_MIN_DEG:g}..{SRTM_LAT_MAX_DEG:g} deg)"
        )
    return None


def select_geocells(fmt: DemFormat, bbox_deg: tuple[float, float, float, float]) -> list[Geocell]:
    """Geocells of ``fmt`` intersecting the (lon_min, lat_min, lon_max, lat_max) box, north-west first."""
    if fmt is DemFormat.SRTM:
        return _srtm_cells(bbox_deg)
    lon_min, lat_min, lon_max, lat_max = bbox_deg
    cells = []
    for lat in range(math.floor(lat_max - _EPS_DEG), math.floor(lat_min + _EPS_DEG) - 1, -1):
        for lon in range(math.floor(lon_min + _EPS_DEG), math.floor(lon_max - _EPS_DEG) + 1):
            cells.append(_one_degree_cell(fmt, _wrap_lon(lon), lat))
    return cells


def _srtm_cells(bbox_deg: tuple[float, float, float, float]) -> list[Geocell]:
    lon_min, lat_min, lon_max, lat_max = bbox_deg
    col_lo = math.floor((lon_min + 180.0) / SRTM_CELL_DEG + _EPS_DEG) + 1
    col_hi = math.floor((lon_max + 180.0) / SRTM_CELL_DEG - _EPS_DEG) + 1
    row_lo = math.floor((SRTM_GRID_TOP_DEG - lat_max) / SRTM_CELL_DEG + _EPS_DEG) + 1
    row_hi = math.floor((SRTM_GRID_TOP_DEG - lat_min) / SRTM_CELL_DEG - _EPS_DEG) + 1
    cells = []
    for row in range(max(row_lo, 1), min(row_hi, 24) + 1):
        for col in range(col_lo, col_hi + 1):
            col_wrapped = (col - 1) % 72 + 1
            cells.append(srtm_cell(col_wrapped, row))
    return cells


def srtm_cell(col: int, row: int) -> Geocell:
    """CGIAR cell ``srtm_<col>_<row>`` (col 1..72 from 180 W, row 1..24 from 60 N)."""
    if not (1 <= col <= 72 and 1 <= row <= 24):
        raise DemError(f"SRTM cell srtm_{col:02d}_{row:02d} does not exist (col 1..72, row 1..24)")
    name = f"srtm_{col:02d}_{row:02d}"
    lon0 = -180.0 + (col - 1) * SRTM_CELL_DEG
    lat_top = SRTM_GRID_TOP_DEG - (row - 1) * SRTM_CELL_DEG
    return Geocell(
        DemFormat.SRTM,
        name,
        lon0,
        lat_top - SRTM_CELL_DEG,
        lon0 + SRTM_CELL_DEG,
        lat_top,
        f"{name}.zip",
        f"{name}.zip",
    )


def _wrap_lon(lon: int) -> int:
    return (lon + 180) % 360 - 180


def _ns_ew(lon: int, lat: int) -> tuple[str, str]:
    return ("N" if lat >= 0 else "S") + f"{abs(lat):02d}", ("E" if lon >= 0 else "W") + f"{abs(lon):03d}"


def copernicus_name(lon: int, lat: int, arcsec: int, cog: bool) -> str:
    """E.g. ``Copernicus_DSM_COG_10_N45_00_E006_00_DEM`` (cog) or ``Copernicus_DSM_30_S01_00_W074_00_DEM``."""
    ns, ew = _ns_ew(lon, lat)
    return f"Copernicus_DSM_{'COG_' if cog else ''}{arcsec}_{ns}_00_{ew}_00_DEM"


def dted_name(lon: int, lat: int) -> str:
    """PlanetDEM DTED-1 file name of the cell whose south-west corner is (lon, lat), e.g. ``w009n45.dt1``."""
    ns, ew = _ns_ew(lon, lat)
    return f"{ew.lower()}{ns.lower()}.dt1"


def _one_degree_cell(fmt: DemFormat, lon: int, lat: int) -> Geocell:
    if fmt is DemFormat.DTED:
        name = dted_name(lon, lat)
        return Geocell(fmt, name, lon, lat, lon + 1, lat + 1, name, None)
    arcsec = 10 if fmt in (DemFormat.COPERNICUS_AWS_30, DemFormat.COPERNICUS_DGED_30) else 30
    cog = fmt in (DemFormat.COPERNICUS_AWS_30, DemFormat.COPERNICUS_AWS_90)
    name = copernicus_name(lon, lat, arcsec, cog)
    if cog:
        rel = f"{name}/{name}.tif"
        return Geocell(fmt, name, lon, lat, lon + 1, lat + 1, rel, rel)
    return Geocell(fmt, name, lon, lat, lon + 1, lat + 1, f"{name}.tif", None)
