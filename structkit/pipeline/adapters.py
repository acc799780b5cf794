"""The plug-in protocol between the batch runner and a technique.

A technique joins ``structkit run`` by providing one :class:`TechniqueAdapter`
and registering it at import time::

    class ConductivityAdapter(TechniqueAdapter):
        name = "conductivity"        # the TOML table: [conductivity]
        table_name = "sigma"         # per-file results go to sigma.csv
        def validate(self, settings, *, where): ...
        def process(self, path, settings, figure_dir): ...
        def summarise(self, results, settings, out_dir): ...

    register_adapter(ConductivityAdapter())

:meth:`~TechniqueAdapter.process` runs in a worker process. The worker never
receives the adapter object: it receives the adapter's *name* and the module
that registered it, imports that module (which registers the adapter again,
in the worker) and looks the adapter up with :func:`get_adapter`. An adapter
must therefore be registered at module level of an importable module.

Examples
--------
>>> class Echo(TechniqueAdapter):
...     name, table_name = "echo_doctest", "echo"
...     def process(self, path, settings, figure_dir):
...         return TaskResult(rows=[{"n": 1}])
>>> _ = register_adapter(Echo())
>>> get_adapter("echo_doctest").table_name
'echo'
>>> Echo().validate({"tickness_cm": 1}, where="campaign.toml [echo_doctest]")
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: campaign.toml [echo_doctest] tickness_cm: unknown key; this table takes only inputs
"""

from __future__ import annotations

import importlib
import inspect
import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError

if TYPE_CHECKING:  # pandas is imported only where a table is built
    import pandas

__all__ = [
    "TaskResult", "SummaryResult", "TechniqueAdapter",
    "register_adapter", "get_adapter", "available_adapters",
    "accepts_keyword", "check_keys", "positive_number", "atomic_savefig", "save_and_close", "slug", "read_hints",
]

#: Modules that register the built-in adapters; imported on first look-up.
BUILTIN_ADAPTER_MODULES = ("structkit.pipeline.conductivity", "structkit.pipeline.xrd", "structkit.pipeline.xas",
                           "structkit.pipeline.pdf", "structkit.pipeline.raman", "structkit.pipeline.qens",
                           "structkit.pipeline.tem")


@dataclass(frozen=True)
class TaskResult:
    """What :meth:`TechniqueAdapter.process` returns for one input file.

    Attributes
    ----------
    rows : list of dict
        Rows of the per-file results table (``<table_name>.csv``); values must
        be JSON scalars (str, int, float, bool, None; numpy scalars are
        converted). The runner puts a ``file`` column first (the input path
        relative to the campaign file) unless the row already has one.
    descriptors : list of DescriptorRow
        Empty ``technique`` is filled with the adapter name, empty ``source``
        with the input file.
    figures : list of str
        Figures written, as paths relative to the output directory (absolute
        paths inside it are accepted and made relative).
    messages : list of str
        Notes for the user (Python warnings raised during the task are
        appended by the runner); they go to ``provenance.json``.
    failures : list of dict
        Files of a series task that failed while the series went on: dicts
        with ``file`` (the path as given to the adapter), ``error`` and
        ``message``; the runner lists them in ``failures.csv``.
    """

    rows: list[dict] = field(default_factory=list)
    descriptors: list[DescriptorRow] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class SummaryResult:
    """What :meth:`TechniqueAdapter.summarise` returns after all files of a technique.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        Each written as ``<name>.csv`` in the output directory.
    descriptors : list of DescriptorRow
        Added to ``descriptors.csv`` (e.g. Ea per sample and regime).
    figures : list of str
        Paths relative to the output directory.
    conductivity : pandas.DataFrame or None
        σ(T) for the join, columns ``sample``, ``temperature_K``,
        ``sigma_S_per_cm``, ``sigma_stderr_S_per_cm``.
    messages : list of str
        Notes for the user; they go to ``provenance.json``.
    """

    tables: dict[str, "pandas.DataFrame"] = field(default_factory=dict)
    descriptors: list[DescriptorRow] = field(default_factory=list)
    figures: list[str] = field(default_factory=list)
    conductivity: "pandas.DataFrame | None" = None
    messages: list[str] = field(default_factory=list)


class TechniqueAdapter(ABC):
    """Base class of a technique plug-in; subclass it and register an instance.

    Class attributes
    ----------------
    name : str
        The TOML table name (``"conductivity"`` for ``[conductivity]``).
    table_name : str
        File stem of the per-file results table (``"sigma"`` → ``sigma.csv``).
    version : str
        Bump it when the adapter's numbers change for the same input and
        settings: it is part of the cache key, so cached results are redone.
    """

    name: str = ""
    table_name: str = ""
    version: str = "1"

    def validate(self, settings: dict, *, where: str) -> dict:
        """Check and normalise this technique's settings (everything but ``inputs``).

        An adapter whose settings name files may accept a keyword ``base_dir``
        (the campaign file's folder, for relative paths); it is passed only to
        a ``validate`` that declares it.

        Return a JSON-serialisable dict (it is hashed into the cache key and
        recorded in ``provenance.json``). Raise :class:`ConfigError` with a
        message that starts with ``f"{where} {key}: "``. The default accepts
        no settings at all.
        """
        check_keys(settings, (), where=where)
        return {}

    @abstractmethod
    def process(self, path: Path, settings: dict, figure_dir: Path) -> TaskResult:
        """Process one input file; runs in a worker process.

        An adapter may declare a keyword ``hints=None``: the runner then passes
        the sample and conditions that the campaign's ``names`` rule found in
        the file's path (give them to :func:`structkit.io.read` through
        :func:`read_hints`).

        Raise a :class:`~structkit.StructkitError` (``ReadError``, ``FitError``
        ...) for a file that cannot be processed: the runner records its
        message in ``failures.csv`` and goes on. Write figures into
        ``figure_dir`` (use :func:`atomic_savefig`, and a
        ``matplotlib.figure.Figure`` rather than ``pyplot``).
        """

    def task_unit(self, settings: dict) -> str:
        """``"file"`` (default: one task per input file) or ``"sample"`` (one task per series).

        With ``"sample"``, the runner groups the files by sample (from the
        ``names`` rule, else from the file name) and calls
        :meth:`process_series` once per sample: a sequential refinement, in
        which each fit starts from the previous one, is one task.
        """
        return "file"

    def process_series(self, paths: list[Path], settings: dict, figure_dir: Path, *,
                       hints: list[dict] | None = None) -> TaskResult:
        """Process the files of one sample together (only called when :meth:`task_unit` says so)."""
        raise NotImplementedError(f"{type(self).__qualname__} has no process_series()")

    def summarise(self, results: list[TaskResult], settings: dict, out_dir: Path) -> SummaryResult:
        """Combine the successful per-file results (in file order); runs in the main process.

        ``out_dir`` is the output directory; figures go to ``out_dir / "figures"``.
        The default returns an empty :class:`SummaryResult`.

        An adapter may declare a keyword ``pmap=None``: the runner then passes the
        executor's ordered map, ``pmap(func, items) -> list``, which computes
        ``func(item)`` for every item on the run's workers (``func`` a module-level
        function that catches the errors it expects). Per-sample fits then run in
        parallel instead of one after another here.
        """
        return SummaryResult()


def accepts_keyword(func, name: str) -> bool:
    """Whether ``func`` declares the keyword ``name`` (adapters opt in to ``hints`` and ``pmap``)."""
    try:
        return name in inspect.signature(func).parameters
    except (TypeError, ValueError):  # pragma: no cover - builtins without a signature
        return False


# -- registry ----------------------------------------------------------------

_REGISTRY: dict[str, Any] = {}
_MODULES: dict[str, str] = {}
_LOCK = threading.Lock()
_BUILTINS_LOADED = False


def register_adapter(adapter, *, replace: bool = False):
    """Register an adapter instance under ``adapter.name`` and return it.

    Call it at module level, so that a worker process that imports the
    module gets the adapter too. Registering another instance of the same
    class again is allowed (a module imported twice); a different class
    under a taken name needs ``replace=True``.
    """
    for attr in ("name", "table_name"):
        value = getattr(adapter, attr, None)
        if not isinstance(value, str) or not value.isidentifier():
            raise ConfigError(f"register_adapter: {type(adapter).__qualname__}.{attr} must be a "
                              f"non-empty identifier string, got {value!r}")
    for meth in ("validate", "process", "summarise"):
        if not callable(getattr(adapter, meth, None)):
            raise ConfigError(f"register_adapter: {type(adapter).__qualname__} has no method {meth}(); "
                              "subclass structkit.pipeline.TechniqueAdapter")
    if adapter.name in ("campaign", "join"):
        raise ConfigError(f"register_adapter: the name {adapter.name!r} is reserved for a campaign section")
    with _LOCK:
        old = _REGISTRY.get(adapter.name)
        if (old is not None and not replace
                and type(old).__qualname__ != type(adapter).__qualname__):
            raise ConfigError(f"register_adapter: technique {adapter.name!r} is already registered by "
                              f"{type(old).__module__}.{type(old).__qualname__}; pass replace=True")
        _REGISTRY[adapter.name] = adapter
        _MODULES[adapter.name] = type(adapter).__module__
    return adapter


def _load_builtins() -> None:
    global _BUILTINS_LOADED
    if _BUILTINS_LOADED:
        return
    _BUILTINS_LOADED = True
    for module in BUILTIN_ADAPTER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as exc:  # only the module itself being absent is tolerated
            if exc.name != module:
                raise


def get_adapter(name: str, *, module: str | None = None):
    """The adapter registered as ``name``.

    ``module`` is imported first if the name is not registered yet: this is
    how a worker process finds an adapter registered by a user module.
    """
    _load_builtins()
    if name not in _REGISTRY and module:
        importlib.import_module(module)
    try:
        return _REGISTRY[name]
    except KeyError:
        known = ", ".join(available_adapters()) or "none"
        raise ConfigError(f"no technique adapter named {name!r}; known techniques: {known}") from None


def adapter_module(name: str) -> str | None:
    """The module that registered ``name`` (passed to worker processes)."""
    _load_builtins()
    return _MODULES.get(name)


def available_adapters() -> list[str]:
    """Names of the registered techniques, sorted."""
    _load_builtins()
    return sorted(_REGISTRY)


# -- helpers for adapter authors -------------------------------------------------

def check_keys(settings: Mapping[str, Any], allowed: Iterable[str], *, where: str) -> None:
    """Raise :class:`ConfigError` naming the first unknown key and the allowed ones.

    >>> check_keys({"thickness_cm": 0.1}, ["thickness_cm", "area_cm2"], where="c.toml [eis]")
    >>> check_keys({"thicknes_cm": 0.1}, ["thickness_cm", "area_cm2"], where="c.toml [eis]")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ConfigError: c.toml [eis] thicknes_cm: unknown key; allowed keys are inputs, area_cm2, thickness_cm
    """
    allowed = sorted(allowed)
    for key in settings:
        if key not in allowed:
            listed = ", ".join(["inputs", *allowed]) if allowed else None
            hint = f"allowed keys are {listed}" if listed else "this table takes only inputs"
            raise ConfigError(f"{where} {key}: unknown key; {hint}")


def positive_number(settings: Mapping[str, Any], key: str, *, where: str,
                    default: float | None = None, required: bool = False) -> float | None:
    """``settings[key]`` as a positive finite float (``default`` if absent).

    >>> positive_number({"thickness_cm": 0.1}, "thickness_cm", where="c.toml [eis]")
    0.1
    >>> positive_number({"thickness_cm": "1 mm"}, "thickness_cm", where="c.toml [eis]")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ConfigError: c.toml [eis] thickness_cm: must be a positive number, got '1 mm'
    """
    if key not in settings:
        if required:
            raise ConfigError(f"{where} {key}: missing; this setting is required")
        return default
    value = settings[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{where} {key}: must be a positive number, got {value!r}")
    return float(value)


def read_hints(settings: Mapping[str, Any], hints: Mapping[str, Any] | None = None) -> dict:
    """Keyword hints for :func:`structkit.io.read`: the file's ``hints``, then ``settings["sample"]``.

    The runner passes ``hints`` (``sample``, ``temperature_K``, ``conditions``)
    that a campaign's ``names`` rule found in the file's path, to a
    :meth:`TechniqueAdapter.process` that declares a ``hints`` keyword. A
    ``sample`` setting of the technique table overrides the sample of every file.

    >>> read_hints({"sample": "NTC"}, {"sample": "x", "conditions": {"milling_time_h": 6.0}})
    {'sample': 'NTC', 'conditions': {'milling_time_h': 6.0}}
    """
    out = {k: (dict(v) if isinstance(v, Mapping) else v) for k, v in (hints or {}).items()
           if k in ("sample", "temperature_K", "conditions")}
    if settings.get("sample"):
        out["sample"] = str(settings["sample"])
    return out


def atomic_savefig(fig, path) -> Path:
    """Save a matplotlib Figure atomically; the same as :func:`structkit.io.save_figure`."""
    from ..io import save_figure
    return save_figure(fig, path)


def save_and_close(fig, path) -> str:
    """:func:`atomic_savefig`, then release the figure; returns the path as a string (for ``figures``)."""
    import matplotlib.pyplot as plt
    out = atomic_savefig(fig, path)
    plt.close(fig)
    return str(out)


def slug(text) -> str:
    """A file-name-safe version of ``text`` (letters, digits, ``-_.`` kept; the rest ``_``).

    >>> slug("NTC 6h (annealed)")
    'NTC_6h__annealed_'
    """
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in str(text)) or "sample"
