"""Materialise an L2A product: skeleton (``--cr_only``), publication, finalisation, re-run detection.

The product is assembled hidden in ``.<name>.tmp/<name>`` and renamed to ``<name>`` when complete
(:mod:`sen2cor.product.publishing`), so an interrupted or failed run never leaves a half product under
the final name; the L1C input is only read. Names are unique even for runs started in the same second:
the name is reserved before any work, and a name already taken (by a product or by a live run) moves
the generation time on by one second.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sen2cor.bands import RESOLUTIONS_M
from sen2cor.errors import OutputError, Sen2CorError
from sen2cor.product import naming, publishing
from sen2cor.product.layout import (
    LAYERS,
    PROBABILITY_MASK_RESOLUTIONS_M,
    QI_MASKS,
    L2ALayout,
    output_boa_offset,
    utc_milliseconds,
)
from sen2cor.product.manifest import write_manifest
from sen2cor.product.metadata import (
    BOA_ADD_OFFSET_DN,
    DEFAULT_DOI,
    MetadataContext,
    read_xml,
    write_xml,
)
from sen2cor.product.mtd_datastrip import build_datastrip_metadata
from sen2cor.product.mtd_product import build_product_metadata, set_image_files
from sen2cor.product.mtd_tile import build_tile_metadata, set_probability_masks
from sen2cor.product.safe_files import copy_file, write_html, write_inspire, write_rep_info

log = logging.getLogger(__name__)

#: Image files listed in the metadata: JPEG 2000, GeoTIFF (--tif) and raw (--raw, ENVI .hdr beside it).
IMAGE_SUFFIXES = (".jp2", ".tif", ".rawl")
#: Names of L2A products (for the leftovers of interrupted runs).
L2A_GLOB = "S2*_MSIL2A_*.SAFE"
#: How many following seconds are tried when the product name of the current second is taken.
NAME_ATTEMPTS = 60


def boa_offset_for(product: Any) -> int | None:
    """BOA_ADD_OFFSET of the L2A product: -1000 DN above PSD 14.6 (L1C baselines >= 04.00, or PSD_Version
    forcing such a PSD), else None (no offset list, reflectance = DN / 10000)."""
    psd = getattr(product, "psd_version", None)
    if psd is not None:
        return output_boa_offset(psd) or None
    has_offset = getattr(product, "has_radiometric_offset", None)
    if has_offset is not None:
        return BOA_ADD_OFFSET_DN if has_offset else None
    try:
        return BOA_ADD_OFFSET_DN if float(product.processing_baseline) >= 4.0 else None
    except (TypeError, ValueError):
        return BOA_ADD_OFFSET_DN


def create_l2a_skeleton(
    product: Any,
    output_dir: Path,
    baseline: str = naming.DEFAULT_BASELINE,
    *,
    generation_time: datetime | None = None,
    processing_centre: str | None = None,
    archiving_centre: str | None = None,
    tif: bool = False,
    doi: str = DEFAULT_DOI,
    boa_add_offset_dn: int | None | str = "auto",
    dem_type: str = "None",
    gipp_files: dict[str, str] | None = None,
    publish: bool = True,
) -> Path:
    """Write the full L2A tree of manual Fig. 2-19 for an L1C ``product`` and return its folder.

    Parameters
    ----------
    product : L1CProduct
        Input (attributes of the L1CProduct contract: mtd_path, tile_mtd_path, datastrip_mtd_path,
        granule_dir, datastrip_dir, spacecraft, sensing_start, relative_orbit, psd_version,
        processing_baseline).
    output_dir : Path
        Folder that receives the product (created if missing).
    baseline : str
        Processing baseline ``dd.dd`` (--processing_baseline, else the PB GIPP, else "99.99").
    generation_time : datetime, optional
        L2A generation time (default: UTC now, moved on to the next free second when a product or a
        live run already has that name). An explicit time is used as it is, or refused when taken.
    processing_centre, archiving_centre : str, optional
        4-character centre codes (default: those of the L1C).
    tif : bool
        GeoTIFF instead of JPEG 2000 file names.
    boa_add_offset_dn : int, None or "auto"
        BOA_ADD_OFFSET written per band; "auto" = :func:`boa_offset_for`.
    gipp_files : dict, optional
        GIPP_FILENAME texts by type (:func:`sen2cor.product.metadata.gipp_file_names` of the GIPPs used);
        default: the packaged file names.
    publish : bool
        True: rename to the final name and return it.  False: return the temporary folder; the caller
        writes the images into it and calls :func:`publish_product` (or :func:`discard_product`).

    Raises
    ------
    OutputError
        The output folder cannot be created or written, or the product name is taken.
    ProductReadError
        An L1C metadata file is missing or malformed (nothing is left in ``output_dir``).
    """
    naming.check_baseline(baseline)
    output_dir = _writable_dir(Path(output_dir))
    layout, reservation, generated = _reserve_name(product, output_dir, baseline, generation_time,
                                                   processing_centre, tif)
    offset = boa_offset_for(product) if boa_add_offset_dn == "auto" else boa_add_offset_dn
    ctx = MetadataContext(
        layout=layout,
        spacecraft=product.spacecraft,
        baseline=baseline,
        archiving_centre=archiving_centre,
        doi=doi,
        boa_add_offset_dn=offset,
        dem_type=dem_type,
        generation=generated,
        **({} if gipp_files is None else {"gipp_files": gipp_files}),
    )
    temporary = reservation.work
    try:
        _materialise(product, layout.moved_to(temporary), ctx)
    except OSError as exc:
        reservation.discard()
        if isinstance(exc, Sen2CorError):
            raise
        raise OutputError(f"cannot write L2A product {layout.name} into {output_dir}: {exc}") from exc
    except BaseException:
        reservation.discard()
        raise
    log.info("L2A product tree created: %s", layout.name)
    if not publish:
        return temporary
    try:
        return reservation.publish()
    except OutputError:
        reservation.discard()
        raise


def _reserve_name(product: Any, output_dir: Path, baseline: str, generation_time: datetime | None,
                  processing_centre: str | None, tif: bool
                  ) -> tuple[L2ALayout, publishing.Reservation, datetime]:
    """Layout and reservation of a free product name. Without ``generation_time`` (now), a name taken by
    an existing product or a live run moves the generation time on by one second (at most
    :data:`NAME_ATTEMPTS` times); an explicit ``generation_time`` is used as it is or refused."""
    generated = utc_milliseconds(generation_time or datetime.now(UTC))
    attempts = 1 if generation_time is not None else NAME_ATTEMPTS
    for attempt in range(attempts):
        moment = generated + timedelta(seconds=attempt)
        layout = L2ALayout.plan(product, output_dir, baseline, generation_time=moment,
                                processing_centre=processing_centre, tif=tif)
        reservation = publishing.reserve(layout.root)
        if reservation is not None:
            if attempt:
                log.info("product names of the %d preceding second(s) are taken in %s; using %s", attempt,
                         output_dir, layout.name)
            return layout, reservation, moment
    taken = "already exists or is being written by another run"
    raise OutputError(f"output product {layout.root} {taken}; not overwriting it" if attempts == 1 else
                      f"no free product name in {output_dir} within {attempts} s of {generated:%Y%m%dT%H%M%S} "
                      f"(each {taken})")


def publish_product(temporary: Path) -> Path:
    """Rename a product assembled in ``.<name>.tmp/<name>`` to ``<name>``; returns the final path."""
    temporary = Path(temporary)
    reservation = publishing.reservation_for(temporary)
    if reservation is None:
        raise OutputError(f"{temporary} is not a temporary L2A product folder reserved by this process "
                          "(.<name>.SAFE.tmp/<name>.SAFE)")
    return reservation.publish()


def rename_into_place(temporary: Path, final: Path) -> Path:
    """Atomically rename a finished temporary folder to ``final``; never overwrites an existing output."""
    try:
        publishing.rename_no_replace(temporary, final)
    except FileExistsError:
        raise OutputError(f"output {final} already exists; not overwriting it") from None
    except OSError as exc:
        raise OutputError(f"cannot rename {temporary} to {final}: {exc}") from exc
    return final


def discard_product(temporary: Path) -> None:
    """Remove a temporary product folder and its reservation (used on failure); never raises."""
    reservation = publishing.reservation_for(Path(temporary))
    if reservation is not None:
        reservation.discard()
        return
    shutil.rmtree(temporary, ignore_errors=True)
    if Path(temporary).exists():
        log.error("could not remove the temporary folder %s", temporary)


def finalise_product(root: Path, report_path: Path | None = None, report_tail: str = "") -> Path:
    """Bring a written product's file lists up to date and return the manifest path.

    Copies the run report into ``HTML/`` (manual §2.7) with ``report_tail`` appended to the copy (the final
    status, true once the product is published: an unpublished copy is discarded with the product),
    refreshes the MTD_MSIL2A IMAGE_FILE list and the MTD_TL probability masks from the files present,
    then rewrites manifest.safe with every file's size and SHA3-256 checksum.
    """
    root = Path(root)
    if report_path is not None:
        report_path = Path(report_path)
        if report_path.is_file():
            copy_file(report_path, root / "HTML" / report_path.name)
            if report_tail:
                with open(root / "HTML" / report_path.name, "a", encoding="utf-8") as copy:
                    copy.write(report_tail)
        else:
            log.warning("report file %s not found; not copied into the product", report_path)
    refresh_file_lists(root)
    return write_manifest(root)


def refresh_file_lists(root: Path) -> None:
    """Rewrite the IMAGE_FILE entries (MTD_MSIL2A.xml) and the L2A mask entries (MTD_TL.xml)."""
    root = Path(root)
    for granule in sorted((root / "GRANULE").glob("L2A_T*")):
        entries = [f.relative_to(root).with_suffix("").as_posix() for f in present_images(granule)]
        mtd = read_xml(root / "MTD_MSIL2A.xml")
        set_image_files(mtd, entries)
        write_xml(mtd, root / "MTD_MSIL2A.xml")
        tile = read_xml(granule / "MTD_TL.xml")
        set_probability_masks(
            tile, [(kind, f.relative_to(root).as_posix()) for kind, f in present_masks(granule)]
        )
        write_xml(tile, granule / "MTD_TL.xml")


def present_images(granule: Path) -> list[Path]:
    """Image files present in ``granule/IMG_DATA``, in the official listing order."""
    found = []
    for res in RESOLUTIONS_M:
        folder = Path(granule) / "IMG_DATA" / f"R{res}m"
        for layer in LAYERS[res]:
            found += sorted(p for p in folder.glob(f"T*_{layer}_{res}m.*") if p.suffix in IMAGE_SUFFIXES)
    return found


def present_masks(granule: Path) -> list[tuple[str, Path]]:
    """(type, file) of the L2A masks present in ``granule/QI_DATA`` (probability masks, DDV map; 20 m before
    60 m)."""
    found = []
    for res in PROBABILITY_MASK_RESOLUTIONS_M:
        for kind in QI_MASKS:
            found += [
                (kind, p)
                for p in sorted((Path(granule) / "QI_DATA").glob(f"{kind}_{res}m.*"))
                if p.suffix in IMAGE_SUFFIXES
            ]
    return found


# --------------------------------------------------------------------------- re-runs (facts §7.4)
def find_l2a_products(output_dir: Path, l1c_name: str) -> list[Path]:
    """L2A products in ``output_dir`` made from the same acquisition as the L1C ``l1c_name`` (same
    spacecraft, datatake start, relative orbit and tile; any baseline), newest generation first.
    Temporary (hidden) folders are ignored."""
    wanted = naming.parse_safe_name(Path(l1c_name).name)
    if wanted is None or not Path(output_dir).is_dir():
        return []
    matches = []
    for candidate in Path(output_dir).iterdir():
        fields = naming.parse_safe_name(candidate.name)
        if (
            candidate.is_dir()
            and fields is not None
            and fields.level == "L2A"
            and fields.acquisition_key == wanted.acquisition_key
            and (candidate / "GRANULE").is_dir()
        ):
            matches.append((fields.generation_time, candidate))
    return [path for _, path in sorted(matches, reverse=True)]


def processed_resolutions(l2a_root: Path) -> tuple[int, ...]:
    """Resolutions already processed in a product (Sen2Cor tests ``IMG_DATA/R<res>m/*_AOT_<res>m.*``)."""
    done = []
    for res in RESOLUTIONS_M:
        if any(Path(l2a_root).glob(f"GRANULE/L2A_T*/IMG_DATA/R{res}m/*_AOT_{res}m.*")):
            done.append(res)
    return tuple(done)


def already_processed(output_dir: Path, l1c_name: str, resolutions: Iterable[int]) -> Path | None:
    """The newest existing L2A product of this L1C holding every requested resolution, else None."""
    wanted = set(resolutions)
    for product in find_l2a_products(output_dir, l1c_name):
        if wanted <= set(processed_resolutions(product)):
            return product
    return None


def stale_temporaries(output_dir: Path) -> list[Path]:
    """Temporary product folders left by runs that no longer exist (their lock is free), e.g. after SIGKILL."""
    return [p for p in publishing.leftovers(output_dir, L2A_GLOB) if publishing.is_stale(p)]


# --------------------------------------------------------------------------- internals
def _writable_dir(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"output directory {folder} cannot be created: {exc}") from exc
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(f"output directory {folder} is not writable; choose another one with --output_dir")
    return folder


def _copy_tree_files(source: Path | None, target: Path) -> None:
    """Copy the files (content only) of ``source`` into ``target``, keeping sub-folders."""
    if source is None or not Path(source).is_dir():
        return
    for path in sorted(Path(source).rglob("*")):
        destination = target / path.relative_to(source)
        if path.is_dir():
            destination.mkdir(parents=True, exist_ok=True)
        elif path.is_file():
            destination.parent.mkdir(parents=True, exist_ok=True)
            copy_file(path, destination)


def _materialise(product: Any, layout: L2ALayout, ctx: MetadataContext) -> None:
    l1c_root = Path(product.path)
    l1c_product_mtd = read_xml(Path(product.mtd_path))
    l1c_tile_mtd = read_xml(Path(product.tile_mtd_path))
    ds_path = getattr(product, "datastrip_mtd_path", None)
    l1c_ds_mtd = read_xml(Path(ds_path)) if ds_path is not None and Path(ds_path).is_file() else None
    if l1c_ds_mtd is None:
        log.warning("%s has no DATASTRIP/<datastrip>/MTD_DS.xml (expected %s); the L2A MTD_DS.xml gets a minimal "
                    "content from MTD_MSIL1C.xml", l1c_root, ds_path or "DATASTRIP/DS_*/MTD_DS.xml")
    for folder in layout.directories():
        folder.mkdir(parents=True, exist_ok=True)
    _copy_tree_files(l1c_root / "AUX_DATA", layout.aux_dir)
    _copy_tree_files(Path(product.granule_dir) / "AUX_DATA", layout.granule_aux_dir)
    _copy_tree_files(Path(product.granule_dir) / "QI_DATA", layout.qi_dir)
    write_rep_info(layout.rep_info_dir, layout.psd_major)
    write_html(l1c_root / "HTML", layout.html_dir, layout.name)
    write_inspire(l1c_root / "INSPIRE.xml", layout.inspire, l1c_root.name, layout.name)
    write_xml(build_datastrip_metadata(l1c_ds_mtd, ctx), layout.mtd_datastrip)
    write_xml(build_tile_metadata(l1c_tile_mtd, ctx, Path(product.granule_dir).name, []), layout.mtd_tile)
    write_xml(build_product_metadata(l1c_product_mtd, ctx, []), layout.mtd_product)
    refresh_file_lists(layout.root)
    write_manifest(layout.root)
