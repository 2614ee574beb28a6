"""Ground-truth file written beside a generated product (HDF5 through PyTables).

Layout of ``<product>_truth.h5``::

    /surface_reflectance/Bxx   float32, native band resolution, NaN outside the swath
    /scene/class_map           uint8, 20 m, Sen2Cor SCL codes 0..11
    /scene/aot550              float32, 20 m
    /scene/wv_cm               float32, 20 m, water-vapour column above the ground (cm = g cm-2)
    /scene/dem_m               float32, 20 m
    /scene/cloud_fraction, cloud_top_m, cloud_shadow, cirrus_b10, wv_sea_level_cm (float32), cast_shadow (bool),
           cover (uint8 index into spectra.COVERS), 20 m
    /scene/ddv_red_deviation_pct, ddv_blue_deviation_pct   int8, 20 m, dense vegetation's per-pixel deviation
           (%) from the DDV relations red = 0.5 B12, blue = 0.5 red (generated scenes only)
    root attributes: atmosphere_source, seed, product_name, generator_options (repr), ...

Reflectance is written block by block while the bands are simulated (bounded memory).
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import tables

from sen2cor.testing.spectra import COVERS

FILTERS = tables.Filters(complevel=1, complib="blosc2:lz4", shuffle=True)


class TruthWriter:
    """Open truth file; use as a context manager."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._h5 = tables.open_file(str(self.path), mode="w", title="sen2cor.testing ground truth")
        self._rho = self._h5.create_group("/", "surface_reflectance")

    def __enter__(self) -> "TruthWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._h5.isopen:
            self._h5.close()

    def reflectance_array(self, band: str, n: int):
        """Chunked float32 array for the truth reflectance of ``band`` (n x n), filled by the caller."""
        chunk = (min(n, 256), n)
        return self._h5.create_carray(self._rho, band, atom=tables.Float32Atom(dflt=np.nan), shape=(n, n),
                                      chunkshape=chunk, filters=FILTERS)

    def write_scene(self, scene, class_map: np.ndarray, opts, atmosphere_source: str, identity) -> None:
        attrs = self._h5.root._v_attrs
        attrs.atmosphere_source = atmosphere_source
        attrs.seed = int(opts.seed)
        attrs.product_name = identity.product_name
        attrs.spacecraft = identity.spacecraft
        attrs.tile_id = identity.tile_id
        attrs.scene_kind = opts.scene.kind
        attrs.generator_options = repr(asdict(opts))
        s = self._h5.create_group("/", "scene")
        for name, arr in (("class_map", class_map), ("aot550", scene.aot550), ("wv_cm", scene.wv_surface_cm),
                          ("dem_m", scene.dem_m), ("cloud_fraction", scene.cloud_fraction),
                          ("cloud_top_m", scene.cloud_top_m), ("cloud_shadow", scene.cloud_shadow),
                          ("cirrus_b10", scene.cirrus_b10), ("cast_shadow", scene.cast_shadow),
                          ("wv_sea_level_cm", scene.wv_sea_level_cm), ("cover", scene.cover)):
            self._h5.create_carray(s, name, obj=np.ascontiguousarray(arr), filters=FILTERS)
        for name, arr in (("ddv_red_deviation_pct", scene.red_deviation_pct),
                          ("ddv_blue_deviation_pct", scene.blue_deviation_pct)):
            if arr is not None:
                self._h5.create_carray(s, name, obj=np.ascontiguousarray(arr), filters=FILTERS)
        s._v_attrs.resolution_m = 20
        s._v_attrs.cover_names = ",".join(COVERS)


def read_truth(path: Path) -> dict:
    """Load a truth file: ``{"surface_reflectance": {band: array}, "scene": {name: array}, "attrs": {...}}``."""
    with tables.open_file(str(path), mode="r") as h5:
        out = {"surface_reflectance": {n._v_name: n.read() for n in h5.root.surface_reflectance},
               "scene": {n._v_name: n.read() for n in h5.root.scene},
               "attrs": {k: h5.root._v_attrs[k] for k in h5.root._v_attrs._f_list()}}
    return out
