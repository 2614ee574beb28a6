"""Sun and viewing geometry of a synthetic acquisition: solar position, MSI detectors, 5 km angle grids.

The MSI focal plane has 12 staggered detectors across a 290 km swath. The model here:
the ground track is a straight line through the orbit's nadir point with heading
``track_heading_deg`` (descending node: about 192 deg, i.e. south-south-west); a
ground point at signed across-track distance ``d`` (m, positive to the right of the
track, i.e. west for a descending pass) is seen at zenith ``atan(d / H)`` with H the
orbit altitude, from the azimuth of the satellite's side. Even/odd detectors look
slightly fore/aft (the stagger), which shifts their viewing azimuth by a few degrees,
as in real angle grids. Band-dependent focal-plane offsets shift zenith by < 0.1 deg.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np

from sen2cor.bands import BAND_IDS

ORBIT_ALTITUDE_M = 786000.0
SWATH_WIDTH_M = 290000.0
N_DETECTORS = 12
ANGLE_STEP_M = 5000.0
#: along-track look angle (deg) of odd/even detectors (stagger of the focal plane)
STAGGER_DEG = 0.9


def solar_position(when: datetime, lon_deg: np.ndarray, lat_deg: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Solar zenith and azimuth (deg, azimuth clockwise from north) at UTC ``when`` (NOAA formulae)."""
    when = when.astimezone(timezone.utc)
    day = (when - datetime(2000, 1, 1, 12, tzinfo=timezone.utc)).total_seconds() / 86400.0
    g = np.deg2rad((357.529 + 0.98560028 * day) % 360.0)
    q = (280.459 + 0.98564736 * day) % 360.0
    ecl_lon = np.deg2rad(q + 1.915 * np.sin(g) + 0.020 * np.sin(2 * g))
    eps = np.deg2rad(23.439 - 0.00000036 * day)
    decl = np.arcsin(np.sin(eps) * np.sin(ecl_lon))
    ra = np.arctan2(np.cos(eps) * np.sin(ecl_lon), np.cos(ecl_lon))
    gmst_h = (18.697374558 + 24.06570982441908 * day) % 24.0
    hour_angle = np.deg2rad(gmst_h * 15.0 + np.asarray(lon_deg)) - ra
    lat = np.deg2rad(np.asarray(lat_deg))
    cos_z = np.sin(lat) * np.sin(decl) + np.cos(lat) * np.cos(decl) * np.cos(hour_angle)
    zen = np.arccos(np.clip(cos_z, -1.0, 1.0))
    az = np.arctan2(-np.sin(hour_angle), np.tan(decl) * np.cos(lat) - np.sin(lat) * np.cos(hour_angle))
    return np.rad2deg(zen), np.rad2deg(az) % 360.0


@dataclass(frozen=True)
class ViewModel:
    """Straight ground track in the tile's UTM plane.

    Parameters
    ----------
    track_x_m, track_y_m : a point of the nadir track (UTM, m)
    heading_deg : direction of flight, clockwise from grid north (deg)
    """

    track_x_m: float
    track_y_m: float
    heading_deg: float = 192.0

    def across_track_m(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Signed distance (m) from the nadir track, positive to the right of the flight direction."""
        h = np.deg2rad(self.heading_deg)
        dx, dy = np.asarray(x_m) - self.track_x_m, np.asarray(y_m) - self.track_y_m
        return dx * np.cos(h) - dy * np.sin(h)

    def detector(self, x_m: np.ndarray, y_m: np.ndarray) -> np.ndarray:
        """Detector number 1..12 seeing each point, 0 outside the swath (uint8)."""
        d = self.across_track_m(x_m, y_m)
        # detector 1 is on the right of the flight direction (west for a descending pass)
        det = np.floor((SWATH_WIDTH_M / 2 - d) / (SWATH_WIDTH_M / N_DETECTORS)).astype(np.int64) + 1
        return np.where((det >= 1) & (det <= N_DETECTORS), det, 0).astype(np.uint8)

    def view_angles(self, x_m: np.ndarray, y_m: np.ndarray, band: str,
                    detector: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Viewing zenith and azimuth (deg) of each point for ``band`` (azimuth: ground -> satellite)."""
        d = self.across_track_m(x_m, y_m)
        det = self.detector(x_m, y_m) if detector is None else detector
        band_shift = 0.004 * BAND_IDS.index(band)
        along = np.where(det % 2 == 1, STAGGER_DEG, -STAGGER_DEG)
        tan_across = np.abs(d) / ORBIT_ALTITUDE_M
        tan_along = np.tan(np.deg2rad(along + band_shift))
        zen = np.rad2deg(np.arctan(np.hypot(tan_across, tan_along)))
        # horizontal direction from ground point to satellite: across component points to the track
        h = np.deg2rad(self.heading_deg)
        right = np.array([np.cos(h), -np.sin(h)])          # unit vector to the right of the track (x, y)
        fwd = np.array([np.sin(h), np.cos(h)])
        side = -np.sign(d)
        vx = side * tan_across * right[0] + tan_along * fwd[0]
        vy = side * tan_across * right[1] + tan_along * fwd[1]
        az = np.rad2deg(np.arctan2(vx, vy)) % 360.0
        return zen, az


def angle_grid_axes(ulx_m: float, uly_m: float, extent_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Easting and northing (m) of the 5 km angle-grid nodes covering a product of ``extent_m``."""
    n = int(np.ceil(extent_m / ANGLE_STEP_M)) + 1
    return ulx_m + ANGLE_STEP_M * np.arange(n), uly_m - ANGLE_STEP_M * np.arange(n)


@dataclass(frozen=True)
class AngleGrids:
    """Tile angle grids as written to MTD_TL.xml (deg; NaN outside a detector's footprint)."""

    sun_zenith: np.ndarray
    sun_azimuth: np.ndarray
    view_zenith: dict[tuple[str, int], np.ndarray]
    view_azimuth: dict[tuple[str, int], np.ndarray]
    mean_sun: tuple[float, float]
    mean_view: dict[str, tuple[float, float]]


def angle_grids(xs_m: np.ndarray, ys_m: np.ndarray, when: datetime, lonlat, view: ViewModel,
                footprint_margin_m: float = 5000.0) -> AngleGrids:
    """Compute the MTD_TL angle grids on nodes ``xs_m`` x ``ys_m`` (``lonlat``: callable x, y -> lon, lat)."""
    gx, gy = np.meshgrid(xs_m, ys_m)
    lon, lat = lonlat(gx, gy)
    sz, sa = solar_position(when, lon, lat)
    vz: dict[tuple[str, int], np.ndarray] = {}
    va: dict[tuple[str, int], np.ndarray] = {}
    mean_view: dict[str, tuple[float, float]] = {}
    d = view.across_track_m(gx, gy)
    width = SWATH_WIDTH_M / N_DETECTORS
    det_all = view.detector(gx, gy)
    for band in BAND_IDS:
        zen_b, az_b = [], []
        for det in range(1, N_DETECTORS + 1):
            # a detector's grid is defined a little beyond its footprint (overlap between detectors)
            centre = SWATH_WIDTH_M / 2 - (det - 0.5) * width
            inside = np.abs(d - centre) <= width / 2 + footprint_margin_m
            if not inside.any() or not (det_all == det).any():
                continue
            z, a = view.view_angles(gx, gy, band, detector=np.full(gx.shape, det))
            vz[(band, det)] = np.where(inside, z, np.nan)
            va[(band, det)] = np.where(inside, a, np.nan)
            zen_b.append(z[det_all == det])
            az_b.append(a[det_all == det])
        if zen_b:
            zz, aa = np.concatenate(zen_b), np.concatenate(az_b)
            mean_az = np.rad2deg(np.arctan2(np.sin(np.deg2rad(aa)).mean(), np.cos(np.deg2rad(aa)).mean())) % 360
            mean_view[band] = (float(zz.mean()), float(mean_az))
    mean_sun = (float(sz.mean()), float(sa.mean()))
    return AngleGrids(sz, sa, vz, va, mean_sun, mean_view)
