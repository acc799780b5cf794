"""Checks of user settings (campaign TOML tables, settings dicts) with errors that name the key.

Every check raises :class:`~structkit.ConfigError` with a message that starts with
``f"{where} {key}: "``, so a user reading it knows which file, table and key to fix.

Examples
--------
>>> number_setting({"rbkg": 1.0}, "rbkg", "c.toml [xas]", positive=True)
1.0
>>> range_setting({"white_line_window": [30, 0]}, "white_line_window", "c.toml [xas]")
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: c.toml [xas] white_line_window: must be [LO, HI] with LO < HI, got [30, 0]
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["number_setting", "file_setting", "range_setting", "bool_setting", "choice_setting"]


def number_setting(settings: Mapping[str, Any], key: str, where: str, *, positive: bool = False,
                   integer: bool = False, lo: float | None = None, hi: float | None = None) -> float | int:
    """``settings[key]`` as a finite float (an int with ``integer``), optionally positive and within [lo, hi]."""
    v = settings[key]
    ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
    if ok and integer:
        ok = float(v).is_integer()
    if ok and positive:
        ok = v > 0
    if ok and lo is not None:
        ok = v >= lo
    if ok and hi is not None:
        ok = v <= hi
    if not ok:
        kind = "a positive integer" if (integer and positive) else "an integer" if integer else \
            "a positive number" if positive else "a number"
        rng = f" in [{lo}, {hi}]" if lo is not None and hi is not None else \
            f" >= {lo}" if lo is not None else f" <= {hi}" if hi is not None else ""
        raise ConfigError(f"{where} {key}: must be {kind}{rng}, got {v!r}")
    return int(v) if integer else float(v)


def file_setting(value, key: str, where: str, base_dir=None) -> Path:
    """An existing file, relative paths taken from ``base_dir`` (the campaign file's folder); resolved."""
    if not isinstance(value, (str, Path)) or not str(value).strip():
        raise ConfigError(f"{where} {key}: must be a file path")
    p = Path(str(value)).expanduser()
    if not p.is_absolute() and base_dir is not None:
        p = Path(base_dir) / p
    if not p.is_file():
        raise ConfigError(f"{where} {key}: file {str(value)!r} not found"
                          + (f" (relative to {base_dir})" if base_dir is not None else ""))
    return p.resolve()


def range_setting(settings: Mapping[str, Any], key: str, where: str) -> tuple[float, float]:
    """``settings[key]`` as a pair ``[LO, HI]`` of finite numbers with LO < HI."""
    v = settings[key]
    ok = (isinstance(v, (list, tuple)) and len(v) == 2
          and all(isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) for x in v)
          and v[0] < v[1])
    if not ok:
        raise ConfigError(f"{where} {key}: must be [LO, HI] with LO < HI, got {v!r}")
    return float(v[0]), float(v[1])


def bool_setting(settings: Mapping[str, Any], key: str, where: str, default: bool) -> bool:
    """``settings[key]`` as true/false (``default`` if absent)."""
    v = settings.get(key, default)
    if not isinstance(v, bool):
        raise ConfigError(f"{where} {key}: must be true or false, got {v!r}")
    return v


def choice_setting(settings: Mapping[str, Any], key: str, where: str, choices, default=None):
    """``settings[key]`` (``default`` if absent), one of ``choices``."""
    v = settings.get(key, default)
    if v not in choices:
        listed = ", ".join(f'"{c}"' for c in choices)
        raise ConfigError(f"{where} {key}: must be one of {listed}, got {v!r}")
    return v
