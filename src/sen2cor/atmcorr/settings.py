"""Plain-number settings of the atmospheric correction, gathered from the GIPP sections once.

:class:`AcSettings` holds what the driver needs from ``config.atmcorr`` (L2A_GIPP.xml
Atmospheric_Correction) and ``config.cal_ac`` (L2A_CAL_AC_GIPP.xml); defaults are the shipped
GIPP values, so tests can build one with a single changed field.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sen2cor.atmcorr.aot import DbvThresholds, DdvThresholds

#: Band centre wavelengths (um), the shipped L2A_CAL_AC_GIPP Sensor/Calibration/Band_List (defaults of
#: :attr:`AcSettings.wavelength_um`, which a run takes from its GIPP).
WAVELENGTH_UM = {
    "B01": 0.443,
    "B02": 0.490,
    "B03": 0.560,
    "B04": 0.665,
    "B05": 0.705,
    "B06": 0.740,
    "B07": 0.783,
    "B08": 0.842,
    "B8A": 0.865,
    "B09": 0.945,
    "B10": 1.375,
    "B11": 1.610,
    "B12": 2.190,
}


@dataclass(frozen=True)
class AcSettings:
    """Atmospheric-correction switches and parameters (GIPP names in the comments)."""

    aerosol_type: str = "RURAL"  # Aerosol_Type
    mid_latitude: str = "SUMMER"  # Mid_Latitude
    ozone_content_du: float = 331.0  # Ozone_Content
    wv_correction: int = 1  # WV_Correction
    vis_update_mode: int = 1  # VIS_Update_Mode
    wv_watermask: int = 1  # WV_Watermask
    cirrus_correction: bool = False  # Cirrus_Correction
    dem_terrain_correction: bool = True  # DEM_Terrain_Correction
    brdf_correction: int = 0  # BRDF_Correction
    brdf_lower_bound: float = 0.22  # BRDF_Lower_Bound
    adj_km: float = 1.0  # Adj_Km
    visibility_km: float = 40.0  # Visibility (start value)
    altitude_km: float = 0.1  # Altitude (flat terrain)
    smooth_wv_map_m: float = 100.0  # Smooth_WV_Map
    wv_threshold_cirrus_cm: float = 0.25  # WV_Threshold_Cirrus
    scaling_limiter: bool = True  # Flags/Scaling_Limiter
    scaling_disabler: bool = True  # Flags/Scaling_Disabler
    rho_retrieval_step2: bool = True  # Flags/Rho_Retrieval_Step2
    min_sc_blu: float = 0.9
    max_sc_blu: float = 1.1
    ddv: DdvThresholds = field(default_factory=DdvThresholds)
    dbv: DbvThresholds = field(default_factory=DbvThresholds)
    red_blue_refl_ratio: float = 0.5  # AC_Red_Blue_Refl_Ratio
    cut_off_aot_iter_vegetation: float = 0.01  # AC_Cut_Off_Aot_Iter_Vegetation
    cut_off_aot_iter_water: float = -0.005  # AC_Cut_Off_Aot_Iter_Water
    aerosol_type_ratio_th: float = 0.05  # AC_Aerosol_Type_Ratio_Th
    dem_p2p_val_m: float = 50.0  # AC_Dem_P2p_Val
    slope_th: float = 6.0  # AC_Slope_Th (compared with radians, quirk)
    topo_corr_th: float = 0.01  # AC_Topo_Corr_Th
    wv_iter_start_summer_cm: float = 1.0  # AC_Wv_Iter_Start_Summer
    wv_iter_start_winter_cm: float = 0.4  # AC_Wv_Iter_Start_Winter
    rng_nbhd_terrain_corr_km: float = 0.5  # AC_Rng_Nbhd_Terrain_Corr
    #: AC_Max_Nr_Topo_Iter: Sen2Cor's terrain-reflection switch (0 = no reflected terrain irradiance; any
    #: other value one pass, not a count: the derived ATCOR code only tests it for > 0)
    max_nr_topo_iter: int = 3
    topo_corr_cutoff: float = 1.5  # AC_Topo_Corr_Cutoff
    vegetation_index_th: float = 3.0  # AC_Vegetation_Index_Th
    ddv_smoothing_window_km: float = 1.0  # AC_Ddv_Smooting_Window
    terrain_refl_start: float = 0.1  # AC_Terrain_Refl_Start
    spr_refl_percentage: float = 0.25  # AC_Spr_Refl_Percentage
    spr_refl_promille: float = 0.3  # AC_Spr_Refl_Promille
    #: Band centre wavelengths (um), Sensor/Calibration/Band_List: which bands get the adjacency correction,
    #: the cirrus SWIR factor, the blue-rescaling interpolation and the BRDF exponents
    wavelength_um: dict = field(default_factory=lambda: dict(WAVELENGTH_UM), hash=False)
    #: Background albedo contained in the LUT (not a GIPP value): None = by LUT kind (.atm 0.15, 6S 0).
    reference_albedo: float | None = None
    #: Weight of the adjacency term in the DDV inversion (a Sen2Cor constant, not a GIPP value; 0.5).
    ddv_adjacency_weight: float = 0.5
    #: Threads of the surface reflectance (cells of step 1 and strips of step 2 at once; Nr_Threads of
    #: L2A_GIPP, set by the run); the result does not depend on it.
    nr_threads: int = 1

    @classmethod
    def from_config(cls, atmcorr, cal_ac=None) -> "AcSettings":
        """From ``config.atmcorr`` (AtmosphericCorrection) and ``config.cal_ac`` (AcCalibration)."""
        values = dict(
            aerosol_type=atmcorr.aerosol_type,
            mid_latitude=atmcorr.mid_latitude,
            ozone_content_du=float(atmcorr.ozone_content_du),
            wv_correction=atmcorr.wv_correction,
            vis_update_mode=atmcorr.vis_update_mode,
            wv_watermask=atmcorr.wv_watermask,
            cirrus_correction=atmcorr.cirrus_correction,
            dem_terrain_correction=atmcorr.dem_terrain_correction,
            brdf_correction=atmcorr.brdf_correction,
            brdf_lower_bound=atmcorr.brdf_lower_bound,
            adj_km=atmcorr.adj_km,
            visibility_km=atmcorr.visibility_km,
            altitude_km=atmcorr.altitude_km,
            smooth_wv_map_m=atmcorr.smooth_wv_map_m,
            wv_threshold_cirrus_cm=atmcorr.wv_threshold_cirrus_cm,
        )
        if cal_ac is not None:
            p1, p2, p3 = cal_ac.prio_1, cal_ac.prio_2, cal_ac.prio_3
            values.update(
                scaling_limiter=cal_ac.flags.scaling_limiter,
                scaling_disabler=cal_ac.flags.scaling_disabler,
                rho_retrieval_step2=cal_ac.flags.rho_retrieval_step2,
                min_sc_blu=cal_ac.min_sc_blu,
                max_sc_blu=cal_ac.max_sc_blu,
                ddv=DdvThresholds.from_calibration(cal_ac),
                dbv=DbvThresholds.from_calibration(cal_ac),
                max_nr_topo_iter=p2.max_nr_topo_iter,
                wavelength_um={b.band: b.wavelength_um for b in cal_ac.bands},
                red_blue_refl_ratio=p1.red_blue_refl_ratio,
                cut_off_aot_iter_vegetation=p1.cut_off_aot_iter_vegetation,
                cut_off_aot_iter_water=p1.cut_off_aot_iter_water,
                aerosol_type_ratio_th=p1.aerosol_type_ratio_th,
                dem_p2p_val_m=p1.dem_p2p_val_m,
                slope_th=p1.slope_th_deg,
                topo_corr_th=p1.topo_corr_th,
                wv_iter_start_summer_cm=p2.wv_iter_start_summer_cm,
                wv_iter_start_winter_cm=p2.wv_iter_start_winter_cm,
                rng_nbhd_terrain_corr_km=p2.rng_nbhd_terrain_corr,
                topo_corr_cutoff=p2.topo_corr_cutoff,
                vegetation_index_th=p2.vegetation_index_th,
                ddv_smoothing_window_km=p3.ddv_smoothing_window,
                terrain_refl_start=p3.terrain_refl_start,
                spr_refl_percentage=p3.spr_refl_percentage,
                spr_refl_promille=p3.spr_refl_promille,
            )
        return cls(**values)
