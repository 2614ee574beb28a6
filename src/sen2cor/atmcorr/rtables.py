"""Atmospheric functions tabulated for one geometry on the visibility-index grid, and per-pixel look-up.

Sen2Cor evaluates its LUTs per processing cell for the 183 visibility indices and the elevation
classes, then indexes the result per pixel (facts B.2, B.6).  :func:`tabulate` does the same
with any object following :class:`AtmosphereTable` (``sen2cor.atmcorr.lut.LutTable``): one
interpolation per cell on (elevation node, visibility index, water-vapour level); because the
LUT is linear between its nodes, linear interpolation between those nodes per pixel reproduces
the LUT's multilinear interpolation.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from sen2cor.atmcorr import visibility
from sen2cor.atmcorr.surface import adjacency_factor

log = logging.getLogger(__name__)

FIELDS = ("lp", "e0t", "edift", "s", "q", "t_dir")
#: LUT fields read (names of ``sen2cor.atmcorr.lut.AtmosphericFunctions``).
LUT_FIELDS = ("path_radiance", "e0t", "edift", "spherical_albedo", "t_up_dir", "t_up_dif")


class AtmosphereTable(Protocol):
    """What the correction needs from a LUT (``sen2cor.atmcorr.lut.LutTable`` satisfies it)."""

    kind: str                       # "atm" (Sen2Cor libRadtran, background albedo 0.15) or "6s"
    bands: tuple[str, ...]
    elevation_km: np.ndarray
    water_vapour_cm: np.ndarray

    def interpolate(self, sza_deg, vza_deg, raa_deg, elevation_km, visibility_km=None, water_vapour_cm=None, *,
                    aot550=None, bands=None, fields=None, e0_w_m2_um=None, visibility_axis="aot"):
        """Returns an object with path_radiance, e0t, edift, spherical_albedo, t_up_dir, t_up_dif
        arrays of shape (nbands, *broadcast query shape) in LUT units."""


@dataclass(frozen=True)
class RtTable:
    """Fields (nbands, n_elevation, n_visibility_index, n_water_vapour) for one geometry."""

    bands: tuple[str, ...]
    elevation_km: np.ndarray
    water_vapour_cm: np.ndarray
    cos_sza: float
    lp: np.ndarray          # path radiance, mW cm-2 sr-1 um-1
    e0t: np.ndarray         # mW cm-2 um-1
    edift: np.ndarray       # mW cm-2 um-1
    s: np.ndarray           # spherical albedo
    q: np.ndarray           # adjacency factor T_dif / T_dir (up)
    t_dir: np.ndarray       # direct ground-to-sensor transmittance

    def band(self, band: str) -> int:
        return self.bands.index(band)


def elevation_nodes(lut_nodes_km: np.ndarray, elevation_km: np.ndarray | float) -> np.ndarray:
    """LUT elevation nodes (extended by 0.5 km steps to 3.5 km) covering the scene's elevations."""
    z = np.asarray(elevation_km, dtype=np.float64)
    if z.ndim == 0 or z.size == 1 or float(np.nanmax(z)) == float(np.nanmin(z)):
        return np.array([float(np.clip(z.reshape(-1)[0], 0.0, 3.5))])
    nodes = np.asarray(lut_nodes_km, dtype=np.float64)
    step = nodes[-1] - nodes[-2]
    while nodes[-1] < 3.5 - 1e-9:
        nodes = np.append(nodes, nodes[-1] + step)
    lo, hi = float(np.clip(np.nanmin(z), 0, 3.5)), float(np.clip(np.nanmax(z), 0, 3.5))
    i0 = max(int(np.searchsorted(nodes, lo, side="right")) - 1, 0)
    i1 = min(int(np.searchsorted(nodes, hi, side="left")), nodes.size - 1)
    return nodes[i0:max(i1, i0 + 1) + 1]


def tabulate(lut: AtmosphereTable, bands: tuple[str, ...], sza_deg: float, vza_deg: float, raa_deg: float,
             e0_w_m2_um: np.ndarray, nodes_km: np.ndarray, water_vapour_cm: np.ndarray) -> RtTable:
    """Evaluate ``lut`` for ``bands`` on (nodes_km, 183 visibilities, water_vapour_cm)."""
    wv = np.asarray(water_vapour_cm, dtype=np.float64).reshape(-1)
    f = lut.interpolate(float(sza_deg), float(vza_deg), float(raa_deg), nodes_km[:, None, None],
                        visibility.VISEXT_KM[None, :, None], wv[None, None, :], bands=tuple(bands),
                        fields=LUT_FIELDS, e0_w_m2_um=np.asarray(e0_w_m2_um, dtype=np.float64))
    shape = (len(bands), nodes_km.size, visibility.N_VIS_INDEX, wv.size)
    b = {k: np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy() for k, v in (
        ("lp", f.path_radiance), ("e0t", f.e0t), ("edift", f.edift), ("s", f.spherical_albedo),
        ("t_dir", f.t_up_dir), ("t_dif", f.t_up_dif))}
    return RtTable(tuple(bands), nodes_km, wv, float(np.cos(np.deg2rad(sza_deg))), b["lp"], b["e0t"], b["edift"],
                   b["s"], adjacency_factor(b["t_dir"], b["t_dif"]), b["t_dir"])


def position(nodes: np.ndarray, values: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Lower node index and weight of ``values`` on ``nodes`` (clamped)."""
    values = np.asarray(values, dtype=np.float64)
    if nodes.size == 1:
        return np.zeros(values.shape, np.intp), np.zeros(values.shape)
    v = np.clip(values, nodes[0], nodes[-1])
    i0 = np.clip(np.searchsorted(nodes, v, side="right") - 1, 0, nodes.size - 2)
    return i0, (v - nodes[i0]) / (nodes[i0 + 1] - nodes[i0])


def lookup(table: RtTable, field: str, band: str, elevation_km: np.ndarray | float,
           vis_index: np.ndarray | int, water_vapour_cm: np.ndarray | float) -> np.ndarray:
    """One field of one band per pixel.

    Either ``vis_index`` is an array and ``water_vapour_cm`` a scalar (visibility-dependent
    bands), or the other way round (water-vapour-dependent bands, scene-mean visibility); both may
    be scalars.  Elevation is interpolated linearly between the table's nodes.
    """
    t = getattr(table, field)[table.band(band)]                 # (ne, nv, nu)
    iz, wz = position(table.elevation_km, elevation_km)
    if np.ndim(water_vapour_cm) == 0:
        iu, wu = position(table.water_vapour_cm, float(water_vapour_cm))
        iu1 = min(int(iu) + 1, t.shape[2] - 1)
        t2 = t[:, :, int(iu)] * (1 - float(wu)) + t[:, :, iu1] * float(wu)       # (ne, nv)
        vis = np.asarray(vis_index, dtype=np.intp)
        if table.elevation_km.size == 1:
            return t2[0][vis].astype(np.float32)
        iz1 = np.minimum(iz + 1, t2.shape[0] - 1)
        return (t2[iz, vis] * (1 - wz) + t2[iz1, vis] * wz).astype(np.float32)
    if np.ndim(vis_index) != 0:
        raise ValueError("lookup: per-pixel visibility and per-pixel water vapour at once is not supported")
    t2 = t[:, int(vis_index), :]                                  # (ne, nu)
    iu, wu = position(table.water_vapour_cm, water_vapour_cm)
    iu1 = np.minimum(iu + 1, t2.shape[1] - 1)
    if table.elevation_km.size == 1:
        return (t2[0][iu] * (1 - wu) + t2[0][iu1] * wu).astype(np.float32)
    iz1 = np.minimum(iz + 1, t2.shape[0] - 1)
    low = t2[iz, iu] * (1 - wu) + t2[iz, iu1] * wu
    high = t2[iz1, iu] * (1 - wu) + t2[iz1, iu1] * wu
    return (low * (1 - wz) + high * wz).astype(np.float32)
