"""Surface reflectance of one resolution (facts B.10-B.12): step 1 per processing cell on the tables of the
cell's geometry, then step 2 (terrain, adjacency, spherical albedo) and BRDF per strip, one band at a time."""
from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from sen2cor.atmcorr import adjacency, brdf, radiance
from sen2cor.atmcorr.inputs import OutputSink, SceneInputs, rugged_terrain
from sen2cor.atmcorr.rtables import AtmosphereTable, tabulate, wv_class
from sen2cor.atmcorr.scaling import band_scaling_factors
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.atmcorr.step2 import CACHE_ROWS, Step2, count_classes, flat_step1, gather, terrain_maps
from sen2cor.atmcorr.surface import pixel_irradiance, step1_reflectance, terrain_start_irradiance

log = logging.getLogger(__name__)

#: Bands whose RT functions follow the per-pixel water vapour at 20/60 m (facts B.9).
WV_BANDS = ("B05", "B06", "B07", "B09", "B10", "B11", "B12")
#: Cloud fraction above which the adjacency step is skipped (2.10.2, facts B.10).
HIGH_CLOUD_FRACTION = 0.95
#: Rows per strip of the surface-reflectance step 2 (a 10 m strip: 1024 x 10980 x 4 B = 45 MB).
STRIP_ROWS = 1024


@dataclass(frozen=True, eq=False)
class SurfaceInputs:
    """What the surface-reflectance retrieval of one resolution uses besides the TOA bands."""

    scene: SceneInputs
    lut: AtmosphereTable
    settings: AcSettings
    bands: tuple[str, ...]  # LUT bands of the scene, in scene order
    e0_w_m2_um: np.ndarray  # SOLAR_IRRADIANCE of ``bands``
    raa_deg: float
    elevation_class: np.ndarray | int  # rtables.elevation_class per pixel, or a 0-d 0
    nodes_km: np.ndarray  # LUT elevation nodes covering the scene
    wv_levels_cm: np.ndarray  # LUT water-vapour levels
    vis_index: np.ndarray  # uint8 visibility-index map
    mean_vis_index: int  # scene visibility index (WV-dependent bands at 20/60 m, step 2)
    wv_label_cm: np.ndarray | float  # per-pixel LUT water-vapour label (20/60 m) or the scene value
    wv_mean_cm: float
    blue_scaling: float
    reference_albedo: float
    valid: np.ndarray  # bool


def _cell_tables(p: SurfaceInputs, out_bands: list[str]) -> list[tuple[slice, slice, float, object, object]]:
    """(rows, cols, cell sun zenith, RT table, WV classes or None) of every processing cell."""
    scene = p.scene
    e0 = p.e0_w_m2_um[[p.bands.index(b) for b in out_bands]]
    per_pixel_wv = np.ndim(p.wv_label_cm) > 0
    cells = []
    for rows, cols in radiance.cells(scene.scl.shape):
        sza_c = scene.sza_deg if scene.sza_map_deg is None else float(np.mean(scene.sza_map_deg[rows, cols]))
        table = tabulate(
            p.lut, tuple(out_bands), sza_c, scene.vza_deg, p.raa_deg, e0, p.nodes_km, p.wv_levels_cm
        )
        wvc = wv_class(p.wv_label_cm[rows, cols]) if per_pixel_wv else None
        cells.append((rows, cols, sza_c, table, wvc))
    return cells


def _step1_band(p: SurfaceInputs, band: str, source: np.ndarray, target: np.ndarray, cells, scale: float,
                rugged: bool, cbeta, vsky, pool=None) -> None:
    """Step-1 reflectance of one band, cell by cell, into ``target`` (may be ``source`` itself: each
    cell is read before it is overwritten); 0 on no data. With a ``pool`` several cells at once."""
    scene, settings, z = p.scene, p.settings, p.elevation_class

    def one_cell(cell) -> None:
        rows, cols, sza_c, table, wvc = cell
        zc = z if np.ndim(z) == 0 else z[rows, cols]
        if wvc is not None and band in WV_BANDS:
            vis, wv = p.mean_vis_index, wvc
        else:
            vis, wv = p.vis_index[rows, cols], p.wv_mean_cm
        if not rugged:
            cell = flat_step1(
                table, band, source[rows, cols], scene.e0_w_m2_um[band], scale, zc, vis, wv,
                settings.topo_corr_cutoff,
            )
        else:
            cell = _rugged_step1(table, band, source[rows, cols], scene.e0_w_m2_um[band], sza_c, scale, zc, vis, wv,
                                 cbeta[rows, cols], vsky[rows, cols], settings)
        cell[~p.valid[rows, cols]] = 0.0  # no data must not leak into neighbourhood means
        target[rows, cols] = cell
        table.cache.clear()  # this band's expanded fields: the next band needs its own

    for _ in (map(one_cell, cells) if pool is None else pool.map(one_cell, cells)):
        pass


def _rugged_step1(table, band: str, toa: np.ndarray, e0_w_m2_um: float, sza_deg: float, scale: float, z, vis, wv,
                  cbeta: np.ndarray, vsky: np.ndarray, settings: AcSettings) -> np.ndarray:
    """Step-1 reflectance of a cell with terrain (facts B.10), :data:`CACHE_ROWS` rows at a time."""
    out = np.empty(toa.shape, np.float32)
    for a in range(0, toa.shape[0], CACHE_ROWS):
        r = slice(a, a + CACHE_ROWS)
        zr, visr, wvr = (x if np.ndim(x) == 0 else x[r] for x in (z, vis, wv))
        lrad = radiance.toa_radiance(toa[r], e0_w_m2_um, sza_deg)
        lp, e0t, edift, tsun = gather(table, ("lp", "e0t", "edift", "tsun"), band, zr, visr, wvr)
        lp = lp * scale
        e_pix = pixel_irradiance(e0t, edift, cbeta[r], table.cos_sza, vsky[r], tsun)
        e_ter = terrain_start_irradiance(  # AC_Max_Nr_Topo_Iter 0: no reflected terrain irradiance
            e0t, edift, table.cos_sza, vsky[r], settings.terrain_refl_start
        ) if settings.max_nr_topo_iter > 0 else np.float32(0.0)
        out[r] = step1_reflectance(lrad, lp, e_pix, e_ter, settings.topo_corr_cutoff)
    return out


def surface_reflectance(
    p: SurfaceInputs,
    toa: Mapping[str, np.ndarray],
    *,
    in_place: bool = False,
    strip_rows: int | None = None,
    sink: OutputSink | None = None,
) -> dict[str, np.ndarray]:
    """Step 1 per cell, then step 2 (terrain, adjacency, spherical albedo) and BRDF (facts B.10-B.12),
    one band at a time; each band goes to ``sink`` when given, else into the returned dict.

    Step 2 runs in strips of ``strip_rows`` rows (default :data:`STRIP_ROWS` divided by the threads,
    so that the temporaries of the strips computed at once take the same memory). With
    ``settings.nr_threads`` > 1 the cells of step 1 and the strips of step 2 are computed that many
    at a time (numpy releases the GIL); the result does not depend on the threads or the strips.
    """
    settings = p.settings
    threads = max(int(settings.nr_threads), 1)
    strip_rows = max(STRIP_ROWS // threads, 1) if strip_rows is None else max(int(strip_rows), 1)
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(ThreadPoolExecutor(threads, "surface")) if threads > 1 else None
        return _surface_reflectance(p, toa, in_place, strip_rows, sink, pool)


def _surface_reflectance(p: SurfaceInputs, toa: Mapping[str, np.ndarray], in_place: bool, strip_rows: int,
                         sink: OutputSink | None, pool) -> dict[str, np.ndarray]:
    scene, settings = p.scene, p.settings
    out_bands = [b for b in p.bands if b != "B10"]
    scale = band_scaling_factors({b: p.settings.wavelength_um[b] for b in out_bands}, p.blue_scaling)
    rugged = rugged_terrain(scene, settings)
    log.info("surface reflectance: terrain correction %s", "on (rugged terrain)" if rugged else
             "off (no DEM, DEM_Terrain_Correction FALSE or quasi-flat terrain)")
    cbeta, vsky = terrain_maps(scene, strip_rows) if rugged else (None, None)
    cells = _cell_tables(p, out_bands)

    def step1(band: str) -> np.ndarray:
        source = toa[band]
        writable = isinstance(source, np.ndarray) and source.dtype == np.float32 and source.flags.writeable
        if in_place and writable:
            target = source
        else:
            target = np.empty(scene.scl.shape, np.float32)
        _step1_band(p, band, source, target, cells, scale[band], rugged, cbeta, vsky, pool)
        return target

    centre = tabulate(
        p.lut, tuple(out_bands), scene.sza_deg, scene.vza_deg, p.raa_deg,
        p.e0_w_m2_um[[p.bands.index(b) for b in out_bands]], p.nodes_km, p.wv_levels_cm,
    )
    n_cloud, n_clear = count_classes(scene.scl, strip_rows)
    adjacency_on = settings.adj_km > 0 and n_cloud <= HIGH_CLOUD_FRACTION * max(n_cloud + n_clear, 1)
    n_adj = adjacency.adjacency_radius_px(settings.adj_km, float(scene.resolution_m)) if adjacency_on else 0
    early: dict[str, np.ndarray] = {}  # step-1 bands needed before any step 2 (the BRDF vegetation mask)
    veg = None
    if rugged and settings.brdf_correction > 10 and "B8A" in out_bands and "B04" in out_bands:
        early = {b: step1(b) for b in ("B8A", "B04")}
        veg = brdf.vegetation_mask(early["B8A"], early["B04"], settings.vegetation_index_th)
    step2 = Step2(
        scene, settings, centre, p.elevation_class, p.mean_vis_index, p.wv_mean_cm, p.reference_albedo,
        p.valid, n_adj, rugged, cbeta, vsky, veg, strip_rows, pool=pool,
    )
    out = {}
    for b in out_bands:
        base = early.pop(b) if b in early else step1(b)
        step2.run(base, b)
        if sink is None:
            out[b] = base
        else:
            sink(b, base)
        del base
    return out
