"""Baselines of Raman spectra (fluorescence, sample holder): pybaselines behind one function.

========== ================================================================== ==========================
method     what                                                               knobs
========== ================================================================== ==========================
poly       polynomial least squares on anchor windows free of bands            ``anchors``, ``poly_order``
           (the rampy/Origin way)
modpoly    iterative polynomial that sinks under the bands (Lieber 2003)       ``poly_order``
imodpoly   improved modpoly (Zhao 2007)                                       ``poly_order``
asls       asymmetric least squares (Eilers & Boelens 2005)                   ``lam``, ``p``
arpls      asymmetrically reweighted penalised LS (Baek 2015)                 ``lam``
airpls     adaptive iteratively reweighted penalised LS (Zhang 2010)          ``lam``
rubberband lower convex hull                                                  ``segments``
snip       statistics-sensitive non-linear iterative peak clipping            ``max_half_window``
========== ================================================================== ==========================

``lam="auto"`` (the default for the Whittaker methods) picks the smoothness by
the extended-range criterion of Zhang et al., Sensors 20, 2015 (2020), as
pybaselines' ``optimize_extended_range`` implements it: the spectrum is padded
with a known baseline carrying a Gaussian, and the ``lam`` that recovers the
padding best is kept (recorded in ``params['lam']``).

Examples
--------
>>> import numpy as np
>>> from structkit.core.lineshapes import gaussian
>>> x = np.linspace(100, 1000, 1801)
>>> bg = 200 + 0.3 * x + 1e-4 * (x - 500) ** 2
>>> y = bg + 5e3 * gaussian(x, 400, 12) + 3e3 * gaussian(x, 700, 20)
>>> b = fit_baseline((x, y), "poly", anchors=[(100, 300), (480, 620), (800, 1000)], poly_order=2)
>>> round(float(np.max(np.abs(b.baseline - bg))), 6)
0.0
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..core.errors import ConfigError, DataError, MissingDependencyError
from ..core.frozen import FrozenMap
from ..core.measurement import Measurement
from ..core.summary import SummaryRepr
from ._common import as_spectrum

__all__ = ["BaselineResult", "fit_baseline", "refine_baseline", "lam_for_width", "BASELINE_METHODS"]

BASELINE_METHODS = ("poly", "modpoly", "imodpoly", "asls", "arpls", "airpls", "rubberband", "snip")
_WHITTAKER = ("asls", "arpls", "airpls")


@dataclass(frozen=True, repr=False)
class BaselineResult(SummaryRepr):
    """A baseline, the corrected spectrum and how they were made."""

    x: np.ndarray
    y: np.ndarray
    baseline: np.ndarray
    corrected: Measurement
    method: str
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "params", FrozenMap(dict(self.params)))

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame({"x": self.x, "y": self.y, "baseline": self.baseline, "corrected": self.corrected.y})

    def summary(self) -> str:
        knobs = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in self.params.items())
        return f"baseline {self.method} ({knobs}) on {self.x.size} points"

    def plot(self, ax=None):
        """Spectrum with its baseline (and the anchor windows for ``poly``)."""
        from .plot import plot_baseline
        return plot_baseline(self, ax=ax)


def lam_for_width(fwhm: float, step: float, factor: float = 8.0) -> float:
    """Whittaker ``lam`` (second differences) that leaves bands of FWHM ``fwhm`` alone.

    The smoother's response falls to one half at a period of ``2π lam^(1/4)`` points;
    asking that period to be ``factor`` band widths gives ``lam = (factor w / 2π)^4``
    with ``w`` in points.

    Examples
    --------
    >>> f"{lam_for_width(60.0, 1.0):.2g}"
    '3.4e+07'
    """
    w = float(fwhm) / float(step)
    return float((factor * w / (2.0 * np.pi)) ** 4)


def _pybaselines():
    try:
        import pybaselines
    except ImportError:  # pragma: no cover - a core dependency
        raise MissingDependencyError("baselines need pybaselines; pip install pybaselines") from None
    return pybaselines


def _anchor_mask(x, anchors, source) -> np.ndarray:
    if not anchors:
        raise ConfigError("baseline 'poly' needs anchor windows free of bands: anchors=[(lo, hi), ...]",
                          path=source or None)
    mask = np.zeros(x.size, bool)
    for win in anchors:
        try:
            lo, hi = sorted(float(v) for v in win)
        except (TypeError, ValueError):
            raise ConfigError(f"anchor window {win!r} is not a (low, high) pair", path=source or None) from None
        sel = (x >= lo) & (x <= hi)
        if not sel.any():
            raise DataError(f"anchor window {lo:g}-{hi:g} holds no data points (data {x[0]:g}-{x[-1]:g})",
                            path=source or None)
        mask |= sel
    return mask


def fit_baseline(spectrum, method: str = "arpls", *, lam: float | str = "auto", p: float = 0.01,
                 poly_order: int = 2, anchors: Sequence[Sequence[float]] | None = None, segments: int = 1,
                 max_half_window: int | None = None, lam_range: tuple[float, float] = (2.0, 9.0),
                 band_fwhm: float | None = None, **method_kwargs) -> BaselineResult:
    """Fit a baseline and subtract it.

    Parameters
    ----------
    spectrum : Measurement or (x, y)
    method : str
        One of :data:`BASELINE_METHODS` (see the module docstring).
    lam : float or "auto"
        Smoothness of the Whittaker methods. ``auto``: from ``band_fwhm`` when given
        (:func:`lam_for_width`), else by the extended-range criterion over
        ``10**lam_range[0]`` to ``10**lam_range[1]`` in half decades.
    band_fwhm : float, optional
        FWHM of the broadest band (x units), for ``lam="auto"``.
    p : float
        Asymmetry of ``asls``.
    poly_order : int
        Degree for ``poly``, ``modpoly``, ``imodpoly``.
    anchors : sequence of (low, high)
        Band-free windows for ``poly``.
    segments : int
        Convex hulls for ``rubberband``.
    max_half_window : int, optional
        Clipping half window (points) for ``snip``; default 1/20 of the points.
    **method_kwargs
        Passed to the pybaselines method.

    Returns
    -------
    BaselineResult
        ``corrected`` carries ``meta['baseline']``.
    """
    m = as_spectrum(spectrum)
    method = str(method).strip().lower()
    if method not in BASELINE_METHODS:
        raise ConfigError(f"unknown baseline method {method!r}; choose one of {', '.join(BASELINE_METHODS)}",
                          path=m.source or None)
    x, y = np.asarray(m.x, dtype=float), np.asarray(m.y, dtype=float)
    params: dict[str, object] = {}
    if method == "poly":
        mask = _anchor_mask(x, anchors, m.source)
        if mask.sum() <= poly_order:
            raise DataError(f"{int(mask.sum())} anchor points cannot fix a polynomial of degree {poly_order}; "
                            "widen the anchor windows", path=m.source or None)
        coef = np.polynomial.Polynomial.fit(x[mask], y[mask], poly_order)
        base = coef(x)
        params.update(poly_order=int(poly_order), anchors=[tuple(map(float, a)) for a in anchors],
                      anchor_points=int(mask.sum()))
    else:
        fitter = _pybaselines().Baseline(x_data=x)
        if method in _WHITTAKER:
            kws = dict(method_kwargs)
            if method == "asls":
                kws.setdefault("p", p)
            if isinstance(lam, str):
                if lam != "auto":
                    raise ConfigError(f"lam={lam!r}: give a number or 'auto'", path=m.source or None)
                if band_fwhm is not None and band_fwhm > 0:
                    lam_v = lam_for_width(band_fwhm, float(np.median(np.diff(x))))
                    base, _ = getattr(fitter, method)(y, lam=lam_v, **kws)
                    params.update(lam=lam_v, lam_choice=f"auto (8 x broadest band, {band_fwhm:.4g})")
                else:
                    lo, hi = lam_range
                    base, info = fitter.optimize_extended_range(y, method=method, min_value=lo, max_value=hi,
                                                                step=0.5, method_kwargs=kws)
                    lam_v = float(info["optimal_parameter"])
                    params.update(lam=lam_v, lam_choice="auto (extended range)")
            else:
                lam_v = float(lam)
                if not lam_v > 0:
                    raise ConfigError(f"lam must be positive, got {lam}", path=m.source or None)
                base, _ = getattr(fitter, method)(y, lam=lam_v, **kws)
                params.update(lam=lam_v)
            if method == "asls":
                params["p"] = float(kws["p"])
        elif method in ("modpoly", "imodpoly"):
            base, _ = getattr(fitter, method)(y, poly_order=int(poly_order), **method_kwargs)
            params["poly_order"] = int(poly_order)
        elif method == "rubberband":
            base, _ = fitter.rubberband(y, segments=int(segments), **method_kwargs)
            params["segments"] = int(segments)
        else:  # snip
            hw = int(max_half_window or max(x.size // 20, 3))
            base, _ = fitter.snip(y, max_half_window=hw, **method_kwargs)
            params["max_half_window"] = hw
    base = np.asarray(base, dtype=float)
    if not np.all(np.isfinite(base)):
        raise DataError(f"baseline {method} returned non-finite values; check the spectrum for gaps",
                        path=m.source or None)
    base.setflags(write=False)
    corrected = m.replace(y=y - base, meta={**m.meta, "baseline": method,
                                            **{f"baseline_{k}": v for k, v in params.items()
                                               if isinstance(v, (int, float, str))}})
    return BaselineResult(x=m.x, y=m.y, baseline=base, corrected=corrected, method=method, params=params)


def refine_baseline(spectrum, bands_model, previous: BaselineResult, *,
                    band_fwhm: float | None = None) -> BaselineResult:
    """The baseline again, from the spectrum minus the fitted bands (one pass of a band-aware baseline).

    A baseline fitted under the bands takes a share of broad bands with it; with the
    bands subtracted what is left is background and noise, so a symmetric smoother
    (Whittaker with the ``lam`` of ``previous``, stiffened to leave bands of
    ``band_fwhm`` alone; for polynomial methods the same degree over the whole
    range) estimates it without that bias. Alternating this with
    the band fit converges to a consistent split of the spectrum.
    """
    m = as_spectrum(spectrum)
    x, y = np.asarray(m.x, dtype=float), np.asarray(m.y, dtype=float)
    rest = y - np.asarray(bands_model, dtype=float)
    if previous.method in ("poly", "modpoly", "imodpoly"):
        order = int(previous.params.get("poly_order", 2))
        base = np.polynomial.Polynomial.fit(x, rest, order)(x)
    else:
        lam = float(previous.params.get("lam", 1e6))
        if band_fwhm is not None and band_fwhm > 0:
            lam = max(lam, lam_for_width(band_fwhm, float(np.median(np.diff(x)))))
        fitter = _pybaselines().Baseline(x_data=x)
        base, _ = fitter.asls(rest, lam=lam, p=0.5)        # p = 1/2: a plain, symmetric Whittaker smoother
    base = np.asarray(base, dtype=float)
    base.setflags(write=False)
    params = {**previous.params, "refined": int(previous.params.get("refined", 0)) + 1}
    if previous.method not in ("poly", "modpoly", "imodpoly"):
        params["lam_refined"] = lam
    corrected = m.replace(y=y - base, meta={**m.meta, "baseline": previous.method,
                                            "baseline_refined": params["refined"]})
    return BaselineResult(x=m.x, y=m.y, baseline=base, corrected=corrected, method=previous.method, params=params)
