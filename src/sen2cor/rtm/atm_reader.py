"""Reader for Sen2Cor's native ``.atm`` look-up tables (algorithm facts B.2).

Layout: ``<lut root>/lib_<S2A|S2B|...>/<10|20_60>/<ozone letter>99000_wv<XX>_<rura|mari>.atm``,
XX = sea-level water vapour in mm/1 (wv20 = 2.0 cm).  Each file is big-endian float32,
C order [band][visibility 8][sun zenith 8][record]; a record is (sun zenith, visibility) then 6
elevation blocks of 17 values: nadir view (Lp, Edift, E0t, Tdir, Tdif, S) and 10 deg view
(Edift, E0t, Tdir, Tdif, Lp at relative azimuth 0, 30, ..., 180 deg).  Units: Lp
mW cm-2 sr-1 um-1, Edift / E0t mW cm-2 um-1, Tdir / Tdif (ground -> sensor) and S unitless.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from sen2cor.rtm import atm_store, grid
from sen2cor.rtm.lut import LutTable
from sen2cor.errors import LutError

log = logging.getLogger(__name__)

#: Bands of the ``20_60`` and ``10`` files.
ATM_BANDS = atm_store.RESOLUTION_BANDS
_NRAA = grid.RAA_DEG.size
_RECORD = 2 + grid.ELEVATION_KM.size * (6 + 4 + _NRAA)


def atm_file_name(ozone_letter: str, water_vapour_cm: float, aerosol: str) -> str:
    """E.g. ``h99000_wv20_rura.atm`` for ozone 'h', 2.0 cm, rural."""
    return f"{ozone_letter}99000_wv{int(round(water_vapour_cm * 10)):02d}_{aerosol}.atm"


def parse_atm(raw: np.ndarray, bands: tuple[str, ...], origin: str) -> dict[str, np.ndarray]:
    """The floats of one .atm file -> arrays (nbands, nsza, nvza, nraa, nelevation, nvisibility), float32."""
    nvis, nsza, nz = grid.VISIBILITY_KM.size, grid.SZA_DEG.size, grid.ELEVATION_KM.size
    expected = len(bands) * nvis * nsza * _RECORD
    if raw.size != expected:
        raise LutError(f"{origin}: {raw.size * 4} bytes, expected {expected * 4} for {len(bands)} bands "
                       f"x {nvis} visibilities x {nsza} sun zeniths x {_RECORD} values")
    rec = raw.reshape(len(bands), nvis, nsza, _RECORD).astype(np.float32)
    if not (np.allclose(rec[0, 0, :, 0], grid.SZA_DEG) and np.allclose(rec[0, :, 0, 1], grid.VISIBILITY_KM)):
        raise LutError(f"{origin}: record headers (sun zenith {rec[0, 0, :, 0]}, visibility {rec[0, :, 0, 1]}) "
                       f"do not match Sen2Cor's grid")
    # b, sza, z, vis, 17
    blocks = rec[..., 2:].reshape(len(bands), nvis, nsza, nz, 17).transpose(0, 2, 3, 1, 4)
    out = {}
    nadir = {"path_radiance": 0, "edift": 1, "e0t": 2, "t_up_dir": 3, "t_up_dif": 4, "spherical_albedo": 5}
    off = {"edift": 6, "e0t": 7, "t_up_dir": 8, "t_up_dif": 9}
    for name, i in nadir.items():
        view = np.stack([blocks[..., i], blocks[..., off.get(name, i)]], axis=1)        # b, vza, sza, z, vis
        out[name] = np.repeat(view[:, :, None], _NRAA, axis=2)                           # b, vza, raa, sza...
    # 10 deg view: Lp(phi)
    out["path_radiance"][:, 1] = np.moveaxis(blocks[..., 10:10 + _NRAA], -1, 1)
    # -> (band, sza, vza, raa, z, vis)
    return {k: np.ascontiguousarray(v.transpose(0, 3, 1, 2, 4, 5)) for k, v in out.items()}


def read_atm(path: Path, bands: tuple[str, ...]) -> dict[str, np.ndarray]:
    """One .atm file -> arrays (nbands, nsza, nvza, nraa, nelevation, nvisibility), float32."""
    try:
        raw = np.fromfile(path, dtype=">f4")
    except OSError as exc:
        raise LutError(f"cannot read Sen2Cor LUT {path}: {exc}") from exc
    return parse_atm(raw, bands, str(path))


def has_tables(lut_root: Path, spacecraft: str) -> bool:
    """Whether ``lut_root`` holds Sen2Cor tables of ``spacecraft`` (``lib_<spacecraft>/20_60``)."""
    return (Path(lut_root) / f"lib_{spacecraft}" / "20_60").is_dir()


def atm_directory(lut_root: Path, spacecraft: str, resolution: str) -> Path:
    """``lib_<spacecraft>/<resolution>`` under ``lut_root``; LutError when it is missing (no silent use of
    another spacecraft's spectral responses: :func:`sen2cor.rtm.sources.load_lut` chooses what replaces it)."""
    folder = Path(lut_root) / f"lib_{spacecraft}" / resolution
    if not folder.is_dir():
        raise LutError(f"no Sen2Cor LUT folder lib_{spacecraft}/{resolution} under {lut_root}")
    return folder


def load_atm_lut(lut_root: Path | None, spacecraft: str, season: str = "summer", aerosol: str = "rura",
                 ozone_du: float = 331.0, resolution: str = "20_60",
                 solar_irradiance_w_m2_um: dict[str, float] | None = None) -> LutTable:
    """All water-vapour files of one Sen2Cor selection stacked into a :class:`LutTable`.

    ``lut_root``: a folder holding ``lib_<spacecraft>`` (a Sen2Cor installation's tables), or None for
    the tables packaged in ``luts/`` (:mod:`sen2cor.rtm.atm_store`, S2A and S2B of Sen2Cor 2.8).
    ``resolution``: "20_60" (12 bands), "10" (B02, B03, B04, B08) or, packaged only, "all" (13 bands).
    ``solar_irradiance_w_m2_um`` (per band; default: the packaged product-metadata values) is
    only used to express the tables as reflectances and transmittances.
    """
    bands_of = dict(ATM_BANDS, all=atm_store.STORE_BANDS) if lut_root is None else ATM_BANDS
    if resolution not in bands_of:
        raise LutError(f"resolution folder {resolution!r} unknown; expected one of {sorted(bands_of)}")
    letter = grid.nearest_ozone_letter(ozone_du, season)
    bands = bands_of[resolution]
    levels = grid.WATER_VAPOUR_CM[season]
    if lut_root is None:
        if spacecraft not in atm_store.packaged_spacecraft():
            raise LutError(f"no packaged Sen2Cor tables for {spacecraft} (have "
                           f"{', '.join(atm_store.packaged_spacecraft())})")
        block = atm_store.read_block(spacecraft, season, aerosol)
        index = [atm_store.STORE_BANDS.index(b) for b in bands]
        ozone = list(grid.OZONE_DU[season]).index(letter)
        origin = str(atm_store.store_path(spacecraft))
        per_wv = [parse_atm(block[ozone, k][index].reshape(-1), bands,
                            f"{origin} {atm_file_name(letter, wv, aerosol)}") for k, wv in enumerate(levels)]
        source = f"Sen2Cor 2.8 tables packaged in luts/ ({spacecraft})"
    else:
        folder = atm_directory(lut_root, spacecraft, resolution if resolution != "all" else "20_60")
        per_wv = [read_atm(folder / atm_file_name(letter, wv, aerosol), bands) for wv in levels]
        source = str(folder)
    values = {k: np.stack([t[k] for t in per_wv], axis=-1) for k in per_wv[0]}
    if solar_irradiance_w_m2_um is None:
        from sen2cor.rtm.srf import packaged_solar_irradiance
        solar_irradiance_w_m2_um = packaged_solar_irradiance(spacecraft)
    e0 = np.array([solar_irradiance_w_m2_um[b] for b in bands], dtype=np.float64)
    return LutTable.from_native("atm", values, bands=bands, sza_deg=grid.SZA_DEG, vza_deg=grid.VZA_DEG,
                                raa_deg=grid.RAA_DEG, elevation_km=grid.ELEVATION_KM,
                                visibility_km=grid.VISIBILITY_KM, water_vapour_cm=levels,
                                solar_irradiance_w_m2_um=e0,
                                description={"source": source, "ozone_letter": letter, "season": season,
                                             "aerosol": aerosol, "spacecraft": spacecraft})
