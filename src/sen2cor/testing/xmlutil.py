"""Small lxml helpers for writing product metadata."""
from __future__ import annotations

from pathlib import Path

from lxml import etree

XSI = "http://www.w3.org/2001/XMLSchema-instance"


def sub(parent: etree._Element, tag: str, text=None, **attrib) -> etree._Element:
    """Append child ``tag`` (optionally with text and attributes, ``None`` attributes dropped)."""
    el = etree.SubElement(parent, tag, {k: str(v) for k, v in attrib.items() if v is not None})
    if text is not None:
        el.text = str(text)
    return el


def fmt(value: float, digits: int = 12) -> str:
    """Compact decimal text of a float (up to ``digits`` significant digits), ``NaN`` for NaN."""
    if value != value:
        return "NaN"
    return f"{value:.{digits}g}"


def write_xml(root: etree._Element, path: Path, standalone: str | None = "no") -> Path:
    """Write ``root`` pretty-printed with an XML declaration (UTF-8)."""
    etree.indent(root, space="    ")
    body = etree.tostring(root, encoding="UTF-8", xml_declaration=False)
    decl = '<?xml version="1.0" encoding="UTF-8"'
    decl += f' standalone="{standalone}"?>\n' if standalone else "?>\n"
    Path(path).write_bytes(decl.encode() + body + b"\n")
    return Path(path)
