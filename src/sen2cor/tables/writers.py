"""Image outputs of the L2A product (manual §2.4.6; config facts §5.2-§5.4).

Each writer takes the final array, the grid (:class:`~sen2cor.io.geo.Geocoding` or any object
with ulx/uly/xdim/ydim plus ``epsg=``) and the target directory, checks the dtype, and
writes under a temporary name renamed when complete:

* ``jp2`` (default): lossless JPEG 2000 with the official layout and a GMLJP2 box;
* ``tif`` (``--tif``): tiled DEFLATE GeoTIFF;
* ``raw`` (``--raw``): raw pixels ``.rawl`` + ENVI ``.hdr`` + ``.gml``;
* ``cog`` (``--cog``; the SCL alone with ``cog=True``, ``--sc_cog``): Cloud-Optimized GeoTIFF with
  internal overviews and the band metadata of :func:`layer_style` (reflectance scale and offset,
  units, no data 0, SCL colour table and class names), checked with GDAL's COG validator.

Names: ``{prefix}_{BAND}_{res}m`` in IMG_DATA/R{res}m, ``MSK_CLDPRB_{res}m``,
``MSK_SNWPRB_{res}m``, ``MSK_DDVPXL_{res}m``, ``{prefix}_PVI`` in QI_DATA, ``{prefix}_DEM_{res}m``
in AUX_DATA; ``prefix`` = tile id + datatake sensing start, e.g. ``T29UNU_20221005T115411``.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np

from sen2cor.bands import L2A_BANDS
from sen2cor.errors import OutputError
from sen2cor.io import gdal_io, jp2
from sen2cor.io.gdal_io import BandStyle
from sen2cor.io.geo import Geocoding, as_geocoding
from sen2cor.sceneclass.legend import DDV_LEGEND, LEGEND, class_names, colours
from sen2cor.tables import radiometry
from sen2cor.tables.roi import Roi, embed

log = logging.getLogger(__name__)

SUFFIX = {"jp2": ".jp2", "tif": ".tif", "raw": ".rawl", "cog": ".tif"}
PVI_SIZE_PX = 343
PVI_RESOLUTION_M = 320
#: Files encoded concurrently at most (each with Nr_Threads OpenJPEG threads).
MAX_FILES_AT_ONCE = 2

#: Files of IMG_DATA/R{res}m besides the reflectance bands (facts §5.3).
EXTRA_LAYERS: dict[int, tuple[str, ...]] = {10: ("AOT", "WVP", "TCI"),
                                           20: ("AOT", "WVP", "SCL", "TCI"),
                                           60: ("AOT", "WVP", "SCL", "TCI")}
#: Every reflectance band of any resolution.
L2A_ALL_BANDS = frozenset(band for bands in L2A_BANDS.values() for band in bands)


def output_names(resolution_m: int, *, tci: bool = True) -> tuple[str, ...]:
    """Layer names written in IMG_DATA/R{res}m at ``resolution_m`` (facts §5.3)."""
    extra = tuple(n for n in EXTRA_LAYERS[resolution_m] if tci or n != "TCI")
    return L2A_BANDS[resolution_m] + extra


#: Layers whose values are classes: overviews take the most frequent class (GDAL MODE), never a mean.
CLASS_LAYERS = ("SCL", "DDVPXL")


def layer_style(layer: str, add_offset: int = radiometry.BOA_ADD_OFFSET) -> BandStyle:
    """COG band metadata of an output layer (``B02`` .. ``B12``, ``AOT``, ``WVP``, ``SCL``, ``TCI``, ``PVI``,
    ``CLDPRB``, ``SNWPRB``, ``DDVPXL``, ``DEM``) so that a reader gets physical values: reflectance =
    (DN + ``add_offset``) / 10000, AOT = DN / 1000, WV = DN / 1000 cm, height = DN - 10000 m; no data 0
    everywhere; averaged overviews for measurements (the probability masks too, as Sen2Cor's own 60 m
    masks are 3x3 means of the 20 m ones), most frequent class for classes."""
    if layer in CLASS_LAYERS:
        legend = LEGEND if layer == "SCL" else DDV_LEGEND
        return BandStyle((layer,), colours=colours(legend), categories=class_names(legend), resampling="MODE")
    if layer in ("TCI", "PVI"):
        return BandStyle(("B04", "B03", "B02"))
    if layer in ("CLDPRB", "SNWPRB"):
        return BandStyle((layer,), unit="%")
    if layer == "AOT":
        return BandStyle((layer,), scale=1 / radiometry.AOT_QUANTIFICATION_VALUE)
    if layer == "WVP":
        return BandStyle((layer,), scale=1 / radiometry.WVP_QUANTIFICATION_VALUE, unit="cm")
    if layer == "DEM":
        return BandStyle((layer,), scale=1.0, offset=-float(radiometry.DEM_OFFSET_M), unit="m")
    if layer in L2A_ALL_BANDS:
        quantification = radiometry.BOA_QUANTIFICATION_VALUE
        return BandStyle((layer,), scale=1 / quantification, offset=add_offset / quantification)
    raise ValueError(f"no COG style for layer {layer!r}")


def output_path(directory: Path, stem: str, fmt: str = "jp2") -> Path:
    if fmt not in SUFFIX:
        raise ValueError(f"output format {fmt!r}; expected one of {', '.join(SUFFIX)}")
    return Path(directory) / f"{stem}{SUFFIX[fmt]}"


def write_image(path: Path, image: np.ndarray, geo: Any, *, fmt: str = "jp2",
                profile: jp2.Jp2Profile | None = None, epsg: int | None = None,
                nr_threads: int = 1, style: BandStyle | None = None) -> Path:
    """Write one image in ``fmt`` ('jp2', 'tif', 'raw', 'cog'); returns the path. ``style``: the COG
    band metadata (default: :func:`layer_style` of the layer named by the file, ``<prefix>_<LAYER>_<res>m``
    or ``MSK_<KIND>_<res>m``)."""
    grid = as_geocoding(geo, epsg)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create output directory {path.parent}: {exc}") from exc
    if fmt == "jp2":
        chosen = profile or jp2.L2A_PROFILES.get(grid.resolution_m, jp2.L2A_PROFILES[60])
        return jp2.write_jp2(path, image, grid, chosen, nr_threads=nr_threads)
    if fmt == "tif":
        return gdal_io.write_geotiff(path, image, grid)
    if fmt == "raw":
        return gdal_io.write_envi_raw(path, image, grid)
    if fmt == "cog":
        return gdal_io.write_cog(path, image, grid, style or layer_style(_layer_of(path)), nr_threads=nr_threads)
    raise ValueError(f"output format {fmt!r}; expected one of {', '.join(SUFFIX)}")


def _layer_of(path: Path) -> str:
    """Layer named by an output file: ``T29UNU_20221005T115411_B02_20m`` -> B02, ``..._PVI`` -> PVI,
    ``MSK_CLDPRB_20m`` -> CLDPRB."""
    parts = Path(path).stem.split("_")
    return parts[-1] if parts[-1] == "PVI" else parts[-2]


def _expect(image: np.ndarray, dtype, what: str, ndim: int = 2) -> None:
    if image.dtype != dtype or image.ndim != ndim:
        raise OutputError(f"{what}: got {image.dtype} array of shape {image.shape}, expected "
                          f"{np.dtype(dtype).name} with {ndim} dimensions")


def write_band(img_dir: Path, prefix: str, band: str, resolution_m: int, dn: np.ndarray, geo: Any,
               *, fmt: str = "jp2", epsg: int | None = None, nr_threads: int = 1,
               add_offset: int = radiometry.BOA_ADD_OFFSET) -> Path:
    """Reflectance band, AOT or WVP as uint16 ``{prefix}_{band}_{res}m`` (``add_offset``: the BOA offset
    of the DN, declared in a COG's band offset)."""
    _expect(dn, np.uint16, f"{band} {resolution_m} m")
    path = output_path(img_dir, f"{prefix}_{band}_{resolution_m}m", fmt)
    return write_image(path, dn, geo, fmt=fmt, epsg=epsg, nr_threads=nr_threads,
                       style=layer_style(band, add_offset) if fmt == "cog" else None)


def write_scl(img_dir: Path, prefix: str, resolution_m: int, scl: np.ndarray, geo: Any, *,
              fmt: str = "jp2", cog: bool = False, epsg: int | None = None,
              nr_threads: int = 1) -> Path:
    """Scene classification (uint8); ``cog=True`` writes a validated COG (``--sc_cog``)."""
    _expect(scl, np.uint8, f"SCL {resolution_m} m")
    chosen = "cog" if cog else fmt
    path = output_path(img_dir, f"{prefix}_SCL_{resolution_m}m", chosen)
    return write_image(path, scl, geo, fmt=chosen, epsg=epsg, nr_threads=nr_threads)


class TciTiles:
    """The TCI of B04, B03, B02 as a read-only (rows, cols, 3) uint8 array-like whose windows are
    scaled when indexed (slices or ``np.ix_`` index arrays): the JPEG 2000 encoder reads it tile by
    tile and :func:`make_pvi` samples only the preview pixels, so the full RGB image (3 bytes per
    pixel, 362 MB at 10 m) is never held."""

    dtype = np.dtype(np.uint8)
    ndim = 3

    def __init__(self, b04: np.ndarray, b03: np.ndarray, b02: np.ndarray, add_offset: int) -> None:
        self._bands, self._offset = (b04, b03, b02), add_offset
        self.shape = b04.shape + (3,)
        self.size = int(np.prod(self.shape))
        self.nbytes = self.size

    def __getitem__(self, key: tuple) -> np.ndarray:
        rows, cols = key
        b04, b03, b02 = (band[rows, cols] for band in self._bands)
        return radiometry.tci_from_boa_dn(b04, b03, b02, add_offset=self._offset)


def write_tci(img_dir: Path, prefix: str, resolution_m: int, b04: np.ndarray, b03: np.ndarray,
              b02: np.ndarray, geo: Any, *, add_offset: int = radiometry.BOA_ADD_OFFSET,
              fmt: str = "jp2", epsg: int | None = None, nr_threads: int = 1) -> Path:
    """True-colour image from the L2A DN of B04, B03, B02 (Sen2Cor's scaling); JPEG 2000 output
    is scaled tile by tile (:class:`TciTiles`)."""
    if fmt in ("jp2", "cog"):   # both read the TCI in windows
        rgb = TciTiles(b04, b03, b02, add_offset)
    else:
        rgb = radiometry.tci_from_boa_dn(b04, b03, b02, add_offset=add_offset)
    path = output_path(img_dir, f"{prefix}_TCI_{resolution_m}m", fmt)
    return write_image(path, rgb, geo, fmt=fmt, profile=jp2.TCI_PROFILE, epsg=epsg,
                       nr_threads=nr_threads)


def make_pvi(tci: np.ndarray, size_px: int = PVI_SIZE_PX) -> np.ndarray:
    """343 x 343 preview (320 m) from a TCI of any resolution by nearest-neighbour zoom
    (output pixel i takes the input pixel under its centre)."""
    rows = np.minimum(((np.arange(size_px) + 0.5) * tci.shape[0] / size_px).astype(int),
                      tci.shape[0] - 1)
    cols = np.minimum(((np.arange(size_px) + 0.5) * tci.shape[1] / size_px).astype(int),
                      tci.shape[1] - 1)
    return tci[np.ix_(rows, cols)]


def write_pvi(qi_dir: Path, prefix: str, tci: np.ndarray, geo: Any, *, fmt: str = "jp2",
              epsg: int | None = None) -> Path:
    """Preview image ``{prefix}_PVI`` at 320 m in QI_DATA (same UL corner as the tile)."""
    _expect(tci, np.uint8, "TCI for PVI", ndim=3)
    grid = as_geocoding(geo, epsg).at_resolution(PVI_RESOLUTION_M)
    path = output_path(qi_dir, f"{prefix}_PVI", fmt)
    return write_image(path, make_pvi(tci), grid, fmt=fmt, profile=jp2.PVI_PROFILE)


def write_qi_mask(qi_dir: Path, kind: str, resolution_m: int, mask: np.ndarray, geo: Any, *,
                  fmt: str = "jp2", epsg: int | None = None, nr_threads: int = 1) -> Path:
    """MSK_CLDPRB / MSK_SNWPRB (uint8 percent) or MSK_DDVPXL (uint8) at 20 or 60 m."""
    if kind not in ("CLDPRB", "SNWPRB", "DDVPXL"):
        raise ValueError(f"QI mask kind {kind!r}; expected CLDPRB, SNWPRB or DDVPXL")
    _expect(mask, np.uint8, f"MSK_{kind} {resolution_m} m")
    path = output_path(qi_dir, f"MSK_{kind}_{resolution_m}m", fmt)
    return write_image(path, mask, geo, fmt=fmt, epsg=epsg, nr_threads=nr_threads)


def write_dem(aux_dir: Path, prefix: str, resolution_m: int, height_m: np.ndarray, geo: Any, *,
              fmt: str = "jp2", epsg: int | None = None, nr_threads: int = 1) -> Path:
    """DEM output (Generate_DEM_Output) as uint16 height + 10000 m in AUX_DATA."""
    path = output_path(aux_dir, f"{prefix}_DEM_{resolution_m}m", fmt)
    return write_image(path, radiometry.encode_dem(height_m), geo, fmt=fmt, epsg=epsg,
                       nr_threads=nr_threads)


def files_at_once(nr_threads: int, n_files: int) -> int:
    """Files encoded concurrently for ``nr_threads`` (Nr_Threads): two when at least two threads
    are allowed (each file keeps ``nr_threads`` OpenJPEG threads, so one file alone still uses
    every core while two overlap their serial parts), else one."""
    return max(1, min(MAX_FILES_AT_ONCE, int(nr_threads), n_files))


def write_all(tasks: list[tuple[Callable[[], Any], Callable[[Any], Path]]], nr_threads: int = 1
              ) -> list[Path]:
    """Run ``(read, write)`` tasks and return the written paths in task order.

    ``read()`` runs on the calling thread (layer mappings may be backed by PyTables, which is
    not thread-safe); ``write(read())`` runs on up to :func:`files_at_once` worker threads
    (OpenJPEG and GDAL release the GIL while encoding). A task is read only when a worker is
    free, so at most that many layers are alive beyond the caller's own. The first failure is
    raised after the files already being written are finished.
    """
    workers = files_at_once(nr_threads, len(tasks))
    if workers == 1:
        return [write(read()) for read, write in tasks]
    results: list[Path | None] = [None] * len(tasks)
    with ThreadPoolExecutor(workers, thread_name_prefix="l2a-export") as pool:
        pending: dict[Future, int] = {}
        for index, (read, write) in enumerate(tasks):
            while len(pending) >= workers:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    results[pending.pop(future)] = future.result()
            pending[pool.submit(write, read())] = index
        for future, index in pending.items():
            results[index] = future.result()
    return results


def write_resolution(granule_dir: Path, prefix: str, resolution_m: int, layers: Mapping[str, np.ndarray],
                     geo: Any, *, fmt: str = "jp2", sc_cog: bool = False, tci: bool = True,
                     add_offset: int = radiometry.BOA_ADD_OFFSET, epsg: int | None = None,
                     roi: Roi | None = None, nr_threads: int = 1) -> list[Path]:
    """Write every IMG_DATA/R{res}m file of one resolution from ``layers`` (name -> final
    array: uint16 bands/AOT/WVP, uint8 SCL). Missing layers are skipped with a warning.
    With ``roi`` the layers are ROI windows and are embedded in the full tile grid with no
    data (0) outside. Up to two files are encoded at once (:func:`write_all`); the TCI, the
    largest, is started first and scaled tile by tile, so at most four layers are read at a
    time (its three bands and one other). ``layers`` is only accessed on the calling thread.
    Returns the paths in the order of :func:`output_names`."""
    grid = as_geocoding(geo, epsg).at_resolution(resolution_m)
    img_dir = Path(granule_dir) / "IMG_DATA" / f"R{resolution_m}m"

    def layer(name: str) -> np.ndarray:
        return layers[name] if roi is None else embed(layers[name], roi, resolution_m)

    def task(name: str) -> tuple[Callable[[], Any], Callable[[Any], Path]]:
        if name == "TCI":
            def write(rgb):
                return write_tci(img_dir, prefix, resolution_m, *rgb, grid, add_offset=add_offset, fmt=fmt,
                                 nr_threads=nr_threads)
            return (lambda: tuple(layer(b) for b in ("B04", "B03", "B02"))), write
        if name == "SCL":
            def write(scl):
                return write_scl(img_dir, prefix, resolution_m, scl, grid, fmt=fmt, cog=sc_cog,
                                 nr_threads=nr_threads)
        else:
            def write(dn):
                return write_band(img_dir, prefix, name, resolution_m, dn, grid, fmt=fmt,
                                  nr_threads=nr_threads, add_offset=add_offset)
        return (lambda: layer(name)), write

    present = []
    for name in output_names(resolution_m, tci=tci):
        needed = ("B04", "B03", "B02") if name == "TCI" else (name,)
        if all(n in layers for n in needed):
            present.append(name)
        elif name != "TCI":
            log.warning("no %s layer at %d m: file not written", name, resolution_m)
    order = sorted(present, key=lambda name: name != "TCI")  # the largest file first
    written = dict(zip(order, write_all([task(name) for name in order], nr_threads)))
    return [written[name] for name in present]


def write_qi_masks(qi_dir: Path, resolution_m: int, masks: Mapping[str, np.ndarray], geo: Any, *,
                   fmt: str = "jp2", epsg: int | None = None, roi: Roi | None = None, nr_threads: int = 1
                   ) -> list[Path]:
    """Every QI mask of one resolution (kind -> uint8 array, e.g. CLDPRB, SNWPRB), up to two
    files at once (:func:`write_all`). With ``roi`` the masks are ROI windows, embedded in the
    full tile grid (0 outside) as each file is written, like :func:`write_resolution`."""
    tasks = [(lambda kind=kind: masks[kind] if roi is None else embed(masks[kind], roi, resolution_m),
              lambda mask, kind=kind: write_qi_mask(qi_dir, kind, resolution_m, mask, geo, fmt=fmt,
                                                    epsg=epsg, nr_threads=nr_threads))
             for kind in masks]
    return write_all(tasks, nr_threads)


__all__ = ["Geocoding", "CLASS_LAYERS", "layer_style", "output_names", "output_path", "write_image", "write_band",
           "write_scl", "write_tci", "make_pvi", "write_pvi", "write_qi_mask", "write_qi_masks", "write_dem",
           "write_resolution", "write_all", "files_at_once"]
