"""Figures for QENS fits.

Each function returns a matplotlib Figure; matplotlib is imported inside the functions only and
nothing calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

from ..core.units import K_B_EV

__all__ = ["plot_resolution", "plot_per_q", "plot_global", "plot_eisf", "plot_hwhm", "plot_arrhenius",
           "plot_series"]


def _grid(n, max_cols=4):
    import matplotlib.pyplot as plt

    cols = min(max_cols, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(2.6 * cols + 0.6, 2.2 * rows + 0.6), squeeze=False,
                             sharex=True)
    for ax in axes.ravel()[n:]:
        ax.set_visible(False)
    return fig, axes.ravel()[:n]


def _spectrum(ax, e, s, ds, fit, comps, q, log=True):
    ax.errorbar(e, s, yerr=ds, fmt="o", ms=1.6, lw=0.5, color="0.35", zorder=1)
    ax.plot(e, fit, "-", color="k", lw=1.0, zorder=3)
    for k, (name, c) in enumerate(comps.items()):
        ax.plot(e, c, "-", lw=0.8, color=f"C{k}", label=name, zorder=2)
    if log:
        pos = np.asarray(fit)[np.asarray(fit) > 0]
        if pos.size:
            ax.set_yscale("log")
            ax.set_ylim(max(pos.min() * 0.3, pos.max() * 1e-4), pos.max() * 3)
    ax.set_title(f"Q = {q:.3g} Å$^{{-1}}$", fontsize=8)
    ax.tick_params(labelsize=7)


def plot_resolution(resolution, ax=None):
    """Every resolution group (normalised, on its own centre)."""
    import matplotlib.pyplot as plt

    fig, ax = (plt.subplots(figsize=(5.2, 3.6)) if ax is None else (ax.figure, ax))
    for k, g in enumerate(resolution.groups):
        lo, hi = g.support
        e = np.linspace(lo, hi, 400)
        ax.plot(e - g.center_meV, g.evaluate(e), lw=0.9, color=plt.cm.viridis(k / max(len(resolution.groups) - 1, 1)),
                label=f"Q={g.q:.3g}" if np.isfinite(g.q) else None)
    ax.set_xlabel("energy transfer − centre (meV)")
    ax.set_ylabel("R(E) (1/meV)")
    ax.set_title(f"resolution ({resolution.meta.get('model', '')}), FWHM {np.median(resolution.fwhm_meV):.4g} meV",
                 fontsize=9)
    if len(resolution.groups) <= 12:
        ax.legend(fontsize=6, frameon=False)
    return fig


def plot_per_q(result, *, log: bool = True):
    """Spectra with fit, elastic and Lorentzian components per Q, then EISF(Q) and HWHM(Q)."""
    fig, axes = _grid(len(result.groups) + 2)
    for ax, g in zip(axes, result.groups):
        bg = g.components.get("background", np.zeros_like(g.best_fit))
        comps = {k: c + bg for k, c in g.components.items() if k != "background"}
        _spectrum(ax, g.energy, g.s, g.ds, g.best_fit, comps, g.q, log=log)
    axes[0].legend(fontsize=6, frameon=False)
    for ax in axes[:len(result.groups)]:
        ax.set_xlabel("E (meV)", fontsize=7)
    ax = axes[len(result.groups)]
    ax.errorbar(result.q, result.eisf, yerr=result.eisf_stderr, fmt="o", ms=3, color="k")
    ax.set_xlabel("Q (Å$^{-1}$)", fontsize=7)
    ax.set_ylabel("EISF", fontsize=7)
    ax.tick_params(labelsize=7, labelbottom=True)
    ax = axes[len(result.groups) + 1]
    ax.errorbar(result.q, result.hwhm_meV, yerr=result.hwhm_stderr_meV, fmt="s", ms=3, color="C3")
    ax.set_xlabel("Q (Å$^{-1}$)", fontsize=7)
    ax.set_ylabel("HWHM (meV)", fontsize=7)
    ax.tick_params(labelsize=7, labelbottom=True)
    t = "" if result.temperature_K is None else f" at {result.temperature_K:g} K"
    fig.suptitle(f"{result.sample or 'QENS'}{t}: elastic + Lorentzian fits per Q", fontsize=9)
    fig.tight_layout()
    return fig


def plot_global(result, *, log: bool = True):
    """Spectra with the global (Q, E) fit per Q, and the model EISF(Q)."""
    n = result.q.size
    fig, axes = _grid(n + 1)
    for i, ax in enumerate(axes[:n]):
        c = result.components[i]
        _spectrum(ax, result.energy[i], result.s[i], result.ds[i], result.best_fit[i],
                  {"model": c["model"], "background": c["background"]}, result.q[i], log=log)
        ax.set_xlabel("E (meV)", fontsize=7)
    ax = axes[n]
    q = np.linspace(0, max(result.q.max() * 1.1, 0.1), 200)
    ax.plot(q, result.eisf(q), "-", color="k")
    ax.plot(result.q, result.eisf(), "o", ms=3, color="k")
    ax.set_xlabel("Q (Å$^{-1}$)", fontsize=7)
    ax.set_ylabel("model EISF", fontsize=7)
    ax.tick_params(labelsize=7, labelbottom=True)
    t = "" if result.temperature_K is None else f" at {result.temperature_K:g} K"
    tau = result.values.get("tau_ps")
    extra = "" if tau is None else f", τ = {tau:.4g} ± {result.stderr.get('tau_ps', np.nan):.2g} ps"
    fig.suptitle(f"{result.sample or 'QENS'}{t}: global fit {result.law.name}{extra}", fontsize=9)
    fig.tight_layout()
    return fig


def plot_eisf(q, eisf, eisf_stderr=None, *, fits=(), ax=None, label="data"):
    """EISF(Q) points with the curves of :class:`~structkit.qens.fit.EISFFit` results."""
    import matplotlib.pyplot as plt

    fig, ax = (plt.subplots(figsize=(4.8, 3.6)) if ax is None else (ax.figure, ax))
    ax.errorbar(q, eisf, yerr=eisf_stderr, fmt="o", ms=3.5, color="k", label=label)
    qq = np.linspace(0, np.nanmax(q) * 1.1, 300)
    for k, f in enumerate(fits):
        ax.plot(qq, f.curve(qq), "-", color=f"C{k}", label=f"{f.model}: {f.size_name}={f.values[f.size_name]:.3g}")
    ax.set_xlabel("Q (Å$^{-1}$)")
    ax.set_ylabel("EISF")
    ax.set_ylim(0, 1.05)
    ax.legend(fontsize=7, frameon=False)
    return fig


def plot_hwhm(q, hwhm, hwhm_stderr=None, *, curves=(), ax=None):
    """HWHM(Q) with optional ``(label, q, hwhm)`` model curves (e.g. a linewidth law)."""
    import matplotlib.pyplot as plt

    fig, ax = (plt.subplots(figsize=(4.8, 3.6)) if ax is None else (ax.figure, ax))
    ax.errorbar(q, hwhm, yerr=hwhm_stderr, fmt="s", ms=3.5, color="k", label="per-Q fit")
    for k, (lab, qq, g) in enumerate(curves):
        ax.plot(qq, g, "-", color=f"C{k}", label=lab)
    ax.set_xlabel("Q (Å$^{-1}$)")
    ax.set_ylabel("HWHM (meV)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def plot_arrhenius(arr, ax=None):
    """ln τ against 1000/T with the Arrhenius line."""
    import matplotlib.pyplot as plt

    fig, ax = (plt.subplots(figsize=(4.8, 3.6)) if ax is None else (ax.figure, ax))
    t = np.asarray(arr.temperature_K)
    ax.errorbar(1000.0 / t, arr.tau_ps, yerr=arr.tau_stderr_ps, fmt="o", ms=4, color="k", label=arr.quantity)
    tt = np.linspace(t.min() * 0.97, t.max() * 1.03, 100)
    ax.plot(1000.0 / tt, arr.tau0_ps * np.exp(arr.ea_eV / (K_B_EV * tt)), "-", color="C3",
            label=f"Ea = {arr.ea_eV:.3f} ± {arr.ea_stderr_eV:.3f} eV")
    ax.set_yscale("log")
    ax.set_xlabel("1000/T (K$^{-1}$)")
    ax.set_ylabel(f"{arr.quantity.replace('_ps', '')} (ps)")
    ax.legend(fontsize=7, frameon=False)
    return fig


def plot_series(series):
    """Arrhenius of τ (and of the libration time) and the model EISF at every temperature."""
    import matplotlib.pyplot as plt

    panels = 1 + (series.arrhenius is not None) + (series.libration_arrhenius is not None)
    fig, axes = plt.subplots(1, panels, figsize=(4.4 * panels, 3.6), squeeze=False)
    axes = axes.ravel()
    k = 0
    for arr in (series.arrhenius, series.libration_arrhenius):
        if arr is not None:
            plot_arrhenius(arr, ax=axes[k])
            k += 1
    ax = axes[k]
    for j, r in enumerate(series.results):
        q = np.linspace(0, r.q.max() * 1.1, 200)
        ax.plot(q, r.eisf(q), "-", color=plt.cm.plasma(j / max(len(series.results) - 1, 1)),
                label=f"{r.temperature_K:g} K" if r.temperature_K else None)
    ax.set_xlabel("Q (Å$^{-1}$)")
    ax.set_ylabel("model EISF")
    ax.legend(fontsize=7, frameon=False)
    fig.tight_layout()
    return fig
