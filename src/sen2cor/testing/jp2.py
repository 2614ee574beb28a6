"""JPEG 2000 writing like L1C products: lossless 5-3, LRCP, GMLJP2 georeferencing box before the codestream;
band files with the tiles, code blocks and precincts of real L1C bands (masks: 64 x 64 code blocks).

Box layout of real L1C/L2A band files: jP, ftyp (jp2), jp2h, asoc(gml.data / gml.root-instance / xml),
jp2c. The GML RectifiedGrid origin is the centre of the upper-left pixel.
"""
from __future__ import annotations

import logging
import os
import shutil
import struct
from pathlib import Path

import glymur
import numpy as np

from sen2cor.io.jp2 import L2A_PROFILES

log = logging.getLogger(__name__)

#: JP2 tile size per resolution (m -> px), as in Sen2Cor/L1C band files.
TILE_SIZE_PX = {10: 1024, 20: 640, 60: 192}


def _fmt(v: float) -> str:
    """Coordinates printed exactly (no %g rounding): integers without a decimal point."""
    return str(int(v)) if float(v).is_integer() else repr(float(v))


def gml_xml(ulx_m: float, uly_m: float, resolution_m: float, nrows: int, ncols: int, epsg: int) -> str:
    """GMLJP2 feature collection describing the pixel grid of a band file."""
    srs = f"urn:ogc:def:crs:EPSG::{epsg}"
    ox, oy = ulx_m + resolution_m / 2, uly_m - resolution_m / 2
    r = _fmt(resolution_m)
    return (
        '<gml:FeatureCollection xmlns:gml="http://www.opengis.net/gml" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.opengeospatial.net/gml '
        'http://schemas.opengis.net/gml/3.1.1/profiles/gmlJP2Profile/1.0.0/gmlJP2Profile.xsd">'
        '<gml:boundedBy><gml:Null>withheld</gml:Null></gml:boundedBy>'
        '<gml:featureMember><gml:FeatureCollection><gml:featureMember>'
        '<gml:RectifiedGridCoverage dimension="2" gml:id="RGC0001"><gml:rectifiedGridDomain>'
        '<gml:RectifiedGrid dimension="2"><gml:limits><gml:GridEnvelope>'
        f'<gml:low>1 1</gml:low><gml:high>{ncols} {nrows}</gml:high></gml:GridEnvelope></gml:limits>'
        '<gml:axisName>x</gml:axisName><gml:axisName>y</gml:axisName>'
        f'<gml:origin><gml:Point gml:id="P0001" srsName="{srs}"><gml:pos>{_fmt(ox)} {_fmt(oy)}</gml:pos>'
        '</gml:Point></gml:origin>'
        f'<gml:offsetVector srsName="{srs}">{r} 0</gml:offsetVector>'
        f'<gml:offsetVector srsName="{srs}">0 -{r}</gml:offsetVector>'
        '</gml:RectifiedGrid></gml:rectifiedGridDomain><gml:rangeSet><gml:File><gml:rangeParameters>'
        f'<gml:QuantityExtent uom="{srs}">inapplicable inapplicable</gml:QuantityExtent></gml:rangeParameters>'
        '<gml:fileName>gmljp2://codestream/0</gml:fileName><gml:fileStructure>Record Interleaved</gml:fileStructure>'
        '</gml:File></gml:rangeSet><gml:coverageFunction><gml:GridFunction>'
        f'<gml:sequenceRule order="+x-y">Linear</gml:sequenceRule><gml:startPoint>1 {nrows}</gml:startPoint>'
        '</gml:GridFunction></gml:coverageFunction></gml:RectifiedGridCoverage>'
        '</gml:featureMember></gml:FeatureCollection></gml:featureMember></gml:FeatureCollection>'
    )


def _box(box_type: bytes, content: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(content), box_type) + content


def header_boxes(nrows: int, ncols: int, ncomp: int, bits: int, gml: str) -> bytes:
    """Signature, file-type (brand 'jp2 '), JP2 header and GML association boxes."""
    sig = _box(b"jP  ", b"\r\n\x87\n")
    ftyp = _box(b"ftyp", b"jp2 " + struct.pack(">I", 0) + b"jp2 ")
    ihdr = _box(b"ihdr", struct.pack(">IIHBBBB", nrows, ncols, ncomp, bits - 1, 7, 0, 0))
    colr = _box(b"colr", struct.pack(">BBBI", 1, 0, 0, 16 if ncomp == 3 else 17))
    jp2h = _box(b"jp2h", ihdr + colr)
    inner = _box(b"lbl ", b"gml.root-instance") + _box(b"xml ", gml.encode("utf-8"))
    asoc = _box(b"asoc", _box(b"lbl ", b"gml.data") + _box(b"asoc", inner))
    return sig + ftyp + jp2h + asoc


def write_jp2(path: Path, data: np.ndarray | None, resolution_m: int, ulx_m: float, uly_m: float, epsg: int,
              num_threads: int = 1, shape: tuple[int, ...] | None = None, dtype=np.uint8, tile_fn=None) -> Path:
    """Write ``data`` (2-D, or 3-D with components last; uint8/uint16) as a georeferenced lossless JP2.

    Instead of ``data``, ``shape``/``dtype`` and ``tile_fn(rows: slice, cols: slice) -> array`` may be given:
    the image is then encoded tile by tile (bounded memory for large multi-layer masks).
    """
    path = Path(path)
    if data is not None:
        shape, dtype = data.shape, data.dtype
    nrows, ncols = shape[:2]
    tile = TILE_SIZE_PX.get(resolution_m, 1024)
    kwargs = dict(numres=min(5, int(np.log2(max(min(nrows, ncols), 2))) + 1), prog="LRCP", cbsize=(64, 64))
    if len(shape) == 2 and np.dtype(dtype) == np.uint16 and resolution_m in L2A_PROFILES:
        # band files: the code blocks and precincts of real L1C bands (those of the official L2A layout; the
        # real T31TDH B01 re-encodes to its own size with it), which set the decoding cost (4 x 4 blocks at 60 m)
        profile = L2A_PROFILES[resolution_m]
        kwargs.update(cbsize=(profile.codeblock_px,) * 2, psizes=[(profile.precinct_px,) * 2] * kwargs["numres"])
    tiled = nrows > tile or ncols > tile
    if tiled:
        kwargs["tilesize"] = (tile, tile)
    if len(shape) == 3 and shape[2] >= 3:
        kwargs["mct"] = False
    raw = path.with_name(path.name + ".j2k.tmp")
    glymur.set_option("lib.num_threads", max(1, num_threads))
    if data is not None and tiled:          # tile by tile: OpenJPEG then holds one tile, not the image
        full = data
        tile_fn = lambda rows, cols: full[rows, cols]  # noqa: E731
        data = None
    if data is None and not tiled:
        data = tile_fn(slice(0, nrows), slice(0, ncols))
    if data is not None:
        glymur.Jp2k(str(raw), data=np.ascontiguousarray(data), **kwargs)
    else:
        j2k = glymur.Jp2k(str(raw), shape=shape, **kwargs)
        ntx = -(-ncols // tile)
        for k, writer in enumerate(j2k.get_tilewriters()):
            r, c = divmod(k, ntx)
            rows = slice(r * tile, min((r + 1) * tile, nrows))
            cols = slice(c * tile, min((c + 1) * tile, ncols))
            writer[:] = np.ascontiguousarray(tile_fn(rows, cols), dtype=dtype)
    ncomp = 1 if len(shape) == 2 else shape[2]
    bits = 8 if np.dtype(dtype) == np.uint8 else 16
    head = header_boxes(nrows, ncols, ncomp, bits, gml_xml(ulx_m, uly_m, resolution_m, nrows, ncols, epsg))
    size = raw.stat().st_size
    with open(path, "wb") as out, open(raw, "rb") as src:
        out.write(head)
        out.write(struct.pack(">I4s", 8 + size, b"jp2c"))
        shutil.copyfileobj(src, out, 16 * 1024 * 1024)
    os.remove(raw)
    return path
