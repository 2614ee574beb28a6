"""Staging of L1C bands: JPEG 2000 -> image database -> resampled TOA reflectance in the
temporary database (manual §2.4.1-§2.4.2; Sen2Cor's L2A_Tables import and resampling).

Each band is decoded once (``Nr_Threads`` OpenJPEG threads), optionally only the ROI window,
and stored as DN at its native resolution. :func:`stage_resolution` then brings the bands of
one processing resolution onto its grid, converts them to float32 TOA reflectance with the
product's QUANTIFICATION_VALUE and per-band RADIO_ADD_OFFSET, and stores, per resolution,
``NODATA`` (uint8, 1 where any staged band has DN 0) and ``SATURATED`` (uint16, bit i set
where band ``BAND_IDS[i]`` has DN 65535).
"""
from __future__ import annotations

import contextlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Mapping

import numpy as np

from sen2cor.bands import BAND_IDS, NATIVE_RESOLUTION_M, band_index
from sen2cor.io.jp2 import jp2_shape, read_jp2_strips
from sen2cor.tables import radiometry
from sen2cor.tables.resample import resample_band, resample_mask
from sen2cor.tables.roi import Roi
from sen2cor.tables.store import Database

log = logging.getLogger(__name__)

#: L1C bands decoded at once when Nr_Threads >= 2.
BANDS_AT_ONCE = 2
#: Bands the 20 m stage imports first (all but B08, manual §2.4.1).
BANDS_20M_STAGE: tuple[str, ...] = tuple(b for b in BAND_IDS if b != "B08")
#: Bands processed at each resolution (algorithm facts A.1; B08 only at 10 m).
PROCESSING_BANDS: dict[int, tuple[str, ...]] = {
    10: ("B02", "B03", "B04", "B08"),
    20: BANDS_20M_STAGE,
    60: BANDS_20M_STAGE,
}


def import_bands(image_db: Database, band_paths: Mapping[str, Path], *, nr_threads: int = 1,
                 roi: Roi | None = None) -> dict[str, float]:
    """Decode each L1C band once into ``image_db`` at its native resolution.

    Bands already present are skipped. Decoding goes by code-stream tile rows straight into
    the database (bounded memory). With a ``roi`` only its window is decoded (OpenJPEG decodes
    only the tiles it touches). With ``nr_threads`` >= 2 two bands are decoded at once (each
    with ``nr_threads`` OpenJPEG threads), overlapping the part of a decode OpenJPEG does not
    parallelise; database writes are serialised by a lock (PyTables is not thread-safe).
    Returns the seconds spent per band.
    """
    todo = [(band, Path(path)) for band, path in band_paths.items()
            if not image_db.has(band, NATIVE_RESOLUTION_M[band])]
    lock = threading.Lock()

    def import_one(band: str, path: Path) -> float:
        start = time.perf_counter()
        resolution = NATIVE_RESOLUTION_M[band]
        window = roi.area(resolution) if roi is not None else None
        rows, cols = jp2_shape(path)[:2]
        if window is not None:
            rows, cols = window[2] - window[0], window[3] - window[1]
        with lock:
            node = image_db.create(band, resolution, (rows, cols), np.uint16)
        for offset, strip in read_jp2_strips(path, nr_threads=nr_threads, window=window):
            with lock:
                node[offset:offset + strip.shape[0]] = strip
        seconds = time.perf_counter() - start
        log.info("imported %s (%d m) from %s in %.1f s", band, resolution, path.name, seconds)
        return seconds

    workers = max(1, min(BANDS_AT_ONCE, int(nr_threads), len(todo)))
    if workers == 1:
        seconds = [import_one(band, path) for band, path in todo]
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="l1c-import") as pool:
            seconds = list(pool.map(lambda item: import_one(*item), todo))
    image_db.flush()
    return {band: s for (band, _), s in zip(todo, seconds)}


def stage_resolution(image_db: Database, temp_db: Database, resolution_m: int, *,
                     quantification: float, add_offset: Mapping[str, int],
                     bands: tuple[str, ...] | None = None, nodata_value: float = 0.0,
                     nr_threads: int = 1) -> None:
    """Resample the DN of ``bands`` to ``resolution_m`` and store TOA reflectance (float32).

    Parameters
    ----------
    quantification : L1C QUANTIFICATION_VALUE (DN per unit reflectance).
    add_offset : RADIO_ADD_OFFSET per band (DN); missing bands count as 0.
    nodata_value : reflectance given to no-data pixels (0 as in Sen2Cor; NaN possible).
    nr_threads : with 2 or more, two bands are staged at once (numpy releases the GIL; database reads and
        writes are serialised by a lock); the stored arrays are the same.
    """
    bands = bands or PROCESSING_BANDS[resolution_m]
    lock = threading.Lock()

    def stage_one(band: str) -> tuple[str, np.ndarray, np.ndarray]:
        native = NATIVE_RESOLUTION_M[band]
        with lock:
            dn = image_db.get(band, native)
        band_nodata = resample_mask(radiometry.nodata_mask(dn), native, resolution_m)
        band_sat = resample_mask(radiometry.saturation_mask(dn), native, resolution_m)
        dn_res = resample_band(band, dn, native, resolution_m)
        del dn
        rho = radiometry.dn_to_reflectance(dn_res, quantification, add_offset.get(band, 0),
                                           nodata_value=nodata_value)
        rho[band_nodata] = nodata_value
        with lock:
            temp_db.put(band, resolution_m, rho)
        return band, band_nodata, band_sat

    nodata = None
    saturated = None
    with contextlib.ExitStack() as stack:
        if int(nr_threads) >= 2 and len(bands) > 1:
            pool = stack.enter_context(ThreadPoolExecutor(BANDS_AT_ONCE, thread_name_prefix="staging"))
            staged = pool.map(stage_one, bands)
        else:
            staged = map(stage_one, bands)
        for band, band_nodata, band_sat in staged:
            nodata = band_nodata if nodata is None else (nodata | band_nodata)
            if saturated is None:
                saturated = np.zeros(band_sat.shape, dtype=np.uint16)
            saturated[band_sat] |= np.uint16(1 << band_index(band))
    if nodata is not None:
        temp_db.put("NODATA", resolution_m, nodata.astype(np.uint8))
        temp_db.put("SATURATED", resolution_m, saturated)
    temp_db.flush()
    log.info("staged %d bands at %d m", len(bands), resolution_m)


def valid_mask_60m(image_db: Database) -> np.ndarray:
    """Valid (non-zero) pixels of B01 at 60 m — the cheap input of ROI AUTO detection."""
    return ~radiometry.nodata_mask(image_db.get("B01", 60))


def saturated_bands(saturated: np.ndarray, band: str) -> np.ndarray:
    """Boolean saturation mask of ``band`` from the ``SATURATED`` bit field."""
    return (saturated & np.uint16(1 << band_index(band))) != 0
