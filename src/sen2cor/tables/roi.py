"""Region of interest (manual §2.4.2; L2A_GIPP Common_Section/Region_Of_Interest).

A ROI is kept in the 10 m frame of 10980 x 10980 pixels and snapped to the 60 m grid (whole
6 x 6 blocks), so that its 20 m and 60 m windows are exact: row0 // 2 and row0 // 6.

* manual: ``row0``/``col0`` give the MIDPOINT, ``nrow_win``/``ncol_win`` the size; all four
  must be divisible by 6 and the rectangle must lie inside the frame, else ConfigError. When
  the half size is not a multiple of 6 (e.g. nrow_win 1206) the window is widened outward to
  the 60 m grid (by 3 pixels on each side) — documented in docs/tables.md.
* AUTO: bounding box of the valid (non-background) pixels; full processing (None) when the
  valid fraction exceeds 85 % or no pixel is valid.
* OFF: full processing (None).
Outputs keep the full tile grid: :func:`embed` puts a ROI result into a no-data frame.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from sen2cor.errors import ConfigError

log = logging.getLogger(__name__)

FRAME_PX = 10980
GRID_STEP_PX = 6  # 60 m / 10 m
AUTO_FULL_FRACTION = 0.85


@dataclass(frozen=True)
class Roi:
    """Window of the 10 m frame: first row/col and size in 10 m pixels (multiples of 6)."""

    row0: int
    col0: int
    nrows: int
    ncols: int
    frame_px: int = FRAME_PX

    def __post_init__(self) -> None:
        values = (self.row0, self.col0, self.nrows, self.ncols)
        if any(v % GRID_STEP_PX for v in values):
            raise ConfigError(f"ROI {values} (10 m pixels) is not on the 60 m grid (multiples of 6)")
        if self.row0 < 0 or self.col0 < 0 or self.nrows <= 0 or self.ncols <= 0 or \
                self.row0 + self.nrows > self.frame_px or self.col0 + self.ncols > self.frame_px:
            raise ConfigError(f"ROI rows {self.row0}..{self.row0 + self.nrows}, cols "
                              f"{self.col0}..{self.col0 + self.ncols} is not inside the "
                              f"{self.frame_px} x {self.frame_px} frame")

    def _factor(self, resolution_m: int) -> int:
        if resolution_m not in (10, 20, 60):
            raise ValueError(f"resolution {resolution_m} m; expected 10, 20 or 60")
        return resolution_m // 10

    def window(self, resolution_m: int) -> tuple[slice, slice]:
        """Row and column slices of the ROI on the grid of ``resolution_m``."""
        f = self._factor(resolution_m)
        return (slice(self.row0 // f, (self.row0 + self.nrows) // f),
                slice(self.col0 // f, (self.col0 + self.ncols) // f))

    def area(self, resolution_m: int) -> tuple[int, int, int, int]:
        """(row0, col0, row1, col1) at ``resolution_m`` — glymur's ``area`` argument."""
        rows, cols = self.window(resolution_m)
        return rows.start, cols.start, rows.stop, cols.stop

    def shape(self, resolution_m: int) -> tuple[int, int]:
        rows, cols = self.window(resolution_m)
        return rows.stop - rows.start, cols.stop - cols.start

    @property
    def fraction(self) -> float:
        """Share of the frame covered (processing cost scales with it)."""
        return self.nrows * self.ncols / float(self.frame_px * self.frame_px)


def _parse_int(name: str, value: int | str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ConfigError(f"Region_Of_Interest/{name} = {value!r}; expected OFF, AUTO or an "
                          "integer divisible by 6") from None
    if number % GRID_STEP_PX:
        raise ConfigError(f"Region_Of_Interest/{name} = {number} is not divisible by 6 "
                          "(required to keep the 20 m and 60 m grids aligned)")
    return number


def manual_roi(row0: int | str, col0: int | str, nrow_win: int | str, ncol_win: int | str, *,
               frame_px: int = FRAME_PX) -> Roi:
    """ROI around the midpoint (row0, col0) of size nrow_win x ncol_win (10 m pixels)."""
    r0, c0 = _parse_int("row0", row0), _parse_int("col0", col0)
    nr, nc = _parse_int("nrow_win", nrow_win), _parse_int("ncol_win", ncol_win)
    if nr <= 0 or nc <= 0:
        raise ConfigError(f"Region_Of_Interest window {nr} x {nc}; expected positive sizes")
    top, left = r0 - nr // 2, c0 - nc // 2
    bottom, right = top + nr, left + nc
    if top < 0 or left < 0 or bottom > frame_px or right > frame_px:
        raise ConfigError(f"Region_Of_Interest centred at row0={r0}, col0={c0} with "
                          f"nrow_win={nr}, ncol_win={nc} spans rows {top}..{bottom}, cols "
                          f"{left}..{right}: outside the {frame_px} x {frame_px} frame")
    top, left = _floor6(top), _floor6(left)
    bottom, right = _ceil6(bottom), _ceil6(right)
    return Roi(top, left, bottom - top, right - left, frame_px)


def _floor6(v: int) -> int:
    return v - v % GRID_STEP_PX


def _ceil6(v: int) -> int:
    return -_floor6(-v)


def auto_roi(valid: np.ndarray, resolution_m: int, *, frame_px: int = FRAME_PX,
             full_fraction: float = AUTO_FULL_FRACTION) -> Roi | None:
    """Bounding box of ``valid`` pixels (a mask on the ``resolution_m`` grid), in 10 m
    pixels snapped outward to the 60 m grid; None (= full processing) when more than
    ``full_fraction`` of the pixels are valid or none is."""
    fraction = float(np.count_nonzero(valid)) / valid.size
    if fraction > full_fraction or fraction == 0.0:
        log.info("ROI AUTO: %.1f %% valid pixels, processing the full tile", 100 * fraction)
        return None
    rows = np.flatnonzero(valid.any(axis=1))
    cols = np.flatnonzero(valid.any(axis=0))
    f = resolution_m // 10
    top, left = _floor6(rows[0] * f), _floor6(cols[0] * f)
    bottom = min(_ceil6((rows[-1] + 1) * f), frame_px)
    right = min(_ceil6((cols[-1] + 1) * f), frame_px)
    roi = Roi(top, left, bottom - top, right - left, frame_px)
    log.info("ROI AUTO: %.1f %% valid pixels, window rows %d..%d cols %d..%d (10 m)",
             100 * fraction, top, bottom, left, right)
    return roi


def roi_from_config(row0: int | str, col0: int | str, nrow_win: int | str, ncol_win: int | str,
                    *, valid: np.ndarray | None = None, valid_resolution_m: int = 60,
                    frame_px: int = FRAME_PX) -> Roi | None:
    """Interpret the GIPP values: 'OFF' -> None, 'AUTO' -> :func:`auto_roi` on ``valid``
    (required then), numbers -> :func:`manual_roi`. nrow/ncol_win are ignored for OFF/AUTO."""
    mode = str(row0).strip().upper()
    if mode == "OFF":
        return None
    if mode == "AUTO":
        if valid is None:
            raise ValueError("Region_Of_Interest AUTO needs the valid-pixel mask")
        return auto_roi(valid, valid_resolution_m, frame_px=frame_px)
    return manual_roi(row0, col0, nrow_win, ncol_win, frame_px=frame_px)


def crop(image: np.ndarray, roi: Roi | None, resolution_m: int) -> np.ndarray:
    """View of the ROI window of a full-grid array (the array itself when ``roi`` is None)."""
    if roi is None:
        return image
    rows, cols = roi.window(resolution_m)
    return image[rows, cols]


def embed(window: np.ndarray, roi: Roi | None, resolution_m: int, *, fill=0) -> np.ndarray:
    """Full-grid array with ``window`` at the ROI position and ``fill`` (no data) elsewhere."""
    if roi is None:
        return window
    size = roi.frame_px // (resolution_m // 10)
    rows, cols = roi.window(resolution_m)
    out = np.full((size, size) + window.shape[2:], fill, dtype=window.dtype)
    out[rows, cols] = window
    return out


def roi_from_region(region, *, valid: np.ndarray | None = None, valid_resolution_m: int = 60,
                    frame_px: int = FRAME_PX) -> Roi | None:
    """:func:`roi_from_config` for an object with ``row0, col0, nrow_win, ncol_win`` (the
    config helper's ``RegionOfInterest``)."""
    return roi_from_config(region.row0, region.col0, region.nrow_win, region.ncol_win, valid=valid,
                           valid_resolution_m=valid_resolution_m, frame_px=frame_px)
