"""Physical ranges of the L1C metadata values the processing divides by or takes a log or an angle of.

Checked when the metadata are read, so that a damaged or hand-edited file fails at once with one line
naming file, element, value and the allowed range, instead of a division by zero, a NaN or an index
error deep in the processing (or, worse, a product with wrong values and exit code 0)::

    MTD_MSIL1C.xml: element .../QUANTIFICATION_VALUE = -10000.0 is out of range; allowed: a finite number > 0
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sen2cor.errors import ProductReadError


@dataclass(frozen=True)
class Range:
    """Allowed interval of a value (None: unbounded on that side); values must be finite."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    unit: str = ""

    def contains(self, values: np.ndarray | float) -> np.ndarray:
        """Element-wise: finite and inside the interval."""
        values = np.asarray(values, dtype=np.float64)
        ok = np.isfinite(values)
        with np.errstate(invalid="ignore"):
            if self.low is not None:
                ok &= values > self.low if self.low_open else values >= self.low
            if self.high is not None:
                ok &= values < self.high if self.high_open else values <= self.high
        return ok

    def describe(self) -> str:
        """"a finite number > 0", "a finite number from 0 to below 90 deg", ..."""
        unit = f" {self.unit}" if self.unit else ""
        if self.low is not None and self.high is not None:
            low = f"above {self.low:g}" if self.low_open else f"from {self.low:g}"
            high = f"to below {self.high:g}" if self.high_open else f"to {self.high:g}"
            return f"a finite number {low} {high}{unit}"
        if self.low is not None:
            return f"a finite number {'>' if self.low_open else '>='} {self.low:g}{unit}"
        if self.high is not None:
            return f"a finite number {'<' if self.high_open else '<='} {self.high:g}{unit}"
        return "a finite number"


POSITIVE = Range(0.0, None, low_open=True)
ZENITH_DEG = Range(0.0, 90.0, high_open=True, unit="deg")   # cos > 0: the sun / the satellite above the horizon
AZIMUTH_DEG = Range(0.0, 360.0, unit="deg")


def check_value(value: float, allowed: Range, file: Path, path: str) -> float:
    """``value`` when ``allowed`` contains it, else ProductReadError naming file, element, value, range."""
    if not bool(allowed.contains(value)):
        raise ProductReadError(f"{file}: element {path} = {value!r} is out of range; allowed: {allowed.describe()}")
    return value


def check_grid(grid: np.ndarray, allowed: Range, file: Path, path: str, *, nodata_nan: bool = False) -> np.ndarray:
    """``grid`` when every node lies in ``allowed`` (NaN nodes too when ``nodata_nan``: nodes no detector
    sees), else ProductReadError naming the first bad node (row, column) and its value."""
    ok = allowed.contains(grid)
    if nodata_nan:
        ok |= np.isnan(grid)
    if not ok.all():
        row, col = (int(i) for i in np.argwhere(~ok)[0])
        nan_note = " or NaN (no data)" if nodata_nan else " (NaN not allowed here)"
        raise ProductReadError(
            f"{file}: {path} node (row {row}, column {col}) = {float(grid[row, col])!r} is out of range; "
            f"allowed: {allowed.describe()}{nan_note} ({int((~ok).sum())} bad node(s))"
        )
    return grid
