"""Equivalent circuits from strings: parse, name parameters, evaluate Z(ω).

The syntax is the one impedance.py and most EIS tools use: elements in
series are joined by ``-``, elements in parallel are written ``p(a,b,...)``,
and every element is a type followed by a label, e.g.
``R0-p(R1,CPE1)-p(R2,CPE2)-CPE3``.

Element types, their parameters and the impedance (physical sign
convention, ``Z'' < 0`` for a capacitor, ``j = sqrt(-1)``, ``ω = 2πf``):

========  ===========================  ======================================
type      parameters (unit)            impedance
========  ===========================  ======================================
``R``     ``R`` (ohm)                  ``R``
``C``     ``C`` (F)                    ``1 / (jωC)``
``L``     ``L`` (H)                    ``jωL``
``CPE``   ``Q`` (F s^(n-1)), ``n``     ``1 / (Q (jω)^n)``
``W``     ``sigma`` (ohm s^-1/2)       ``sigma (1 - j) / sqrt(ω)`` (semi-infinite)
``Wo``    ``R`` (ohm), ``tau`` (s)     ``R coth(sqrt(jωτ)) / sqrt(jωτ)`` (open, reflective)
``Ws``    ``R`` (ohm), ``tau`` (s)     ``R tanh(sqrt(jωτ)) / sqrt(jωτ)`` (short, transmissive)
========  ===========================  ======================================

Parameters are named ``<label>`` for one-parameter elements (``R1``,
``C2``, ``L0``) and ``<label>_<param>`` otherwise (``CPE1_Q``, ``CPE1_n``,
``Wo1_R``, ``Wo1_tau``, ``W1_sigma``).

Examples
--------
>>> c = parse_circuit("R0-p(R1,CPE1)")
>>> c.param_names
('R0', 'R1', 'CPE1_Q', 'CPE1_n')
>>> z = c.impedance([1e-3, 1e9], {"R0": 10.0, "R1": 100.0, "CPE1_Q": 1e-6, "CPE1_n": 1.0})
>>> [round(float(v), 3) for v in z.real]
[110.0, 10.0]
>>> parse_circuit("R0-p(R1,CPE1")
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: circuit 'R0-p(R1,CPE1': missing ')' at position 12; write parallel blocks as p(A,B)
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ..core.errors import ConfigError

__all__ = ["Circuit", "Element", "parse_circuit", "ELEMENTS"]

#: element type -> (parameter names, units, kind of each parameter: "scale" > 0 or "exponent")
ELEMENTS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "R": (("R",), ("ohm",)),
    "C": (("C",), ("F",)),
    "L": (("L",), ("H",)),
    "CPE": (("Q", "n"), ("F s^(n-1)", "")),
    "W": (("sigma",), ("ohm s^-1/2",)),
    "Wo": (("R", "tau"), ("ohm", "s")),
    "Ws": (("R", "tau"), ("ohm", "s")),
}

_TOKEN = re.compile(r"\s*(?:(p\()|(\))|(,)|(-)|([A-Za-z]+)(\d+))")


@dataclass(frozen=True)
class Element:
    """One circuit element: its type, label and the names of its parameters."""

    kind: str
    label: str
    param_names: tuple[str, ...]
    units: tuple[str, ...]


@dataclass(frozen=True)
class _Node:
    op: str                       # "S" series, "P" parallel, "E" element
    children: tuple = ()
    element: Element | None = None


def _element(kind: str, number: str, text: str, pos: int) -> Element:
    if kind not in ELEMENTS:
        allowed = ", ".join(ELEMENTS)
        raise ConfigError(f"circuit {text!r}: unknown element type {kind!r} at position {pos}; "
                          f"known types are {allowed}")
    label = f"{kind}{number}"
    names, units = ELEMENTS[kind]
    pnames = (label,) if len(names) == 1 and kind in ("R", "C", "L") else \
        tuple(f"{label}_{n}" for n in names)
    return Element(kind, label, pnames, units)


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.pos = 0
        self.tokens = []
        i = 0
        stripped = text.rstrip()
        while i < len(stripped):
            m = _TOKEN.match(stripped, i)
            if not m or m.end() == i:
                raise ConfigError(f"circuit {text!r}: cannot read {stripped[i:].strip()[:12]!r} at "
                                  f"position {i}; elements look like R1, CPE2, Wo1 and are joined "
                                  "by '-' or grouped as p(A,B)")
            i = m.end()
            start = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
            if m.group(1):
                self.tokens.append(("P", None, start))
            elif m.group(2):
                self.tokens.append((")", None, start))
            elif m.group(3):
                self.tokens.append((",", None, start))
            elif m.group(4):
                self.tokens.append(("-", None, start))
            else:
                self.tokens.append(("E", (m.group(5), m.group(6)), start))
        self.i = 0

    def _peek(self):
        return self.tokens[self.i] if self.i < len(self.tokens) else (None, None, len(self.text))

    def parse(self) -> _Node:
        if not self.tokens:
            raise ConfigError("circuit string is empty; e.g. 'R0-p(R1,CPE1)-CPE2'")
        node = self._series()
        tok, _, pos = self._peek()
        if tok is not None:
            raise ConfigError(f"circuit {self.text!r}: unexpected {self.text[pos]!r} at position {pos}")
        return node

    def _series(self) -> _Node:
        items = [self._item()]
        while self._peek()[0] == "-":
            self.i += 1
            items.append(self._item())
        return items[0] if len(items) == 1 else _Node("S", tuple(items))

    def _item(self) -> _Node:
        tok, val, pos = self._peek()
        if tok == "E":
            self.i += 1
            return _Node("E", element=_element(val[0], val[1], self.text, pos))
        if tok == "P":
            self.i += 1
            branches = [self._series()]
            while self._peek()[0] == ",":
                self.i += 1
                branches.append(self._series())
            tok2, _, pos2 = self._peek()
            if tok2 != ")":
                raise ConfigError(f"circuit {self.text!r}: missing ')' at position {pos2}; "
                                  "write parallel blocks as p(A,B)")
            self.i += 1
            if len(branches) < 2:
                raise ConfigError(f"circuit {self.text!r}: p(...) at position {pos} needs at least "
                                  "two branches separated by ','")
            return _Node("P", tuple(branches))
        what = "end of string" if tok is None else repr(self.text[pos])
        raise ConfigError(f"circuit {self.text!r}: expected an element or p( at position {pos}, "
                          f"found {what}")


def _walk(node: _Node):
    if node.op == "E":
        yield node.element
    else:
        for ch in node.children:
            yield from _walk(ch)


def _z(node: _Node, omega, jomega, v: Mapping[str, float]):
    if node.op == "S":
        out = _z(node.children[0], omega, jomega, v)
        for ch in node.children[1:]:
            out = out + _z(ch, omega, jomega, v)
        return out
    if node.op == "P":
        y = 0.0
        for ch in node.children:
            y = y + 1.0 / _z(ch, omega, jomega, v)
        return 1.0 / y
    e = node.element
    p = e.param_names
    k = e.kind
    if k == "R":
        return np.full(omega.shape, v[p[0]], dtype=complex)
    if k == "C":
        return 1.0 / (jomega * v[p[0]])
    if k == "L":
        return jomega * v[p[0]]
    if k == "CPE":
        n = v[p[1]]
        # (jω)^n = ω^n exp(jπn/2), cheaper than a complex power
        return 1.0 / (v[p[0]] * omega ** n * np.exp(0.5j * np.pi * n))
    if k == "W":
        return v[p[0]] * (1 - 1j) / np.sqrt(omega)
    s = np.sqrt(jomega * v[p[1]])
    if k == "Wo":
        return v[p[0]] / (s * np.tanh(s))
    return v[p[0]] * np.tanh(s) / s        # Ws


@dataclass(frozen=True)
class Circuit:
    """A parsed equivalent circuit.

    Use :func:`parse_circuit` to make one. ``impedance(f, values)`` evaluates
    it; ``top_level`` lists the series items (elements or parallel blocks)
    that initial guesses are built from.
    """

    text: str
    root: _Node
    elements: tuple[Element, ...]
    param_names: tuple[str, ...]
    param_units: tuple[str, ...]

    def impedance(self, frequency_Hz, values: Mapping[str, float] | Sequence[float]) -> np.ndarray:
        """Complex impedance (ohm) at ``frequency_Hz`` for parameter ``values``."""
        omega = 2 * np.pi * np.asarray(frequency_Hz, dtype=float)
        if not isinstance(values, Mapping):
            values = dict(zip(self.param_names, values))
        missing = [n for n in self.param_names if n not in values]
        if missing:
            raise ConfigError(f"circuit {self.text!r}: no value for {', '.join(missing)}")
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            return _z(self.root, omega, 1j * omega, values)

    @property
    def top_level(self) -> tuple[_Node, ...]:
        return self.root.children if self.root.op == "S" else (self.root,)

    def element(self, label: str) -> Element:
        for e in self.elements:
            if e.label == label:
                return e
        raise ConfigError(f"circuit {self.text!r} has no element {label!r}")

    def __str__(self) -> str:
        return self.text


def parse_circuit(text: str) -> Circuit:
    """Parse a circuit string such as ``"R0-p(R1,CPE1)-CPE2"``.

    Raises
    ------
    ConfigError
        If the string does not parse, names an unknown element type, or
        uses a label twice.
    """
    if not isinstance(text, str):
        raise ConfigError(f"circuit must be a string like 'R0-p(R1,CPE1)', got {type(text).__name__}")
    text = text.strip()
    root = _Parser(text).parse()
    elements = tuple(_walk(root))
    seen = set()
    for e in elements:
        if e.label in seen:
            raise ConfigError(f"circuit {text!r}: label {e.label} is used twice; number elements uniquely")
        seen.add(e.label)
    names = tuple(n for e in elements for n in e.param_names)
    units = tuple(u for e in elements for u in e.units)
    return Circuit(text=text, root=root, elements=elements, param_names=names, param_units=units)
