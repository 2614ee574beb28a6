"""Frozen sections of the expert GIPPs: L2A_CAL_SC_GIPP.xml, L2A_CAL_AC_GIPP.xml and L2A_PB_GIPP.xml.

Scene-classification thresholds are TOA reflectances, reflectance ratios or index values (unitless).
Field names are the GIPP names in lower case (``T1_B04`` -> ``t1_b04``); AC parameters drop the
``AC_`` prefix and add a unit where the parameter has one (``AC_Slope_Th`` -> ``slope_th_deg``).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

from sen2cor.bands import BAND_IDS
from sen2cor.errors import ConfigError

#: (lower, upper) threshold pairs used as linear ramps r(x; T1, T2): T1 < T2 is required
#: (algorithm facts A.2-A.3). T1_B12/T2_B12, T11_B02/T12_B02 and T21_B12/T22_B12 are not ramps
#: (slope/intercept or independent limits) and may be in any order.
RAMP_PAIRS: tuple[tuple[str, str], ...] = (
    ("t1_b02", "t2_b02"), ("t1_b04", "t2_b04"), ("t1_b8a", "t2_b8a"), ("t1_b10", "t2_b10"),
    ("t1_ndsi_cld", "t2_ndsi_cld"), ("t1_ndsi_snw", "t2_ndsi_snw"), ("t1_ndvi", "t2_ndvi"),
    ("t1_r_b02_b04", "t2_r_b02_b04"), ("t1_r_b8a_b03", "t2_r_b8a_b03"), ("t1_r_b8a_b11", "t2_r_b8a_b11"),
    ("t11_r_b02_b11", "t12_r_b02_b11"), ("t21_r_b02_b11", "t22_r_b02_b11"),
)


@dataclass(frozen=True)
class CloudThresholds:
    """L2A_CAL_SC_GIPP.xml Scene_Classification/Thresholds (unitless)."""

    t1_b02: float = 0.18
    t2_b02: float = 0.22
    t1_b04: float = 0.06
    t2_b04: float = 0.25
    t1_b8a: float = 0.15
    t2_b8a: float = 0.35
    t1_b10: float = 0.012
    t2_b10: float = 0.035
    t1_b12: float = 0.25
    t2_b12: float = 0.12
    t_b02_b12: float = 0.018
    t_cloud_lp: float = 0.0
    t_cloud_mp: float = 0.20
    t_cloud_hp: float = 0.80
    t1_ndsi_cld: float = -0.24
    t2_ndsi_cld: float = -0.16
    t1_ndsi_snw: float = 0.35
    t2_ndsi_snw: float = 0.50
    t1_ndvi: float = 0.36
    t2_ndvi: float = 0.42
    t1_snow: float = 0.12
    t2_snow: float = 0.25
    t1_r_b02_b04: float = 0.85
    t2_r_b02_b04: float = 0.95
    t1_r_b8a_b03: float = 1.50
    t2_r_b8a_b03: float = 2.50
    t1_r_b8a_b11: float = 0.90
    t2_r_b8a_b11: float = 1.10
    t11_b02: float = -0.40
    t12_b02: float = 0.46
    t11_r_b02_b11: float = 0.70
    t12_r_b02_b11: float = 1.0
    t21_r_b02_b11: float = 2.00
    t22_r_b02_b11: float = 4.00
    t21_b12: float = 0.1
    t22_b12: float = -0.09
    rv_b2: float = 6.96
    rv_b3: float = 5.26667
    rv_b4: float = 5.37708
    rv_b8: float = 7.52
    rv_b11: float = 5.45
    rv_b12: float = 2.55
    t_sdw: float = 0.75

    def __post_init__(self) -> None:
        for low, high in RAMP_PAIRS:
            if not getattr(self, low) < getattr(self, high):
                raise ConfigError(
                    f"Thresholds/{low.upper()} = {getattr(self, low)} must be smaller than "
                    f"{high.upper()} = {getattr(self, high)} (they bound a linear ramp)")
        if not self.t_cloud_lp <= self.t_cloud_mp < self.t_cloud_hp:
            raise ConfigError(
                f"Thresholds T_CLOUD_LP = {self.t_cloud_lp}, T_CLOUD_MP = {self.t_cloud_mp}, T_CLOUD_HP = "
                f"{self.t_cloud_hp}: allowed: T_CLOUD_LP <= T_CLOUD_MP < T_CLOUD_HP")

    @classmethod
    def gipp_names(cls) -> dict[str, str]:
        """Field name -> GIPP element name (``t1_b8a`` -> ``T1_B8A``)."""
        return {f.name: f.name.upper() for f in fields(cls)}


@dataclass(frozen=True)
class Classificators:
    """L2A_CAL_SC_GIPP.xml Classificators: SCL class codes (fixed by the schema)."""

    no_data: int = 0
    saturated_defective: int = 1
    dark_features: int = 2
    cloud_shadows: int = 3
    vegetation: int = 4
    not_vegetated: int = 5
    water: int = 6
    unclassified: int = 7
    medium_proba_clouds: int = 8
    high_proba_clouds: int = 9
    thin_cirrus: int = 10
    snow_ice: int = 11


@dataclass(frozen=True)
class ScReferences:
    """L2A_CAL_SC_GIPP.xml References: auxiliary map file names (looked up in aux_data/)."""

    snow_map: str = "GlobalSnowMap.tiff"
    esacci_waterbodies_map: str = "ESACCI-LC-L4-WB-Map-150m-P13Y-2000-v4.0.tif"
    esacci_landcover_map: str = "ESACCI-LC-L4-LCCS-Map-300m-P1Y-2015-v2.0.7.tif"
    esacci_snowcondition_map_dir: str = "ESACCI-LC-L4-Snow-Cond-500m-MONTHLY-2000-2012-v2.4"


@dataclass(frozen=True)
class SceneClassificationConfig:
    """Everything the scene classification reads: L2A_CAL_SC_GIPP.xml plus L2A_GIPP Scene_Classification."""

    thresholds: CloudThresholds = CloudThresholds()
    classificators: Classificators = Classificators()
    references: ScReferences = ScReferences()
    median_filter_px: int = 0            # L2A_GIPP.xml Scene_Classification/Filters/Median_Filter


@dataclass(frozen=True)
class AcFlags:
    """L2A_CAL_AC_GIPP.xml Flags (blue path-radiance rescaling and step 2 of the reflectance retrieval)."""

    scaling_limiter: bool = True
    scaling_disabler: bool = True
    rho_retrieval_step2: bool = True


@dataclass(frozen=True)
class SensorBand:
    """One band of L2A_CAL_AC_GIPP.xml Sensor: centre wavelength, FWHM and radiance calibration."""

    band: str                  # "B01" ... "B12"
    wavelength_um: float
    fwhm_um: float
    c0: float                  # L = c0 + c1 * DN, mW cm-2 sr-1 um-1
    c1: float


@dataclass(frozen=True)
class AclPrio1:
    """L2A_CAL_AC_GIPP.xml ACL_Prio_1."""

    min_ddv_area_percent: float = 2.0
    swir_refl_lower_th: float = 0.01
    swir_22um_red_refl_ratio: float = 0.5
    red_blue_refl_ratio: float = 0.5
    cut_off_aot_iter_vegetation: float = 0.01
    cut_off_aot_iter_water: float = -0.005
    aerosol_type_ratio_th: float = 0.05
    topo_corr_th: float = 0.01
    slope_th_deg: float = 6.0
    dem_p2p_val_m: float = 50.0


@dataclass(frozen=True)
class AclPrio2:
    """L2A_CAL_AC_GIPP.xml ACL_Prio_2."""

    swir_refl_ndvi_th: float = 0.10
    ddv_swir_refl_th1: float = 0.05
    ddv_swir_refl_th2: float = 0.10
    ddv_swir_refl_th3: float = 0.12
    ddv_16um_refl_th1: float = 0.10
    ddv_16um_refl_th2: float = 0.15
    ddv_16um_refl_th3: float = 0.18
    dbv_nir_refl_th: float = 0.35
    dbv_ndvi_th: float = 0.66
    red_ref_refl_th: float = 0.02
    dbv_red_veget_tst_ndvi_th: float = 0.40
    dbv_red_veget_refl_th: float = 0.15
    wv_iter_start_summer_cm: float = 1.0
    wv_iter_start_winter_cm: float = 0.4
    rng_nbhd_terrain_corr: float = 0.5
    max_nr_topo_iter: int = 3
    topo_corr_cutoff: float = 1.5
    vegetation_index_th: float = 3.0


@dataclass(frozen=True)
class AclPrio3:
    """L2A_CAL_AC_GIPP.xml ACL_Prio_3 (``AC_Ddv_Smooting_Window`` keeps Sen2Cor's spelling in the GIPP)."""

    limit_area_path_rad_scale: float = 0.0
    ddv_smoothing_window: float = 1.0
    terrain_refl_start: float = 0.1
    spr_refl_percentage: float = 0.25
    spr_refl_promille: float = 0.3


#: GIPP element name of every AclPrio field (ACL_Prio_n/AC_...).
ACL_GIPP_NAMES: dict[str, str] = {
    "min_ddv_area_percent": "AC_Min_Ddv_Area", "swir_refl_lower_th": "AC_Swir_Refl_Lower_Th",
    "swir_22um_red_refl_ratio": "AC_Swir_22um_Red_Refl_Ratio", "red_blue_refl_ratio": "AC_Red_Blue_Refl_Ratio",
    "cut_off_aot_iter_vegetation": "AC_Cut_Off_Aot_Iter_Vegetation",
    "cut_off_aot_iter_water": "AC_Cut_Off_Aot_Iter_Water", "aerosol_type_ratio_th": "AC_Aerosol_Type_Ratio_Th",
    "topo_corr_th": "AC_Topo_Corr_Th", "slope_th_deg": "AC_Slope_Th", "dem_p2p_val_m": "AC_Dem_P2p_Val",
    "swir_refl_ndvi_th": "AC_Swir_Refl_Ndvi_Th", "ddv_swir_refl_th1": "AC_Ddv_Swir_Refl_Th1",
    "ddv_swir_refl_th2": "AC_Ddv_Swir_Refl_Th2", "ddv_swir_refl_th3": "AC_Ddv_Swir_Refl_Th3",
    "ddv_16um_refl_th1": "AC_Ddv_16um_Refl_Th1", "ddv_16um_refl_th2": "AC_Ddv_16um_Refl_Th2",
    "ddv_16um_refl_th3": "AC_Ddv_16um_Refl_Th3", "dbv_nir_refl_th": "AC_Dbv_Nir_Refl_Th",
    "dbv_ndvi_th": "AC_Dbv_Ndvi_Th", "red_ref_refl_th": "AC_Red_Ref_Refl_Th",
    "dbv_red_veget_tst_ndvi_th": "AC_Dbv_Red_Veget_Tst_Ndvi_Th", "dbv_red_veget_refl_th": "AC_Dbv_Red_Veget_Refl_Th",
    "wv_iter_start_summer_cm": "AC_Wv_Iter_Start_Summer", "wv_iter_start_winter_cm": "AC_Wv_Iter_Start_Winter",
    "rng_nbhd_terrain_corr": "AC_Rng_Nbhd_Terrain_Corr", "max_nr_topo_iter": "AC_Max_Nr_Topo_Iter",
    "topo_corr_cutoff": "AC_Topo_Corr_Cutoff", "vegetation_index_th": "AC_Vegetation_Index_Th",
    "limit_area_path_rad_scale": "AC_Limit_Area_Path_Rad_Scale", "ddv_smoothing_window": "AC_Ddv_Smooting_Window",
    "terrain_refl_start": "AC_Terrain_Refl_Start", "spr_refl_percentage": "AC_Spr_Refl_Percentage",
    "spr_refl_promille": "AC_Spr_Refl_Promille",
}


@dataclass(frozen=True)
class AcCalibration:
    """L2A_CAL_AC_GIPP.xml: flags, LUT folder, sensor bands and the ACL_Prio_1..3 parameters."""

    flags: AcFlags
    lib_dir: str               # LUT folder name; Sen2Cor appends _S2A/_S2B/_S2C and 10 or 20_60
    bands: tuple[SensorBand, ...]
    min_sc_blu: float          # lower bound of the blue path-radiance rescaling factor
    max_sc_blu: float          # upper bound
    prio_1: AclPrio1
    prio_2: AclPrio2
    prio_3: AclPrio3

    def __post_init__(self) -> None:
        names = tuple(b.band for b in self.bands)
        if names != BAND_IDS:
            raise ConfigError(f"Sensor/Band_List must list the 13 bands {', '.join(BAND_IDS)} in order; got {names}")
        waves = [b.wavelength_um for b in self.bands]
        for previous, band in zip(self.bands, self.bands[1:]):
            if not band.wavelength_um > previous.wavelength_um:
                raise ConfigError(
                    f"Sensor/Calibration/Band_List/wavelength of {band.band} = {band.wavelength_um} um must be "
                    f"larger than that of {previous.band} = {previous.wavelength_um} um (bands in spectral order); "
                    f"got {waves}")

    def band(self, band: str) -> SensorBand:
        """The SensorBand of ``band`` ("B8A" ...)."""
        return self.bands[BAND_IDS.index(band)]


@dataclass(frozen=True)
class ProcessingBaselineGipp:
    """L2A_PB_GIPP.xml: processing baseline written into L2A names and metadata."""

    baseline_version: str = "99.99"                       # "dd.dd"
    idp_sc: tuple[tuple[str, str, str], ...] = (("l2a", "Sen2Cor", "02.12.04"),)  # (workflow, name, version)
