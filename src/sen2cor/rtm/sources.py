"""Where a run's look-up table comes from (:func:`load_lut`).

Sources (``source=``):

* ``"sen2cor"``: Sen2Cor 2.8's own libRadtran tables packaged in ``luts/`` (S2A, S2B; :mod:`atm_store`);
* ``"atm"``: a Sen2Cor installation's ``.atm`` tables in a folder holding ``lib_<S2x>`` (``atm_dir``);
* ``"6s-corrected"``: the project's 6S tables for the product's spectral responses, corrected towards
  Sen2Cor's tables (:mod:`correction`, ``luts/sixs_correction.npz``);
* ``"6s"``: the same 6S tables uncorrected;
* ``"auto"`` (default): ``"sen2cor"`` for a spacecraft whose Sen2Cor tables are packaged, else
  ``"6s-corrected"``. The environment variable ``SEN2COR_LUT_SOURCE`` replaces ``"auto"`` by one of the
  packaged sources (``sen2cor``, ``6s-corrected``, ``6s``) without touching any GIPP.
"""
from __future__ import annotations

import logging
import os
from dataclasses import replace
from pathlib import Path

from sen2cor.bands import BAND_IDS
from sen2cor.config.resources import luts_dir
from sen2cor.errors import LutError
from sen2cor.rtm import atm_store, correction, grid
from sen2cor.rtm import srf as srf_mod
from sen2cor.rtm.atm_reader import load_atm_lut
from sen2cor.rtm.band_integration import band_lut
from sen2cor.rtm.lut import LutTable

log = logging.getLogger(__name__)

_AEROSOL_NAMES = {"rura": "rura", "rural": "rura", "continental": "rura", "mari": "mari", "maritime": "mari"}
SOURCES = ("auto", "sen2cor", "atm", "6s-corrected", "6s")
#: Environment variable choosing the packaged table source of ``source="auto"``.
SOURCE_ENV = "SEN2COR_LUT_SOURCE"
_ENV_CHOICES = ("auto", "sen2cor", "6s-corrected", "6s")


def requested_source() -> str:
    """``$SEN2COR_LUT_SOURCE`` (default ``"auto"``); LutError naming the variable on an unknown value."""
    value = os.environ.get(SOURCE_ENV, "auto").strip().lower() or "auto"
    if value not in _ENV_CHOICES:
        raise LutError(f"environment variable {SOURCE_ENV}={value!r}: expected one of {', '.join(_ENV_CHOICES)}")
    return value


def resolve_source(spacecraft: str, source: str = "auto", lut_dir: Path | None = None) -> str:
    """The concrete source of ``source`` for ``spacecraft`` ("auto" follows ``SEN2COR_LUT_SOURCE``)."""
    if source not in SOURCES:
        raise LutError(f"LUT source {source!r} unknown; expected one of {', '.join(SOURCES)}")
    if source == "auto":
        source = requested_source()
    if source == "auto":
        return "sen2cor" if spacecraft in atm_store.packaged_spacecraft(lut_dir) else "6s-corrected"
    return source


def describe(table: LutTable) -> str:
    """One line naming a loaded table's source, for the run log."""
    d = table.description
    return f"{d.get('label', d.get('source', table.kind))} ({d.get('spacecraft', '?')}, {d.get('season', '?')}, " \
           f"{d.get('aerosol', '?')}, ozone letter {d.get('ozone_letter', '?')})"


def load_lut(spacecraft: str, season: str = "summer", aerosol: str = "rura", ozone_du: float = 331.0, *,
             bands: tuple[str, ...] | None = None, srf=None, source: str = "auto", atm_dir=None,
             resolution: str = "20_60", lut_dir=None, cache_dir=None) -> LutTable:
    """Load the LUT of one spacecraft ("S2A"|"S2B"|"S2C") / season / aerosol / ozone selection.

    ``source``: see the module docstring. Sen2Cor's tables ("sen2cor", "atm") come per ``resolution``
    folder, "20_60" or "10" ("all": the 13 packaged bands); the 6S tables serve every band, integrated
    with ``srf`` (a product's ``spectral_responses`` mapping, or None for the packaged SRF of
    ``spacecraft``) over ``bands`` (default all 13). The ozone level is the nearest of the season's
    (manual §2.2.3.2.1). The table's ``description["label"]`` names the source.
    """
    season = season.lower()
    if season not in grid.SEASONS:
        raise LutError(f"season {season!r} unknown; expected 'summer' or 'winter'")
    try:
        aer = _AEROSOL_NAMES[aerosol.lower()]
    except KeyError:
        raise LutError(f"aerosol type {aerosol!r} unknown; expected RURAL or MARITIME") from None
    lut_dir = Path(lut_dir) if lut_dir else luts_dir()
    kind = resolve_source(spacecraft, source, lut_dir)
    if kind in ("sen2cor", "atm"):
        if kind == "atm" and atm_dir is None:
            raise LutError("source='atm' needs atm_dir, the folder holding Sen2Cor's lib_S2A/lib_S2B")
        table = load_atm_lut(Path(atm_dir) if kind == "atm" else None, spacecraft, season, aer, ozone_du,
                             resolution)
        label = (f"Sen2Cor's tables in {table.description['source']}" if kind == "atm"
                 else f"Sen2Cor 2.8 tables packaged in luts/sen2cor_{spacecraft}.npz")
        table = table if bands is None else table.select_bands(tuple(bands))
        return _labelled(table, label, kind)
    srfs = srf_mod.packaged_srf(spacecraft, lut_dir) if srf is None else srf_mod.from_product(srf)
    description = {"spacecraft": spacecraft, "season": season, "aerosol": aer,
                   "ozone_letter": grid.nearest_ozone_letter(ozone_du, season),
                   "srf": "product" if srf is not None else "packaged"}
    table = band_lut(lut_dir, srfs, tuple(bands or BAND_IDS), season, aer, ozone_du,
                     Path(cache_dir) if cache_dir else None, description)
    srf_text = "the product's spectral responses" if srf is not None else f"the packaged {spacecraft} SRFs"
    if kind == "6s":
        return _labelled(table, f"6S tables (luts/, uncorrected) with {srf_text}", kind)
    coefficients, fitted_bands = correction.read_coefficients(season, aer, lut_dir / correction.COEFFICIENT_FILE)
    table = correction.apply(table, coefficients, fitted_bands)
    return _labelled(table, f"6S tables corrected towards Sen2Cor's (luts/sixs_correction.npz) with {srf_text}",
                     kind)


def _labelled(table: LutTable, label: str, kind: str) -> LutTable:
    return replace(table, description=dict(table.description, label=label, table_source=kind))
