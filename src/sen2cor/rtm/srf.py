"""Spectral response functions (SRF) of the MSI bands.

Sources, in order of authority:

1. the product's own ``Spectral_Information/Spectral_Response`` of MTD_MSIL1C.xml (1 nm step);
2. ``luts/srf_msi.json``: the same element extracted from public Sentinel-2 L1C product metadata
   (S2A, S2B; file names recorded in the JSON), used when no product is at hand.

Before band integration an SRF is resampled onto the 6S 2.5 nm grid (``0.25 + k*0.0025`` um),
so that it is aligned with the spectral tables.
"""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
from lxml import etree

from sen2cor.bands import BAND_IDS
from sen2cor.errors import LutError, ProductReadError
from sen2cor.config.resources import luts_dir

log = logging.getLogger(__name__)

SRF_FILE = "srf_msi.json"


@dataclass(frozen=True)
class BandResponse:
    """SRF of one band: ``wavelength_nm`` (n,) and relative ``response`` (n,), peak 1."""

    wavelength_nm: np.ndarray
    response: np.ndarray


def read_mtd_srf(mtd_msil1c: Path) -> dict[str, BandResponse]:
    """SRFs of all bands from ``MTD_MSIL1C.xml`` (Spectral_Information, MIN + k*STEP nm)."""
    try:
        root = etree.parse(str(mtd_msil1c)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ProductReadError(f"cannot parse {mtd_msil1c}: {exc}") from exc
    srfs: dict[str, BandResponse] = {}
    for info in root.iter("Spectral_Information"):
        band = BAND_IDS[int(info.get("bandId"))]
        try:
            start = float(info.findtext("Wavelength/MIN"))
            step = float(info.findtext("Spectral_Response/STEP"))
            values = np.array(info.findtext("Spectral_Response/VALUES").split(), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ProductReadError(f"{mtd_msil1c}: Spectral_Information bandId={info.get('bandId')} "
                                   f"lacks Wavelength/MIN, Spectral_Response/STEP or VALUES") from exc
        srfs[band] = BandResponse(start + step * np.arange(values.size), values)
    if len(srfs) != len(BAND_IDS):
        raise ProductReadError(f"{mtd_msil1c}: Spectral_Information for {len(srfs)} bands, expected 13")
    return srfs


def from_product(spectral_responses: Mapping[str, object]) -> dict[str, BandResponse]:
    """Convert ``L1CProduct.spectral_responses`` (objects with wavelength_nm/response) to ours."""
    return {band: BandResponse(np.asarray(r.wavelength_nm, dtype=np.float64),
                               np.asarray(r.response, dtype=np.float64))
            for band, r in spectral_responses.items()}


def packaged_srf(spacecraft: str, directory: Path | None = None) -> dict[str, BandResponse]:
    """SRFs of ``spacecraft`` shipped in ``luts/srf_msi.json``.

    S2C has no packaged SRF (no public S2C product metadata was available when the tables were
    made): the S2A SRF is returned with a warning (Sen2Cor also falls back to lib_S2A); pass the
    product's own SRF instead.
    """
    path = (directory or luts_dir()) / SRF_FILE
    try:
        content = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LutError(f"cannot read the packaged SRFs {path}: {exc}") from exc
    craft = spacecraft
    if craft not in content["spacecraft"]:
        fallback = content.get("fallback", {}).get(craft)
        if fallback is None:
            have = sorted(content["spacecraft"])
            raise LutError(f"{path}: no SRF for spacecraft {spacecraft!r}; have {have}")
        log.warning("no packaged SRF for %s: using %s's; give the product's Spectral_Information instead",
                    spacecraft, fallback)
        craft = fallback
    bands = content["spacecraft"][craft]["bands"]
    return {b: BandResponse(bands[b]["min_nm"] + bands[b]["step_nm"] * np.arange(len(bands[b]["values"])),
                            np.asarray(bands[b]["values"], dtype=np.float64)) for b in BAND_IDS}


def packaged_solar_irradiance(spacecraft: str, directory: Path | None = None) -> dict[str, float]:
    """SOLAR_IRRADIANCE (W m-2 um-1) of the product metadata the packaged SRFs came from."""
    content = json.loads(((directory or luts_dir()) / SRF_FILE).read_text())
    craft = spacecraft if spacecraft in content["spacecraft"] else content.get("fallback", {}).get(spacecraft)
    if craft is None:
        raise LutError(f"no packaged solar irradiance for spacecraft {spacecraft!r}")
    return {b: float(v) for b, v in content["spacecraft"][craft]["solar_irradiance_w_m2_um"].items()}


def resample(srf: BandResponse, wavelength_um: np.ndarray) -> np.ndarray:
    """SRF linearly interpolated onto ``wavelength_um`` (zero outside its support)."""
    return np.interp(wavelength_um * 1000.0, srf.wavelength_nm, srf.response, left=0.0, right=0.0)


def srf_matrix(srfs: Mapping[str, BandResponse], bands: tuple[str, ...],
               wavelength_um: np.ndarray) -> np.ndarray:
    """(nbands, nwavelengths) SRFs on the spectral-table grid; LutError if a band falls outside it."""
    rows = []
    for band in bands:
        srf = srfs[band]
        inside = np.trapezoid(resample(srf, wavelength_um), wavelength_um * 1000.0)
        full = np.trapezoid(srf.response, srf.wavelength_nm)
        if full <= 0 or inside < 0.99 * full:
            fraction = inside / max(full, 1e-12)
            raise LutError(f"SRF of {band} ({srf.wavelength_nm[0]:.0f}-{srf.wavelength_nm[-1]:.0f} nm) is "
                           f"not covered by the spectral tables (covered fraction {fraction:.3f})")
        rows.append(resample(srf, wavelength_um))
    return np.array(rows)
