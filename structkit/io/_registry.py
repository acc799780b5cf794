"""The reader registry and :func:`read`, the one entry point that picks a reader.

A format is a name, its file extensions, a sniff function that looks at the
first :data:`HEAD_BYTES` bytes, and a reader ``reader(path, **hints) ->
Measurement``. :func:`read` asks the sniffers in priority order (content
first), then falls back to the extension; ``format=`` forces a reader. A
format stored as a folder or as a file recognised by its name and neighbours
(Bruker TopSpin ``pdata/1`` with ``1r`` + ``procs``) has a ``sniff_path``
instead, asked before any byte is read.

Examples
--------
>>> list(available_formats())[:3]
['hdf5', 'zplot', 'gamry']
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError, ReadError, StructkitError
from ..core.measurement import Measurement
from ._conditions import resolve_conditions

__all__ = ["Format", "HEAD_BYTES", "register_reader", "available_formats", "get_format",
           "detect_format", "read", "refuse_format"]

#: How much of a file the sniffers see.
HEAD_BYTES = 8192

#: Hints :func:`read` handles itself; the rest go to the reader.
COMMON_HINTS = ("format", "sidecar", "sample", "temperature_K", "conditions")


@dataclass(frozen=True)
class Format:
    """One registered file format.

    Attributes
    ----------
    name : str
        What ``format=`` takes.
    extensions : tuple of str
        Lower-case, with the dot (``".z"``); used when no sniffer recognises the content.
    sniff : callable or None
        ``sniff(head: bytes) -> bool`` on the first :data:`HEAD_BYTES` bytes.
    reader : callable
        ``reader(path, **hints) -> Measurement``.
    priority : int
        Sniffers run from high to low priority.
    description : str
    hints : tuple of str or None
        Keyword hints the reader takes (None: any).
    sniff_path : callable or None
        ``sniff_path(path: Path) -> bool`` for formats recognised by the path
        itself (a folder, a file name and its neighbours); asked first.
    """

    name: str
    extensions: tuple[str, ...]
    sniff: Callable[[bytes], bool] | None
    reader: Callable[..., Measurement]
    priority: int = 50
    description: str = ""
    hints: tuple[str, ...] | None = ()
    sniff_path: Callable[[Path], bool] | None = None


_FORMATS: dict[str, Format] = {}
#: Formats recognised only to be refused: name -> ``check(head) -> reason or None``.
_REFUSED: dict[str, Callable[[bytes], str | None]] = {}


def _reader_hints(reader) -> tuple[str, ...] | None:
    try:
        params = list(inspect.signature(reader).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return None
    return tuple(p.name for p in params[1:]
                 if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD))


def register_reader(name: str, reader: Callable[..., Measurement], *,
                    extensions: Iterable[str] = (), sniff: Callable[[bytes], bool] | None = None,
                    priority: int = 50, description: str = "", replace: bool = False,
                    sniff_path: Callable[[Path], bool] | None = None) -> Format:
    """Register a file format so that :func:`read` can sniff it and ``format=name`` can force it.

    Parameters
    ----------
    name : str
        Format name (``format=`` value).
    reader : callable
        ``reader(path, **hints) -> Measurement``; its keyword parameters are
        the hints it accepts. It should raise only StructkitError subclasses.
    extensions : iterable of str
        File extensions, e.g. ``(".abc",)``, tried when no sniffer matches.
    sniff : callable, optional
        ``sniff(head: bytes) -> bool`` on the first few KB; it must be cheap
        and should not raise (an exception counts as "no").
    priority : int
        Sniffing order, high first. Built-in vendor formats use 90, the
        three-column impedance table 20 and generic text 10.
    description : str
    replace : bool
        Allow replacing a registered format of the same name.
    sniff_path : callable, optional
        ``sniff_path(path: Path) -> bool``: recognise the format from the path
        alone (a folder such as a Bruker TopSpin ``pdata/1``, or a file by its
        name and neighbours). Asked before the file is opened, so that
        :func:`read` accepts folders; it must be cheap (a few ``stat`` calls).

    Returns
    -------
    Format

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.core.measurement import Measurement
    >>> def read_two(path):
    ...     return Measurement(np.arange(2.0), np.ones(2), source=str(path))
    >>> fmt = register_reader("two-points", read_two, extensions=(".two",))
    >>> fmt.extensions
    ('.two',)
    >>> _ = unregister_reader("two-points")
    """
    if not isinstance(name, str) or not name:
        raise ConfigError(f"register_reader: name must be a non-empty string, got {name!r}")
    if not callable(reader):
        raise ConfigError(f"register_reader({name!r}): reader must be callable")
    if sniff is not None and not callable(sniff):
        raise ConfigError(f"register_reader({name!r}): sniff must be callable or None")
    if sniff_path is not None and not callable(sniff_path):
        raise ConfigError(f"register_reader({name!r}): sniff_path must be callable or None")
    if name in _FORMATS and not replace:
        raise ConfigError(f"a reader named {name!r} is already registered; pass replace=True to "
                          "replace it")
    exts = []
    for ext in extensions:
        ext = str(ext).lower()
        exts.append(ext if ext.startswith(".") else "." + ext)
    fmt = Format(name, tuple(exts), sniff, reader, int(priority), description, _reader_hints(reader),
                 sniff_path)
    _FORMATS[name] = fmt
    return fmt


def unregister_reader(name: str) -> Format:
    """Remove a registered format (mainly for tests); returns it."""
    try:
        return _FORMATS.pop(name)
    except KeyError:
        raise ConfigError(f"no reader named {name!r}; registered: {', '.join(_FORMATS)}") from None


def refuse_format(name: str, check: Callable[[bytes], str | None]) -> None:
    """Recognise a format structkit does not read, so that :func:`read` says why and what to do.

    ``check(head)`` returns the reason (the ReadError message) for a file of
    that format, None otherwise. It runs before the sniffers, on unambiguous
    signatures only; ``format=`` bypasses it. Refused formats are not listed
    by :func:`available_formats`.

    Examples
    --------
    >>> refuse_format("demo-bin", lambda head: "demo binary; export text" if head[:4] == b"DEMO" else None)
    >>> detect_format("a.bin", b"DEMO\\x00")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ReadError: a.bin: demo binary; export text
    >>> _ = _REFUSED.pop("demo-bin")
    """
    if not isinstance(name, str) or not name or not callable(check):
        raise ConfigError(f"refuse_format({name!r}): name must be a non-empty string and check callable")
    _REFUSED[name] = check


def _ordered() -> list[Format]:
    return sorted(_FORMATS.values(), key=lambda f: -f.priority)


def available_formats() -> dict[str, tuple[str, ...]]:
    """Registered format names and their extensions, in sniffing order.

    Examples
    --------
    >>> available_formats()["zplot"]
    ('.z',)
    """
    return {f.name: f.extensions for f in _ordered()}


def get_format(name: str) -> Format:
    """The registered :class:`Format` called ``name``; ConfigError listing the names otherwise."""
    fmt = _FORMATS.get(name)
    if fmt is None:
        raise ConfigError(f"unknown format {name!r}; use one of: {', '.join(available_formats())}")
    return fmt


def detect_format(path, head: bytes) -> Format:
    """Pick the format of ``path`` from its first bytes, then from its extension.

    A file of a refused format (:func:`refuse_format`) raises ReadError with the reason.

    Examples
    --------
    >>> detect_format("a.bin", b"ZPLOT2 ASCII\\n").name
    'zplot'
    >>> detect_format("a.z", b"\\x01\\x02").name
    'zplot'
    """
    for check in _REFUSED.values():
        try:
            reason = check(head)
        except Exception:  # noqa: BLE001 - a check that fails just does not recognise the file
            reason = None
        if reason:
            raise ReadError(reason, path=path)
    fmt = _first_recognising("sniff", head)
    if fmt is not None:
        return fmt
    suffix = Path(path).suffix.lower()
    for fmt in _ordered():
        if suffix and suffix in fmt.extensions:
            return fmt
    raise ReadError(f"unknown format: no reader recognises the content and the extension "
                    f"{suffix or '(none)'!r} is not registered; pass format= one of "
                    f"{', '.join(available_formats())}", path=path)


def _first_recognising(sniffer: str, what) -> Format | None:
    """The first format (by priority) whose ``sniff`` (file head) or ``sniff_path`` (path) recognises ``what``."""
    for fmt in _ordered():
        check = getattr(fmt, sniffer)
        if check is None:
            continue
        try:
            if check(what):
                return fmt
        except Exception:  # noqa: BLE001 - a sniffer that fails just does not recognise the file
            continue
    return None


def _detect_by_path(path: Path) -> Format | None:
    """The first format (by priority) whose ``sniff_path`` recognises ``path``, or None."""
    return _first_recognising("sniff_path", path)


def _read_head(path: Path) -> bytes:
    from ._text import read_bytes
    return read_bytes(path, HEAD_BYTES)


def read(path, **hints: Any) -> Measurement:
    """Read a data file into a :class:`~structkit.core.measurement.Measurement`.

    The format is sniffed from the content (first few KB), then from the
    extension; see :func:`available_formats`. Sample and conditions come from
    the file name, then the header, then a conditions sidecar CSV, then hints
    (each overriding the one before); ``meta["conditions_from"]`` records
    where each came from.

    Parameters
    ----------
    path : str or path-like
        The data file, or a folder for folder formats (Bruker TopSpin
        ``<expno>/pdata/<procno>``).
    **hints
        ``format`` : str
            Force a reader (``"text"``, ``"impedance"``, ``"zplot"``, ``"gamry"``,
            ``"biologic"``, ``"neisys"``, ``"hdf5"``, or a registered name).
        ``sidecar`` : path or False
            Conditions CSV; by default ``structkit_conditions.csv`` or
            ``conditions.csv`` next to the file is used if present. False: none.
        ``sample``, ``temperature_K``, ``conditions`` :
            Override the sample and conditions.
        Reader hints: ``columns``, ``delimiter``, ``x_name``, ``x_unit``,
        ``y_name``, ``y_unit``, ``technique`` (text); ``columns``,
        ``z_imag_sign`` (impedance); ``dataset``, ``technique`` (hdf5);
        ``column`` (jasco); ``x_name``, ``x_unit`` (labspec); ``procno``
        (topspin); ``spectrum`` (spc, wdf).
        A hint the chosen reader does not take raises ``TypeError``.

    Returns
    -------
    Measurement

    Raises
    ------
    ReadError, DataError, ConfigError
        With the file, and the 1-based line where it applies.

    Examples
    --------
    >>> import tempfile, pathlib, shutil
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "NTC-6h_25C.xy").write_text("# two_theta (deg)  intensity\\n10 5\\n20 7\\n")
    >>> m = read(d / "NTC-6h_25C.xy")
    >>> m.sample, m.temperature_K, m.x_label, m.meta["format"]
    ('NTC-6h', 298.15, 'two_theta (deg)', 'text')
    >>> read(d / "NTC-6h_25C.xy", temperature_K=300).meta["conditions_from"]["temperature_K"]
    'hint'
    >>> shutil.rmtree(d)
    """
    fmt_name = hints.pop("format", None)
    sidecar = hints.pop("sidecar", None)
    sample = hints.pop("sample", None)
    temperature_K = hints.pop("temperature_K", None)
    conditions = hints.pop("conditions", None)
    path = Path(path)
    if fmt_name is not None:
        fmt = get_format(fmt_name)
        if fmt.sniff_path is None or not path.is_dir():
            _read_head(path)  # the same "file not found" error whatever the reader
    else:
        fmt = _detect_by_path(path)
        if fmt is None:
            head = _read_head(path)
            if not head:
                raise ReadError("file is empty (0 bytes); check the export finished", path=path)
            fmt = detect_format(path, head)
    if fmt.hints is not None:
        unknown = sorted(set(hints) - set(fmt.hints))
        if unknown:
            takes = ", ".join((*COMMON_HINTS, *fmt.hints))
            raise TypeError(f"read() got hint(s) {', '.join(map(repr, unknown))} that the "
                            f"{fmt.name!r} reader does not take; hints for it: {takes}")
    try:
        m = fmt.reader(path, **hints)
    except StructkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - a reader bug must still surface as a StructkitError
        raise ReadError(f"the {fmt.name!r} reader failed unexpectedly ({type(exc).__name__}: "
                        f"{exc}); this is a bug in the reader, please report it with the file",
                        path=path) from exc
    if not isinstance(m, Measurement):
        raise ReadError(f"the {fmt.name!r} reader returned {type(m).__name__}, not a Measurement",
                        path=path)
    if "format" not in m.meta:
        m = m.replace(meta={**m.meta, "format": fmt.name})
    return resolve_conditions(m, path, sidecar=sidecar, sample=sample, temperature_K=temperature_K,
                              conditions=conditions)
