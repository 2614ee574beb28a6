import numpy as np

from sen2cor.sceneclass import masks


def test_nodata_from_dn_any_band_zero():
    dn = {"B02": np.array([0, 5, 5], np.uint16), "B03": np.array([5, 0, 5], np.uint16)}
    assert masks.nodata_from_dn(dn).tolist() == [True, True, False]


def test_nodata_from_reflectance_zero_or_nan():
    toa = {"B02": np.array([0.0, 0.1, np.nan], np.float32), "B03": np.array([0.1, 0.1, 0.1], np.float32)}
    assert masks.nodata_from_reflectance(toa).tolist() == [True, False, True]


def test_saturated_and_quality_masks_only_with_handle_flag_and_degraded_bands():
    sat = masks.saturated_from_dn({"B02": np.array([65535, 1, 1], np.uint16), "B03": np.array([1, 1, 1], np.uint16)})
    q = {"B02": np.array([False, True, False]), "B03": np.array([False, False, True])}
    assert masks.saturated_defective((3,), sat, q).tolist() == [True, False, False]
    assert masks.saturated_defective((3,), sat, q, handle_l1c_qlt_mask=True).tolist() == [True, True, True]
    assert masks.saturated_defective((3,), sat, q, degraded_bands=("B03",),
                                     handle_l1c_qlt_mask=True).tolist() == [True, False, True]
