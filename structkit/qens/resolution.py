"""Instrument resolution for QENS, and the convolution of model lines with it.

A :class:`Resolution` holds one resolution function per Q group, either

* **tabulated** from a vanadium run (:meth:`Resolution.from_vanadium`, the default):
  background subtracted, cut where it falls into the noise, optionally smoothed, normalised
  to unit area and referred to its centroid; used as a piecewise-linear function; or
* **Gaussian** (one or a sum of several): analytic (:meth:`Resolution.gaussian`) or fitted
  to the vanadium (``model="gaussian"`` / ``"multi-gaussian"``).

:class:`Convolver` evaluates, on a data energy grid, a δ line (the resolution itself) and a
unit-area Lorentzian convolved with the resolution:

* Gaussian resolution: analytic Voigt profiles (:func:`scipy.special.voigt_profile`), exact;
* tabulated resolution: the Lorentzian is integrated **analytically** over each linear piece
  of the resolution, so the result is exact for the piecewise-linear R whatever the width (a
  Lorentzian much narrower than the energy step is not under-sampled, and Γ → 0 tends to the
  δ line). On a uniform data grid the sum over pieces is a discrete convolution on a lattice
  (cost ~ (grid + support) × support multiply-adds); otherwise a direct double sum.

Examples
--------
>>> import numpy as np
>>> e = np.linspace(-2, 2, 401)
>>> res = Resolution.gaussian(0.1)
>>> c = res.convolver(0, e)
>>> round(float(np.trapezoid(c.delta(), e)), 6), round(float(np.trapezoid(c.lorentzian(0.01), e)), 3)
(1.0, 0.997)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import DataError, FitError
from ..core.frozen import FrozenMap
from .data import QENSData, as_qens_data

__all__ = ["Resolution", "ResolutionGroup", "Convolver"]

_SQRT8LN2 = np.sqrt(8.0 * np.log(2.0))


def _ro(a):
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class ResolutionGroup:
    """The resolution of one Q group.

    ``energy``/``values``: tabulated nodes (meV, relative to ``center_meV``) and values of
    unit area; ``gaussians``: ``(weight, centre, sigma)`` triples (relative centres,
    weights summing to 1). ``center_meV`` is where the elastic line sits on the data axis.
    """

    q: float
    kind: str
    fwhm_meV: float
    center_meV: float = 0.0
    energy: np.ndarray | None = None
    values: np.ndarray | None = None
    gaussians: tuple = ()

    def evaluate(self, e) -> np.ndarray:
        """R(e) on the data axis (unit area)."""
        x = np.asarray(e, dtype=float) - self.center_meV
        if self.kind == "tabulated":
            return np.interp(x, self.energy, self.values, left=0.0, right=0.0)
        out = np.zeros_like(x)
        for w, c, s in self.gaussians:
            out += w * np.exp(-0.5 * ((x - c) / s) ** 2) / (s * np.sqrt(2 * np.pi))
        return out

    @property
    def support(self) -> tuple[float, float]:
        if self.kind == "tabulated":
            return (self.center_meV + float(self.energy[0]), self.center_meV + float(self.energy[-1]))
        lo = min(c - 6 * s for _, c, s in self.gaussians)
        hi = max(c + 6 * s for _, c, s in self.gaussians)
        return (self.center_meV + lo, self.center_meV + hi)


@dataclass(frozen=True, eq=False)
class Resolution:
    """Resolution functions per Q group (see the module docstring)."""

    groups: tuple
    source: str = ""
    meta: Any = field(default_factory=dict)

    def __post_init__(self):
        if not self.groups:
            raise DataError("a resolution needs at least one group", path=self.source or None)
        object.__setattr__(self, "groups", tuple(self.groups))
        object.__setattr__(self, "meta", FrozenMap(dict(self.meta)))

    # -- construction -----------------------------------------------------------
    @classmethod
    def gaussian(cls, fwhm_meV, q=None, *, center_meV=0.0) -> "Resolution":
        """Analytic Gaussian resolution: one FWHM for all Q, or one per Q (with ``q``)."""
        fw = np.atleast_1d(np.asarray(fwhm_meV, dtype=float))
        qs = np.full(fw.size, np.nan) if q is None else np.atleast_1d(np.asarray(q, dtype=float))
        if fw.size == 1 and qs.size > 1:
            fw = np.full(qs.size, fw[0])
        if fw.size != qs.size:
            raise DataError(f"{fw.size} resolution widths for {qs.size} Q values")
        if np.any(~np.isfinite(fw)) or np.any(fw <= 0):
            raise DataError(f"resolution FWHM must be positive (got {fw.tolist()})")
        groups = [ResolutionGroup(q=float(qq), kind="gaussian", fwhm_meV=float(f), center_meV=float(center_meV),
                                  gaussians=((1.0, 0.0, float(f) / _SQRT8LN2),)) for qq, f in zip(qs, fw)]
        return cls(groups=groups, meta={"model": "gaussian"})

    @classmethod
    def from_vanadium(cls, vanadium, *, model: str = "tabulated", n_gaussians: int = 2, smooth: int = 0,
                      threshold: float = 1e-3, background: str | float = "auto",
                      window_meV: float | None = None) -> "Resolution":
        """The resolution measured on a vanadium (or any elastic scatterer) run.

        Parameters
        ----------
        vanadium : QENSData or the Measurements of :func:`structkit.io.read_qens`
        model : ``"tabulated"`` (piecewise linear, the default), ``"gaussian"`` or
            ``"multi-gaussian"`` (``n_gaussians`` Gaussians fitted to each group).
        smooth : int
            Savitzky–Golay window (points, odd, order 2) applied before tabulation; 0 = none.
        threshold : float
            The tabulated function is cut where it falls below ``threshold`` × its peak on
            both sides (the noise floor), then brought to zero one step further out.
        background : ``"auto"`` (median of the points beyond ±6 FWHM, when the run reaches
            that far), ``"none"`` or a value subtracted from every group.
        window_meV : float, optional
            Keep only ``|E − centre| <= window_meV``.
        """
        van = as_qens_data(vanadium, "vanadium")
        if model not in ("tabulated", "gaussian", "multi-gaussian"):
            raise DataError(f"resolution model must be 'tabulated', 'gaussian' or 'multi-gaussian' (got {model!r})")
        groups = []
        for i in range(van.n_groups):
            ctx = f"{van.source or 'vanadium'}: group {i} (Q = {van.q[i]:g} 1/A)"
            e, y = van.energy[i], van.s[i]
            dy = None if van.ds is None else van.ds[i]
            groups.append(_vanadium_group(float(van.q[i]), e, y, dy, model=model, n_gaussians=n_gaussians,
                                          smooth=smooth, threshold=threshold, background=background,
                                          window=window_meV, context=ctx))
        return cls(groups=groups, source=van.source, meta={"model": model, "smooth": smooth,
                                                           "threshold": threshold})

    # -- access ---------------------------------------------------------------------
    @property
    def q(self) -> np.ndarray:
        return np.array([g.q for g in self.groups])

    @property
    def fwhm_meV(self) -> np.ndarray:
        return np.array([g.fwhm_meV for g in self.groups])

    def for_data(self, data: QENSData, *, q_tolerance: float | None = None) -> list[ResolutionGroup]:
        """The resolution group of every Q group of ``data`` (one group serves all; otherwise
        matched by Q, or by position when Q is unknown and the counts agree).

        Raises
        ------
        DataError
            A data Q with no resolution group within ``q_tolerance`` (default: half the
            smallest spacing of the resolution's Q, at least 0.02 1/Å), or energy grids that
            do not overlap the resolution.
        """
        if len(self.groups) == 1:
            chosen = [self.groups[0]] * data.n_groups
        else:
            rq = self.q
            if np.all(np.isfinite(rq)) and np.all(np.isfinite(data.q)):
                tol = q_tolerance
                if tol is None:
                    d = np.diff(np.sort(rq))
                    tol = max(0.5 * float(d[d > 0].min()) if np.any(d > 0) else 0.02, 0.02)
                chosen = []
                for qq in data.q:
                    j = int(np.argmin(np.abs(rq - qq)))
                    if abs(rq[j] - qq) > tol:
                        raise DataError(f"no resolution group for Q = {qq:g} 1/A (resolution has Q = "
                                        f"{np.round(rq, 3).tolist()}); measure or select matching Q groups",
                                        path=data.source or None)
                    chosen.append(self.groups[j])
            elif len(self.groups) == data.n_groups:
                chosen = list(self.groups)
            else:
                raise DataError(f"the resolution has {len(self.groups)} groups and the data {data.n_groups}, "
                                "and Q is not known for both; give Q values (q=...) to match them",
                                path=data.source or None)
        for i, (g, e) in enumerate(zip(chosen, data.energy)):
            lo, hi = g.support
            if e[-1] < g.center_meV - g.fwhm_meV or e[0] > g.center_meV + g.fwhm_meV:
                raise DataError(f"group {i} (Q = {data.q[i]:g} 1/A): energy grid {e[0]:g}..{e[-1]:g} meV does "
                                f"not overlap the resolution (centre {g.center_meV:g} meV, support "
                                f"{lo:g}..{hi:g} meV); check units (meV vs ueV) and the sign convention",
                                path=data.source or None)
        return chosen

    def convolver(self, group: int | ResolutionGroup, energy) -> "Convolver":
        g = self.groups[group] if isinstance(group, (int, np.integer)) else group
        return Convolver(g, energy)

    def plot(self, ax=None):
        from .plot import plot_resolution

        return plot_resolution(self, ax=ax)

    def __repr__(self) -> str:
        fw = self.fwhm_meV
        return (f"Resolution({self.meta.get('model', '?')}, {len(self.groups)} groups, FWHM "
                f"{fw.min():.4g}-{fw.max():.4g} meV)")


def _half_max_width(e, y, i0):
    half = 0.5 * y[i0]
    left = i0
    while left > 0 and y[left] > half:
        left -= 1
    right = i0
    while right < y.size - 1 and y[right] > half:
        right += 1
    if y[left] > half or y[right] > half:
        return None
    el = np.interp(half, [y[left], y[left + 1]], [e[left], e[left + 1]])
    er = np.interp(half, [y[right], y[right - 1]], [e[right], e[right - 1]])
    return float(er - el)


def _vanadium_group(q, e, y, dy, *, model, n_gaussians, smooth, threshold, background, window, context):
    if np.max(y) <= 0:
        raise DataError(f"{context}: the vanadium has no positive signal")
    ys = y
    if smooth:
        from scipy.signal import savgol_filter

        win = int(smooth) | 1
        if win < 3 or win > y.size:
            raise DataError(f"{context}: smooth={smooth} must be an odd window between 3 and {y.size} points")
        ys = savgol_filter(y, win, 2)
    run = np.convolve(ys, np.ones(3) / 3.0, mode="same")
    i0 = int(np.argmax(run))
    fwhm = _half_max_width(e, run, i0)
    if fwhm is None or fwhm <= 0:
        raise DataError(f"{context}: the vanadium peak has no half-maximum on both sides within the data; "
                        "the energy range is too narrow to define the resolution")
    if isinstance(background, str):
        if background == "none":
            bg = 0.0
        elif background == "auto":
            far = np.abs(e - e[i0]) > 6 * fwhm
            bg = float(np.median(y[far])) if far.sum() >= 5 else 0.0
        else:
            raise DataError(f"{context}: background must be 'auto', 'none' or a number (got {background!r})")
    else:
        bg = float(background)
    if model != "tabulated":
        return _fit_gaussians(q, e, y - bg, dy, 1 if model == "gaussian" else int(n_gaussians), fwhm,
                              e[i0], context)
    r = ys - bg
    peak = r[i0]
    lo = i0
    while lo > 0 and not (r[lo - 1] < threshold * peak and (lo < 2 or r[lo - 2] < threshold * peak)):
        lo -= 1
    hi = i0
    while hi < r.size - 1 and not (r[hi + 1] < threshold * peak and (hi > r.size - 3 or r[hi + 2] < threshold * peak)):
        hi += 1
    keep = slice(lo, hi + 1)
    ee, rr = e[keep].copy(), np.clip(r[keep], 0.0, None)
    if window is not None:
        m = np.abs(ee - e[i0]) <= float(window)
        ee, rr = ee[m], rr[m]
    if ee.size < 3:
        raise DataError(f"{context}: fewer than 3 points above the noise in the vanadium peak")
    step_l = ee[1] - ee[0]
    step_r = ee[-1] - ee[-2]
    ee = np.concatenate([[ee[0] - step_l], ee, [ee[-1] + step_r]])
    rr = np.concatenate([[0.0], rr, [0.0]])
    area = np.trapezoid(rr, ee)
    if area <= 0:
        raise DataError(f"{context}: the vanadium peak has no area above the background")
    rr = rr / area
    center = float(np.trapezoid(rr * ee, ee))
    return ResolutionGroup(q=q, kind="tabulated", fwhm_meV=float(fwhm), center_meV=center,
                           energy=_ro(ee - center), values=_ro(rr))


def _fit_gaussians(q, e, y, dy, n, fwhm, center, context):
    from ..core.peakfit import PeakSpec, fit_peaks

    sel = np.abs(e - center) <= 8 * fwhm
    specs = [PeakSpec(f"g{k}", float(center), fwhm=float(fwhm) * (0.8 + 0.6 * k), shape="gaussian",
                      center_range=(center - fwhm, center + fwhm),
                      fwhm_range=(0.05 * fwhm, 10 * fwhm)) for k in range(n)]
    sig = None if dy is None else np.where(dy[sel] > 0, dy[sel], np.median(dy[sel][dy[sel] > 0]))
    res = fit_peaks(e[sel], y[sel], specs, sigma=sig, shape="gaussian", background="constant", context=context)
    if not res.report.converged:
        raise FitError(f"{context}: Gaussian fit of the vanadium failed ({res.report.message})")
    areas = np.array([b.area for b in res.bands])
    if np.any(areas <= 0):
        raise FitError(f"{context}: a Gaussian of the vanadium fit has non-positive area; use fewer Gaussians "
                       "or model='tabulated'")
    w = areas / areas.sum()
    c0 = float(np.sum(w * np.array([b.center for b in res.bands])))
    gauss = tuple((float(wk), float(b.center - c0), float(b.fwhm / _SQRT8LN2)) for wk, b in zip(w, res.bands))
    # FWHM of the fitted sum, measured on a fine grid
    x = np.linspace(-8 * fwhm, 8 * fwhm, 4001)
    g = ResolutionGroup(q=q, kind="gaussian", fwhm_meV=1.0, center_meV=0.0, gaussians=gauss)
    vals = g.evaluate(x)
    fw = _half_max_width(x, vals, int(np.argmax(vals))) or float(fwhm)
    return ResolutionGroup(q=q, kind="gaussian", fwhm_meV=float(fw), center_meV=c0, gaussians=gauss)


class Convolver:
    """δ and Lorentzian lines convolved with one resolution group, on one energy grid.

    ``delta(shift)`` is R(E − centre − shift); ``lorentzian(hwhm, shift)`` is the unit-area
    Lorentzian of HWHM ``hwhm`` (meV) centred at ``centre + shift``, convolved with R.
    """

    def __init__(self, group: ResolutionGroup, energy):
        self.group = group
        self.energy = np.asarray(energy, dtype=float)
        self._x = self.energy - group.center_meV
        self._lattice = None
        if group.kind == "tabulated":
            e, r = group.energy, group.values
            self._e, self._r = e, r
            d = np.diff(self.energy)
            if d.size and np.all(np.abs(d - d.mean()) <= 1e-4 * d.mean()):
                self._build_lattice(float(d.mean()))

    def _build_lattice(self, step):
        e, r = self.group.energy, self.group.values
        h_r = float(np.min(np.diff(e)))
        m = max(1, int(np.ceil(step / h_r - 1e-9)))
        h = step / m
        x0 = self._x[0]
        j_lo = int(np.floor((e[0] - x0) / h))
        j_hi = int(np.ceil((e[-1] - x0) / h))
        nodes = x0 + np.arange(j_lo, j_hi + 1) * h
        rl = np.interp(nodes, e, r, left=0.0, right=0.0)
        rl = rl / np.trapezoid(rl, nodes)
        s = np.diff(rl) / h
        nseg = s.size
        n = self._x.size
        # D_ij = x_i - node_j = (i*m - (j_lo + j)) * h = k * h,  k from -(j_hi) ... (n-1)*m - j_lo
        kmin = (0 - j_hi) - 1
        kmax = (n - 1) * m - j_lo
        self._lattice = dict(h=h, m=m, nodes=nodes, r=rl, s=s, nseg=nseg, kmin=kmin,
                             k=np.arange(kmin, kmax + 1) * h, j_lo=j_lo, n=n)

    def delta(self, shift: float = 0.0) -> np.ndarray:
        if self.group.kind == "tabulated":
            if self._lattice is not None:
                lat = self._lattice
                return np.interp(self._x - shift, lat["nodes"], lat["r"], left=0.0, right=0.0)
            return np.interp(self._x - shift, self._e, self._r, left=0.0, right=0.0)
        x = self._x - shift
        out = np.zeros_like(x)
        for w, c, s in self.group.gaussians:
            out += w * np.exp(-0.5 * ((x - c) / s) ** 2) / (s * np.sqrt(2 * np.pi))
        return out

    def lorentzian(self, hwhm: float, shift: float = 0.0) -> np.ndarray:
        g = float(hwhm)
        if not np.isfinite(g) or g < 0:
            raise FitError(f"Lorentzian HWHM must be finite and >= 0 (got {hwhm})")
        if g < 1e-12:
            return self.delta(shift)
        if self.group.kind != "tabulated":
            from scipy.special import voigt_profile

            x = self._x - shift
            out = np.zeros_like(x)
            for w, c, s in self.group.gaussians:
                out += w * voigt_profile(x - c, s, g)
            return out
        if self._lattice is not None:
            return self._lorentz_lattice(g, shift)
        return self._lorentz_direct(g, shift)

    def _lorentz_lattice(self, g, shift):
        lat = self._lattice
        d = lat["k"] - shift            # D values on the lattice, index k - kmin
        a = np.arctan(d / g) / np.pi
        lg = np.log(d * d + g * g) * (g / (2.0 * np.pi))
        da = a[1:] - a[:-1]             # A(D_k) - A(D_k - h), at index k (k from kmin+1)
        dl = lg[1:] - lg[:-1]
        b = d[1:] * da - dl
        # out_i = sum_j r_j dA(k) + s_j B(k),  k = i*m - (j_lo + j); arrays start at k = kmin + 1
        ca = np.convolve(da, lat["r"][:-1])
        cb = np.convolve(b, lat["s"])
        # full-convolution index t = (k - (kmin+1)) + j  ->  t = i*m - j_lo - kmin - 1
        t = np.arange(lat["n"]) * lat["m"] - lat["j_lo"] - lat["kmin"] - 1
        return ca[t] + cb[t]

    def _lorentz_direct(self, g, shift):
        e, r = self._e, self._r
        s = np.diff(r) / np.diff(e)
        d = (self._x - shift)[:, None] - e[None, :]
        a = np.arctan(d / g) / np.pi
        lg = np.log(d * d + g * g) * (g / (2.0 * np.pi))
        da = a[:, :-1] - a[:, 1:]
        dl = lg[:, :-1] - lg[:, 1:]
        return ((r[:-1] + s * d[:, :-1]) * da - s * dl).sum(axis=1)


