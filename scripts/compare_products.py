#!/usr/bin/env python
"""Compare two L2A products image by image, pixel by pixel, and their quality indicators.

    .venv/bin/python scripts/compare_products.py A.SAFE B.SAFE

Every image file (JPEG 2000, GeoTIFF, raw) under GRANULE/*/IMG_DATA, QI_DATA and AUX_DATA is read with
GDAL and compared exactly; the quality values of MTD_TL.xml / L2A_QUALITY.xml (leaf elements and
``value`` items, creation dates left out) too. Prints one line per difference and a summary; exit code 0
when the products are identical, 1 otherwise. Used to show a speed or memory change is output-neutral.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
from lxml import etree
from osgeo import gdal

gdal.UseExceptions()
IMAGE_SUFFIXES = (".jp2", ".tif", ".rawl", ".raw")
VOLATILE = re.compile(r"(?i)(date|time|generation|creation|file_name|product_uri|identifier|_id$|URI)")


def images(product: Path) -> dict[str, Path]:
    """Image files keyed by their path below GRANULE/<tile>, with the product's time stamps removed."""
    found = {}
    for path in product.glob("GRANULE/*/**/*"):
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file():
            key = "/".join(path.relative_to(product).parts[2:])
            found[re.sub(r"_\d{8}T\d{6}", "", key)] = path
    return found


def quality_values(product: Path) -> dict[str, str]:
    values = {}
    for path in list(product.glob("GRANULE/*/MTD_TL.xml")) + list(product.glob("GRANULE/*/QI_DATA/L2A_QUALITY.xml")):
        for element in etree.parse(str(path)).iter():
            if not isinstance(element.tag, str) or len(element) or element.text is None:
                continue
            name = element.get("name") or etree.QName(element).localname
            if VOLATILE.search(name):
                continue
            values[f"{path.name}:{name}"] = element.text.strip()
    return values


def main(argv: list[str] | None = None) -> int:
    a, b = (Path(p) for p in (argv or sys.argv[1:]))
    ia, ib = images(a), images(b)
    differences = 0
    for key in sorted(set(ia) | set(ib)):
        if key not in ia or key not in ib:
            print(f"only in {'A' if key in ia else 'B'}: {key}")
            differences += 1
            continue
        x, y = gdal.Open(str(ia[key])).ReadAsArray(), gdal.Open(str(ib[key])).ReadAsArray()
        if x.shape != y.shape or not np.array_equal(x, y):
            diff = np.abs(x.astype(np.int64) - y.astype(np.int64)) if x.shape == y.shape else None
            detail = (f"{int(np.count_nonzero(diff))} px differ, max |diff| {int(diff.max())}" if diff is not None
                      else f"shape {x.shape} vs {y.shape}")
            print(f"differs: {key}: {detail}")
            differences += 1
    qa, qb = quality_values(a), quality_values(b)
    for key in sorted(set(qa) | set(qb)):
        if qa.get(key) != qb.get(key):
            print(f"quality differs: {key}: {qa.get(key)} vs {qb.get(key)}")
            differences += 1
    print(f"{len(ia)} images compared, {len(qa)} quality values; {differences} difference(s)")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main())
