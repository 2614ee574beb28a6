import pytest

from sen2cor.errors import ConfigError
from sen2cor.sceneclass import SCL
from sen2cor.sceneclass.thresholds import CloudThresholds


def test_class_codes_follow_table_2_1():
    assert [c.value for c in SCL] == list(range(12))
    assert SCL.CLOUD_SHADOWS == 3 and SCL.THIN_CIRRUS == 10 and SCL.SNOW_ICE == 11


def test_thresholds_come_from_the_config_package_with_gipp_defaults():
    th = CloudThresholds()
    assert (th.t1_b04, th.t2_b04, th.t_cloud_mp, th.t_cloud_hp) == (0.06, 0.25, 0.20, 0.80)
    assert (th.t11_b02, th.t12_b02, th.t21_b12, th.t22_b12) == (-0.40, 0.46, 0.1, -0.09)


def test_inverted_ramp_is_rejected_with_the_gipp_name():
    with pytest.raises(ConfigError, match="T1_B04"):
        CloudThresholds(t1_b04=0.30, t2_b04=0.25)
