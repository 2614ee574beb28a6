"""Every L2A image writer: names, GDAL-readable grid, size and dtype, per format."""
from __future__ import annotations

import numpy as np
import pytest
from osgeo import gdal

from sen2cor.errors import OutputError
from sen2cor.io.gdal_io import category_names, cog_errors
from sen2cor.io.geo import Geocoding
from sen2cor.io.jp2 import read_jp2
from sen2cor.tables import writers as w

gdal.UseExceptions()
GEO = Geocoding(499980.0, 5900040.0, 10.0, -10.0, 32629)
PREFIX = "T29UNU_20221005T115411"


def _layers(res: int, n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(res)
    layers = {b: rng.integers(900, 5000, (n, n)).astype(np.uint16) for b in w.output_names(res)
              if b not in ("TCI", "SCL")}
    layers["SCL"] = rng.integers(0, 12, (n, n)).astype(np.uint8)
    return layers


def _check(path, res, n, dtype, bands=1):
    ds = gdal.Open(str(path))
    assert (ds.RasterXSize, ds.RasterYSize, ds.RasterCount) == (n, n, bands)
    assert ds.GetRasterBand(1).DataType == dtype
    assert ds.GetGeoTransform() == pytest.approx((499980.0, res, 0.0, 5900040.0, 0.0, -res))
    assert ds.GetSpatialRef().GetAuthorityCode(None) == "32629"
    return ds


def test_band_sets_follow_the_product_definition():
    assert w.output_names(10) == ("B02", "B03", "B04", "B08", "AOT", "WVP", "TCI")
    assert w.output_names(20) == ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A", "B11", "B12",
                                  "AOT", "WVP", "SCL", "TCI")
    assert w.output_names(60, tci=False) == ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B8A",
                                             "B09", "B11", "B12", "AOT", "WVP", "SCL")


@pytest.mark.parametrize("fmt,suffix", [("jp2", ".jp2"), ("tif", ".tif"), ("raw", ".rawl")])
def test_resolution_outputs_open_in_gdal(tmp_path, fmt, suffix):
    res, n = 60, 36
    layers = _layers(res, n)
    written = w.write_resolution(tmp_path, PREFIX, res, layers, GEO, fmt=fmt)
    names = [p.name for p in written]
    assert names == [f"{PREFIX}_{b}_60m{suffix}" for b in w.output_names(60)]
    assert all(p.parent == tmp_path / "IMG_DATA" / "R60m" for p in written)
    for path in written:
        band = path.stem.split("_")[2]
        if band == "TCI":
            ds = _check(path, res, n, gdal.GDT_Byte, bands=3)
        elif band == "SCL":
            ds = _check(path, res, n, gdal.GDT_Byte)
            np.testing.assert_array_equal(ds.ReadAsArray(), layers["SCL"])
        else:
            ds = _check(path, res, n, gdal.GDT_UInt16)
            np.testing.assert_array_equal(ds.ReadAsArray(), layers[band])
    assert not list(tmp_path.rglob(".*")), "temporary files left behind"


@pytest.mark.parametrize("layer, expected", [("SCL", 4), ("B02", 6), ("CLDPRB", 6)])
def test_cog_overviews_keep_classes_and_average_measurements(tmp_path, layer, expected):
    """2x2 blocks 4, 4, 6, 10: the SCL overview keeps the most frequent class (4); reflectance and the
    probability masks are averaged (6)."""
    image = np.tile(np.array([[4, 4], [6, 10]], np.uint8), (300, 300))
    if layer == "B02":
        path = w.write_band(tmp_path, PREFIX, "B02", 20, image.astype(np.uint16), GEO.at_resolution(20), fmt="cog")
    elif layer == "SCL":
        path = w.write_scl(tmp_path, PREFIX, 20, image, GEO.at_resolution(20), fmt="cog")
    else:
        path = w.write_qi_mask(tmp_path, layer, 20, image, GEO.at_resolution(20), fmt="cog")
    ds = gdal.Open(str(path))
    assert np.all(ds.GetRasterBand(1).GetOverview(0).ReadAsArray() == expected)


def test_sc_cog_writes_a_valid_cog(tmp_path):
    scl = np.random.default_rng(1).integers(0, 12, (1098, 1098)).astype(np.uint8)
    path = w.write_scl(tmp_path, PREFIX, 20, scl, GEO.at_resolution(20), cog=True)
    assert path.name == f"{PREFIX}_SCL_20m.tif"
    assert cog_errors(path) == []
    ds = _check(path, 20, 1098, gdal.GDT_Byte)
    assert ds.GetRasterBand(1).GetOverviewCount() >= 1


def test_tci_and_pvi(tmp_path):
    n = 120
    b = np.full((n, n), 2250, np.uint16)  # reflectance 0.125 -> 128
    b[:6] = 0
    tci = w.write_tci(tmp_path, PREFIX, 10, b, b, b, GEO)
    rgb = read_jp2(tci)
    assert rgb.shape == (n, n, 3) and rgb[0, 0].tolist() == [0, 0, 0] and rgb[50, 50].tolist() == [128] * 3
    pvi = w.write_pvi(tmp_path / "QI_DATA", PREFIX, rgb, GEO)
    assert pvi.name == f"{PREFIX}_PVI.jp2"
    _check(pvi, 320, 343, gdal.GDT_Byte, bands=3)
    preview = read_jp2(pvi)
    # output row i samples input row floor((i + 0.5) * 120 / 343): rows 0..16 -> input rows 0..5
    assert preview[16].sum() == 0 and preview[17, 0].tolist() == [128] * 3


def test_qi_masks_dem_and_ddv(tmp_path):
    qi = tmp_path / "QI_DATA"
    cld = np.random.default_rng(2).integers(0, 101, (30, 30)).astype(np.uint8)
    for kind in ("CLDPRB", "SNWPRB", "DDVPXL"):
        for res in (20, 60):
            path = w.write_qi_mask(qi, kind, res, cld, GEO.at_resolution(res))
            assert path.name == f"MSK_{kind}_{res}m.jp2"
            np.testing.assert_array_equal(_check(path, res, 30, gdal.GDT_Byte).ReadAsArray(), cld)
    dem = np.array([[-12.0, 0.0], [850.4, 4807.0]] * 3, np.float32).repeat(3, axis=1)[:6, :6]
    path = w.write_dem(tmp_path / "AUX_DATA", PREFIX, 60, dem, GEO.at_resolution(60))
    assert path.name == f"{PREFIX}_DEM_60m.jp2"
    stored = _check(path, 60, 6, gdal.GDT_UInt16).ReadAsArray()
    assert stored[0, 0] == 9988 and stored[1, 0] == 10850 and stored[1, 5] == 14807


def test_writers_reject_wrong_dtypes(tmp_path):
    with pytest.raises(OutputError, match="SCL 20 m: got uint16"):
        w.write_scl(tmp_path, PREFIX, 20, np.zeros((6, 6), np.uint16), GEO)
    with pytest.raises(OutputError, match="B02 10 m: got float32"):
        w.write_band(tmp_path, PREFIX, "B02", 10, np.zeros((6, 6), np.float32), GEO)
    with pytest.raises(ValueError, match="output format"):
        w.output_path(tmp_path, "x", "png")


def test_roi_outputs_keep_the_full_grid_with_nodata_outside(tmp_path):
    from sen2cor.tables.roi import Roi

    roi = Roi(24, 36, 48, 60, frame_px=120)  # 60 m window rows 4..12, cols 6..16
    layers = {"B02": np.full((8, 10), 2000, np.uint16), "B03": np.full((8, 10), 2000, np.uint16),
              "B04": np.full((8, 10), 2000, np.uint16), "SCL": np.full((8, 10), 4, np.uint8)}
    written = w.write_resolution(tmp_path, PREFIX, 60, layers, GEO, roi=roi)
    assert [p.stem.split("_")[2] for p in written] == ["B02", "B03", "B04", "SCL", "TCI"]
    b02 = _check(written[0], 60, 20, gdal.GDT_UInt16).ReadAsArray()
    assert (b02[4:12, 6:16] == 2000).all() and b02.sum() == 2000 * 80
    tci = read_jp2(written[-1])
    assert tci.shape == (20, 20, 3) and tci[0, 0].sum() == 0 and tci[4, 6].tolist() == [102] * 3


def test_roi_qi_masks_keep_the_full_grid_with_zero_outside(tmp_path):
    from sen2cor.tables.roi import Roi

    roi = Roi(24, 36, 48, 60, frame_px=120)  # 60 m window rows 4..12, cols 6..16 of 20 x 20
    masks = {"CLDPRB": np.full((8, 10), 70, np.uint8), "SNWPRB": np.full((8, 10), 5, np.uint8)}
    geo60 = Geocoding(499980.0, 5900040.0, 60.0, -60.0, 32629)   # QI masks take the grid of their resolution
    written = w.write_qi_masks(tmp_path, 60, masks, geo60, roi=roi, nr_threads=2)
    assert [p.stem for p in written] == ["MSK_CLDPRB_60m", "MSK_SNWPRB_60m"]
    cld = _check(written[0], 60, 20, gdal.GDT_Byte).ReadAsArray()
    assert (cld[4:12, 6:16] == 70).all() and int(cld.sum()) == 70 * 80


def test_two_files_at_once_write_the_same_bytes_in_product_order(tmp_path):
    layers = _layers(20, 300)
    serial = w.write_resolution(tmp_path / "serial", PREFIX, 20, layers, GEO, nr_threads=1)
    both = w.write_resolution(tmp_path / "both", PREFIX, 20, layers, GEO, nr_threads=2)
    assert [p.name for p in both] == [p.name for p in serial] == \
        [f"{PREFIX}_{b}_20m.jp2" for b in w.output_names(20)]
    for a, b in zip(serial, both):
        assert a.read_bytes() == b.read_bytes(), a.name
    masks = {"CLDPRB": layers["SCL"] * 8, "SNWPRB": layers["SCL"]}
    qi = w.write_qi_masks(tmp_path / "QI_DATA", 20, masks, GEO.at_resolution(20), nr_threads=2)
    assert [p.name for p in qi] == ["MSK_CLDPRB_20m.jp2", "MSK_SNWPRB_20m.jp2"]
    np.testing.assert_array_equal(read_jp2(qi[0]), masks["CLDPRB"])


def test_concurrent_export_reads_layers_on_the_calling_thread_and_reports_failures(tmp_path):
    import threading

    class Recording(dict):
        threads: set = set()

        def __getitem__(self, name):
            self.threads.add(threading.get_ident())
            return dict.__getitem__(self, name)

    layers = Recording(_layers(60, 40))
    w.write_resolution(tmp_path, PREFIX, 60, layers, GEO, nr_threads=2)
    assert Recording.threads == {threading.get_ident()}
    layers = _layers(60, 40)
    layers["B05"] = layers["B05"].astype(np.float32)
    with pytest.raises(OutputError, match="B05 60 m: got float32"):
        w.write_resolution(tmp_path / "bad", PREFIX, 60, layers, GEO, nr_threads=2)
    assert not list((tmp_path / "bad").rglob(".*")), "temporary files left behind"


def test_files_at_once_follows_nr_threads():
    assert w.files_at_once(1, 14) == 1
    assert w.files_at_once(2, 14) == 2
    assert w.files_at_once(8, 14) == w.MAX_FILES_AT_ONCE == 2
    assert w.files_at_once(8, 1) == 1


def test_tci_scaled_tile_by_tile_equals_the_whole_image(tmp_path):
    rng = np.random.default_rng(7)
    b04, b03, b02 = (rng.integers(0, 4000, (300, 530)).astype(np.uint16) for _ in range(3))
    b02[:5] = 0  # no data -> 0
    tiles = w.TciTiles(b04, b03, b02, -1000)
    whole = w.radiometry.tci_from_boa_dn(b04, b03, b02)
    np.testing.assert_array_equal(tiles[10:270, 256:530], whole[10:270, 256:530])
    geo60 = GEO.at_resolution(60)
    lazy = w.write_tci(tmp_path / "lazy", PREFIX, 60, b04, b03, b02, geo60)
    full = w.write_image(tmp_path / "full" / lazy.name, whole, geo60, profile=w.jp2.TCI_PROFILE)
    assert lazy.read_bytes() == full.read_bytes()
    assert read_jp2(lazy)[:5, :, 2].sum() == 0  # blue channel of the rows without B02


def test_pvi_from_tci_tiles_samples_only_the_preview_pixels(tmp_path):
    rng = np.random.default_rng(8)
    b04, b03, b02 = (rng.integers(0, 4000, (700, 690)).astype(np.uint16) for _ in range(3))
    whole = w.radiometry.tci_from_boa_dn(b04, b03, b02)
    np.testing.assert_array_equal(w.make_pvi(w.TciTiles(b04, b03, b02, -1000)), w.make_pvi(whole))
    path = w.write_pvi(tmp_path, PREFIX, w.TciTiles(b04, b03, b02, -1000), GEO)
    np.testing.assert_array_equal(read_jp2(path), w.make_pvi(whole))


def test_layers_read_from_pytables_while_two_files_are_encoded(tmp_path):
    from collections.abc import Mapping

    from sen2cor.tables.store import open_databases

    layers = _layers(60, 120)
    with open_databases("T29UNU", tmp_path, compression_level=1) as (_, tmp):
        for name, array in layers.items():
            tmp.put(f"OUT_{name}", 60, array)

        class Stored(Mapping):  # reads the database on each access, like tile_outputs.StoredLayers
            def __getitem__(self, name):
                return tmp.get(f"OUT_{name}", 60)

            def __iter__(self):
                return iter(layers)

            def __len__(self):
                return len(layers)

        written = w.write_resolution(tmp_path / "G", PREFIX, 60, Stored(), GEO, nr_threads=2)
    assert len(written) == 15
    for path in written[:-1]:
        name = path.stem.split("_")[2]
        np.testing.assert_array_equal(read_jp2(path), layers[name])


def test_dem_cog_reads_back_as_metres(tmp_path):
    """The DEM output stores height + 10000 m; the COG's scale and offset give the height back."""
    height = np.linspace(-50.0, 3200.0, 600 * 600).reshape(600, 600)
    path = w.write_dem(tmp_path, PREFIX, 20, height, GEO.at_resolution(20), fmt="cog")
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    metres = band.ReadAsArray() * band.GetScale() + band.GetOffset()
    np.testing.assert_allclose(metres, np.rint(height), atol=0)
    assert band.GetUnitType() == "m" and band.GetOverviewCount() >= 1


def test_ddv_map_cog_carries_its_class_names_and_colours(tmp_path):
    ddv = np.tile(np.array([[6, 6], [2, 6]], np.uint8), (300, 300))
    ddv[:2, :4] = (0, 4, 5, 6)
    path = w.write_qi_mask(tmp_path, "DDVPXL", 20, ddv, GEO.at_resolution(20), fmt="cog")
    names = category_names(path)
    ds = gdal.Open(str(path))
    band = ds.GetRasterBand(1)
    assert names[4] == "DDV_REFERENCE" and names[6] == "WATER" and names[0] == "NO_DATA"
    assert band.GetColorTable().GetColorEntry(4)[:3] == (0, 160, 0)
    assert np.all(band.GetOverview(0).ReadAsArray()[2:, 2:] == 6)   # the most frequent class, not the mean 5
