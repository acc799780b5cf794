"""r-space peak fits of G(r): positions, widths, areas, coordination numbers; running coordination number.

A coordination shell of N atoms at distance r_k whose relative displacements are isotropic and
Gaussian (σ_k along the bond; the Debye–Waller damping exp(−σ²Q²/2) in Q space) contributes
N·(r/r_k)·[φ(r − r_k) − φ(r + r_k)] to the radial distribution function R(r) = 4πr²ρ0 g(r),
hence a *symmetric* Gaussian to

    G(r) = R(r)/r − 4πρ0 r  ⊃  N·φ(r − r_k; σ_k)/r_k,

so :func:`fit_rpeaks` fits Σ_k N_k φ_k(r)/r_k + a + b·r to G(r) in a window: r_k is the distance
between the mean atomic positions (the crystallographic distance; the maximum of the peak in
R(r) lies σ²/r_k higher) and N_k is the area of the peak in R(r), i.e. the *weighted*
coordination number when G(r) is on an absolute scale. The linear term carries the tails of the
neighbouring shells and the −4πρ0 r line. With ``qmax`` each peak is the Gaussian convolved with
the termination function sin(Qmax r)/(πr) of the transform (closed form through the Faddeeva
function), which removes the ripples' bias on narrow peaks.

Weighted and partial coordination numbers: a measurement weights the pairs α–β by
c_α c_β f_α f_β/⟨f⟩² (X-rays, f at Q = 0 ≈ Z; neutrons b_α b_β/⟨b⟩²), so a peak made only of α–β
pairs has area A = (2 − δ_αβ) c_α f_α f_β N_αβ/⟨f⟩², with N_αβ the number of β around an α
(:func:`pair_weight` returns the factor, :meth:`RPeakFit.coordination` applies it).

Examples
--------
>>> round(pair_weight(("Na", "Cl"), "NaCl"), 3)      # 2 · ½ · 11·17/14² (f at Q = 0 ≈ Z)
0.954
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.summary import SummaryRepr
from .transform import CONVENTIONS, convert

__all__ = ["fit_rpeaks", "RPeakFit", "terminated_gaussian", "running_coordination", "number_density",
           "pair_weight", "as_pdffit_g"]

_SQRT2PI = math.sqrt(2.0 * math.pi)


# ==================================================================================== physics helpers
def terminated_gaussian(x, sigma: float, qmax: float | None = None) -> np.ndarray:
    """Unit-area Gaussian φ(x; σ), convolved with sin(Qmax x)/(πx) when ``qmax`` is given.

    The convolution is the Gaussian's Fourier transform cut at Qmax,
    (1/π)∫₀^Qmax exp(−σ²Q²/2) cos(Qx) dQ = Re[φ(x) − exp(−u² + 2iuv) w(v + iu)/(σ√2π)],
    u = σQmax/√2, v = x/(σ√2), w the Faddeeva function (stable for every x).

    Examples
    --------
    >>> x = np.linspace(-3, 3, 6001)
    >>> round(float(np.trapezoid(terminated_gaussian(x, 0.1), x)), 6)
    1.0
    >>> bool(terminated_gaussian(np.array([0.0]), 0.1, 20.0)[0] < terminated_gaussian(np.array([0.0]), 0.1)[0])
    True
    """
    from scipy.special import wofz
    x = np.asarray(x, dtype=float)
    sigma = float(sigma)
    phi = np.exp(-0.5 * (x / sigma) ** 2) / (sigma * _SQRT2PI)
    if qmax is None or not np.isfinite(qmax) or qmax <= 0:
        return phi
    u = sigma * float(qmax) / math.sqrt(2.0)
    v = x / (sigma * math.sqrt(2.0))
    tail = np.exp(-u * u + 2j * u * v) * wofz(v + 1j * u) / (sigma * _SQRT2PI)
    return phi - tail.real


def number_density(composition, *, density_g_cm3: float | None = None, volume_A3: float | None = None,
                   formula_units: float = 1.0) -> float:
    """Atoms per Å³ from a formula and either the mass density or the cell volume holding ``formula_units``.

    Examples
    --------
    >>> round(number_density("NaCl", volume_A3=5.64 ** 3, formula_units=4), 5)   # 8 / a³
    0.04459
    >>> round(number_density("NaCl", density_g_cm3=2.165), 4)
    0.0446
    """
    import xraydb

    from .reduce import parse_composition
    parse_composition(composition)                          # validates the formula and its elements
    counts = ({str(k): float(v) for k, v in composition.items()} if isinstance(composition, Mapping)
              else {str(k): float(v) for k, v in xraydb.chemparse(composition.replace(" ", "")).items()})
    atoms = sum(counts.values())
    if (density_g_cm3 is None) == (volume_A3 is None):
        raise ConfigError("number_density: give exactly one of density_g_cm3 or volume_A3")
    if volume_A3 is not None:
        v, z = float(volume_A3), float(formula_units)
        if not (v > 0 and z > 0 and math.isfinite(v) and math.isfinite(z)):
            raise ConfigError(f"number_density: volume_A3 and formula_units must be positive, got {volume_A3!r}, "
                              f"{formula_units!r}")
        return atoms * z / v
    rho = float(density_g_cm3)
    if not (rho > 0 and math.isfinite(rho)):
        raise ConfigError(f"number_density: density_g_cm3 must be positive, got {density_g_cm3!r}")
    mass = sum(n * xraydb.atomic_mass(el) for el, n in counts.items())          # g/mol per formula
    return rho * 6.02214076e23 / mass * atoms * 1e-24


def _scattering_power(element: str, mode: str, lengths: Mapping[str, float] | None, q: np.ndarray) -> np.ndarray:
    if lengths and element in lengths:
        return np.full(q.shape, float(lengths[element]))
    if mode == "xray":
        import xraydb
        return np.asarray(xraydb.f0(element, q / (4.0 * np.pi)), dtype=float)
    from ._scattering import scattering_factor
    return np.full(q.shape, scattering_factor(element, "neutron", option="scattering_lengths"))


def pair_weight(pair: Sequence[str] | str, composition, *, mode: str = "xray",
                scattering_lengths: Mapping[str, float] | None = None, qmax: float | None = None,
                sigma: float | None = None) -> float:
    """Area of an R(r) peak per α–β neighbour: (2 − δ_αβ) c_α s_α s_β / ⟨s⟩².

    ``pair`` is ``("Ta", "Cl")`` or ``"Ta-Cl"`` (β around α); s is the neutron coherent length
    (``mode='neutron'``), ``scattering_lengths[el]``, or the X-ray form factor (xraydb). X-ray
    weights change with Q where the elements' Z differ (Ta-Cl in NaTaCl6: 0.574 at Q = 0, 0.62 at
    10 Å⁻¹), so with ``qmax`` the weight is averaged over 0-Qmax with the peak's own Debye–Waller
    profile exp(−σ²Q²/2) (``sigma`` in Å): the Q range that builds the peak. Without, Q = 0 (≈ Z).
    """
    from .reduce import parse_composition
    if isinstance(pair, str):
        pair = tuple(p.strip() for p in pair.split("-"))
    if len(pair) != 2:
        raise ConfigError(f"pair must name two elements, e.g. 'Ta-Cl', got {pair!r}")
    mode = "neutron" if str(mode).lower().startswith("n") else "xray"
    c = parse_composition(composition, radiation=mode)
    a, b = pair
    for el in (a, b):
        if el not in c:
            raise ConfigError(f"pair {a}-{b}: {el} is not in the composition {composition!r}")
    q = np.linspace(0.0, float(qmax), 201) if qmax else np.zeros(1)
    s = {el: _scattering_power(el, mode, scattering_lengths, q) for el in c}
    mean = sum(c[el] * s[el] for el in c)
    if np.any(np.abs(mean) < 1e-9):
        raise ConfigError(f"composition {composition!r} has a mean scattering power of ~0 ({mode})")
    w = (1.0 if a == b else 2.0) * c[a] * s[a] * s[b] / mean ** 2
    if q.size == 1:
        return float(w[0])
    dw = np.exp(-0.5 * (float(sigma) * q) ** 2) if sigma else np.ones_like(q)
    return float(np.sum(w * dw) / np.sum(dw))


def as_pdffit_g(r, y, convention: str = "G", rho0: float | None = None) -> np.ndarray:
    """The function in the PDFfit G(r) convention (Å⁻²); other conventions need ``rho0``."""
    conv = "G" if convention in ("G", "G_pdffit") else convention
    if conv not in CONVENTIONS:
        raise ConfigError(f"convention must be one of {', '.join(CONVENTIONS)}, got {convention!r}")
    if conv == "G":
        return np.asarray(y, dtype=float)
    if rho0 is None:
        raise ConfigError(f"data in the {convention!r} convention need rho0 (atoms/A^3) to become G(r)")
    return convert(r, y, source=conv, target="G", rho0=rho0)


def running_coordination(r, g, rho0: float, *, convention: str = "G", r0: float | None = None) -> np.ndarray:
    """N(r) = ∫_{r0}^{r} R(r') dr', the running (weighted) coordination number; r0 default r[0].

    Below r0 nothing is counted; G(r) below the first peak is noise and termination ripple, so
    start at the minimum before the first peak for a clean count.

    Examples
    --------
    >>> r = np.linspace(0.01, 10, 2000); rho0 = 0.05
    >>> n = running_coordination(r, np.zeros_like(r), rho0)     # g = 1: N = 4/3 π ρ0 r³
    >>> bool(abs(n[-1] - 4 / 3 * np.pi * rho0 * 1000) < 0.01)
    True
    """
    from scipy.integrate import cumulative_trapezoid
    r = np.asarray(r, dtype=float)
    rho0 = _positive(rho0, "rho0")
    G = as_pdffit_g(r, g, convention, rho0)
    R = convert(r, G, source="G", target="R", rho0=rho0)
    start = r[0] if r0 is None else float(r0)
    R = np.where(r >= start, R, 0.0)
    return cumulative_trapezoid(R, r, initial=0.0)


def _positive(value, name) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a positive number, got {value!r}") from None
    if not (math.isfinite(v) and v > 0):
        raise ConfigError(f"{name} must be a positive number, got {value!r}")
    return v


# ========================================================================================= peak fits
@dataclass(frozen=True, eq=False, repr=False)
class RPeakFit(SummaryRepr):
    """Peaks fitted to G(r) in one r window (:func:`fit_rpeaks`).

    ``peaks`` holds per peak: ``r`` (shell distance, Å), ``fwhm`` (Å), ``sigma`` (Å), ``area``
    (the peak's area in R(r): the weighted coordination number when G is absolute) and ``height``
    (the peak maximum in G(r), Å⁻²), each with ``<key>_stderr``.
    """

    window: tuple[float, float]
    labels: tuple[str, ...]
    peaks: tuple[Mapping[str, float], ...]
    report: FitReport
    r: np.ndarray
    g_obs: np.ndarray
    g_calc: np.ndarray
    g_peaks: tuple[np.ndarray, ...]
    baseline: np.ndarray
    qmax: float | None
    absolute: bool
    pairs: tuple[tuple[str, str] | None, ...] = ()
    composition: object = None
    mode: str = "xray"
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""
    _html_summary_lines = None

    @property
    def converged(self) -> bool:
        return self.report.converged

    def coordination(self, index: int = 0, pair=None, composition=None, *, mode: str | None = None,
                     scattering_lengths=None) -> tuple[float, float]:
        """Partial coordination number N_αβ (and its error) of peak ``index`` made of α–β pairs only."""
        pair = pair if pair is not None else (self.pairs[index] if index < len(self.pairs) else None)
        composition = composition if composition is not None else self.composition
        if pair is None or composition is None:
            raise ConfigError("coordination() needs the pair (e.g. 'Ta-Cl') and the composition")
        p = self.peaks[index]
        w = pair_weight(pair, composition, mode=mode or self.mode, scattering_lengths=scattering_lengths,
                        qmax=self.qmax, sigma=p["sigma"])
        return p["area"] / w, p["area_stderr"] / abs(w)

    def _rows(self):
        rows = []
        for i, (lab, p) in enumerate(zip(self.labels, self.peaks)):
            rows.append((f"pdf_peak_r_angstrom[{lab}]", p["r"], p["r_stderr"], "angstrom"))
            rows.append((f"pdf_peak_fwhm_angstrom[{lab}]", p["fwhm"], p["fwhm_stderr"], "angstrom"))
            rows.append((f"pdf_peak_height_inv_A2[{lab}]", p["height"], p["height_stderr"], "1/angstrom^2"))
            if self.absolute:
                rows.append((f"pdf_peak_cn_weighted[{lab}]", p["area"], p["area_stderr"], ""))
                pair = self.pairs[i] if i < len(self.pairs) else None
                if pair is not None and self.composition is not None:
                    n, e = self.coordination(i)
                    rows.append((f"pdf_cn[{pair[0]}-{pair[1]}]", n, e, ""))
            else:
                rows.append((f"pdf_peak_area_rel[{lab}]", p["area"], p["area_stderr"], ""))
        return rows

    def descriptors(self) -> list[DescriptorRow]:
        """Per peak: position, FWHM, height; weighted CN (absolute G) or relative area; partial CN for named pairs."""
        base = dict(sample=self.sample, technique="pdf", conditions=self.conditions, source=self.source,
                    method="rpeaks" + (f"(Qmax {self.qmax:g})" if self.qmax else ""))
        return [DescriptorRow(name=n, value=v, stderr=e, unit=u, **base) for n, v, e, u in self._rows()]

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([{"label": lab, **dict(p)} for lab, p in zip(self.labels, self.peaks)])

    def summary(self) -> str:
        lo, hi = self.window
        head = (f"G(r) peaks of {self.source or self.sample or 'data'} in {lo:g}-{hi:g} A"
                f"{f', terminated at Qmax {self.qmax:g}' if self.qmax else ''}: "
                f"{'converged' if self.converged else 'NOT converged'}, redchi {self.report.redchi:.4g}")
        lines = [head]
        for n, v, e, u in self._rows():
            lines.append(f"  {n:<36s} {v:.5g} ± {e:.2g} {u}".rstrip())
        if not self.absolute:
            lines.append("  areas are relative: G(r) is not on an absolute scale (no rho0 given)")
        if not self.converged or "at a bound" in self.report.message:
            lines.append(f"  {self.report.message}")
        return "\n".join(lines)

    def plot(self, ax=None):
        """Data, the fit, each peak and the baseline in the window; returns the Figure."""
        from .plot import plot_rpeaks
        return plot_rpeaks(self, ax=ax)


def _window(window) -> tuple[float, float]:
    if isinstance(window, str):
        window = window.replace(",", ":").split(":")
    try:
        lo, hi = (float(w) for w in window)
    except (TypeError, ValueError):
        raise ConfigError(f"window must be (rmin, rmax) in Å, e.g. (2.4, 3.3) or '2.4:3.3', got {window!r}") from None
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 <= lo < hi):
        raise ConfigError(f"window must satisfy 0 <= rmin < rmax, got {lo:g}-{hi:g}")
    return lo, hi


def _pairs(pairs, n) -> tuple:
    if pairs is None:
        return (None,) * n
    if isinstance(pairs, str) or (len(pairs) == 2 and all(isinstance(p, str) and "-" not in p for p in pairs)):
        pairs = [pairs]
    out = []
    for p in pairs:
        if p is None:
            out.append(None)
            continue
        q = tuple(x.strip() for x in p.split("-")) if isinstance(p, str) else tuple(p)
        if len(q) != 2:
            raise ConfigError(f"pair must name two elements like 'Ta-Cl', got {p!r}")
        out.append(q)
    if len(out) > n:
        raise ConfigError(f"{len(out)} pairs for {n} peaks")
    return tuple(out) + (None,) * (n - len(out))


def fit_rpeaks(r, g, window, *, npeaks: int | None = None, centers: Sequence[float] | None = None,
               dg=None, convention: str = "G", rho0: float | None = None, qmax: float | None = None,
               baseline: str = "linear", labels: Sequence[str] | None = None, pairs=None, composition=None,
               mode: str = "xray", max_fwhm: float | None = None, polarity: str = "auto", same_width: bool = False,
               sample: str = "",
               conditions: Mapping | None = None, source: str = "") -> RPeakFit:
    """Fit Gaussian shells to G(r) in ``window`` (see the module notes for the model).

    Parameters
    ----------
    r, g : array_like
        r (Å) and the function in ``convention`` ("G" PDFfit, "g", "R", "T", "G_keen"; all but "G"
        need ``rho0``).
    window : (float, float) or "lo:hi"
        Fit range (Å).
    npeaks, centers : optional
        Number of shells, or their starting distances; default one peak per local maximum in the
        window, at most ``npeaks`` (default 1), the highest first.
    dg : array_like, optional
        Standard errors of G (weights 1/dG²); reported errors are then scaled by √redchi only if
        you do so yourself: neighbouring G(r) points are correlated, so treat redchi with care.
    rho0 : float, optional
        Number density (atoms/Å³). States that G is absolute, so areas are coordination numbers.
    qmax : float, optional
        Qmax of the transform that made G: peaks are convolved with its termination function.
    baseline : {"linear", "constant", "density", "none"}
        a + b·r (default), a, the fixed −4πρ0 r line (needs ``rho0``), or nothing.
    labels : sequence of str, optional
        Names of the peaks in the descriptor table; default ``"lo-hi"`` (``"lo-hi#k"`` for k > 1).
    pairs, composition, mode : optional
        ``pairs=["Ta-Cl"]`` with the composition gives partial coordination numbers N_αβ of peaks made
        of one pair type (:func:`pair_weight`).
    max_fwhm : float, optional
        Upper bound of each peak's FWHM (Å); default the window width.
    polarity : {"auto", "positive", "negative"}
        Sign of the peaks' areas. Neutron pairs with one negative scattering length (Mn, Ti, Li, H,
        V ...) give negative peaks; "auto" takes the sign of the strongest excursion from the
        straight line joining the window's ends.
    same_width : bool
        One σ for every peak of the window (e.g. the two halves of a Jahn–Teller-split shell, which
        a free width per peak cannot separate from the baseline in a narrow window).
    """
    r = np.asarray(r, dtype=float)
    y = np.asarray(g, dtype=float)
    ctx = source or "G(r)"
    if r.ndim != 1 or r.shape != y.shape:
        raise DataError(f"r and G must be 1-D arrays of one length, got {r.shape} and {y.shape}", path=source or None)
    lo, hi = _window(window)
    if rho0 is not None:
        rho0 = _positive(rho0, "rho0")
    G = as_pdffit_g(r, y, convention, rho0)
    sel = (r >= lo) & (r <= hi)
    if not np.any(sel) or lo < r[0] - 1e-9 or hi > r[-1] + 1e-9:
        raise DataError(f"window {lo:g}-{hi:g} A is outside the data (r = {r[0]:g}-{r[-1]:g} A)", path=source or None)
    rf, gf = r[sel], G[sel]
    if not (np.all(np.isfinite(rf)) and np.all(np.isfinite(gf))):
        raise DataError(f"G(r) has NaN or inf in {lo:g}-{hi:g} A", path=source or None)
    if np.any(np.diff(rf) <= 0):
        raise DataError("r must increase", path=source or None)
    if rf[0] <= 0:
        raise DataError("the window must start above r = 0 (the shell model has 1/r)", path=source or None)
    w = np.ones_like(rf)
    if dg is not None:
        dgf = np.asarray(dg, dtype=float)[sel]
        if np.all(np.isfinite(dgf)) and np.all(dgf > 0):
            w = 1.0 / dgf
    baseline = str(baseline).lower()
    if baseline not in ("linear", "constant", "density", "none"):
        raise ConfigError(f"baseline must be 'linear', 'constant', 'density' or 'none', got {baseline!r}")
    if baseline == "density" and rho0 is None:
        raise ConfigError("baseline='density' (the -4 pi rho0 r line) needs rho0")
    if qmax is not None:
        qmax = _positive(qmax, "qmax")
    step = float(np.median(np.diff(rf)))
    width_max = float(max_fwhm) if max_fwhm is not None else hi - lo
    sig_min, sig_max = max(step / 2.0, 1e-3), width_max / 2.3548
    polarity = str(polarity).lower()
    if polarity not in ("auto", "positive", "negative"):
        raise ConfigError(f"polarity must be 'auto', 'positive' or 'negative', got {polarity!r}")
    if polarity == "auto":                   # excursions from the chord between the window's ends
        dev = gf - np.interp(rf, [rf[0], rf[-1]], [gf[0], gf[-1]])
        polarity = "negative" if -dev.min() > dev.max() else "positive"
    sign = -1.0 if polarity == "negative" else 1.0
    # ------------------------------------------------------------------------ starting shells
    if centers is None:
        from scipy.signal import find_peaks
        n = 1 if npeaks is None else int(npeaks)
        sg = sign * gf
        idx, _ = find_peaks(sg)
        idx = idx[np.argsort(sg[idx])[::-1]][:n] if idx.size else np.array([int(np.argmax(sg))])
        centers = sorted(float(rf[i]) for i in idx)
        while len(centers) < n:                       # fewer maxima than asked: spread the rest
            centers.append(lo + (hi - lo) * (len(centers) + 0.5) / n)
        centers = sorted(centers)
    else:
        centers = [float(c) for c in centers]
        if npeaks is not None and int(npeaks) != len(centers):
            raise ConfigError(f"npeaks = {npeaks} but {len(centers)} centers given")
    n = len(centers)
    if n < 1:
        raise ConfigError("fit_rpeaks needs at least one peak")
    for c in centers:
        if not lo <= c <= hi:
            raise ConfigError(f"peak centre {c:g} A is outside the window {lo:g}-{hi:g} A")
    if labels is None:
        labels = [f"{lo:g}-{hi:g}" + (f"#{k + 1}" if n > 1 else "") for k in range(n)]
    labels = tuple(str(x) for x in labels)
    if len(labels) != n:
        raise ConfigError(f"{len(labels)} labels for {n} peaks")
    pair_t = _pairs(pairs, n)
    spec: dict[str, dict] = {}
    sig0 = min(max(0.08, 2 * sig_min), 0.5 * (sig_min + sig_max))
    for k, c in enumerate(centers):
        height = float(np.interp(c, rf, gf))
        area0 = max(abs(height) * c * sig0 * _SQRT2PI, 1e-6)
        spec[f"p{k}_r"] = {"value": c, "min": lo, "max": hi}
        spec[f"p{k}_sigma"] = ({"expr": "p0_sigma"} if same_width and k else
                               {"value": sig0, "min": sig_min, "max": sig_max})
        spec[f"p{k}_area"] = {"value": area0, "min": 0.0} if sign > 0 else {"value": -area0, "max": 0.0}
    if baseline in ("linear", "constant"):
        spec["b0"] = {"value": float(np.min(gf) if sign > 0 else np.max(gf))}
        if baseline == "linear":
            spec["b1"] = {"value": 0.0}
    if rf.size <= len(spec):
        raise FitError(f"{rf.size} points in {lo:g}-{hi:g} A for {len(spec)} parameters; widen the window",
                       path=source or None)
    base_fixed = -4.0 * np.pi * rho0 * rf if baseline == "density" else np.zeros_like(rf)
    rc = 0.5 * (lo + hi)

    def parts(v):
        pk = [v[f"p{k}_area"] * terminated_gaussian(rf - v[f"p{k}_r"], v[f"p{k}_sigma"], qmax) / v[f"p{k}_r"]
              for k in range(n)]
        b = base_fixed + v.get("b0", 0.0) + v.get("b1", 0.0) * (rf - rc)
        return pk, b

    def residual(params):
        v = params.valuesdict()
        pk, b = parts(v)
        return (np.sum(pk, axis=0) + b - gf) * w

    report = minimize(residual, make_params(spec), context=f"{ctx}: r-space peaks {lo:g}-{hi:g} A", max_nfev=4000)
    v = dict(report.values)
    pk, b = parts(v)
    peaks = []
    for k in range(n):
        e = report.stderr
        s, es = v[f"p{k}_sigma"], e[f"p{k}_sigma"]
        curve = pk[k]
        j = int(np.argmax(np.abs(curve)))
        height, eh = report.propagate(lambda vv, k=k, j=j: float(
            vv[f"p{k}_area"] * terminated_gaussian(np.array([rf[j] - vv[f"p{k}_r"]]), vv[f"p{k}_sigma"], qmax)[0]
            / vv[f"p{k}_r"]))
        peaks.append({"r": v[f"p{k}_r"], "r_stderr": e[f"p{k}_r"], "sigma": s, "sigma_stderr": es,
                      "fwhm": 2.3548200450309493 * s, "fwhm_stderr": 2.3548200450309493 * es,
                      "area": v[f"p{k}_area"], "area_stderr": e[f"p{k}_area"],
                      "height": height, "height_stderr": eh})
    return RPeakFit(window=(lo, hi), labels=labels, peaks=tuple(peaks), report=report, r=rf, g_obs=gf,
                    g_calc=np.sum(pk, axis=0) + b, g_peaks=tuple(pk), baseline=b, qmax=qmax,
                    absolute=rho0 is not None, pairs=pair_t, composition=composition,
                    mode="neutron" if str(mode).lower().startswith("n") else "xray", sample=sample,
                    conditions=dict(conditions or {}), source=str(source))
