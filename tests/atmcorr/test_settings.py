from sen2cor.atmcorr.aot import DdvThresholds
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.config import load_config


def test_settings_from_the_packaged_gipps_are_the_shipped_defaults(tmp_path):
    config = load_config(home=tmp_path)
    settings = AcSettings.from_config(config.atmcorr, config.cal_ac)
    assert settings == AcSettings()
    assert settings.ddv == DdvThresholds()
    assert settings.scaling_disabler and settings.scaling_limiter and settings.rho_retrieval_step2
