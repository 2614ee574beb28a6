"""MTD_TL.xml reading: geocoding and 5 km angle grids of real L1C and L2A tiles (shared structure)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.l1c import merge_detectors, read_tile_metadata
from tests.conftest import REAL, shared_params, shared_path

TILE_MTDS = sorted(
    [p for p in REAL.glob("l1c/*/GRANULE/*/MTD_TL.xml")]
    + [p for p in REAL.glob("l1c/S2B_OPER_MSI_L1C_TL_*/MTD_TL.xml")]
    + [p for p in REAL.glob("l2a/*/GRANULE/*/MTD_TL.xml")]
    + [p for p in REAL.glob("metadata/stactools/*/GRANULE/*/MTD_TL.xml")]
)
TILE_MTDS = shared_params(TILE_MTDS, "tile metadata files (MTD_TL.xml)")


def _ids(path: Path) -> str:
    return path.parent.name


def _grid(root, expr: str) -> np.ndarray:
    rows = root.xpath(expr + "/*[local-name()='Values_List']/*[local-name()='VALUES']")
    return np.array([r.text.split() for r in rows], dtype=float)


@pytest.fixture(scope="module", params=TILE_MTDS, ids=_ids)
def tile_pair(request):
    return read_tile_metadata(request.param), etree.parse(str(request.param)).getroot()


def test_real_tile_metadata_is_present():
    shared_path("data", "real")
    assert len(TILE_MTDS) >= 8, "expected the real MTD_TL files of ../shared"


def test_angle_grids_are_23_by_23_at_5_km(tile_pair):
    tile, _ = tile_pair
    angles = tile.angles
    # 109.8 km tile sampled every 5 km from the corner: nodes 0, 5, ..., 110 km -> 23 nodes.
    assert angles.step_m == 5000.0
    assert angles.shape == (23, 23) == (int(np.ceil(109800 / 5000)) + 1,) * 2
    assert set(angles.viewing_zenith) == set(BAND_IDS)
    for band in BAND_IDS:
        assert angles.viewing_zenith[band].shape == angles.viewing_azimuth[band].shape == (23, 23)


def test_sun_grid_and_means_match_the_xml(tile_pair):
    tile, root = tile_pair
    sun_zen = _grid(root, "//*[local-name()='Sun_Angles_Grid']/*[local-name()='Zenith']")
    np.testing.assert_array_equal(tile.angles.sun_zenith, sun_zen)
    mean = float(root.xpath("string(//*[local-name()='Mean_Sun_Angle']/*[local-name()='ZENITH_ANGLE'])"))
    if np.isfinite(mean):
        assert tile.angles.mean_sun_zenith == mean
        assert abs(np.nanmean(sun_zen) - mean) < 0.5  # smooth field: grid mean ~ tile mean
    else:  # real NaN mean (antimeridian tile): grid mean used
        assert tile.angles.mean_sun_zenith == pytest.approx(np.nanmean(sun_zen))
    assert 0 <= np.nanmin(tile.angles.sun_azimuth) and np.nanmax(tile.angles.sun_azimuth) <= 360


def test_detector_grids_and_merge_match_the_xml(tile_pair):
    tile, root = tile_pair
    node = root.xpath("//*[local-name()='Viewing_Incidence_Angles_Grids'][@bandId='3']")[0]
    detector = int(node.get("detectorId"))
    zen = _grid(node, "*[local-name()='Zenith']")
    np.testing.assert_array_equal(tile.angles.detector_zenith["B04"][detector], zen)
    # Where exactly one detector sees a node, the merged value is that detector's value.
    stack = np.stack(
        [
            _grid(n, "*[local-name()='Zenith']")
            for n in root.xpath("//*[local-name()='Viewing_Incidence_Angles_Grids'][@bandId='3']")
        ]
    )
    seen = np.isfinite(stack)
    only_one = seen.sum(axis=0) == 1
    merged = tile.angles.viewing_zenith["B04"]
    np.testing.assert_allclose(merged[only_one], np.nansum(np.where(seen, stack, 0), axis=0)[only_one])
    assert np.all(np.isnan(merged[~seen.any(axis=0)]))
    # The merged grid averages to the tile's Mean_Viewing_Incidence_Angle of that band.
    mean_zen, _ = tile.angles.mean_viewing["B04"]
    assert abs(np.nanmean(merged) - mean_zen) < 0.15
    assert 0 <= np.nanmin(merged) and np.nanmax(merged) < 13  # MSI field of view: VZA < ~12 deg


def test_geoposition_matches_the_xml(tile_pair):
    tile, root = tile_pair
    code = root.xpath("string(//*[local-name()='HORIZONTAL_CS_CODE'])")
    assert tile.epsg == int(code.split(":")[1]) and str(tile.epsg)[:3] in ("326", "327")
    for res in (10, 20, 60):
        geo = tile.geoposition[res]
        base = f"//*[local-name()='Geoposition'][@resolution='{res}']/*[local-name()='%s']"
        assert geo.ulx == float(root.xpath(f"string({base % 'ULX'})"))
        assert geo.uly == float(root.xpath(f"string({base % 'ULY'})"))
        assert (geo.xdim, geo.ydim) == (res, -res)
        assert geo.nrows * res == geo.ncols * res == 109800
        assert geo.geotransform == (geo.ulx, res, 0.0, geo.uly, 0.0, -res)
    assert tile.tile_id in tile.tile_identifier


def test_arrays_are_read_only(tile_pair):
    tile, _ = tile_pair
    with pytest.raises(ValueError):
        tile.angles.sun_zenith[0, 0] = 0.0


def test_merge_detectors_hand_cases():
    nan = np.nan
    zen_a = np.array([[5.0, nan, nan]])
    zen_b = np.array([[7.0, 9.0, nan]])
    az_a = np.array([[359.0, nan, nan]])
    az_b = np.array([[1.0, 100.0, nan]])
    zen, az = merge_detectors([zen_a, zen_b], [az_a, az_b])
    np.testing.assert_allclose(zen[0, :2], [6.0, 9.0])
    assert np.isnan(zen[0, 2]) and np.isnan(az[0, 2])
    # circular mean: 359 and 1 deg average to 0 deg (an arithmetic mean would give 180)
    assert min(az[0, 0], 360 - az[0, 0]) == pytest.approx(0.0, abs=1e-9)
    assert az[0, 1] == pytest.approx(100.0)
