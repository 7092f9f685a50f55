"""Reading IATI XML: elements and attributes by local name, whatever their namespace,
and activities streamed one at a time."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

from pipelines.importers.text import clean_text

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ACTIVITY = "iati-activity"


def local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def attr(el: ET.Element | None, name: str) -> str | None:
    """An attribute by local name, stripped; empty counts as missing (SOURCES quirk 13)."""
    if el is None:
        return None
    value = el.get(name)
    if value is None:
        suffix = "}" + name  # a plain key equal to name was found by get(): only {ns}name is left
        for key, candidate in el.attrib.items():
            if key[0] == "{" and key.endswith(suffix):
                value = candidate
                break
        else:
            return None
    return value.strip() or None


def kids(el: ET.Element | None, name: str) -> list[ET.Element]:
    """Children by local name, in document order. Elements from `iter_activities` carry
    their local names as tags (namespaces are dropped as they are parsed), so this is
    ElementTree's own `findall`, a loop in C."""
    return el.findall(name) if el is not None else []


def kid(el: ET.Element | None, name: str) -> ET.Element | None:
    return el.find(name) if el is not None else None


def text_of(el: ET.Element | None) -> str:
    """Narrative text, English preferred (2.0x), or the element's own text (1.0x)."""
    if el is None:
        return ""
    narratives = [n for n in kids(el, "narrative") if clean_text(n.text)]
    if narratives:
        english = [n for n in narratives if (n.get(XML_LANG) or "").lower().startswith("en")]
        return clean_text((english or narratives)[0].text)
    return clean_text(el.text)


def iter_activities(f, keep: bool = False) -> Iterator[ET.Element]:
    """Each iati-activity element of an open file, once complete, with every tag in it
    reduced to its local name (IATI is matched by local name whatever the namespace); it
    is emptied (`clear`) after the caller is done with it, so memory holds one activity
    at a time plus, until the file ends, an empty element per activity read (under 100
    bytes: less than the run's own set of activity ids holds per activity). Only end
    events are asked for: half the events of the parser, each handled in Python.
    `keep`: the activities are not emptied (a caller that holds a small file's activities)."""
    for _, el in ET.iterparse(f, events=("end",)):
        tag = el.tag
        if tag[0] == "{":
            tag = el.tag = tag.rsplit("}", 1)[1]
        if tag == ACTIVITY:
            yield el
            if not keep:
                el.clear()
