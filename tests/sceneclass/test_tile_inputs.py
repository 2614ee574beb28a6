"""The scene classification inputs of a tile run, end to end (L2A_Process --sc_only on generated products):
ESA-CCI maps (References of L2A_CAL_SC_GIPP), GlobalSnowMap (References/Snow_Map), the DEM prerequisite, the
metadata naming the maps used, unusable maps, and Handle_L1C_QLT_Mask."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from osgeo import gdal, osr

from sen2cor.cli import main
from sen2cor.config.resources import cfg_dir
from sen2cor.dem import grid_from_product
from sen2cor.dem.esacci import LANDCOVER_MAP, SNOWCONDITION_DIR, WATERBODIES_MAP, warp_categorical
from sen2cor.l1c import read_l1c_product
from sen2cor.testing import make_l1c, read_truth
from sen2cor.testing.auxdata import write_auxiliary_data

SIZE_10M = 240
ABSENT = {"Snow_Map": "absent-GlobalSnowMap.tiff", "ESACCI_WaterBodies_Map": "absent-WB.tif",
          "ESACCI_LandCover_Map": "absent-LC.tif", "ESACCI_SnowCondition_Map_Dir": "absent-SNC"}


def gipp_copy(path: Path, template: str, values: dict[str, str]) -> Path:
    """A copy of a packaged GIPP with the text of the named elements replaced."""
    tree = etree.parse(str(cfg_dir() / template))
    for name, value in values.items():
        (element,) = tree.xpath(f"//*[local-name()='{name}']")
        element.text = value
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    return path


class Runner:
    """L2A_Process --sc_only --resolution 20 on one product, each run into its own folder."""

    def __init__(self, l1c: Path, work: Path, dem_dir: Path | None):
        self.l1c, self.work, self.count = l1c, work, 0
        self.gipp = gipp_copy(work / "L2A_GIPP.xml", "L2A_GIPP.xml",
                              {"DEM_Directory": str(dem_dir) if dem_dir else "NONE"})

    def __call__(self, references: dict[str, str] | None = None, *options: str, qlt: bool = False):
        self.count += 1
        run_dir = self.work / f"run{self.count}"
        home, out = run_dir / "home", run_dir / "out"
        home.mkdir(parents=True)
        sc = gipp_copy(run_dir / "L2A_CAL_SC_GIPP.xml", "L2A_CAL_SC_GIPP.xml", {**ABSENT, **(references or {})})
        gipp = self.gipp
        if qlt:
            gipp = gipp_copy(run_dir / "L2A_GIPP.xml", "L2A_GIPP.xml",
                             {"DEM_Directory": etree.parse(str(self.gipp)).xpath(
                                 "//*[local-name()='DEM_Directory']")[0].text, "Handle_L1C_QLT_Mask": "TRUE"})
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SEN2COR_HOME", str(home))
            code = main([str(self.l1c), "--sc_only", "--resolution", "20", "--output_dir", str(out),
                         "--GIP_L2A", str(gipp), "--GIP_L2A_SC", str(sc), *options])
        return Result(code, out, home)


class Result:
    def __init__(self, code: int, out: Path, home: Path):
        self.code, self.out = code, out
        products = list(out.glob("S2*_MSIL2A_*.SAFE"))
        self.product = products[0] if len(products) == 1 else None
        logs = list((home / "log").glob("*.log"))
        self.log = logs[0].read_text() if logs else ""

    def raster(self, pattern: str) -> np.ndarray:
        (path,) = self.product.glob(pattern)
        return gdal.Open(str(path)).ReadAsArray()

    @property
    def scl(self) -> np.ndarray:
        return self.raster("GRANULE/*/IMG_DATA/R20m/*_SCL_20m.jp2")

    def aux_maps(self) -> dict[str, str]:
        root = etree.parse(str(self.product / "MTD_MSIL2A.xml"))
        return {name: root.xpath(f"//*[local-name()='{name}']")[0].text for name in
                ("SNOW_CLIMATOLOGY_MAP", "ESACCI_WaterBodies_Map", "ESACCI_LandCover_Map",
                 "ESACCI_SnowCondition_Map_Dir")}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """A 'mixed' product (urban, bare soil, water, clouds) with its DEM geocells and CCI maps."""
    work = tmp_path_factory.mktemp("mixed")
    l1c = make_l1c(work / "l1c", size_px=SIZE_10M, seed=5, scene="mixed")
    aux = write_auxiliary_data(l1c, work / "aux")
    grid = grid_from_product(read_l1c_product(l1c), 20)
    maps = {"land_cover": warp_categorical(aux.aux_dir / LANDCOVER_MAP, grid),
            "water_bodies": warp_categorical(aux.aux_dir / WATERBODIES_MAP, grid)}
    truth = read_truth(work / "l1c" / f"{l1c.stem}_truth.h5")["scene"]["class_map"]
    return Runner(l1c, work, aux.dem_dir), aux, maps, truth


@pytest.fixture(scope="module")
def mixed_base(mixed):
    return mixed[0]()


@pytest.fixture(scope="module")
def mixed_classic(mixed):
    """Classic algorithm: no cloud dilation, so a recovery changes only the pixels it recovers."""
    return mixed[0](None, "--sc_classic")


def test_maps_present_are_used_logged_and_named(mixed, mixed_base):
    runner, aux, maps, truth = mixed
    result = runner(aux.references())
    assert result.code == 0 and mixed_base.code == 0
    for name in (LANDCOVER_MAP, WATERBODIES_MAP):
        assert f"{name} used" in result.log
    assert "ESA-CCI snow condition" in result.log and "used (month 10)" in result.log
    assert result.aux_maps() == {"SNOW_CLIMATOLOGY_MAP": "None", "ESACCI_WaterBodies_Map": WATERBODIES_MAP,
                                 "ESACCI_LandCover_Map": LANDCOVER_MAP,
                                 "ESACCI_SnowCondition_Map_Dir": SNOWCONDITION_DIR}
    assert set(mixed_base.aux_maps().values()) == {"None"}
    before, after = mixed_base.scl, result.scl
    changed = before != after
    assert changed.sum() > 20
    # the changes go where the truth says: more urban / bare soil pixels get their true class, and the pixels
    # that change agree with the truth far more often after than before
    assert np.sum((after == 5) & (truth == 5)) > np.sum((before == 5) & (truth == 5))
    assert np.mean(after[changed] == truth[changed]) > np.mean(before[changed] == truth[changed]) + 0.1


def test_land_cover_map_recovers_urban_and_bare_soil(mixed, mixed_classic):
    """ESACCI_LandCover_Map (steps 19-20): new NOT_VEGETATED pixels lie on CCI urban (190) or bare (200-202)
    areas; the only other change the land cover allows is the cirrus recovery (THIN_CIRRUS)."""
    runner, aux, maps, truth = mixed
    result = runner({"ESACCI_LandCover_Map": str(aux.aux_dir / LANDCOVER_MAP)}, "--sc_classic")
    assert result.aux_maps()["ESACCI_LandCover_Map"] == LANDCOVER_MAP
    before, after = mixed_classic.scl, result.scl
    new_soil = (after == 5) & (before != 5)
    assert new_soil.sum() > 10
    assert np.all(np.isin(maps["land_cover"][new_soil], (190, 200, 201, 202)))
    assert set(np.unique(after[before != after])) <= {5, 10}


def test_water_bodies_map_recovers_water(mixed, mixed_classic):
    """ESACCI_WaterBodies_Map (step 14): dark, shadow or unclassified pixels on CCI water become WATER."""
    runner, aux, maps, truth = mixed
    result = runner({"ESACCI_WaterBodies_Map": str(aux.aux_dir / WATERBODIES_MAP)}, "--sc_classic")
    assert result.aux_maps()["ESACCI_WaterBodies_Map"] == WATERBODIES_MAP
    before, after = mixed_classic.scl, result.scl
    new_water = (after == 6) & (before != 6)
    assert new_water.sum() > 0 and np.all(maps["water_bodies"][new_water] == 2)
    assert np.all(np.isin(before[new_water], (2, 3, 7)))


def test_no_dem_no_esacci(mixed, tmp_path):
    runner, aux, _, _ = mixed
    flat = Runner(runner.l1c, tmp_path, None)
    with_maps, without = flat(aux.references()), flat()
    assert with_maps.code == 0 and "no DEM in use: ESA-CCI maps are not used" in with_maps.log
    assert set(with_maps.aux_maps().values()) == {"None"}
    np.testing.assert_array_equal(with_maps.scl, without.scl)


@pytest.mark.parametrize("problem", ["unreadable", "wrong CRS"])
def test_unusable_map_stops_the_run_and_leaves_nothing(mixed, tmp_path, problem, capsys):
    runner, _, _, _ = mixed
    bad = tmp_path / "bad-LC.tif"
    if problem == "unreadable":
        bad.write_bytes(b"not a GeoTIFF")
    else:
        dataset = gdal.GetDriverByName("GTiff").Create(str(bad), 10, 10, 1, gdal.GDT_Byte)
        dataset.SetGeoTransform((600000.0, 300.0, 0.0, 5900000.0, 0.0, -300.0))
        srs = osr.SpatialReference()
        srs.ImportFromEPSG(32629)
        dataset.SetProjection(srs.ExportToWkt())
        dataset = None
    result = runner({"ESACCI_LandCover_Map": str(bad)})
    assert result.code == 1 and result.product is None
    assert not list(result.out.iterdir()) if result.out.exists() else True
    err = capsys.readouterr().err
    assert str(bad) in err and "EPSG:4326" in err


def test_handle_l1c_qlt_mask_makes_defective_pixels_class_1(mixed, mixed_base):
    """Handle_L1C_QLT_Mask TRUE: pixels the MSK_QUALIT layers flag (the truth's defective detector column in
    B05, not saturated in the DN) become SATURATED_DEFECTIVE; FALSE (the default) leaves them classified."""
    runner, _, _, truth = mixed
    scene = read_truth(runner.l1c.parent / f"{runner.l1c.stem}_truth.h5")["scene"]
    result = runner(None, qlt=True)
    assert result.code == 0 and "Handle_L1C_QLT_Mask" in result.log
    defective = (truth == 1) & (mixed_base.scl != 1) & (scene["cloud_fraction"] >= 0)
    assert defective.sum() >= 5
    assert np.all(result.scl[defective] == 1)
    assert np.all(mixed_base.scl[defective] != 1)
    assert np.all(result.scl[mixed_base.scl == 1] == 1)          # saturated DN stay class 1


@pytest.fixture(scope="module")
def snowy(tmp_path_factory):
    work = tmp_path_factory.mktemp("snowy")
    l1c = make_l1c(work / "l1c", size_px=SIZE_10M, seed=2, scene="snow")
    aux = write_auxiliary_data(l1c, work / "aux")
    runner = Runner(l1c, work, aux.dem_dir)
    return runner, aux, runner(), runner(None, "--sc_classic")


def global_map(path: Path, value: int) -> Path:
    """A 1-degree global snow climatology with one value everywhere."""
    dataset = gdal.GetDriverByName("GTiff").Create(str(path), 360, 180, 1, gdal.GDT_Byte)
    dataset.SetGeoTransform((-180.0, 1.0, 0.0, 90.0, 0.0, -1.0))
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(4326)
    dataset.SetProjection(srs.ExportToWkt())
    dataset.GetRasterBand(1).Fill(value)
    dataset = None
    return path


@pytest.mark.parametrize("classic", [False, True], ids=["evolution", "classic"])
def test_global_snow_map_without_snow_skips_the_snow_tests(snowy, tmp_path, classic):
    """Snow_Map: no pixel > 0 in the tile's box -> no snow tests (no SNOW_ICE, MSK_SNWPRB 0); a map with snow
    there changes nothing."""
    runner, _, evolution, classic_run = snowy
    base = classic_run if classic else evolution
    options = ("--sc_classic",) if classic else ()
    assert base.code == 0 and (base.scl == 11).sum() > 100
    no_snow = runner({"Snow_Map": str(global_map(tmp_path / "GlobalSnowMap.tiff", 0))}, *options)
    assert no_snow.aux_maps()["SNOW_CLIMATOLOGY_MAP"] == "GlobalSnowMap.tiff"
    assert (no_snow.scl == 11).sum() == 0
    assert no_snow.raster("GRANULE/*/QI_DATA/MSK_SNWPRB_20m.jp2").max() == 0
    snow = runner({"Snow_Map": str(global_map(tmp_path / "snowy.tiff", 1))}, *options)
    np.testing.assert_array_equal(snow.scl, base.scl)


def test_snow_condition_rules_snow_out_in_a_snow_free_month(snowy, tmp_path):
    """ESACCI_SnowCondition_Map_Dir (evolution: the monthly climatology): where the sensing month is snow-free
    (0 %) snow is ruled out and the snow-like pixels become clouds; the truth-derived map (snow where the scene
    has snow) keeps the snow."""
    runner, aux, evolution, _ = snowy
    free = tmp_path / SNOWCONDITION_DIR
    free.mkdir()
    global_map(free / "ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-10-v2.4.tif", 0)
    result = runner({"ESACCI_SnowCondition_Map_Dir": str(free)})
    assert result.aux_maps()["ESACCI_SnowCondition_Map_Dir"] == SNOWCONDITION_DIR
    was_snow = evolution.scl == 11
    assert (result.scl == 11).sum() == 0
    assert np.mean(np.isin(result.scl[was_snow], (8, 9, 10))) > 0.9
    kept = runner({"ESACCI_SnowCondition_Map_Dir": str(aux.aux_dir / SNOWCONDITION_DIR)})
    assert (kept.scl == 11).sum() >= 0.9 * was_snow.sum()
