"""Aerosol optical thickness by dark dense vegetation (DDV), with the CAMS and dense-bright-vegetation
(DBV) / start-visibility fall-backs (manual §2.2.4, algorithm facts B.7).

The steps are pure functions over arrays; the LUT-dependent quantities (path radiance,
E0t, Edift, q at the eight LUT visibilities) are arguments.  ``driver.retrieve_aot`` chains them.
SCL codes: 0 no data, 3 cloud shadow, 4 vegetation, 5 not vegetated, 6 water, 7 unclassified,
8/9 cloud medium/high probability, 10 thin cirrus, 11 snow.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sen2cor.atmcorr import visibility
from sen2cor.rtm import grid
from sen2cor.atmcorr.adjacency import box_mean
from sen2cor.sceneclass.thresholds import in_classes

log = logging.getLogger(__name__)

CLOUD_CLASSES = (7, 8, 9, 10)
#: Maximum number of visibility increases of the negative-reflectance check, and of the green/red check.
MAX_NEGATIVE_ITERATIONS = 12
MAX_GREEN_RED_ITERATIONS = 6
#: Fraction of negative land pixels above which the visibility is increased (1 %).
NEGATIVE_FRACTION_LIMIT = 0.01
#: Mean DDV green must reach this multiple of the mean DDV red.
GREEN_RED_RATIO = 1.08
#: Fraction of DDV pixels (%) below which the last SWIR threshold is rejected (manual §2.2.4: "< 1 %").
MIN_LAST_DDV_PERCENT = 1.0
#: Weight of the adjacency term in the DDV inversion (Sen2Cor's half weight, facts B.7 step 5).
DDV_ADJACENCY_WEIGHT = 0.5


@dataclass(frozen=True)
class DdvThresholds:
    """L2A_CAL_AC_GIPP parameters of the DDV search (AclPrio1/AclPrio2 field names)."""

    min_ddv_area_percent: float = 2.0
    swir_refl_lower_th: float = 0.01
    swir_refl_ndvi_th: float = 0.10
    ddv_swir_refl_th: tuple[float, float, float] = (0.05, 0.10, 0.12)
    ddv_16um_refl_th: tuple[float, float, float] = (0.10, 0.15, 0.18)
    max_nir: float = 0.38
    swir_22um_red_refl_ratio: float = 0.5

    @classmethod
    def from_calibration(cls, cal_ac) -> "DdvThresholds":
        """From ``config.cal_ac`` (sen2cor.config.AcCalibration)."""
        p1, p2 = cal_ac.prio_1, cal_ac.prio_2
        return cls(
            p1.min_ddv_area_percent,
            p1.swir_refl_lower_th,
            p2.swir_refl_ndvi_th,
            (p2.ddv_swir_refl_th1, p2.ddv_swir_refl_th2, p2.ddv_swir_refl_th3),
            (p2.ddv_16um_refl_th1, p2.ddv_16um_refl_th2, p2.ddv_16um_refl_th3),
            swir_22um_red_refl_ratio=p1.swir_22um_red_refl_ratio,
        )


@dataclass(frozen=True)
class DbvThresholds:
    """L2A_CAL_AC_GIPP parameters of the dense-bright-vegetation fall-back (facts B.7 "Fallbacks when no DDV").

    Sen2Cor's DBV routine reads these three; AC_Dbv_Red_Veget_Tst_Ndvi_Th and AC_Dbv_Red_Veget_Refl_Th
    are parsed but not used by it (docs/configuration.md).
    """

    nir_refl_th: float = 0.35  # AC_Dbv_Nir_Refl_Th: TOA B8A above this
    ndvi_th: float = 0.66  # AC_Dbv_Ndvi_Th: TOA NDVI(B8A, B04) above this
    red_ref_refl: float = 0.02  # AC_Red_Ref_Refl_Th: surface red reflectance assumed for the darkest DBV pixels

    @classmethod
    def from_calibration(cls, cal_ac) -> "DbvThresholds":
        """From ``config.cal_ac`` (sen2cor.config.AcCalibration)."""
        p2 = cal_ac.prio_2
        return cls(p2.dbv_nir_refl_th, p2.dbv_ndvi_th, p2.red_ref_refl_th)


#: Constants of Sen2Cor's DBV routine (facts B.7): red TOA floor, largest |incidence - sun zenith| (deg),
#: fewest candidates, darkest pixels used, largest visibility accepted (km).
DBV_MIN_RED_TOA = 0.01
DBV_MAX_INCIDENCE_OFFSET_DEG = 15.0
DBV_MIN_PIXELS = 5
DBV_DARKEST_PIXELS = 10
DBV_MAX_VISIBILITY_KM = 80.0


def select_dbv(
    rho_red_toa: np.ndarray,
    rho_nir_toa: np.ndarray,
    valid: np.ndarray,
    th: DbvThresholds = DbvThresholds(),
    incidence_offset_deg: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """The (at most 10) darkest-red dense-bright-vegetation pixels, as a boolean mask; all False below 5.

    Candidates: rho_TOA(B8A) > AC_Dbv_Nir_Refl_Th, NDVI = (B8A - B04) / max(B8A + B04, 0.01) >
    AC_Dbv_Ndvi_Th, rho_TOA(B04) > 0.01 and, when ``incidence_offset_deg`` is given (terrain: it maps
    the flat indices of the candidates to |beta - sun zenith| in degrees), an offset below 15 deg.
    Equal red values are taken in pixel order.
    """
    red, nir = np.asarray(rho_red_toa), np.asarray(rho_nir_toa)
    index = (nir - red) / np.maximum(nir + red, 0.01)   # denominator >= 0.01: no division by zero
    candidates = np.flatnonzero(
        valid & (nir > th.nir_refl_th) & (index > th.ndvi_th) & (red > DBV_MIN_RED_TOA)
    )
    if incidence_offset_deg is not None and candidates.size:
        candidates = candidates[incidence_offset_deg(candidates) < DBV_MAX_INCIDENCE_OFFSET_DEG]
    mask = np.zeros(red.shape, bool)
    if candidates.size < DBV_MIN_PIXELS:
        return mask
    darkest = np.argsort(red.ravel()[candidates], kind="stable")[:DBV_DARKEST_PIXELS]
    mask.ravel()[candidates[darkest]] = True
    return mask


def dbv_clear(scl: np.ndarray) -> np.ndarray:
    """Pixels whose mean red radiance is the DBV adjacency background: valid, not cloud (7-10) and not
    dark feature (2; Sen2Cor's shadow list of this routine); all non-background pixels if none."""
    clear = (scl > 2) & ~in_classes(scl, CLOUD_CLASSES)   # not 0 no data, 1 saturated, 2 dark feature
    return clear if clear.any() else scl > 1


def dbv_visibility_km(pixel_index: np.ndarray) -> float:
    """Visibility of the DBV pixels' indices: floor of the mean of the rounded indices (Sen2Cor's byte
    arithmetic), capped at 120 km."""
    mean_index = int(np.floor(np.mean(np.rint(pixel_index))))
    return visibility.scene_visibility_km(mean_index)


@dataclass(frozen=True)
class DdvSelection:
    """DDV pixels found: mask, the B12 upper threshold that succeeded, their percentage."""

    mask: np.ndarray
    swir_upper: float
    percent: float

    @property
    def found(self) -> bool:
        return bool(self.mask.any())


def cloud_proximity(scl: np.ndarray, pixel_m: float) -> np.ndarray:
    """Pixels near clouds: box mean (size min(int(1000/pixel), 500), odd) of 255 * cloud > 5."""
    cloud = in_classes(scl, CLOUD_CLASSES).astype(np.float32) * 255.0
    size = visibility.odd(min(int(1000.0 / pixel_m), 500))
    return box_mean(cloud, size // 2) > 5.0


def ndvi(nir: np.ndarray, red: np.ndarray) -> np.ndarray:
    """(NIR - red) / (NIR + red) as float32, 0 where the sum is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (nir - red) / (nir + red)
    return np.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0).astype(np.float32)


def select_ddv(
    rho_swir: np.ndarray,
    rho_nir: np.ndarray,
    rho_red_toa: np.ndarray,
    rho_nir_toa: np.ndarray,
    scl: np.ndarray,
    excluded: np.ndarray,
    th: DdvThresholds = DdvThresholds(),
) -> DdvSelection:
    """DDV pixels with the threshold iteration of facts B.7 step 3.

    Candidates: SCL 4, not ``excluded``, lower < rho_B12 < upper, rho_TOA(B04) <= the 1.6 um
    threshold of the same iteration (Sen2Cor quirk), NDVI_TOA(B8A, B04) > AC_Swir_Refl_Ndvi_Th,
    rho_B8A < 0.38.  Upper = Th1, accepted if DDV % of (non-background - water) >= AC_Min_Ddv_Area;
    else Th2, then Th3 with the percentage over all non-background pixels.  The last one is kept
    if >= 1 % (manual).  More than 99 % water -> none.
    """
    valid = scl > 0
    n_valid = int(valid.sum())
    n_water = int((scl == 6).sum())
    empty = DdvSelection(np.zeros(scl.shape, bool), th.ddv_swir_refl_th[0], 0.0)
    if n_water > 0.99 * n_valid:   # (no valid pixel: the search below finds 0 %)
        return empty
    base = (
        (scl == 4)
        & ~excluded
        & (ndvi(rho_nir_toa, rho_red_toa) > th.swir_refl_ndvi_th)
        & (rho_nir < th.max_nir)
    )
    base &= rho_swir > th.swir_refl_lower_th
    for k, (upper, red_max) in enumerate(zip(th.ddv_swir_refl_th, th.ddv_16um_refl_th)):
        mask = base & (rho_swir < upper) & (rho_red_toa <= red_max)
        denominator = n_valid - n_water if k == 0 else n_valid
        percent = 100.0 * int(mask.sum()) / max(denominator, 1)
        log.debug("DDV search: B12 < %.2f -> %.3f %%", upper, percent)
        if percent >= th.min_ddv_area_percent:
            return DdvSelection(mask, upper, percent)
    if percent >= MIN_LAST_DDV_PERCENT:
        return DdvSelection(mask, upper, percent)
    return empty


#: MSK_DDVPXL codes (Sen2Cor's DDV map, written with Generate_DDV_Output): DDV reference pixels take the
#: vegetation code, dark features and water keep theirs, no data stays 0, every other class the background.
DDV_MAP_DDV, DDV_MAP_BACKGROUND = 4, 5
DDV_MAP_KEPT = (0, 2, 6)


def ddv_map(scl: np.ndarray, ddv_mask: np.ndarray | None) -> np.ndarray:
    """MSK_DDVPXL (uint8): 4 = DDV reference pixel, 2 = dark feature, 6 = water, 0 = no data, 5 = the rest.

    Sen2Cor builds it from the SCL in the same way (derived ATCOR code, ``write_ddv_map``); with no DDV
    pixels (no DDV found, VIS_Update_Mode 0) the map has no 4.
    """
    scl = np.asarray(scl)
    out = np.where(in_classes(scl, DDV_MAP_KEPT), scl, DDV_MAP_BACKGROUND).astype(np.uint8)
    if ddv_mask is not None:
        out[ddv_mask] = DDV_MAP_DDV
    return out


def red_reference(rho_swir: np.ndarray, swir_22um_red_refl_ratio: float = 0.5) -> np.ndarray:
    """DDV red surface reflectance = AC_Swir_22um_Red_Refl_Ratio * rho_B12."""
    return swir_22um_red_refl_ratio * rho_swir


def ddv_red_reflectance(
    l_red: np.ndarray,
    l_clear_mean: float,
    lp: np.ndarray,
    e0t: np.ndarray,
    edift: np.ndarray,
    q: np.ndarray,
    cos_sza: float,
    adjacency_weight: float = DDV_ADJACENCY_WEIGHT,
) -> np.ndarray:
    """Red surface reflectance of DDV pixels at each LUT visibility (facts B.7 step 5), shape (nvis, n).

    ``lp``, ``e0t``, ``edift``, ``q``: (nvis, 1) or (nvis, n) at the eight LUT visibilities.
    Half-weight adjacency: L* = L + w q (L - mean clear red radiance), w = ``adjacency_weight`` (0.5).
    """
    l_star = l_red[None, :] + adjacency_weight * q * (l_red[None, :] - l_clear_mean)
    return np.pi * (l_star - lp) / (e0t * cos_sza + edift)


def ddv_visibility_index(rho_by_vis: np.ndarray, rho_ref: np.ndarray) -> np.ndarray:
    """Fractional visibility index per DDV pixel from rho(V) = rho_ref (facts B.7 step 5).

    ``rho_by_vis`` (8, n) ordered like ``grid.VISIBILITY_KM`` (5 ... 120 km).  Linear in total
    optical depth between the bracketing LUT visibilities; darker than at 5 km -> 182; brighter
    than at 120 km -> extrapolated with (rho_ref - rho[80 km]) as Sen2Cor (quirk), which always gives 0.
    Pixels without a solution (non-monotonic rho) -> NaN.
    """
    depths = visibility.LUT_DEPTHS
    n = rho_ref.size
    out = np.full(n, np.nan)
    for k in range(depths.size - 1):  # segment between vis k (hazier) and k + 1 (clearer)
        lo, hi = rho_by_vis[k], rho_by_vis[k + 1]
        inside = (
            np.isnan(out) & (np.minimum(lo, hi) <= rho_ref) & (rho_ref <= np.maximum(lo, hi)) & (hi != lo)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            t = (rho_ref - lo) / (hi - lo)
        depth = depths[k] + t * (depths[k + 1] - depths[k])
        out = np.where(inside, visibility.depth_to_index(depth), out)
    out = np.minimum(out, visibility.N_VIS_INDEX - 1)  # the 5 km node lies at index 182.7
    r5, r80, r120 = rho_by_vis[0], rho_by_vis[-2], rho_by_vis[-1]
    out[np.isnan(out) & (rho_ref < np.minimum(r5, r120))] = visibility.N_VIS_INDEX - 1  # darker
    # brighter than at 120 km while rho still rises from 80 to 120 km: Sen2Cor extrapolates the depth
    # d120 + (rho_ref - rho80) / (rho120 - rho80) (d120 - d80) <= 2 d120 - d80 = 0.174, below the depth
    # of index 0 (0.182), and clips the index at 0: always index 0
    out[np.isnan(out) & (rho_ref > r120) & (r120 > r80)] = 0.0
    return out


def step_up_visibility(visibility_km: float) -> float:
    """Next visibility of the negative-reflectance iteration (facts B.7 step 7).

    < 23 -> 23; < 26: +3; < 30: +4; < 40: +5; < 100: +10; else 120.  A result ending in 9
    (29, 39, ...) goes to the next decade.
    """
    v = float(visibility_km)
    if v < 23:
        v = 23.0
    elif v < 26:
        v += 3
    elif v < 30:
        v += 4
    elif v < 40:
        v += 5
    elif v < 100:
        v += 10
    else:
        v = 120.0
    if int(round(v)) % 10 == 9:   # (at most 109 -> 110 here: the result never exceeds 120)
        v = float(int(round(v)) + 1)
    return v


def negative_fraction(
    rho: np.ndarray, scl: np.ndarray, q: float | np.ndarray, threshold: float, pixel_m: float
) -> float:
    """Fraction of SCL 4/5 pixels whose reflectance incl. adjacency is below ``threshold``.

    rho_adj = rho + q (rho - Gauss_sigma(min(rho, 0.4))), sigma = odd(clamp(1000 / pixel, 3, 51));
    counted over all non-background pixels (facts B.7 step 7).
    """
    valid = scl > 0
    n_valid = int(valid.sum())
    if n_valid == 0:
        return 0.0
    sigma = visibility.odd(min(max(1000.0 / pixel_m, 3), 51))
    background = visibility.gaussian_smooth(np.minimum(np.where(valid, rho, 0.0), 0.4), sigma)
    rho_adj = rho + q * (rho - background)
    land = (scl == 4) | (scl == 5)
    return float(np.count_nonzero(land & (rho_adj < threshold))) / n_valid


def iterate_visibility(
    start_km: float, too_dark: Callable[[float], bool], max_iterations: int = MAX_NEGATIVE_ITERATIONS
) -> float:
    """Increase the visibility with :func:`step_up_visibility` while ``too_dark(V)`` and V < 120 km."""
    v = float(start_km)
    for _ in range(max_iterations):
        if v >= 120.0 or not too_dark(v):
            break
        v = step_up_visibility(v)
    return v


def shift_indices(ddv_index: np.ndarray, new_mean_index: float) -> np.ndarray:
    """After the check asked for a clearer scene, move DDV indices above the new mean down by
    (old mean - new mean) >= 0 (facts B.7 step 8)."""
    old_mean = float(np.mean(ddv_index)) if ddv_index.size else new_mean_index
    shift = max(old_mean - new_mean_index, 0.0)
    return np.where(ddv_index > new_mean_index, np.maximum(ddv_index - shift, new_mean_index), ddv_index)


def cams_visibility_km(aod550: np.ndarray, geopotential_m2_s2: np.ndarray | None = None) -> np.ndarray:
    """Visibility (km) of CAMS aod550 at the CAMS surface height (geopotential / g0), inverse of facts B.3.

    How Sen2Cor builds its CAMS visibility map is a gap (facts E.2); this is the inverse of
    Sen2Cor's own AOT(z, V) relation, clipped to the LUT range 5..120 km.
    """
    height_km = (
        0.0
        if geopotential_m2_s2 is None
        else np.minimum(np.asarray(geopotential_m2_s2) / 9.80665 / 1000.0, 3.5)
    )  # (below 0 km the AOT relation keeps its sea-level coefficients: no lower clip needed)
    aot = np.maximum(np.asarray(aod550, dtype=np.float64), 1e-3)
    return np.clip(grid.aot550_to_visibility(aot, height_km), 5.0, 120.0)


def _linear_weights(n_coarse: int, positions: np.ndarray) -> np.ndarray:
    """(len(positions), n_coarse) linear-interpolation weights at fractional node ``positions``
    (clamped to the first / last node, like ``map_coordinates(mode="nearest")``)."""
    pos = np.clip(np.asarray(positions, dtype=np.float64), 0.0, n_coarse - 1)
    lower = np.minimum(np.floor(pos).astype(np.intp), max(n_coarse - 2, 0))
    frac = pos - lower
    weights = np.zeros((pos.size, n_coarse))
    rows = np.arange(pos.size)
    weights[rows, lower] = 1.0 - frac   # one node: position 0, frac 0
    if n_coarse > 1:
        weights[rows, lower + 1] = frac
    return weights


def bilinear_at(coarse: np.ndarray, row_positions: np.ndarray, col_positions: np.ndarray,
                dtype=np.float32) -> np.ndarray:
    """A coarse grid sampled bilinearly at every (row, column) pair of fractional node positions.

    Separable: rows first on the coarse grid, then the columns strip by strip in float64, so only the
    output is allocated at full size.
    """
    coarse = np.asarray(coarse, dtype=np.float64)
    along_rows = _linear_weights(coarse.shape[0], row_positions) @ coarse     # (rows, n_cols)
    col_weights = _linear_weights(coarse.shape[1], col_positions).T             # (n_cols, cols)
    out = np.empty((along_rows.shape[0], col_weights.shape[1]), dtype=dtype)
    for start in range(0, out.shape[0], 256):
        out[start:start + 256] = along_rows[start:start + 256] @ col_weights
    return out


def coarse_to_pixels(coarse: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear stretch of a coarse grid (e.g. CAMS 9x9, corners on the tile corners) to ``shape``
    (float32)."""
    n_rows, n_cols = np.shape(coarse)
    return bilinear_at(coarse, np.linspace(0.0, n_rows - 1, shape[0]), np.linspace(0.0, n_cols - 1, shape[1]))
