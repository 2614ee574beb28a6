"""Where a run's look-up table comes from: the project's 6S spectral tables integrated with a product's spectral
responses, or Sen2Cor's own ``.atm`` tables (:func:`load_lut`)."""
from __future__ import annotations

from pathlib import Path

from sen2cor.bands import BAND_IDS
from sen2cor.config.resources import luts_dir
from sen2cor.errors import LutError
from sen2cor.rtm import grid
from sen2cor.rtm import srf as srf_mod
from sen2cor.rtm.atm_reader import load_atm_lut
from sen2cor.rtm.band_integration import band_lut
from sen2cor.rtm.lut import LutTable

_AEROSOL_NAMES = {"rura": "rura", "rural": "rura", "continental": "rura", "mari": "mari", "maritime": "mari"}


def load_lut(spacecraft: str, season: str = "summer", aerosol: str = "rura", ozone_du: float = 331.0, *,
             bands: tuple[str, ...] | None = None, srf=None, source: str = "6s", atm_dir=None,
             resolution: str = "20_60", lut_dir=None, cache_dir=None) -> LutTable:
    """Load the LUT of one spacecraft ("S2A"|"S2B"|"S2C") / season / aerosol / ozone selection.

    ``source="6s"``: the project's spectral tables (``lut_dir``, default the packaged ``luts/``)
    integrated with ``srf`` (a product's ``spectral_responses`` mapping, or None for the
    packaged SRF of ``spacecraft``) over ``bands`` (default all 13).  ``source="atm"``:
    Sen2Cor's own ``.atm`` files under ``atm_dir`` (folder holding ``lib_S2A`` ...), for the
    ``resolution`` folder "20_60" or "10".  The ozone level is the nearest of the season's
    (manual §2.2.3.2.1).
    """
    season = season.lower()
    if season not in grid.SEASONS:
        raise LutError(f"season {season!r} unknown; expected 'summer' or 'winter'")
    try:
        aer = _AEROSOL_NAMES[aerosol.lower()]
    except KeyError:
        raise LutError(f"aerosol type {aerosol!r} unknown; expected RURAL or MARITIME") from None
    if source == "atm":
        if atm_dir is None:
            raise LutError("source='atm' needs atm_dir, the folder holding Sen2Cor's lib_S2A/lib_S2B")
        table = load_atm_lut(Path(atm_dir), spacecraft, season, aer, ozone_du, resolution)
        return table if bands is None else table.select_bands(tuple(bands))
    if source != "6s":
        raise LutError(f"LUT source {source!r} unknown; expected '6s' or 'atm'")
    lut_dir = Path(lut_dir) if lut_dir else luts_dir()
    srfs = srf_mod.packaged_srf(spacecraft, lut_dir) if srf is None else srf_mod.from_product(srf)
    description = {"spacecraft": spacecraft, "season": season, "aerosol": aer,
                   "ozone_letter": grid.nearest_ozone_letter(ozone_du, season),
                   "srf": "product" if srf is not None else "packaged"}
    return band_lut(lut_dir, srfs, tuple(bands or BAND_IDS), season, aer,
                    ozone_du, Path(cache_dir) if cache_dir else None, description)
