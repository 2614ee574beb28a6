"""Ground-truth file written beside a generated product (HDF5 through PyTables).

Layout of ``<product>_truth.h5``::

    /surface_reflectance/Bxx   float32, native band resolution, NaN outside the swath
    /scene/class_map           uint8, 20 m, Sen2Cor SCL codes 0..11
    /scene/aot550              float32, 20 m
    /scene/wv_cm               float32, 20 m, water-vapour column above the ground (cm = g cm-2)
    /scene/dem_m               float32, 20 m
    /scene/cloud_fraction, cloud_top_m, cloud_shadow, cirrus_b10 (float32), cast_shadow (bool), 20 m
    root attributes: atmosphere_source, seed, product_name, generator_options (repr), ...
"""
from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import tables

from sen2cor.testing.spectra import COVERS

FILTERS = tables.Filters(complevel=1, complib="blosc2:zstd", shuffle=True)


def write_truth(path: Path, scene, class_map: np.ndarray, reflectance: dict[str, np.ndarray], opts,
                atmosphere_source: str, identity) -> Path:
    """Write the truth HDF5 file (see module docstring)."""
    with tables.open_file(str(path), mode="w", title="sen2cor.testing ground truth") as h5:
        attrs = h5.root._v_attrs
        attrs.atmosphere_source = atmosphere_source
        attrs.seed = int(opts.seed)
        attrs.product_name = identity.product_name
        attrs.spacecraft = identity.spacecraft
        attrs.tile_id = identity.tile_id
        attrs.scene_kind = opts.scene.kind
        attrs.generator_options = repr(asdict(opts))
        attrs.reflectance_scale = "float32 reflectance (dimensionless)"
        g = h5.create_group("/", "surface_reflectance")
        for band, rho in reflectance.items():
            h5.create_carray(g, band, obj=rho.astype(np.float32), filters=FILTERS)
        s = h5.create_group("/", "scene")
        for name, arr in (("class_map", class_map), ("aot550", scene.aot550), ("wv_cm", scene.wv_surface_cm),
                          ("dem_m", scene.dem_m), ("cloud_fraction", scene.cloud_fraction),
                          ("cloud_top_m", scene.cloud_top_m), ("cloud_shadow", scene.cloud_shadow),
                          ("cirrus_b10", scene.cirrus_b10), ("cast_shadow", scene.cast_shadow),
                          ("wv_sea_level_cm", scene.wv_sea_level_cm), ("cover", scene.cover)):
            h5.create_carray(s, name, obj=np.ascontiguousarray(arr), filters=FILTERS)
        s._v_attrs.resolution_m = 20
        s._v_attrs.cover_names = ",".join(COVERS)
    return Path(path)


def read_truth(path: Path) -> dict:
    """Load a truth file: ``{"surface_reflectance": {band: array}, "scene": {name: array}, "attrs": {...}}``."""
    with tables.open_file(str(path), mode="r") as h5:
        out = {"surface_reflectance": {n._v_name: n.read() for n in h5.root.surface_reflectance},
               "scene": {n._v_name: n.read() for n in h5.root.scene},
               "attrs": {k: h5.root._v_attrs[k] for k in h5.root._v_attrs._f_list()}}
    return out
