"""Small lxml helpers shared by the L1C metadata readers.

Every lookup takes a readable, namespace-free path (``"General_Info/Product_Info/PROCESSING_BASELINE"``)
and reports failures as :class:`~sen2cor.errors.ProductReadError` naming the file and that path.
The Sentinel-2 metadata puts only the top-level children in the ``n1:`` namespace, so each step is
matched on its local name.
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from sen2cor.errors import ProductReadError

log = logging.getLogger(__name__)

#: Parser that never touches the network nor expands entities (the input is untrusted).
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, remove_blank_text=True)


class FrozenDict(dict):
    """Read-only dict for the value objects: mutation raises TypeError; pickles (for worker processes)."""

    def _read_only(self, *args, **kwargs):
        raise TypeError(f"{type(self).__name__} is read-only")

    __setitem__ = __delitem__ = __ior__ = clear = pop = popitem = setdefault = update = _read_only

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


_STEP = re.compile(r"^(\.|\.\.|\*|[A-Za-z_][\w.-]*)(\[.*\])?$")


def parse_xml(path: Path) -> etree._Element:
    """Parse ``path`` once and return its root element.

    Raises
    ------
    ProductReadError
        When the file is missing, unreadable or not well-formed XML.
    """
    path = Path(path)
    if not path.is_file():
        raise ProductReadError(f"{path}: metadata file is missing")
    try:
        return etree.parse(str(path), _PARSER).getroot()
    except etree.XMLSyntaxError as exc:
        raise ProductReadError(f"{path}: malformed XML ({exc})") from exc
    except OSError as exc:
        raise ProductReadError(f"{path}: cannot be read ({exc})") from exc


def local_name(element: etree._Element) -> str:
    """Tag of ``element`` without its namespace."""
    return etree.QName(element).localname


def namespace(element: etree._Element) -> str:
    """Namespace URI of ``element`` ('' when none)."""
    return etree.QName(element).namespace or ""


def _wildcard(path: str) -> str:
    """``a/b[@x="1"]`` -> ``{*}a/{*}b[@x="1"]``; a leading ``//`` searches descendants."""
    prefix = ""
    if path.startswith("//"):
        prefix, path = ".//", path[2:]
    steps = []
    for step in path.split("/"):
        match = _STEP.match(step)
        if match is None or match.group(1) in (".", "..", "*"):
            steps.append(step)
        else:
            steps.append("{*}" + step)
    return prefix + "/".join(steps)


def find(root: etree._Element, path: str) -> etree._Element | None:
    """First element at the namespace-free ``path`` below ``root``, or None."""
    return root.find(_wildcard(path))


def find_all(root: etree._Element, path: str) -> list[etree._Element]:
    """All elements at the namespace-free ``path`` below ``root``."""
    return root.findall(_wildcard(path))


def required(root: etree._Element, path: str, file: Path) -> etree._Element:
    """Element at ``path``; raise naming ``file`` and ``path`` when absent."""
    element = find(root, path)
    if element is None:
        raise ProductReadError(f"{file}: required element {path} is missing")
    return element


def required_text(root: etree._Element, path: str, file: Path) -> str:
    """Stripped, non-empty text of the element at ``path``."""
    text = (required(root, path, file).text or "").strip()
    if not text:
        raise ProductReadError(f"{file}: element {path} is empty")
    return text


def optional_text(root: etree._Element, path: str) -> str | None:
    """Stripped text at ``path`` or None when the element is absent or empty."""
    element = find(root, path)
    if element is None:
        return None
    return (element.text or "").strip() or None


def as_float(text: str, file: Path, path: str) -> float:
    """``float(text)``, raising a ProductReadError that names file, element and value."""
    try:
        return float(text)
    except (TypeError, ValueError):
        raise ProductReadError(f"{file}: element {path} = {text!r} is not a number") from None


def as_int(text: str, file: Path, path: str) -> int:
    """``int(text)`` (also accepts '5000.0'-style integral floats) with a clear error."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise ProductReadError(f"{file}: element {path} = {text!r} is not an integer") from None
    if not value.is_integer():
        raise ProductReadError(f"{file}: element {path} = {text!r} is not an integer")
    return int(value)


def as_utc(text: str, file: Path, path: str) -> datetime:
    """Parse an S2 UTC time ('2024-01-01T10:24:31.024Z', microseconds optional) into an aware datetime."""
    cleaned = text.strip()
    if cleaned.startswith("UTC="):
        cleaned = cleaned[4:]
    cleaned = cleaned.rstrip("Z")
    try:
        value = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ProductReadError(
            f"{file}: element {path} = {text!r} is not a UTC time (expected YYYY-MM-DDThh:mm:ss[.ffffff]Z)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def listed_path(root: Path, relative: str, listed_in: Path) -> Path:
    """``root / relative`` for a path listed in the metadata; ProductReadError for an absolute path or one
    with ``..`` (it would read outside the product)."""
    entry = Path(relative)
    if entry.is_absolute() or ".." in entry.parts:
        raise ProductReadError(
            f"{listed_in}: listed file {relative!r} lies outside the product {root.name}; expected a path "
            "relative to the product folder without '..'"
        )
    return root / entry
