import numpy as np
import pytest

from sen2cor.atmcorr import radiance


def test_toa_radiance_uses_e0_over_ten_and_cos_sza():
    # 0.1 * (1500 / 10) * cos(60 deg) / pi = 7.5 / pi
    L = radiance.toa_radiance(np.array([0.1], np.float32), 1500.0, 60.0)
    assert L[0] == pytest.approx(7.5 / np.pi, rel=1e-6)


def test_toa_radiance_round_trip_with_per_pixel_sza():
    rho = np.array([[0.05, 0.3], [0.7, 1.2]], np.float32)
    sza = np.array([[20.0, 30.0], [40.0, 50.0]])
    back = radiance.toa_reflectance(radiance.toa_radiance(rho, 1800.0, sza), 1800.0, sza)
    np.testing.assert_allclose(back, rho, rtol=1e-6)


def test_angle_grid_interpolation_is_exact_on_a_plane():
    # a 23x23 grid at 5 km whose values rise 1 deg per node along rows and 0.5 deg along columns
    r, c = np.mgrid[0:23, 0:23]
    grid = 30.0 + r * 1.0 + c * 0.5
    out = radiance.angle_grid_to_pixels(grid, 5000.0, (4, 3), 20.0)
    # pixel (i, j) centre at ((i + 0.5) * 20 m, (j + 0.5) * 20 m) -> node position / 5000
    expect = (
        30.0 + (np.arange(4)[:, None] + 0.5) * 20 / 5000 + (np.arange(3)[None, :] + 0.5) * 20 / 5000 * 0.5
    )
    np.testing.assert_allclose(out, expect, atol=1e-5)


def test_angle_grid_nan_nodes_are_filled():
    grid = np.full((3, 3), 40.0)
    grid[0, 0] = np.nan
    assert np.all(radiance.angle_grid_to_pixels(grid, 5000.0, (5, 5), 60.0) == pytest.approx(40.0))


@pytest.mark.parametrize(
    ("saa", "vaa", "expected"), [(150, 100, 50), (10, 300, 70), (100, 280, 180), (30, 30, 0)]
)
def test_relative_azimuth_is_folded_into_0_180(saa, vaa, expected):
    assert radiance.relative_azimuth_deg(saa, vaa) == pytest.approx(expected)


def test_mean_view_geometry_clips_vza_and_averages_azimuth_circularly():
    vza, vaa = radiance.mean_view_geometry({"B02": (14.0, 350.0), "B04": (12.0, 10.0)})
    assert vza == 12.0
    assert vaa == pytest.approx(0.0, abs=1e-9) or vaa == pytest.approx(360.0)


def test_cells_cover_the_image_once():
    cover = np.zeros((4000, 2000), np.uint8)
    for rows, cols in radiance.cells(cover.shape):
        cover[rows, cols] += 1
    assert np.all(cover == 1)
    assert len(list(radiance.cells((5490, 5490)))) == 3 * 6
