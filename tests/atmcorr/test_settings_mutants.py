"""``AcSettings.from_config``: every GIPP element reaches its own setting (docs/configuration.md names the
pairs).  The shipped GIPPs equal the dataclass defaults, so a dropped or swapped element is invisible with
them: here every element is moved to a value of its own and read back under its setting's name."""

from dataclasses import fields, replace

import pytest

from sen2cor.atmcorr.aot import DbvThresholds, DdvThresholds
from sen2cor.atmcorr.settings import WAVELENGTH_UM, AcSettings
from sen2cor.config import load_config

#: L2A_GIPP Atmospheric_Correction element (config field) -> (AcSettings field, value unlike any default)
ATMCORR = {
    "aerosol_type": ("aerosol_type", "MARITIME"),
    "mid_latitude": ("mid_latitude", "WINTER"),
    "ozone_content_du": ("ozone_content_du", 250),
    "wv_correction": ("wv_correction", 2),
    "vis_update_mode": ("vis_update_mode", 0),
    "wv_watermask": ("wv_watermask", 2),
    "cirrus_correction": ("cirrus_correction", True),
    "dem_terrain_correction": ("dem_terrain_correction", False),
    "brdf_correction": ("brdf_correction", 21),
    "brdf_lower_bound": ("brdf_lower_bound", 0.27),
    "adj_km": ("adj_km", 0.63),
    "visibility_km": ("visibility_km", 23.5),
    "altitude_km": ("altitude_km", 0.71),
    "smooth_wv_map_m": ("smooth_wv_map_m", 155.0),
    "wv_threshold_cirrus_cm": ("wv_threshold_cirrus_cm", 0.37),
}
#: L2A_CAL_AC_GIPP element (section, config field) -> (AcSettings field, value)
CAL_AC = {
    ("flags", "scaling_limiter"): ("scaling_limiter", False),
    ("flags", "scaling_disabler"): ("scaling_disabler", False),
    ("flags", "rho_retrieval_step2"): ("rho_retrieval_step2", False),
    (None, "min_sc_blu"): ("min_sc_blu", 0.83),
    (None, "max_sc_blu"): ("max_sc_blu", 1.17),
    ("prio_1", "red_blue_refl_ratio"): ("red_blue_refl_ratio", 0.61),
    ("prio_1", "cut_off_aot_iter_vegetation"): ("cut_off_aot_iter_vegetation", 0.013),
    ("prio_1", "cut_off_aot_iter_water"): ("cut_off_aot_iter_water", -0.007),
    ("prio_1", "aerosol_type_ratio_th"): ("aerosol_type_ratio_th", 0.067),
    ("prio_1", "dem_p2p_val_m"): ("dem_p2p_val_m", 73.0),
    ("prio_1", "slope_th_deg"): ("slope_th", 7.5),
    ("prio_1", "topo_corr_th"): ("topo_corr_th", 0.019),
    ("prio_2", "wv_iter_start_summer_cm"): ("wv_iter_start_summer_cm", 1.3),
    ("prio_2", "wv_iter_start_winter_cm"): ("wv_iter_start_winter_cm", 0.55),
    ("prio_2", "rng_nbhd_terrain_corr"): ("rng_nbhd_terrain_corr_km", 0.85),
    ("prio_2", "max_nr_topo_iter"): ("max_nr_topo_iter", 0),
    ("prio_2", "topo_corr_cutoff"): ("topo_corr_cutoff", 1.9),
    ("prio_2", "vegetation_index_th"): ("vegetation_index_th", 2.4),
    ("prio_3", "ddv_smoothing_window"): ("ddv_smoothing_window_km", 1.6),
    ("prio_3", "terrain_refl_start"): ("terrain_refl_start", 0.14),
    ("prio_3", "spr_refl_percentage"): ("spr_refl_percentage", 0.36),
    ("prio_3", "spr_refl_promille"): ("spr_refl_promille", 0.45),
    # read through DdvThresholds / DbvThresholds.from_calibration
    ("prio_1", "min_ddv_area_percent"): (None, 3.5),
    ("prio_2", "ddv_swir_refl_th2"): (None, 0.11),
    ("prio_2", "dbv_nir_refl_th"): (None, 0.42),
    ("prio_2", "red_ref_refl_th"): (None, 0.025),
}


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    return load_config(home=tmp_path_factory.mktemp("home"))


def _moved_cal_ac(cal):
    sections = {}
    for (section, name), (_, value) in CAL_AC.items():
        sections.setdefault(section, {})[name] = value
    top = sections.pop(None)
    bands = tuple(replace(b, wavelength_um=round(b.wavelength_um + 0.004, 3)) for b in cal.bands)
    return replace(cal, bands=bands, **top, **{s: replace(getattr(cal, s), **v) for s, v in sections.items()})


def test_every_atmospheric_correction_element_reaches_its_setting(config):
    atmcorr = replace(config.atmcorr, **{name: value for name, (_, value) in ATMCORR.items()})
    settings = AcSettings.from_config(atmcorr)
    for name, (attribute, value) in ATMCORR.items():
        assert getattr(settings, attribute) == value, name
        assert getattr(AcSettings(), attribute) != value, name     # the value is not the default
    assert isinstance(settings.ozone_content_du, float)             # the GIPP integer becomes a float


def test_without_a_calibration_gipp_the_calibration_settings_are_the_defaults(config):
    atmcorr = replace(config.atmcorr, visibility_km=23.5)
    settings = AcSettings.from_config(atmcorr)
    assert settings == replace(AcSettings(), visibility_km=23.5)


def test_every_calibration_element_reaches_its_setting(config):
    cal = _moved_cal_ac(config.cal_ac)
    settings = AcSettings.from_config(config.atmcorr, cal)
    for (_, name), (attribute, value) in CAL_AC.items():
        if attribute is not None:
            assert getattr(settings, attribute) == value, name
            assert getattr(AcSettings(), attribute) != value, name
    assert settings.ddv == DdvThresholds.from_calibration(cal) != DdvThresholds()
    assert settings.ddv.min_ddv_area_percent == 3.5
    assert settings.dbv == DbvThresholds(0.42, 0.66, 0.025)
    assert settings.wavelength_um == {b: round(w + 0.004, 3) for b, w in WAVELENGTH_UM.items()}
    # nothing else moved: the Atmospheric_Correction settings keep the shipped values
    moved = {a for a, _ in CAL_AC.values()} | {"ddv", "dbv", "wavelength_um"}
    for f in fields(AcSettings):
        if f.name not in moved:
            assert getattr(settings, f.name) == getattr(AcSettings(), f.name), f.name


def test_constants_that_are_not_gipp_elements():
    """Not in any GIPP, so the comparison with the packaged GIPPs does not see them: the half weight of the
    adjacency term in the DDV inversion (facts B.7 step 5: L* = L + 0.5 q (L - L_cell)), one thread unless
    the run sets Nr_Threads, and the reference albedo chosen by the LUT kind."""
    settings = AcSettings()
    assert settings.ddv_adjacency_weight == 0.5
    assert settings.nr_threads == 1 and settings.reference_albedo is None
