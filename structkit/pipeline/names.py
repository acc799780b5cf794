"""Sample names and conditions from file paths: the ``names`` rule of a campaign.

A technique table (or ``[campaign]``, as the default of every table) may say
how its files are named::

    [raman]
    inputs = ["milling/raman/*.txt"]
    names = '(?P<sample>NTC)_(?P<milling_time_h>\\d+)h'

or give a list of regular expressions, the first that matches wins. Each is
searched (:func:`re.search`) in the file's path relative to the campaign file,
in POSIX form (``milling/raman/NTC_6h.txt``). Named groups:

* ``sample``: the sample name;
* ``temperature_K``, or ``temperature_C`` (converted to kelvin): the temperature;
* any other group is a condition named after it (``milling_time_h``), a number
  when the text is one, else the text.

What the rule finds overrides what the reader finds in the file name or
header (it is passed to :func:`structkit.io.read` as hints); a file that no
rule matches fails with a message naming the rules. Without a rule, readers
apply their own file-name, header and sidecar logic.

Examples
--------
>>> rule = NamesRule.parse([r'(?P<sample>S\\d+)_(?P<temperature_C>-?\\d+)C',
...                         r'(?P<sample>NTC)_(?P<milling_time_h>\\d+)h'], where="c.toml [xrd]")
>>> rule.apply("vt/S2_25C.xye")
{'sample': 'S2', 'temperature_K': 298.15}
>>> rule.apply("milling/NTC_6h.xye")
{'sample': 'NTC', 'conditions': {'milling_time_h': 6.0}}
>>> rule.apply("other/file.xye")
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: other/file.xye: no names rule matches the file's path; rules: '(?P<sample>S\\\\d+)_(?P<temperature_C>-?\\\\d+)C', '(?P<sample>NTC)_(?P<milling_time_h>\\\\d+)h' (c.toml [xrd] names)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from ..core.errors import ConfigError

__all__ = ["NamesRule"]

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _number(text: str):
    try:
        v = float(text.replace("p", ".")) if re.fullmatch(r"[+-]?\d+p\d+", text) else float(text)
    except ValueError:
        return text
    return v if math.isfinite(v) else text


@dataclass(frozen=True)
class NamesRule:
    """Compiled ``names`` regular expressions and where they were configured."""

    patterns: tuple[str, ...] = ()
    where: str = ""

    @classmethod
    def parse(cls, value, *, where: str) -> "NamesRule":
        """Validate a ``names`` value (a regex or a list of them); errors name the key."""
        key = f"{where} names"
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not value or not all(isinstance(v, str) and v for v in value):
            raise ConfigError(f"{key}: must be a regular expression or a list of them, e.g. "
                              f"names = '(?P<sample>[A-Za-z0-9]+)_(?P<temperature_K>\\d+)K'; got {value!r}")
        for pattern in value:
            try:
                rx = re.compile(pattern)
            except re.error as exc:
                raise ConfigError(f"{key}: {pattern!r} is not a valid regular expression ({exc})") from None
            groups = set(rx.groupindex)
            if not groups:
                raise ConfigError(f"{key}: {pattern!r} has no named group; name what it captures, e.g. "
                                  "(?P<sample>...) or (?P<temperature_K>...)")
            if {"temperature_K", "temperature_C"} <= groups:
                raise ConfigError(f"{key}: {pattern!r} has both temperature_K and temperature_C; keep one")
            for g in groups:
                if not _IDENT.match(g):  # pragma: no cover - re already requires identifiers
                    raise ConfigError(f"{key}: group name {g!r} is not an identifier")
        return cls(tuple(value), where)

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def apply(self, relative_path: str) -> dict[str, Any]:
        """Hints (``sample``, ``temperature_K``, ``conditions``) for one file; ConfigError if none matches."""
        for pattern in self.patterns:
            m = re.search(pattern, relative_path)
            if m is None:
                continue
            hints: dict[str, Any] = {}
            conditions: dict[str, Any] = {}
            for name, text in m.groupdict().items():
                if text is None:
                    continue
                if name == "sample":
                    hints["sample"] = text
                elif name in ("temperature_K", "temperature_C"):
                    v = _number(text)
                    if not isinstance(v, float):
                        raise ConfigError(f"{relative_path}: the names rule {pattern!r} captured "
                                          f"{name} = {text!r}, not a number ({self.where} names)")
                    hints["temperature_K"] = round(v + 273.15, 9) if name == "temperature_C" else v
                else:
                    conditions[name] = _number(text)
            if conditions:
                hints["conditions"] = conditions
            return hints
        listed = ", ".join(repr(p) for p in self.patterns)
        raise ConfigError(f"{relative_path}: no names rule matches the file's path; rules: {listed} "
                          f"({self.where} names)")
