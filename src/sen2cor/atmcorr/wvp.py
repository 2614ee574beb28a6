"""Water vapour by APDA (B8A reference, B09 absorption; manual §2.2.5, algorithm facts B.9).

LUT side: for each LUT water-vapour level u and elevation node the ratio of reflected radiance
R(u) = (L - Lp)_B09 / (L - Lp)_B8A for a surface of reflectance 0.3 is fitted with
R = a exp(-b u^c).  Image side: R_img = (L_B09 - Lp_B09(u, z)) / (L_B8A - Lp_B8A(u, z)), inverted
u = ((ln R - ln a) / -b)^(1/c); a second pass repeats the path-radiance pre-correction at the
first result (Sen2Cor: two passes plus a refit of the curve; here three passes, which leaves
less than 0.2 % of path-radiance error where two leave ~1 %).  ``u`` is the LUT label
(sea-level column, cm); :func:`column_above_ground`
converts it to the column above the pixel, which is what WVP reports.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from scipy.optimize import curve_fit

from sen2cor.sceneclass.thresholds import in_classes

log = logging.getLogger(__name__)

APDA_SURFACE_REFLECTANCE = 0.3
LAND_CLASSES = (4, 5, 11)
#: Retrieved columns below this (cm) are replaced by the land average (Sen2Cor: < 10 in cm*1000). A float32
#: like the maps it is compared with, so that a column of exactly 0.01 cm is kept.
MIN_WV_CM = np.float32(0.01)
#: Fraction of the sea-level water-vapour column above 0, 0.5, ..., 2.5 km (US62 profile; rtm facts).
COLUMN_FRACTION_Z_KM = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 2.5])
COLUMN_FRACTION = np.array([1.0, 0.77, 0.59, 0.45, 0.34, 0.25])
#: Box (pixels) smoothing the water-vapour position between the two passes (Sen2Cor: 10, if > 100 lines).
POSITION_SMOOTHING_PX = 10


@dataclass(frozen=True)
class ApdaCurves:
    """LUT quantities of the APDA bands on (elevation node, water-vapour level) grids."""

    elevation_km: np.ndarray  # (ne,)
    water_vapour_cm: np.ndarray  # (nu,) LUT labels, ascending
    lp_ref: np.ndarray  # (ne, nu) B8A path radiance, mW cm-2 sr-1 um-1
    lp_abs: np.ndarray  # (ne, nu) B09 path radiance
    ratio: np.ndarray  # (ne, nu) APDA ratio R(u) of the LUT

    def coefficients(self) -> np.ndarray:
        """(ne, 3) fitted (a, b, c) per elevation node."""
        return np.array([fit_ratio(self.water_vapour_cm, r) for r in self.ratio])


def lut_ratio(
    e_ref: np.ndarray,
    s_ref: np.ndarray,
    e_abs: np.ndarray,
    s_abs: np.ndarray,
    reference_albedo: float = 0.15,
    rho: float = APDA_SURFACE_REFLECTANCE,
) -> np.ndarray:
    """R = (L - Lp)_abs / (L - Lp)_ref for a surface ``rho``; E = E0t cos SZA + Edift of each band.

    L - Lp = (rho / pi) E / (1 - (rho - rho_ref) S) (facts B.9; rho_ref 0.15 for Sen2Cor's LUTs).
    """
    reflected_abs = rho * e_abs / (1.0 - (rho - reference_albedo) * s_abs)
    reflected_ref = rho * e_ref / (1.0 - (rho - reference_albedo) * s_ref)
    return reflected_abs / reflected_ref


def _model(u_mcm, a, b, c):
    return a * np.exp(-b * np.power(u_mcm, c))


def fit_ratio(water_vapour_cm: np.ndarray, ratio: np.ndarray) -> tuple[float, float, float]:
    """Least-squares fit R(u) = a exp(-b u^c), u in cm*1000 as Sen2Cor (start (1, 0.01, 0.5))."""
    u = np.asarray(water_vapour_cm, dtype=np.float64) * 1000.0
    try:
        (a, b, c), _ = curve_fit(
            _model,
            u,
            ratio,  # curve_fit works in float64
            p0=(1.0, 0.01, 0.5),
            bounds=([1e-3, 1e-6, 0.05], [10.0, 10.0, 2.0]),
            maxfev=20000,
        )
    except RuntimeError as exc:  # no convergence: fall back to a log-linear fit (c = 1)
        log.warning("APDA curve fit did not converge (%s); using c = 1", exc)
        slope, intercept = np.polyfit(u, np.log(ratio), 1)
        a, b, c = np.exp(intercept), -slope, 1.0
    return float(a), float(b), float(c)


def invert_ratio(
    ratio: np.ndarray, a: np.ndarray | float, b: np.ndarray | float, c: np.ndarray | float
) -> np.ndarray:
    """u (cm) from R = a exp(-b u^c); 0 where R is outside (0, 1] or R > a."""
    ratio = np.asarray(ratio, dtype=np.float32)
    ok = (ratio > 0) & (ratio <= 1.0) & (ratio <= a)  # False for NaN
    base = (np.log(np.where(ok, ratio, np.float32(1.0))) - np.log(a)) / (-b)
    u = np.power(np.maximum(base, 0.0), 1.0 / c) / np.float32(1000.0)
    return np.where(ok, u, np.float32(0.0)).astype(np.float32, copy=False)


def _elevation_weights(nodes: np.ndarray, elevation_km: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(segment index, weight) of the elevations on >= 2 ascending nodes, clamped to the end nodes."""
    z = np.clip(elevation_km, nodes[0], nodes[-1])
    i0 = np.minimum(np.searchsorted(nodes, z, side="right") - 1, nodes.size - 2)  # z >= nodes[0]: i0 >= 0
    return i0, (z - nodes[i0]) / (nodes[i0 + 1] - nodes[i0])


def _level_position(levels: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(int8 segment index, float32 weight) of ``u`` on the few LUT levels (clamped), without intp arrays.

    The levels are those of the fitted curve, so at least three.
    """
    lv = np.asarray(levels, dtype=np.float32)
    uc = np.clip(u, lv[0], lv[-1])
    iu = np.zeros(u.shape, np.int8)
    for k in range(1, lv.size - 1):
        iu += uc >= lv[k]
    lo, step = lv[:-1], np.diff(lv)
    wu = uc - lo[iu]
    wu /= step[iu]
    return iu, wu


def _bilinear(table: np.ndarray, ie, we, iu, wu) -> np.ndarray:
    """table (ne, nu) at elevation (ie, we) and wv (iu, wu) positions (segment indices: ie <= ne - 2, iu <= nu - 2)."""
    t0 = table[ie, iu] * (1 - wu) + table[ie, iu + 1] * wu
    if table.shape[0] == 1:
        return t0
    t1 = table[ie + 1, iu] * (1 - wu) + table[ie + 1, iu + 1] * wu
    return t0 * (1 - we) + t1 * we


#: Rows per strip of the APDA retrieval (memory, not results).
STRIP_ROWS = 1024


def retrieve_water_vapour(
    l_ref: np.ndarray,
    l_abs: np.ndarray,
    elevation_km: np.ndarray | float,
    curves: ApdaCurves,
    start_cm: float,
    passes: int = 3,
    strip_rows: int | None = None,
) -> np.ndarray:
    """APDA water vapour (LUT label, cm) per pixel, float32; 0 where the ratio is not usable.

    Computed in row strips of ``strip_rows`` (default :data:`STRIP_ROWS`), each from a window
    extended by the reach of the position smoothing over all passes, so the result equals the
    whole-image computation with strip-sized temporaries.
    """
    shape = np.shape(l_ref)
    coef = curves.coefficients()
    smooth = shape[0] > 100  # Sen2Cor smooths the position only for images of > 100 lines
    strip_rows = STRIP_ROWS if strip_rows is None else max(int(strip_rows), 1)
    halo = (POSITION_SMOOTHING_PX // 2 + 1) * (passes - 1) if smooth else 0
    out = np.empty(shape, np.float32)
    for a in range(0, shape[0], strip_rows):
        b = min(a + strip_rows, shape[0])
        w0, w1 = max(a - halo, 0), min(b + halo, shape[0])
        z = elevation_km if np.ndim(elevation_km) == 0 else np.asarray(elevation_km)[w0:w1]
        u = _retrieve_window(l_ref[w0:w1], l_abs[w0:w1], z, curves, coef, start_cm, passes, smooth)
        out[a:b] = u[a - w0 : b - w0]
    return out


def _retrieve_window(l_ref, l_abs, elevation_km, curves, coef, start_cm, passes, smooth) -> np.ndarray:
    """:func:`retrieve_water_vapour` on one window (``smooth``: the whole image's choice)."""
    if curves.elevation_km.size == 1:
        ie = we = 0  # one node: the elevation weight is not used
        a, b, c = (float(v) for v in coef[0])
    else:
        ie, we = _elevation_weights(curves.elevation_km, np.asarray(elevation_km, dtype=np.float32))
        we = we.astype(np.float32)
        a, b, c = (
            coef[ie, k].astype(np.float32) * (1 - we) + coef[ie + 1, k].astype(np.float32) * we for k in range(3)
        )
    levels = curves.water_vapour_cm
    u = np.float32(start_cm)  # the same start position for every pixel
    for k in range(passes):
        if k and smooth:
            u = ndimage.uniform_filter(u, POSITION_SMOOTHING_PX, mode="nearest")
        iu, wu = _level_position(levels, u)
        lp_ref = _bilinear(curves.lp_ref.astype(np.float32), ie, we, iu, wu)
        lp_abs = _bilinear(curves.lp_abs.astype(np.float32), ie, we, iu, wu)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = (l_abs - lp_abs) / (l_ref - lp_ref)
        del lp_ref, lp_abs
        u_new = invert_ratio(ratio, a, b, c)  # NaN (0 / 0) and +-inf ratios give 0
        u = np.where(u_new > 0, u_new, u)
    return u_new


def column_above_ground(label_cm: np.ndarray, elevation_km: np.ndarray | float) -> np.ndarray:
    """Sea-level-labelled column -> column above the ground elevation (cm), US62 profile fractions, float32.

    Below 0 km the fraction is 1 (np.interp holds the end values); above 2.5 km the last decay continues up
    to 3.5 km, Sen2Cor's DEM ceiling.
    """
    z = np.minimum(np.asarray(elevation_km, dtype=np.float32), 3.5)
    frac = np.interp(z, COLUMN_FRACTION_Z_KM, COLUMN_FRACTION).astype(np.float32)
    high = z > COLUMN_FRACTION_Z_KM[-1]
    frac = np.where(
        high, COLUMN_FRACTION[-1] * (COLUMN_FRACTION[-1] / COLUMN_FRACTION[-2]) ** ((z - 2.5) / 0.5), frac
    )
    return (np.asarray(label_cm) * frac).astype(np.float32)


def fill_water_vapour(wv_cm: np.ndarray, scl: np.ndarray, wv_watermask: int = 1,
                      fallback_cm: float | None = None) -> tuple[np.ndarray, float]:
    """WV_Watermask filling and the land average (facts B.9 post-processing).

    0: retrieved values kept; 1: every non-land pixel (water, clouds, shadows ...) = land average;
    2: non-land pixels = average of the land pixels of the same row (land average for rows without
    land).  Always: values < 0.01 cm -> land average; SCL <= 1 -> 0.  Returns (map, land average).

    Without land pixels (SCL 4, 5, 11) Sen2Cor has no land average (facts B.9 retrieve only in cells with
    land; what it then writes is not known): the average of every valid pixel's retrieval (>= 0.01 cm)
    takes its place, or, when nothing was retrieved, ``fallback_cm`` (the retrieval's start value); both
    logged. (A land average of 0 would make WVP 0, its no-data value, on every valid pixel.)
    """
    land = in_classes(scl, LAND_CLASSES) & (wv_cm >= MIN_WV_CM)
    if land.any():
        wv_av = float(wv_cm[land].mean())
    else:
        retrieved = (scl > 1) & (wv_cm >= MIN_WV_CM)
        if retrieved.any():
            wv_av = float(wv_cm[retrieved].mean())
            log.warning("no land pixels (SCL 4, 5, 11) with a water-vapour retrieval: the average %.3f cm of "
                        "the %d other valid pixels' retrievals replaces the land average", wv_av,
                        int(retrieved.sum()))
        else:
            wv_av = float(fallback_cm or 0.0)
            log.warning("no valid pixel with a water-vapour retrieval: the start value %.3f cm replaces the "
                        "land average", wv_av)
    out = np.asarray(wv_cm, dtype=np.float32).copy()
    if wv_watermask == 1:
        out[~land] = wv_av
    elif wv_watermask == 2:
        counts = land.sum(axis=1)
        sums = np.where(land, out, 0.0).sum(axis=1)
        row_av = np.where(counts > 0, sums / np.maximum(counts, 1), wv_av).astype(np.float32)
        out = np.where(land, out, row_av[:, None])
    out[out < MIN_WV_CM] = wv_av
    out[scl <= 1] = 0.0
    return out, wv_av


def smooth_water_vapour(
    wv_cm: np.ndarray, smooth_wv_map_m: float, pixel_m: float, valid: np.ndarray | None = None
) -> np.ndarray:
    """Box mean over a square of Smooth_WV_Map metres (>= 3 px, odd); 0 = no smoothing."""
    if smooth_wv_map_m <= 0:
        return wv_cm
    size = max(int(round(smooth_wv_map_m / pixel_m)), 3)
    size = size if size % 2 else size + 1
    out = ndimage.uniform_filter(np.asarray(wv_cm, dtype=np.float32), size, mode="nearest")
    if valid is not None:
        out[~valid] = 0.0
    return out
