"""EXAFS shell fits with FEFF paths (larch ``feffit``), one dataset or a temperature series.

A fit is declared, not scripted: a list of :class:`PathModel` (a FEFF path and
the expressions of its path parameters, in the names of the fit's variables),
the variables' starting values (defaults for the usual names), the k/R
transform, and for a series the σ²(T) model. :func:`fit_shells` builds larch's
``feffit_transform``/``feffit_dataset``/``feffit`` from that, and returns a
:class:`ShellFit` with R = reff + ΔR, N, σ², ΔE0, C3 per path with their
errors, the R-factor, N_idp and reduced χ², the data/model curves for the
figures, and larch's own report.

Path-parameter expressions are strings evaluated by larch (asteval); they may
use ``reff``, ``degen`` and larch's ``sigma2_eins(T, theta)`` /
``sigma2_debye(T, theta)``, and ``{T}`` which is replaced by each dataset's
temperature (K). ``sigma2_model='einstein'`` (or ``'debye'``) sets every path's
σ² to ``sigma2_eins({T}, theta)`` (+ ``sig2_static`` if declared), so a
temperature series shares S0², ΔE0 and θ declared once.

Examples
--------
>>> PathModel("feff0001.dat").expressions()["sigma2"]
'sig2'
>>> PathModel("feff0001.dat", n="n1", deltar="alpha*reff").expressions()["deltar"]
'alpha*reff'
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.summary import SummaryRepr
from . import _larch
from .exafs import WINDOWS, Exafs, check_k_range

__all__ = ["PathModel", "ShellFit", "fit_shells", "standard_models", "DEFAULT_VARIABLES", "SIGMA2_MODELS"]

#: Starting values (and bounds) of the usual variable names, used when a name appears
#: in an expression and ``variables`` does not give it.
DEFAULT_VARIABLES: dict[str, dict[str, Any]] = {
    "s02": {"value": 0.9, "min": 0.0, "max": 3.0},
    "del_e0": {"value": 0.0, "min": -20.0, "max": 20.0},
    "delr": {"value": 0.0, "min": -0.5, "max": 0.5},
    "alpha": {"value": 0.0},
    "sig2": {"value": 0.004, "min": 0.0, "max": 0.1},
    "theta": {"value": 250.0, "min": 10.0, "max": 3000.0},
    "sig2_static": {"value": 0.0, "min": -0.01, "max": 0.05},
    "c3": {"value": 0.0, "min": -0.01, "max": 0.01},
}

#: σ²(T) models: the σ² expression every path gets when ``sigma2_model`` is set.
SIGMA2_MODELS = {"einstein": "sigma2_eins({T}, theta)", "debye": "sigma2_debye({T}, theta)"}

#: Names larch puts in the expression symbol table (not fit variables).
_BUILTIN_NAMES = {"reff", "degen", "nleg", "rmass", "rnorman", "sigma2_eins", "sigma2_debye", "sqrt", "exp", "log",
                  "sin", "cos", "tan", "pi", "abs", "max", "min", "feffpath", "ETOK", "KTOE"}


@dataclass(frozen=True)
class PathModel:
    """One FEFF path in a fit, with its path-parameter expressions.

    Parameters
    ----------
    path : str, Path or object
        A ``feffNNNN.dat`` file, or an object with a ``filename`` attribute (a
        :class:`structkit.xas.feff.FeffPath`, a larch ``FeffPathGroup``).
    label : str
        Name in reports and descriptor names; default from the file name.
    s02, e0, deltar, sigma2, third : str or float
        Expressions or numbers for S0², ΔE0 (eV), ΔR (Å), σ² (Å²), C3 (Å³); None
        for ``third`` leaves it 0. ``deltar='alpha*reff'`` gives an isotropic expansion.
    n : str or float, optional
        Coordination number (expression or number). None keeps FEFF's degeneracy; otherwise
        the amplitude is S0²·N (the path's S0² becomes ``s02*n/degen``) and N is reported.
    """

    path: Any
    label: str = ""
    s02: str | float = "s02"
    e0: str | float = "del_e0"
    deltar: str | float = "delr"
    sigma2: str | float = "sig2"
    third: str | float | None = None
    n: str | float | None = None

    @property
    def filename(self) -> str:
        return str(getattr(self.path, "filename", self.path))

    @property
    def name(self) -> str:
        return self.label or Path(self.filename).stem

    def expressions(self) -> dict[str, str | float]:
        """The path parameters as larch takes them (before ``{T}`` substitution and N)."""
        out = {"s02": self.s02, "e0": self.e0, "deltar": self.deltar, "sigma2": self.sigma2}
        if self.third is not None:
            out["third"] = self.third
        return out


def _names(expr) -> set[str]:
    if not isinstance(expr, str):
        return set()
    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise ConfigError(f"path-parameter expression {expr!r} is not valid ({exc.msg})") from None
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - called - _BUILTIN_NAMES


def _subst_t(expr, temperature: float | None, label: str):
    if not isinstance(expr, str) or "{T}" not in expr:
        return expr
    if temperature is None or not math.isfinite(temperature):
        raise ConfigError(f"path {label}: the expression {expr!r} needs the dataset temperature; give temperatures= or "
                          "read the data with a temperature_K condition")
    return expr.replace("{T}", f"{float(temperature):.6g}")


def _safe(label: str) -> str:
    s = re.sub(r"\W", "_", label)
    return s if s and not s[0].isdigit() else "p_" + s


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class ShellFit(SummaryRepr):
    """Result of :func:`fit_shells`.

    Attributes
    ----------
    variables : pandas.DataFrame
        name, value, stderr, vary, expr, init for each fit variable.
    paths : pandas.DataFrame
        One row per (dataset, path): dataset, label, reff, r, r_stderr, n, n_stderr, sigma2,
        sigma2_stderr, e0, e0_stderr, s02, s02_stderr, third, third_stderr, degen, nleg.
    rfactor, chi2, chi2_reduced, n_idp, nvarys, ndata : statistics (R-factor as larch defines it)
    success : bool ; message : str
    curves : list of dict
        Per dataset: k, chi_data, chi_model, r, chir_data, chir_model, kmin, kmax, rmin, rmax, kweight, label.
    datasets : list of (sample, conditions, source)
    report : str
        larch's ``feffit_report``.
    settings : mapping
        Transform, σ² model, temperatures, path files and expressions.
    """

    variables: Any
    paths: Any
    rfactor: float
    chi2: float
    chi2_reduced: float
    n_idp: float
    nvarys: int
    ndata: int
    success: bool
    message: str
    curves: list = field(default_factory=list)
    datasets: list = field(default_factory=list)
    report: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)

    def variable(self, name: str) -> tuple[float, float]:
        """(value, stderr) of a fit variable."""
        row = self.variables[self.variables["name"] == name]
        if row.empty:
            raise KeyError(f"no variable {name!r}; have {', '.join(self.variables['name'])}")
        return float(row["value"].iloc[0]), float(row["stderr"].iloc[0])

    def descriptors(self) -> list[DescriptorRow]:
        """Per dataset and path: ``shell_r_A[label]``, ``shell_n[label]``, ``shell_sigma2_A2[label]``, ``shell_c3_A3[label]``;
        per dataset ``shell_s02``, ``shell_de0_eV``, ``shell_rfactor``; σ²(T) fits add ``theta_K``."""
        s = self.settings
        method = (f"feffit k {s['kmin']:g}-{s['kmax']:g} kw {s['kweight']} {s['window']} dk {s['dk']:g}, R "
                  f"{s['rmin']:g}-{s['rmax']:g}" + (f", sigma2 {s['sigma2_model']}" if s.get("sigma2_model") else ""))
        rows = []
        for i, (sample, conditions, source) in enumerate(self.datasets):
            base = {"sample": sample, "technique": "xas", "conditions": conditions, "source": source, "method": method}
            sub = self.paths[self.paths["dataset"] == i]
            for _, p in sub.iterrows():
                lab = p["label"]
                rows += [DescriptorRow(name=f"shell_r_A[{lab}]", value=p["r"], stderr=p["r_stderr"], unit="angstrom",
                                       **base),
                         DescriptorRow(name=f"shell_n[{lab}]", value=p["n"], stderr=p["n_stderr"], **base),
                         DescriptorRow(name=f"shell_sigma2_A2[{lab}]", value=p["sigma2"], stderr=p["sigma2_stderr"],
                                       unit="angstrom^2", **base)]
                if p["third"] != 0 or np.isfinite(p["third_stderr"]):
                    rows.append(DescriptorRow(name=f"shell_c3_A3[{lab}]", value=p["third"], stderr=p["third_stderr"],
                                              unit="angstrom^3", **base))
            if len(sub):
                first = sub.iloc[0]
                rows += [DescriptorRow(name="shell_s02", value=first["s02"], stderr=first["s02_stderr"], **base),
                         DescriptorRow(name="shell_de0_eV", value=first["e0"], stderr=first["e0_stderr"], unit="eV",
                                       **base)]
            rows.append(DescriptorRow(name="shell_rfactor", value=self.rfactor, **base))
            if s.get("sigma2_model") and "theta" in set(self.variables["name"]):
                th, the = self.variable("theta")
                rows.append(DescriptorRow(name=f"theta_{s['sigma2_model']}_K", value=th, stderr=the, unit="K", **base))
        return rows

    def to_frame(self):
        return self.paths

    def summary(self) -> str:
        lines = [f"ShellFit: {len(self.datasets)} dataset(s), {self.paths['label'].nunique()} path(s), "
                 f"R-factor {self.rfactor:.4g}, N_idp {self.n_idp:.2f}, {self.nvarys} variables, reduced chi2 "
                 f"{self.chi2_reduced:.4g}" + ("" if self.success else f" -- NOT converged: {self.message}")]
        for _, v in self.variables.iterrows():
            if v["vary"]:
                lines.append(f"  {v['name']:>12s} = {v['value']:.6g} +/- {v['stderr']:.2g}")
        return "\n".join(lines)

    def plot(self, axes=None, *, dataset: int = 0, rmax: float = 6.0):
        from .plot import plot_shell_fit
        return plot_shell_fit(self, axes=axes, dataset=dataset, rmax=rmax)


def _as_list(x):
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _temperature(ex: Exafs, given) -> float | None:
    if given is not None:
        return float(given)
    t = (ex.conditions or {}).get("temperature_K")
    return float(t) if t is not None else None


def fit_shells(data: Exafs | Sequence[Exafs], paths: Sequence[PathModel] | Sequence[Sequence[PathModel]], *,
               variables: Mapping[str, Any] | None = None, kmin: float = 3.0, kmax: float | None = None,
               kweight: float | Sequence[float] = 2, dk: float = 1.0, window: str = "kaiser", rmin: float = 1.0,
               rmax: float = 3.0, fitspace: str = "r", sigma2_model: str | None = None,
               temperatures: Sequence[float] | None = None, epsilon_k: float | None = None,
               refine_bkg: bool = False) -> ShellFit:
    """Fit FEFF paths to one χ(k) or to a series of them with shared variables.

    Parameters
    ----------
    data : Exafs or sequence of Exafs
        χ(k) from :func:`~structkit.xas.exafs.extract_exafs`. Several datasets are fitted together.
    paths : sequence of PathModel, or one sequence per dataset
        The same path models are used for every dataset unless one list per dataset is given.
        Plain file names are taken as ``PathModel(file)``.
    variables : mapping, optional
        ``name -> value`` (varied) or ``name -> {"value", "vary", "min", "max", "expr"}``. Names used
        in the expressions and absent here take :data:`DEFAULT_VARIABLES` (or raise ConfigError).
    kmin, kmax, kweight, dk, window, rmin, rmax, fitspace :
        The feffit transform (Å⁻¹, Å); ``kmax`` defaults to the shortest dataset's end.
    sigma2_model : {'einstein', 'debye'}, optional
        Every path's σ² becomes the model at the dataset's temperature with a shared ``theta``
        (add ``sig2_static`` to ``variables`` for a static-disorder offset).
    temperatures : sequence of float, optional
        Dataset temperatures (K); default each dataset's ``temperature_K`` condition.
    epsilon_k : float, optional
        Noise in χ(k); default larch's estimate from high R.
    refine_bkg : bool
        Refine a spline background below ``rmin`` together with the paths (larch's
        ``refine_bkg``): decorrelates low-R shells from what AUTOBK left behind.

    Returns
    -------
    ShellFit

    Raises
    ------
    DataError, ConfigError, FitError
        A k range beyond the data, an unknown window or model, an expression naming an
        undeclared variable, a path file that does not load, or a fit that does not run.
    """
    datasets = _as_list(data)
    if not datasets or not all(isinstance(d, Exafs) for d in datasets):
        raise DataError("fit_shells takes Exafs objects (from extract_exafs)")
    if paths and not isinstance(paths[0], (list, tuple)):
        per_ds = [list(paths)] * len(datasets)
    else:
        per_ds = [list(p) for p in paths]
    if len(per_ds) != len(datasets) or not all(per_ds):
        raise ConfigError(f"give one non-empty list of paths, or one per dataset ({len(datasets)} datasets, "
                          f"{len(per_ds)} path lists)")
    per_ds = [[p if isinstance(p, PathModel) else PathModel(p) for p in lst] for lst in per_ds]
    if window.lower() not in WINDOWS:
        raise DataError(f"unknown Fourier window {window!r}; use one of {', '.join(WINDOWS)}")
    if sigma2_model is not None and sigma2_model not in SIGMA2_MODELS:
        raise ConfigError(f"sigma2_model must be one of {sorted(SIGMA2_MODELS)} or None, got {sigma2_model!r}")
    if temperatures is not None and len(temperatures) != len(datasets):
        raise ConfigError(f"{len(temperatures)} temperatures for {len(datasets)} datasets")
    temps = [_temperature(d, None if temperatures is None else temperatures[i]) for i, d in enumerate(datasets)]
    kmax_all = min(d.kmax_data for d in datasets)
    for d in datasets:
        kmax_used = check_k_range(d.kmax_data, kmin, kmax if kmax is not None else kmax_all, d.source,
                                  "fit k range")
    if not 0 <= rmin < rmax:
        raise DataError(f"fit R range must have 0 <= rmin < rmax (got {rmin:g}, {rmax:g})")

    xafs = _larch.xafs()
    from larch.fitting import param, param_group

    # 1. path expressions, with {T}, the sigma2 model and N folded in
    built = []          # per dataset: list of (PathModel, exprs, N expression, FEFF degeneracy)
    used: set[str] = set()
    degens: dict[str, float] = {}       # each file read once, however many datasets use it
    for i, lst in enumerate(per_ds):
        row = []
        for pm in lst:
            exprs = pm.expressions()
            if sigma2_model is not None:
                s2 = SIGMA2_MODELS[sigma2_model]
                if variables and "sig2_static" in variables:
                    s2 += " + sig2_static"
                exprs["sigma2"] = s2
            exprs = {k: _subst_t(v, temps[i], pm.name) for k, v in exprs.items()}
            for v in exprs.values():
                used |= _names(v)
            n_expr = _subst_t(pm.n, temps[i], pm.name)
            used |= _names(n_expr)
            degen = _degeneracy(pm.filename, degens)
            if n_expr is not None:
                exprs["s02"] = f"({exprs['s02']})*({n_expr})/{degen:.10g}"
            row.append((pm, exprs, n_expr, degen))
        built.append(row)

    # 2. variables
    spec = dict(variables or {})
    missing = sorted(used - set(spec) - set(DEFAULT_VARIABLES))
    if missing:
        raise ConfigError(f"the path expressions use {', '.join(missing)}, which are not declared; give them in "
                          "variables= (name -> starting value)")
    pars = {}
    for name in sorted(used | set(spec)):
        v = spec.get(name, DEFAULT_VARIABLES.get(name))
        kw = dict(v) if isinstance(v, Mapping) else {"value": float(v)}
        kw.setdefault("vary", "expr" not in kw)
        pars[name] = param(**kw)
    # N of each path as a constrained parameter, so its error is propagated
    n_names = {}
    for i, row in enumerate(built):
        for pm, exprs, n_expr, degen in row:
            if n_expr is not None and not (isinstance(n_expr, str) and n_expr in pars):
                nm = f"n_{_safe(pm.name)}_{i}"
                pars[nm] = param(expr=str(n_expr)) if isinstance(n_expr, str) else param(float(n_expr), vary=False)
                n_names[(i, pm.name)] = nm
            elif n_expr is not None:
                n_names[(i, pm.name)] = n_expr
    group = param_group(**pars)

    # 3. datasets
    trans = xafs.feffit_transform(kmin=kmin, kmax=kmax_used, kweight=kweight, dk=dk, window=window.lower(),
                                  rmin=rmin, rmax=rmax, fitspace=fitspace)
    lds = []
    for i, (d, row) in enumerate(zip(datasets, built)):
        plist = [xafs.feffpath(pm.filename, label=f"{_safe(pm.name)}_{i}", **exprs) for pm, exprs, _, _ in row]
        g = _larch.group(k=np.array(d.k), chi=np.array(d.chi))
        lds.append(xafs.feffit_dataset(data=g, pathlist=plist, transform=trans, epsilon_k=epsilon_k,
                                              refine_bkg=refine_bkg))
    try:
        with _larch.quiet():
            out = xafs.feffit(group, lds if len(lds) > 1 else lds[0])
    except Exception as exc:        # larch raises bare exceptions from asteval/lmfit
        raise FitError(f"feffit failed: {type(exc).__name__}: {exc}",
                       path=datasets[0].source or None) from None
    return _collect(out, datasets, built, n_names, temps, dict(
        kmin=float(kmin), kmax=float(kmax_used), kweight=kweight, dk=float(dk), window=window.lower(),
        rmin=float(rmin), rmax=float(rmax), fitspace=fitspace, sigma2_model=sigma2_model,
        temperatures=temps, epsilon_k=epsilon_k, refine_bkg=bool(refine_bkg), larch=_larch.larch_version(),
        paths=[[{"file": pm.filename, "label": pm.name, **{k: v for k, v in ex.items()}, "n": n}
                for pm, ex, n, _ in row] for row in built],
        variables={k: (dict(v) if isinstance(v, Mapping) else v) for k, v in spec.items()}))


def standard_models(files: Sequence, *, fit_n: bool = False, s02: float | None = None, third: bool = False,
                    expansion: bool = False, sigma2_model: str | None = None
                    ) -> tuple[list[PathModel], dict[str, dict[str, Any]]]:
    """The usual fit of a list of FEFF path files: one ΔR and one σ² per path, shared S0² and ΔE0.

    Parameters
    ----------
    files : sequence of path-like (or FeffPath)
        The ``feffNNNN.dat`` files; each path gets ``delr_i``, ``sig2_i`` (i from 1), labelled by its file stem.
    fit_n : bool
        Refine each path's N (``n_i``, from its FEFF degeneracy) with S0² held at ``s02`` (default 1).
    s02 : float, optional
        Start of S0² (refined unless ``fit_n``); default :data:`DEFAULT_VARIABLES`.
    third : bool
        Refine a third cumulant ``c3_i`` per path.
    expansion : bool
        ΔR = ``alpha``·reff for every path (one ``alpha``) instead of one ΔR per path.
    sigma2_model : {'einstein', 'debye'}, optional
        σ² comes from the model in :func:`fit_shells`: no ``sig2_i`` variables.

    Returns
    -------
    models : list of PathModel
    variables : dict
        For :func:`fit_shells` ``variables=``.
    """
    models, v = [], {}
    cache: dict[str, float] = {}
    if fit_n:
        v["s02"] = {"value": 1.0 if s02 is None else float(s02), "vary": False}
    elif s02 is not None:
        v["s02"] = {"value": float(s02), "min": 0.0, "max": 3.0}
    for i, f in enumerate(files, start=1):
        fname = str(getattr(f, "filename", f))
        kw: dict[str, Any] = {"label": Path(fname).stem, "deltar": "alpha*reff" if expansion else f"delr_{i}",
                              "sigma2": f"sig2_{i}"}
        if fit_n:
            kw["n"] = f"n_{i}"
            v[f"n_{i}"] = {"value": _degeneracy(fname, cache), "min": 0.0}
        if third:
            kw["third"] = f"c3_{i}"
            v[f"c3_{i}"] = {"value": 0.0, "min": -0.01, "max": 0.01}
        if not expansion:
            v[f"delr_{i}"] = {"value": 0.0, "min": -0.5, "max": 0.5}
        if sigma2_model is None:
            v[f"sig2_{i}"] = {"value": 0.004, "min": 0.0, "max": 0.1}
        models.append(PathModel(f, **kw))
    if expansion:
        v["alpha"] = {"value": 0.0}
    return models, v


def _degeneracy(filename: str, cache: dict[str, float]) -> float:
    """FEFF degeneracy of a path file (read by larch once per file; ``cache`` keeps it)."""
    if filename in cache:
        return cache[filename]
    xafs = _larch.xafs()
    try:
        with _larch.quiet():
            probe = xafs.feffpath(filename)
    except (OSError, ValueError, IndexError, TypeError) as exc:
        raise DataError(f"FEFF path file could not be read ({exc}); give a feffNNNN.dat path",
                        path=filename) from None
    if not Path(filename).is_file() or getattr(probe, "reff", None) is None:
        raise DataError("FEFF path file not found or empty", path=filename)
    cache[filename] = float(probe.degen)
    return cache[filename]


def _err(p) -> float:
    s = getattr(p, "stderr", None)
    return float(s) if s is not None and np.isfinite(s) else float("nan")


def _collect(out, datasets, built, n_names, temps, settings) -> ShellFit:
    import pandas as pd
    xafs = _larch.xafs()
    params = out.params
    var_rows = []
    for name, p in params.items():
        if getattr(p, "is_pathparam", False) or re.match(r"^(s02|e0|deltar|sigma2|third|fourth|ei)_", name):
            continue
        var_rows.append({"name": name, "value": float(p.value), "stderr": _err(p), "vary": bool(p.vary),
                         "expr": p.expr or "", "init": float(getattr(p, "init_value", np.nan) or np.nan)})
    variables = pd.DataFrame(var_rows)
    rows, curves = [], []
    ds_list = out.datasets if isinstance(out.datasets, (list, tuple)) else [out.datasets]
    for i, (ds, row) in enumerate(zip(ds_list, built)):
        for (pm, exprs, n_expr, degen), path in zip(row, ds.paths.values()):
            vals = {}
            for pname in ("s02", "e0", "deltar", "sigma2", "third"):
                p = params.get(path.pathpar_name(pname))
                vals[pname] = (float(p.value), _err(p)) if p is not None else (0.0, float("nan"))
            if n_expr is None:
                n, n_err = degen, float("nan")
                s02 = vals["s02"]
            else:
                nn = params[n_names[(i, pm.name)]]
                n, n_err = float(nn.value), _err(nn)
                s02 = (vals["s02"][0] * degen / n if n else float("nan"), float("nan"))
                base = _names(pm.s02) if isinstance(pm.s02, str) else set()
                if isinstance(pm.s02, str) and pm.s02 in params:
                    s02 = (float(params[pm.s02].value), _err(params[pm.s02]))
                elif not base:
                    s02 = (float(pm.s02), float("nan"))
            reff = float(path.reff)
            rows.append({"dataset": i, "label": pm.name, "reff": reff, "r": reff + vals["deltar"][0],
                         "r_stderr": vals["deltar"][1], "n": n, "n_stderr": n_err, "sigma2": vals["sigma2"][0],
                         "sigma2_stderr": vals["sigma2"][1], "e0": vals["e0"][0], "e0_stderr": vals["e0"][1],
                         "s02": s02[0], "s02_stderr": s02[1], "third": vals["third"][0],
                         "third_stderr": vals["third"][1], "degen": degen, "nleg": int(path.nleg),
                         "temperature_K": temps[i] if temps[i] is not None else float("nan")})
        d, m, tr = ds.data, ds.model, ds.transform
        curves.append({"k": np.asarray(m.k), "chi_data": np.interp(m.k, d.k, d.chi), "chi_model": np.asarray(m.chi),
                       "r": np.asarray(m.r), "chir_data": np.asarray(d.chir), "chir_model": np.asarray(m.chir),
                       "kmin": tr.kmin, "kmax": tr.kmax, "rmin": tr.rmin, "rmax": tr.rmax,
                       "kweight": tr.kweight if np.isscalar(tr.kweight) else tr.kweight[0],
                       "label": datasets[i].sample or Path(datasets[i].source or f"dataset {i}").name})
    report = ""
    try:
        report = xafs.feffit_report(out)
    except Exception:           # the report is a convenience; never lose a fit over it
        pass
    n_idp = float(getattr(out, "n_independent", np.nan))
    return ShellFit(variables=variables, paths=pd.DataFrame(rows), rfactor=float(out.rfactor),
                    chi2=float(out.chi_square), chi2_reduced=float(out.chi2_reduced), n_idp=n_idp,
                    nvarys=int(out.nvarys), ndata=int(out.ndata), success=bool(out.success),
                    message=str(getattr(out, "message", "")), curves=curves,
                    datasets=[(d.sample, dict(d.conditions), d.source) for d in datasets], report=report,
                    settings=settings)
