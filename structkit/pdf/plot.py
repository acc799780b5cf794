"""Figures of the PDF module; each function returns a matplotlib Figure (matplotlib imported inside)."""

from __future__ import annotations

import numpy as np

__all__ = ["plot_rpeaks", "plot_envelope", "plot_stack", "plot_waterfall", "plot_descriptors"]


def _axes(ax, figsize=(6.4, 4.0)):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, constrained_layout=True)
    else:
        fig = ax.figure
    return fig, ax


def plot_rpeaks(fit, ax=None):
    """G(r) in the window, the fitted sum, each shell (on the baseline) and the residual below."""
    fig, ax = _axes(ax)
    ax.plot(fit.r, fit.g_obs, "o", ms=2.5, color="0.25", label="G(r)")
    ax.plot(fit.r, fit.g_calc, color="C3", lw=1.3, label="fit")
    for lab, curve in zip(fit.labels, fit.g_peaks):
        ax.plot(fit.r, curve + fit.baseline, lw=0.9, ls="--", label=lab)
    ax.plot(fit.r, fit.baseline, color="0.6", lw=0.8, label="baseline")
    span = float(np.ptp(fit.g_obs)) or 1.0
    off = float(np.min(fit.g_obs)) - 0.15 * span
    ax.plot(fit.r, fit.g_obs - fit.g_calc + off, color="C2", lw=0.8, label="difference")
    ax.axhline(off, color="0.8", lw=0.5)
    ax.set(xlabel="r (Å)", ylabel="G(r) (Å⁻²)", title=fit.sample or fit.source or None)
    ax.legend(fontsize="small", frameon=False)
    return fig


def plot_envelope(fit, ax=None):
    """G(r) with ± the fitted envelope (amplitude method) or the data against s·f(r)·G_ref (reference)."""
    fig, ax = _axes(ax)
    if fit.method == "amplitude" and fit.r_data is not None:
        ax.plot(fit.r_data, fit.g_data, color="0.55", lw=0.6, label="G(r)")
        ax.plot(fit.r, fit.y_obs * np.sqrt(2), "o", ms=3, color="C0", label="√2 × local RMS")
        ax.plot(fit.r, fit.y_calc * np.sqrt(2), color="C3", lw=1.2, label=f"{fit.model} model")
        ax.plot(fit.r, -fit.y_calc * np.sqrt(2), color="C3", lw=1.2)
    else:
        ax.plot(fit.r, fit.y_obs, color="0.4", lw=0.8, label="G(r)")
        ax.plot(fit.r, fit.y_calc, color="C3", lw=1.0, label=f"reference × {fit.model} envelope")
    what = "D" if fit.model == "sphere" else "ξ"
    ax.set(xlabel="r (Å)", ylabel="G(r) (Å⁻²)",
           title=f"{fit.sample or fit.source or ''} {what} = {fit.size:.3g} ± {fit.size_stderr:.2g} Å".strip())
    ax.legend(fontsize="small", frameon=False)
    return fig


def plot_stack(curves, *, offset: float | None = None, rmax: float | None = None, ax=None, cmap: str = "viridis"):
    """Stacked G(r) of a series: ``curves`` is a list of (label, r, G); offset default 0.8 × the largest span."""
    import matplotlib as mpl
    fig, ax = _axes(ax, figsize=(6.4, 1.2 + 0.45 * max(len(curves), 4)))
    if not curves:
        return fig
    spans = [float(np.ptp(g[(r <= rmax) if rmax else slice(None)])) for _, r, g in curves]
    step = offset if offset is not None else 0.8 * max(spans)
    colours = mpl.colormaps[cmap](np.linspace(0, 0.9, len(curves)))
    for k, ((label, r, g), c) in enumerate(zip(curves, colours)):
        sel = (r <= rmax) if rmax else slice(None)
        ax.plot(r[sel], np.asarray(g)[sel] + k * step, color=c, lw=0.8)
        ax.text(r[sel][-1], k * step, f" {label}", va="center", fontsize="small", color=c)
    ax.set(xlabel="r (Å)", ylabel="G(r) + offset (Å⁻²)")
    return fig


def plot_waterfall(curves, *, rmax: float | None = None, ylabel: str = "", ax=None, cmap: str = "RdBu_r"):
    """G(r) of a series as a colour map: r across, one band per curve (in the given order) up."""
    fig, ax = _axes(ax, figsize=(6.4, 1.5 + 0.25 * max(len(curves), 6)))
    if not curves:
        return fig
    r0 = curves[0][1]
    grid = r0[r0 <= rmax] if rmax else r0
    z = np.array([np.interp(grid, r, g, left=np.nan, right=np.nan) for _, r, g in curves])
    lim = float(np.nanpercentile(np.abs(z), 99)) or 1.0
    mesh = ax.imshow(z, aspect="auto", origin="lower", cmap=cmap, vmin=-lim, vmax=lim,
                     extent=(grid[0], grid[-1], -0.5, len(curves) - 0.5), interpolation="nearest")
    ax.set_yticks(range(len(curves)), [lab for lab, _, _ in curves], fontsize="small")
    ax.set(xlabel="r (Å)", ylabel=ylabel)
    fig.colorbar(mesh, ax=ax, label="G(r) (Å⁻²)")
    return fig


def plot_descriptors(frame, names, *, condition: str, axes=None):
    """One panel per descriptor name vs the condition column of a long descriptor frame (error bars)."""
    import matplotlib.pyplot as plt
    names = list(names)
    if axes is None:
        fig, axes = plt.subplots(len(names), 1, figsize=(5.5, 1.9 * len(names) + 0.6), sharex=True,
                                 constrained_layout=True, squeeze=False)
        axes = axes[:, 0]
    else:
        fig = axes[0].figure
    for ax, name in zip(axes, names):
        sub = frame[frame["name"] == name].sort_values(condition)
        for sample, part in sub.groupby("sample", sort=False):
            ax.errorbar(part[condition], part["value"], yerr=part["stderr"].fillna(0.0), fmt="o-", ms=3,
                        lw=0.9, capsize=2, label=str(sample) if sub["sample"].nunique() > 1 else None)
        ax.set_ylabel(name, fontsize="small")
    axes[-1].set_xlabel(condition)
    if frame["sample"].nunique() > 1:
        axes[0].legend(fontsize="small", frameon=False)
    return fig
