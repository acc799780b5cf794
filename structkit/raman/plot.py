"""Figures for Raman and NMR band fits.

Each function takes a result and ``ax=None``, labels its axes with units and returns the Figure.
matplotlib is imported inside the functions only; nothing calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_band_fit", "plot_baseline", "plot_series", "plot_stack"]

_XLABEL = {"cm-1": "Raman shift (cm$^{-1}$)", "ppm": "chemical shift (ppm)", "Hz": "frequency (Hz)"}


def _xlabel(unit: str) -> str:
    return _XLABEL.get(unit, f"x ({unit})" if unit else "x")


def _title(result) -> str:
    conds = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.conditions.items())
    name = result.sample or (result.source.rsplit("/", 1)[-1] if result.source else "")
    return name + (f" ({conds})" if conds else "")


def plot_band_fit(result, ax=None):
    """Baseline-corrected data (dots), fit, each band and the residual below; NMR axes run high to low."""
    import matplotlib.pyplot as plt
    fit = result.fit
    if ax is None:
        fig, (ax, axr) = plt.subplots(2, 1, figsize=(6.6, 4.8), sharex=True,
                                      gridspec_kw={"height_ratios": [3.2, 1.0], "hspace": 0.05})
    else:
        fig, axr = ax.figure, None
    x = fit.x
    ax.plot(x, fit.y, "o", ms=2.0, color="0.3", label="data")
    ax.plot(x, fit.best_fit, "-", color="k", lw=1.2, label="fit")
    for k, (name, comp) in enumerate(fit.components.items()):
        ax.fill_between(x, fit.background, comp + fit.background, alpha=0.25, color=f"C{k % 10}", lw=0)
        ax.plot(x, comp + fit.background, "-", lw=0.9, color=f"C{k % 10}", label=name)
    if np.any(fit.background):
        ax.plot(x, fit.background, "--", color="0.5", lw=0.8, label="background")
    ax.set_ylabel(f"intensity ({result.spectrum.y_unit or 'a.u.'})")
    state = "" if fit.converged else "  [NOT converged]"
    ax.set_title(f"{_title(result)}  χ²ν={fit.redchi:.3g}{state}", fontsize=9)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    if axr is not None:
        r = fit.y - fit.best_fit
        if fit.sigma is not None:
            r = r / fit.sigma
            axr.set_ylabel("resid./σ")
        else:
            axr.set_ylabel("residual")
        axr.plot(x, r, "-", color="C2", lw=0.8)
        axr.axhline(0, color="0.5", lw=0.5)
        axr.set_xlabel(_xlabel(fit.x_unit))
    else:
        ax.set_xlabel(_xlabel(fit.x_unit))
    if fit.x_unit == "ppm":
        ax.invert_xaxis()
    return fig


def plot_baseline(result, ax=None):
    """Spectrum, baseline and the corrected spectrum; anchor windows shaded for the ``poly`` method."""
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 4.0))
    else:
        fig = ax.figure
    ax.plot(result.x, result.y, "-", color="0.3", lw=0.9, label="spectrum")
    ax.plot(result.x, result.baseline, "-", color="C3", lw=1.2, label=f"baseline ({result.method})")
    ax.plot(result.x, result.corrected.y, "-", color="C0", lw=0.8, label="corrected")
    for lo, hi in result.params.get("anchors", ()) or ():
        ax.axvspan(lo, hi, color="C1", alpha=0.15, lw=0)
    ax.set_xlabel(_xlabel(result.corrected.x_unit))
    ax.set_ylabel(f"intensity ({result.corrected.y_unit or 'a.u.'})")
    ax.legend(fontsize=8, frameon=False)
    return fig


def plot_stack(results, *, offset: float | None = None, ax=None, cmap: str = "viridis"):
    """Baseline-corrected spectra and fits of a series, offset vertically in series order."""
    import matplotlib.pyplot as plt
    results = list(results)
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.4, 1.5 + 0.6 * len(results)))
    else:
        fig = ax.figure
    colors = plt.get_cmap(cmap)(np.linspace(0.05, 0.9, max(len(results), 1)))
    if offset is None:
        offset = 0.8 * max((float(np.ptp(r.fit.y)) for r in results), default=1.0)
    for i, (r, c) in enumerate(zip(results, colors)):
        ax.plot(r.fit.x, r.fit.y + i * offset, "-", color=c, lw=0.8)
        ax.plot(r.fit.x, r.fit.best_fit + i * offset, "--", color="k", lw=0.6)
        ax.text(r.fit.x[-1], i * offset + float(r.fit.y[-1]), " " + _title(r), fontsize=7, va="center")
    if results:
        ax.set_xlabel(_xlabel(results[0].fit.x_unit))
        if results[0].fit.x_unit == "ppm":
            ax.invert_xaxis()
    ax.set_ylabel("intensity + offset")
    return fig


def plot_series(frame, *, condition: str, quantities=("center", "fwhm", "area"), unit: str = "cm1", axes=None):
    """Band centre, FWHM and area (with error bars) against the series condition, one line per band."""
    import matplotlib.pyplot as plt
    qs = list(quantities)
    if axes is None:
        fig, axes = plt.subplots(len(qs), 1, figsize=(5.6, 2.2 * len(qs) + 0.6), sharex=True)
        axes = np.atleast_1d(axes)
    else:
        axes = np.atleast_1d(axes)
        fig = axes[0].figure
    for a, q in zip(axes, qs):
        col = f"{q}_{unit}" if q in ("center", "fwhm") else q
        err = f"{q}_stderr_{unit}" if q in ("center", "fwhm") else f"{q}_stderr"
        for k, (band, g) in enumerate(frame.groupby("band", sort=False)):
            g = g.sort_values(condition)
            a.errorbar(g[condition], g[col], yerr=g[err] if err in g else None, fmt="o-", ms=3, lw=1,
                       color=f"C{k % 10}", label=band, capsize=2)
        a.set_ylabel(col.replace("_cm1", " (cm$^{-1}$)").replace("_ppm", " (ppm)").replace("_hz", " (Hz)"))
    axes[-1].set_xlabel(condition)
    axes[0].legend(fontsize=7, ncol=3, frameon=False)
    return fig
