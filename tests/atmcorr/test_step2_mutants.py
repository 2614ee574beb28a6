"""Step 2 pieces of the surface reflectance (``atmcorr.step2``) with hand-derived values: cos(beta) as
Sen2Cor stores it (uint8, 255 cos beta, floor 26, facts B.5), the sky view, the cloud / clear counts of the
adjacency switch and the clear mean that replaces clouds in the background (facts B.11)."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.atmcorr import step2
from sen2cor.atmcorr.inputs import SceneInputs
from sen2cor.atmcorr.settings import AcSettings


def _scene(shape=(3, 4), **kw) -> SceneInputs:
    return SceneInputs(20, {}, np.full(shape, 4, np.uint8), {}, 30.0, 150.0, **kw)


@pytest.mark.parametrize("strip_rows", [1, 2, 100])
def test_cbeta_from_slope_and_aspect_with_the_per_pixel_sun(strip_rows):
    """Flat pixels: cos(beta) = cos(SZA of the pixel), not of the tile mean (30 deg): 0 deg -> 255/255,
    60 deg -> 127.5 -> 128/255, 87 deg -> 0.052 -> 13 -> the floor 26/255."""
    shape = (3, 4)
    sza_map = np.array([0.0, 60.0, 87.0])[:, None] * np.ones((1, 4))
    scene = _scene(shape, sza_map_deg=sza_map, slope_deg=np.zeros(shape), aspect_deg=np.zeros(shape))
    cbeta, vsky = step2.terrain_maps(scene, strip_rows)
    got = cbeta[:, :]
    assert got.dtype == np.float32 and cbeta.shape == shape
    np.testing.assert_array_equal(got, np.float32(np.array([255.0, 128.0, 26.0]) / 255.0)[:, None] * np.ones((1, 4)))
    np.testing.assert_array_equal(cbeta[1:2, 2:], np.full((1, 2), np.float32(128 / 255)))
    np.testing.assert_array_equal(vsky[:, :], np.ones(shape, np.float32))   # flat: the whole sky


def test_cbeta_with_the_tile_mean_sun_when_no_map():
    shape = (2, 2)
    scene = SceneInputs(20, {}, np.full(shape, 4, np.uint8), {}, 60.0, 150.0, slope_deg=np.zeros(shape),
                        aspect_deg=np.zeros(shape))
    cbeta, _ = step2.terrain_maps(scene, 1)
    np.testing.assert_array_equal(cbeta[:, :], np.full(shape, np.float32(128 / 255)))


@pytest.mark.parametrize("strip_rows", [1, 5])
def test_cbeta_from_the_hillshade_without_aspect(strip_rows):
    """gdaldem hillshade h = 1 + 254 cos i: h 1 -> cos 0 -> floor 26; h 128 -> 0.5 -> 128; h 255 -> 1."""
    shade = np.array([[1, 128, 255], [255, 128, 1]], np.uint8)
    scene = _scene((2, 3), slope_deg=np.full((2, 3), 60.0), hillshade=shade)
    cbeta, vsky = step2.terrain_maps(scene, strip_rows)
    np.testing.assert_array_equal(cbeta[:, :] * np.float32(255.0), [[26, 128, 255], [255, 128, 26]])
    # V_sky = (1 + cos 60 deg) / 2
    np.testing.assert_allclose(vsky[:, :], np.full((2, 3), 0.75), rtol=1e-6)
    assert vsky[:, :].dtype == np.float32


def test_sky_view_read_from_the_precomputed_layer():
    sky = np.full((2, 3), 0.3, np.float64)
    scene = _scene((2, 3), slope_deg=np.zeros((2, 3)), hillshade=np.full((2, 3), 255, np.uint8), sky_view=sky)
    _, vsky = step2.terrain_maps(scene, 1)
    got = vsky[0:1, 1:]
    assert got.dtype == np.float32 and vsky.shape == (2, 3)
    np.testing.assert_array_equal(got, np.full((1, 2), np.float32(0.3)))


@pytest.mark.parametrize("strip_rows", [0, 1, 2, 5, 100])
def test_count_classes_counts_clouds_8_9_10_and_clear_4_5_6(strip_rows):
    scl = np.arange(12, dtype=np.uint8).reshape(4, 3)     # one pixel of each class 0..11
    scl = np.concatenate([scl, np.full((1, 3), 9, np.uint8)])   # three more medium-probability clouds
    assert step2.count_classes(scl, strip_rows) == (6, 3)


def _step2(scl, valid, strip_rows):
    scene = SceneInputs(20, {}, scl, {}, 30.0, 150.0)
    return step2.Step2(scene, AcSettings(), None, 0, 0, 1.0, 0.15, valid, 0, False, None, None, None, strip_rows)


@pytest.mark.parametrize("strip_rows", [0, 1, 2, 3, 50])
def test_clear_mean_replaces_clouds_and_no_data(strip_rows):
    """The value clouds (8, 9, 10) and no data take in the background: the mean of the other valid pixels."""
    base = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]], np.float32)
    scl = np.array([[4, 8, 5], [9, 6, 10], [7, 4, 0]], np.uint8)
    valid = scl > 0
    got = _step2(scl, valid, strip_rows)._clear_mean(base)
    assert got == pytest.approx((0.1 + 0.3 + 0.5 + 0.7 + 0.8) / 5, rel=1e-6)
    # nothing to replace: no value
    assert _step2(np.full((3, 3), 4, np.uint8), np.ones((3, 3), bool), strip_rows)._clear_mean(base) is None
    # everything replaced: 0
    assert _step2(np.full((3, 3), 8, np.uint8), np.ones((3, 3), bool), strip_rows)._clear_mean(base) == 0.0
