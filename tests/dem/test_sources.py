"""Geocell naming and selection per DEM format, format detection, DEM_Directory resolution."""

from __future__ import annotations

import numpy as np
import pytest

from sen2cor.dem.prepare import resolve_dem_directory
from sen2cor.dem.sources import (
    DemFormat,
    copernicus_name,
    coverage_problem,
    detect_format,
    dted_name,
    select_geocells,
    srtm_cell,
)
from sen2cor.errors import DemError
from tests.dem.conftest import seam_grid


def names(fmt, bbox):
    return [cell.name for cell in select_geocells(fmt, bbox)]


@pytest.mark.parametrize(
    ("lon", "lat", "expected"),
    [
        (7.5, 47.5, "srtm_38_03"),  # (187.5 / 5) + 1 = 38, (12.5 / 5) + 1 = 3
        (-58.4, -34.6, "srtm_25_19"),  # (121.6 / 5) + 1 = 25, (94.6 / 5) + 1 = 19
        (-179.9, 59.9, "srtm_01_01"),
        (179.9, -55.9, "srtm_72_24"),
    ],
)
def test_srtm_cell_of_a_point(lon, lat, expected):
    assert names(DemFormat.SRTM, (lon, lat, lon, lat)) == [expected]


def test_srtm_selection_across_both_seams_and_exact_borders():
    assert names(DemFormat.SRTM, (4.9, 49.9, 5.1, 50.1)) == [
        "srtm_37_02",
        "srtm_38_02",
        "srtm_37_03",
        "srtm_38_03",
    ]
    # a box ending exactly on cell borders needs no neighbour
    assert names(DemFormat.SRTM, (5.0, 45.0, 10.0, 50.0)) == ["srtm_38_03"]


def test_srtm_cell_extent_and_paths():
    cell = srtm_cell(38, 3)
    assert (cell.lon_min, cell.lat_min, cell.lon_max, cell.lat_max) == (5.0, 45.0, 10.0, 50.0)
    assert cell.url_path == "srtm_38_03.zip"
    with pytest.raises(DemError, match="srtm_73_01"):
        srtm_cell(73, 1)


def test_copernicus_names_follow_the_south_west_corner():
    assert copernicus_name(6, 45, 10, cog=True) == "Copernicus_DSM_COG_10_N45_00_E006_00_DEM"
    assert copernicus_name(-74, -1, 30, cog=False) == "Copernicus_DSM_30_S01_00_W074_00_DEM"
    cells = select_geocells(DemFormat.COPERNICUS_DGED_90, (-73.5, -0.5, -73.5, -0.5))
    assert [c.name for c in cells] == ["Copernicus_DSM_30_S01_00_W074_00_DEM"]
    aws = select_geocells(DemFormat.COPERNICUS_AWS_30, (6.2, 45.2, 6.3, 45.3))[0]
    assert (
        aws.url_path
        == aws.relative_path
        == ("Copernicus_DSM_COG_10_N45_00_E006_00_DEM/Copernicus_DSM_COG_10_N45_00_E006_00_DEM.tif")
    )


def test_dted_names():
    assert dted_name(-9, 45) == "w009n45.dt1"
    assert dted_name(12, -73) == "e012s73.dt1"
    assert names(DemFormat.DTED, (-8.5, -72.5, -8.5, -72.5)) == ["w009s73.dt1"]


def test_one_degree_selection_north_west_first_and_across_the_antimeridian():
    assert names(DemFormat.DTED, (4.5, 49.5, 5.5, 50.5)) == [
        "e004n50.dt1",
        "e005n50.dt1",
        "e004n49.dt1",
        "e005n49.dt1",
    ]
    assert names(DemFormat.DTED, (179.5, 10.2, 180.5, 10.4)) == ["e179n10.dt1", "w180n10.dt1"]


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("CDSE-GLO-30 ", DemFormat.COPERNICUS_DGED_30),  # the manual's example has a trailing blank
        ("CDSE-GLO-90", DemFormat.COPERNICUS_DGED_90),
        ("https://copernicus-dem-30m.s3.eu-central-1.amazonaws.com/ ", DemFormat.COPERNICUS_AWS_30),
        ("https://copernicus-dem-90m.s3.eu-central-1.amazonaws.com/", DemFormat.COPERNICUS_AWS_90),
        ("http://srtm.csi.cgiar.org/wp-content/uploads/files/srtm_5x5/TIFF/", DemFormat.SRTM),
    ],
)
def test_format_from_dem_reference(reference, expected):
    assert detect_format(reference) is expected


def test_cdse_without_resolution_is_rejected():
    with pytest.raises(DemError, match="CDSE-GLO-30"):
        detect_format("CDSE")


def test_format_from_directory_content(tmp_path):
    (tmp_path / "e006n45.dt1").write_bytes(b"")
    assert detect_format("PlanetDEM", tmp_path) is DemFormat.DTED
    with pytest.raises(DemError, match="cannot tell the DEM format"):
        detect_format("my dem", tmp_path / "empty")


def test_srtm_coverage_is_60n_to_56s():
    assert coverage_problem(DemFormat.SRTM, (5, 59.0, 6, 59.9)) is None
    assert "60" in coverage_problem(DemFormat.SRTM, (5, 59.5, 6, 60.4))
    assert "-56" in coverage_problem(DemFormat.SRTM, (-70, -56.5, -69, -55.5))
    assert coverage_problem(DemFormat.COPERNICUS_AWS_90, (5, 70, 6, 71)) is None


def test_footprint_encloses_every_pixel_of_the_grid():
    grid = seam_grid()
    lon, lat = grid.pixel_centres_lonlat()
    lon_min, lat_min, lon_max, lat_max = grid.footprint_lonlat()
    assert lon_min <= lon.min() and lon.max() <= lon_max and lat_min <= lat.min() and lat.max() <= lat_max
    assert lon_min < 5.0 < lon_max and lat_min < 50.0 < lat_max
    # 6 km at 50 N: ~0.084 deg of longitude, 0.054 deg of latitude (plus the grid's small rotation)
    assert lon_max - lon_min == pytest.approx(0.084 + 0.003, abs=0.004)
    assert lat_max - lat_min == pytest.approx(0.054 + 0.002, abs=0.003)
    assert np.all(np.diff(lon, axis=1) > 0)


def test_dem_directory_none_relative_absolute_and_symlinked(tmp_path):
    home = tmp_path / "sen2cor" / "2.12"
    assert resolve_dem_directory("NONE", home) is None
    assert resolve_dem_directory(" none ", home) is None
    assert resolve_dem_directory("dem/CopernicusDEM90_AWS", home) == home / "dem" / "CopernicusDEM90_AWS"
    assert resolve_dem_directory(str(tmp_path / "abs"), home) == tmp_path / "abs"
    shared = tmp_path / "shared_dem"
    shared.mkdir()
    (shared / "srtm_38_03.zip").write_bytes(b"PK")
    (home / "dem").mkdir(parents=True)
    (home / "dem" / "srtm").symlink_to(shared, target_is_directory=True)
    directory = resolve_dem_directory("dem/srtm", home)
    assert srtm_cell(38, 3).find(directory) == directory / "srtm_38_03.zip"


def test_dem_type_codes_match_real_l2a_quality_reports():
    """The DEM_TYPE values listed in real L2A_QUALITY.xml files are the codes our formats report."""
    import re

    from tests.conftest import shared_path

    l2a = shared_path("data", "real", "l2a")
    listed, used = set(), set()
    for report in l2a.glob("*.SAFE/GRANULE/*/QI_DATA/L2A_QUALITY.xml"):
        text = report.read_text(encoding="utf-8")
        for comment in re.findall(r"<!-- DEM_TYPE: (.*?) -->", text):
            listed |= {re.sub(r"\(.*?\)", "", code).strip() for code in comment.split("|")}
        used |= set(re.findall(r'<value name="DEM_TYPE">([^<]+)</value>', text))
    if not listed:
        pytest.skip(f"no L2A_QUALITY.xml with a DEM_TYPE comment under {l2a}")
    ours = {fmt.dem_type for fmt in DemFormat}
    assert {"SRTM_90", "DTED_90", "COPERNICUS_90", "COPERNICUS_30"} <= listed & ours
    assert used <= listed
