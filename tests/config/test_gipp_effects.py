"""Product-level effects of GIPP elements (issue 13): one generated L1C, one run per changed element,
each compared with the documented effect (docs/configuration.md), not merely with "different"."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from lxml import etree
from osgeo import gdal

from sen2cor.cli import main
from sen2cor.config.resources import cfg_dir
from sen2cor.l1c import read_l1c_product
from sen2cor.testing import make_l1c

SIZE_10M = 120
NS = {"x": "*"}


@pytest.fixture(scope="module")
def l1c(tmp_path_factory) -> Path:
    return make_l1c(tmp_path_factory.mktemp("l1c"), size_px=SIZE_10M, seed=5, scene="mixed")


@pytest.fixture(scope="module")
def run(l1c, tmp_path_factory):
    """run(name, {GIPP file: [(old, new), ...]}, extra options) -> the L2A product (cached by name)."""
    home = tmp_path_factory.mktemp("home")
    done: dict[str, Path] = {}

    def go(name: str, changes: dict[str, list[tuple[str, str]]] | None = None,
           options: tuple[str, ...] = (), filenames: dict[str, str] | None = None) -> Path:
        if name in done:
            return done[name]
        folder = tmp_path_factory.mktemp(name)
        args = [str(l1c), "--resolution", "20", "--output_dir", str(folder / "out"), *options]
        option_of = {"L2A_GIPP.xml": "--GIP_L2A", "L2A_CAL_SC_GIPP.xml": "--GIP_L2A_SC",
                     "L2A_CAL_AC_GIPP.xml": "--GIP_L2A_AC", "L2A_PB_GIPP.xml": "--GIP_L2A_PB"}
        for gipp, replacements in (changes or {}).items():
            text = (cfg_dir() / gipp).read_text(encoding="utf-8")
            for old, new in replacements:
                assert text.count(old) == 1, (gipp, old)
                text = text.replace(old, new)
            path = folder / (filenames or {}).get(gipp, gipp)
            path.write_text(text, encoding="utf-8")
            args += [option_of[gipp], str(path)]
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("SEN2COR_HOME", str(home))
            assert main(args) == 0
        (product,) = (folder / "out").glob("S2A_MSIL2A_*.SAFE")
        done[name] = product
        return product

    return go


def _read(path: Path) -> np.ndarray:
    return gdal.Open(str(path)).ReadAsArray()


def _one(product: Path, pattern: str) -> Path:
    (path,) = product.glob(pattern)
    return path


def _masks(product: Path) -> dict[str, list[str]]:
    tile = etree.parse(str(_one(product, "GRANULE/*/MTD_TL.xml")))
    found: dict[str, list[str]] = {}
    for node in tile.iter("{*}MASK_FILENAME", "MASK_FILENAME"):
        found.setdefault(node.get("type"), []).append(node.text)
    return found


# ----------------------------------------------------------------------------- Generate_DDV_Output
def test_generate_ddv_output_writes_and_lists_msk_ddvpxl(run):
    default = run("default")
    assert not list(default.glob("GRANULE/*/QI_DATA/MSK_DDVPXL_*")) and "MSK_DDVPXL" not in _masks(default)
    ddv = run("ddv", {"L2A_GIPP.xml": [("<Generate_DDV_Output>FALSE", "<Generate_DDV_Output>TRUE")]})
    listed = _masks(ddv)["MSK_DDVPXL"]
    assert [Path(p).name for p in listed] == ["MSK_DDVPXL_20m.jp2", "MSK_DDVPXL_60m.jp2"]
    assert all((ddv / p).is_file() for p in listed)
    manifest = ddv.joinpath("manifest.safe").read_text()
    assert "MSK_DDVPXL_20m.jp2" in manifest and "MSK_DDVPXL_60m.jp2" in manifest
    scl = _read(_one(ddv, "GRANULE/*/IMG_DATA/R20m/*_SCL_20m.jp2"))
    mask = _read(_one(ddv, "GRANULE/*/QI_DATA/MSK_DDVPXL_20m.jp2"))
    assert mask.dtype == np.uint8 and mask.shape == scl.shape
    # Sen2Cor's DDV map: no data, dark features and water keep their SCL code, DDV pixels (vegetation) 4,
    # every other class the background 5
    expected = np.where(np.isin(scl, (0, 2, 6)), scl, 5)
    assert np.all((mask == expected) | ((mask == 4) & (scl == 4)))
    assert set(np.unique(mask)) <= {0, 2, 4, 5, 6} and (mask == 5).any() and (mask == 6).any()
    # the 60 m map: class codes resampled like the SCL (3x3 median), never averaged into other codes
    mask60 = _read(_one(ddv, "GRANULE/*/QI_DATA/MSK_DDVPXL_60m.jp2"))
    assert mask60.shape == (scl.shape[0] // 3, scl.shape[1] // 3) and set(np.unique(mask60)) <= {0, 2, 4, 5, 6}
    # nothing else changes
    for name in ("IMG_DATA/R20m/*_B04_20m.jp2", "IMG_DATA/R20m/*_SCL_20m.jp2", "IMG_DATA/R20m/*_AOT_20m.jp2"):
        np.testing.assert_array_equal(_read(_one(ddv, "GRANULE/*/" + name)),
                                      _read(_one(default, "GRANULE/*/" + name)))


# ----------------------------------------------------------------------------- PSD_Version
def _root_namespace(path: Path) -> str:
    return etree.QName(etree.parse(str(path)).getroot()).namespace


def test_psd_version_default_follows_the_input(run, l1c):
    product = run("default")
    assert read_l1c_product(l1c).psd_version.startswith("14.")
    assert "psd-14" in _root_namespace(product / "MTD_MSIL2A.xml")
    assert b"BOA_ADD_OFFSET_VALUES_LIST" in (product / "MTD_MSIL2A.xml").read_bytes()


def test_psd_version_15_forces_the_psd_15_product(run):
    product = run("psd15", {"L2A_GIPP.xml": [("<PSD_Version>DEFAULT", "<PSD_Version>15.0")]})
    for path in (product / "MTD_MSIL2A.xml", _one(product, "GRANULE/*/MTD_TL.xml"),
                 _one(product, "DATASTRIP/*/MTD_DS.xml")):
        assert "psd-15" in _root_namespace(path), path.name
    text = (product / "MTD_MSIL2A.xml").read_text()
    assert "CAST_SHADOW_PERCENTAGE" in text and "DARK_FEATURES_PERCENTAGE" not in text
    assert "SC_CAST_SHADOW" in text
    assert "psd-15" in (product / "rep_info" / "S2_PDI_Level-2A_Tile_Metadata.xsd").read_text()


def test_psd_version_14_6_drops_the_boa_offset(run):
    default = run("default")
    product = run("psd146", {"L2A_GIPP.xml": [("<PSD_Version>DEFAULT", "<PSD_Version>14.6")]})
    assert b"BOA_ADD_OFFSET" not in (product / "MTD_MSIL2A.xml").read_bytes()
    with_offset = _read(_one(default, "GRANULE/*/IMG_DATA/R20m/*_B8A_20m.jp2")).astype(np.int64)
    without = _read(_one(product, "GRANULE/*/IMG_DATA/R20m/*_B8A_20m.jp2")).astype(np.int64)
    valid = (with_offset > 1000) & (without > 1)   # data pixels with a positive reflectance
    assert valid.mean() > 0.5
    assert np.abs(with_offset[valid] - without[valid] - 1000).max() <= 1   # DN = rho 10000 (+ 1000 above 14.6)


# ----------------------------------------------------------------------------- GIPP_FILENAME
def test_gipp_filename_names_the_expert_gipps_used(run):
    product = run("gipp_names", {
        "L2A_CAL_SC_GIPP.xml": [("<T_SDW>0.75</T_SDW>", "<T_SDW>0.74</T_SDW>")],
        "L2A_CAL_AC_GIPP.xml": [("<AC_Slope_Th>6.0</AC_Slope_Th>", "<AC_Slope_Th>6.5</AC_Slope_Th>")],
        "L2A_PB_GIPP.xml": [("<Baseline_Version>99.99</Baseline_Version>",
                             "<Baseline_Version>99.99</Baseline_Version>")],
    }, filenames={"L2A_CAL_SC_GIPP.xml": "S2__OPER_GIP_L2ACSC_MPC__20220121T000003_B00.xml",
                  "L2A_CAL_AC_GIPP.xml": "my_ac.v2.xml", "L2A_PB_GIPP.xml": "pb_site.xml"})
    expected = {"GIP_L2ACSC": "S2__OPER_GIP_L2ACSC_MPC__20220121T000003_B00", "GIP_L2ACAC": "my_ac",
                "GIP_PROBA2": "pb_site"}
    for path in (product / "MTD_MSIL2A.xml", _one(product, "DATASTRIP/*/MTD_DS.xml")):
        names = {n.get("type"): n.text for n in etree.parse(str(path)).iter("{*}GIPP_FILENAME", "GIPP_FILENAME")}
        assert {k: names[k] for k in expected} == expected, path.name
    default = run("default")
    names = {n.get("type"): n.text for n in etree.parse(str(default / "MTD_MSIL2A.xml")).iter("GIPP_FILENAME")}
    assert names["GIP_L2ACSC"] == "L2A_CAL_SC_GIPP" and names["GIP_PROBA2"] == "L2A_PB_GIPP"


# ----------------------------------------------------------------------------- VIS_Update_Mode / Visibility
def _sen2cor_aot550(visibility_km: float, altitude_km: float) -> float:
    """Facts B.3: AOT550 = exp(a(z) + b(z) ln V); a, b linear in the 20 m elevation index between 0 and 36."""
    k = altitude_km * 1000.0 / 20.0 / 36.0
    a = 1.54641 + k * (1.40593 - 1.54641)
    b = -0.854022 + k * (-0.844382 + 0.854022)
    return float(np.exp(a + b * np.log(visibility_km)))


@pytest.mark.parametrize("visibility_km", [5.0, 100.0])
def test_vis_update_mode_0_uses_the_configured_visibility(run, visibility_km):
    product = run(f"vis0_{int(visibility_km)}", {"L2A_GIPP.xml": [
        ("<VIS_Update_Mode>1", "<VIS_Update_Mode>0"), ("<Visibility>40.0", f"<Visibility>{visibility_km}")]})
    assert "<AOT_RETRIEVAL_METHOD>DEFAULT</AOT_RETRIEVAL_METHOD>" in (product / "MTD_MSIL2A.xml").read_text()
    aot = _read(_one(product, "GRANULE/*/IMG_DATA/R20m/*_AOT_20m.jp2"))
    scl = _read(_one(product, "GRANULE/*/IMG_DATA/R20m/*_SCL_20m.jp2"))
    values = aot[scl > 1]
    assert np.ptp(values) == 0        # constant
    # the extended visibility grid rounds the configured value by < 3 %: AOT within 3 %
    assert values[0] / 1000.0 == pytest.approx(_sen2cor_aot550(visibility_km, 0.1), rel=0.03)


# ----------------------------------------------------------------------------- Common_Section outputs
def test_generate_tci_output_false_writes_no_tci(run):
    assert list(run("default").glob("GRANULE/*/IMG_DATA/R*m/*_TCI_*.jp2"))
    product = run("no_tci", {"L2A_GIPP.xml": [("<Generate_TCI_Output>TRUE", "<Generate_TCI_Output>FALSE")]})
    assert not list(product.glob("GRANULE/*/IMG_DATA/R*m/*_TCI_*")) and "_TCI_" not in \
        (product / "MTD_MSIL2A.xml").read_text()


def test_product_doi_is_written_into_product_and_datastrip_metadata(run):
    doi = "https://doi.org/10.5270/S2_-test"
    product = run("doi", {"L2A_GIPP.xml": [("<Product_DOI>https://doi.org/10.5270/S2_-znk9xsj",
                                           f"<Product_DOI>{doi}")]})
    for path in (product / "MTD_MSIL2A.xml", _one(product, "DATASTRIP/*/MTD_DS.xml")):
        assert f"<PRODUCT_DOI>{doi}</PRODUCT_DOI>" in path.read_text(), path.name


# ----------------------------------------------------------------------------- schema names
@pytest.mark.parametrize("element", ["GIPP_Scheme", "SC_Scheme", "AC_Scheme", "PB_Scheme"])
def test_scheme_elements_select_the_validating_schema(element, gipp_variant):
    from sen2cor.config import load_config
    from sen2cor.errors import ConfigError

    default = {"GIPP_Scheme": "L2A_GIPP", "SC_Scheme": "L2A_CAL_SC_GIPP", "AC_Scheme": "L2A_CAL_AC_GIPP",
               "PB_Scheme": "L2A_PB_GIPP"}[element]
    gipp = gipp_variant("L2A_GIPP.xml", (f"<{element}>{default}<", f"<{element}>L2A_OTHER_SCHEMA<"))
    with pytest.raises(ConfigError, match=f"{element} = 'L2A_OTHER_SCHEMA'.*L2A_OTHER_SCHEMA.xsd"):
        load_config(gip_l2a=gipp)


def test_product_generator_other_than_none_is_reported(gipp_variant, caplog):
    from sen2cor.config import load_config

    gipp = gipp_variant("L2A_GIPP.xml", ("<Product_Generator>NONE", "<Product_Generator>gen"))
    assert load_config(gip_l2a=gipp).common.product_generator == "gen"
    assert "Product_Generator = 'gen' is not used" in caplog.text


# ----------------------------------------------------------------------------- Scene_Classification/Filters
def test_median_filter_smooths_the_classification():
    from sen2cor.sceneclass.classic import SceneAux, finish

    def classified(size):
        cm = np.full((7, 7), 5, np.uint8)
        cm[3, 3] = 4                                            # one isolated vegetation pixel
        zeros = np.zeros((7, 7), bool)
        aux = SceneAux(resolution_m=20.0, sun_zenith_deg=40.0, sun_azimuth_deg=150.0, nodata=zeros,
                       saturated=zeros)
        finish(cm, np.zeros((7, 7), np.float32), np.zeros((7, 7), np.float32), zeros, aux, size)
        return cm

    assert classified(0)[3, 3] == 4
    assert classified(3)[3, 3] == 5                             # removed by the 3 x 3 median


def test_downsample_20_to_60_false_writes_no_60m(run):
    assert list(run("default").glob("GRANULE/*/IMG_DATA/R60m/*.jp2"))
    product = run("no60", {"L2A_GIPP.xml": [("<Downsample_20_to_60>TRUE", "<Downsample_20_to_60>FALSE")]})
    assert not list(product.glob("GRANULE/*/IMG_DATA/R60m/*")) and list(product.glob("GRANULE/*/IMG_DATA/R20m/*"))
