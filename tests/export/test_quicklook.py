"""The quicklook PNG: panels, SCL colours, legend numbers from the tile metadata, brightening, fallbacks."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sen2cor.export.quicklook import FULL, TileNumbers, brighten, compose, data_window, read_numbers, write_quicklook
from sen2cor.sceneclass.legend import SCL_COLOURS

NUMBERS = TileNumbers(cloud_percent=12.5, mean_aot=0.1, mean_wv_cm=1.2, aot_method="CAMS",
                      class_percent=dict.fromkeys(range(12), 1.0))


def _count(picture: Image.Image, rgb: tuple[int, int, int]) -> int:
    pixels = np.asarray(picture.convert("RGB")).reshape(-1, 3)
    return int(np.all(pixels == rgb, axis=1).sum())


def test_scl_panel_shows_each_class_in_its_colour_and_area():
    """Half vegetation, half water: each colour covers half the SCL panel (plus its legend swatch)."""
    rows, cols = 100, 200
    scl = np.full((rows, cols), 4, np.uint8)
    scl[:, cols // 2:] = 6
    tci = np.full((rows, cols, 3), (90, 100, 110), np.uint8)
    picture = compose(tci, scl, NUMBERS, "title")
    panel = 640 * 320
    swatch = 19 * 19
    assert _count(picture, SCL_COLOURS[4]) == pytest.approx(panel / 2 + swatch, rel=0.02)
    assert _count(picture, SCL_COLOURS[6]) == pytest.approx(panel / 2 + swatch, rel=0.02)
    assert _count(picture, (90, 100, 110)) == pytest.approx(panel, rel=0.02)   # bright enough: unchanged


def test_scl_panel_follows_the_scl_not_the_tci_size():
    """An SCL of another resolution (20 m beside a 10 m TCI) covers the same panel."""
    scl = np.full((50, 50), 9, np.uint8)
    picture = compose(np.full((100, 100, 3), 120, np.uint8), scl, NUMBERS, "t")
    assert _count(picture, SCL_COLOURS[9]) >= 640 * 640   # white cloud panel (+ white background)
    assert _count(picture, (120, 120, 120)) == pytest.approx(640 * 640, rel=0.02)


def test_dark_true_colour_is_brightened_with_one_gain():
    tci = np.zeros((10, 10, 3), np.uint8)
    tci[..., 0], tci[..., 1], tci[..., 2] = 20, 10, 5
    out, gain = brighten(tci)
    assert gain == pytest.approx(4.0)   # median 10 -> capped at 4
    np.testing.assert_array_equal(out[0, 0], [80, 40, 20])   # ratios kept
    bright = np.full((10, 10, 3), 150, np.uint8)
    assert brighten(bright)[1] == 1.0


def test_numbers_come_from_the_tile_metadata(tmp_path):
    mtd = tmp_path / "MTD_TL.xml"
    mtd.write_text("""<?xml version="1.0"?><n1:Level-2A_Tile_ID xmlns:n1="urn:x"><n1:Quality_Indicators_Info>
      <Image_Content_QI><CLOUDY_PIXEL_PERCENTAGE>42.5</CLOUDY_PIXEL_PERCENTAGE>
      <DARK_FEATURES_PERCENTAGE>3.25</DARK_FEATURES_PERCENTAGE><VEGETATION_PERCENTAGE>30.0</VEGETATION_PERCENTAGE>
      <AOT_RETRIEVAL_METHOD>SEN2COR_DDV</AOT_RETRIEVAL_METHOD><GRANULE_MEAN_AOT>0.123</GRANULE_MEAN_AOT>
      <GRANULE_MEAN_WV>1.5</GRANULE_MEAN_WV></Image_Content_QI></n1:Quality_Indicators_Info></n1:Level-2A_Tile_ID>""")
    numbers = read_numbers(mtd)
    assert (numbers.cloud_percent, numbers.mean_aot, numbers.mean_wv_cm, numbers.aot_method) == (
        42.5, 0.123, 1.5, "SEN2COR_DDV")
    assert numbers.class_percent[2] == 3.25 and numbers.class_percent[4] == 30.0   # older DARK_FEATURES name
    assert numbers.class_percent[6] is None


def test_quicklook_of_an_official_product(tmp_path, real_dir):
    """A real Sen2Cor product (N0211, metadata without mean AOT/WV: taken from its AOT/WVP files)."""
    product = real_dir / "l2a" / "S2A_MSIL2A_20190220T001631_N0211_R116_T56LMM_20190220T024455.SAFE"
    if not any(product.glob("GRANULE/*/IMG_DATA/R60m/*_TCI_60m.jp2")):
        pytest.skip(f"{product.name}: no R60m images")
    (granule,) = product.glob("GRANULE/L2A_*")
    out = write_quicklook(granule, tmp_path / "ql.png")
    picture = Image.open(out)
    assert picture.width >= 4 * 12 + 3 * 330 and picture.height > 640   # cut to the data: a narrow strip
    assert [p.name for p in tmp_path.iterdir()] == ["ql.png"]
    assert not list(Path(granule, "QI_DATA").glob("*quicklook*"))   # the input product is not touched


def test_panels_are_cut_to_the_data_of_a_tile_corner():
    scl = np.zeros((100, 200), np.uint8)
    scl[10:30, 150:190] = 4          # 20 x 40 px of data: 4 % of the tile
    window, share = data_window(scl)
    assert window == pytest.approx((0.1, 0.3, 0.75, 0.95)) and share == pytest.approx(0.04)
    scl[90, 5] = 6                   # data spread over most of the tile: shown whole
    assert data_window(scl) == (FULL, 1.0)
    assert data_window(np.zeros((10, 10), np.uint8)) == (FULL, 1.0)


def test_narrow_panels_keep_their_captions_apart():
    picture = compose(np.full((400, 40, 3), 100, np.uint8), np.full((400, 40), 4, np.uint8), NUMBERS, "t" * 200)
    assert picture.width >= 4 * 12 + 2 * 330 + 330
    from PIL import ImageFont

    assert picture.width >= ImageFont.load_default(size=18).getlength("t" * 200)   # the canvas grows with the title
