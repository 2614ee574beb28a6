"""Atmospheric functions tabulated for one geometry on the visibility-index grid, and per-pixel look-up.

Sen2Cor evaluates its LUTs per processing cell for the 183 visibility indices and the 20 m
elevation classes, then indexes the result per pixel (facts B.2, B.5, B.6).  :func:`tabulate`
does the same with any object following :class:`AtmosphereTable` (``sen2cor.rtm.lut.LutTable``):
one interpolation per cell on (elevation node, visibility index, water-vapour level); the LUT is
linear between its nodes, so expanding linearly to 20 m classes (and 0.01 cm WV steps) and
indexing per pixel reproduces the LUT's multilinear interpolation at the class centres. Along water vapour
the functions follow Sen2Cor's exp(alpha + beta sqrt(u)) between the levels (facts B.9; Sen2Cor fits it by
least squares on the three levels around the scene mean, here through the two levels around each value,
which keeps the table's values at its levels).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from sen2cor.atmcorr import visibility
from sen2cor.atmcorr.surface import adjacency_factor
from sen2cor.rtm.lut import wv_blend

log = logging.getLogger(__name__)

FIELDS = ("lp", "e0t", "edift", "s", "q", "t_dir")
#: Elevation class width (km; Sen2Cor's 20 m classes) and water-vapour step (cm) of the per-pixel look-up.
ELEVATION_CLASS_KM = 0.02
WV_STEP_CM = 0.01
#: LUT fields read (names of ``sen2cor.rtm.lut.AtmosphericFunctions``).
LUT_FIELDS = ("path_radiance", "e0t", "edift", "spherical_albedo", "t_up_dir", "t_up_dif")


class AtmosphereTable(Protocol):
    """What the correction needs from a LUT (``sen2cor.rtm.lut.LutTable`` satisfies it)."""

    kind: str  # "atm" (Sen2Cor's libRadtran tables) or "6s" (the project's, corrected or not)
    bands: tuple[str, ...]
    elevation_km: np.ndarray
    water_vapour_cm: np.ndarray

    def interpolate(
        self,
        sza_deg,
        vza_deg,
        raa_deg,
        elevation_km,
        visibility_km=None,
        water_vapour_cm=None,
        *,
        aot550=None,
        bands=None,
        fields=None,
        e0_w_m2_um=None,
        visibility_axis="aot",
    ):
        """Returns an object with path_radiance, e0t, edift, spherical_albedo, t_up_dir, t_up_dif
        arrays of shape (nbands, *broadcast query shape) in LUT units."""


@dataclass(frozen=True)
class RtTable:
    """Fields (nbands, n_elevation, n_visibility_index, n_water_vapour) for one geometry."""

    bands: tuple[str, ...]
    elevation_km: np.ndarray
    water_vapour_cm: np.ndarray
    cos_sza: float
    lp: np.ndarray  # path radiance, mW cm-2 sr-1 um-1
    e0t: np.ndarray  # mW cm-2 um-1
    edift: np.ndarray  # mW cm-2 um-1
    s: np.ndarray  # spherical albedo
    q: np.ndarray  # adjacency factor T_dif / T_dir (up)
    t_dir: np.ndarray  # direct ground-to-sensor transmittance
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def band(self, band: str) -> int:
        return self.bands.index(band)


#: Elevation step of Sen2Cor's LUT grid (manual Table 2-2), km.
ELEVATION_STEP_KM = 0.5


def elevation_nodes(lut_nodes_km: np.ndarray, elevation_km: np.ndarray | float) -> np.ndarray:
    """LUT elevation nodes (extended by 0.5 km steps to 3.5 km) covering the scene's elevations."""
    z = np.asarray(elevation_km)   # no float64 copy of a per-pixel map: min and max are exact in float32
    if z.ndim == 0 or z.size == 1 or float(np.nanmax(z)) == float(np.nanmin(z)):
        return np.array([float(np.clip(z.reshape(-1)[0], 0.0, 3.5))])
    nodes = np.asarray(lut_nodes_km, dtype=np.float64)
    step = nodes[-1] - nodes[-2] if nodes.size > 1 else ELEVATION_STEP_KM   # a one-level table: Sen2Cor's step
    while nodes[-1] < 3.5 - 1e-9:
        nodes = np.append(nodes, nodes[-1] + step)
    lo, hi = float(np.clip(np.nanmin(z), 0, 3.5)), float(np.clip(np.nanmax(z), 0, 3.5))
    i0 = max(int(np.searchsorted(nodes, lo, side="right")) - 1, 0)
    i1 = min(int(np.searchsorted(nodes, hi, side="left")), nodes.size - 1)
    return nodes[i0 : max(i1, i0 + 1) + 1]


def tabulate(
    lut: AtmosphereTable,
    bands: tuple[str, ...],
    sza_deg: float,
    vza_deg: float,
    raa_deg: float,
    e0_w_m2_um: np.ndarray,
    nodes_km: np.ndarray,
    water_vapour_cm: np.ndarray,
) -> RtTable:
    """Evaluate ``lut`` for ``bands`` on (nodes_km, 183 visibilities, water_vapour_cm)."""
    wv = np.asarray(water_vapour_cm, dtype=np.float64).reshape(-1)
    f = lut.interpolate(
        float(sza_deg),
        float(vza_deg),
        float(raa_deg),
        nodes_km[:, None, None],
        visibility.VISEXT_KM[None, :, None],
        wv[None, None, :],
        bands=tuple(bands),
        fields=LUT_FIELDS,
        e0_w_m2_um=np.asarray(e0_w_m2_um, dtype=np.float64),
    )
    shape = (len(bands), nodes_km.size, visibility.N_VIS_INDEX, wv.size)
    b = {
        k: np.broadcast_to(np.asarray(v, dtype=np.float64), shape).copy()
        for k, v in (
            ("lp", f.path_radiance),
            ("e0t", f.e0t),
            ("edift", f.edift),
            ("s", f.spherical_albedo),
            ("t_dir", f.t_up_dir),
            ("t_dif", f.t_up_dif),
        )
    }
    return RtTable(
        tuple(bands),
        nodes_km,
        wv,
        float(np.cos(np.deg2rad(sza_deg))),
        b["lp"],
        b["e0t"],
        b["edift"],
        b["s"],
        adjacency_factor(b["t_dir"], b["t_dif"]),
        b["t_dir"],
    )


def position(nodes: np.ndarray, values: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Lower node index and weight of ``values`` on ``nodes`` (clamped)."""
    values = np.asarray(values, dtype=np.float64)
    if nodes.size == 1:
        return np.zeros(values.shape, np.intp), np.zeros(values.shape)
    v = np.clip(values, nodes[0], nodes[-1])
    i0 = np.clip(np.searchsorted(nodes, v, side="right") - 1, 0, nodes.size - 2)
    return i0, (v - nodes[i0]) / (nodes[i0 + 1] - nodes[i0])


def n_classes(nodes_km: np.ndarray) -> int:
    """Number of 20 m elevation classes between the first and last node."""
    return int(round((nodes_km[-1] - nodes_km[0]) / ELEVATION_CLASS_KM)) + 1


def elevation_class(nodes_km: np.ndarray, elevation_km: np.ndarray | float) -> np.ndarray:
    """Index of the 20 m elevation class (Sen2Cor's elevation grid, facts B.5) on a table's node range."""
    if nodes_km.size == 1:
        return np.zeros(np.shape(elevation_km), np.int16)
    k = np.rint(
        (np.asarray(elevation_km, dtype=np.float32) - np.float32(nodes_km[0]))
        / np.float32(ELEVATION_CLASS_KM)
    )
    return np.clip(k, 0, n_classes(nodes_km) - 1).astype(np.int16)


def wv_class(water_vapour_cm: np.ndarray) -> np.ndarray:
    """Index of the 0.01 cm water-vapour step (int16)."""
    return np.clip(
        np.rint(np.asarray(water_vapour_cm, dtype=np.float32) / np.float32(WV_STEP_CM)), 0, 32000
    ).astype(np.int16)


def _class_field(table: RtTable, field: str, band: str) -> np.ndarray:
    """(n_classes, nv, nu) float32: the field linearly expanded from the nodes to 20 m classes."""
    key = ("class", field, band)
    if key not in table.cache:
        t = getattr(table, field)[table.band(band)]
        nodes = table.elevation_km
        if nodes.size == 1:
            table.cache[key] = t.astype(np.float32)
        else:
            z = nodes[0] + ELEVATION_CLASS_KM * np.arange(n_classes(nodes))
            i0, w = position(nodes, z)
            i1 = np.minimum(i0 + 1, nodes.size - 1)
            table.cache[key] = (t[i0] * (1 - w)[:, None, None] + t[i1] * w[:, None, None]).astype(np.float32)
    return table.cache[key]


def wv_position(levels: np.ndarray, water_vapour_cm: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Lower level index and weight in sqrt(u) of water vapour on the table's levels (clamped), for
    :func:`sen2cor.rtm.lut.wv_blend`: Sen2Cor's exp(alpha + beta sqrt(u)) model (facts B.9)."""
    return position(np.sqrt(levels), np.sqrt(np.maximum(np.asarray(water_vapour_cm, dtype=np.float64), 0.0)))


def _wv_field(table: RtTable, field: str, band: str, vis_index: int) -> np.ndarray:
    """(n_classes, n_wv_steps) float32 at one visibility index, exp(alpha + beta sqrt(u)) between the levels."""
    key = ("wv", field, band, vis_index)
    if key not in table.cache:
        t = _class_field(table, field, band)[:, vis_index, :]
        levels = table.water_vapour_cm
        fine = WV_STEP_CM * np.arange(int(round(levels[-1] / WV_STEP_CM)) + 1)
        i0, w = wv_position(levels, fine)
        i1 = np.minimum(i0 + 1, levels.size - 1)
        table.cache[key] = wv_blend(t[:, i0], t[:, i1], w).astype(np.float32)
    return table.cache[key]


def field_table(
    table: RtTable,
    field: str,
    band: str,
    *,
    vis_index: int | None = None,
    water_vapour_cm: float | None = None,
) -> np.ndarray:
    """2-D table of one field: (20 m class, visibility index) at a scalar water vapour, or
    (20 m class, 0.01 cm WV step) at a scalar visibility index.  Index it with the arrays of
    :func:`elevation_class` and the visibility map / :func:`wv_class`."""
    if water_vapour_cm is not None:
        key = ("vis", field, band, float(water_vapour_cm))
        if key not in table.cache:
            t = _class_field(table, field, band)
            iu, wu = wv_position(table.water_vapour_cm, float(water_vapour_cm))
            iu1 = min(int(iu) + 1, t.shape[2] - 1)
            table.cache[key] = wv_blend(t[:, :, int(iu)], t[:, :, iu1], float(wu)).astype(np.float32)  # (ncls, nv)
        return table.cache[key]
    return _wv_field(table, field, band, int(vis_index))


def lookup(
    table: RtTable,
    field: str,
    band: str,
    elevation,
    vis_index: np.ndarray | int,
    water_vapour_cm: np.ndarray | float,
) -> np.ndarray:
    """One field of one band per pixel (float32, or a float for scalar queries).

    ``elevation``: km (float or float array) or the integer class index of :func:`elevation_class`
    (fast path, computed once per image).  Either ``vis_index`` is an array and ``water_vapour_cm``
    a scalar (visibility-dependent bands), or the other way round (water-vapour-dependent bands at
    the scene-mean visibility); ``water_vapour_cm`` may be the integer index of :func:`wv_class`.
    """
    elevation = np.asarray(elevation)
    eidx = elevation if elevation.dtype.kind in "iu" else elevation_class(table.elevation_km, elevation)
    if np.ndim(water_vapour_cm) == 0:
        t = field_table(table, field, band, water_vapour_cm=float(water_vapour_cm))
        return t[eidx, vis_index]
    if np.ndim(vis_index) != 0:
        raise ValueError("lookup: per-pixel visibility and per-pixel water vapour at once is not supported")
    wv = np.asarray(water_vapour_cm)
    widx = wv if wv.dtype.kind in "iu" else wv_class(wv)
    t = _wv_field(table, field, band, int(vis_index))
    return t[eidx, np.minimum(widx, t.shape[1] - 1)]
