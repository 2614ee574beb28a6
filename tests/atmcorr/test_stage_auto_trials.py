"""Aerosol_Type AUTO in ``stage.choose_atmosphere``: the two trial retrievals (rural, maritime) run with the
tile's own ozone table, the product's spectral responses and the GIPP's DDV settings (manual 2.2.3.2.2: the
trial is the DDV retrieval of the tile with each aerosol's tables; only the aerosol type differs)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from sen2cor.atmcorr import stage
from sen2cor.atmcorr.aot import DdvThresholds
from sen2cor.atmcorr.settings import AcSettings
from tests.atmcorr import test_stage_mutants
from tests.atmcorr.analytic_atmosphere import E0


@pytest.fixture(autouse=True)
def packaged_tables(monkeypatch):
    from sen2cor.rtm.sources import SOURCE_ENV

    monkeypatch.delenv(SOURCE_ENV, raising=False)


def _soil_scene(season):
    """Bare soil (no DDV pixel): the trials give no double ratio, AUTO keeps rural."""
    toa = {b: np.full((20, 20), 0.2, np.float32) for b in ("B02", "B03", "B04", "B8A", "B12")}
    return stage.SceneInputs(20, toa, np.full((20, 20), 5, np.uint8), dict(E0), 35.0, 150.0, season=season)


def _trial_tables(monkeypatch):
    """The tables and settings ``choose_atmosphere`` hands to the real ``auto_aerosol`` (recorded on the way)."""
    seen = []
    real = stage.auto_aerosol

    def recording(scene, luts, settings):
        seen.append((dict(luts), settings))
        return real(scene, luts, settings)

    monkeypatch.setattr(stage, "auto_aerosol", recording)
    return seen


@pytest.mark.parametrize("ozone_du, tco3", [(250.0, None), (0.0, np.full((3, 3), 6.428e-3))])
def test_trial_tables_have_the_ozone_of_the_selection(monkeypatch, ozone_du, tco3):
    """GIPP Ozone_Content 250 DU, or 0 with the AUX_ECMWFT column 6.428e-3 kg m-2 (= 300 DU): the trial tables
    are of the same ozone letter as the tables the tile is then corrected with (not Sen2Cor's 331 DU fallback)."""
    seen = _trial_tables(monkeypatch)
    settings = AcSettings(aerosol_type="AUTO", ozone_content_du=ozone_du)
    atm = stage.choose_atmosphere(test_stage_mutants._product(), settings, stage.LutSource(), tco3, _soil_scene)
    (luts, trial_settings), = seen
    assert sorted(luts) == ["maritime", "rural"]
    assert atm.selection.aerosol == "rural"
    assert atm.selection.ozone_du == pytest.approx(ozone_du or 300.0, abs=0.5)
    for aer, table in luts.items():
        assert table.description["aerosol"].startswith(aer[:4])
        assert table.description["ozone_letter"] == atm.selection.ozone_letter != "h"     # "h": 331 DU
    assert trial_settings is settings


def test_trial_tables_of_s2c_use_the_products_spectral_responses(monkeypatch):
    from sen2cor.rtm import srf

    seen = _trial_tables(monkeypatch)
    product = test_stage_mutants._product(spacecraft="S2C")
    product.spectral_responses = srf.packaged_srf("S2B")
    stage.choose_atmosphere(product, AcSettings(aerosol_type="AUTO"), stage.LutSource(), None, _soil_scene)
    (luts, _), = seen
    for table in luts.values():
        assert "the product's spectral responses" in table.description["label"]


def test_trials_use_the_gipp_ddv_thresholds():
    """The maritime scene of test_stage_mutants (vegetation through the packaged maritime tables, AUTO picks
    maritime) with AC_Swir_Refl_Lower_Th 0.10 above every pixel's B12 (0.04): no DDV pixel in either trial,
    so no double ratio and AUTO keeps rural; with the default thresholds the same scene gives maritime."""
    make_scene = test_stage_mutants.maritime_vegetation_scene()

    def aerosol(settings):
        return stage.choose_atmosphere(test_stage_mutants._product(), settings, stage.LutSource(), None,
                                       make_scene).selection.aerosol

    auto = AcSettings(aerosol_type="AUTO")
    assert aerosol(auto) == "maritime"
    assert aerosol(replace(auto, ddv=DdvThresholds(swir_refl_lower_th=0.10))) == "rural"
