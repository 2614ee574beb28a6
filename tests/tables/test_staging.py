"""L1C JPEG 2000 -> image database -> TOA reflectance; lossless round trip back to L2A JP2."""
from __future__ import annotations

import threading

import numpy as np
import pytest

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M
from sen2cor.io.geo import Geocoding
from sen2cor.io.jp2 import L2A_PROFILES, read_jp2, write_jp2
from sen2cor.tables.roi import Roi
from sen2cor.tables.staging import import_bands, saturated_bands, stage_resolution, valid_mask_60m
from sen2cor.tables.store import open_databases
from sen2cor.tables.writers import write_band

GEO10 = Geocoding(499980.0, 5900040.0, 10.0, -10.0, 32629)
FRAME = 120  # small "tile": 120 px at 10 m, 60 at 20 m, 20 at 60 m


@pytest.fixture(scope="module")
def l1c_bands(tmp_path_factory):
    """Synthetic L1C band files: DN = 1000 + 100*band_index + noise, with a no-data corner
    (first 6 rows of 10 m pixels) and one saturated 60 m pixel of B09."""
    folder = tmp_path_factory.mktemp("l1c")
    rng = np.random.default_rng(7)
    paths, arrays = {}, {}
    for i, band in enumerate(BAND_IDS):
        res = NATIVE_RESOLUTION_M[band]
        n = FRAME * 10 // res
        dn = (1000 + 100 * i + rng.integers(0, 50, (n, n))).astype(np.uint16)
        dn[: 60 // res] = 0
        if band == "B09":
            dn[5, 5] = 65535
        paths[band] = write_jp2(folder / f"T29UNU_20221005T115411_{band}.jp2", dn,
                                GEO10.at_resolution(res), L2A_PROFILES[res])
        arrays[band] = dn
    return paths, arrays


def test_roundtrip_l1c_jp2_hdf5_l2a_jp2_is_lossless(tmp_path, l1c_bands):
    paths, arrays = l1c_bands
    with open_databases("T29UNU", tmp_path, compression_level=1) as (img, _):
        seconds = import_bands(img, paths, nr_threads=2)
        assert set(seconds) == set(BAND_IDS)
        for band in ("B02", "B05", "B01"):
            res = NATIVE_RESOLUTION_M[band]
            out = write_band(tmp_path / f"R{res}m", "T29UNU_20221005T115411", band, res,
                             img.get(band, res), GEO10.at_resolution(res))
            np.testing.assert_array_equal(read_jp2(out), arrays[band])
        assert import_bands(img, paths) == {}  # nothing decoded twice


def test_stage_20m_reflectance_and_masks(tmp_path, l1c_bands):
    paths, arrays = l1c_bands
    offsets = dict.fromkeys(BAND_IDS, -1000)
    with open_databases("T29UNU", tmp_path) as (img, tmp):
        import_bands(img, paths)
        stage_resolution(img, tmp, 20, quantification=10000.0, add_offset=offsets)
        assert {n for n, _ in tmp.names(20)} == set(BAND_IDS) - {"B08"} | {"NODATA", "SATURATED"}
        b05 = tmp.get("B05", 20)
        assert b05.dtype == np.float32 and b05.shape == (60, 60)
        np.testing.assert_allclose(b05[10], (arrays["B05"][10].astype(np.float64) - 1000) / 10000, rtol=1e-6)
        # B02 comes down from 10 m by 2x2 means rounded half up
        b02_dn = arrays["B02"][20:22, 20:22].astype(int)
        expected = ((2 * b02_dn.sum() + 4) // 8 - 1000) / 10000
        assert b05.dtype == np.float32 and tmp.get("B02", 20)[10, 10] == pytest.approx(expected, rel=1e-6)
        nodata = tmp.get("NODATA", 20)
        assert nodata[:3].all() and not nodata[3:].any()  # B01/B09/B10 have 60 m no-data rows
        assert (tmp.get("B05", 20)[:3] == 0).all()
        sat = saturated_bands(tmp.get("SATURATED", 20), "B09")
        assert np.argwhere(sat).tolist() == [[15, 15], [15, 16], [15, 17], [16, 15], [16, 16], [16, 17],
                                              [17, 15], [17, 16], [17, 17]]
        assert not saturated_bands(tmp.get("SATURATED", 20), "B05").any()
        assert valid_mask_60m(img)[1:].all() and not valid_mask_60m(img)[0].any()


def test_staging_two_bands_at_once_stores_the_same_arrays(tmp_path, l1c_bands, monkeypatch):
    from sen2cor.tables import staging

    paths, _ = l1c_bands
    offsets = dict.fromkeys(BAND_IDS, -1000)
    threads = set()
    original = staging.resample_band

    def recording(*args, **kwargs):
        threads.add(threading.current_thread().name.split("_")[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(staging, "resample_band", recording)
    stored = []
    for nr_threads, folder in ((1, "one"), (2, "two")):
        with open_databases("T29UNU", tmp_path / folder) as (img, tmp):
            import_bands(img, paths)
            stage_resolution(img, tmp, 20, quantification=10000.0, add_offset=offsets, nr_threads=nr_threads)
            stored.append({name: tmp.get(name, 20) for name, _ in tmp.names(20)})
    assert stored[0].keys() == stored[1].keys() and len(stored[0]) == 14
    for name, array in stored[0].items():
        np.testing.assert_array_equal(stored[1][name], array, err_msg=name)
    assert threads == {"MainThread", "staging"}   # one thread, then the pool of Nr_Threads 2


def test_import_of_a_roi_decodes_only_the_window(tmp_path, l1c_bands):
    paths, arrays = l1c_bands
    roi = Roi(24, 36, 48, 60, frame_px=FRAME)
    with open_databases("T29UNU", tmp_path) as (img, tmp):
        import_bands(img, {b: paths[b] for b in ("B02", "B05", "B01")}, roi=roi)
        np.testing.assert_array_equal(img.get("B02", 10), arrays["B02"][24:72, 36:96])
        np.testing.assert_array_equal(img.get("B05", 20), arrays["B05"][12:36, 18:48])
        np.testing.assert_array_equal(img.get("B01", 60), arrays["B01"][4:12, 6:16])
        stage_resolution(img, tmp, 60, quantification=10000.0, add_offset={}, bands=("B02", "B05", "B01"))
        assert tmp.get("B02", 60).shape == roi.shape(60) == (8, 10)


def test_real_l1c_band_roundtrip_through_the_database_is_lossless(tmp_path):
    from osgeo import gdal

    from tests.conftest import shared_path

    real = shared_path("data", "real", "l1c", "S2A_MSIL1C_20180101T105441_N0206_R051_T31TDH_20180101T124911.SAFE",
                       "GRANULE", "L1C_T31TDH_A013204_20180101T105435", "IMG_DATA", "T31TDH_20180101T105441_B01.jp2")
    reference = gdal.Open(str(real))  # independent reader for the expected pixels and grid
    expected = reference.ReadAsArray()
    ulx, xdim, _, uly, _, ydim = reference.GetGeoTransform()
    geo = Geocoding(ulx, uly, xdim, ydim, int(reference.GetSpatialRef().GetAuthorityCode(None)))
    with open_databases("T31TDH", tmp_path, compression_level=1) as (img, _):
        import_bands(img, {"B01": real}, nr_threads=2)
        np.testing.assert_array_equal(img.get("B01", 60), expected)
        out = write_band(tmp_path, "T31TDH_20180101T105441", "B01", 60, img.get("B01", 60), geo)
    written = gdal.Open(str(out))
    np.testing.assert_array_equal(written.ReadAsArray(), expected)
    assert written.GetGeoTransform() == reference.GetGeoTransform()
    assert written.GetSpatialRef().IsSame(reference.GetSpatialRef())


def test_two_bands_at_once_store_every_band_exactly(tmp_path, l1c_bands):
    paths, arrays = l1c_bands
    with open_databases("T29UNU", tmp_path, compression_level=1) as (img, _):
        seconds = import_bands(img, paths, nr_threads=2)
        assert list(seconds) == [b for b in paths]  # reported in the order given
        for band in BAND_IDS:
            np.testing.assert_array_equal(img.get(band, NATIVE_RESOLUTION_M[band]), arrays[band])
