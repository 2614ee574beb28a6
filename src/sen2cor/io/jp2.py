"""JPEG 2000 band I/O through glymur/OpenJPEG (the only module importing glymur).

Reading uses ``Nr_Threads`` OpenJPEG threads. Writing is lossless (reversible 5-3, one
layer, LRCP) with the code-stream layout of official L2A files (python stack facts and
the real PB 04.00 product: 10 m tiles 1024, code blocks 64, precincts 256; 20 m tiles 640,
code blocks 8, precincts 128; 60 m tiles 192, code blocks 4, precincts 64; 4 decomposition
levels), followed by a GMLJP2 association box that GDAL reads back as the exact grid.
Files are written under a temporary name and renamed when complete.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import glymur
import numpy as np
from glymur.lib import openjp2 as opj
from lxml import etree

from sen2cor.errors import OutputError, ProductReadError
from sen2cor.run.output_checks import describe_write_error
from sen2cor.io.geo import Geocoding, format_coordinate

log = logging.getLogger(__name__)

glymur.set_option("print.codestream", False)

#: Bit depth of uint16 layers in official L2A files (SIZ and ihdr; PDGS baselines 02.11, 04.00).
UINT16_PRECISION_BITS = 15


@dataclass(frozen=True)
class Jp2Profile:
    """Lossless code-stream layout: tile, code-block and precinct sizes in pixels."""

    tile_px: int | None
    codeblock_px: int
    precinct_px: int | None
    levels: int = 4
    progression: str = "LRCP"


#: Layout of official L2A files per resolution (real N0400 product, facts §5.4).
L2A_PROFILES: dict[int, Jp2Profile] = {
    10: Jp2Profile(tile_px=1024, codeblock_px=64, precinct_px=256),
    20: Jp2Profile(tile_px=640, codeblock_px=8, precinct_px=128),
    60: Jp2Profile(tile_px=192, codeblock_px=4, precinct_px=64),
}
#: TCI of the real product: 256-px tiles, 16-px code blocks, 128-px precincts (RGB, reversible MCT).
TCI_PROFILE = Jp2Profile(tile_px=256, codeblock_px=16, precinct_px=128)
#: PVI (343 x 343 RGB): one tile, 16-px code blocks, 128-px precincts.
PVI_PROFILE = Jp2Profile(tile_px=None, codeblock_px=16, precinct_px=128)


def set_threads(nr_threads: int) -> None:
    """Number of OpenJPEG threads for the following encodes/decodes (``Nr_Threads``)."""
    glymur.set_option("lib.num_threads", max(1, int(nr_threads)))


def read_jp2(path: Path, *, nr_threads: int = 1, reduce: int = 0,
             window: tuple[int, int, int, int] | None = None,
             components: tuple[int, ...] | None = None) -> np.ndarray:
    """Decode a JPEG 2000 image as stored (uint16 bands, uint8 masks, (rows, cols, 3) RGB).

    Parameters
    ----------
    path : JP2 file.
    nr_threads : OpenJPEG decoding threads.
    reduce : resolution level to skip (1 = half size).
    window : (row0, col0, row1, col1) at full resolution; only tiles touching it are decoded.
    components : 0-based components to decode (e.g. 2 of the 8 MSK_QUALIT layers); None = all.
        With one component the result is 2-D, with several (rows, cols, n).
    """
    set_threads(nr_threads)
    try:
        jp2 = _open(path, components)
        step = 2 ** int(reduce)
        if window is None:
            return jp2[::step, ::step]
        row0, col0, row1, col1 = window
        return jp2[row0:row1:step, col0:col1:step]
    except (OSError, RuntimeError, ValueError, opj.OpenJPEGLibraryError) as exc:
        raise ProductReadError(f"cannot decode JPEG 2000 file {path}: {exc}") from exc


def read_jp2_strips(path: Path, *, nr_threads: int = 1,
                    window: tuple[int, int, int, int] | None = None,
                    components: tuple[int, ...] | None = None):
    """Yield (row offset within the window, strip) covering the image or ``window``, one
    code-stream tile row at a time: decoding memory stays at one strip instead of ~4x the
    image (same CPU time as one full decode). ``components`` as in :func:`read_jp2`."""
    set_threads(nr_threads)
    try:
        jp2 = _open(path, components)
        siz = jp2.get_codestream(header_only=True).segment[1]
        rows, cols = jp2.shape[:2]
    except (OSError, RuntimeError, ValueError) as exc:
        raise ProductReadError(f"cannot open JPEG 2000 file {path}: {exc}") from exc
    row0, col0, row1, col1 = window if window else (0, 0, rows, cols)
    step = max(int(siz.ytsiz), 1)
    start = row0
    while start < row1:
        stop = min((start // step + 1) * step, row1)
        try:
            yield start - row0, jp2[start:stop, col0:col1]
        except (OSError, RuntimeError, ValueError, opj.OpenJPEGLibraryError) as exc:
            raise ProductReadError(f"cannot decode rows {start}..{stop} of {path}: {exc}") from exc
        start = stop


def _open(path: Path, components: tuple[int, ...] | None) -> glymur.Jp2k:
    jp2 = glymur.Jp2k(str(path))
    if components is not None:
        jp2.decoded_components = list(components)
    return jp2


def jp2_shape(path: Path) -> tuple[int, ...]:
    """Image shape from the header only (no decoding)."""
    try:
        return tuple(glymur.Jp2k(str(path)).shape)
    except (OSError, RuntimeError, ValueError) as exc:
        raise ProductReadError(f"cannot open JPEG 2000 file {path}: {exc}") from exc


def gml_feature_collection(geo: Geocoding, rows: int, cols: int) -> etree._Element:
    """GMLJP2 ``FeatureCollection`` of a rectified grid, as in official L2A files.

    The origin is the CENTRE of the upper-left pixel; coordinates are written exactly.
    """
    gml = "http://www.opengis.net/gml"
    xsi = "http://www.w3.org/2001/XMLSchema-instance"
    srs = f"urn:ogc:def:crs:EPSG::{geo.epsg}"
    g = lambda tag: f"{{{gml}}}{tag}"  # noqa: E731
    root = etree.Element(g("FeatureCollection"), nsmap={"gml": gml, "xsi": xsi})
    root.set(f"{{{xsi}}}schemaLocation", "http://www.opengeospatial.net/gml "
             "http://schemas.opengis.net/gml/3.1.1/profiles/gmlJP2Profile/1.0.0/gmlJP2Profile.xsd")
    etree.SubElement(etree.SubElement(root, g("boundedBy")), g("Null")).text = "withheld"
    inner = etree.SubElement(etree.SubElement(root, g("featureMember")), g("FeatureCollection"))
    cov = etree.SubElement(etree.SubElement(inner, g("featureMember")), g("RectifiedGridCoverage"))
    cov.set("dimension", "2")
    cov.set(g("id"), "RGC0001")
    grid = etree.SubElement(etree.SubElement(cov, g("rectifiedGridDomain")), g("RectifiedGrid"))
    grid.set("dimension", "2")
    env = etree.SubElement(etree.SubElement(grid, g("limits")), g("GridEnvelope"))
    etree.SubElement(env, g("low")).text = "1 1"
    etree.SubElement(env, g("high")).text = f"{cols} {rows}"
    etree.SubElement(grid, g("axisName")).text = "x"
    etree.SubElement(grid, g("axisName")).text = "y"
    point = etree.SubElement(etree.SubElement(grid, g("origin")), g("Point"))
    point.set(g("id"), "P0001")
    point.set("srsName", srs)
    centre_x = geo.ulx + geo.xdim / 2.0
    centre_y = geo.uly + geo.ydim / 2.0
    etree.SubElement(point, g("pos")).text = f"{format_coordinate(centre_x)} {format_coordinate(centre_y)}"
    for vector in (f"{format_coordinate(geo.xdim)} 0", f"0 {format_coordinate(geo.ydim)}"):
        off = etree.SubElement(grid, g("offsetVector"))
        off.set("srsName", srs)
        off.text = vector
    fileset = etree.SubElement(etree.SubElement(cov, g("rangeSet")), g("File"))
    params = etree.SubElement(etree.SubElement(fileset, g("rangeParameters")), g("QuantityExtent"))
    params.set("uom", srs)
    params.text = "inapplicable inapplicable"
    etree.SubElement(fileset, g("fileName")).text = "gmljp2://codestream/0"
    etree.SubElement(fileset, g("fileStructure")).text = "Record Interleaved"
    func = etree.SubElement(etree.SubElement(cov, g("coverageFunction")), g("GridFunction"))
    rule = etree.SubElement(func, g("sequenceRule"))
    rule.set("order", "+x-y")
    rule.text = "Linear"
    etree.SubElement(func, g("startPoint")).text = f"1 {rows}"
    return root


def gml_box(geo: Geocoding, rows: int, cols: int) -> glymur.jp2box.AssociationBox:
    """asoc(lbl 'gml.data', asoc(lbl 'gml.root-instance', xml)) — the GMLJP2 box layout."""
    xml = glymur.jp2box.XMLBox(xml=etree.ElementTree(gml_feature_collection(geo, rows, cols)))
    instance = glymur.jp2box.AssociationBox([glymur.jp2box.LabelBox("gml.root-instance"), xml])
    return glymur.jp2box.AssociationBox([glymur.jp2box.LabelBox("gml.data"), instance])


def partial_path(path: Path) -> Path:
    """Temporary name in the same directory, keeping the suffix (glymur and GDAL pick the
    format from it)."""
    return path.with_name(f".{path.stem}.part{path.suffix}")


def default_precision(image: np.ndarray, path: Path | None = None) -> int:
    """Bits per sample declared in the SIZ marker and ihdr box, as in official L2A files.

    uint8 layers (SCL, TCI, PVI, QI masks): 8. uint16 layers (BOA bands, AOT, WVP): 15 when every
    value fits (official PDGS products of baselines 02.11 and 04.00 declare 15 bits; the BOA
    encoding clips to 32767); otherwise 16 with a warning naming ``path``, so that the file stays lossless
    (e.g. the L1C DN 65535 of saturated pixels copied by --sc_only).
    """
    if image.dtype == np.uint8:
        return 8
    peak = int(image.max()) if image.size else 0
    if peak < 1 << UINT16_PRECISION_BITS:
        return UINT16_PRECISION_BITS
    log.warning("%s: values up to %d (65535: saturated) do not fit in the %d bits of official L2A files; "
                "declaring 16-bit precision", path.name if path is not None else "JPEG 2000 image", peak,
                UINT16_PRECISION_BITS)
    return 16


def write_jp2(path: Path, image: np.ndarray, geo: Geocoding | None, profile: Jp2Profile, *,
              nr_threads: int = 1, precision_bits: int | None = None) -> Path:
    """Encode ``image`` losslessly to ``path`` (uint8/uint16, (rows, cols) or (rows, cols, 3)).

    ``image`` may also be an array-like (shape, dtype, ndim, size, nbytes) whose
    ``[row_slice, col_slice]`` windows are computed on demand, e.g. a TCI scaled tile by tile.

    With ``geo`` a GMLJP2 box is placed before the code stream (boxes jP, ftyp, jp2h, asoc,
    jp2c as in official files). Tiled images are encoded tile by tile, so OpenJPEG's working
    memory is one tile instead of ~4x the image; ``nr_threads`` OpenJPEG threads encode the
    code blocks of a tile. ``precision_bits`` (SIZ/ihdr bit depth) defaults to
    :func:`default_precision`; values must fit in it. Written under a temporary name, then renamed.
    """
    path = Path(path)
    if image.dtype not in (np.uint8, np.uint16):
        raise OutputError(f"cannot write {path.name}: dtype {image.dtype}, expected uint8 or uint16")
    bits = default_precision(image, path) if precision_bits is None else int(precision_bits)
    width = 8 * image.dtype.itemsize
    if not width - 8 < bits <= width:
        raise OutputError(f"cannot write {path.name}: precision {bits} bits for {image.dtype} data, "
                          f"expected {width - 7}..{width}")
    if precision_bits is not None and bits < width and image.size and int(image.max()) >= 1 << bits:
        raise OutputError(f"cannot write {path.name}: value {int(image.max())} does not fit in the "
                          f"declared {bits}-bit precision (lossless encoding impossible)")
    rows, cols = image.shape[:2]
    tile = None if profile.tile_px is None else (profile.tile_px, profile.tile_px)
    if tile is not None and (tile[0] >= rows and tile[1] >= cols):
        tile = None  # one tile: identical code stream without tiling headers
    smallest = min(tile) if tile else min(rows, cols)
    levels = max(0, min(profile.levels, int(np.log2(max(smallest, 1)))))  # tiny images only
    stage1 = path.with_name(f".{path.stem}.stage{path.suffix}")
    stage2 = partial_path(path)
    try:
        _encode(stage1, image, profile, tile, levels, bits, nr_threads)
        if geo is not None:
            jp2 = glymur.Jp2k(str(stage1))
            _insert_box_before_codestream(stage1, stage2, jp2, gml_box(geo, rows, cols))
            stage1.unlink()
        else:
            os.replace(stage1, stage2)
        os.replace(stage2, path)
    except (OSError, RuntimeError, ValueError, opj.OpenJPEGLibraryError) as exc:
        for tmp in (stage1, stage2):
            tmp.unlink(missing_ok=True)
        cause = describe_write_error(exc, Path(path).parent, image.nbytes)
        raise OutputError(f"cannot write JPEG 2000 file {path}: {cause}") from exc
    log.debug("wrote %s %s %s (%d bits)", path.name, image.shape, image.dtype, bits)
    return path


def _encoder_parameters(profile: Jp2Profile, tile: tuple[int, int] | None, levels: int,
                        rgb: bool):
    """OpenJPEG compression parameters: reversible 5-3, one lossless layer, the profile's code
    blocks, precincts (every resolution level), progression and tiling; RCT for RGB."""
    params = opj.set_default_encoder_parameters()
    params.codec_fmt = opj.CODEC_JP2
    params.irreversible = 0
    params.tcp_numlayers = 1
    params.tcp_rates[0] = 0
    params.cp_disto_alloc = 1
    params.numresolution = levels + 1
    params.cblockw_init = params.cblockh_init = profile.codeblock_px
    params.prog_order = glymur.core.PROGRESSION_ORDER[profile.progression]
    if profile.precinct_px is not None:
        for level in range(levels + 1):
            params.prcw_init[level] = params.prch_init[level] = profile.precinct_px
        params.res_spec = levels + 1
        params.csty |= 0x01
    if tile is not None:
        params.cp_tdy, params.cp_tdx = tile
        params.tile_size_on = opj.TRUE
    params.tcp_mct = 1 if rgb else 0
    return params


def _encode(path: Path, image: np.ndarray, profile: Jp2Profile, tile: tuple[int, int] | None,
            levels: int, bits: int, nr_threads: int) -> None:
    """Encode ``image`` to a JP2 file (boxes jP, ftyp, jp2h, jp2c) tile by tile in raster order,
    through glymur's ctypes binding of OpenJPEG (the GIL is released while OpenJPEG works, so
    several files can be encoded at once from Python threads)."""
    rows, cols = image.shape[:2]
    components = 1 if image.ndim == 2 else image.shape[2]
    comptparms = (opj.ImageComptParmType * components)()
    for comp in comptparms:
        comp.dx = comp.dy = 1
        comp.w, comp.h = cols, rows
        comp.x0 = comp.y0 = 0
        comp.prec = comp.bpp = bits
        comp.sgnd = 0
    colour = opj.CLRSPC_SRGB if components == 3 else opj.CLRSPC_GRAY
    params = _encoder_parameters(profile, tile, levels, components == 3)
    with contextlib.ExitStack() as cleanup:
        codec = opj.create_compress(opj.CODEC_JP2)
        cleanup.callback(opj.destroy_codec, codec)
        image_t = opj.image_tile_create(comptparms, colour)
        cleanup.callback(opj.image_destroy, image_t)
        image_t.contents.x0 = image_t.contents.y0 = 0
        image_t.contents.x1, image_t.contents.y1 = cols, rows
        opj.set_info_handler(codec, None)
        opj.set_warning_handler(codec, opj._WARNING_CALLBACK)
        opj.set_error_handler(codec, opj._ERROR_CALLBACK)
        opj.setup_encoder(codec, params, image_t)
        opj.codec_set_threads(codec, max(1, int(nr_threads)))
        stream = opj.stream_create_default_file_stream(str(path), False)
        cleanup.callback(opj.stream_destroy, stream)
        opj.start_compress(codec, image_t, stream)
        tile_rows, tile_cols = tile or (rows, cols)
        index = 0
        for row in range(0, rows, tile_rows):
            for col in range(0, cols, tile_cols):
                block = image[row:row + tile_rows, col:col + tile_cols]
                planar = np.ascontiguousarray(block if block.ndim == 2 else np.moveaxis(block, -1, 0))
                opj.write_tile(codec, index, planar, stream)
                index += 1
        opj.end_compress(codec, stream)


def _insert_box_before_codestream(src: Path, dst: Path, jp2: glymur.Jp2k, box) -> None:
    """Copy ``src`` to ``dst`` with ``box`` inserted before the jp2c box; the file type box
    keeps brand 'jp2 ' like official L2A files (glymur's wrap() would demand 'jpx ')."""
    jp2c = next(b for b in jp2.box if b.box_id == "jp2c")
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        fout.write(fin.read(jp2c.offset))
        box.write(fout)
        shutil.copyfileobj(fin, fout, length=16 << 20)
