"""Defective/saturated pixels of the L1C quality masks (Handle_L1C_QLT_Mask): MSK_QUALIT raster layers
(PSD >= 14.8) and the GML masks of older baselines."""
from __future__ import annotations

import re

import numpy as np
import pytest

from sen2cor.l1c import read_l1c_product
from sen2cor.l1c.qi import QualityInfo, defective_pixels, rasterize_gml
from sen2cor.l1c.tile import GeoPosition
from sen2cor.testing import make_l1c, read_truth
from tests.conftest import shared_path

EPSG = 32631
GEO20 = GeoPosition(ulx=600000.0, uly=5600040.0, xdim=20.0, ydim=-20.0, nrows=60, ncols=50)


def gml_mask(path, polygons, kind="QT_DEFECTIVE_PIXELS"):
    """An eop:Mask file as in L1C QI_DATA (PB < 04.00) with the given UTM polygons (lists of x, y)."""
    members = "".join(
        f"""<eop:MaskFeature gml:id="{kind}.{i}"><eop:maskType codeSpace="urn:gs2:S2PDGS:maskType">{kind}</eop:maskType>
        <eop:extentOf><gml:Polygon gml:id="{kind}.{i}_Polygon"><gml:exterior><gml:LinearRing>
        <gml:posList srsDimension="2">{' '.join(f'{x} {y}' for x, y in ring + ring[:1])}</gml:posList>
        </gml:LinearRing></gml:exterior></gml:Polygon>
        </eop:extentOf></eop:MaskFeature>""" for i, ring in enumerate(polygons))
    body = f"<eop:maskMembers>{members}</eop:maskMembers>" if polygons else "<eop:maskMembers/>"
    path.write_text(f"""<?xml version="1.0" encoding="UTF-8"?>
<eop:Mask xmlns:eop="http://www.opengis.net/eop/2.0" xmlns:gml="http://www.opengis.net/gml/3.2" gml:id="m">
<gml:boundedBy><gml:Envelope srsName="urn:ogc:def:crs:EPSG:8.7:{EPSG}"><gml:lowerCorner>600000 5598840</gml:lowerCorner>
<gml:upperCorner>601000 5600040</gml:upperCorner></gml:Envelope></gml:boundedBy>{body}</eop:Mask>""")
    return path


def gml_info(tmp_path, masks) -> QualityInfo:
    return QualityInfo(tmp_path, "gml", masks, (), {}, (), ())


def test_gml_defect_and_saturation_polygons_are_burnt_in(tmp_path):
    # a 100 m x 60 m rectangle (5 x 3 pixels) of defective pixels, an empty saturation mask
    defect = gml_mask(tmp_path / "MSK_DEFECT_B05.gml",
                      [[(600200, 5599840), (600300, 5599840), (600300, 5599780), (600200, 5599780)]])
    satura = gml_mask(tmp_path / "MSK_SATURA_B05.gml", [])
    info = gml_info(tmp_path, {("MSK_DEFECT", "B05"): defect, ("MSK_SATURA", "B05"): satura})
    mask = defective_pixels(info, "B05", GEO20, EPSG)
    expected = np.zeros((60, 50), bool)
    expected[10:13, 10:15] = True                       # rows (5600040 - y) / 20, cols (x - 600000) / 20
    np.testing.assert_array_equal(mask, expected)
    window = defective_pixels(info, "B05", GEO20, EPSG, window=(8, 9, 20, 30))
    np.testing.assert_array_equal(window, expected[8:20, 9:30])
    assert defective_pixels(info, "B8A", GEO20, EPSG) is None            # no mask listed for that band


def test_raster_quality_layers_of_a_generated_product(tmp_path):
    """MSK_QUALIT: the defective detector column the generator flags in layer 5 (QT_DEFECTIVE_PIXELS) and the
    saturated clusters of layer 8 are read; the other six layers (e.g. QT_NODATA_PIXELS) are not."""
    safe = make_l1c(tmp_path, size_px=120, seed=7, scene="clear")
    product = read_l1c_product(safe)
    scene = read_truth(tmp_path / f"{safe.stem}_truth.h5")["scene"]
    geo20 = product.tile.geoposition[20]
    mask = defective_pixels(product.qi, "B05", geo20, product.tile.epsg)
    inside = scene["class_map"] != 0                   # no data takes precedence in the truth
    flagged = scene["class_map"] == 1                   # defective column + saturated clusters (20 m truth)
    np.testing.assert_array_equal(mask[inside], flagged[inside])
    window = defective_pixels(product.qi, "B05", geo20, product.tile.epsg, window=(5, 7, 40, 50))
    np.testing.assert_array_equal(window, mask[5:40, 7:50])
    assert defective_pixels(product.qi, "B02", product.tile.geoposition[10], product.tile.epsg).any()


def test_real_gml_detector_footprint_with_values():
    """A real PB 02.11 MSK_DETFOO GML (T56LMM, detector 12 of B01) burnt with the detector number."""
    qi = shared_path("data", "real", "l2a", "S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE",
                     "GRANULE", "L2A_T56LMM_A019132_20190220T001625", "QI_DATA")
    geotransform = (399960.0, 60.0, 0.0, 8700040.0, 0.0, -60.0)
    values = rasterize_gml(qi / "MSK_DETFOO_B01.gml", geotransform, (200, 60), 32756,
                           value_of=lambda gml_id: int(re.search(r"-(\d+)-\d+$", gml_id).group(1)))
    assert set(np.unique(values)) == {0, 12}
    assert values[:, :38].mean() > 0.5 and not values[:, 45:].any()    # the swath edge near column 42
    with pytest.raises(Exception, match="MSK_NOPE"):
        rasterize_gml(qi / "MSK_NOPE_B01.gml", geotransform, (2, 2), 32756)
