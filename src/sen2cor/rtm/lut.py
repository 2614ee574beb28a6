"""Radiative-transfer look-up tables: loading and vectorised multilinear interpolation.

One :class:`LutTable` holds, per band, the atmospheric functions on Sen2Cor's grid
(sun zenith, view zenith, relative azimuth, elevation, visibility, water vapour) for one
spacecraft / season / aerosol / ozone selection.  Two sources fill it:

* ``source="6s"`` (default): the project's 6S spectral tables in ``luts/``, integrated over each
  band with the product's SRF (or the packaged one) and cached on disk;
* ``source="atm"``: Sen2Cor's own ``.atm`` files from a directory (``atm_reader``).

:meth:`LutTable.interpolate` returns :class:`AtmosphericFunctions` with the same fields for
both.  Units: reflectances and transmittances unitless, radiance mW cm-2 sr-1 um-1,
irradiance mW cm-2 um-1 (Sen2Cor's LUT units), solar irradiance W m-2 um-1.
Transmittances include gas absorption along their path (``gas_transmittance`` is the two-way
gas factor they contain, for information).  Forward model for a uniform Lambertian surface:

    rho_toa = path_reflectance + T_down * T_up * rho / (1 - spherical_albedo * rho)
    T_down = t_down_dir + t_down_dif,  T_up = t_up_dir + t_up_dif
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from itertools import product as corners

import numpy as np

from sen2cor.rtm import grid
from sen2cor.errors import LutError

log = logging.getLogger(__name__)

AXES = ("sza_deg", "vza_deg", "raa_deg", "elevation_km", "visibility_km", "water_vapour_cm")
NATIVE_6S = ("path_reflectance", "t_down_dir", "t_down_dif", "t_up_dir", "t_up_dif",
             "spherical_albedo", "gas_transmittance", "gas_transmittance_down")
NATIVE_ATM = ("path_radiance", "edift", "e0t", "t_up_dir", "t_up_dif", "spherical_albedo")
#: Highest elevation reached by linear extrapolation of the last LUT segment (Sen2Cor: 3.5 km).
MAX_ELEVATION_KM = 3.5


FIELDS = ("path_reflectance", "path_radiance", "t_down_dir", "t_down_dif", "t_up_dir", "t_up_dif",
          "spherical_albedo", "gas_transmittance", "e0t", "edift")
#: Fields proportional to E0 (6S tables, native reflectances) or to 1/E0 (.atm, native radiances).
E0_FIELDS = {"6s": ("path_radiance", "e0t", "edift"),
              "atm": ("path_reflectance", "t_down_dir", "t_down_dif")}


@dataclass(frozen=True)
class AtmosphericFunctions:
    """Per-band atmospheric functions; arrays of shape (nbands, *query_shape), None if not requested."""

    bands: tuple[str, ...]
    solar_irradiance: np.ndarray                  # W m-2 um-1, (nbands, 1, ...) broadcastable
    path_reflectance: np.ndarray | None = None
    path_radiance: np.ndarray | None = None       # mW cm-2 sr-1 um-1
    t_down_dir: np.ndarray | None = None
    t_down_dif: np.ndarray | None = None
    t_up_dir: np.ndarray | None = None
    t_up_dif: np.ndarray | None = None
    spherical_albedo: np.ndarray | None = None
    gas_transmittance: np.ndarray | None = None   # two-way, already inside the t_* (NaN for .atm)
    e0t: np.ndarray | None = None                 # Sen2Cor E0t: E0 * T_sun * T_up, mW cm-2 um-1
    edift: np.ndarray | None = None               # Sen2Cor Edift: diffuse irradiance * T_up, mW cm-2 um-1

    def toa_reflectance(self, surface_reflectance: np.ndarray) -> np.ndarray:
        """TOA reflectance of a uniform Lambertian surface of reflectance ``surface_reflectance``."""
        t = (self.t_down_dir + self.t_down_dif) * (self.t_up_dir + self.t_up_dif)
        rho = np.asarray(surface_reflectance)
        return self.path_reflectance + t * rho / (1.0 - self.spherical_albedo * rho)

    def surface_reflectance(self, toa_reflectance: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`toa_reflectance` (uniform surface, no adjacency)."""
        t = (self.t_down_dir + self.t_down_dif) * (self.t_up_dir + self.t_up_dif)
        y = np.asarray(toa_reflectance) - self.path_reflectance
        return y / (t + self.spherical_albedo * y)


@dataclass(frozen=True)
class LutTable:
    """Atmospheric functions on a regular grid.

    ``values[field]`` has shape (nbands, nsza, nvza, nraa, nelevation, nvisibility, nwater_vapour)
    for every name in FIELDS (build with :meth:`from_native`).  ``kind`` is "6s" or "atm".
    """

    kind: str
    bands: tuple[str, ...]
    sza_deg: np.ndarray
    vza_deg: np.ndarray
    raa_deg: np.ndarray
    elevation_km: np.ndarray
    visibility_km: np.ndarray
    water_vapour_cm: np.ndarray
    values: dict[str, np.ndarray]
    solar_irradiance_w_m2_um: np.ndarray          # (nbands,)
    description: dict = field(default_factory=dict)

    @classmethod
    def from_native(cls, kind: str, native: dict[str, np.ndarray], **axes) -> "LutTable":
        """Derive all FIELDS at the nodes from the source's own quantities (NATIVE_6S / NATIVE_ATM)."""
        mu_s = np.cos(np.deg2rad(axes["sza_deg"]))[:, None, None, None, None, None]
        mu_v = np.cos(np.deg2rad(axes["vza_deg"]))[None, :, None, None, None, None]
        e0 = np.asarray(axes["solar_irradiance_w_m2_um"], dtype=np.float64).reshape(-1, 1, 1, 1, 1, 1, 1)
        complete = _complete_6s if kind == "6s" else _complete_atm
        derived = complete({k: np.asarray(v, dtype=np.float64) for k, v in native.items()}, mu_s, mu_v, e0)
        values = {k: np.ascontiguousarray(np.broadcast_to(derived[k], native["spherical_albedo"].shape),
                                          dtype=np.float32) for k in FIELDS}
        return cls(kind=kind, values=values, **axes)

    def interpolate(self, sza_deg, vza_deg, raa_deg, elevation_km, visibility_km=None, water_vapour_cm=None,
                    *,
                    aot550=None, bands: tuple[str, ...] | None = None, fields: tuple[str, ...] = FIELDS,
                    e0_w_m2_um=None, visibility_axis: str = "aot") -> AtmosphericFunctions:
        """Multilinear interpolation at broadcastable query arrays (degrees, km, cm).

        Give ``visibility_km`` or ``aot550`` (AOT at the query elevation, converted with
        Sen2Cor's relation).  ``water_vapour_cm`` is the sea-level column (None: the grid's
        middle level), interpolated as exp(alpha + beta sqrt(u)) between the two bracketing levels
        (:func:`wv_blend`, Sen2Cor's model of the functions of water vapour, facts B.9).  Scalar
        queries are contracted first (cheap: the usual per-cell geometry), array queries by 2**k
        corner weights.  Queries are clamped to the grid as
        Sen2Cor does, except elevation, extrapolated linearly up to 3.5 km.
        ``visibility_axis="aot"`` interpolates linearly in sea-level AOT550 (close to Sen2Cor's
        optical-depth re-mapping), ``"km"`` linearly in visibility.  ``e0_w_m2_um`` (nbands,)
        replaces the table's solar irradiance (e.g. the product's SOLAR_IRRADIANCE) in the
        radiance <-> reflectance conversions.  Only ``fields`` are computed.
        """
        table = self if bands is None else self.select_bands(bands)
        queries = table._queries(sza_deg, vza_deg, raa_deg, elevation_km, visibility_km, water_vapour_cm,
                                 aot550)
        out = table._interpolate_values(queries, visibility_axis, fields)
        shape = np.broadcast_shapes(*(q.shape for q in queries))
        e0, scale = table._e0_scale(e0_w_m2_um, len(shape))
        for k in E0_FIELDS[table.kind]:
            if k in out:
                out[k] = out[k] * (scale if table.kind == "6s" else 1.0 / scale)
        full = (len(table.bands),) + shape
        return AtmosphericFunctions(bands=table.bands, solar_irradiance=e0,
                                    **{k: np.broadcast_to(v, full) for k, v in out.items()})

    def at_geometry(self, sza_deg: float, vza_deg: float, raa_deg: float) -> "LutTable":
        """The table contracted to one geometry (singleton angle axes), e.g. one processing cell."""
        queries = self._queries(sza_deg, vza_deg, raa_deg, 0.0, 0.0, 0.0, None)[:3]
        values = dict(self.values)
        for axis in (2, 1, 0):
            i0, frac = _segment(getattr(self, AXES[axis]).astype(np.float64), queries[axis])
            values = {k: contract_axis(v, axis + 1, int(i0), float(frac)) for k, v in values.items()}
        values = {k: v[:, None, None, None].astype(np.float32) for k, v in values.items()}
        return replace(self, sza_deg=queries[0].reshape(1), vza_deg=queries[1].reshape(1),
                       raa_deg=queries[2].reshape(1), values=values)

    def select_bands(self, bands: tuple[str, ...]) -> "LutTable":
        """The same table restricted to ``bands`` (in that order)."""
        missing = [b for b in bands if b not in self.bands]
        if missing:
            raise LutError(f"bands {missing} not in the LUT (has {', '.join(self.bands)})")
        idx = [self.bands.index(b) for b in bands]
        return replace(self, bands=tuple(bands), values={k: v[idx] for k, v in self.values.items()},
                       solar_irradiance_w_m2_um=self.solar_irradiance_w_m2_um[idx])

    def _queries(self, sza, vza, raa, elevation, visibility, water_vapour, aot550) -> list[np.ndarray]:
        if visibility is None:
            if aot550 is None:
                raise LutError("interpolate needs visibility_km or aot550")
            visibility = grid.aot550_to_visibility(aot550, np.clip(elevation, 0.0, MAX_ELEVATION_KM))
        if water_vapour is None:
            water_vapour = self.water_vapour_cm[len(self.water_vapour_cm) // 2]
        raa = np.abs(np.asarray(raa, dtype=np.float64)) % 360.0        # |SAA - VAA| folded into [0, 180]
        raa = np.where(raa > 180.0, 360.0 - raa, raa)
        return [np.asarray(q, dtype=np.float64) for q in (sza, vza, raa, elevation, visibility, water_vapour)]

    def _e0_scale(self, e0_w_m2_um, ndim: int) -> tuple[np.ndarray, np.ndarray]:
        e0 = self.solar_irradiance_w_m2_um if e0_w_m2_um is None else np.asarray(e0_w_m2_um, dtype=np.float64)
        e0 = e0.reshape((-1,) + (1,) * ndim)
        return e0, e0 / self.solar_irradiance_w_m2_um.reshape(e0.shape)

    def _coordinates(self, axis: int, visibility_axis: str) -> np.ndarray:
        nodes = getattr(self, AXES[axis]).astype(np.float64)
        if axis == 4 and visibility_axis == "aot":
            return -grid.visibility_to_aot550(nodes, 0.0)     # negated: ascending with visibility
        if axis == WV_AXIS:
            return np.sqrt(nodes)                              # exp(alpha + beta sqrt(u)): see wv_blend
        return nodes

    def _positions(self, queries: list[np.ndarray], visibility_axis: str) -> list[tuple[np.ndarray, ...]]:
        positions = []
        for axis, q in enumerate(queries):
            coords = self._coordinates(axis, visibility_axis)
            if axis == 4 and visibility_axis == "aot":
                q = -grid.visibility_to_aot550(np.clip(q, self.visibility_km[0], self.visibility_km[-1]), 0.0)
            if axis == WV_AXIS:
                q = np.sqrt(np.maximum(q, 0.0))
            positions.append(_segment(coords, q, extrapolate_to=MAX_ELEVATION_KM if axis == 3 else None))
        return positions

    def _interpolate_values(self, queries, visibility_axis: str, fields) -> dict[str, np.ndarray]:
        """Multilinear over the first five axes at the two bracketing water-vapour levels, then
        :func:`wv_blend` between them."""
        arrays = {k: self.values[k] for k in fields}
        positions = self._positions(queries, visibility_axis)
        # Scalar queries (and single-level axes) of the first five axes: contract those axes first.
        array_axes = []
        for axis in reversed(range(WV_AXIS)):
            i0, frac = positions[axis]
            if getattr(self, AXES[axis]).size == 1:
                arrays = {k: np.take(v, 0, axis=axis + 1) for k, v in arrays.items()}
            elif i0.ndim == 0:
                arrays = {k: contract_axis(v, axis + 1, int(i0), float(frac)) for k, v in arrays.items()}
            else:
                array_axes.insert(0, axis)
        i_wv, t_wv = positions[WV_AXIS]
        levels = (i_wv,) if self.water_vapour_cm.size == 1 else (i_wv, i_wv + 1)
        idx = [positions[a][0] for a in array_axes]
        frac = [positions[a][1] for a in array_axes]
        shape = np.broadcast_shapes(*(i.shape for i in idx), np.shape(i_wv))
        at_level = []
        for level in levels:
            out = {k: np.zeros((v.shape[0],) + shape) for k, v in arrays.items()}
            for corner in corners((0, 1), repeat=len(array_axes)):
                weight = np.ones(shape)
                index = []
                for c, i, f in zip(corner, idx, frac):
                    weight = weight * (f if c else 1.0 - f)
                    index.append(i + c)
                for k, v in arrays.items():
                    out[k] += v[(slice(None), *index, level)] * weight
            at_level.append(out)
        if len(at_level) == 1:
            return at_level[0]
        return {k: wv_blend(at_level[0][k], at_level[1][k], t_wv) for k in arrays}


WV_AXIS = AXES.index("water_vapour_cm")


def wv_blend(lower: np.ndarray, upper: np.ndarray, weight) -> np.ndarray:
    """Value between two water-vapour levels u0 < u1 as Sen2Cor models the functions of water vapour,
    F(u) = exp(alpha + beta sqrt(u)) (facts B.9), through the two levels: ``weight`` is
    (sqrt(u) - sqrt(u0)) / (sqrt(u1) - sqrt(u0)). Linear where a value is not positive."""
    lower, upper = np.asarray(lower, dtype=np.float64), np.asarray(upper, dtype=np.float64)
    w = np.asarray(weight, dtype=np.float64)
    positive = (lower > 0) & (upper > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        geometric = np.exp(np.log(np.where(positive, lower, 1.0)) * (1.0 - w)
                           + np.log(np.where(positive, upper, 1.0)) * w)
    return np.where(positive, geometric, lower * (1.0 - w) + upper * w)


def _segment(nodes: np.ndarray, x: np.ndarray,
             extrapolate_to: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Lower node index and fraction (0..1, or >1 when extrapolating) of ``x`` on ``nodes``."""
    if nodes.size == 1:
        return np.zeros(np.shape(x), dtype=np.intp), np.zeros(np.shape(x))
    upper = nodes[-1] if extrapolate_to is None else max(extrapolate_to, nodes[-1])
    xc = np.clip(x, nodes[0], upper)
    position = np.interp(xc, nodes, np.arange(nodes.size, dtype=np.float64))    # fractional node index
    if upper > nodes[-1]:
        beyond = (xc - nodes[-1]) / (nodes[-1] - nodes[-2])
        position = np.where(beyond > 0, nodes.size - 1 + beyond, position)
    i0 = np.minimum(position.astype(np.intp), nodes.size - 2)
    frac = position - i0
    return i0, frac


def contract_axis(values: np.ndarray, axis: int, i0: int, frac: float, water_vapour: bool = False) -> np.ndarray:
    """Linear combination of two neighbouring slices along ``axis`` (drops the axis); ``water_vapour``:
    :func:`wv_blend` instead (``frac`` in sqrt(u))."""
    lo = np.take(values, i0, axis=axis)
    if values.shape[axis] == 1 or frac == 0.0:
        return lo
    hi = np.take(values, i0 + 1, axis=axis)
    return wv_blend(lo, hi, frac) if water_vapour else lo * (1.0 - frac) + hi * frac


def _split_gas(tg: np.ndarray, tg_down: np.ndarray | None, mu_s, mu_v) -> tuple[np.ndarray, np.ndarray]:
    """Two-way gas transmittance -> (sun path, view path): the sun path's own band value (``gas_paths``), the
    view path the rest, so that down x up is the two-way value (in B09 the rest exceeds a one-way upward
    value: the absorption lines saturate, docs/luts.md). Tables without the sun path's value (hand-made
    ones) split the two-way value by air masses."""
    if tg_down is None:
        m_s, m_v = 1.0 / mu_s, 1.0 / mu_v
        tg_down = np.power(np.maximum(tg, 1e-12), m_s / (m_s + m_v))
    down = np.clip(tg_down, 1e-12, 1.0)
    return down, tg / down


def _complete_6s(v: dict, mu_s, mu_v, e0) -> dict[str, np.ndarray]:
    """6S quantities (scattering transmittances, two-way and downward gas) -> all FIELDS."""
    tg_down, tg_up = _split_gas(v["gas_transmittance"], v.get("gas_transmittance_down"), mu_s, mu_v)
    t_dd, t_df = v["t_down_dir"] * tg_down, v["t_down_dif"] * tg_down
    t_ud, t_uf = v["t_up_dir"] * tg_up, v["t_up_dif"] * tg_up
    e0_lut = e0 / 10.0                       # W m-2 um-1 -> mW cm-2 um-1
    return {"path_reflectance": v["path_reflectance"],
            "path_radiance": v["path_reflectance"] * e0_lut * mu_s / np.pi,
            "t_down_dir": t_dd, "t_down_dif": t_df, "t_up_dir": t_ud, "t_up_dif": t_uf,
            "spherical_albedo": v["spherical_albedo"], "gas_transmittance": v["gas_transmittance"],
            "e0t": e0_lut * t_dd * (t_ud + t_uf), "edift": e0_lut * mu_s * t_df * (t_ud + t_uf)}


def _complete_atm(v: dict, mu_s, mu_v, e0) -> dict[str, np.ndarray]:
    """Sen2Cor quantities (Lp, E0t, Edift, Tdir, Tdif, S) -> all FIELDS (gas inside the t_*)."""
    e0_lut = e0 / 10.0
    t_up = np.maximum(v["t_up_dir"] + v["t_up_dif"], 1e-6)
    return {"path_reflectance": np.pi * v["path_radiance"] / (e0_lut * mu_s),
            "path_radiance": v["path_radiance"],
            "t_down_dir": v["e0t"] / (e0_lut * t_up), "t_down_dif": v["edift"] / (e0_lut * mu_s * t_up),
            "t_up_dir": v["t_up_dir"], "t_up_dif": v["t_up_dif"], "spherical_albedo": v["spherical_albedo"],
            "gas_transmittance": np.full_like(v["t_up_dir"], np.nan), "e0t": v["e0t"], "edift": v["edift"]}
