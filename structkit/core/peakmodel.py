"""The peak shapes of the multi-peak engine and the vectorised model behind it.

A :class:`Shape` is a unit-area profile parameterised by its centre, its
full width at half maximum and zero to two shape parameters, with one
definition per shape of the three numbers every fit reports:

* **area** -- the integral over the whole real line (the fit parameter);
* **FWHM** -- the full width at half of the maximum (the fit parameter; for the
  Voigt the Olivero-Longbothum width of the convolution, exact to 0.02 %);
* **height** -- the maximum, ``area`` times :meth:`Shape.height` (at the centre
  for every shape here).

=============  ===========================  ==========================================
shape          shape parameters             profile
=============  ===========================  ==========================================
gaussian       --                           :func:`~structkit.core.lineshapes.gaussian`
lorentzian     --                           :func:`~structkit.core.lineshapes.lorentzian`
pvoigt         eta (Lorentzian fraction)    :func:`~structkit.core.lineshapes.pseudo_voigt`
voigt          lorentz_fraction fL/(fG+fL)  :func:`~structkit.core.lineshapes.voigt`
pearson7       m (1: Lorentzian, ∞: Gauss)  :func:`~structkit.core.lineshapes.pearson7`
split_pvoigt   eta, asymmetry               :func:`~structkit.core.lineshapes.split_pseudo_voigt`
=============  ===========================  ==========================================

:class:`PeakModel` evaluates a sum of such peaks on a Chebyshev polynomial
background, and its Jacobian: analytic for the Gaussian, Lorentzian and
pseudo-Voigt, by central differences of one peak at a time for the others (a
fit then costs a few model evaluations per iteration instead of one per
parameter).

Examples
--------
>>> import numpy as np
>>> s = get_shape("pvoigt")
>>> x = np.linspace(-60, 60, 240001)
>>> p = s.profile(x, 0.0, 2.0, {"eta": np.array(0.3)})
>>> round(float(np.trapezoid(p, x)), 3), round(float(p.max() / s.height(2.0, {"eta": 0.3})), 9)
(0.997, 1.0)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from .errors import FitError
from .lineshapes import (
    _G_NORM,
    _LN2,
    gaussian,
    integral_breadth_pseudo_voigt,
    lorentzian,
    pearson7,
    pearson7_height,
    split_pseudo_voigt,
    tch_fwhm_eta,
    voigt,
    voigt_widths,
)

__all__ = ["Shape", "SHAPES", "get_shape", "PeakModel"]


@dataclass(frozen=True)
class Shape:
    """A unit-area peak shape.

    Attributes
    ----------
    name : str
    extras : tuple of (name, default, min, max)
        The shape parameters beyond centre, FWHM and area.
    profile : callable
        ``profile(x, center, fwhm, extras) -> unit-area values``; ``extras`` maps
        the shape-parameter names to arrays broadcasting with ``center``.
    height : callable
        ``height(fwhm, extras) -> maximum of the unit-area profile``.
    eta : callable
        ``eta(fwhm, extras) -> Lorentzian fraction`` reported for every shape (the
        pseudo-Voigt mixing; for the Voigt that of the Thompson-Cox-Hastings
        pseudo-Voigt equivalent to it; NaN for Pearson VII).
    description : str
    """

    name: str
    extras: tuple[tuple[str, float, float, float], ...]
    profile: Callable
    height: Callable
    eta: Callable
    description: str = ""

    @property
    def extra_names(self) -> tuple[str, ...]:
        return tuple(e[0] for e in self.extras)


def _pv_height(fwhm, eta):
    return eta * 2.0 / (np.pi * fwhm) + (1.0 - eta) * _G_NORM / fwhm


def _voigt_profile(x, c, w, e):
    g, lo = voigt_widths(w, e["lorentz_fraction"])
    return voigt(x, c, g, lo)


def _voigt_height(w, e):
    g, lo = voigt_widths(w, e["lorentz_fraction"])
    return voigt(0.0, 0.0, g, lo)


def _voigt_eta(w, e):
    g, lo = voigt_widths(w, e["lorentz_fraction"])
    return tch_fwhm_eta(g, lo)[1]


SHAPES: dict[str, Shape] = {s.name: s for s in (
    Shape("gaussian", (), lambda x, c, w, e: gaussian(x, c, w),
          lambda w, e: _G_NORM / np.asarray(w, dtype=float), lambda w, e: 0.0, "Gaussian"),
    Shape("lorentzian", (), lambda x, c, w, e: lorentzian(x, c, w),
          lambda w, e: 2.0 / (np.pi * np.asarray(w, dtype=float)), lambda w, e: 1.0, "Lorentzian"),
    Shape("pvoigt", (("eta", 0.5, 0.0, 1.0),),
          lambda x, c, w, e: e["eta"] * lorentzian(x, c, w) + (1.0 - e["eta"]) * gaussian(x, c, w),
          lambda w, e: _pv_height(np.asarray(w, dtype=float), e["eta"]), lambda w, e: e["eta"],
          "pseudo-Voigt eta*L + (1-eta)*G with one FWHM"),
    Shape("voigt", (("lorentz_fraction", 0.5, 0.0, 1.0),), _voigt_profile, _voigt_height, _voigt_eta,
          "Voigt (Gaussian * Lorentzian); lorentz_fraction = FWHM_L / (FWHM_G + FWHM_L)"),
    Shape("pearson7", (("m", 2.0, 0.6, 100.0),),
          lambda x, c, w, e: pearson7(x, c, w, e["m"]), lambda w, e: pearson7_height(w, e["m"]),
          lambda w, e: np.nan, "Pearson VII; m = 1 Lorentzian, m -> inf Gaussian"),
    Shape("split_pvoigt", (("eta", 0.5, 0.0, 1.0), ("asymmetry", 0.0, -0.9, 0.9)),
          lambda x, c, w, e: split_pseudo_voigt(x, c, w, e["eta"], e["asymmetry"]),
          lambda w, e: 1.0 / (np.asarray(w, dtype=float) * integral_breadth_pseudo_voigt(1.0, e["eta"])),
          lambda w, e: e["eta"],
          "split pseudo-Voigt: FWHM (1-a) below the centre, (1+a) above; eta=0/1: split Gaussian/Lorentzian"),
)}

_ALIASES = {"gauss": "gaussian", "g": "gaussian", "lorentz": "lorentzian", "l": "lorentzian",
            "pv": "pvoigt", "pseudovoigt": "pvoigt", "pseudo-voigt": "pvoigt", "pseudo_voigt": "pvoigt",
            "pearson": "pearson7", "pearsonvii": "pearson7", "pearson_vii": "pearson7",
            "split": "split_pvoigt", "asymmetric": "split_pvoigt", "split_pseudo_voigt": "split_pvoigt",
            "split-pvoigt": "split_pvoigt"}


def get_shape(name: str | Shape) -> Shape:
    """The :class:`Shape` called ``name`` (aliases: ``pv``, ``pseudo-voigt``, ``gauss``, ``split`` ...).

    Examples
    --------
    >>> get_shape("Pseudo-Voigt").name
    'pvoigt'
    >>> get_shape("sinc")
    Traceback (most recent call last):
    ...
    structkit.core.errors.FitError: unknown peak shape 'sinc'; choose one of gaussian, lorentzian, pvoigt, voigt, pearson7, split_pvoigt
    """
    if isinstance(name, Shape):
        return name
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in SHAPES:
        raise FitError(f"unknown peak shape {name!r}; choose one of {', '.join(SHAPES)}")
    return SHAPES[key]


def chebyshev_basis(x: np.ndarray, degree: int) -> np.ndarray:
    """Chebyshev polynomials ``T_0 .. T_degree`` of ``x`` mapped onto [-1, 1]; shape ``(degree + 1, n)``."""
    x = np.asarray(x, dtype=float)
    lo, hi = float(x.min()), float(x.max())
    s = (2.0 * x - (lo + hi)) / (hi - lo) if hi > lo else np.zeros_like(x)
    return np.polynomial.chebyshev.chebvander(s, degree).T.copy()


class PeakModel:
    """A sum of peaks on a polynomial background, evaluated on a fixed x grid.

    Parameters
    ----------
    x : ndarray
    peaks : sequence of (name, Shape)
        Band names become parameter prefixes: ``{name}_center``, ``{name}_fwhm``,
        ``{name}_area`` and ``{name}_{extra}``.
    background_degree : int
        Degree of the Chebyshev background (``bg_c0 ...``); -1 for none.
    """

    def __init__(self, x, peaks: Sequence[tuple[str, Shape]], background_degree: int = -1):
        self.x = np.asarray(x, dtype=float)
        self.peaks = tuple((str(n), get_shape(s)) for n, s in peaks)
        self.background_degree = int(background_degree)
        self.basis = (chebyshev_basis(self.x, self.background_degree)
                      if self.background_degree >= 0 else np.zeros((0, self.x.size)))
        self.bg_names = tuple(f"bg_c{k}" for k in range(self.background_degree + 1))
        names: list[str] = []
        for n, s in self.peaks:
            names += [f"{n}_center", f"{n}_fwhm", f"{n}_area", *(f"{n}_{e}" for e in s.extra_names)]
        self.param_names = tuple(names) + self.bg_names
        self._index = {k: i for i, k in enumerate(self.param_names)}
        # peaks grouped by shape, so that each group is one (k, n) array operation
        groups: dict[str, list[int]] = {}
        for i, (_, s) in enumerate(self.peaks):
            groups.setdefault(s.name, []).append(i)
        self._groups = [(SHAPES[k] if k in SHAPES else self.peaks[idx[0]][1], np.array(idx))
                        for k, idx in groups.items()]

    # -- values ------------------------------------------------------------------------------
    def _group_values(self, v: Mapping[str, float], shape: Shape, idx: np.ndarray):
        names = [self.peaks[i][0] for i in idx]
        c = np.array([v[f"{n}_center"] for n in names])[:, None]
        w = np.array([v[f"{n}_fwhm"] for n in names])[:, None]
        a = np.array([v[f"{n}_area"] for n in names])[:, None]
        e = {k: np.array([v[f"{n}_{k}"] for n in names])[:, None] for k in shape.extra_names}
        return names, c, w, a, e

    def background(self, v: Mapping[str, float]) -> np.ndarray:
        if not self.bg_names:
            return np.zeros_like(self.x)
        return np.array([v[k] for k in self.bg_names]) @ self.basis

    def components(self, v: Mapping[str, float]) -> dict[str, np.ndarray]:
        """Each peak's contribution (area times unit profile), keyed by band name."""
        out = {}
        for shape, idx in self._groups:
            names, c, w, a, e = self._group_values(v, shape, idx)
            prof = a * shape.profile(self.x, c, w, e)
            out.update(zip(names, prof))
        return {n: out[n] for n, _ in self.peaks}

    def evaluate(self, v: Mapping[str, float]) -> np.ndarray:
        total = self.background(v)
        for shape, idx in self._groups:
            _, c, w, a, e = self._group_values(v, shape, idx)
            total = total + (a * shape.profile(self.x, c, w, e)).sum(axis=0)
        return total

    # -- derivatives --------------------------------------------------------------------------
    def jacobian(self, v: Mapping[str, float]) -> np.ndarray:
        """d model / d parameter for every name in :attr:`param_names`; shape ``(n, n_params)``."""
        jac = np.empty((self.x.size, len(self.param_names)))
        for shape, idx in self._groups:
            names, c, w, a, e = self._group_values(v, shape, idx)
            derivs = _ANALYTIC.get(shape.name)
            if derivs is not None:
                prof, d = derivs(self.x, c, w, e)
            else:
                prof, d = _numeric_derivatives(shape, self.x, c, w, e)
            for j, n in enumerate(names):
                jac[:, self._index[f"{n}_area"]] = prof[j]
                jac[:, self._index[f"{n}_center"]] = a[j] * d["center"][j]
                jac[:, self._index[f"{n}_fwhm"]] = a[j] * d["fwhm"][j]
                for k in shape.extra_names:
                    jac[:, self._index[f"{n}_{k}"]] = a[j] * d[k][j]
        for k, name in enumerate(self.bg_names):
            jac[:, self._index[name]] = self.basis[k]
        return jac


def _gauss_derivs(x, c, w):
    u = (x - c) / w
    g = _G_NORM / w * np.exp(-4.0 * _LN2 * u * u)
    return g, g * (8.0 * _LN2 * u / w), g * (8.0 * _LN2 * u * u - 1.0) / w


def _lorentz_derivs(x, c, w):
    d = x - c
    h = 0.5 * w
    den = d * d + h * h
    lo = h / np.pi / den
    return lo, lo * 2.0 * d / den, lo * (1.0 / w - h / den)


def _d_gaussian(x, c, w, e):
    g, dc, dw = _gauss_derivs(x, c, w)
    return g, {"center": dc, "fwhm": dw}


def _d_lorentzian(x, c, w, e):
    lo, dc, dw = _lorentz_derivs(x, c, w)
    return lo, {"center": dc, "fwhm": dw}


def _d_pvoigt(x, c, w, e):
    eta = e["eta"]
    g, gc, gw = _gauss_derivs(x, c, w)
    lo, lc, lw = _lorentz_derivs(x, c, w)
    return (eta * lo + (1.0 - eta) * g,
            {"center": eta * lc + (1.0 - eta) * gc, "fwhm": eta * lw + (1.0 - eta) * gw, "eta": lo - g})


_ANALYTIC = {"gaussian": _d_gaussian, "lorentzian": _d_lorentzian, "pvoigt": _d_pvoigt}


def _numeric_derivatives(shape: Shape, x, c, w, e):
    """Central differences of the unit-area profile, one parameter at a time (one peak group)."""
    prof = shape.profile(x, c, w, e)
    h = 1e-6 * np.maximum(np.abs(w), 1e-12)
    d = {"center": (shape.profile(x, c + h, w, e) - shape.profile(x, c - h, w, e)) / (2.0 * h),
         "fwhm": (shape.profile(x, c, w + h, e) - shape.profile(x, c, w - h, e)) / (2.0 * h)}
    for k, _default, lo, hi in shape.extras:
        h = 1e-6 * max(hi - lo, 1e-6)
        val = e[k]
        # one-sided at the bounds so that the profile stays defined
        up_v = np.minimum(val + h, hi)
        dn_v = np.maximum(val - h, lo)
        up = shape.profile(x, c, w, {**e, k: up_v})
        dn = shape.profile(x, c, w, {**e, k: dn_v})
        d[k] = (up - dn) / (up_v - dn_v)
    return prof, d
