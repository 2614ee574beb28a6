"""Tile quality indicators of one run, computed from arrays (algorithm facts C.2/C.3; config §6.1, §6.4).

Pure functions; the orchestrator passes the run's SCL, AOT and WVP rasters, the DEM and a few scalars and
gets a :class:`QualityIndicators` that :mod:`sen2cor.quality.report` writes to L2A_QUALITY.xml and into the
Image_Content_QI of MTD_MSIL2A.xml / MTD_TL.xml.  Class percentages come from
:func:`sen2cor.sceneclass.percentages.class_percentages` (Sen2Cor 2.10+ denominators).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from sen2cor.sceneclass.percentages import class_percentages

#: Value written for atmospheric-correction fields of --sc_only runs (facts C.3).
NOT_COMPUTED = -999.0
#: kg m-2 of total column ozone -> Dobson units as Sen2Cor converts ECMWF tco3: 300 DU = 6.428e-3 kg m-2,
#: written 300 * 155.5694 (algorithm facts B.4); reproduces OZONE_VALUE of two official products (the
#: textbook factor 1 / 2.1414e-5 is 0.06 % larger).
DU_PER_KG_M2 = 300.0 * 155.5694
#: Ozone column Sen2Cor assumes when the L1C carries no usable ozone (DU).
DEFAULT_OZONE_DU = 331.0
AOT_METHODS = ("SEN2COR_DDV", "CAMS", "DEFAULT", "NA")
OZONE_SOURCES = ("AUX_ECMWFT", "CONFIG", "OTHER")
DEM_TYPES = ("SRTM_90", "DTED_90", "DTED_30", "COPERNICUS_90", "COPERNICUS_30",
             "AWS_COPERNICUS_90", "AWS_COPERNICUS_30", "NA")
#: Bands of the "Percentage of negative BOA pixels" check, in file order (2.12 products, facts §6.4).
NEGATIVE_BOA_BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B11", "B12")
#: Check L2A_SC in file order (index 5 becomes CAST_SHADOW_PERCENTAGE for PSD 15).
SCENE_NAMES = (
    "CLOUDY_PIXEL_PERCENTAGE", "CLOUDY_PIXEL_OVER_LAND_PERCENTAGE", "DEGRADED_MSI_DATA_PERCENTAGE",
    "NODATA_PIXEL_PERCENTAGE", "SATURATED_DEFECTIVE_PIXEL_PERCENTAGE", "DARK_FEATURES_PERCENTAGE",
    "CLOUD_SHADOW_PERCENTAGE", "VEGETATION_PERCENTAGE", "NOT_VEGETATED_PERCENTAGE", "WATER_PERCENTAGE",
    "UNCLASSIFIED_PERCENTAGE", "MEDIUM_PROBA_CLOUDS_PERCENTAGE", "HIGH_PROBA_CLOUDS_PERCENTAGE",
    "THIN_CIRRUS_PERCENTAGE", "SNOW_ICE_PERCENTAGE",
)


@dataclass(frozen=True)
class AerosolRetrieval:
    """What the atmospheric correction reports about its aerosol retrieval (check L2A_AC).

    Parameters
    ----------
    method : str
        AOT_RETRIEVAL_METHOD: "SEN2COR_DDV", "CAMS" or "DEFAULT".
    start_visibility_km : float
        Visibility the retrieval started from (GIPP Visibility, 40 km by default).
    ddv_visibility_km, final_visibility_km : float, optional
        Visibility derived from dark dense vegetation and the one finally used (default: the start value).
    ddv_pixel_percent : float
        Share of dark dense vegetation pixels (%).
    ddv_reflectance_range : float
        Last SWIR reflectance threshold used to find DDV pixels (unitless).
    blue_rescaling_factor : float
        Blue path-radiance rescaling factor applied (1.0 = none).
    lut_files : sequence of str
        Look-up table files used, e.g. ``("h99000_wv20_rura.atm",)`` (selected atmosphere and aerosol).
    """

    method: str = "SEN2COR_DDV"
    start_visibility_km: float = 40.0
    ddv_visibility_km: float | None = None
    final_visibility_km: float | None = None
    ddv_pixel_percent: float = 0.0
    ddv_reflectance_range: float = 0.05
    blue_rescaling_factor: float = 1.0
    lut_files: Sequence[str] = ()

    def __post_init__(self) -> None:
        if self.method not in AOT_METHODS:
            raise ValueError(f"AOT_RETRIEVAL_METHOD {self.method!r} is invalid; "
                             f"expected one of {AOT_METHODS}")


@dataclass(frozen=True)
class QualityIndicators:
    """All tile indicators of L2A_QUALITY.xml, grouped by check, names as Sen2Cor writes them.

    ``scene`` holds check L2A_SC (percentages, %); ``atmosphere`` the "Atmospheric correction quality
    values" (AOT unitless, WV cm, ozone DU, visibility km, angle deg); ``control`` AC_ENABLED, the
    retrieval methods and the three threshold flags; ``negative_boa`` % of negative BOA pixels per band;
    ``aux`` DEM type and statistics, flags and OZONE_SOURCE.
    """

    scene: Mapping[str, float]
    atmosphere: Mapping[str, float]
    control: Mapping[str, object]
    negative_boa: Mapping[str, float]
    aux: Mapping[str, object]
    lut_files: tuple[str, ...] = ()
    aux_files: tuple[str, ...] = ()
    psd15: bool = False
    counts: Mapping[str, int] = field(default_factory=dict)

    def metadata_values(self) -> dict[str, object]:
        """Image_Content_QI values for MTD_MSIL2A.xml / MTD_TL.xml (``product.update_quality_indicators``)."""
        values: dict[str, object] = dict(self.scene)
        # inherited from the L1C metadata (tile Image_Content_QI, product Technical_Quality_Assessment)
        values.pop("DEGRADED_MSI_DATA_PERCENTAGE", None)
        values["CLOUD_COVERAGE_ASSESSMENT"] = self.scene["CLOUDY_PIXEL_PERCENTAGE"]
        values["RADIATIVE_TRANSFER_ACCURACY"] = 0.0
        values["WATER_VAPOUR_RETRIEVAL_ACCURACY"] = self.atmosphere["WV_RETRIEVAL_ACCURACY"]
        values["AOT_RETRIEVAL_ACCURACY"] = self.atmosphere["AOT_RETRIEVAL_ACCURACY"]
        values["AOT_RETRIEVAL_METHOD"] = self.control["AOT_RETRIEVAL_METHOD"]
        for name in ("GRANULE_MEAN_AOT", "GRANULE_MEAN_WV", "OZONE_VALUE"):
            values[name] = self.atmosphere[name]
        values["OZONE_SOURCE"] = self.aux["OZONE_SOURCE"]
        return values


def scene_indicators(scl: np.ndarray, *, n_full: int | None = None, land: np.ndarray | None = None,
                     degraded_msi_percent: float = 0.0, psd15: bool = False) -> tuple[dict[str, float], dict]:
    """Check L2A_SC from the SCL raster, in file order, plus the pixel counts used.

    Parameters
    ----------
    scl : ndarray of uint8
        Scene classification at 20 m (or 60 m for --resolution 60).
    n_full : int, optional
        Pixels of the full tile at that resolution (default ``scl.size``; a cropped raster counts the
        missing pixels as no data).
    land : bool ndarray, optional
        ESA-CCI land mask (water bodies != 2) for CLOUDY_PIXEL_OVER_LAND_PERCENTAGE.
    degraded_msi_percent : float
        DEGRADED_MSI_DATA_PERCENTAGE of the L1C tile metadata (%), copied through.
    psd15 : bool
        Write CAST_SHADOW_PERCENTAGE instead of DARK_FEATURES_PERCENTAGE.
    """
    pct = class_percentages(scl, n_full=n_full, land=land, psd15=psd15)
    counts = {k: int(pct[k]) for k in ("N_FULL", "N_NODATA", "N_VALID")}
    names = [("CAST_SHADOW_PERCENTAGE" if (psd15 and n == "DARK_FEATURES_PERCENTAGE") else n)
             for n in SCENE_NAMES]
    totals = {"NODATA_PIXEL_PERCENTAGE": counts["N_FULL"],
              "SATURATED_DEFECTIVE_PIXEL_PERCENTAGE": counts["N_FULL"] - counts["N_NODATA"],
              "CLOUDY_PIXEL_OVER_LAND_PERCENTAGE": None, "DEGRADED_MSI_DATA_PERCENTAGE": None}
    scene = {}
    for name in names:
        if name == "DEGRADED_MSI_DATA_PERCENTAGE":
            scene[name] = float(degraded_msi_percent)
            continue
        total = totals.get(name, counts["N_VALID"])
        scene[name] = float(pct[name]) if total is None else _float32_percent(pct[name], total)
    return scene, counts


def _float32_percent(percent: float, total: int) -> float:
    """Redo a percentage as Sen2Cor computes it: float32 ratio, then x100 in double precision.

    The count is recovered exactly from the double-precision percentage.  This reproduces all eleven
    class percentages of the official T29UNU N04.00 L2A_QUALITY.xml to the printed 6 decimals (a pure
    double-precision ratio matches 5 of 11).
    """
    if total <= 0:
        return 0.0
    count = round(percent * total / 100.0)
    return float(np.float32(count) / np.float32(total)) * 100.0


def granule_mean(dn: np.ndarray, quantification: float = 1000.0) -> float:
    """Mean of the positive DN divided by the quantification value (GRANULE_MEAN_AOT / _WV); 0.0 if none."""
    positive = dn > 0
    count = int(np.count_nonzero(positive))
    if count == 0:
        return 0.0
    return float(np.sum(dn, where=positive, dtype=np.float64) / count / quantification)


def ozone_indicator(tco3_kg_m2: np.ndarray | None = None, configured_du: float = 0.0) -> tuple[float, str]:
    """(OZONE_VALUE in DU, OZONE_SOURCE).

    A non-zero GIPP Ozone_Content (``configured_du``) wins ("CONFIG"); else the mean of the positive ECMWF
    tco3 values of AUX_ECMWFT ("AUX_ECMWFT"); else Sen2Cor's default of 331 DU ("OTHER").
    """
    if configured_du:
        return float(configured_du), "CONFIG"
    if tco3_kg_m2 is not None:
        values = np.asarray(tco3_kg_m2, dtype=np.float64)
        values = values[np.isfinite(values) & (values > 0)]
        if values.size:
            return float(values.mean() * DU_PER_KG_M2), "AUX_ECMWFT"
    return DEFAULT_OZONE_DU, "OTHER"


def negative_boa_percentages(boa: Mapping[str, np.ndarray], *, add_offset_dn: int = 0,
                             valid: np.ndarray | None = None) -> dict[str, float]:
    """% of valid pixels whose BOA reflectance is negative, per band in :data:`NEGATIVE_BOA_BANDS` order.

    Float arrays are reflectance (negative below 0, NaN ignored); integer arrays are L2A DN, negative when
    ``DN + add_offset_dn < 0`` (DN 0 = no data is ignored).  ``valid`` (e.g. SCL > 1) restricts the
    denominator; Sen2Cor's exact denominator is undocumented (gap, docs/quality.md).
    """
    out = {}
    for band in [b for b in NEGATIVE_BOA_BANDS if b in boa] + sorted(set(boa) - set(NEGATIVE_BOA_BANDS)):
        data = boa[band]
        if np.issubdtype(data.dtype, np.floating):
            usable = np.isfinite(data)
            negative = data < 0
        else:
            usable = data != 0
            negative = data < -add_offset_dn          # DN + offset < 0 without a widening copy
        if valid is not None:
            usable &= valid
        total = int(np.count_nonzero(usable))
        out[band] = 100.0 * int(np.count_nonzero(negative & usable)) / total if total else 0.0
    return out


def atmosphere_indicators(aot_dn: np.ndarray | None, wvp_dn: np.ndarray | None, retrieval: AerosolRetrieval,
                          *,
                          ozone_du: float, mean_sun_zenith_deg: float, sc_only: bool = False,
                          aot_quantification: float = 1000.0, wvp_quantification_cm: float = 1000.0,
                          ) -> tuple[dict[str, float], dict[str, object]]:
    """Checks "Atmospheric correction quality values" and "... quality control" of L2A_AC.

    --sc_only runs (or ``aot_dn``/``wvp_dn`` None) get -999 for every retrieved quantity, AC_ENABLED False,
    WV method "NA" and AOT method "DEFAULT" (facts §6.1, C.3); ozone and sun zenith stay real.
    """
    if sc_only or aot_dn is None or wvp_dn is None:
        values = dict.fromkeys(("GRANULE_MEAN_AOT", "GRANULE_MEAN_WV", "START_VISIBILITY_KM",
                                "VISIBILITY_FROM_DDV_KM", "FINAL_VISIBILITY_KM", "DDV_PIXEL_PERCENTAGE",
                                "DDV_REFLECTANCE_RANGE", "BLUE_PATH_RADIANCE_RESCALING_FACTOR"), NOT_COMPUTED)
        control = {"AC_ENABLED": False, "WV_RETRIEVAL_METHOD": "NA", "AOT_RETRIEVAL_METHOD": "DEFAULT",
                   "VISIBILITY_LESS_THAN_5_KM": False, "AOT_ABOVE_1": False, "GRANULE_WV_ABOVE_5_CM": False}
    else:
        ddv_vis = retrieval.ddv_visibility_km if retrieval.ddv_visibility_km is not None \
            else retrieval.start_visibility_km
        final_vis = retrieval.final_visibility_km if retrieval.final_visibility_km is not None else ddv_vis
        values = {
            "GRANULE_MEAN_AOT": granule_mean(aot_dn, aot_quantification),
            "GRANULE_MEAN_WV": granule_mean(wvp_dn, wvp_quantification_cm),
            "START_VISIBILITY_KM": float(retrieval.start_visibility_km),
            "VISIBILITY_FROM_DDV_KM": float(ddv_vis),
            "FINAL_VISIBILITY_KM": float(final_vis),
            "DDV_PIXEL_PERCENTAGE": float(retrieval.ddv_pixel_percent),
            "DDV_REFLECTANCE_RANGE": float(retrieval.ddv_reflectance_range),
            "BLUE_PATH_RADIANCE_RESCALING_FACTOR": float(retrieval.blue_rescaling_factor),
        }
        control = {"AC_ENABLED": True, "WV_RETRIEVAL_METHOD": "SEN2COR_APDA",
                   "AOT_RETRIEVAL_METHOD": retrieval.method,
                   "VISIBILITY_LESS_THAN_5_KM": final_vis < 5.0,
                   "AOT_ABOVE_1": values["GRANULE_MEAN_AOT"] > 1.0,
                   "GRANULE_WV_ABOVE_5_CM": values["GRANULE_MEAN_WV"] > 5.0}
    ordered = {
        "AOT_RETRIEVAL_ACCURACY": 0.0,
        "GRANULE_MEAN_AOT": values["GRANULE_MEAN_AOT"],
        "WV_RETRIEVAL_ACCURACY": 0.0,
        "GRANULE_MEAN_WV": values["GRANULE_MEAN_WV"],
        "OZONE_VALUE": float(ozone_du),
        **{k: values[k] for k in ("START_VISIBILITY_KM", "VISIBILITY_FROM_DDV_KM", "FINAL_VISIBILITY_KM")},
        "AVERAGE_SOLAR_ZENITH_ANGLE": float(mean_sun_zenith_deg),
        **{k: values[k] for k in ("DDV_PIXEL_PERCENTAGE", "DDV_REFLECTANCE_RANGE",
                                  "BLUE_PATH_RADIANCE_RESCALING_FACTOR")},
    }
    return ordered, control


def aux_indicators(*, ozone_source: str, mean_sun_zenith_deg: float, dem_type: str = "NA",
                   dem_m: np.ndarray | None = None, slope_deg: np.ndarray | None = None) -> dict[str, object]:
    """Check "AUX related parameters" of L2A_AUX: DEM type, mean altitude (km) and slope (deg), flags.

    Without a DEM (Sen2Cor's flat terrain) altitude and slope are 0 and DEM_TYPE "NA".
    """
    if ozone_source not in OZONE_SOURCES:
        raise ValueError(f"OZONE_SOURCE {ozone_source!r} is invalid; expected one of {OZONE_SOURCES}")
    if dem_type not in DEM_TYPES:
        raise ValueError(f"DEM_TYPE {dem_type!r} is invalid; expected one of {DEM_TYPES}")
    dem_ok = dem_m is not None and np.size(dem_m) > 0
    return {
        "DEM_TYPE": dem_type if dem_ok else "NA",
        "DEM_MEAN_ALTITUDE_KM": float(np.mean(dem_m, dtype=np.float64) / 1000.0) if dem_ok else 0.0,
        "DEM_MEAN_SLOPE": float(np.mean(slope_deg, dtype=np.float64)) if slope_deg is not None
        and np.size(slope_deg) else 0.0,
        "GROUND_ELEVATION_ABOVE_3_KM": bool(dem_ok and float(np.max(dem_m)) > 3000.0),
        "SOLAR_ZENITH_ANGLE_ABOVE_70_DEG": bool(mean_sun_zenith_deg > 70.0),
        "OZONE_SOURCE": ozone_source,
    }


def compute_indicators(scl: np.ndarray, *, aot_dn: np.ndarray | None, wvp_dn: np.ndarray | None,
                       mean_sun_zenith_deg: float, retrieval: AerosolRetrieval | None = None,
                       tco3_kg_m2: np.ndarray | None = None, configured_ozone_du: float = 0.0,
                       boa: Mapping[str, np.ndarray] | None = None, boa_add_offset_dn: int = 0,
                       dem_m: np.ndarray | None = None, slope_deg: np.ndarray | None = None,
                       dem_type: str = "NA", dem_files: Sequence[str] = (), n_full: int | None = None,
                       land: np.ndarray | None = None, degraded_msi_percent: float = 0.0,
                       sc_only: bool = False, psd15: bool = False) -> QualityIndicators:
    """Every indicator of one tile and resolution (see the single-check functions for the rules).

    ``scl``, ``aot_dn``, ``wvp_dn``, ``land``, ``dem_m``, ``slope_deg`` and ``boa`` are on the same grid
    (20 m normally, 60 m for --resolution 60); AOT/WVP are the L2A uint16 layers (x1000); ``tco3_kg_m2``
    the AUX_ECMWFT total column ozone field.  Negative-BOA percentages are over pixels with SCL > 1.
    """
    retrieval = retrieval or AerosolRetrieval()
    scene, counts = scene_indicators(scl, n_full=n_full, land=land, degraded_msi_percent=degraded_msi_percent,
                                     psd15=psd15)
    ozone_du, ozone_source = ozone_indicator(tco3_kg_m2, configured_ozone_du)
    atmosphere, control = atmosphere_indicators(aot_dn, wvp_dn, retrieval, ozone_du=ozone_du,
                                                mean_sun_zenith_deg=mean_sun_zenith_deg, sc_only=sc_only)
    if sc_only or not boa:
        negative = dict.fromkeys(NEGATIVE_BOA_BANDS, NOT_COMPUTED if sc_only else 0.0)
    else:
        negative = negative_boa_percentages(boa, add_offset_dn=boa_add_offset_dn, valid=scl > 1)
    aux = aux_indicators(ozone_source=ozone_source, mean_sun_zenith_deg=mean_sun_zenith_deg,
                         dem_type=dem_type, dem_m=dem_m, slope_deg=slope_deg)
    return QualityIndicators(scene=scene, atmosphere=atmosphere, control=control, negative_boa=negative,
                             aux=aux, lut_files=tuple(() if sc_only else retrieval.lut_files),
                             aux_files=tuple(dem_files), psd15=psd15, counts=counts)
