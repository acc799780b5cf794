"""Figures for each XAS step: normalized μ(E) with E0, χ(k), |χ(R)|, and shell fits in k and R.

matplotlib is imported inside each function. Every function takes an optional
``ax`` (or ``axes``) and returns the Axes it drew on.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_normalized", "plot_chik", "plot_chir", "plot_shell_fit"]

R_LABEL = "R (Å, not phase-corrected)"


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt
        _, ax = plt.subplots(figsize=(6, 4), constrained_layout=True)
    return ax


def _title(obj) -> str:
    return obj.sample or (obj.source.rsplit("/", 1)[-1] if obj.source else "")


def plot_normalized(res, ax=None, *, flat: bool = True):
    """Normalized (or flattened) μ(E), E0 (both estimates) and the white line."""
    ax = _axes(ax)
    y = np.asarray(res.flat if flat else res.norm)
    ax.plot(res.energy, y, color="C0", lw=1.2, label="flattened" if flat else "normalized")
    ax.axvline(res.e0, color="C3", lw=0.8, label=f"E0 {res.e0:.2f} eV ({res.settings.get('e0_method')})")
    if np.isfinite(res.e0_half_step) and abs(res.e0_half_step - res.e0) > 1e-6:
        ax.axvline(res.e0_half_step, color="C1", lw=0.8, ls="--", label=f"half step {res.e0_half_step:.2f} eV")
    if np.isfinite(res.white_line_energy):
        ax.plot([res.white_line_energy], [res.white_line_height], "v", color="C2",
                label=f"white line {res.white_line_energy:.2f} eV")
    lo = res.e0 + min(-40.0, float(res.settings.get("pre2", -30.0)))
    ax.set_xlim(max(res.energy[0], lo), min(res.energy[-1], res.e0 + 120.0))
    ax.set_xlabel("energy (eV)")
    ax.set_ylabel("normalized μ(E)")
    ax.set_title(_title(res))
    ax.legend(fontsize=8)
    return ax


def plot_chik(ex, ax=None, *, kweight: float = 2):
    """k^w·χ(k)."""
    ax = _axes(ax)
    ax.plot(ex.k, ex.chik(kweight), color="C0", lw=1.0)
    ax.axhline(0, color="0.6", lw=0.5)
    ax.set_xlabel("k (Å⁻¹)")
    ax.set_ylabel(f"k$^{{{kweight:g}}}$χ(k) (Å$^{{-{kweight:g}}}$)")
    ax.set_title(_title(ex))
    return ax


def plot_chir(ft, ax=None, *, rmax: float = 6.0, parts: bool = False, peaks: bool = True):
    """|χ(R)| (and Re/Im with ``parts``), peaks marked; R is not phase-corrected."""
    ax = _axes(ax)
    sel = ft.r <= rmax
    ax.plot(ft.r[sel], ft.magnitude[sel], color="C0", lw=1.2, label="|χ(R)|")
    if parts:
        ax.plot(ft.r[sel], ft.chir.real[sel], color="C1", lw=0.7, label="Re")
        ax.plot(ft.r[sel], ft.chir.imag[sel], color="C2", lw=0.7, label="Im")
    if peaks:
        pk = ft.peaks(rmax=rmax, n=4)
        ax.plot(pk["r"], pk["magnitude"], "v", color="C3", ms=5, label="peaks")
        for r, m in zip(pk["r"], pk["magnitude"]):
            ax.annotate(f"{r:.2f}", (r, m), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=7)
    s = ft.settings
    ax.set_xlabel(R_LABEL)
    ax.set_ylabel(f"|χ(R)| (Å$^{{-{s['kweight'] + 1:g}}}$)")
    ax.set_title(f"{_title(ft)}  k {s['kmin']:g}-{s['kmax']:g} Å⁻¹, kw {s['kweight']:g}, {s['window']}")
    ax.legend(fontsize=8)
    return ax


def plot_shell_fit(fit, axes=None, *, dataset: int = 0, rmax: float = 6.0):
    """Data and model in k (k^w·χ) and in R (|χ(R)| with the fit range shaded) for one dataset of a shell fit."""
    if axes is None:
        import matplotlib.pyplot as plt
        _, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True)
    axk, axr = axes
    d = fit.curves[dataset]
    kw = d["kweight"]
    axk.plot(d["k"], d["k"] ** kw * d["chi_data"], color="k", lw=1.0, label="data")
    axk.plot(d["k"], d["k"] ** kw * d["chi_model"], color="C3", lw=1.0, label="fit")
    axk.axvspan(d["kmin"], d["kmax"], color="C0", alpha=0.07)
    axk.set_xlabel("k (Å⁻¹)")
    axk.set_ylabel(f"k$^{{{kw:g}}}$χ(k)")
    axk.legend(fontsize=8)
    sel = d["r"] <= rmax
    axr.plot(d["r"][sel], np.abs(d["chir_data"])[sel], color="k", lw=1.0, label="|χ(R)| data")
    axr.plot(d["r"][sel], np.abs(d["chir_model"])[sel], color="C3", lw=1.0, label="fit")
    axr.plot(d["r"][sel], d["chir_data"].real[sel], color="0.5", lw=0.6, label="Re data")
    axr.plot(d["r"][sel], d["chir_model"].real[sel], color="C1", lw=0.6, ls="--", label="Re fit")
    axr.axvspan(d["rmin"], d["rmax"], color="C0", alpha=0.07)
    axr.set_xlabel(R_LABEL)
    axr.set_ylabel("|χ(R)|")
    axr.legend(fontsize=8)
    axk.set_title(f"{d.get('label', '')}  R-factor {fit.rfactor:.4f}")
    return axes
