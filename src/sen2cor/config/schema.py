"""Read a GIPP file and validate it against its XSD, turning lxml's error log into a ConfigError.

Every message names the file (and line), the element path, the offending value and what the
schema allows, e.g.::

    L2A_GIPP.xml, line 7: Common_Section/Log_Level = 'VERBOSE' is invalid; allowed: one of
    NOTSET, DEBUG, INFO, WARNING, ERROR, CRITICAL

The allowed values are described from the XSD itself (enumerations, ranges, patterns, unions),
so the messages stay right when a schema changes.
"""
from __future__ import annotations

import functools
import logging
import re
import threading
from pathlib import Path
from typing import NamedTuple

from lxml import etree

from sen2cor.errors import ConfigError

log = logging.getLogger(__name__)

XS = "{http://www.w3.org/2001/XMLSchema}"
#: An lxml XMLSchema keeps its error log on the instance: validate and read it under one lock.
_VALIDATION_LOCK = threading.Lock()

_BUILTIN = {
    "boolean": "true or false",
    "string": "any text",
    "anyURI": "a URI or NONE",
    "decimal": "a number",
    "float": "a number",
    "double": "a number",
    "byte": "an integer",
    "unsignedByte": "an integer from 0 to 255",
    "unsignedInt": "a non-negative integer",
    "int": "an integer",
    "integer": "an integer",
}
_INTEGER_BASES = {"byte", "unsignedByte", "unsignedInt", "int", "integer", "short", "long"}


class CompiledSchema(NamedTuple):
    """An XSD with the texts used in error messages."""

    schema: etree.XMLSchema
    elements: dict[str, str]     # element name -> allowed values ("one of TRUE, FALSE", "a number from 5 to 120")
    attributes: dict[str, str]   # attribute name -> allowed values
    roots: tuple[str, ...]       # global element names (valid document roots)
    declared: frozenset[str] = frozenset()   # every element name the schema declares


@functools.lru_cache(maxsize=16)
def load_schema(xsd_path: Path) -> CompiledSchema:
    """Compile ``xsd_path`` once (cached per path)."""
    try:
        xsd_doc = etree.parse(str(xsd_path))
        schema = etree.XMLSchema(xsd_doc)
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise ConfigError(f"cannot load GIPP schema {xsd_path}: {exc}") from exc
    named = {t.get("name"): t for t in xsd_doc.getroot().findall(f"{XS}simpleType")}
    elements: dict[str, str] = {}
    attributes: dict[str, str] = {}
    for node in xsd_doc.getroot().iter(f"{XS}element", f"{XS}attribute"):
        name = node.get("name")
        if name is None:
            continue
        text = _describe_node(node, named)
        if text:
            (elements if node.tag == f"{XS}element" else attributes).setdefault(name, text)
    roots = tuple(e.get("name") for e in xsd_doc.getroot().findall(f"{XS}element"))
    declared = frozenset(e.get("name") for e in xsd_doc.getroot().iter(f"{XS}element") if e.get("name"))
    return CompiledSchema(schema, elements, attributes, roots, declared)


def _describe_node(node: etree._Element, named: dict) -> str:
    """Allowed values of an xs:element / xs:attribute declaration ('' for complex content)."""
    if node.get("type"):
        return _describe_type(node.get("type"), named)
    inline = node.find(f"{XS}simpleType")
    if inline is not None:
        return _describe_simple(inline, named)
    extension = node.find(f"{XS}complexType/{XS}simpleContent/{XS}extension")
    if extension is not None:
        return _describe_type(extension.get("base"), named)
    return ""


def _describe_type(type_name: str, named: dict) -> str:
    local = type_name.split(":")[-1]
    if local in named:
        return _describe_simple(named[local], named)
    return _BUILTIN.get(local, f"a value of type {local}")


def _describe_simple(simple: etree._Element, named: dict) -> str:
    union = simple.find(f"{XS}union")
    if union is not None:
        members = [_describe_type(m, named) for m in (union.get("memberTypes") or "").split()]
        members += [_describe_simple(s, named) for s in union.findall(f"{XS}simpleType")]
        return " or ".join(members)
    restriction = simple.find(f"{XS}restriction")
    if restriction is None:
        return "a value"
    base = (restriction.get("base") or "xs:string").split(":")[-1]
    facets = {child.tag.replace(XS, ""): child.get("value") for child in restriction}
    enums = [e.get("value") for e in restriction.findall(f"{XS}enumeration")]
    if enums:
        return "one of " + ", ".join(enums)
    kind = "an integer" if base in _INTEGER_BASES else "a number"
    low = facets.get("minInclusive") or facets.get("minExclusive")
    high = facets.get("maxInclusive") or facets.get("maxExclusive")
    if low is not None or high is not None:
        text = kind
        if low is not None:
            text += f" {'above' if 'minExclusive' in facets else 'from'} {low}"
        if high is not None:
            text += f" {'below' if 'maxExclusive' in facets else 'to'} {high}"
        if facets.get("fractionDigits"):
            text += f" with at most {facets['fractionDigits']} decimals"
        return text
    if "pattern" in facets:
        return f"text matching the pattern {facets['pattern']}"
    if facets.get("minLength") == "1":
        return "non-empty text"
    return _BUILTIN.get(base, f"a value of type {base}")


def read_gipp(path: Path, xsd_path: Path) -> etree._ElementTree:
    """Parse GIPP ``path`` and validate it against ``xsd_path``.

    Raises
    ------
    ConfigError
        The file does not exist or cannot be read, is not well-formed XML, or breaks the schema;
        the message lists every violation with file, line, element, value and allowed values.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"GIPP file does not exist: {path}")
    if not path.is_file():
        raise ConfigError(f"GIPP path is not a file: {path}")
    try:
        doc = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        raise ConfigError(f"{path}: not well-formed XML (line {exc.lineno}): {exc.msg}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the GIPP file: {exc}") from exc
    _refuse_doctype(doc, path)
    compiled = load_schema(Path(xsd_path))
    with _VALIDATION_LOCK:
        try:
            valid = compiled.schema.validate(doc)
        except etree.XMLSchemaValidateError as exc:
            raise ConfigError(f"{path}: cannot be validated against {Path(xsd_path).name}: {exc}") from exc
        entries = list(compiled.schema.error_log)
    if not valid:
        problems = [_explain(entry, doc, compiled) for entry in entries]
        if len(problems) == 1:   # one line: the full path in place of the file name
            _, _, problem = problems[0].partition(", line ")
            raise ConfigError(f"{path}, line {problem} (schema {Path(xsd_path).name})" if problem else
                              f"{path}: {problems[0]} (schema {Path(xsd_path).name})")
        raise ConfigError(
            f"{path} is not a valid {Path(xsd_path).stem} file ({len(problems)} problem"
            f"{'s' if len(problems) > 1 else ''}, schema {Path(xsd_path).name}):\n  " + "\n  ".join(problems)
        )
    log.debug("GIPP %s is valid against %s", path, xsd_path)
    return doc


def _refuse_doctype(doc: etree._ElementTree, path: Path) -> None:
    """A GIPP is plain XML: a DOCTYPE (internal subset, entities) would make values depend on declarations
    that are never expanded here (and could read other files if they were)."""
    dtd = doc.docinfo.internalDTD
    if dtd is None and doc.docinfo.doctype == "":
        return
    entities = [e.name for e in dtd.iterentities()] if dtd is not None else []
    what = f" declaring the entit{'ies' if len(entities) > 1 else 'y'} {', '.join(entities)}" if entities else ""
    raise ConfigError(f"{path}: DOCTYPE {doc.docinfo.doctype or '<!DOCTYPE>'}{what} is not allowed in a GIPP "
                      "file; expected plain XML: remove the DOCTYPE and write the values themselves")


_ATTRIBUTE = re.compile(r"attribute '([^']+)'")
_EXPECTED = re.compile(r"Expected is (?:one of )?\( ([^)]*) \)")


def _explain(entry, doc: etree._ElementTree, compiled: CompiledSchema) -> str:
    """One readable line for an lxml schema error: where, what value, what is allowed."""
    elements, attributes = compiled.elements, compiled.attributes
    where = f"{Path(entry.filename).name if entry.filename else 'GIPP'}, line {entry.line}"
    nodes = doc.xpath(entry.path) if entry.path else []
    node = nodes[0] if nodes else None
    element_path = _short_path(entry.path or "?")
    if "No matching global declaration" in entry.message:
        root = doc.getroot().tag
        return f"{where}: root element {root} is not allowed; expected: {' or '.join(compiled.roots)}"
    expected = _EXPECTED.search(entry.message)
    if "Missing child element" in entry.message and expected:
        missing = expected.group(1).replace(", ", " or ")
        return f"{where}: element {element_path}/{missing} is missing; expected: {missing}"
    if "not expected" in entry.message and expected:
        wanted = expected.group(1).replace(", ", " or ")
        parent = element_path.rsplit("/", 1)[0]
        if node is not None and node.tag in compiled.declared:
            return (f"{where}: element {element_path} is out of order, or {parent}/{wanted} is missing "
                    f"(found {node.tag} where {wanted} is expected); expected: {wanted}")
        return f"{where}: unknown element {element_path}; expected: {wanted}"
    attribute = _ATTRIBUTE.search(entry.message)
    if attribute:
        name = attribute.group(1)
        value = node.get(name) if node is not None else None
        allowed = attributes.get(name, "see the schema")
        return f"{where}: {element_path} attribute {name} = {value!r} is invalid; allowed: {allowed}"
    if node is not None and len(node) == 0:
        allowed = elements.get(node.tag, "see the schema")
        return f"{where}: {element_path} = {node.text!r} is invalid; allowed: {allowed}"
    return f"{where}: {element_path}: {entry.message}"


def _short_path(xpath: str) -> str:
    """Drop the root element from lxml's error path: Common_Section/Region_Of_Interest/row0."""
    parts = [p for p in xpath.split("/") if p]
    return "/".join(parts[1:]) if len(parts) > 1 else (parts[0] if parts else xpath)
