"""Region of interest: manual (midpoint + size), AUTO, OFF, and embedding into the full grid."""
from __future__ import annotations

import numpy as np
import pytest

from sen2cor.errors import ConfigError
from sen2cor.tables.roi import Roi, auto_roi, crop, embed, manual_roi, roi_from_config, roi_from_region


def test_manual_roi_is_centred_on_the_midpoint():
    roi = manual_roi(5490, 5490, 1200, 600)
    assert (roi.row0, roi.col0, roi.nrows, roi.ncols) == (4890, 5190, 1200, 600)
    assert roi.window(10) == (slice(4890, 6090), slice(5190, 5790))
    assert roi.window(20) == (slice(2445, 3045), slice(2595, 2895))
    assert roi.window(60) == (slice(815, 1015), slice(865, 965))
    assert roi.area(60) == (815, 865, 1015, 965)
    assert roi.shape(20) == (600, 300)
    assert roi.fraction == pytest.approx(1200 * 600 / 10980**2)


def test_manual_roi_with_odd_half_size_is_widened_to_the_60m_grid():
    roi = manual_roi(600, 600, 6, 18)  # rows 597..603, cols 591..609
    assert (roi.row0, roi.nrows, roi.col0, roi.ncols) == (594, 12, 588, 24)


@pytest.mark.parametrize("values,match", [
    ((5491, 5490, 1200, 1200), "row0 = 5491 is not divisible by 6"),
    ((5490, 5490, 1201, 1200), "nrow_win"),
    ((600, 5490, 1800, 1200), "outside"),
    ((5490, 10500, 1200, 1200), "outside"),
    (("abc", 6, 6, 6), "expected OFF, AUTO"),
    ((5490, 5490, 0, 1200), "positive"),
])
def test_manual_roi_errors(values, match):
    with pytest.raises(ConfigError, match=match):
        manual_roi(*values)


def test_roi_must_be_on_grid_and_inside():
    with pytest.raises(ConfigError, match="60 m grid"):
        Roi(3, 0, 6, 6)
    with pytest.raises(ConfigError, match="inside"):
        Roi(10974, 0, 12, 6)


def test_off_and_auto():
    assert roi_from_config("OFF", "OFF", 1200, 1200) is None
    valid = np.zeros((1830, 1830), bool)
    valid[100:400, 1500:1700] = True  # 60 m pixels
    roi = roi_from_config("AUTO", "AUTO", 1200, 1200, valid=valid, valid_resolution_m=60)
    assert (roi.row0, roi.col0, roi.nrows, roi.ncols) == (600, 9000, 1800, 1200)
    assert roi.window(60) == (slice(100, 400), slice(1500, 1700))
    with pytest.raises(ValueError, match="valid-pixel mask"):
        roi_from_config("AUTO", "AUTO", 6, 6)


def test_auto_snaps_a_20m_mask_outward():
    valid = np.zeros((5490, 5490), bool)
    valid[4, 7] = True  # 20 m pixel -> 10 m rows 8..10, cols 14..16
    roi = auto_roi(valid, 20)
    assert (roi.row0, roi.col0, roi.nrows, roi.ncols) == (6, 12, 6, 6)


def test_auto_switches_to_full_processing_above_85_percent():
    valid = np.ones((60, 60), bool)
    valid[:, :9] = False  # 85 % valid: still a ROI
    assert auto_roi(valid, 60, frame_px=360) is not None
    valid[:, 8] = True  # 86.7 % valid: full tile
    assert auto_roi(valid, 60, frame_px=360) is None
    assert auto_roi(np.zeros((60, 60), bool), 60, frame_px=360) is None


def test_crop_and_embed_keep_the_full_grid_with_nodata_outside():
    roi = Roi(12, 24, 36, 60, frame_px=120)
    full = np.arange(20 * 20, dtype=np.uint16).reshape(20, 20) + 1  # 60 m grid of the 120 frame
    window = crop(full, roi, 60)
    assert window.shape == (6, 10) and window[0, 0] == full[2, 4]
    back = embed(window, roi, 60)
    assert back.shape == (20, 20)
    assert (back[2:8, 4:14] == full[2:8, 4:14]).all()
    assert back.sum() == window.sum()  # zeros elsewhere
    rgb = embed(np.ones((18, 30, 3), np.uint8), roi, 20)
    assert rgb.shape == (60, 60, 3) and rgb.sum() == 18 * 30 * 3
    assert embed(full, None, 60) is full


def test_accepts_the_config_region_of_interest():
    config = pytest.importorskip("sen2cor.config")
    region = config.RegionOfInterest(row0=5490, col0=1200, nrow_win=1200, ncol_win=600)
    roi = roi_from_region(region)
    assert (roi.row0, roi.col0, roi.nrows, roi.ncols) == (4890, 900, 1200, 600)
    assert roi_from_region(config.RegionOfInterest()) is None  # OFF by default
