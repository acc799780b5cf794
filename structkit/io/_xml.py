"""XML helpers shared by the XML-based readers (PANalytical ``.xrdml``, Bruker ``.brml``).

Namespace-agnostic child look-ups (vendors version their namespaces, so
elements are matched by local name), numbers from element text, and a parse
that keeps the line of every element so that errors can name it.

Examples
--------
>>> root, line = parse_xml(b'<a xmlns="urn:x">\\n<b>1 2.5</b>\\n</a>', "f.xml", "the file")
>>> b = child(root, "b")
>>> local_name(b.tag), line(b), xml_floats(b, "b", "f.xml", line(b)).tolist()
('b', 2, [1.0, 2.5])
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from xml.parsers import expat

import numpy as np

from ..core.errors import ReadError

__all__ = ["local_name", "children", "child", "text_of", "xml_floats", "parse_xml"]


def local_name(tag) -> str:
    """``{namespace}name`` -> ``name`` (``""`` for comments and processing instructions)."""
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def children(el, name: str) -> list:
    """The direct children of ``el`` called ``name``, whatever their namespace."""
    return [c for c in el if local_name(c.tag) == name]


def child(el, name: str):
    """The first direct child of ``el`` called ``name``, or None."""
    for c in el:
        if local_name(c.tag) == name:
            return c
    return None


def text_of(el) -> str:
    """The stripped text of ``el`` (``""`` for None or an empty element)."""
    return (el.text or "").strip() if el is not None else ""


def xml_floats(el, what: str, path, line: int | None) -> np.ndarray:
    """The whitespace-separated numbers in ``el``'s text; ReadError naming ``<what>`` otherwise."""
    try:
        return np.array([float(t) for t in text_of(el).split()], dtype=float)
    except ValueError as exc:
        raise ReadError(f"<{what}> holds a value that is not a number ({exc}); fix the file",
                        path=path, line=line) from None


def _start_lines(data: bytes) -> list[int]:
    """1-based line of every element's start tag, in document order (``Element.iter()`` order)."""
    out: list[int] = []
    p = expat.ParserCreate()
    p.StartElementHandler = lambda name, attrs: out.append(p.CurrentLineNumber)
    p.Parse(data, True)
    return out


def parse_xml(data: bytes, path, what: str, *,
              in_member: bool = False) -> tuple[ET.Element, Callable[[ET.Element], int | None]]:
    """Parse an XML document; return its root and ``line(element)`` (1-based, or None).

    Parameters
    ----------
    data : bytes
    path : str or path-like
        The file, for error messages.
    what : str
        How the message names the document (``"the .xrdml file"``).
    in_member : bool
        The document is a member of an archive: its line numbers are not lines
        of ``path``, so they stay in the message (the parser's text gives them)
        instead of going to ``ReadError.line``.

    Raises
    ------
    ReadError
        Not well-formed XML.
    """
    error, line_no = None, None
    try:
        root = ET.fromstring(data)
        starts = _start_lines(data)
    except ET.ParseError as exc:
        error, line_no = exc, exc.position[0] if exc.position else None
    except (expat.ExpatError, ValueError, LookupError) as exc:
        error, line_no = exc, getattr(exc, "lineno", None)
    if error is not None:
        raise ReadError(f"not well-formed XML ({error}); {what} is damaged or incomplete",
                        path=path, line=None if in_member else line_no)
    elements = list(root.iter())
    lines = {id(el): n for el, n in zip(elements, starts)} if len(elements) == len(starts) else {}

    def line(el) -> int | None:
        return lines.get(id(el))

    return root, line
