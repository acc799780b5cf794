"""Sample broadening: instrument correction, Voigt decomposition, Scherrer and Williamson-Hall.

Instrument correction (:func:`sample_broadening`) follows the Voigt
single-line method of de Keijser, Langford, Mittemeijer & Vogels,
J. Appl. Cryst. 15, 308 (1982): the fitted pseudo-Voigt (FWHM, η) of
:func:`structkit.xrd.peakwidth.fit_peaks` is read as a Voigt by inverting the
Thompson-Cox-Hastings relations (J. Appl. Cryst. 20, 79 (1987)) into a Gaussian
and a Lorentzian FWHM; the instrument's parts (Caglioti
``H_G² = U tan²θ + V tanθ + W`` and ``H_L = X tanθ + Y/cosθ``, from an
:class:`InstrumentProfile` or a fitted standard) are removed as the convolution
of Voigts requires, Gaussian widths in quadrature and Lorentzian widths linearly::

    H_G,s = sqrt(H_G,obs² - H_G,inst²)        H_L,s = H_L,obs - H_L,inst

The Lorentzian sample part is read as crystallite size (Scherrer,
``D = Kλ / (H_L,s cosθ)``), the Gaussian one as microstrain
(``ε = H_G,s / (4 tanθ)``), widths in radians of 2θ. Williamson-Hall fits
``β cosθ = Kλ/D + 4ε sinθ`` to the total sample breadths.

Examples
--------
>>> round(float(scherrer_size_nm(np.radians(0.1), 30.0, 1.5405929)), 1)
82.2
>>> g, l = voigt_components(*tch_fwhm_eta(0.1, 0.05))
>>> round(float(g), 6), round(float(l), 6)
(0.1, 0.05)
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError, FitError
from ..core.fit import FitReport, make_params, minimize
from ..core.frozen import FrozenMap
from ..core.lineshapes import tch_fwhm_eta
from ..core.summary import SummaryRepr
from .peakwidth import PeakFitResult
from .profiles import InstrumentProfile, caglioti_fwhm, lorentz_fwhm

__all__ = ["BroadeningResult", "sample_broadening", "instrument_from_standard", "voigt_components",
           "voigt_integral_breadth", "scherrer_size_nm", "WilliamsonHallResult", "williamson_hall"]

_NAN = float("nan")

# -- Voigt decomposition --------------------------------------------

def voigt_components(fwhm, eta):
    """Gaussian and Lorentzian FWHM of the Voigt that a TCH pseudo-Voigt ``(fwhm, eta)`` stands for.

    Inverts :func:`structkit.core.lineshapes.tch_fwhm_eta`: ``η(q)`` with
    ``q = H_L / H``, then ``H_G`` from the fifth-order TCH sum, both by Newton steps.

    Examples
    --------
    >>> [round(float(v), 6) for v in voigt_components(0.2, 0.0)]
    [0.2, 0.0]
    """
    h = np.asarray(fwhm, dtype=float)
    e = np.clip(np.asarray(eta, dtype=float), 0.0, 1.0)
    q = e / 1.36603
    for _ in range(50):      # η(q) is increasing on [0, 1]: Newton from η / 1.36603
        step = (1.36603 * q - 0.47719 * q ** 2 + 0.11116 * q ** 3 - e) / (1.36603 - 0.95438 * q + 0.33348 * q ** 2)
        q = np.clip(q - step, 0.0, 1.0)
        if np.all(np.abs(step) < 1e-15):
            break
    lo_w = q * h
    # H^5 = Σ c_k G^(5-k) L^k is increasing and convex in G >= 0: Newton from G = H converges from above
    g = np.array(h, dtype=float, copy=True)
    c = (1.0, 2.69269, 2.42843, 4.47163, 0.07842, 1.0)
    for _ in range(100):
        f = sum(ck * g ** (5 - k) * lo_w ** k for k, ck in enumerate(c)) - h ** 5
        df = sum((5 - k) * ck * g ** (4 - k) * lo_w ** k for k, ck in enumerate(c[:5]))
        step = np.divide(f, df, out=np.zeros_like(g), where=df > 0)
        g = np.maximum(g - step, 0.0)
        if np.all(np.abs(step) <= 1e-14 * np.maximum(h, 1e-300)):
            break
    return g, lo_w


def voigt_integral_breadth(fwhm_gauss, fwhm_lorentz):
    """Integral breadth (area / height) of a Voigt from its Gaussian and Lorentzian FWHM.

    ``β = β_G / erfcx(k)``, ``k = β_L / (√π β_G)``, with ``β_G = H_G √(π / 4 ln 2)`` and
    ``β_L = (π/2) H_L`` (Langford, J. Appl. Cryst. 11, 10 (1978)).

    Examples
    --------
    >>> round(float(voigt_integral_breadth(1.0, 0.0)), 4), round(float(voigt_integral_breadth(0.0, 1.0)), 4)
    (1.0645, 1.5708)
    """
    from scipy.special import erfcx
    g = np.asarray(fwhm_gauss, dtype=float)
    lo_w = np.asarray(fwhm_lorentz, dtype=float)
    bg = g * np.sqrt(np.pi / (4.0 * np.log(2.0)))
    bl = 0.5 * np.pi * lo_w
    k = np.divide(bl, np.sqrt(np.pi) * bg, out=np.zeros_like(bg), where=bg > 0)
    return np.where(bg > 0, bg / erfcx(k), bl)


def scherrer_size_nm(beta_rad, two_theta_deg, wavelength_angstrom, K=0.9):
    """Scherrer crystallite size ``D = Kλ / (β cos θ)`` in nm.

    Use ``K ≈ 0.9`` with a FWHM and ``K ≈ 1`` with an integral breadth (volume-weighted
    column length); ``beta_rad`` is the *sample* broadening in radians of 2θ.

    Examples
    --------
    >>> round(float(scherrer_size_nm(0.01, 40.0, 1.5406)), 2)
    14.76
    """
    th = np.radians(np.asarray(two_theta_deg, dtype=float)) / 2.0
    return K * 0.1 * wavelength_angstrom / (np.asarray(beta_rad, dtype=float) * np.cos(th))


_BROAD = (("fwhm_g_sample_deg", "deg"), ("fwhm_l_sample_deg", "deg"), ("fwhm_sample_deg", "deg"),
          ("integral_breadth_sample_deg", "deg"), ("size_nm", "nm"), ("strain", ""))


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class BroadeningResult(SummaryRepr):
    """Sample broadening per reflection after removing the instrument (Voigt single-line method).

    ``values`` / ``stderr`` hold arrays (indexed like ``labels``) under the names
    ``fwhm_g_sample_deg, fwhm_l_sample_deg, fwhm_sample_deg, integral_breadth_sample_deg,
    size_nm, strain`` and, without errors, ``fwhm_g_obs_deg, fwhm_l_obs_deg,
    fwhm_g_instrument_deg, fwhm_l_instrument_deg``. ``size_nm`` is ``inf`` where the
    Lorentzian part is not broader than the instrument's (``resolved_size`` False);
    ``strain`` is 0 where the Gaussian part is not (``resolved_strain`` False).
    """

    labels: tuple[str, ...]
    position_deg: np.ndarray
    values: Mapping[str, np.ndarray]
    stderr: Mapping[str, np.ndarray]
    resolved_size: np.ndarray
    resolved_strain: np.ndarray
    K: float
    breadth: str
    wavelength_angstrom: float
    instrument: InstrumentProfile
    message: str
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        for name in ("values", "stderr", "conditions"):
            object.__setattr__(self, name, FrozenMap(dict(getattr(self, name))))

    size_nm = property(lambda self: self.values["size_nm"])
    strain = property(lambda self: self.values["strain"])

    def to_frame(self):
        import pandas as pd
        rows = []
        for i, lab in enumerate(self.labels):
            row = {"sample": self.sample, **dict(self.conditions), "label": lab,
                   "position_deg": float(self.position_deg[i])}
            for name in self.values:
                row[name] = float(self.values[name][i])
                if name in self.stderr:
                    row[name + "_stderr"] = float(self.stderr[name][i])
            row.update(resolved_size=bool(self.resolved_size[i]), resolved_strain=bool(self.resolved_strain[i]))
            rows.append(row)
        return pd.DataFrame(rows)

    def descriptors(self) -> list[DescriptorRow]:
        """``size_nm[label]``, ``strain[label]``, ``fwhm_sample_deg[label]`` ... (unresolved sizes left out)."""
        base = dict(sample=self.sample, technique="xrd", conditions=self.conditions, source=self.source,
                    method=f"voigt_single_line:K={self.K:g}:{self.breadth}")
        rows = []
        for i, lab in enumerate(self.labels):
            for name, unit in _BROAD:
                if name == "size_nm" and not self.resolved_size[i]:
                    continue
                rows.append(DescriptorRow(name=f"{name}[{lab}]", value=self.values[name][i],
                                          stderr=self.stderr[name][i], unit=unit, **base))
        return rows

    def williamson_hall(self, *, K: float | None = None) -> WilliamsonHallResult:
        """Williamson-Hall fit of the total sample breadth (FWHM or integral breadth, as ``breadth``)."""
        name = "fwhm_sample_deg" if self.breadth == "fwhm" else "integral_breadth_sample_deg"
        return williamson_hall(self.position_deg, self.values[name], self.stderr[name], self.wavelength_angstrom,
                               K=self.K if K is None else K, labels=self.labels, sample=self.sample,
                               conditions=self.conditions, source=self.source)

    def plot(self, ax=None):
        from .plot import plot_broadening
        return plot_broadening(self, ax=ax)

    def summary(self) -> str:
        lines = [f"BroadeningResult {self.sample or self.source} (Voigt single-line, K={self.K:g}, {self.breadth})"]
        for i, lab in enumerate(self.labels):
            size = (f"{self.size_nm[i]:.1f}±{self.stderr['size_nm'][i]:.1g} nm" if self.resolved_size[i]
                    else "not resolved")
            lines.append(f"  {lab:>10s} 2θ={self.position_deg[i]:8.3f}  H_G,s={self.values['fwhm_g_sample_deg'][i]:.4f}"
                         f"  H_L,s={self.values['fwhm_l_sample_deg'][i]:.4f} deg  D={size}"
                         f"  ε={self.strain[i]:.2e}")
        return "\n".join(lines)



def _split(v, p, inst):
    """(H_G,obs, H_L,obs, H_G,inst, H_L,inst) for prefix ``p`` of a report's values."""
    g_o, l_o = voigt_components(v[p + "fwhm"], v[p + "eta"])
    c = v[p + "center"]
    return (float(g_o), float(l_o), float(caglioti_fwhm(c, inst.u, inst.v, inst.w)),
            float(lorentz_fwhm(c, inst.x, inst.y)))


def sample_broadening(result: PeakFitResult, instrument, *, K: float = 0.9,
                      breadth: str = "fwhm") -> BroadeningResult:
    """Remove the instrumental broadening from fitted reflections; size and strain per reflection.

    Parameters
    ----------
    result : PeakFitResult
        Fitted reflections of the sample.
    instrument : InstrumentProfile or PeakFitResult
        Instrument widths (``U, V, W`` deg², ``X, Y`` deg), or the fit of a
        line-profile standard measured on the same instrument (see
        :func:`instrument_from_standard`).
    K : float
        Scherrer constant (0.9 with FWHM, about 1 with integral breadths).
    breadth : {"fwhm", "integral"}
        Width used for size and strain: the component FWHM, or its integral
        breadth (``(π/2) H_L``, ``√(π/4ln2) H_G``).

    Returns
    -------
    BroadeningResult
        Gaussian and Lorentzian sample FWHM, the total sample FWHM (TCH) and
        integral breadth (Voigt), size ``D = Kλ/(B_L cosθ)`` and strain
        ``ε = B_G / (4 tanθ)``, with standard errors from the fit covariance
        (the instrument is taken as exact).
    """
    if breadth not in ("fwhm", "integral"):
        raise ConfigError(f"sample_broadening: breadth must be 'fwhm' or 'integral', got {breadth!r}")
    if isinstance(instrument, PeakFitResult):
        instrument = instrument_from_standard(instrument)
    if not isinstance(instrument, InstrumentProfile):
        raise ConfigError("sample_broadening: instrument must be an InstrumentProfile or the PeakFitResult "
                          f"of a standard, got {type(instrument).__name__}")
    lam = result.radiation.wavelength_angstrom
    fac_l = 0.5 * np.pi if breadth == "integral" else 1.0
    fac_g = np.sqrt(np.pi / (4.0 * np.log(2.0))) if breadth == "integral" else 1.0

    def quantities(v, p):
        g_o, l_o, g_i, l_i = _split(v, p, instrument)
        g_s = np.sqrt(max(g_o ** 2 - g_i ** 2, 0.0))
        l_s = max(l_o - l_i, 0.0)
        th = np.radians(v[p + "center"]) / 2.0
        size = float(scherrer_size_nm(np.radians(l_s * fac_l), v[p + "center"], lam, K)) if l_s > 0 else np.inf
        return {"fwhm_g_sample_deg": g_s, "fwhm_l_sample_deg": l_s,
                "fwhm_sample_deg": float(tch_fwhm_eta(g_s, l_s)[0]),
                "integral_breadth_sample_deg": float(voigt_integral_breadth(g_s, l_s)),
                "size_nm": size, "strain": np.radians(g_s * fac_g) / (4.0 * np.tan(th)),
                "strain_per_deg": np.radians(fac_g) / (4.0 * np.tan(th)),
                "fwhm_g_obs_deg": g_o, "fwhm_l_obs_deg": l_o, "fwhm_g_instrument_deg": g_i,
                "fwhm_l_instrument_deg": l_i}

    n = len(result)
    vals = {k: np.zeros(n) for k in ("fwhm_g_sample_deg", "fwhm_l_sample_deg", "fwhm_sample_deg",
                                     "integral_breadth_sample_deg", "size_nm", "strain", "fwhm_g_obs_deg",
                                     "fwhm_l_obs_deg", "fwhm_g_instrument_deg", "fwhm_l_instrument_deg")}
    errs = {k: np.full(n, _NAN) for k, _ in _BROAD}
    res_size, res_strain = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    for i in range(n):
        rep, p = result._report_of(i)
        q = quantities(rep.values, p)
        for k, arr in vals.items():
            arr[i] = q[k]
        res_size[i] = q["fwhm_l_sample_deg"] > 0
        res_strain[i] = q["fwhm_g_sample_deg"] > 0
        with np.errstate(invalid="ignore", divide="ignore"):
            for k, _ in _BROAD[:4]:
                errs[k][i] = rep.propagate(lambda v, k=k, p=p: quantities(v, p)[k])[1]
        # size ∝ 1/H_L,s and strain ∝ H_G,s at fixed θ: relative errors carry over
        if res_size[i]:
            errs["size_nm"][i] = q["size_nm"] * errs["fwhm_l_sample_deg"][i] / q["fwhm_l_sample_deg"]
        errs["strain"][i] = (q["strain"] * errs["fwhm_g_sample_deg"][i] / q["fwhm_g_sample_deg"]
                             if res_strain[i] else errs["fwhm_g_sample_deg"][i] * q["strain_per_deg"])
    bad = [lab for lab, r in zip(result.labels, res_size) if not r]
    msg = ("sample broadening resolved for every reflection" if not bad else
           "Lorentzian width not above the instrument's (size not resolved) for " + ", ".join(bad))
    pos = np.array([result._report_of(i)[0].values[result._report_of(i)[1] + "center"] for i in range(n)])
    return BroadeningResult(labels=result.labels, position_deg=pos, values=vals, stderr=errs,
                            resolved_size=res_size, resolved_strain=res_strain, K=float(K), breadth=breadth,
                            wavelength_angstrom=lam, instrument=instrument, message=msg, sample=result.sample,
                            conditions=result.conditions, source=result.source)


def _linear_fit(x, y, err, names, context):
    """Weighted straight line ``y = names[0] + names[1] * x`` through the core fit helper."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    w = np.ones_like(y) if err is None else 1.0 / np.asarray(err, dtype=float)
    slope0, icpt0 = np.polyfit(x, y, 1, w=w)
    params = make_params({names[0]: float(icpt0), names[1]: float(slope0)})
    return minimize(lambda p: (p[names[0]].value + p[names[1]].value * x - y) * w, params, context=context)


def instrument_from_standard(result: PeakFitResult, *, fit_lorentz: bool = True) -> InstrumentProfile:
    """An :class:`InstrumentProfile` from fitted reflections of a line-profile standard (LaB6, Si ...).

    Each reflection is split into Gaussian and Lorentzian FWHM (:func:`voigt_components`);
    ``H_G² = U tan²θ + V tanθ + W`` (3 or more reflections) and ``H_L = X tanθ + Y / cosθ``
    (2 or more) are fitted by weighted least squares.
    """
    n = len(result)
    if n < 3:
        raise FitError(f"instrument_from_standard: {n} reflection(s) of {result.source or 'the standard'}; "
                       "U, V, W need at least 3 spread over 2θ")
    g, lo_w, eg, el, c = (np.zeros(n) for _ in range(5))
    for i in range(n):
        rep, p = result._report_of(i)
        g[i], lo_w[i] = voigt_components(rep.values[p + "fwhm"], rep.values[p + "eta"])
        eg[i] = rep.propagate(lambda v, p=p: float(voigt_components(v[p + "fwhm"], v[p + "eta"])[0]))[1]
        el[i] = rep.propagate(lambda v, p=p: float(voigt_components(v[p + "fwhm"], v[p + "eta"])[1]))[1]
        c[i] = rep.values[p + "center"]
    t = np.tan(np.radians(c) / 2.0)
    ok = lambda e: None if not np.all(np.isfinite(e) & (e > 0)) else e
    g2err = ok(2.0 * g * eg)
    wg = np.ones(n) if g2err is None else 1.0 / g2err
    params = make_params({"u": 0.0, "v": 0.0, "w": float(np.min(g) ** 2)})
    ctx = f"instrument_from_standard({result.source or result.sample or 'standard'})"
    rg = minimize(lambda p: (p["u"].value * t * t + p["v"].value * t + p["w"].value - g * g) * wg, params,
                  context=ctx + " Caglioti")
    x_l = y_l = 0.0
    notes = {"gauss_fit": rg.message}
    if fit_lorentz:
        el_ok = ok(el)
        wl = np.ones(n) if el_ok is None else 1.0 / el_ok
        a = np.column_stack([t, 1.0 / np.cos(np.radians(c) / 2.0)])
        x0, y0 = np.linalg.lstsq(a * wl[:, None], lo_w * wl, rcond=None)[0]
        rl = minimize(lambda p: (a @ np.array([p["x"].value, p["y"].value]) - lo_w) * wl,
                      make_params({"x": float(x0), "y": float(y0)}), context=ctx + " Lorentz")
        x_l, y_l = rl.values["x"], rl.values["y"]
        notes["lorentz_fit"] = rl.message
    return InstrumentProfile(radiation=result.radiation.name, u=rg.values["u"], v=rg.values["v"], w=rg.values["w"],
                             x=x_l, y=y_l, source=f"standard {result.source or result.sample}", notes=notes)


# -- Williamson-Hall ----------------------------------------------------------------------------

@dataclass(frozen=True, eq=False)
class WilliamsonHallResult:
    """``β cosθ = Kλ/D + 4ε sinθ`` fitted to sample breadths (β in radians of 2θ)."""

    two_theta_deg: np.ndarray
    beta_rad: np.ndarray
    beta_stderr_rad: np.ndarray | None
    size_nm: float
    size_stderr_nm: float
    strain: float
    strain_stderr: float
    intercept: float
    intercept_stderr: float
    K: float
    wavelength_angstrom: float
    report: FitReport
    converged: bool
    message: str
    labels: tuple[str, ...] = ()
    sample: str = ""
    conditions: Mapping[str, object] = field(default_factory=dict)
    source: str = ""

    def __post_init__(self):
        object.__setattr__(self, "conditions", FrozenMap(dict(self.conditions)))

    @property
    def x(self):
        """``4 sin θ``."""
        return 4.0 * np.sin(np.radians(self.two_theta_deg) / 2.0)

    @property
    def y(self):
        """``β cos θ`` (rad)."""
        return self.beta_rad * np.cos(np.radians(self.two_theta_deg) / 2.0)

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame([{"sample": self.sample, **dict(self.conditions), "wh_size_nm": self.size_nm,
                              "wh_size_stderr_nm": self.size_stderr_nm, "wh_strain": self.strain,
                              "wh_strain_stderr": self.strain_stderr, "n_reflections": self.two_theta_deg.size,
                              "K": self.K, "redchi": self.report.redchi, "converged": self.converged}])

    def descriptors(self) -> list[DescriptorRow]:
        """``wh_size_nm`` (left out when the intercept is not positive) and ``wh_strain``."""
        base = dict(sample=self.sample, technique="xrd", conditions=self.conditions, source=self.source,
                    method=f"williamson_hall:K={self.K:g}")
        rows = []
        if np.isfinite(self.size_nm):
            rows.append(DescriptorRow(name="wh_size_nm", value=self.size_nm, stderr=self.size_stderr_nm,
                                      unit="nm", **base))
        rows.append(DescriptorRow(name="wh_strain", value=self.strain, stderr=self.strain_stderr, unit="", **base))
        return rows

    def plot(self, ax=None):
        from .plot import plot_williamson_hall
        return plot_williamson_hall(self, ax=ax)

    def summary(self) -> str:
        return (f"Williamson-Hall {self.sample or self.source} ({self.two_theta_deg.size} reflections, K={self.K:g}): "
                f"D = {self.size_nm:.4g} ± {self.size_stderr_nm:.2g} nm, ε = {self.strain:.3e} ± "
                f"{self.strain_stderr:.2e}" + ("" if self.converged else f"  NOT converged: {self.message}"))

    __str__ = summary

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary())}</pre>"


def williamson_hall(two_theta_deg, beta_deg, beta_stderr_deg, wavelength_angstrom, K: float = 0.9, *,
                    labels: Sequence[str] = (), sample: str = "", conditions: Mapping | None = None,
                    source: str = "") -> WilliamsonHallResult:
    """Williamson-Hall size and microstrain: weighted line ``β cosθ = Kλ/D + 4ε sinθ``.

    Parameters
    ----------
    two_theta_deg, beta_deg : array_like
        Positions and *sample* breadths (instrument removed), in degrees 2θ.
    beta_stderr_deg : array_like or None
        Standard errors of ``beta_deg`` (weights); None for equal weights.
    wavelength_angstrom : float
    K : float

    Returns
    -------
    WilliamsonHallResult
        ``size_nm = Kλ / intercept`` (``inf`` when the intercept is not positive) and
        ``strain = slope``, with standard errors.

    Examples
    --------
    >>> tt = np.array([20.0, 35.0, 50.0, 65.0])
    >>> th = np.radians(tt) / 2
    >>> beta = np.degrees((0.9 * 0.15406 / 50.0 + 4 * 1e-3 * np.sin(th)) / np.cos(th))
    >>> r = williamson_hall(tt, beta, None, 1.5406)
    >>> round(r.size_nm, 3), round(r.strain, 6)
    (50.0, 0.001)
    """
    tt = np.asarray(two_theta_deg, dtype=float)
    b = np.asarray(beta_deg, dtype=float)
    if tt.shape != b.shape or tt.ndim != 1:
        raise DataError("williamson_hall: two_theta_deg and beta_deg must be 1-D and of equal length")
    if tt.size < 3:
        raise FitError(f"williamson_hall: {tt.size} reflection(s); a line with errors needs at least 3")
    if not (np.all(np.isfinite(b)) and np.all(np.isfinite(tt))):
        raise DataError("williamson_hall: non-finite breadths or positions; drop unresolved reflections")
    th = np.radians(tt) / 2.0
    err = None
    if beta_stderr_deg is not None:
        e = np.radians(np.asarray(beta_stderr_deg, dtype=float)) * np.cos(th)
        err = e if np.all(np.isfinite(e) & (e > 0)) else None
    lam_nm = 0.1 * float(wavelength_angstrom)
    ctx = f"williamson_hall({sample or source or 'sample'})"
    rep = _linear_fit(4.0 * np.sin(th), np.radians(b) * np.cos(th), err, ("intercept", "strain"), ctx)
    icpt = rep.values["intercept"]
    msg = rep.message
    if icpt > 0:
        size, size_err = rep.propagate(lambda v: K * lam_nm / v["intercept"])
    else:
        size, size_err = np.inf, _NAN
        msg += "; intercept not positive: size broadening not resolved"
    return WilliamsonHallResult(two_theta_deg=tt, beta_rad=np.radians(b),
                                beta_stderr_rad=None if beta_stderr_deg is None else np.radians(
                                    np.asarray(beta_stderr_deg, dtype=float)),
                                size_nm=float(size), size_stderr_nm=float(size_err), strain=rep.values["strain"],
                                strain_stderr=rep.stderr["strain"], intercept=icpt,
                                intercept_stderr=rep.stderr["intercept"], K=float(K),
                                wavelength_angstrom=float(wavelength_angstrom), report=rep,
                                converged=rep.converged, message=msg, labels=tuple(labels), sample=sample,
                                conditions=conditions or {}, source=source)
