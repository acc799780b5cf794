"""Impedance spectra to bulk resistance and σ_dc: equivalent-circuit fits.

:func:`fit_circuit` fits any circuit string (see :mod:`.circuits`) to a
spectrum with lmfit: resistances, capacitances and CPE ``Q`` are fitted as
``log10`` values (they span many decades), CPE exponents ``n`` linearly in
``[0.2, 1]``; residuals are modulus-weighted by default,
``(Z_model - Z) / |Z|``. Initial guesses come from the data: the
high-frequency intercept, the apex of each arc (``-Z''`` maximum gives
``R ≈ 2.3·height`` and ``R·Q·ω_apex^n = 1``) and the slope of the
low-frequency electrode spike; if the first fit is poor, alternative starts
(arcs re-assigned, the previous spectrum's values) are tried and the best kept.

:func:`fit_eis` turns that into a conductivity: the arcs are assigned from
their capacitance (Irvine, Sinclair & West, Adv. Mater. 2, 132 (1990):
~pF·cm⁻¹ bulk, ~nF grain boundary, µF electrode), ``R_bulk`` gives
``σ = L / (A·R)``; where the bulk arc's apex lies above the highest measured
frequency (high temperature), ``R_bulk`` comes instead from the
high-frequency intercept of the electrode spike (a ``R0-CPE`` fit of the
spike), and ``method`` says so.

Examples
--------
>>> import numpy as np
>>> from structkit.conductivity.circuits import parse_circuit
>>> f = np.logspace(6, -1, 60)
>>> truth = {"R1": 1e5, "CPE1_Q": 2e-11, "CPE1_n": 0.95, "CPE2_Q": 1e-6, "CPE2_n": 0.85}
>>> z = parse_circuit("p(R1,CPE1)-CPE2").impedance(f, truth)
>>> fit = fit_circuit(f, z, "p(R1,CPE1)-CPE2")
>>> fit.converged, round(fit.values["R1"] / 1e5, 4)
(True, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from ..core.frozen import FrozenMap

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.measurement import Measurement, monotonic_order
from ..core.units import pellet_area_cm2
from .circuits import Circuit, _Node, _z, parse_circuit

__all__ = [
    "DEFAULT_CIRCUIT",
    "CircuitFit",
    "Arc",
    "EISResult",
    "fit_circuit",
    "initial_guess",
    "fit_eis",
    "fit_eis_series",
    "cpe_capacitance",
    "classify_capacitance",
    "sigma_from_resistance",
]

#: Blocking-electrode pellet: bulk arc (R1 || CPE1) in series with the electrode spike (CPE2).
DEFAULT_CIRCUIT = "p(R1,CPE1)-CPE2"

_WEIGHTINGS = ("modulus", "unit", "proportional")
_LG_BOUNDS = (-16.0, 16.0)
_N_BOUNDS = (0.2, 1.0)
_GOOD_RMS = 0.02          # relative rms misfit below which the first start is accepted
_SPIKE_DECADES = 10.0     # apex this far above f_max: the arc has left the window, use the spike
_RESOLVED_REL = 0.05      # relative stderr of R_bulk below which the circuit fit resolves the arc


def _is_exponent(name: str) -> bool:
    return name.endswith("_n")


# ---------------------------------------------------------------------------
# helpers that are physics, not fitting

def cpe_capacitance(r_ohm, q, n):
    """Capacitance of an R||CPE element, ``C = R^((1-n)/n) · Q^(1/n)`` (Hsu & Mansfeld).

    Examples
    --------
    >>> cpe_capacitance(1e5, 1e-11, 1.0)
    1e-11
    >>> round(cpe_capacitance(1e5, 2e-11, 0.9) * 1e12, 3)
    4.654
    """
    r_ohm, q, n = (np.asarray(a, dtype=float) for a in (r_ohm, q, n))
    out = r_ohm ** ((1.0 - n) / n) * q ** (1.0 / n)
    return float(out) if out.ndim == 0 else out


#: (upper bound of capacitance × thickness/area in F/cm, assignment); Irvine et al. 1990.
_CAPACITANCE_CLASSES = ((1e-11, "bulk"), (1e-8, "grain_boundary"), (1e-7, "surface_layer"),
                        (np.inf, "electrode"))


def classify_capacitance(capacitance_F: float, *, thickness_cm: float | None = None,
                         area_cm2: float | None = None) -> str:
    """Assign a capacitance to bulk, grain boundary, surface layer or electrode.

    With a geometry the capacitance is normalised to a cell constant of 1 cm
    (``C·L/A``), as in Irvine, Sinclair & West (1990): below 1e-11 F/cm
    bulk, up to 1e-8 grain boundary, up to 1e-7 surface layer, above that
    sample-electrode interface.

    Examples
    --------
    >>> classify_capacitance(17e-12)
    'grain_boundary'
    >>> classify_capacitance(17e-12, thickness_cm=0.1, area_cm2=0.196)
    'bulk'
    """
    c = float(capacitance_F)
    if thickness_cm is not None and area_cm2 is not None:
        c = c * float(thickness_cm) / float(area_cm2)
    for upper, label in _CAPACITANCE_CLASSES:
        if c < upper:
            return label
    return "electrode"


def sigma_from_resistance(r_ohm: float, r_stderr_ohm: float, *, thickness_cm: float,
                          area_cm2: float) -> tuple[float, float]:
    """``σ = L / (A·R)`` in S/cm and its standard error.

    Examples
    --------
    >>> s, e = sigma_from_resistance(1000.0, 10.0, thickness_cm=0.1, area_cm2=0.5)
    >>> round(s, 9), round(e, 11)
    (0.0002, 2e-06)
    """
    if not (np.isfinite(r_ohm) and r_ohm > 0):
        raise DataError(f"resistance must be positive and finite to give a conductivity, got {r_ohm}")
    sigma = thickness_cm / (area_cm2 * r_ohm)
    err = sigma * r_stderr_ohm / r_ohm if np.isfinite(r_stderr_ohm) else float("nan")
    return float(sigma), float(err)


# ---------------------------------------------------------------------------
# circuit fits

@dataclass(frozen=True)
class CircuitFit:
    """An equivalent-circuit fit: values and standard errors in physical units."""

    circuit: str
    frequency_Hz: np.ndarray
    z_ohm: np.ndarray
    z_model_ohm: np.ndarray
    values: Mapping[str, float]
    stderr: Mapping[str, float]
    report: FitReport
    weighting: str
    start: str = "data"

    def __post_init__(self):
        object.__setattr__(self, "values", FrozenMap(dict(self.values)))
        object.__setattr__(self, "stderr", FrozenMap(dict(self.stderr)))

    @property
    def converged(self) -> bool:
        return self.report.converged

    @property
    def redchi(self) -> float:
        return self.report.redchi

    @property
    def rms_relative(self) -> float:
        """Root-mean-square of ``|Z_model - Z| / |Z|`` (a weighting-independent misfit)."""
        return float(np.sqrt(np.mean(np.abs(self.z_model_ohm - self.z_ohm) ** 2
                                     / np.abs(self.z_ohm) ** 2)))

    def propagate(self, func) -> tuple[float, float]:
        """Value and stderr of ``func(values)`` (physical units) through the fit covariance."""
        names = parse_circuit(self.circuit).param_names
        return self.report.propagate(lambda v: func(_physical(v, names)))

    def summary(self) -> str:
        lines = [f"circuit {self.circuit}: {'converged' if self.converged else 'NOT converged'}, "
                 f"rms |dZ|/|Z| = {self.rms_relative:.3g}, start = {self.start}"]
        for k, v in self.values.items():
            lines.append(f"  {k:>10s} = {v:.6g} +/- {self.stderr[k]:.3g}")
        return "\n".join(lines)


def _physical(v: Mapping[str, float], names: Sequence[str]) -> dict[str, float]:
    return {n: (v[n] if _is_exponent(n) else 10.0 ** v["lg_" + n]) for n in names}


def _prepare(frequency_Hz, z_ohm, context: str):
    f = np.asarray(frequency_Hz, dtype=float)
    z = np.asarray(z_ohm, dtype=complex)
    if f.ndim != 1 or f.shape != z.shape:
        raise DataError(f"{context}: frequency and impedance must be 1-D arrays of equal length")
    if not (np.all(np.isfinite(f)) and np.all(np.isfinite(z))):
        raise DataError(f"{context}: frequency or impedance has non-finite values; remove those rows")
    if np.any(f <= 0):
        raise DataError(f"{context}: frequencies must be positive")
    order = monotonic_order(f, source=context, name="frequency_Hz")
    f, z = f[order], z[order]
    if np.any(np.abs(z) == 0):
        raise DataError(f"{context}: impedance is exactly zero at some frequency; remove that row")
    return f, z


def _weights(z, weighting, context):
    if weighting == "modulus":
        return 1.0 / np.abs(z), 1.0 / np.abs(z)
    if weighting == "unit":
        return np.ones(z.size), np.ones(z.size)
    if weighting == "proportional":
        floor = 1e-6 * np.abs(z).max()
        return 1.0 / np.maximum(np.abs(z.real), floor), 1.0 / np.maximum(np.abs(z.imag), floor)
    raise ConfigError(f"{context}: weighting must be one of {', '.join(_WEIGHTINGS)}, got {weighting!r}")


def _check_initial(circuit: Circuit, initial: Mapping[str, float], context: str) -> None:
    unknown = [k for k in initial if k not in circuit.param_names]
    if unknown:
        raise ConfigError(f"{context}: {', '.join(unknown)} not a parameter of {circuit.text!r}; "
                          f"parameters are {', '.join(circuit.param_names)}")


def fit_circuit(frequency_Hz, z_ohm, circuit: str | Circuit, *, weighting: str = "modulus",
                initial: Mapping[str, float] | None = None, fixed: Mapping[str, float] | None = None,
                bounds: Mapping[str, tuple[float, float]] | None = None,
                previous: Mapping[str, float] | None = None, max_nfev: int | None = None,
                context: str = "impedance fit") -> CircuitFit:
    """Fit an equivalent circuit to an impedance spectrum.

    Parameters
    ----------
    frequency_Hz : array_like
        Frequencies (any order; a non-monotonic or repeated axis raises).
    z_ohm : array_like of complex
        Impedance ``Z' + iZ''`` with ``Z'' < 0`` on capacitive arcs.
    circuit : str or Circuit
        E.g. ``"R0-p(R1,CPE1)-CPE2"``.
    weighting : {"modulus", "unit", "proportional"}
        Residual weights: ``1/|Z|`` (default), none, or ``1/|Z'|`` and ``1/|Z''|``.
    initial : mapping, optional
        Starting values for some parameters (physical units); the rest are
        guessed from the data.
    fixed : mapping, optional
        Parameters held at a value.
    bounds : mapping, optional
        ``{name: (min, max)}`` in physical units.
    previous : mapping, optional
        Values of a neighbouring spectrum (carry-over); tried as a start too.
    max_nfev : int, optional
        Evaluation budget per start.
    context : str
        Names the spectrum in messages.

    Returns
    -------
    CircuitFit
    """
    if not isinstance(circuit, Circuit):
        circuit = parse_circuit(circuit)
    f, z = _prepare(frequency_Hz, z_ohm, context)
    names = circuit.param_names
    initial, fixed, bounds = dict(initial or {}), dict(fixed or {}), dict(bounds or {})
    for d in (initial, fixed, bounds):
        _check_initial(circuit, d, context)
    n_free = len(names) - len(fixed)
    if 2 * f.size <= n_free:
        raise FitError(f"{context}: {f.size} frequencies cannot determine {n_free} free parameters "
                       f"of {circuit.text!r}; use a simpler circuit or more data")
    wr, wi = _weights(z, weighting, context)
    omega = 2 * np.pi * f
    jomega = 1j * omega
    root = circuit.root

    def residual(p):
        v = p.valuesdict()
        phys = {n: (v[n] if _is_exponent(n) else 10.0 ** v["lg_" + n]) for n in names}
        with np.errstate(all="ignore"):
            d = _z(root, omega, jomega, phys) - z
        return np.concatenate([d.real * wr, d.imag * wi])

    def params_from(start: Mapping[str, float]):
        spec = {}
        for n in names:
            value = float(fixed.get(n, start[n]))
            lo, hi = bounds.get(n, (None, None))
            if _is_exponent(n):
                lo = _N_BOUNDS[0] if lo is None else lo
                hi = _N_BOUNDS[1] if hi is None else hi
                spec[n] = {"value": min(max(value, lo), hi), "min": lo, "max": hi,
                           "vary": n not in fixed}
            else:
                if value <= 0 or not np.isfinite(value):
                    raise ConfigError(f"{context}: {n} must be positive, got {value}")
                lg_lo = _LG_BOUNDS[0] if lo is None else math.log10(lo)
                lg_hi = _LG_BOUNDS[1] if hi is None else math.log10(hi)
                lg = min(max(math.log10(value), lg_lo), lg_hi)
                spec["lg_" + n] = {"value": lg, "min": lg_lo, "max": lg_hi, "vary": n not in fixed}
        return make_params(spec)

    starts = [(label, {**s, **initial}) for label, s in _candidate_starts(f, z, circuit)]
    if previous:
        prev = {k: float(previous[k]) for k in names if k in previous}
        if len(prev) == len(names):
            starts.insert(0, ("previous", {**prev, **initial}))
    best: tuple[FitReport, str] | None = None
    for i, (label, start) in enumerate(starts):
        rep = minimize(residual, params_from(start), max_nfev=max_nfev, context=context)
        if np.isfinite(rep.chisqr) and (best is None or rep.chisqr < best[0].chisqr
                                        or (not best[0].converged and rep.converged)):
            best = (rep, label)
        rms = math.sqrt(best[0].chisqr / max(f.size, 1)) if weighting == "modulus" else None
        if best[0].converged and rms is not None and rms < _GOOD_RMS and i >= (1 if previous else 0):
            break
    if best is None:
        raise FitError(f"{context}: every start of the {circuit.text!r} fit failed "
                       f"({rep.message}); check the data or give initial values")
    rep, label = best
    values = _physical(rep.values, names)
    stderr = {}
    for n in names:
        if _is_exponent(n):
            stderr[n] = rep.stderr[n]
        else:
            stderr[n] = values[n] * math.log(10) * rep.stderr["lg_" + n]
    with np.errstate(all="ignore"):
        zm = _z(root, omega, jomega, values)
    return CircuitFit(circuit=circuit.text, frequency_Hz=f, z_ohm=z, z_model_ohm=zm, values=values,
                      stderr=stderr, report=rep, weighting=weighting, start=label)


# ---------------------------------------------------------------------------
# initial guesses from the data

def _local_maxima(y):
    n = y.size
    return [i for i in range(1, n - 1) if y[i] > 0 and y[i] >= y[i - 1] and y[i] > y[i + 1]]


def _arc_nodes(circuit: Circuit):
    """Top-level parallel blocks holding an R and a C/CPE: (node, R label, capacitor element)."""
    arcs = []
    for node in circuit.top_level:
        if node.op != "P":
            continue
        r_label, cap = None, None
        for br in node.children:
            if br.op == "E" and br.element.kind in ("C", "CPE") and cap is None:
                cap = br.element
            else:
                for e in _elements_of(br):
                    if e.kind == "R" and r_label is None:
                        r_label = e.label
        if r_label is not None and cap is not None:
            arcs.append((node, r_label, cap))
    return arcs


def _elements_of(node: _Node):
    if node.op == "E":
        yield node.element
    else:
        for ch in node.children:
            yield from _elements_of(ch)


def _spike(f, z):
    """(Q, n) of a low-frequency blocking spike from the lowest frequencies, or None."""
    mz = -z.imag
    k = min(5, f.size // 3)
    if k < 2 or np.any(mz[:k] <= 0):
        return None
    slope = np.polyfit(np.log(2 * np.pi * f[:k]), np.log(mz[:k]), 1)[0]
    n = float(np.clip(-slope, 0.4, 1.0))
    if -slope < 0.25:
        return None
    q = math.sin(n * math.pi / 2) / (mz[0] * (2 * np.pi * f[0]) ** n)
    return q, n


def _drt_regions(f, z, n_arcs):
    """Arcs, series resistance and electrode from a distribution of relaxation times.

    The spectrum is expanded, by non-negative least squares with a light ridge
    term, on RC elements ``R_k / (1 + jωτ_k)`` over a log grid of τ, plus a
    series resistance and series CPEs ``(jω)^-n`` (n = 0.5 ... 1) for a
    blocking electrode. Merged arcs that show a single ``-Z''`` maximum are
    separate peaks in the distribution. Returns ``(arcs, r_inf, electrode)``
    with arcs as ``(R, τ)`` ordered from high to low frequency, or None.
    """
    from scipy.optimize import nnls

    omega = 2 * np.pi * f
    zmag = np.abs(z)
    zs = float(zmag.max())
    # arcs end at the spike foot (the -Z'' minimum below the main arc); longer τ belong to the electrode
    tau_max = 10.0 / omega[0]
    mz = -z.imag
    peaks = _local_maxima(mz)
    if peaks:
        i_pk = max(peaks, key=lambda i: mz[i])
        i_foot = int(np.argmin(mz[:i_pk])) if i_pk > 0 else 0
        if 0 < i_foot < i_pk:
            tau_max = 3.0 / omega[i_foot]
    tau = np.logspace(np.log10(0.1 / omega[-1]), np.log10(tau_max), 96)
    w = zs / zmag
    rc = 1.0 / (1.0 + 1j * omega[:, None] * tau[None, :])
    ns = np.linspace(0.4, 1.0, 13)
    el = (1j * omega[:, None] / omega[0]) ** (-ns[None, :])
    cols = np.concatenate([rc, np.ones((f.size, 1)), el], axis=1) * w[:, None]
    A = np.concatenate([cols.real, cols.imag], axis=0)
    b = np.concatenate([(z * w / zs).real, (z * w / zs).imag])
    lam = 1e-2
    reg = np.zeros((tau.size, A.shape[1]))
    reg[:, :tau.size] = lam * (np.eye(tau.size) - np.eye(tau.size, k=1))
    try:
        x, _ = nnls(np.concatenate([A, reg]), np.concatenate([b, np.zeros(tau.size)]), maxiter=50 * A.shape[1])
    except RuntimeError:
        return None
    g = x[:tau.size] * zs
    r_inf = float(x[tau.size] * zs)
    ce = x[tau.size + 1:]
    electrode = None
    if ce.sum() > 0:
        n_el = float(np.sum(ns * ce) / ce.sum())
        electrode = (1.0 / (ce.sum() * zs * omega[0] ** n_el), n_el)
    if g.sum() <= 0:
        return [], r_inf, electrode
    # regions between local minima of the distribution, each one arc
    peaks = [i for i in range(tau.size) if g[i] > 0.002 * g.max()
             and (i == 0 or g[i] >= g[i - 1]) and (i == tau.size - 1 or g[i] > g[i + 1])]
    bounds = [0]
    for a, c in zip(peaks[:-1], peaks[1:]):
        bounds.append(a + int(np.argmin(g[a:c + 1])))
    bounds.append(tau.size)
    regions = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1)]
    arcs = []
    for lo, hi in regions:
        r = float(g[lo:hi].sum())
        if r > 0:
            arcs.append([r, float(np.exp(np.sum(g[lo:hi] * np.log(tau[lo:hi])) / r)), lo, hi])
    while len(arcs) > n_arcs:          # merge the smallest arc into its neighbour
        i = min(range(len(arcs)), key=lambda k: arcs[k][0])
        j = i - 1 if i == len(arcs) - 1 or (i > 0 and arcs[i - 1][0] < arcs[i + 1][0]) else i + 1
        r = arcs[i][0] + arcs[j][0]
        t = np.exp((arcs[i][0] * np.log(arcs[i][1]) + arcs[j][0] * np.log(arcs[j][1])) / r)
        lo, hi = min(arcs[i][2], arcs[j][2]), max(arcs[i][3], arcs[j][3])
        arcs[min(i, j)] = [r, float(t), lo, hi]
        del arcs[max(i, j)]
    while 0 < len(arcs) < n_arcs:      # split the largest arc at its median τ
        i = max(range(len(arcs)), key=lambda k: arcs[k][0])
        r, t, lo, hi = arcs[i]
        arcs[i:i + 1] = [[r / 2, t / 3.0, lo, hi], [r / 2, t * 3.0, lo, hi]]
    arcs.sort(key=lambda a: a[1])     # short τ = high frequency first
    return [(a[0], a[1]) for a in arcs], r_inf, electrode


def _candidate_starts(f, z, circuit: Circuit):
    """Starting values: from the relaxation-time distribution, then from -Z'' peaks and alternatives."""
    omega = 2 * np.pi * f
    mz = -z.imag
    zmag = np.abs(z)
    zmed = float(np.median(zmag))
    arcs = _arc_nodes(circuit)
    peaks = _local_maxima(mz)
    r_inf = max(float(z.real[-1]) * 0.9, 1e-9 * zmed)
    spike = _spike(f, z)
    n_guess = 0.9
    arc_shape = 2.0 / math.tan(n_guess * math.pi / 4)

    # each assignment: (label, [(R, f_apex) per arc], r_inf, electrode (Q, n) or None)
    assignments = []
    drt = _drt_regions(f, z, len(arcs))
    if drt is not None and (drt[0] or not arcs):
        d_arcs, d_rinf, d_el = drt
        assignments.append(("drt", [(r, 1.0 / (2 * np.pi * t)) for r, t in d_arcs],
                            max(d_rinf, 1e-9 * zmed), d_el or spike))
    from_peak = [(arc_shape * mz[i], f[i]) for i in
                 sorted(sorted(peaks, key=lambda i: -mz[i])[:len(arcs)], key=lambda i: -f[i])]
    if len(from_peak) >= len(arcs):
        assignments.append(("peaks", from_peak, r_inf, spike))
    else:
        missing = len(arcs) - len(from_peak)
        r_span = max(float(z.real.max() - z.real.min()), zmed * 0.1)
        above = [(float(z.real[-1]) / (missing + 1), f[-1] * 10.0 ** (k + 1)) for k in range(missing)][::-1]
        f_low = from_peak[-1][1] if from_peak else f[0] * 100
        below = [(r_span / (missing + 1), f_low / 100.0 ** (k + 1)) for k in range(missing)]
        assignments.append(("peaks-above", above + from_peak, r_inf, spike))
        assignments.append(("peaks-below", from_peak + below, r_inf, spike))

    out = []
    for label, arc_rf, rinf, electrode in assignments:
        start: dict[str, float] = {}
        for (node, r_label, cap), (r, f_apex) in zip(arcs, arc_rf):
            r = max(float(r), 1e-9 * zmed)
            start[r_label] = r
            if cap.kind == "CPE":
                start[cap.param_names[0]] = 1.0 / (r * (2 * np.pi * f_apex) ** n_guess)
                start[cap.param_names[1]] = n_guess
            else:
                start[cap.param_names[0]] = 1.0 / (r * 2 * np.pi * f_apex)
            for e in _elements_of(node):
                for pn in e.param_names:
                    start.setdefault(pn, _generic(e, pn, r, f_apex=f_apex))
        first_r = True
        for node in circuit.top_level:
            if node.op != "E":
                for e in _elements_of(node):
                    for pn in e.param_names:
                        start.setdefault(pn, _generic(e, pn, zmed, f_apex=float(np.sqrt(f[0] * f[-1]))))
                continue
            e = node.element
            if e.kind == "R":
                start.setdefault(e.label, rinf if first_r else 1e-3 * zmed)
                first_r = False
            elif e.kind in ("CPE", "C"):
                q, n = electrode if electrode is not None else (1.0 / (omega[0] * 10 * zmag.max()), 0.8)
                if e.kind == "CPE":
                    start.setdefault(e.param_names[0], q)
                    start.setdefault(e.param_names[1], min(max(n, _N_BOUNDS[0]), _N_BOUNDS[1]))
                else:
                    start.setdefault(e.label, q)
            elif e.kind == "L":
                zi = float(z.imag[-1])
                start.setdefault(e.label, zi / omega[-1] if zi > 0 else 1e-3 * zmed / omega[-1])
            else:
                for pn in e.param_names:
                    start.setdefault(pn, _generic(e, pn, float(mz[0]) if mz[0] > 0 else zmed,
                                                  f_apex=float(f[0])))
        out.append((label, start))
    return out


def _generic(e, pn, r, f_apex):
    """Order-of-magnitude start for an element not placed by the arc analysis."""
    w = 2 * np.pi * f_apex
    suffix = pn[len(e.label):]
    if e.kind == "R":
        return r
    if e.kind == "C":
        return 1.0 / (w * r)
    if e.kind == "L":
        return 1e-3 * r / w
    if e.kind == "CPE":
        return 0.8 if suffix == "_n" else 1.0 / (r * w ** 0.8)
    if e.kind == "W":
        return r * math.sqrt(w)
    return r if suffix == "_R" else 1.0 / w      # Wo, Ws


def initial_guess(frequency_Hz, z_ohm, circuit: str | Circuit) -> dict[str, float]:
    """The data-driven starting values :func:`fit_circuit` uses first.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.logspace(6, 0, 40)
    >>> z = parse_circuit("R0-p(R1,C1)").impedance(f, {"R0": 50, "R1": 1e4, "C1": 1e-9})
    >>> g = initial_guess(f, z, "R0-p(R1,C1)")
    >>> bool(0.5 < g["R1"] / 1e4 < 2 and 0.3 < g["C1"] / 1e-9 < 3)
    True
    """
    if not isinstance(circuit, Circuit):
        circuit = parse_circuit(circuit)
    f, z = _prepare(frequency_Hz, z_ohm, "initial guess")
    return dict(_candidate_starts(f, z, circuit)[0][1])


# ---------------------------------------------------------------------------
# conductivity from a spectrum

@dataclass(frozen=True)
class Arc:
    """One R||C or R||CPE block of a fitted circuit."""

    resistor: str
    capacitor: str
    r_ohm: float
    r_stderr_ohm: float
    capacitance_F: float
    capacitance_stderr_F: float
    n: float
    f_apex_Hz: float
    assignment: str
    in_window: bool


@dataclass(frozen=True)
class EISResult:
    """σ_dc of one impedance spectrum, with the circuit fit behind it.

    ``method`` is ``"circuit_fit"`` (R_bulk from the bulk arc) or
    ``"spike_intercept"`` (the bulk arc lies above the frequency window;
    R_bulk is the high-frequency intercept of the electrode spike).
    ``sigma_S_per_cm`` is None when no pellet geometry was given.
    """

    fit: CircuitFit
    arcs: tuple[Arc, ...]
    bulk: str
    r_bulk_ohm: float
    r_bulk_stderr_ohm: float
    r_total_ohm: float
    r_total_stderr_ohm: float
    method: str
    thickness_cm: float | None
    area_cm2: float | None
    sigma_S_per_cm: float | None
    sigma_stderr_S_per_cm: float | None
    sigma_total_S_per_cm: float | None
    sigma_total_stderr_S_per_cm: float | None
    converged: bool
    message: str
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""
    spike_fit: CircuitFit | None = None

    def __post_init__(self):
        object.__setattr__(self, "conditions", FrozenMap(dict(self.conditions)))

    @property
    def temperature_K(self) -> float | None:
        t = self.conditions.get("temperature_K")
        return None if t is None else float(t)

    @property
    def capacitance_F(self) -> float:
        """Capacitance of the bulk arc (NaN if the bulk came from the spike intercept)."""
        if self.method == "spike_intercept":
            return float("nan")
        for a in self.arcs:
            if a.resistor == self.bulk:
                return a.capacitance_F
        return float("nan")

    def to_row(self) -> dict:
        """One row of the σ table (what ``structkit conductivity eis`` writes)."""
        row = {"file": self.source, "sample": self.sample, **dict(self.conditions),
               "r_bulk_ohm": self.r_bulk_ohm, "r_bulk_stderr_ohm": self.r_bulk_stderr_ohm,
               "sigma_S_per_cm": self.sigma_S_per_cm, "sigma_stderr_S_per_cm": self.sigma_stderr_S_per_cm,
               "capacitance_F": self.capacitance_F, "r_total_ohm": self.r_total_ohm,
               "r_total_stderr_ohm": self.r_total_stderr_ohm,
               "sigma_total_S_per_cm": self.sigma_total_S_per_cm,
               "sigma_total_stderr_S_per_cm": self.sigma_total_stderr_S_per_cm,
               "method": self.method, "circuit": self.fit.circuit, "converged": self.converged,
               "redchi": self.fit.redchi, "rms_relative": self.fit.rms_relative}
        for a in self.arcs:
            row[f"{a.resistor}_ohm"] = a.r_ohm
            row[f"{a.resistor}_assignment"] = a.assignment
        for k, v in self.fit.values.items():
            if f"{k}_ohm" not in row:
                row[f"fit_{k}"] = v
                row[f"fit_{k}_stderr"] = self.fit.stderr[k]
        return row

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([self.to_row()])

    def descriptors(self) -> list[DescriptorRow]:
        base = dict(sample=self.sample, technique="conductivity", conditions=self.conditions,
                    source=self.source, method=f"{self.method}:{self.fit.circuit}")
        rows = [DescriptorRow(name="r_bulk_ohm", value=self.r_bulk_ohm, stderr=self.r_bulk_stderr_ohm,
                              unit="ohm", **base)]
        if self.sigma_S_per_cm is not None:
            rows.append(DescriptorRow(name="sigma_bulk_S_per_cm", value=self.sigma_S_per_cm,
                                      stderr=self.sigma_stderr_S_per_cm, unit="S/cm", **base))
            rows.append(DescriptorRow(name="sigma_total_S_per_cm", value=self.sigma_total_S_per_cm,
                                      stderr=self.sigma_total_stderr_S_per_cm, unit="S/cm", **base))
        for a in self.arcs:
            if self.method == "spike_intercept" and a.resistor == self.bulk:
                continue            # the arc is outside the window: its capacitance is not measured
            rows.append(DescriptorRow(name=f"capacitance_{a.resistor}_F", value=a.capacitance_F,
                                      stderr=a.capacitance_stderr_F, unit="F", **base))
        return rows

    def plot(self, kind: str = "nyquist", ax=None):
        """``kind`` is ``"nyquist"``, ``"bode"`` or ``"conductivity"`` (σ'(f))."""
        from .plot import plot_eis
        return plot_eis(self, kind=kind, ax=ax)

    def summary(self) -> str:
        s = (f"{self.source or 'spectrum'} [{self.sample}"
             + (f", {self.temperature_K:.2f} K" if self.temperature_K else "") + "]: "
             f"R_bulk = {self.r_bulk_ohm:.5g} +/- {self.r_bulk_stderr_ohm:.2g} ohm ({self.method})")
        if self.sigma_S_per_cm is not None:
            s += f", sigma = {self.sigma_S_per_cm:.4e} +/- {self.sigma_stderr_S_per_cm:.2e} S/cm"
        if not self.converged:
            s += f"  NOT CONVERGED: {self.message}"
        return s

    __str__ = summary

    def __repr__(self) -> str:
        return f"EISResult({self.summary()})"


def _arcs(fit: CircuitFit, circuit: Circuit, thickness_cm, area_cm2, f):
    out = []
    for node, r_label, cap in _arc_nodes(circuit):
        r, r_err = fit.values[r_label], fit.stderr[r_label]
        if cap.kind == "CPE":
            qn, nn = cap.param_names
            c, c_err = fit.propagate(lambda v, r_label=r_label, qn=qn, nn=nn:
                                     cpe_capacitance(v[r_label], v[qn], v[nn]))
            n = fit.values[nn]
            tau = (r * fit.values[qn]) ** (1.0 / n)
        else:
            c, c_err = fit.values[cap.label], fit.stderr[cap.label]
            n = 1.0
            tau = r * c
        f_apex = 1.0 / (2 * np.pi * tau)
        out.append(Arc(resistor=r_label, capacitor=cap.label, r_ohm=r, r_stderr_ohm=r_err,
                       capacitance_F=float(c), capacitance_stderr_F=float(c_err), n=float(n),
                       f_apex_Hz=float(f_apex), assignment=classify_capacitance(
                           c, thickness_cm=thickness_cm, area_cm2=area_cm2),
                       in_window=bool(f[0] <= f_apex <= f[-1])))
    return tuple(out)


def _spike_region(f, z):
    """Indices of the high-frequency part of a blocking spike (for the intercept)."""
    n = f.size
    lo = np.log10(f)
    keep = lo >= lo[-1] - max((lo[-1] - lo[0]) / 3.0, 1.0)
    idx = np.flatnonzero(keep)
    return idx if idx.size >= 4 else np.arange(max(n - 6, 0), n)


def fit_eis(measurement: Measurement, *, circuit: str = DEFAULT_CIRCUIT, thickness_cm: float | None = None,
            diameter_cm: float | None = None, area_cm2: float | None = None, weighting: str = "modulus",
            bulk: str | None = None, f_min_Hz: float | None = None, f_max_Hz: float | None = None,
            initial: Mapping[str, float] | None = None, fixed: Mapping[str, float] | None = None,
            bounds: Mapping[str, tuple[float, float]] | None = None, previous: "EISResult | None" = None,
            spike_fallback: bool = True) -> EISResult:
    """Bulk resistance and σ_dc of one impedance spectrum.

    Parameters
    ----------
    measurement : Measurement
        Complex impedance against ``frequency`` (Hz), as :func:`structkit.io.read` returns.
    circuit : str
        Equivalent circuit; default ``"p(R1,CPE1)-CPE2"`` (bulk arc + blocking electrode).
    thickness_cm, diameter_cm, area_cm2 : float, optional
        Pellet geometry. Without it only resistances are reported.
    weighting : str
        See :func:`fit_circuit`.
    bulk : str, optional
        Label of the bulk resistor (e.g. ``"R1"``); by default the highest-frequency
        arc whose capacitance is in the bulk range.
    f_min_Hz, f_max_Hz : float, optional
        Frequency window to fit.
    initial, fixed, bounds : mapping, optional
        Passed to :func:`fit_circuit`.
    previous : EISResult, optional
        The neighbouring spectrum of a series; its values are tried as a start.
    spike_fallback : bool
        Use the spike intercept when the bulk arc's apex is above the window.

    Returns
    -------
    EISResult
    """
    src = measurement.source or "spectrum"
    if not np.iscomplexobj(measurement.y):
        raise DataError("impedance must be complex (Z' + iZ''); read the file with structkit.io.read "
                        "or build the Measurement with y = Z_real + 1j * Z_imag", path=src)
    if thickness_cm is not None or diameter_cm is not None or area_cm2 is not None:
        if thickness_cm is None or not (np.isfinite(thickness_cm) and thickness_cm > 0):
            raise ConfigError("pellet thickness missing or not positive: give thickness_cm "
                              "together with diameter_cm or area_cm2", path=src)
        area = pellet_area_cm2(diameter_cm=diameter_cm, area_cm2=area_cm2)
    else:
        area = None
    m = measurement
    if f_min_Hz is not None or f_max_Hz is not None:
        m = m.crop(f_min_Hz, f_max_Hz)
    circ = parse_circuit(circuit)
    f, z = m.x, m.y
    prev_values = previous.fit.values if (previous is not None and previous.fit.circuit == circ.text) else None
    fit = fit_circuit(f, z, circ, weighting=weighting, initial=initial, fixed=fixed, bounds=bounds,
                      previous=prev_values, context=src)
    arcs = _arcs(fit, circ, thickness_cm, area, f)
    messages = [] if fit.converged else [fit.report.message]
    # which resistor is the bulk?
    if bulk is not None:
        if bulk not in fit.values or not bulk.startswith("R"):
            raise ConfigError(f"bulk={bulk!r} is not a resistor of {circ.text!r}", path=src)
        bulk_label = bulk
    elif arcs:
        bulk_arcs = [a for a in arcs if a.assignment == "bulk"]
        pool = bulk_arcs or list(arcs)
        if not bulk_arcs:
            messages.append("no arc has a bulk-like capacitance; the highest-frequency arc is taken as bulk")
        bulk_label = max(pool, key=lambda a: a.f_apex_Hz).resistor
    else:
        rs = [e.label for e in circ.elements if e.kind == "R"]
        if not rs:
            raise ConfigError(f"circuit {circ.text!r} has no resistor to give a bulk resistance", path=src)
        bulk_label = rs[0]
    r_b, r_b_err = fit.values[bulk_label], fit.stderr[bulk_label]
    method = "circuit_fit"
    spike_fit = None
    bulk_arc = next((a for a in arcs if a.resistor == bulk_label), None)
    above = bulk_arc is not None and bulk_arc.f_apex_Hz > f[-1]
    resolved = np.isfinite(r_b_err) and r_b_err < _RESOLVED_REL * r_b
    # the intercept is that of the electrode spike only if no other arc sits between
    other_arc = any(a.resistor != bulk_label and a.assignment != "electrode" and a.in_window
                    for a in arcs)
    if above and other_arc:
        messages.append(f"bulk arc apex at {bulk_arc.f_apex_Hz:.3g} Hz is above the highest measured "
                        f"frequency {f[-1]:.3g} Hz; R_bulk from the circuit fit (another arc follows "
                        "it, so there is no spike intercept to use)")
    elif above and resolved and bulk_arc.f_apex_Hz <= _SPIKE_DECADES * f[-1]:
        messages.append(f"bulk arc apex at {bulk_arc.f_apex_Hz:.3g} Hz is above the highest measured "
                        f"frequency {f[-1]:.3g} Hz; R_bulk from the arc's visible low-frequency side")
    elif spike_fallback and above:
        idx = _spike_region(f, z)
        spike_fit = fit_circuit(f[idx], z[idx], "R0-CPE0", weighting=weighting, context=f"{src} (spike)")
        r_b, r_b_err = spike_fit.values["R0"], spike_fit.stderr["R0"]
        method = "spike_intercept"
        messages.append(f"bulk arc apex at {bulk_arc.f_apex_Hz:.3g} Hz is above the highest measured "
                        f"frequency {f[-1]:.3g} Hz; R_bulk taken from the high-frequency intercept "
                        "of the electrode spike")
        if not spike_fit.converged:
            messages.append(spike_fit.report.message)
    elif bulk_arc is not None and bulk_arc.f_apex_Hz < f[0]:
        messages.append(f"bulk arc apex at {bulk_arc.f_apex_Hz:.3g} Hz is below the lowest measured "
                        "frequency; R_bulk is an extrapolation")
    # total resistance: every resistor on the main path (top-level R and arc R)
    total_labels = [n.element.label for n in circ.top_level if n.op == "E" and n.element.kind == "R"]
    total_labels += [a.resistor for a in arcs if a.assignment != "electrode"]
    if method == "spike_intercept":
        total_labels = [lab for lab in total_labels if lab != bulk_label]
        r_t = r_b + sum(fit.values[lab] for lab in total_labels)
        r_t_err = math.sqrt(r_b_err ** 2 + sum(fit.stderr[lab] ** 2 for lab in total_labels))
    else:
        r_t, r_t_err = fit.propagate(lambda v: sum(v[lab] for lab in total_labels))
    sig = sig_err = sig_t = sig_t_err = None
    if area is not None:
        sig, sig_err = sigma_from_resistance(r_b, r_b_err, thickness_cm=thickness_cm, area_cm2=area)
        sig_t, sig_t_err = sigma_from_resistance(r_t, r_t_err, thickness_cm=thickness_cm, area_cm2=area)
    converged = fit.converged and (spike_fit is None or spike_fit.converged) and np.isfinite(r_b_err)
    if fit.converged and not np.isfinite(r_b_err):
        messages.append(f"standard error of {bulk_label} could not be estimated")
    return EISResult(fit=fit, arcs=arcs, bulk=bulk_label, r_bulk_ohm=float(r_b),
                     r_bulk_stderr_ohm=float(r_b_err), r_total_ohm=float(r_t),
                     r_total_stderr_ohm=float(r_t_err), method=method, thickness_cm=thickness_cm,
                     area_cm2=area, sigma_S_per_cm=sig, sigma_stderr_S_per_cm=sig_err,
                     sigma_total_S_per_cm=sig_t, sigma_total_stderr_S_per_cm=sig_t_err,
                     converged=bool(converged), message="; ".join(messages) or "ok",
                     sample=measurement.sample, conditions=measurement.conditions,
                     source=measurement.source, spike_fit=spike_fit)


def fit_eis_series(measurements: Iterable[Measurement], **kwargs) -> list[EISResult]:
    """Fit a temperature series in order of temperature, carrying each fit over to the next.

    Every spectrum is also started from its own data-driven guess; the better
    fit is kept. Results are returned in the order of the input.
    """
    ms = list(measurements)
    order = sorted(range(len(ms)), key=lambda i: (ms[i].temperature_K is None,
                                                   ms[i].temperature_K or 0.0, ms[i].source))
    out: dict[int, EISResult] = {}
    prev = None
    for i in order:
        res = fit_eis(ms[i], previous=prev, **kwargs)
        out[i] = res
        if res.converged:
            prev = res
    return [out[i] for i in range(len(ms))]
