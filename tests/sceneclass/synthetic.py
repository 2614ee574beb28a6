"""Small synthetic TOA scenes whose classes are worked out by hand in the tests."""
from __future__ import annotations

import numpy as np

#: Sun position of the synthetic scenes whose tests do not choose one (deg; azimuth clockwise from north): the
#: angles those tests were written with (SceneAux requires them; no position is Sen2Cor's default).
SUN_ZENITH_DEG = 45.0
SUN_AZIMUTH_DEG = 150.0
#: The same as SceneAux keywords: ``SceneAux(resolution_m=20.0, **SUN)``.
SUN = {"sun_zenith_deg": SUN_ZENITH_DEG, "sun_azimuth_deg": SUN_AZIMUTH_DEG}

BANDS = ("B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B8A", "B09", "B10", "B11", "B12")

# TOA reflectance per band (B01..B12); each spectrum's classification is derived in test_classify.py
SPECTRA = {
    "vegetation": dict(B02=0.04, B03=0.07, B04=0.04, B05=0.10, B8A=0.35, B09=0.10, B10=0.002, B11=0.18, B12=0.09),
    "cloud": dict(B02=0.50, B03=0.50, B04=0.50, B05=0.50, B8A=0.50, B09=0.20, B10=0.010, B11=0.40, B12=0.30),
    "water": dict(B02=0.10, B03=0.08, B04=0.05, B05=0.04, B8A=0.02, B09=0.01, B10=0.001, B11=0.01, B12=0.005),
    "snow": dict(B02=0.80, B03=0.78, B04=0.75, B05=0.74, B8A=0.70, B09=0.30, B10=0.005, B11=0.10, B12=0.08),
    "soil": dict(B02=0.10, B03=0.13, B04=0.17, B05=0.20, B8A=0.25, B09=0.08, B10=0.002, B11=0.32, B12=0.28),
    "deep_shadow": dict(B02=0.05, B03=0.04, B04=0.03, B05=0.03, B8A=0.03, B09=0.01, B10=0.001, B11=0.02, B12=0.01),
    "dark": dict(B02=0.05, B03=0.04, B04=0.03, B05=0.04, B8A=0.05, B09=0.02, B10=0.001, B11=0.03, B12=0.01),
}


def fill(shape, name="vegetation"):
    """A scene filled with one spectrum (B01, B06, B07, B08 copied from neighbours)."""
    spec = SPECTRA[name]
    toa = {}
    for band in BANDS:
        value = spec.get(band, spec.get({"B01": "B02", "B06": "B05", "B07": "B8A", "B08": "B8A"}[band] if band in
                                        ("B01", "B06", "B07", "B08") else band))
        toa[band] = np.full(shape, value, np.float32)
    return toa


def paint(toa, rows, cols, name):
    """Overwrite a window with another spectrum, in place."""
    filled = fill((1, 1), name)
    for band in BANDS:
        toa[band][rows, cols] = filled[band][0, 0]
    return toa
