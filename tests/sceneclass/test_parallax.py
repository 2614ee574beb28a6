import numpy as np

from sen2cor.sceneclass import parallax


def _texture(shape, seed=0):
    return np.random.default_rng(seed).uniform(0.3, 0.6, shape).astype(np.float32)


def _noise(shape, seed, amplitude=0.005):
    return 1 + np.random.default_rng(seed).uniform(-amplitude, amplitude, shape).astype(np.float32)


def test_cdi_is_close_to_minus_one_when_only_b08_is_displaced():
    b8a = _texture((20, 20))
    b07 = 0.9 * b8a * _noise((20, 20), 5)        # same position: ratio varies by noise only (var ~ 7e-6)
    b08 = np.roll(b8a, 2, axis=0)                # displaced: ratio varies strongly
    cdi = parallax.cloud_displacement_index(b07, b08, b8a)
    assert cdi[10, 10] < -0.9


def test_cdi_is_close_to_plus_one_for_red_edge_texture_without_displacement():
    b8a = _texture((20, 20))
    b08 = 1.05 * b8a * _noise((20, 20), 6)       # static: B08/B8A varies by noise only
    b07 = b8a * _texture((20, 20), seed=1)       # spectral texture in B07/B8A
    assert parallax.cloud_displacement_index(b07, b08, b8a)[10, 10] > 0.9


def test_cdi_undefined_when_a_band_is_an_exact_multiple():
    # no sensor noise between B08 and B8A (a scaled copy): no parallax information at all
    b8a = _texture((20, 20))
    cdi = parallax.cloud_displacement_index(b8a * _texture((20, 20), seed=2), 0.98 * b8a, b8a)
    assert np.isnan(cdi[10, 10])


def test_cdi_undefined_on_uniform_area():
    flat = np.full((9, 9), 0.4, np.float32)
    assert np.isnan(parallax.cloud_displacement_index(flat, flat, flat)[4, 4])


def test_blob_fractions_static_moving_and_untextured():
    mask = np.zeros((6, 14), bool)
    mask[1:3, 1:3] = True                         # blob A: 4 px, textured, no parallax
    mask[1:5, 6:9] = True                         # blob B: 12 px, 3 with parallax (25 %)
    mask[1:3, 11:13] = True                       # blob C: no texture at all
    cdi = np.zeros(mask.shape, np.float32)
    cdi[1, 6:9] = -0.9
    cdi[1:3, 11:13] = np.nan
    textured, moving = parallax.parallax_masks(cdi)
    assert textured.sum() == mask.size - 4 and moving.sum() == 3
    labels, fraction = parallax.blob_parallax_fraction(mask, textured, moving)
    assert fraction[labels[1, 1]] == 0.0 and fraction[labels[2, 7]] == 0.25 and np.isnan(fraction[labels[1, 11]])
    static = parallax.static_blobs(mask, textured, moving, 0.05)
    assert static[1:3, 1:3].all() and static.sum() == 4          # blob C is not declared static
    assert parallax.moving_blobs(mask, textured, moving, 0.25).sum() == 12
    assert parallax.moving_blobs(mask, textured, moving, 0.3).sum() == 0
