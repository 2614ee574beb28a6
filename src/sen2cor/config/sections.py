"""Frozen sections of the user GIPP, L2A_GIPP.xml (Common_Section, Scene_Classification, Atmospheric_Correction).

Field names carry units (``visibility_km``); GIPP keywords become Python values: TRUE/FALSE ->
bool, NONE -> None, AUTO (Nr_Threads) -> the CPU count. Checks the XSD cannot express raise
:class:`~sen2cor.errors.ConfigError` naming the GIPP element, the value and what is allowed.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Literal, Union

from sen2cor.bands import TILE_SIZE_PX
from sen2cor.errors import ConfigError

#: The Region_Of_Interest is always given in 10 m pixels of a full tile.
TILE_SIZE_10M_PX = TILE_SIZE_PX[10]
#: ROI values must be multiples of this so that the 20 m and 60 m windows are whole pixels.
ROI_DIVISOR = 6

RoiValue = Union[int, Literal["OFF", "AUTO"]]


@dataclass(frozen=True)
class RegionOfInterest:
    """Common_Section/Region_Of_Interest: window centre and size in 10 m pixels, or OFF / AUTO."""

    row0: RoiValue = "OFF"
    col0: RoiValue = "OFF"
    nrow_win: RoiValue = 1200
    ncol_win: RoiValue = 1200

    def __post_init__(self) -> None:
        for name in ("row0", "col0", "nrow_win", "ncol_win"):
            value = getattr(self, name)
            if isinstance(value, str):
                if value not in ("OFF", "AUTO"):
                    raise ConfigError(f"Region_Of_Interest/{name} = {value!r} is invalid; allowed: OFF, AUTO "
                                      f"or an integer from 0 to {TILE_SIZE_10M_PX}")
                continue
            if not 0 <= value <= TILE_SIZE_10M_PX or value % ROI_DIVISOR:
                raise ConfigError(f"Region_Of_Interest/{name} = {value} is invalid; allowed: OFF, AUTO or an "
                                  f"integer from 0 to {TILE_SIZE_10M_PX} divisible by {ROI_DIVISOR}")
        if self.mode == "MANUAL":
            self._check_manual_window()

    def _check_manual_window(self) -> None:
        for name in ("col0", "nrow_win", "ncol_win"):
            if isinstance(getattr(self, name), str):
                raise ConfigError(f"Region_Of_Interest/{name} = {getattr(self, name)!r} is invalid when row0 = "
                                  f"{self.row0}; allowed: an integer from 0 to {TILE_SIZE_10M_PX} divisible by 6")
        for centre, size, axis in (("row0", "nrow_win", "rows"), ("col0", "ncol_win", "columns")):
            c, n = getattr(self, centre), getattr(self, size)
            if n == 0 or c - n // 2 < 0 or c + n // 2 > TILE_SIZE_10M_PX:
                raise ConfigError(
                    f"Region_Of_Interest {centre} = {c}, {size} = {n}: the window ({axis} {c - n // 2} to "
                    f"{c + n // 2}) must be non-empty and lie inside 0..{TILE_SIZE_10M_PX}")

    @property
    def mode(self) -> Literal["OFF", "AUTO", "MANUAL"]:
        """OFF: whole tile; AUTO: bounding box of the data pixels; MANUAL: the configured window."""
        return self.row0 if isinstance(self.row0, str) else "MANUAL"

    def window_px(self, resolution_m: int = 10) -> tuple[int, int, int, int] | None:
        """(row_start, row_stop, col_start, col_stop) of a MANUAL window at ``resolution_m``, else None.

        Stops are exclusive; centre and size are divided by the resolution step first, so the window
        holds exactly ``nrow_win * 10 / resolution_m`` rows. Example: row0 = 5490, nrow_win = 1200 ->
        rows 4890..6090 at 10 m, 2445..3045 at 20 m, 815..1015 at 60 m.
        """
        if self.mode != "MANUAL":
            return None
        step = resolution_m // 10
        rows, cols = self.nrow_win // step, self.ncol_win // step
        row_start = self.row0 // step - rows // 2
        col_start = self.col0 // step - cols // 2
        return row_start, row_start + rows, col_start, col_start + cols


@dataclass(frozen=True)
class PsdScheme:
    """One Common_Section/PSD_Scheme entry: the metadata schema names of a PSD version."""

    psd_version: str
    psd_reference: str
    up_scheme_1c: str
    up_scheme_2a: str
    tile_scheme_1c: str
    tile_scheme_2a: str
    ds_scheme_1c: str
    ds_scheme_2a: str


@dataclass(frozen=True)
class CommonSection:
    """L2A_GIPP.xml Common_Section."""

    log_level: str = "INFO"
    region_of_interest: RegionOfInterest = RegionOfInterest()
    product_doi: str = "https://doi.org/10.5270/S2_-znk9xsj"
    nr_threads_setting: int | Literal["AUTO"] = "AUTO"   # Nr_Threads as written in the GIPP
    product_generator: str | None = None                 # NONE -> None (Toolbox mode)
    dem_directory: str | None = None                     # NONE -> None; relative to SEN2COR_HOME
    dem_reference: str | None = None                     # NONE -> None
    generate_dem_output: bool = False
    force_exit_on_dem_error: bool = True
    generate_tci_output: bool = True
    generate_ddv_output: bool = False
    handle_l1c_qlt_mask: bool = False
    downsample_20_to_60: bool = True
    psd_version: str | None = None                       # DEFAULT -> None
    psd_schemes: tuple[PsdScheme, ...] = ()
    gipp_scheme: str = "L2A_GIPP"
    sc_scheme: str = "L2A_CAL_SC_GIPP"
    ac_scheme: str = "L2A_CAL_AC_GIPP"
    pb_scheme: str = "L2A_PB_GIPP"
    qi_scheme: str = "L2A_QUALITY"

    def __post_init__(self) -> None:
        versions = [s.psd_version for s in self.psd_schemes]
        if len(set(versions)) != len(versions):
            raise ConfigError(f"Common_Section/PSD_Scheme: PSD_Version values must be unique, got {versions}")
        if self.psd_version is not None and self.psd_version not in versions:
            raise ConfigError(f"Common_Section/PSD_Version = {self.psd_version!r} has no PSD_Scheme entry; "
                              f"allowed: DEFAULT or one of {', '.join(versions)}")

    @property
    def nr_threads(self) -> int:
        """Threads for JPEG 2000 decoding: the GIPP number, or for AUTO the CPUs usable by this process.

        Sen2Cor takes ``psutil.cpu_count()`` for AUTO without a cap (the 1..8 limit of the schema
        applies to explicit values only); we count the CPUs this process may run on, which is the
        same number outside containers and CPU-pinned jobs.
        """
        if self.nr_threads_setting == "AUTO":
            return usable_cpu_count()
        return int(self.nr_threads_setting)

    def psd_scheme(self, psd_version: str) -> PsdScheme:
        """The PSD_Scheme entry of ``psd_version`` (e.g. "14.9")."""
        for scheme in self.psd_schemes:
            if scheme.psd_version == psd_version:
                return scheme
        raise ConfigError(f"Common_Section/PSD_Scheme: no entry with PSD_Version = {psd_version!r}; allowed: "
                          f"{', '.join(s.psd_version for s in self.psd_schemes)}")


def usable_cpu_count() -> int:
    """CPUs this process may use (scheduler affinity where the OS has it), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class AtmosphericCorrection:
    """L2A_GIPP.xml Atmospheric_Correction (Look_Up_Tables, Flags, Calibration)."""

    aerosol_type: str = "RURAL"          # RURAL | MARITIME | AUTO
    mid_latitude: str = "SUMMER"         # SUMMER | WINTER | AUTO
    ozone_content_du: int = 331          # 0 = closest table to the L1C ozone
    wv_correction: int = 1               # 0 none, 1 940 nm band
    vis_update_mode: int = 1             # 0 constant, 1 variable visibility
    wv_watermask: int = 1                # 0 keep, 1 land average, 2 line average
    cirrus_correction: bool = False
    dem_terrain_correction: bool = True
    brdf_correction: int = 0             # 0, 1, 2
    brdf_lower_bound: float = 0.22
    adj_km: float = 1.0
    visibility_km: float = 40.0
    altitude_km: float = 0.1
    smooth_wv_map_m: float = 100.0
    wv_threshold_cirrus_cm: float = 0.25
    database_compression_level: int = 0  # zlib level 0..9

    def __post_init__(self) -> None:
        if self.mid_latitude == "WINTER" and self.ozone_content_du in (331, 370, 410, 450):
            raise ConfigError(f"Ozone_Content = {self.ozone_content_du} has no mid-latitude winter table; "
                              "allowed with Mid_Latitude WINTER: 0, 250, 290, 330, 377, 420, 460")
        if self.mid_latitude == "SUMMER" and self.ozone_content_du in (330, 377, 420, 460):
            raise ConfigError(f"Ozone_Content = {self.ozone_content_du} has no mid-latitude summer table; "
                              "allowed with Mid_Latitude SUMMER: 0, 250, 290, 331, 370, 410, 450")


@dataclass(frozen=True)
class SceneClassificationFilters:
    """L2A_GIPP.xml Scene_Classification/Filters."""

    median_filter_px: int = 0            # median filter size on the SCL, 0 = off
