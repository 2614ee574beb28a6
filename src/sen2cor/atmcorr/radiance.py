"""TOA reflectance <-> radiance and the per-pixel / per-cell sun geometry (algorithm facts B.1, B.6).

L1C DN -> TOA reflectance is :func:`sen2cor.tables.radiometry.dn_to_reflectance`
(rho = (DN + RADIO_ADD_OFFSET) / QUANTIFICATION_VALUE); it is not repeated here.
The atmospheric correction works in the LUT radiance unit mW cm-2 sr-1 um-1:
``L = rho * (E0 / 10) * cos(SZA) / pi`` with E0 = SOLAR_IRRADIANCE (W m-2 um-1) of the L1C
metadata.  L1C reflectance already contains the Earth-Sun distance factor U, so Sen2Cor fixes
d^2 = 1 (2.0.6 fix) and so do we.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import numpy as np
from scipy import ndimage

log = logging.getLogger(__name__)

#: Processing cell of the reflectance retrieval (columns x rows at the processing resolution, facts B.6).
CELL_COLS = 915
CELL_ROWS = 1830


def e0_lut_units(e0_w_m2_um: np.ndarray | float) -> np.ndarray:
    """SOLAR_IRRADIANCE (W m-2 um-1) -> mW cm-2 um-1, the LUT unit (factor 1/10)."""
    return np.asarray(e0_w_m2_um, dtype=np.float64) / 10.0


def toa_radiance(rho_toa: np.ndarray, e0_w_m2_um: float, sza_deg: np.ndarray | float) -> np.ndarray:
    """TOA radiance (mW cm-2 sr-1 um-1) of a TOA reflectance for sun zenith ``sza_deg`` (float32)."""
    factor = e0_lut_units(e0_w_m2_um) * np.cos(np.deg2rad(sza_deg)) / np.pi
    return (
        np.asarray(rho_toa, dtype=np.float32) * np.float32(factor)
        if np.ndim(factor) == 0
        else (rho_toa * factor).astype(np.float32)
    )


def toa_reflectance(radiance: np.ndarray, e0_w_m2_um: float, sza_deg: np.ndarray | float) -> np.ndarray:
    """Inverse of :func:`toa_radiance`."""
    factor = e0_lut_units(e0_w_m2_um) * np.cos(np.deg2rad(sza_deg)) / np.pi
    return (np.asarray(radiance, dtype=np.float64) / factor).astype(np.float32)


def angle_grid_to_pixels(
    grid_deg: np.ndarray, step_m: float, shape: tuple[int, int], pixel_m: float,
    offset_px: tuple[int, int] = (0, 0),
) -> np.ndarray:
    """Bilinear interpolation of a 5 km metadata angle grid (node (0,0) at ULX/ULY) to pixel centres.

    ``offset_px`` (row, col): pixels of ``pixel_m`` between the tile's UL corner and the first pixel of
    ``shape`` (a Region_Of_Interest window). NaN nodes (no detector) are filled with the mean of the
    finite ones first. Returns float32 (rows, cols) in degrees.
    """
    g = np.asarray(grid_deg, dtype=np.float64)
    if np.isnan(g).any():
        g = np.where(np.isnan(g), np.nanmean(g), g)
    rows, cols = shape
    r = (offset_px[0] + np.arange(rows) + 0.5) * pixel_m / step_m
    c = (offset_px[1] + np.arange(cols) + 0.5) * pixel_m / step_m
    out = np.empty(shape, dtype=np.float32)
    for start in range(0, rows, 1024):
        rr, cc = np.meshgrid(r[start : start + 1024], c, indexing="ij")
        out[start : start + 1024] = ndimage.map_coordinates(g, [rr, cc], order=1, mode="nearest")
    return out


def relative_azimuth_deg(sun_azimuth_deg: float, view_azimuth_deg: float) -> float:
    """|SAA - VAA| folded into [0, 180] (Sen2Cor / ATCOR convention, 180 = backscatter)."""
    phi = abs(float(sun_azimuth_deg) - float(view_azimuth_deg)) % 360.0
    return 360.0 - phi if phi > 180.0 else phi


def mean_view_geometry(
    mean_viewing: dict[str, tuple[float, float]], max_vza_deg: float = 12.0
) -> tuple[float, float]:
    """Tile-mean (VZA, VAA) in degrees over the bands' mean viewing angles; VZA clipped at 12 deg (2.8)."""
    zen = np.array([z for z, _ in mean_viewing.values()], dtype=np.float64)
    az = np.deg2rad([a for _, a in mean_viewing.values()])
    vaa = float(np.rad2deg(np.arctan2(np.sin(az).mean(), np.cos(az).mean())) % 360.0)
    return float(min(np.nanmean(zen), max_vza_deg)), vaa


def cells(
    shape: tuple[int, int], cell_rows: int = CELL_ROWS, cell_cols: int = CELL_COLS
) -> Iterator[tuple[slice, slice]]:
    """Processing cells (row slice, column slice) covering ``shape``."""
    for r0 in range(0, shape[0], cell_rows):
        for c0 in range(0, shape[1], cell_cols):
            yield slice(r0, min(r0 + cell_rows, shape[0])), slice(c0, min(c0 + cell_cols, shape[1]))
