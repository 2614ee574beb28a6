"""Pins of atmcorr.radiance found by mutation testing (issue 20): output dtypes, the ROI row offset, the
1024-row blocks of the angle interpolation, the edges of the angle grid and the azimuth folding."""

import numpy as np
import pytest

from sen2cor.atmcorr import radiance


def test_radiance_and_reflectance_are_float32_whatever_the_input():
    rho64 = np.array([[0.2, 0.4]], np.float64)
    assert radiance.toa_radiance(rho64, 1500.0, 60.0).dtype == np.float32            # scalar sun zenith
    assert radiance.toa_radiance(rho64, 1500.0, np.array([[30.0, 60.0]])).dtype == np.float32  # per pixel
    back = radiance.toa_reflectance(np.array([[7.5 / np.pi]]), 1500.0, 60.0)
    assert back.dtype == np.float32 and back[0, 0] == pytest.approx(0.1, rel=1e-6)


def test_angle_grid_of_integers_is_interpolated_not_truncated():
    grid = np.array([[30, 31], [32, 33]], np.int64)  # 1 deg per node along columns, 2 deg along rows
    # a 5 km pixel's centre sits half-way between the nodes: 30 + 0.5 * 2 + 0.5 * 1 = 31.5
    out = radiance.angle_grid_to_pixels(grid, 5000.0, (1, 1), 5000.0)
    assert out.dtype == np.float32 and out[0, 0] == pytest.approx(31.5)


def test_angle_grid_window_offset_is_row_then_column():
    r, c = np.mgrid[0:23, 0:23]
    grid = 100.0 * r + c                       # rows and columns distinguishable
    out = radiance.angle_grid_to_pixels(grid, 5000.0, (1, 1), 60.0, offset_px=(500, 100))
    # pixel centre (500.5, 100.5) x 60 m = (30.03 km, 6.03 km) -> nodes (6.006, 1.206)
    assert out[0, 0] == pytest.approx(100.0 * 6.006 + 1.206, abs=1e-3)


def test_angle_grid_beyond_the_last_node_keeps_the_edge_value():
    grid = np.array([[10.0, 20.0], [10.0, 20.0]])  # two nodes 5 km apart
    out = radiance.angle_grid_to_pixels(grid, 5000.0, (2, 120), 60.0)
    # columns past 5 km (pixel 83 onwards: centre 83.5 * 60 m = 5.01 km) take the last node, not 0
    assert np.all(out[:, 84:] == 20.0) and out[0, 0] == pytest.approx(10.0 + 10.0 * 30.0 / 5000.0)


def test_angle_grid_rows_past_the_first_1024_row_blocks():
    r, c = np.mgrid[0:3, 0:3]
    grid = 40.0 + 2.0 * r + 1.0 * c
    rows = 2100                                  # three blocks of 1024 rows, the last one partial
    out = radiance.angle_grid_to_pixels(grid, 5000.0, (rows, 2), 2.0)
    expect = 40.0 + 2.0 * (np.arange(rows) + 0.5) * 2.0 / 5000.0
    np.testing.assert_allclose(out[:, 0], expect + 1.0 * 0.5 * 2.0 / 5000.0, atol=1e-5)


@pytest.mark.parametrize(("saa", "vaa", "expected"), [
    (180.5, 0.0, 179.5),         # just above 180: folded
    (-170.0, 190.5, 0.5),        # azimuths of the -180..180 convention: |diff| = 360.5 -> 0.5
])
def test_relative_azimuth_folding_edges(saa, vaa, expected):
    assert radiance.relative_azimuth_deg(saa, vaa) == pytest.approx(expected)


@pytest.mark.parametrize(("a1", "a2", "mean"), [(100.0, 120.0, 110.0), (200.0, 220.0, 210.0)])
def test_mean_view_azimuth_is_in_0_360(a1, a2, mean):
    vza, vaa = radiance.mean_view_geometry({"B02": (5.0, a1), "B04": (7.0, a2)})
    assert vza == pytest.approx(6.0) and vaa == pytest.approx(mean)


def test_processing_cells_are_1830_rows_by_915_columns():
    # facts B.6: cells of 915 columns x 1830 rows at the processing resolution
    first, second = list(radiance.cells((2000, 1000)))[:2]
    assert first == (slice(0, 1830), slice(0, 915)) and second == (slice(0, 1830), slice(915, 1000))
