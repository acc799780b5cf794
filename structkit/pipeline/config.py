r"""The campaign file: one TOML file that says what ``structkit run`` does.

::

    [campaign]
    name = "NTC milling series"   # default: the file's stem
    output = "structkit_out"      # relative to this file
    workers = 2                   # default 1; capped at os.cpu_count() by the runner
    executor = "process"          # "process" (default), "serial" or "dask"
    scheduler = "dask-local:2"    # Dask only: "tcp://HOST:PORT" or "dask-local:N" (implies executor = "dask")
    names = '(?P<sample>[^/_]+)_(?P<temperature_K>\d+)K'   # default names rule (structkit.pipeline.names)
    analysis = true               # cross-technique correlations and breakpoints (default true)
    figures = true                # figures of the cross-technique analysis (default true)
    report = true                 # report.html (default true)

    [conductivity]                # one table per technique (a registered adapter name)
    inputs = ["eis/*.txt"]        # globs relative to this file; each must match a file
    names = ['(?P<sample>S\d+)_(?P<temperature_C>-?\d+)C']   # optional; overrides [campaign] names
    thickness_cm = 0.12           # everything else goes to the adapter's validate()

Settings have the names of the command-line options (``--thickness-cm`` is
``thickness_cm``; ``thickness-cm`` is accepted too).

    [join]                        # optional
    descriptors = ["xrd_descriptors.csv"]   # extra DescriptorTable CSVs (relative to this file)
    form = "sigmaT"               # or "sigma"
    regimes = "auto"              # or a positive integer
    temperature_K = 298.15        # σ for descriptors without a temperature_K condition

Every error is a :class:`~structkit.ConfigError` whose message starts with
the file and the table and names the key, e.g.
``campaign.toml [campaign] wokers: unknown key; allowed keys are ...``.

Examples
--------
>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "campaign.toml").write_text('[campaign]\nworkers = "two"\n')
>>> load_campaign(d / "campaign.toml")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
structkit.core.errors.ConfigError: ...campaign.toml [campaign] workers: must be a positive integer, got 'two'
"""

from __future__ import annotations

import glob
import hashlib
import inspect
import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from ..core.frozen import FrozenMap
from typing import Any

from ..core.errors import ConfigError, ReadError
from .adapters import available_adapters, get_adapter
from .names import NamesRule

__all__ = ["Campaign", "TechniqueConfig", "JoinConfig", "load_campaign", "parse_campaign",
           "CAMPAIGN_KEYS", "JOIN_KEYS"]

CAMPAIGN_KEYS = ("name", "output", "workers", "executor", "scheduler", "names", "analysis", "report", "figures")
JOIN_KEYS = ("descriptors", "form", "regimes", "temperature_K")
EXECUTORS = ("process", "serial", "dask")


@dataclass(frozen=True)
class TechniqueConfig:
    """One technique table: its input files and its validated settings."""

    name: str
    globs: tuple[str, ...]
    inputs: tuple[Path, ...]                 # absolute, sorted by path relative to the campaign dir
    settings: Mapping[str, Any] = field(default_factory=dict)   # read-only, JSON-serialisable
    names: NamesRule = NamesRule()

    def __post_init__(self):
        object.__setattr__(self, "settings", FrozenMap(dict(self.settings)))


@dataclass(frozen=True)
class JoinConfig:
    """The ``[join]`` table."""

    descriptors: tuple[Path, ...] = ()
    form: str = "sigmaT"
    regimes: int | str = "auto"
    temperature_K: float | None = None


@dataclass(frozen=True)
class Campaign:
    """A validated campaign.

    Attributes
    ----------
    name : str
    base_dir : Path
        Directory that inputs and outputs are relative to (the TOML file's).
    output : Path
        Absolute output directory.
    workers : int
        As requested (the runner caps it at ``os.cpu_count()``).
    executor : {"process", "serial", "dask"}
    scheduler : str or None
        Dask scheduler: ``"tcp://HOST:PORT"`` or ``"dask-local:N"``.
    analysis, figures, report : bool
        Write the cross-technique analysis, its figures and ``report.html``.
    techniques : tuple of TechniqueConfig
        In the order of the file.
    join : JoinConfig
    source : str
        How the campaign is named in messages (the path as given, or ``"<dict>"``).
    path : Path or None
    sha256 : str or None
        Hash of the TOML file's bytes.
    """

    name: str
    base_dir: Path
    output: Path
    workers: int = 1
    executor: str = "process"
    scheduler: str | None = None
    analysis: bool = True
    figures: bool = True
    report: bool = True
    techniques: tuple[TechniqueConfig, ...] = ()
    join: JoinConfig = JoinConfig()
    source: str = "<dict>"
    path: Path | None = None
    sha256: str | None = None

    def technique(self, name: str) -> TechniqueConfig:
        for t in self.techniques:
            if t.name == name:
                return t
        raise KeyError(name)

    def relative(self, path: Path) -> str:
        """``path`` relative to :attr:`base_dir`, POSIX form (how files are named in tables)."""
        return Path(os.path.relpath(path, self.base_dir)).as_posix()


def load_campaign(path) -> Campaign:
    """Read and validate a campaign TOML file."""
    source = str(path)
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ReadError("campaign file not found", path=source) from None
    except OSError as exc:
        raise ReadError(f"cannot read the campaign file ({exc.strerror})", path=source) from None
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: not valid TOML ({exc})") from None
    campaign = parse_campaign(table, base_dir=path.resolve().parent, source=source,
                              default_name=path.stem)
    return _replace(campaign, path=path.resolve(), sha256=hashlib.sha256(data).hexdigest())


def _replace(obj, **changes):
    import dataclasses
    return dataclasses.replace(obj, **changes)


def _check_keys(table: Mapping, allowed, where: str) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{where} {key}: unknown key; allowed keys are {', '.join(allowed)}")


def _string(value, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where} {key}: must be a non-empty string, got {value!r}")
    return value


def _string_list(value, where: str, key: str, example: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where} {key}: must be a list of strings, e.g. {key} = {example}; "
                          f"got {value!r}")
    return tuple(value)


def _expand(globs, base_dir: Path, output: Path, where: str) -> tuple[Path, ...]:
    found: dict[str, Path] = {}
    out = output.resolve()
    for pattern in globs:
        full = os.path.join(base_dir, os.path.expanduser(pattern))
        files = [p for p in (Path(q).resolve() for q in glob.glob(full, recursive=True)) if p.is_file()]
        hits = [p for p in files if out not in p.parents]  # earlier outputs are never inputs
        if not hits:
            what = "only files in the output directory" if files else "no file"
            raise ConfigError(f"{where} inputs: the glob {pattern!r} matches {what} "
                              f"(relative to {base_dir})")
        for p in hits:
            found[Path(os.path.relpath(p, base_dir)).as_posix()] = p
    return tuple(found[k] for k in sorted(found))


def parse_campaign(table: Mapping[str, Any], *, base_dir, source: str = "<dict>",
                   default_name: str = "campaign") -> Campaign:
    """Validate a campaign given as the dict ``tomllib`` returns (paths relative to ``base_dir``)."""
    base_dir = Path(base_dir).resolve()
    sections = dict(table)
    known = available_adapters()

    where = f"{source} [campaign]"
    camp = sections.pop("campaign", {})
    if not isinstance(camp, Mapping):
        raise ConfigError(f"{where}: must be a table")
    _check_keys(camp, CAMPAIGN_KEYS, where)
    name = _string(camp.get("name", default_name), where, "name")
    output = (base_dir / os.path.expanduser(_string(camp.get("output", "structkit_out"), where,
                                                     "output"))).resolve()
    workers = camp.get("workers", 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ConfigError(f"{where} workers: must be a positive integer, got {workers!r}")
    scheduler = camp.get("scheduler")
    if scheduler is not None:
        scheduler = check_scheduler(scheduler, where=f"{where} scheduler")
    executor = camp.get("executor", "dask" if scheduler else "process")
    if executor not in EXECUTORS:
        raise ConfigError(f"{where} executor: must be one of {', '.join(EXECUTORS)}, got {executor!r}")
    if scheduler and executor != "dask":
        raise ConfigError(f"{where} scheduler: is for executor = \"dask\", but executor = {executor!r}")
    flags = {}
    for key in ("analysis", "report", "figures"):
        flags[key] = camp.get(key, True)
        if not isinstance(flags[key], bool):
            raise ConfigError(f"{where} {key}: must be true or false, got {flags[key]!r}")
    default_names = NamesRule.parse(camp["names"], where=where) if "names" in camp else NamesRule()

    join = _parse_join(sections.pop("join", {}), base_dir, f"{source} [join]")

    techniques = []
    for tech, settings in sections.items():
        if tech not in known:
            raise ConfigError(f"{source} [{tech}]: unknown table; tables are campaign, join and one per "
                              f"technique: {', '.join(known) or '(no technique registered)'}")
        where = f"{source} [{tech}]"
        if not isinstance(settings, Mapping):
            raise ConfigError(f"{where}: must be a table, e.g. [{tech}] with inputs = [\"data/*.txt\"]")
        settings = _underscored(settings, where)
        if "inputs" not in settings:
            raise ConfigError(f"{where} inputs: missing; list the input files as globs relative to "
                              f"the campaign file, e.g. inputs = [\"data/*.txt\"]")
        globs = _string_list(settings.pop("inputs"), where, "inputs", '["data/*.txt"]')
        names = NamesRule.parse(settings.pop("names"), where=where) if "names" in settings else default_names
        if not globs:
            raise ConfigError(f"{where} inputs: is empty; list at least one glob")
        adapter = get_adapter(tech)
        extra = {"base_dir": base_dir} if "base_dir" in inspect.signature(adapter.validate).parameters else {}
        validated = adapter.validate(settings, where=where, **extra)
        if not isinstance(validated, Mapping):
            raise ConfigError(f"{where}: the {tech} adapter's validate() returned "
                              f"{type(validated).__name__}, not a dict (adapter bug)")
        inputs = _expand(globs, base_dir, output, where)
        techniques.append(TechniqueConfig(tech, globs, inputs, validated, names))
    if not techniques:
        raise ConfigError(f"{source}: no technique table; add one, e.g. [conductivity] with "
                          f"inputs = [\"eis/*.txt\"] (known techniques: {', '.join(known) or 'none'})")
    return Campaign(name=name, base_dir=base_dir, output=output, workers=workers, executor=executor,
                    scheduler=scheduler, techniques=tuple(techniques), join=join, source=source, **flags)


def check_scheduler(value, *, where: str) -> str:
    """A Dask scheduler address: ``tcp://HOST:PORT`` (a running cluster) or ``dask-local:N``.

    >>> check_scheduler("dask-local:2", where="--scheduler")
    'dask-local:2'
    >>> check_scheduler("localhost:8786", where="--scheduler")
    Traceback (most recent call last):
    ...
    structkit.core.errors.ConfigError: --scheduler: must be tcp://HOST:PORT (a running Dask scheduler) or dask-local:N (a local cluster of N worker processes), got 'localhost:8786'
    """
    ok = isinstance(value, str) and (
        re.fullmatch(r"(tcp|tls|inproc|ucx)://\S+", value) is not None
        or re.fullmatch(r"dask-local(:[1-9]\d*)?", value) is not None)
    if not ok:
        raise ConfigError(f"{where}: must be tcp://HOST:PORT (a running Dask scheduler) or dask-local:N "
                          f"(a local cluster of N worker processes), got {value!r}")
    return value


def _underscored(table: Mapping, where: str) -> dict:
    """Keys as the CLI spells them (``thickness-cm``) become Python names (``thickness_cm``), in sub-tables too."""
    out: dict = {}
    for key, value in table.items():
        new = key.replace("-", "_") if isinstance(key, str) else key
        if new in out:
            raise ConfigError(f"{where} {new}: given twice (as {new!r} and with '-'); keep one")
        out[new] = _underscored(value, f"{where}.{new}") if isinstance(value, Mapping) else value
    return out


def _parse_join(join, base_dir: Path, where: str) -> JoinConfig:
    if not isinstance(join, Mapping):
        raise ConfigError(f"{where}: must be a table")
    _check_keys(join, JOIN_KEYS, where)
    descriptors = _string_list(join.get("descriptors", []), where, "descriptors", '["xrd.csv"]')
    paths = []
    for d in descriptors:
        p = (base_dir / os.path.expanduser(d)).resolve()
        if not p.is_file():
            raise ConfigError(f"{where} descriptors: file {d!r} not found (relative to {base_dir})")
        paths.append(p)
    form = join.get("form", "sigmaT")
    if form not in ("sigmaT", "sigma"):
        raise ConfigError(f"{where} form: must be 'sigmaT' or 'sigma', got {form!r}")
    regimes = join.get("regimes", "auto")
    if regimes != "auto" and (isinstance(regimes, bool) or not isinstance(regimes, int) or regimes < 1):
        raise ConfigError(f"{where} regimes: must be 'auto' or a positive integer, got {regimes!r}")
    t = join.get("temperature_K")
    if t is not None and (isinstance(t, bool) or not isinstance(t, (int, float))
                          or not math.isfinite(t) or t <= 0):
        raise ConfigError(f"{where} temperature_K: must be a positive number (kelvin), got {t!r}")
    return JoinConfig(tuple(paths), form, regimes, None if t is None else float(t))
