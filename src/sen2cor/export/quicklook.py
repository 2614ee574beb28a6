"""Quicklook of an L2A tile: true colour and scene classification side by side, the SCL legend with
Sen2Cor's class names, colours and percentages, and the key quality numbers (cloud %, AOT, WV, AOT method).

Written as ``GRANULE/<granule>/QI_DATA/<T<tile>_<datatake start>>_quicklook.png`` (beside the PVI; in a
PDGS tile folder its ``QI_DATA``) at the end of every run unless ``--no_quicklook``. It reads the finished
outputs only (TCI and SCL files of the coarsest resolution that is large enough, decoded at a reduced
resolution; the numbers from the tile metadata), so it also works on any L2A product::

    python -m sen2cor.export.quicklook <L2A.SAFE or granule folder> [OUT.png]
"""
from __future__ import annotations

import dataclasses
import logging
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import etree
from PIL import Image, ImageDraw, ImageFont

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.sceneclass.legend import SCL_COLOURS, SCL_NAMES, scl_rgb
from sen2cor.sceneclass.percentages import CLASS_PERCENTAGE_NAMES

log = logging.getLogger(__name__)

#: Longest side of each of the two image panels (px), and the least width of the slot holding one.
PANEL_PX = 640
SLOT_PX = 330
SUFFIX = "_quicklook.png"
IMAGE_SUFFIXES = (".jp2", ".tif", ".rawl")
#: Tile-metadata percentage of each SCL class (the names the quality step writes; class 2 is CAST_SHADOW in
#: PSD 15, DARK_FEATURES before).
CLASS_PERCENT_ELEMENTS: dict[int, tuple[str, ...]] = {
    0: ("NODATA_PIXEL_PERCENTAGE",), 1: ("SATURATED_DEFECTIVE_PIXEL_PERCENTAGE",),
    **{value: (name,) for value, name in CLASS_PERCENTAGE_NAMES.items()},
    2: ("CAST_SHADOW_PERCENTAGE", CLASS_PERCENTAGE_NAMES[2]),
}
#: Share of the tile below which the panels are cut to the bounding box of the data.
CROP_BELOW = 0.5
#: A part of the tile: (first row, end row, first column, end column) as fractions of its size.
Window = tuple[float, float, float, float]
FULL: Window = (0.0, 1.0, 0.0, 1.0)
#: TCI median below which the quicklook brightens the true colour, and the largest gain.
DARK_LEVEL = 70.0
MAX_GAIN = 4.0
BACKGROUND = (255, 255, 255)
INK = (20, 20, 20)


@dataclass(frozen=True)
class TileNumbers:
    """Quality numbers of the tile metadata (None when absent): cloud %, mean AOT (550 nm), mean WV (cm),
    AOT retrieval method, and the percentage of each SCL class."""

    cloud_percent: float | None
    mean_aot: float | None
    mean_wv_cm: float | None
    aot_method: str | None
    class_percent: dict[int, float | None]


def read_numbers(tile_mtd: Path) -> TileNumbers:
    """The numbers of the quicklook from a tile metadata file (MTD_TL.xml or the PDGS tile's MTD)."""
    try:
        root = etree.parse(str(tile_mtd)).getroot()
    except (OSError, etree.XMLSyntaxError) as exc:
        raise ProductReadError(f"cannot read tile metadata {tile_mtd}: {exc}") from exc
    values = {etree.QName(e).localname: (e.text or "").strip() for e in root.iter() if isinstance(e.tag, str)}

    def number(*names: str) -> float | None:
        for name in names:
            try:
                return float(values[name])
            except (KeyError, ValueError):
                continue
        return None

    return TileNumbers(
        cloud_percent=number("CLOUDY_PIXEL_PERCENTAGE"), mean_aot=number("GRANULE_MEAN_AOT"),
        mean_wv_cm=number("GRANULE_MEAN_WV"), aot_method=values.get("AOT_RETRIEVAL_METHOD") or None,
        class_percent={value: number(*names) for value, names in CLASS_PERCENT_ELEMENTS.items()})


def _find(granule: Path, layer: str) -> list[tuple[int, Path]]:
    """(resolution, file) of ``layer`` in IMG_DATA/R{res}m, coarsest first."""
    found = []
    for res in (60, 20, 10):
        for path in sorted((granule / "IMG_DATA" / f"R{res}m").glob(f"*_{layer}_{res}m.*")):
            if path.suffix in IMAGE_SUFFIXES:
                found.append((res, path))
                break
    return found


def _pick(files: list[tuple[int, Path]], window: Window = FULL) -> tuple[Path, int, tuple[int, int, int, int]]:
    """The coarsest file in which ``window`` (fractions of the tile: row0, row1, col0, col1) spans at least
    :data:`PANEL_PX` (else the finest), the number of halvings (JPEG 2000 reduce level / overview) that keeps
    it at least that large, and the window in that file's pixels (row0, col0, row1, col1)."""
    if not files:
        raise ProductReadError("no image file found")
    for _, path in files:
        rows, cols = _shape(path)[:2]
        r0, c0 = int(window[0] * rows), int(window[2] * cols)
        r1, c1 = max(r0 + 1, math.ceil(window[1] * rows)), max(c0 + 1, math.ceil(window[3] * cols))
        side = max(r1 - r0, c1 - c0)
        if side >= PANEL_PX or path == files[-1][1]:
            return path, max(0, int(math.floor(math.log2(side / PANEL_PX)))) if side > PANEL_PX else 0, (
                r0, c0, r1, c1)
    raise AssertionError("unreachable")


def read_window(path: Path, halvings: int, pixels: tuple[int, int, int, int]) -> np.ndarray:
    """Window ``pixels`` (row0, col0, row1, col1) of image ``path`` at 1/2**halvings of its resolution
    ((rows, cols) or (rows, cols, bands)): JPEG 2000 decodes only the tiles and resolution levels needed;
    GeoTIFF/raw are read through GDAL (from overviews when present)."""
    r0, c0, r1, c1 = pixels
    if path.suffix == ".jp2":
        from sen2cor.io.jp2 import read_jp2

        return read_jp2(path, reduce=halvings, window=(r0, c0, r1, c1))
    from sen2cor.io.gdal_io import open_raster

    ds = open_raster(path)
    step = 2 ** halvings
    data = ds.ReadAsArray(c0, r0, c1 - c0, r1 - r0, buf_xsize=max(1, (c1 - c0) // step),
                          buf_ysize=max(1, (r1 - r0) // step))
    return data if data.ndim == 2 else np.moveaxis(data, 0, -1)


def data_window(scl: np.ndarray) -> tuple[Window, float]:
    """Bounding box of the SCL's data (SCL > 0) as fractions of the tile, and its share of the tile, when
    that share is below :data:`CROP_BELOW` (a tile corner at a swath edge); else the whole tile and 1.0."""
    rows = np.flatnonzero(np.any(scl > 0, axis=1))
    cols = np.flatnonzero(np.any(scl > 0, axis=0))
    if rows.size == 0:
        return FULL, 1.0
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    share = (r1 - r0) * (c1 - c0) / scl.size
    if share >= CROP_BELOW:
        return FULL, 1.0
    return (r0 / scl.shape[0], r1 / scl.shape[0], c0 / scl.shape[1], c1 / scl.shape[1]), float(share)


def _shape(path: Path) -> tuple[int, ...]:
    if path.suffix == ".jp2":
        from sen2cor.io.jp2 import jp2_shape

        return jp2_shape(path)
    from sen2cor.io.gdal_io import open_raster

    ds = open_raster(path)
    return ds.RasterYSize, ds.RasterXSize


def compose(tci: np.ndarray, scl: np.ndarray, numbers: TileNumbers, title: str) -> Image.Image:
    """The quicklook picture: ``tci`` (rows, cols, 3) uint8 and ``scl`` (any size; shown at the TCI's size,
    nearest neighbour) side by side under ``title``, the legend to the right, the numbers below. Each panel
    sits in a slot at least :data:`SLOT_PX` wide so that narrow images keep readable captions."""
    rows, cols = tci.shape[:2]
    scale = PANEL_PX / max(rows, cols)
    size = (max(1, round(cols * scale)), max(1, round(rows * scale)))
    tci, gain = brighten(tci[..., :3])
    left = Image.fromarray(np.ascontiguousarray(tci)).resize(size, Image.Resampling.BOX if scale < 1
                                                                       else Image.Resampling.NEAREST)
    right = Image.fromarray(scl_rgb(scl)).resize(size, Image.Resampling.NEAREST)
    font = ImageFont.load_default(size=15)
    bold = ImageFont.load_default(size=18)
    pad, legend_w, header, footer = 12, 330, 40, 64
    slot = max(size[0], SLOT_PX)
    numbers_text = _numbers_line(numbers)
    measure = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    width = max(pad * 4 + 2 * slot + legend_w, int(measure.textlength(title, font=bold)) + 2 * pad,
                int(measure.textlength(numbers_text, font=bold)) + 2 * pad)
    height = header + max(size[1], 13 * 24 + 30) + footer + pad
    canvas = Image.new("RGB", (width, height), BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    draw.text((pad, 10), title, fill=INK, font=bold)
    top = header
    caption = "true colour (TCI: B04, B03, B02)" + (f", brightness x{gain:.1f}" if gain > 1 else "")
    for index, (image, text) in enumerate(((left, caption), (right, "scene classification (SCL)"))):
        x_slot = pad + index * (slot + pad)
        x = x_slot + (slot - size[0]) // 2
        canvas.paste(image, (x, top))
        draw.rectangle((x - 1, top - 1, x + size[0], top + size[1]), outline=(120, 120, 120))
        draw.text((x_slot, top + size[1] + 4), text, fill=INK, font=font)
    x0 = 3 * pad + 2 * slot
    draw.text((x0, top), "SCL class", fill=INK, font=font)
    draw.text((x0 + legend_w - pad - draw.textlength("%", font=font), top), "%", fill=INK, font=font)
    note = "% of the valid pixels; NO_DATA: % of the tile"
    draw.text((x0, top + 24 + 12 * 24 + 6), note, fill=(90, 90, 90), font=ImageFont.load_default(size=12))
    for value in sorted(SCL_NAMES):
        y = top + 24 + value * 24
        draw.rectangle((x0, y, x0 + 18, y + 18), fill=SCL_COLOURS[value], outline=(90, 90, 90))
        draw.text((x0 + 26, y), f"{value:2d} {SCL_NAMES[value]}", fill=INK, font=font)
        percent = numbers.class_percent.get(value)
        text = "–" if percent is None else f"{percent:5.1f}"
        draw.text((x0 + legend_w - pad - draw.textlength(text, font=font), y), text, fill=INK, font=font)
    draw.text((pad, height - footer + 18), numbers_text, fill=INK, font=bold)
    return canvas


def brighten(tci: np.ndarray) -> tuple[np.ndarray, float]:
    """A dark TCI (median of the valid values below :data:`DARK_LEVEL`, e.g. winter scenes at a low sun)
    multiplied by one gain for all three channels (colours keep their ratios; bright clouds saturate) so
    that the median reaches :data:`DARK_LEVEL`, at most :data:`MAX_GAIN`; returns the image and the gain."""
    valid = tci.any(axis=-1)
    if not valid.any():
        return tci, 1.0
    level = float(np.median(tci[valid]))
    if level >= DARK_LEVEL:
        return tci, 1.0
    gain = min(MAX_GAIN, DARK_LEVEL / max(level, 1.0))
    out = np.clip(tci.astype(np.float32) * gain, 0, 255).astype(np.uint8)
    out[~valid] = 0
    return out, gain


def _numbers_line(numbers: TileNumbers) -> str:
    def fmt(value: float | None, pattern: str) -> str:
        return "n/a" if value is None else pattern.format(value)

    return (f"cloud {fmt(numbers.cloud_percent, '{:.1f} %')}    AOT(550 nm) {fmt(numbers.mean_aot, '{:.3f}')}"
            f" ({numbers.aot_method or 'method n/a'})    WV {fmt(numbers.mean_wv_cm, '{:.2f} cm')}")


def _true_colour(granule: Path, window: Window) -> np.ndarray:
    """``window`` of the TCI, reduced; without TCI files (Generate_TCI_Output FALSE) the same scaling applied
    to the B04, B03, B02 files of one resolution (BOA_ADD_OFFSET from MTD_MSIL2A.xml, else Sen2Cor's -1000)."""
    if _find(granule, "TCI"):
        return read_window(*_pick(_find(granule, "TCI"), window))
    from sen2cor.tables.radiometry import BOA_ADD_OFFSET, tci_from_boa_dn

    for res in (60, 20, 10):
        found = [_find(granule, band) for band in ("B04", "B03", "B02")]
        files = [dict(f).get(res) for f in found]
        if all(files):
            _, halvings, pixels = _pick([(res, files[0])], window)
            offset = _boa_add_offset(granule)
            return tci_from_boa_dn(*(read_window(f, halvings, pixels) for f in files),
                                   add_offset=BOA_ADD_OFFSET if offset is None else offset)
    raise ProductReadError("no TCI and no B04, B03, B02 of one resolution")


def _boa_add_offset(granule: Path) -> int | None:
    mtd = granule.parent.parent / "MTD_MSIL2A.xml"
    if not mtd.is_file():
        return None
    for element in etree.parse(str(mtd)).getroot().iter("{*}BOA_ADD_OFFSET", "BOA_ADD_OFFSET"):
        return int(float(element.text))
    return 0   # no offset list: products of baselines before 04.00


def _with_image_means(numbers: TileNumbers, granule: Path) -> TileNumbers:
    """Mean AOT and WV from the AOT / WVP files (mean of the valid DN / 1000, as GRANULE_MEAN_AOT / _WV)
    when the tile metadata lack them (PSD before 14.9)."""
    means = {}
    for layer, value in (("AOT", numbers.mean_aot), ("WVP", numbers.mean_wv_cm)):
        files = _find(granule, layer)
        if value is None and files:
            dn = read_window(*_pick(files))
            means[layer] = float(dn[dn > 0].mean()) / 1000.0 if np.any(dn > 0) else None
    if not means:
        return numbers
    return dataclasses.replace(numbers, mean_aot=means.get("AOT", numbers.mean_aot),
                               mean_wv_cm=means.get("WVP", numbers.mean_wv_cm))


def tile_metadata(granule: Path) -> Path:
    """MTD_TL.xml of a compact granule, or the ``*MTD*TL*.xml`` of a PDGS tile folder."""
    for pattern in ("MTD_TL.xml", "*MTD*TL*.xml"):
        found = sorted(Path(granule).glob(pattern))
        if found:
            return found[0]
    raise ProductReadError(f"no tile metadata (MTD_TL.xml) in {granule}")


def _product_name(granule: Path) -> str:
    """Name of the product holding a compact granule, or of a PDGS tile folder; the final name while it is
    written under ``.<name>.tmp-<pid>``."""
    folder = granule.parent.parent if granule.parent.name == "GRANULE" else granule
    name = folder.name
    return name[1:].rsplit(".tmp-", 1)[0] if name.startswith(".") and ".tmp-" in name else name


def write_quicklook(granule: Path, out: Path | None = None, *, title: str | None = None) -> Path:
    """Write the quicklook of the L2A tile folder ``granule`` (default: its QI_DATA/<prefix>_quicklook.png)."""
    granule = Path(granule)
    try:
        scl_files = _find(granule, "SCL")
        scl_path, *where = _pick(scl_files)
        window, share = data_window(read_window(scl_path, *where))
        scl = read_window(*_pick(scl_files, window))
        tci = _true_colour(granule, window)
    except ProductReadError as exc:
        raise ProductReadError(f"no quicklook for {granule}: {exc} (SCL and TCI or B04/B03/B02 in "
                               f"IMG_DATA/R*m)") from None
    numbers = _with_image_means(read_numbers(tile_metadata(granule)), granule)
    prefix = scl_path.stem.rsplit("_", 2)[0]
    title = title or _product_name(granule)
    if share < 1.0:
        title = f"{title}  (cut to the {100 * share:.2g} % of the tile holding data)"
    picture = compose(tci, scl, numbers, title)
    target = Path(out) if out is not None else granule / "QI_DATA" / f"{prefix}{SUFFIX}"
    tmp = target.with_name(f".{target.stem}.part.png")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        picture.save(tmp, format="PNG")
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write quicklook {target}: {exc}") from exc
    log.debug("quicklook: %s", target)
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if not args:
        print("usage: python -m sen2cor.export.quicklook <L2A.SAFE | granule folder> [OUT.png]", file=sys.stderr)
        return 1
    source = Path(args[0])
    granules = sorted(source.glob("GRANULE/L2A_*")) or [source]
    for granule in granules:
        print(write_quicklook(granule, Path(args[1]) if len(args) > 1 else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
