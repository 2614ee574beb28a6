"""Configuration of a run: the four GIPP files, SEN2COR_HOME and the command-line options.

    from sen2cor.config import load_config, RunOptions
    config = load_config(options=RunOptions(resolution=20))
    config.common.nr_threads, config.atmcorr.visibility_km, config.sc.thresholds.t1_b04

See docs/configuration.md for every parameter and :func:`load_config` for the precedence.
"""
from sen2cor.config.calibration import (
    AcCalibration, AcFlags, AclPrio1, AclPrio2, AclPrio3, Classificators, CloudThresholds,
    ProcessingBaselineGipp, SceneClassificationConfig, ScReferences, SensorBand,
)
from sen2cor.config.home import DEFAULT_HOME, ensure_user_gipp, find_gipp, resolve_home
from sen2cor.config.loader import (
    GippFiles, L2A_Config, load_config, read_ac_gipp, read_pb_gipp, read_sc_gipp, read_user_gipp,
)
from sen2cor.config.options import RunOptions
from sen2cor.config.schema import read_gipp
from sen2cor.config.sections import (
    AtmosphericCorrection, CommonSection, PsdScheme, RegionOfInterest, usable_cpu_count,
)

__all__ = [
    "AcCalibration", "AcFlags", "AclPrio1", "AclPrio2", "AclPrio3", "AtmosphericCorrection", "Classificators",
    "CloudThresholds", "CommonSection", "DEFAULT_HOME", "GippFiles", "L2A_Config", "ProcessingBaselineGipp",
    "PsdScheme", "RegionOfInterest", "RunOptions", "SceneClassificationConfig", "ScReferences", "SensorBand",
    "ensure_user_gipp", "find_gipp", "load_config", "read_ac_gipp", "read_gipp", "read_pb_gipp", "read_sc_gipp",
    "read_user_gipp", "resolve_home", "usable_cpu_count",
]
