"""MSI band characteristics per spacecraft and surface-reflectance spectra of the synthetic land covers.

Band limits, central wavelengths and solar irradiances are those printed in real
MTD_MSIL1C.xml files (S2A baseline 05.10, S2B baseline 05.09). S2C has no product in the
project's material: it reuses the S2A characteristics (documented gap). Spectral
responses are synthetic flat-topped curves on the real [MIN, MAX] intervals, 1 nm step.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sen2cor.bands import BAND_IDS

#: (MIN nm, MAX nm, CENTRAL nm) per band, S2A / S2B.
_WAVELENGTHS = {
    "S2A": ((412, 456, 442.7), (456, 533, 492.7), (538, 583, 559.8), (646, 684, 664.6), (695, 714, 704.1),
            (731, 749, 740.5), (769, 797, 782.8), (760, 907, 832.8), (837, 881, 864.7), (932, 958, 945.1),
            (1337, 1412, 1373.5), (1539, 1682, 1613.7), (2078, 2320, 2202.4)),
    "S2B": ((411, 456, 442.3), (456, 532, 492.3), (536, 582, 559.0), (646, 685, 665.0), (694, 714, 703.8),
            (730, 748, 739.1), (766, 794, 779.7), (774, 907, 833.0), (848, 880, 864.0), (930, 957, 943.2),
            (1339, 1415, 1376.9), (1538, 1679, 1610.4), (2065, 2303, 2185.7)),
}
#: Solar irradiance per band, W m-2 um-1.
_IRRADIANCE = {
    "S2A": (1884.69, 1959.66, 1823.24, 1512.06, 1424.64, 1287.61, 1162.08, 1041.63, 955.32, 812.92, 367.15,
            245.59, 85.25),
    "S2B": (1874.30, 1959.75, 1824.93, 1512.79, 1425.78, 1291.13, 1175.57, 1041.28, 953.93, 817.58, 365.41,
            247.08, 87.75),
}
#: Radiometric gains as printed in a real S2A product (PHYSICAL_GAINS), reused for all spacecraft.
PHYSICAL_GAINS = (4.10299968, 3.75669878, 4.18660465, 4.52074437, 5.20537089, 4.87185404, 4.53524853,
                  6.16164352, 5.13688659, 8.53483617, 55.36599482, 35.38378701, 106.4553389)


@dataclass(frozen=True)
class BandInfo:
    band: str
    min_nm: int
    max_nm: int
    central_nm: float
    solar_irradiance: float   # W m-2 um-1

    def spectral_response(self) -> np.ndarray:
        """Relative response on ``min_nm..max_nm`` (1 nm step): flat top, cosine edges, peak 1."""
        wl = np.arange(self.min_nm, self.max_nm + 1, dtype=np.float64)
        width = self.max_nm - self.min_nm
        edge = max(2.0, 0.15 * width)
        rise = np.clip((wl - self.min_nm) / edge, 0, 1)
        fall = np.clip((self.max_nm - wl) / edge, 0, 1)
        resp = 0.5 - 0.5 * np.cos(np.pi * np.minimum(rise, fall))
        return np.maximum(resp, 1e-3)


def band_info(spacecraft: str) -> dict[str, BandInfo]:
    """Band characteristics of ``spacecraft`` ("S2A", "S2B", "S2C")."""
    key = "S2B" if spacecraft == "S2B" else "S2A"
    return {b: BandInfo(b, *_WAVELENGTHS[key][i], _IRRADIANCE[key][i]) for i, b in enumerate(BAND_IDS)}


# Land covers of the synthetic scenes and their reflectance at the 13 band centres
# (B01 B02 B03 B04 B05 B06 B07 B08 B8A B09 B10 B11 B12), typical library values.  Dense vegetation is a
# dark dense forest obeying, on average, the relations Sen2Cor's DDV retrieval assumes (red = 0.5 B12,
# AC_Swir_22um_Red_Refl_Ratio; blue = 0.5 red, AC_Red_Blue_Refl_Ratio); the generator adds a per-pixel
# spread around them (scene.DDV_SPREAD).
COVERS = ("dense_vegetation", "sparse_vegetation", "bare_soil", "urban", "water", "snow")
SPECTRA: dict[str, tuple[float, ...]] = {
    "dense_vegetation": (0.014, 0.012, 0.050, 0.024, 0.080, 0.230, 0.300, 0.320, 0.330, 0.320, 0.250, 0.140, 0.048),
    "sparse_vegetation": (0.050, 0.060, 0.095, 0.085, 0.140, 0.220, 0.260, 0.280, 0.290, 0.285, 0.220, 0.290, 0.190),
    "bare_soil": (0.080, 0.100, 0.150, 0.220, 0.250, 0.270, 0.290, 0.300, 0.310, 0.310, 0.300, 0.380, 0.320),
    "urban": (0.090, 0.100, 0.120, 0.140, 0.150, 0.160, 0.170, 0.180, 0.180, 0.180, 0.170, 0.200, 0.180),
    "water": (0.050, 0.048, 0.040, 0.020, 0.015, 0.010, 0.008, 0.006, 0.005, 0.004, 0.002, 0.002, 0.001),
    "snow": (0.950, 0.960, 0.950, 0.920, 0.900, 0.880, 0.860, 0.840, 0.820, 0.750, 0.200, 0.100, 0.050),
}


def cover_reflectance(cover: str) -> dict[str, float]:
    """Library reflectance of ``cover`` per band id (B01 .. B12): ``cover_reflectance("dense_vegetation")``.

    The single source of the test spectra: the generator, the atmospheric-correction tests and scripts.
    """
    try:
        values = SPECTRA[cover]
    except KeyError:
        raise ValueError(f"cover {cover!r} unknown; expected one of {', '.join(COVERS)}") from None
    return dict(zip(BAND_IDS, values))


#: Cloud-top reflectance (thick water cloud) at the band centres.
CLOUD_SPECTRUM = (0.75, 0.76, 0.77, 0.78, 0.78, 0.78, 0.78, 0.77, 0.77, 0.75, 0.60, 0.55, 0.40)
#: Cirrus reflectance per band relative to B10 (ice cloud, nearly grey; B10 = 1).
CIRRUS_RELATIVE = (1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 0.7)

#: Sen2Cor scene-classification codes (L2A SCL) used for the truth class map.
SCL_CODES = {
    "NO_DATA": 0, "SATURATED_DEFECTIVE": 1, "DARK_FEATURE_SHADOW": 2, "CLOUD_SHADOW": 3, "VEGETATION": 4,
    "NOT_VEGETATED": 5, "WATER": 6, "UNCLASSIFIED": 7, "CLOUD_MEDIUM_PROBA": 8, "CLOUD_HIGH_PROBA": 9,
    "THIN_CIRRUS": 10, "SNOW_ICE": 11,
}
#: Sen2Cor's DDV relations (L2A_CAL_AC_GIPP defaults) that the dense-vegetation spectrum follows on average.
DDV_RED_SWIR_RATIO = 0.5
DDV_BLUE_RED_RATIO = 0.5
#: Bands whose dense-vegetation reflectance follows the red / the blue relation.
DDV_RED_BANDS = ("B04",)
DDV_BLUE_BANDS = ("B01", "B02")

COVER_SCL = {"dense_vegetation": 4, "sparse_vegetation": 4, "bare_soil": 5, "urban": 5, "water": 6, "snow": 11}
