"""Fast evaluation of a LUT over an image: one geometry, per-pixel elevation / visibility / WV.

Sen2Cor uses one sun/view geometry per processing cell (915 x 1830 pixels) and per-pixel
elevation and visibility.  :class:`FieldInterpolator` computes the corner indices and weights
of the pixels once, then evaluates any field of any band with a few gathers from a tiny
table (float32), so 12 bands of a 5490 x 5490 field take seconds (scripts/bench_lut.py).

    cell = lut.at_geometry(sza_deg, vza_deg, raa_deg)
    fi = FieldInterpolator(cell, elevation_km=dem_km, visibility_km=vis_km, water_vapour_cm=wv_cm)
    lp = fi.evaluate("path_radiance", "B04")          # float32, shape of dem_km
"""
from __future__ import annotations

import logging
from itertools import product as corners

import numpy as np
from scipy import sparse

from sen2cor.rtm.lut import AXES, E0_FIELDS, WV_AXIS, LutTable, contract_axis, wv_blend
from sen2cor.errors import LutError

log = logging.getLogger(__name__)


class FieldInterpolator:
    """Multilinear weights of an image of (elevation, visibility, water vapour) queries.

    ``table`` must come from :meth:`LutTable.at_geometry`.  Query arrays broadcast together;
    scalars are contracted into the table, so a scalar water vapour halves the work.
    ``e0_w_m2_um`` (nbands,) rescales radiances as in :meth:`LutTable.interpolate`.
    """

    def __init__(self, table: LutTable, elevation_km, visibility_km=None, water_vapour_cm=None, *,
                 aot550=None, visibility_axis: str = "aot", e0_w_m2_um=None) -> None:
        if table.sza_deg.size * table.vza_deg.size * table.raa_deg.size != 1:
            raise LutError("FieldInterpolator needs a single-geometry table: "
                           "call lut.at_geometry(sza, vza, raa)")
        queries = table._queries(table.sza_deg[0], table.vza_deg[0], table.raa_deg[0], elevation_km,
                                 visibility_km, water_vapour_cm, aot550)
        positions = table._positions(queries, visibility_axis)
        self.shape = np.broadcast_shapes(*(q.shape for q in queries[3:]))
        self.bands = table.bands
        values = {k: v[:, 0, 0, 0] for k, v in table.values.items()}          # (band, z, vis, wv)
        varying = []
        for axis in (4, 3):
            i0, frac = positions[axis]
            if getattr(table, AXES[axis]).size == 1:
                values = {k: np.take(v, 0, axis=axis - 2) for k, v in values.items()}
            elif i0.ndim == 0:
                values = {k: contract_axis(v, axis - 2, int(i0), float(frac)) for k, v in values.items()}
            else:
                varying.insert(0, axis)
        self._tables = {k: np.ascontiguousarray(v.reshape(v.shape[0], -1), dtype=np.float32)
                        for k, v in values.items()}
        nwv = table.water_vapour_cm.size
        sizes = [getattr(table, AXES[a]).size for a in varying] + [nwv]
        strides = [int(np.prod(sizes[i + 1:])) for i in range(len(sizes))]
        npix = int(np.prod(self.shape))
        ncorner = 2 ** len(varying)
        flat = {a: [np.broadcast_to(x, self.shape).ravel() for x in positions[a]] for a in varying}
        i_wv, t_wv = (np.broadcast_to(x, self.shape).ravel() for x in positions[WV_AXIS])
        self._wv_weight = t_wv.astype(np.float32)
        # One sparse row of corner weights per pixel and bracketing water-vapour level: every band and
        # field is then two sparse products, blended as exp(alpha + beta sqrt(u)) (LutTable.interpolate).
        self._matrices = []
        for level in ((i_wv,) if nwv == 1 else (i_wv, i_wv + 1)):
            index = np.broadcast_to((level * strides[-1]).astype(np.int32)[:, None], (npix, ncorner)).copy()
            weight = np.ones((npix, ncorner), dtype=np.float32)
            for n, corner in enumerate(corners((0, 1), repeat=len(varying))):
                for c, axis, stride in zip(corner, varying, strides):
                    i0, frac = flat[axis]
                    index[:, n] += ((i0 + c) * stride).astype(np.int32)
                    weight[:, n] *= (frac if c else 1.0 - frac).astype(np.float32)
            rows = np.arange(0, npix * ncorner + 1, ncorner)
            self._matrices.append(sparse.csr_matrix((weight.ravel(), index.ravel(), rows),
                                                    shape=(npix, int(np.prod(sizes)))))
        e0, scale = table._e0_scale(e0_w_m2_um, 0)
        self._scale = {k: (scale if table.kind == "6s" else 1.0 / scale).astype(np.float32)
                       for k in E0_FIELDS[table.kind]}

    @staticmethod
    def _blend(at_levels: list[np.ndarray], weight: np.ndarray) -> np.ndarray:
        if len(at_levels) == 1:
            return at_levels[0]
        return wv_blend(at_levels[0], at_levels[1], weight).astype(np.float32)

    def evaluate(self, field: str, band: str) -> np.ndarray:
        """One field of one band over the image (float32, the broadcast query shape)."""
        try:
            b = self.bands.index(band)
            table = self._tables[field][b]
        except (KeyError, ValueError):
            raise LutError(f"no field {field!r} / band {band!r} in this LUT "
                           f"(bands {', '.join(self.bands)})") from None
        out = self._blend([m @ table for m in self._matrices], self._wv_weight)
        if field in self._scale:
            out *= self._scale[field][b]
        return out.reshape(self.shape)

    def evaluate_bands(self, field: str) -> np.ndarray:
        """One field for all bands at once: (nbands, *shape) float32 (a transposed view)."""
        if field not in self._tables:
            raise LutError(f"no field {field!r} in this LUT")
        out = self._blend([m @ self._tables[field].T for m in self._matrices],       # (npix, nbands)
                          self._wv_weight[:, None])
        if field in self._scale:
            out *= self._scale[field][None, :]
        return out.T.reshape((len(self.bands),) + self.shape)
