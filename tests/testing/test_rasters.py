"""Band and mask JPEG 2000 files: georeferencing read by GDAL, box layout, values; GRIB auxiliary files."""
from __future__ import annotations

import glymur
import numpy as np
import pytest
from lxml import etree
from osgeo import gdal

from sen2cor.bands import NATIVE_RESOLUTION_M
from tests.conftest import shared_path

gdal.UseExceptions()

L2A_N0400 = ("data", "real", "l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE")


def _geoposition(granule):
    root = etree.parse(str(granule / "MTD_TL.xml")).getroot()
    out = {}
    for gp in root.iter("Geoposition"):
        out[int(gp.get("resolution"))] = (float(gp.findtext("ULX")), float(gp.findtext("ULY")))
    return out, int(root.findtext(".//HORIZONTAL_CS_CODE").split(":")[1])


def test_every_jp2_is_georeferenced_like_the_tile_metadata(granule):
    geopos, epsg = _geoposition(granule)
    files = sorted(granule.rglob("*.jp2"))
    assert len(files) == 14 + 13 + 13 + 1 + 1         # bands + TCI, DETFOO, QUALIT, CLASSI, PVI
    for f in files:
        ds = gdal.Open(str(f))
        gt = ds.GetGeoTransform()
        assert ds.GetSpatialRef().GetAuthorityCode(None) == str(epsg), f.name
        name = f.stem
        if name.endswith("_PVI"):
            assert gt[1] == 320.0
            continue
        band = name[-3:]
        res = 60 if band == "B00" else (10 if band == "TCI" else NATIVE_RESOLUTION_M[band])
        ulx, uly = geopos[res]
        assert gt == (ulx, res, 0.0, uly, 0.0, -res), name
        assert ds.RasterXSize == ds.RasterYSize == 6000 // res
        ds = None


def test_box_layout_like_real_files(granule):
    real = glymur.Jp2k(str(next(shared_path(*L2A_N0400, "GRANULE").glob("*/QI_DATA/MSK_DETFOO_B01.jp2"))))
    ours = glymur.Jp2k(str(granule / "QI_DATA" / "MSK_DETFOO_B01.jp2"))
    assert [b.box_id for b in ours.box] == [b.box_id for b in real.box] == ["jP  ", "ftyp", "jp2h", "asoc", "jp2c"]
    assert ours.box[1].brand == "jp2 "
    # GML origin is the centre of the upper-left pixel
    pos = ours.box[3].box[1].box[1].xml.getroot().find(".//{http://www.opengis.net/gml}pos").text
    assert pos == "500010 5900010"


def test_band_dtype_and_mask_layers(granule):
    b04 = next(granule.glob("IMG_DATA/*_B04.jp2"))
    ds = gdal.Open(str(b04))
    assert ds.GetRasterBand(1).DataType == gdal.GDT_UInt16
    assert gdal.Open(str(granule / "QI_DATA" / "MSK_QUALIT_B04.jp2")).RasterCount == 8
    assert gdal.Open(str(granule / "QI_DATA" / "MSK_CLASSI_B00.jp2")).RasterCount == 3
    tci = gdal.Open(str(next(granule.glob("IMG_DATA/*_TCI.jp2"))))
    assert tci.RasterCount == 3 and tci.GetRasterBand(1).DataType == gdal.GDT_Byte


def test_nodata_matches_detector_footprint_and_quality_mask(granule):
    for band in ("B02", "B8A", "B09"):
        dn = glymur.Jp2k(str(next(granule.glob(f"IMG_DATA/*_{band}.jp2"))))[:]
        det = glymur.Jp2k(str(granule / "QI_DATA" / f"MSK_DETFOO_{band}.jp2"))[:]
        qual = glymur.Jp2k(str(granule / "QI_DATA" / f"MSK_QUALIT_{band}.jp2"))[:]
        assert np.array_equal(dn == 0, det == 0), band
        assert np.array_equal(qual[..., 5] == 1, det == 0), band        # QT_NODATA_PIXELS
        assert 0 < (det == 0).mean() < 0.2                              # partial swath
        assert set(np.unique(det)) <= set(range(13))
        assert np.array_equal(qual[..., 7] == 1, dn == 65535), band     # QT_SATURATED_PIXELS_L1A


def _grib_elements(path):
    gdal.PushErrorHandler("CPLQuietErrorHandler")
    try:
        ds = gdal.Open(str(path))
        out = []
        for i in range(1, ds.RasterCount + 1):
            b = ds.GetRasterBand(i)
            md = b.GetMetadata()
            out.append((md["GRIB_ELEMENT"], md["GRIB_SHORT_NAME"], b.ReadAsArray().astype(float)))
        return out, ds.GetGeoTransform()
    finally:
        gdal.PopErrorHandler()


@pytest.mark.parametrize("name", ["AUX_CAMSFO", "AUX_ECMWFT"])
def test_grib_fields_like_real(granule, name):
    real = next(shared_path(*L2A_N0400, "GRANULE").glob(f"*/AUX_DATA/{name}"))
    ours, gt = _grib_elements(granule / "AUX_DATA" / name)
    ref, _ = _grib_elements(real)
    assert [(e, s) for e, s, _ in ours] == [(e, s) for e, s, _ in ref]
    assert all(a.shape == (9, 9) for _, _, a in ours)
    # grid covers the product: UL node near the product's north-west corner (6 km crop of T29UNU)
    assert -9.01 < gt[0] + gt[1] / 2 < -8.99 and 53.2 < gt[3] + gt[5] / 2 < 53.3


def test_grib_values_consistent_with_truth(granule, truth):
    cams, _ = _grib_elements(granule / "AUX_DATA" / "AUX_CAMSFO")
    ecm, _ = _grib_elements(granule / "AUX_DATA" / "AUX_ECMWFT")
    aod550 = cams[2][2]
    z = cams[0][2]
    aot, wv, dem = (truth["scene"][k] for k in ("aot550", "wv_cm", "dem_m"))
    assert aot.min() - 0.01 <= aod550.min() and aod550.max() <= aot.max() + 0.01
    assert np.all(cams[1][2] > aod550) and np.all(cams[3][2] < aod550)     # Angstrom: AOD falls with wavelength
    assert dem.min() - 5 <= z.min() / 9.80665 and z.max() / 9.80665 <= dem.max() + 5
    tcwv = ecm[0][2]                                                        # kg m-2 = 10 x cm
    assert wv.min() * 10 - 0.1 <= tcwv.min() and tcwv.max() <= wv.max() * 10 + 0.1
    ozone_du = ecm[2][2] / 2.1415e-5
    assert np.all(np.abs(ozone_du - 330) < 10)
