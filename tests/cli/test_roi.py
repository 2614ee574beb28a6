"""Region_Of_Interest (manual §2.4.2) applied by L2A_Process on generated 600 px products: only the window is
processed, every output keeps the full tile grid with 0 outside the window, and values inside match a
whole-tile run where no scene-wide statistic or interpolation reaches across the window edge."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from osgeo import gdal

from sen2cor.atmcorr import radiance
from sen2cor.atmcorr.aot import coarse_to_pixels
from sen2cor.atmcorr.stage import sun_zenith_map, window_of_coarse
from sen2cor.cli import main
from sen2cor.l1c import read_l1c_product
from sen2cor.config.resources import cfg_dir
from sen2cor.testing import make_l1c

SIZE_10M = 600
# Midpoint (row 258, col 324) and size 180 x 240 -> rows 168..348, cols 204..444 (10 m): an off-centre
# window, left of the generator's no-data strip on the right edge, all values multiples of 6.
MANUAL = {"row0": 258, "col0": 324, "nrow_win": 180, "ncol_win": 240}
WINDOW_10M = (168, 348, 204, 444)
# Upsampled with bicubic (B01) / bilinear (B09) skimage resize: the spline pre-filter and the clipping to
# the input's value range depend on the whole input, so these bands may differ anywhere in a window.
INTERPOLATED = ("B01", "B09")


def _gipp(folder: Path, **roi) -> Path:
    text = (cfg_dir() / "L2A_GIPP.xml").read_text()
    for name, value in roi.items():
        text, count = re.subn(rf"<{name}>[^<]*</{name}>", f"<{name}>{value}</{name}>", text)
        assert count == 1, name
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "L2A_GIPP.xml"
    path.write_text(text)
    return path


def _run(l1c: Path, out: Path, home: Path, *options: str, roi: dict | None = None) -> Path:
    argv = [str(l1c), "--output_dir", str(out), *options]
    if roi is not None:
        argv += ["--GIP_L2A", str(_gipp(out.parent / f"{out.name}_gipp", **roi))]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEN2COR_HOME", str(home))
        assert main(argv) == 0
    (product,) = out.glob("S2A_MSIL2A_*.SAFE")
    return product


def _read(path: Path) -> np.ndarray:
    ds = gdal.Open(str(path))
    assert ds is not None, path
    return ds.ReadAsArray()


def _images(product: Path) -> dict[str, Path]:
    """Every image of the processing: IMG_DATA bands/AOT/WVP/SCL/TCI, MSK_CLDPRB/SNWPRB, PVI."""
    granule = next(product.glob("GRANULE/*"))
    files = list(granule.glob("IMG_DATA/R*m/*.jp2")) + list(granule.glob("QI_DATA/MSK_*PRB_*m.jp2")) + \
        list(granule.glob("QI_DATA/*_PVI.jp2"))
    return {f.relative_to(product).as_posix().split("/", 2)[2]: f for f in files}


def _resolution(name: str) -> int:
    return int(re.search(r"_(\d+)m\.jp2$", name).group(1))


def _window(resolution: int, window_10m=WINDOW_10M) -> tuple[slice, slice]:
    f = resolution // 10
    r0, r1, c0, c1 = window_10m
    return slice(r0 // f, r1 // f), slice(c0 // f, c1 // f)


def _pvi_inside(window_10m=WINDOW_10M, size_px: int = 343) -> np.ndarray:
    """PVI pixels (nearest zoom of the tile, pixel centre rule) that sample the window."""
    centres = (np.arange(size_px) + 0.5) * SIZE_10M / size_px
    r0, r1, c0, c1 = window_10m
    return ((centres >= r0) & (centres < r1))[:, None] & ((centres >= c0) & (centres < c1))[None, :]


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=SIZE_10M, seed=5)


@pytest.fixture(scope="module")
def home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("home")


@pytest.fixture(scope="module")
def runs(l1c, home, tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("runs")
    return {
        "full": _run(l1c, base / "full", home, "--resolution", "10"),
        "roi": _run(l1c, base / "roi", home, "--resolution", "10", roi=MANUAL),
        "full_sc": _run(l1c, base / "full_sc", home, "--sc_only"),
        "roi_sc": _run(l1c, base / "roi_sc", home, "--sc_only", roi=MANUAL),
    }


def test_manual_roi_outputs_have_the_full_grid_and_no_data_outside(l1c, runs):
    tile = read_l1c_product(l1c).tile
    full, roi = _images(runs["full"]), _images(runs["roi"])
    assert set(roi) == set(full) and len(roi) == 7 + 14 + 15 + 4 + 1
    for name, path in roi.items():
        image = _read(path)
        if image.ndim == 3:                       # TCI / PVI: bands first in GDAL
            image = image.max(axis=0)
        if name.endswith("_PVI.jp2"):
            inside = _pvi_inside()
        else:
            geo = tile.geoposition[_resolution(name)]
            assert image.shape == (geo.nrows, geo.ncols), name
            inside = np.zeros(image.shape, dtype=bool)
            inside[_window(_resolution(name))] = True
        assert not image[~inside].any(), f"{name}: data outside the ROI"
        if "PRB" not in name:                     # probabilities are 0 on clear land
            assert np.count_nonzero(image[inside]) > 0.9 * inside.sum(), f"{name}: ROI mostly empty"


def test_sc_only_roi_equals_the_whole_tile_run_inside_the_window(runs):
    full, roi = _images(runs["full_sc"]), _images(runs["roi_sc"])
    compared = 0
    for name, path in roi.items():
        if name.endswith("_PVI.jp2") or "PRB" in name or "SCL" in name:
            continue
        if any(f"_{band}_" in name for band in INTERPOLATED):
            continue
        window = (slice(None),) * (_read(path).ndim - 2) + _window(_resolution(name))
        a, b = _read(full[name])[window], _read(path)[window]
        assert np.array_equal(a, b), name       # L1C TOA DN, per pixel: no dependence on the window
        compared += 1
    # R20m: 10 bands - B01 + AOT, WVP, TCI = 12; R60m: 11 bands - B01, B09 + AOT, WVP, TCI = 12
    assert compared == 24


def test_scene_classification_inside_the_window_mostly_agrees(runs):
    """Per-pixel tests give the same class; cloud dilation, shadow projection and the median filter reach
    across the window edge (clouds outside cast shadows inside), as in Sen2Cor with a ROI."""
    full, roi = _images(runs["full_sc"]), _images(runs["roi_sc"])
    for name in (n for n in roi if "_SCL_" in n):
        window = _window(_resolution(name))
        a, b = _read(full[name])[window], _read(roi[name])[window]
        assert np.mean(a == b) > 0.95, name
        assert b.min() > 0                        # every window pixel is classified (no no-data there)


def test_corrected_roi_agrees_with_the_whole_tile_inside_the_window(runs):
    """Surface reflectance inside the window follows the whole-tile run pixel by pixel; the aerosol and water
    vapour statistics are those of the window, so the levels may shift (as in Sen2Cor): a 1.8 x 2.4 km window
    may hold too few dark dense vegetation pixels and fall back to CAMS while the whole tile uses DDV."""
    full, roi = _images(runs["full"]), _images(runs["roi"])
    for name in ("R10m/", "R20m/"):
        band = next(n for n in roi if name in n and "_B04_" in n)
        window = _window(_resolution(band))
        a = _read(full[band])[window].astype(float)
        b = _read(roi[band])[window].astype(float)
        assert np.corrcoef(a.ravel(), b.ravel())[0, 1] > 0.999, band
        shift = b - a
        # a misplacement by one pixel leaves differences as large as the texture itself; an aerosol level
        # shift is nearly uniform and small (< 0.01 reflectance)
        assert np.std(shift) < 0.1 * np.std(a), band
        assert abs(np.median(shift)) < 100, band


def test_dem_output_of_a_roi_is_the_window_of_the_tile_dem(tmp_path):
    """The DEM is warped onto the window's own grid (UL corner moved by the offset): inside the window it equals
    the whole-tile DEM output; outside the file is 0 (not the +10000 m offset of a 0 m height)."""
    from sen2cor.dem import grid_from_product
    from sen2cor.dem.sources import DemFormat
    from sen2cor.dem.synthetic import elevation_from_array, write_geocells_for_grid
    from sen2cor.testing import read_truth

    l1c = make_l1c(tmp_path / "l1c", size_px=SIZE_10M, seed=4, scene="mountain")
    truth_dem = read_truth(l1c.parent / f"{l1c.stem}_truth.h5")["scene"]["dem_m"]
    grid20 = grid_from_product(read_l1c_product(l1c), 20)
    write_geocells_for_grid(DemFormat.SRTM, tmp_path / "dem", grid20, elevation_from_array(grid20, truth_dem),
                            samples_per_degree=240)
    dem_options = {"DEM_Directory": tmp_path / "dem", "Generate_DEM_Output": "TRUE"}
    dems = {}
    for name, roi in (("full", {}), ("roi", MANUAL)):
        product = _run(l1c, tmp_path / name, tmp_path / "home", "--resolution", "20", roi=dem_options | roi)
        (dems[name],) = [_read(f) for f in product.glob("GRANULE/*/AUX_DATA/*_DEM_20m.jp2")]
    window = _window(20)
    assert dems["roi"].shape == dems["full"].shape == (SIZE_10M // 2, SIZE_10M // 2)
    assert dems["roi"][window].min() >= 10000 and dems["roi"][window].std() > 10   # real terrain inside
    assert np.abs(dems["roi"][window].astype(int) - dems["full"][window]).max() <= 1
    outside = np.ones(dems["roi"].shape, dtype=bool)
    outside[window] = False
    assert not dems["roi"][outside].any()


def test_quality_counts_outside_pixels_as_no_data(runs):
    """NODATA_PIXEL_PERCENTAGE over the full tile: the window is 180 x 240 of 600 x 600 px = 12 %."""
    text = next(runs["roi_sc"].glob("GRANULE/*/QI_DATA/L2A_QUALITY.xml")).read_text()
    value = float(re.search(r'name="NODATA_PIXEL_PERCENTAGE"[^>]*>([^<]+)<', text).group(1))
    assert value == pytest.approx(100 * (1 - 180 * 240 / SIZE_10M**2), abs=0.01)


def test_auto_roi_is_the_bounding_box_of_valid_pixels(tmp_path):
    # 40 % of the crop beyond the swath edge: the valid fraction (60 %) is below 85 %, so AUTO crops
    l1c = make_l1c(tmp_path / "l1c", size_px=SIZE_10M, seed=6, nodata_fraction=0.4)
    product = _run(l1c, tmp_path / "auto", tmp_path / "home", "--sc_only", roi={"row0": "AUTO", "col0": "AUTO"})
    b01 = _read(read_l1c_product(l1c).band_path("B01"))
    rows, cols = np.flatnonzero((b01 != 0).any(axis=1)), np.flatnonzero((b01 != 0).any(axis=0))
    window = (rows[0] * 6, (rows[-1] + 1) * 6, cols[0] * 6, (cols[-1] + 1) * 6)  # 60 m px -> 10 m, on grid
    assert window[3] - window[2] < 0.75 * SIZE_10M          # the swath edge really cuts the tile
    (scl_file,) = product.glob("GRANULE/*/IMG_DATA/R20m/*_SCL_20m.jp2")
    scl = _read(scl_file)
    inside = np.zeros(scl.shape, dtype=bool)
    inside[_window(20, window)] = True
    assert not scl[~inside].any()
    assert scl[inside].any()


def test_auto_roi_with_mostly_valid_pixels_processes_the_whole_tile(l1c, runs, tmp_path):
    """The default product has 8 % no data (92 % valid > 85 %): AUTO = whole tile, same SCL as OFF."""
    product = _run(l1c, tmp_path / "auto", tmp_path / "home", "--sc_only", roi={"row0": "AUTO", "col0": "AUTO"})
    name = next(n for n in _images(product) if "_SCL_20m" in n)
    assert np.array_equal(_read(_images(product)[name]), _read(_images(runs["full_sc"])[name]))


@pytest.mark.parametrize("roi, fragments", [
    ({"row0": 301, "col0": 300}, ("row0", "301", "divisible by 6")),
    ({"row0": 570, "col0": 300, "nrow_win": 120, "ncol_win": 120}, ("row0=570", "nrow_win=120", "600 x 600")),
])
def test_invalid_roi_exits_with_1_naming_the_element(l1c, tmp_path, capsys, roi, fragments):
    out = tmp_path / "out"
    argv = [str(l1c), "--output_dir", str(out), "--sc_only", "--GIP_L2A", str(_gipp(tmp_path / "gipp", **roi))]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEN2COR_HOME", str(tmp_path / "home"))
        assert main(argv) == 1
    err = capsys.readouterr().err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert not list(out.glob("*MSIL2A*"))


def test_sun_zenith_of_a_window_is_the_window_of_the_tile_map():
    grid = 30.0 + np.add.outer(np.arange(23) * 0.05, np.arange(23) * 0.02)   # degrees, 5 km nodes
    grid[0, 5] = np.nan                                                    # a node without detector
    full = radiance.angle_grid_to_pixels(grid, 5000.0, (600, 600), 20.0)
    window = sun_zenith_map(grid, 5000.0, (90, 120), 20.0, offset_px=(84, 102))
    assert np.array_equal(window, full[84:174, 102:222])


def test_cams_field_of_a_window_is_the_window_of_the_stretched_field():
    coarse = np.arange(81, dtype=float).reshape(9, 9) ** 1.5                # corner nodes on the tile corners
    full = coarse_to_pixels(coarse, (300, 300))
    window = window_of_coarse(coarse, (300, 300), (90, 120), (84, 102))
    assert np.allclose(coarse_to_pixels(window, window.shape), full[84:174, 102:222], rtol=1e-6)
