"""JPEG 2000 I/O: lossless round trips, official code-stream layout, GMLJP2 georeferencing."""
from __future__ import annotations


import glymur
import numpy as np
import pytest
from lxml import etree
from osgeo import gdal

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.io.geo import Geocoding
from sen2cor.io.jp2 import (L2A_PROFILES, PVI_PROFILE, TCI_PROFILE, gml_feature_collection, jp2_shape, read_jp2,
                            write_jp2)
from tests.conftest import shared_path

gdal.UseExceptions()
GML = "{http://www.opengis.net/gml}"
T29UNU_60M = Geocoding(499980.0, 5900040.0, 60.0, -60.0, 32629)
REAL_L2A = ("data", "real", "l2a", "S2A_MSIL2A_20221005T115411_N0400_R023_T29UNU_20221005T164454.SAFE",
            "GRANULE", "L2A_T29UNU_A038058_20221005T115407")


def _noise(shape, high, dtype, seed=0):
    return np.random.default_rng(seed).integers(0, high, shape).astype(dtype)


@pytest.mark.parametrize("dtype,high", [(np.uint16, 65536), (np.uint8, 256)])
def test_roundtrip_is_lossless(tmp_path, dtype, high):
    image = _noise((120, 130), high, dtype)
    path = write_jp2(tmp_path / "a.jp2", image, T29UNU_60M, L2A_PROFILES[60])
    back = read_jp2(path, nr_threads=2)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, image)


def test_rgb_roundtrip_is_lossless(tmp_path):
    image = _noise((64, 80, 3), 256, np.uint8, seed=3)
    path = write_jp2(tmp_path / "tci.jp2", image, T29UNU_60M, TCI_PROFILE)
    np.testing.assert_array_equal(read_jp2(path), image)


def test_codestream_and_boxes_follow_the_official_60m_layout(tmp_path):
    image = _noise((400, 400), 30000, np.uint16)
    path = write_jp2(tmp_path / "b.jp2", image, T29UNU_60M, L2A_PROFILES[60])
    jp2 = glymur.Jp2k(str(path))
    assert [b.box_id for b in jp2.box] == ["jP  ", "ftyp", "jp2h", "asoc", "jp2c"]
    assert jp2.box[1].brand == "jp2 "
    siz, cod = jp2.get_codestream(header_only=True).segment[1:3]
    assert (siz.xtsiz, siz.ytsiz) == (192, 192)
    assert cod.code_block_size == (4, 4)
    assert cod.precinct_size.tolist() == [[64, 64]] * 5
    assert cod.num_res == 4 and cod.layers == 1
    assert cod.prog_order == glymur.core.LRCP
    assert cod.xform == glymur.core.WAVELET_XFORM_5X3_REVERSIBLE
    np.testing.assert_array_equal(read_jp2(path), image)


def test_gdal_reads_the_grid_exactly(tmp_path):
    geo = Geocoding(600000.0, 4000020.0, 20.0, -20.0, 32733)
    path = write_jp2(tmp_path / "c.jp2", _noise((60, 90), 9, np.uint8), geo, L2A_PROFILES[20])
    ds = gdal.Open(str(path))
    assert ds.GetGeoTransform() == (600000.0, 20.0, 0.0, 4000020.0, 0.0, -20.0)
    assert ds.GetSpatialRef().GetAuthorityCode(None) == "32733"
    assert (ds.RasterXSize, ds.RasterYSize) == (90, 60)
    assert ds.GetRasterBand(1).DataType == gdal.GDT_Byte


def test_gml_origin_is_the_centre_of_the_upper_left_pixel():
    root = gml_feature_collection(T29UNU_60M, 1830, 1830)
    assert root.find(f".//{GML}pos").text == "500010 5900010"
    assert root.find(f".//{GML}high").text == "1830 1830"
    assert [e.text for e in root.iter(f"{GML}offsetVector")] == ["60 0", "0 -60"]


def test_gml_box_matches_the_official_l2a_file():
    real = shared_path(*REAL_L2A, "IMG_DATA", "R60m", "T29UNU_20221005T115411_B02_60m.jp2")
    real_xml = glymur.Jp2k(str(real)).box[3].box[1].box[1].xml.getroot()
    ours = gml_feature_collection(T29UNU_60M, 1830, 1830)
    texts = lambda root: [(etree.QName(e).localname, (e.text or "").strip(), sorted(e.attrib.items()))  # noqa: E731
                          for e in root.iter() if isinstance(e.tag, str)]
    assert texts(ours) == texts(real_xml)
    assert gdal.Open(str(real)).GetGeoTransform() == T29UNU_60M.geotransform


def test_window_and_reduced_reads(tmp_path):
    image = _noise((400, 400), 5000, np.uint16)
    path = write_jp2(tmp_path / "d.jp2", image, T29UNU_60M, L2A_PROFILES[60])
    np.testing.assert_array_equal(read_jp2(path, window=(190, 10, 250, 70)), image[190:250, 10:70])
    assert read_jp2(path, reduce=1).shape == (200, 200)
    assert jp2_shape(path) == (400, 400)


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_errors_name_the_file_and_leave_no_partial_files(tmp_path):
    with pytest.raises(OutputError, match="float32"):
        write_jp2(tmp_path / "e.jp2", np.zeros((8, 8), np.float32), T29UNU_60M, L2A_PROFILES[60])
    broken = tmp_path / "broken.jp2"
    broken.write_bytes(b"\x00\x00\x00\x0cjP  \r\n\x87\nnot a codestream")
    with pytest.raises(ProductReadError, match="broken.jp2"):
        read_jp2(broken)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.jp2"]


def test_written_without_geocoding_has_no_gml(tmp_path):
    path = write_jp2(tmp_path / "f.jp2", _noise((32, 32), 99, np.uint8), None, L2A_PROFILES[60])
    assert "asoc" not in [b.box_id for b in glymur.Jp2k(str(path)).box]


def test_tiled_rgb_with_partial_edge_tiles_is_lossless(tmp_path):
    image = _noise((300, 530, 3), 256, np.uint8, seed=9)
    path = write_jp2(tmp_path / "tci.jp2", image, T29UNU_60M, TCI_PROFILE)
    siz = glymur.Jp2k(str(path)).get_codestream(header_only=True).segment[1]
    assert (siz.xtsiz, siz.ytsiz) == (256, 256)
    np.testing.assert_array_equal(read_jp2(path), image)


def test_strip_reading_covers_image_and_window(tmp_path):
    from sen2cor.io.jp2 import read_jp2_strips

    image = _noise((400, 300), 5000, np.uint16, seed=2)
    path = write_jp2(tmp_path / "s.jp2", image, T29UNU_60M, L2A_PROFILES[60])
    strips = list(read_jp2_strips(path))
    assert [(o, s.shape) for o, s in strips] == [(0, (192, 300)), (192, (192, 300)), (384, (16, 300))]
    np.testing.assert_array_equal(np.vstack([s for _, s in strips]), image)
    part = list(read_jp2_strips(path, window=(100, 10, 250, 70)))
    assert [o for o, _ in part] == [0, 92]
    np.testing.assert_array_equal(np.vstack([s for _, s in part]), image[100:250, 10:70])


def test_reencoding_an_official_60m_band_reproduces_its_layout_and_grid(tmp_path):
    real = shared_path(*REAL_L2A, "IMG_DATA", "R60m", "T29UNU_20221005T115411_B02_60m.jp2")
    data = read_jp2(real, nr_threads=2)
    ours = write_jp2(tmp_path / real.name, data, T29UNU_60M, L2A_PROFILES[60], nr_threads=2)
    a, b = glymur.Jp2k(str(real)), glymur.Jp2k(str(ours))
    assert [x.box_id for x in a.box] == [x.box_id for x in b.box]
    siz_a, cod_a = a.get_codestream(header_only=True).segment[1:3]
    siz_b, cod_b = b.get_codestream(header_only=True).segment[1:3]
    assert (siz_a.xsiz, siz_a.ysiz, siz_a.xtsiz, siz_a.ytsiz) == (siz_b.xsiz, siz_b.ysiz, siz_b.xtsiz, siz_b.ytsiz)
    assert (cod_a.num_res, cod_a.layers, cod_a.prog_order, cod_a.code_block_size, cod_a.xform) == \
        (cod_b.num_res, cod_b.layers, cod_b.prog_order, cod_b.code_block_size, cod_b.xform)
    assert cod_a.precinct_size.tolist() == cod_b.precinct_size.tolist()
    ga, gb = gdal.Open(str(real)), gdal.Open(str(ours))
    assert ga.GetGeoTransform() == gb.GetGeoTransform()
    assert ga.GetSpatialRef().IsSame(gb.GetSpatialRef())
    np.testing.assert_array_equal(gb.ReadAsArray(), data)


def _cod_bytes(path) -> bytes:
    """Raw COD marker segment (coding style: progression, layers, levels, code blocks, precincts)."""
    cod = glymur.Jp2k(str(path)).get_codestream(header_only=True).segment[2]
    return path.read_bytes()[cod.offset:cod.offset + 2 + cod.length]


def test_10m_coding_style_is_byte_identical_to_the_official_file(tmp_path):
    real = shared_path(*REAL_L2A, "IMG_DATA", "R10m", "T29UNU_20221005T115411_AOT_10m.jp2")
    image = _noise((1100, 1100), 4000, np.uint16, seed=5)
    path = write_jp2(tmp_path / "b10.jp2", image, T29UNU_60M.at_resolution(10), L2A_PROFILES[10], nr_threads=2)
    siz = glymur.Jp2k(str(path)).get_codestream(header_only=True).segment[1]
    assert (siz.xtsiz, siz.ytsiz) == (1024, 1024)
    # ff52 0011 01 | LRCP, 1 layer, no MCT | 4 levels, 64x64 blocks, 5-3 | precincts 256 (0x88)
    assert _cod_bytes(path) == _cod_bytes(real) == bytes.fromhex("ff520011010000010004040400018888888888")
    np.testing.assert_array_equal(read_jp2(path), image)


def test_20m_and_60m_coding_styles_are_byte_identical_to_the_official_files(tmp_path):
    r20 = shared_path(*REAL_L2A, "IMG_DATA", "R20m", "T29UNU_20221005T115411_AOT_20m.jp2")
    r60 = shared_path(*REAL_L2A, "IMG_DATA", "R60m", "T29UNU_20221005T115411_B02_60m.jp2")
    image = _noise((700, 700), 4000, np.uint16, seed=6)
    for res, real in ((20, r20), (60, r60)):
        path = write_jp2(tmp_path / f"b{res}.jp2", image, T29UNU_60M.at_resolution(res), L2A_PROFILES[res])
        assert _cod_bytes(path) == _cod_bytes(real)


def test_tci_and_pvi_coding_styles_are_byte_identical_to_the_official_files(tmp_path):
    tci = shared_path(*REAL_L2A, "IMG_DATA", "R60m", "T29UNU_20221005T115411_TCI_60m.jp2")
    pvi = shared_path(*REAL_L2A, "QI_DATA", "T29UNU_20221005T115411_PVI.jp2")
    rgb = _noise((343, 343, 3), 256, np.uint8, seed=8)
    ours_tci = write_jp2(tmp_path / "tci.jp2", rgb, T29UNU_60M, TCI_PROFILE)
    ours_pvi = write_jp2(tmp_path / "pvi.jp2", rgb, T29UNU_60M.at_resolution(320), PVI_PROFILE)
    assert _cod_bytes(ours_tci) == _cod_bytes(tci)  # reversible colour transform, 16x16 blocks
    assert _cod_bytes(ours_pvi) == _cod_bytes(pvi)


def _precision(path) -> tuple[tuple[int, ...], int]:
    """(SIZ bit depth per component, ihdr bits per component) of a JP2 file."""
    jp2 = glymur.Jp2k(str(path))
    ihdr = next(b for b in jp2.box if b.box_id == "jp2h").box[0]
    return tuple(jp2.get_codestream(header_only=True).segment[1].bitdepth), ihdr.bits_per_component


@pytest.mark.parametrize("folder,name,profile,bits", [
    ("IMG_DATA/R60m", "T29UNU_20221005T115411_B02_60m.jp2", L2A_PROFILES[60], 15),
    ("IMG_DATA/R60m", "T29UNU_20221005T115411_AOT_60m.jp2", L2A_PROFILES[60], 15),
    ("IMG_DATA/R60m", "T29UNU_20221005T115411_WVP_60m.jp2", L2A_PROFILES[60], 15),
    ("IMG_DATA/R60m", "T29UNU_20221005T115411_SCL_60m.jp2", L2A_PROFILES[60], 8),
    ("IMG_DATA/R60m", "T29UNU_20221005T115411_TCI_60m.jp2", TCI_PROFILE, 8),
    ("QI_DATA", "MSK_CLDPRB_60m.jp2", L2A_PROFILES[60], 8),
    ("QI_DATA", "T29UNU_20221005T115411_PVI.jp2", PVI_PROFILE, 8),
])
def test_declared_precision_matches_the_official_files(tmp_path, folder, name, profile, bits):
    real = shared_path(*REAL_L2A, *folder.split("/"), name)
    data = read_jp2(real, nr_threads=2)
    ours = write_jp2(tmp_path / name, data, T29UNU_60M, profile, nr_threads=2)
    components = 1 if data.ndim == 2 else data.shape[2]
    assert _precision(real) == ((bits,) * components, bits)
    assert _precision(ours) == _precision(real)
    real_box = glymur.Jp2k(str(real)).box
    ours_box = glymur.Jp2k(str(ours)).box
    header = lambda boxes: (boxes[1].brand, boxes[2].box[1].colorspace)  # noqa: E731  (ftyp, colr)
    assert header(ours_box) == header(real_box)
    assert gdal.Open(str(ours)).GetRasterBand(1).GetMetadataItem("NBITS", "IMAGE_STRUCTURE") == \
        gdal.Open(str(real)).GetRasterBand(1).GetMetadataItem("NBITS", "IMAGE_STRUCTURE")
    np.testing.assert_array_equal(read_jp2(ours), data)


def test_uint16_values_beyond_15_bits_stay_lossless(tmp_path):
    image = _noise((50, 60), 30000, np.uint16, seed=4)
    image[0, :3] = (0, 32767, 1)
    fits = write_jp2(tmp_path / "fits.jp2", image, T29UNU_60M, L2A_PROFILES[60])
    assert _precision(fits) == ((15,), 15)
    np.testing.assert_array_equal(read_jp2(fits), image)
    image[1, 1] = 65535  # saturation value: needs all 16 bits
    wide = write_jp2(tmp_path / "wide.jp2", image, T29UNU_60M, L2A_PROFILES[60])
    assert _precision(wide) == ((16,), 16)
    np.testing.assert_array_equal(read_jp2(wide), image)
    with pytest.raises(OutputError, match="65535 does not fit in the declared 15-bit"):
        write_jp2(tmp_path / "forced.jp2", image, T29UNU_60M, L2A_PROFILES[60], precision_bits=15)
    with pytest.raises(OutputError, match="expected 1..8"):
        write_jp2(tmp_path / "forced.jp2", image.astype(np.uint8), T29UNU_60M, L2A_PROFILES[60],
                  precision_bits=12)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fits.jp2", "wide.jp2"]


def _glymur_tiled(path, image, profile, levels):
    """Reference encode through glymur's own tile writer (16-bit uint16 / 8-bit uint8 only)."""
    tile = (profile.tile_px, profile.tile_px)
    jp2 = glymur.Jp2k(str(path), shape=image.shape, tilesize=tile, numres=levels + 1, prog="LRCP",
                      cbsize=(profile.codeblock_px,) * 2, psizes=[(profile.precinct_px,) * 2] * (levels + 1),
                      **({"mct": True} if image.ndim == 3 else {}))
    per_row = -(-image.shape[1] // tile[1])
    for index, writer in enumerate(jp2.get_tilewriters()):
        row, col = divmod(index, per_row)
        rows, cols = slice(row * tile[0], (row + 1) * tile[0]), slice(col * tile[1], (col + 1) * tile[1])
        writer[:] = np.ascontiguousarray(image[rows, cols])


@pytest.mark.parametrize("image,profile", [
    (_noise((700, 1300), 65536, np.uint16, seed=11), L2A_PROFILES[20]),
    (_noise((300, 520, 3), 256, np.uint8, seed=12), TCI_PROFILE),
])
def test_encoder_writes_the_same_bytes_as_glymurs_tile_writer(tmp_path, image, profile):
    reference = tmp_path / "glymur.jp2"
    _glymur_tiled(reference, image, profile, levels=4)
    ours = write_jp2(tmp_path / "ours.jp2", image, None, profile, nr_threads=2,
                     precision_bits=8 * image.dtype.itemsize)
    assert ours.read_bytes() == reference.read_bytes()


def test_threads_and_concurrent_files_do_not_change_the_bytes(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    images = [_noise((500, 700), 20000, np.uint16, seed=s) for s in (21, 22)]
    serial = [write_jp2(tmp_path / f"s{i}.jp2", image, T29UNU_60M, L2A_PROFILES[20])
              for i, image in enumerate(images)]
    with ThreadPoolExecutor(2) as pool:
        concurrent = list(pool.map(lambda i: write_jp2(tmp_path / f"c{i}.jp2", images[i], T29UNU_60M,
                                                       L2A_PROFILES[20], nr_threads=2), range(2)))
    for a, b in zip(serial, concurrent):
        assert a.read_bytes() == b.read_bytes()
