"""Step 2 of the surface-reflectance retrieval, strip by strip (facts B.10-B.12): terrain illumination,
multiple terrain reflection, adjacency, spherical albedo and BRDF, computed per band in row strips with a
halo so neighbourhood means equal the whole-image ones. Used by :mod:`sen2cor.atmcorr.driver`."""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

import numpy as np

from sen2cor.atmcorr import adjacency, brdf, radiance, terrain
from sen2cor.atmcorr.rtables import field_table, lookup
from sen2cor.atmcorr.settings import AcSettings
from sen2cor.atmcorr.surface import (
    pixel_irradiance,
    spherical_albedo_correction,
    sun_transmittance,
    terrain_start_irradiance,
)
from sen2cor.atmcorr.inputs import SceneInputs
from sen2cor.sceneclass.thresholds import in_classes


log = logging.getLogger(__name__)

#: Rows computed at once by the per-pixel formulas of step 1 and step 2: their float64 temporaries stay in
#: the CPU cache (a 10 m cell row is 915 px: 32 rows = 234 kB per temporary), ~1.6x faster than whole cells.
CACHE_ROWS = 32
CLOUDS = (8, 9, 10)
CLEAR = (4, 5, 6)


class _Cbeta:
    """cos(beta) as Sen2Cor stores it (uint8 = 255 cos beta, floored at 26), read as float32 per slice:
    a quarter of a float32 map's memory (120 MB instead of 482 MB at 10 m), the same values."""

    def __init__(self, quantised: np.ndarray) -> None:
        self._q = quantised
        self.shape = quantised.shape

    def __getitem__(self, key) -> np.ndarray:
        return (self._q[key].astype(np.float64) / 255.0).astype(np.float32)


class _SkyView:
    """V_sky = (1 + cos slope) / 2 computed from the staged slope for the slice asked for (or read from
    a precomputed V_sky, ``SceneInputs.sky_view``)."""

    def __init__(self, slope_deg: np.ndarray, sky_view: np.ndarray | None = None) -> None:
        self._slope, self._sky_view = slope_deg, sky_view
        self.shape = np.shape(slope_deg)

    def __getitem__(self, key) -> np.ndarray:
        if self._sky_view is not None:
            return np.asarray(self._sky_view[key], dtype=np.float32)
        return terrain.sky_view_factor(self._slope[key])


def terrain_maps(scene: SceneInputs, strip_rows: int) -> tuple[_Cbeta, _SkyView]:
    """cos(beta) (quantised, ``terrain.illumination``) and sky view, read per slice; cos(beta) is computed
    strip by strip (the float64 temporaries stay of strip size) from slope and aspect with the per-pixel
    sun zenith, or, without aspect (10 m), from the gdaldem hillshade (1 + 254 cos i, tile-mean sun)."""
    from sen2cor.dem import illumination_cos

    shape = scene.scl.shape
    quantised = np.empty(shape, np.uint8)
    for a in range(0, shape[0], strip_rows):
        rows = slice(a, a + strip_rows)
        if scene.aspect_deg is not None:   # per-pixel sun zenith
            sza = scene.sza_deg if scene.sza_map_deg is None else scene.sza_map_deg[rows]  # array or lazy map
            cos_i = illumination_cos(scene.slope_deg[rows], scene.aspect_deg[rows], sza, scene.saa_deg)
        else:                              # Sen2Cor's cbeta = hillshade of the tile-mean sun (facts B.5)
            cos_i = (scene.hillshade[rows].astype(np.float32) - 1.0) / 254.0
        quantised[rows] = np.rint(terrain.illumination(cos_i).astype(np.float64) * 255.0)
    return _Cbeta(quantised), _SkyView(scene.slope_deg, scene.sky_view)


def count_classes(scl: np.ndarray, strip_rows: int) -> tuple[int, int]:
    """Numbers of cloud (8, 9, 10) and clear (4, 5, 6) pixels, counted strip by strip."""
    n_cloud = n_clear = 0
    for a in range(0, scl.shape[0], max(strip_rows, 1)):
        part = scl[a:a + max(strip_rows, 1)]
        n_cloud += int(np.count_nonzero(in_classes(part, CLOUDS)))
        n_clear += int(np.count_nonzero(in_classes(part, CLEAR)))
    return n_cloud, n_clear


def gather(table, names: tuple[str, ...], band: str, z, vis, wv) -> list[np.ndarray]:
    """``rtables.lookup`` of several fields of one band at once (same values): with per-pixel visibility
    indices and a scalar water vapour, one flat (class, visibility) index serves every field. ``"tsun"``
    is T_sun = ``sun_transmittance(t_dir)``, computed on the table (an elementwise function of the
    tabulated value) instead of per pixel."""
    if np.ndim(vis) == 0 or np.ndim(wv) != 0 or np.asarray(z).dtype.kind not in "iu":
        out = [lookup(table, "t_dir" if n == "tsun" else n, band, z, vis, wv) for n in names]
        return [sun_transmittance(v, table.cos_sza) if n == "tsun" else v for n, v in zip(names, out)]
    tables = []
    for name in names:
        if name == "tsun":
            key = ("tsun", band, float(wv))
            if key not in table.cache:
                t_dir = field_table(table, "t_dir", band, water_vapour_cm=float(wv))
                table.cache[key] = sun_transmittance(t_dir, table.cos_sza)
            tables.append(table.cache[key])
        else:
            tables.append(field_table(table, name, band, water_vapour_cm=float(wv)))
    flat = np.asarray(z, dtype=np.intp) * tables[0].shape[1]
    flat += vis
    return [np.take(t, flat) for t in tables]


def _rows(a, rows: slice):
    """Rows of a per-pixel array, or the scalar itself."""
    return a if np.ndim(a) == 0 else a[rows]


@dataclass
class Step2:
    """Step 2 (terrain, adjacency, spherical albedo) and BRDF of one band at a time, in row strips.

    Every strip is computed from a window extended by the halo of the neighbourhood means
    (``adjacency.box_halo``), so the result equals the whole-image computation while the
    temporaries are of strip size (facts B.11, B.12).
    """

    scene: SceneInputs
    settings: AcSettings
    centre: object  # rtables table at the tile-centre geometry
    z: np.ndarray | int  # elevation class per pixel (or 0-d)
    mean_index: int
    wv_mean: float
    r_ref: float
    valid: np.ndarray
    n_adj: int  # adjacency radius (px); 0 = off
    rugged: bool
    cbeta: np.ndarray | None
    vsky: np.ndarray | None
    veg: np.ndarray | None
    strip_rows: int
    border: np.ndarray | None = None
    pool: object = None  # concurrent.futures.Executor computing strips at once (None: one at a time)

    def __post_init__(self):
        shape = self.valid.shape
        self.pixel = float(self.scene.resolution_m)
        self.adj_grid = adjacency.uses_block_grid(self.n_adj, shape)
        self.adj_halo = adjacency.box_halo(self.n_adj, shape)
        self.ter_radius = terrain.terrain_radius_px(self.settings.rng_nbhd_terrain_corr_km, self.pixel)
        self.ter_grid = adjacency.uses_block_grid(self.ter_radius, shape)
        self.ter_halo = adjacency.box_halo(self.ter_radius, shape)
        if self.n_adj > 0 and self.settings.rho_retrieval_step2:
            self.border = np.zeros(shape, bool)   # 1 B/px, shared by all bands
            halo, align = self.adj_halo
            step = max(align, self.strip_rows // align * align)
            for a in range(0, shape[0], step):
                b = min(a + step, shape[0])
                w0, w1 = max(a - halo, 0), min(b + halo, shape[0])
                zone = adjacency.border_zone(self.valid[w0:w1], self.n_adj, self.adj_grid)
                self.border[a:b] = zone[a - w0:b - w0]

    def run(self, base: np.ndarray, band: str) -> None:
        """Step 2 + BRDF of ``band``: ``base`` (step-1 reflectance, 0 on no data) is overwritten."""
        settings = self.settings
        if settings.rho_retrieval_step2 and self.rugged and settings.max_nr_topo_iter > 0:
            halo, align = self.ter_halo
            terrain_strip = functools.partial(self._terrain, base, band)
            adjacency.strip_apply(base, halo, align, self.strip_rows, terrain_strip, self.pool)
        adj = (
            settings.rho_retrieval_step2
            and self.n_adj > 0
            and adjacency.band_has_adjacency(settings.wavelength_um[band])
        )
        halo, align = self.adj_halo if adj else (0, 1)
        fill = self._clear_mean(base) if adj else None
        finish_strip = functools.partial(self._finish, base, band, adj, fill)
        adjacency.strip_apply(base, halo, align, self.strip_rows, finish_strip, self.pool)

    def _terrain(self, base, band, a, b, w0, w1) -> np.ndarray:
        win = slice(w0, w1)
        r = _terrain_step2(
            base[win],
            band,
            self.centre,
            _rows(self.z, win),
            self.mean_index,
            self.wv_mean,
            self.cbeta[win],
            self.vsky[win],
            self.settings,
            self.ter_radius,
            self.ter_grid,
        )
        return r[a - w0:b - w0]

    def _clear_mean(self, base) -> float | None:
        """Mean reflectance of the clear, valid pixels (the value clouds / no data take in the
        background mean); None when there is nothing to replace."""
        total, count, replaced = 0.0, 0, 0
        for a in range(0, base.shape[0], max(self.strip_rows, 1)):
            rows = slice(a, a + max(self.strip_rows, 1))
            keep = self.valid[rows] & ~in_classes(self.scene.scl[rows], CLOUDS)
            n = int(np.count_nonzero(keep))
            total += float(base[rows].sum(where=keep, dtype=np.float64))
            count, replaced = count + n, replaced + keep.size - n
        if replaced == 0:
            return None
        return total / count if count else 0.0

    def _finish(self, base, band, adj, fill, a, b, w0, w1) -> np.ndarray:
        settings, rows = self.settings, slice(a, b)
        r = base[rows].copy()
        valid = self.valid[rows]
        if settings.rho_retrieval_step2:
            zr = _rows(self.z, rows)
            s = lookup(self.centre, "s", band, zr, self.mean_index, self.wv_mean)
            if adj:
                win = slice(w0, w1)
                q = lookup(self.centre, "q", band, zr, self.mean_index, self.wv_mean)
                replace = in_classes(self.scene.scl[win], CLOUDS)
                replace |= ~self.valid[win]
                bg = adjacency.background_reflectance(base[win], self.n_adj, replace, fill, self.adj_grid)
                _adjacency_and_albedo_in_place(r, bg[a - w0:b - w0], q, s, self.r_ref, self.border[rows])
                del bg, replace
            else:
                r = spherical_albedo_correction(r, r, s, self.r_ref)
        if self.rugged and settings.brdf_correction:
            r = brdf.brdf_correct(
                r,
                self.cbeta[rows],
                self.scene.sza_deg,
                settings.brdf_correction,
                settings.wavelength_um[band],
                settings.brdf_lower_bound,
                None if self.veg is None else self.veg[rows],
            )
        r[~(np.isfinite(r) & valid)] = 0.0
        return r


def _adjacency_and_albedo_in_place(rho, background, q, s, reference_albedo, border) -> None:
    """rho <- (rho + q' (rho - bg)) (1 - (bg - rho_ref) S) in place (q' = q, 1.1 q on the border zone)."""
    tmp = np.subtract(rho, background, dtype=np.float32)
    tmp *= np.asarray(q, dtype=np.float32)
    if border is not None:
        tmp[border] *= np.float32(1.0 + adjacency.BORDER_EXTRA)
    rho += tmp
    np.subtract(background, np.float32(reference_albedo), out=tmp)
    tmp *= -np.asarray(s, dtype=np.float32)
    tmp += np.float32(1.0)
    rho *= tmp


def flat_step1(table, band, toa, e0_w_m2_um, lp_scale, z, vis, wv, cutoff) -> np.ndarray:
    """Step-1 reflectance of flat terrain as rho_TOA * A - B with A = pi F / E and B = pi Lp / E
    tabulated per (elevation class, visibility or WV step); F = (E0/10) cos(SZA)/pi (facts B.10)."""
    from sen2cor.atmcorr.rtables import field_table

    per_pixel_wv = np.ndim(wv) > 0
    key = dict(vis_index=vis) if per_pixel_wv else dict(water_vapour_cm=wv)
    e = field_table(table, "e0t", band, **key) * table.cos_sza + field_table(table, "edift", band, **key)
    factor = float(radiance.e0_lut_units(e0_w_m2_um)) * table.cos_sza / np.pi
    a = (np.pi * factor / e).astype(np.float32)
    b = (np.pi * lp_scale * field_table(table, "lp", band, **key) / e).astype(np.float32)
    idx = np.minimum(wv, a.shape[1] - 1) if per_pixel_wv else vis
    if np.ndim(idx) == 0 and np.ndim(z) == 0:
        rho = toa * a[z, idx]
        rho -= b[z, idx]
        return np.minimum(rho, np.float32(cutoff), out=rho)
    rho = np.empty(np.shape(toa), np.float32)
    for start in range(0, rho.shape[0], 4 * CACHE_ROWS):   # a[z, idx] with one flat index, in cache-sized blocks
        r = slice(start, start + 4 * CACHE_ROWS)
        flat = np.asarray(z if np.ndim(z) == 0 else z[r], dtype=np.intp) * a.shape[1]
        flat = flat + (idx if np.ndim(idx) == 0 else idx[r])
        np.multiply(toa[r], np.take(a, flat), out=rho[r])
        rho[r] -= np.take(b, flat)
    return np.minimum(rho, np.float32(cutoff), out=rho)


def _terrain_step2(rho1, band, table, z, vis_index, wv, cbeta, vsky, settings, radius, block_grid=None):
    """Replace the start terrain irradiance by the one from the neighbourhood reflectance (facts B.11).

    The box means are taken over the whole window; the per-pixel formulas then run ``CACHE_ROWS`` rows
    at a time (their float64 temporaries stay in the CPU cache)."""
    rho_t = np.maximum(adjacency.box_mean(rho1, radius, block_grid), 0.0)
    vsky_mean = adjacency.box_mean(vsky, radius, block_grid)
    out = np.empty(np.shape(rho1), np.float32)
    cos_sza = table.cos_sza
    for a in range(0, out.shape[0], CACHE_ROWS):
        r = slice(a, a + CACHE_ROWS)
        zr, visr, wvr = (x if np.ndim(x) == 0 else x[r] for x in (z, vis_index, wv))
        e0t, edift, tsun = gather(table, ("e0t", "edift", "tsun"), band, zr, visr, wvr)
        e_pix = pixel_irradiance(e0t, edift, cbeta[r], cos_sza, vsky[r], tsun)
        e_old = terrain_start_irradiance(e0t, edift, cos_sza, vsky[r], settings.terrain_refl_start)
        e_new = terrain.irradiance_of_neighbourhood(rho_t[r], vsky[r], vsky_mean[r], e0t, edift, cos_sza)
        out[r] = np.minimum(rho1[r] * (e_pix + e_old) / (e_pix + e_new), settings.topo_corr_cutoff)
    return out
