"""STAC item of an L2A product (``--stac``), made by stactools-sentinel2 from the product's metadata.

stactools-sentinel2 (an independent, widely used client of the SAFE format) reads MTD_MSIL2A.xml, MTD_TL.xml,
MTD_DS.xml and manifest.safe and builds the item: geometry, ``eo:cloud_cover``, ``s2:*`` class percentages,
view and sun angles, projection, one asset per image with ``raster:bands`` scale/offset. This module only
places it: the item is ``<output_dir>/<product name without .SAFE>.json``, next to the product (in PDGS
mode ``<tile folder>.json`` next to the tile folder, :mod:`sen2cor.export.stac_pdgs`), with asset
hrefs relative to it (``./S2A_MSIL2A_....SAFE/GRANULE/...``); GeoTIFF assets of ``--tif`` are typed as plain
GeoTIFF, those of ``--cog`` as cloud-optimised.

stactools imports rasterio, whose wheel carries its own GDAL library. To keep that second GDAL out of the
processor's process (which uses the system GDAL through osgeo), the item is built in a child process::

    python -m sen2cor.export.stac <product folder> <final product name> <item.json> [--cog]
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from sen2cor.errors import ConfigError, OutputError

log = logging.getLogger(__name__)

#: Packages the item needs (the ``stac`` extra of pyproject.toml).
REQUIRED = ("stactools.sentinel2", "pystac")
GEOTIFF = "image/tiff; application=geotiff"
COG = "image/tiff; application=geotiff; profile=cloud-optimized"
#: Seconds the child process may take (it reads metadata only: ~2 s).
TIMEOUT_S = 300


def check_available(mode: str | None = None) -> None:
    """Raise ConfigError when ``--stac`` cannot be served (checked before processing): a missing package, or
    ``--mode generate_datastrip`` (a datastrip alone has no image to catalogue)."""
    if mode == "generate_datastrip":
        raise ConfigError("--stac is not supported with --mode generate_datastrip: STAC items describe tiles "
                          "(use it with process_tile)")
    for name in REQUIRED:
        try:
            found = importlib.util.find_spec(name) is not None
        except ModuleNotFoundError:
            found = False
        if not found:
            raise ConfigError(f"--stac needs the Python package {name.split('.')[0]} "
                              f"(pip install 'sen2cor[stac]', or bash scripts/setup.sh): not installed")


def item_path(final_product: Path) -> Path:
    """Where the item of a product (or PDGS tile folder) goes: beside it, ``<name without .SAFE>.json``."""
    final_product = Path(final_product)
    return final_product.with_name(final_product.name.removesuffix(".SAFE") + ".json")


def partial_item_path(final_product: Path) -> Path:
    """Hidden name the item has until the product is published."""
    target = item_path(final_product)
    return target.with_name(f".{target.name}.part-{os.getpid()}")


def write_item(product_dir: Path, final_product: Path, *, cog: bool, target: Path | None = None,
               datastrip: Path | None = None) -> Path:
    """Build the item of the product in ``product_dir`` (possibly its temporary folder) as it will be when
    published as ``final_product``; write it to ``target`` (default :func:`partial_item_path`) from a child
    process; returns ``target``. With ``datastrip`` (its L2A datastrip folder) ``product_dir`` is a PDGS tile
    folder (:mod:`sen2cor.export.stac_pdgs`). Raises OutputError with the child's last error line on failure."""
    target = Path(target) if target is not None else partial_item_path(final_product)
    command = [sys.executable, "-m", "sen2cor.export.stac", str(product_dir), Path(final_product).name, str(target)]
    if cog:
        command.append("--cog")
    if datastrip is not None:
        command.append(f"--datastrip={datastrip}")
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        target.unlink(missing_ok=True)
        raise OutputError(f"STAC item of {Path(final_product).name}: {exc}") from exc
    if done.returncode != 0 or not target.is_file():
        target.unlink(missing_ok=True)
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise OutputError(f"STAC item of {Path(final_product).name} not written (stactools-sentinel2): "
                          f"{lines[-1] if lines else f'exit code {done.returncode}'}")
    log.info("STAC item: %s", item_path(final_product))
    return target


def publish_item(partial: Path, final_product: Path) -> Path:
    """Rename the item to its final name once the product is published."""
    final = item_path(final_product)
    os.replace(partial, final)
    return final


def build_item(product_dir: Path, final_name: str, *, cog: bool, datastrip: Path | None = None) -> dict:
    """The item (a dict) of ``product_dir`` with hrefs relative to ``<parent>/<item>.json`` as if the product
    were named ``final_name`` (runs in the child process: imports stactools, rasterio)."""
    if datastrip is not None:
        from sen2cor.export.stac_pdgs import build_tile_item

        tile_dir = Path(product_dir).absolute()
        return _relative_item(build_tile_item(tile_dir, Path(datastrip), final_name), tile_dir, final_name, cog)
    from stactools.sentinel2.stac import create_item

    with tempfile.TemporaryDirectory(prefix="sen2cor-stac-") as scratch:
        # stactools recognises a product by its .SAFE name: the temporary folder is seen through a link
        # carrying the final name
        named = Path(scratch) / final_name
        named.symlink_to(Path(product_dir).absolute(), target_is_directory=True)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")   # antimeridian's ring-winding notice on every UTM footprint
            item = create_item(str(named))
        return _relative_item(item, named, final_name, cog)


def _relative_item(item, named: Path, final_name: str, cog: bool) -> dict:
    for asset in item.assets.values():
        relative = Path(asset.href).absolute().relative_to(named)
        asset.href = "./" + (Path(final_name) / relative).as_posix()
        if relative.suffix == ".tif":
            asset.media_type = COG if cog else GEOTIFF
    item.clear_links()
    return item.to_dict(include_self_link=False, transform_hrefs=False)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    positional = [a for a in args if not a.startswith("--")]
    if len(positional) != 3:
        print("usage: python -m sen2cor.export.stac <product folder> <final product name> <item.json> [--cog]",
              file=sys.stderr)
        return 1
    product_dir, final_name, target = positional
    datastrip = next((a.split("=", 1)[1] for a in args if a.startswith("--datastrip=")), None)
    item = build_item(Path(product_dir), final_name, cog="--cog" in args,
                      datastrip=Path(datastrip) if datastrip else None)
    tmp = Path(target).with_name(Path(target).name + ".tmp")
    tmp.write_text(json.dumps(item, indent=2) + "\n")
    os.replace(tmp, target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
