"""Figures for the relaxation and NMR results.

Each function takes a Result and ``ax=None``, labels its axes with units
and returns the Figure; none calls ``plt.show()``. matplotlib is imported
inside the functions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_plateau", "plot_jonscher", "plot_modulus_kww", "plot_power_law", "plot_coupling",
           "plot_t1_recovery", "plot_bpp", "plot_flank"]


def _axes(ax):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(5.0, 3.8), layout="constrained")
    return ax.figure, ax


def plot_plateau(result, ax=None):
    """``σ'(f)`` with the plateau window shaded and ``σ_dc`` drawn."""
    fig, ax = _axes(ax)
    ax.loglog(result.frequency_Hz, result.sigma_real_S_per_cm, "o", ms=3, label="σ'")
    ax.axvspan(result.f_low_Hz, result.f_high_Hz, color="C2", alpha=0.15, label="plateau")
    ax.axhline(result.sigma_dc_S_per_cm, color="C3", lw=1,
               label=f"σ_dc = {result.sigma_dc_S_per_cm:.3g} S/cm")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("σ' (S/cm)")
    ax.legend(fontsize="small")
    return fig


def plot_jonscher(result, ax=None):
    """``σ'(f)`` data and the Jonscher model over the fitted window."""
    fig, ax = _axes(ax)
    ax.loglog(result.frequency_Hz, result.sigma_real_S_per_cm, "o", ms=3, color="0.6", label="σ'")
    fw = np.logspace(np.log10(result.window_low_Hz), np.log10(result.window_high_Hz), 200)
    ax.loglog(fw, result.predict(fw), "C3-", label=f"Jonscher, p = {result.p:.3f}")
    ax.axhline(result.sigma_dc_S_per_cm, color="C3", ls=":", lw=1)
    ax.axvline(result.f_c_Hz, color="C3", ls=":", lw=1)
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("σ' (S/cm)")
    ax.legend(fontsize="small")
    return fig


def plot_modulus_kww(result, ax=None):
    """``M''`` data and KWW fit, and ``M'`` with ``M∞``, against frequency."""
    fig, ax = _axes(ax)
    f, m = result.frequency_Hz, result.modulus
    ax.semilogx(f, m.imag, "o", ms=3, label="M''")
    ax.semilogx(f, m.real, "s", ms=3, mfc="none", label="M'")
    fw = np.logspace(np.log10(result.window_low_Hz), np.log10(result.window_high_Hz), 200)
    ax.semilogx(fw, result.predict(fw), "C3-", label=f"KWW (Bergman), β = {result.beta:.3f}")
    ax.axhline(result.m_inf, color="C1", ls=":", lw=1, label=f"M∞ = {result.m_inf:.3g}")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("M', M'' (dimensionless)")
    ax.legend(fontsize="small")
    return fig


def plot_power_law(result, ax=None):
    """Points in the window and the fitted power law, log-log."""
    fig, ax = _axes(ax)
    label = {"sigma_real": "σ' (S/cm)", "modulus_imag": "M'' (dimensionless)"}.get(result.quantity, "y")
    ax.loglog(result.frequency_Hz, result.y, "o", ms=3, label="data")
    ax.loglog(result.frequency_Hz, result.predict(result.frequency_Hz), "C3-",
              label=f"slope {result.slope:.3f}")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel(label)
    ax.legend(fontsize="small")
    return fig


def plot_coupling(result, ax=None):
    """β and ``Ea_high/Ea_low`` side by side, with error bars."""
    fig, ax = _axes(ax)
    labels, values, errs = ["Ea_high / Ea_low"], [result.ea_ratio], [result.ea_ratio_stderr]
    if np.isfinite(result.beta):
        labels.insert(0, "β (relaxation)")
        values.insert(0, result.beta)
        errs.insert(0, result.beta_stderr)
    errs = [0.0 if not np.isfinite(e) else e for e in errs]
    ax.errorbar(range(len(values)), values, yerr=errs, fmt="o", capsize=4)
    ax.set_xticks(range(len(values)), labels)
    ax.set_xlim(-0.5, len(values) - 0.5)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("β (dimensionless)")
    if result.consistent is not None:
        ax.set_title("consistent" if result.consistent else "inconsistent", fontsize="small")
    return fig


def plot_t1_recovery(result, ax=None):
    """Magnetisation recovery data and model against delay time (log axis)."""
    fig, ax = _axes(ax)
    t = result.time_s
    ax.semilogx(t[t > 0], result.magnetization[t > 0], "o", ms=3, label="data")
    tt = np.logspace(np.log10(t[t > 0].min()), np.log10(t.max()), 200)
    ax.semilogx(tt, result.predict(tt), "C3-", label=f"T1 = {result.t1_s:.4g} s")
    ax.set_xlabel("delay time (s)")
    ax.set_ylabel("magnetisation (arb. units)")
    ax.legend(fontsize="small")
    return fig


def plot_bpp(result, ax=None):
    """``R1`` against ``1000/T`` with the (modified) BPP model and ``T_max``."""
    fig, ax = _axes(ax)
    t = result.temperature_K
    ax.semilogy(1000.0 / t, result.r1_per_s, "o", ms=4, label=f"R1, {result.larmor_MHz:g} MHz")
    tt = np.linspace(t.min(), t.max(), 300)
    ax.semilogy(1000.0 / tt, result.predict(tt), "C3-", label=f"BPP, β = {result.beta:.2f}")
    ax.axvline(1000.0 / result.t_max_K, color="C3", ls=":", lw=1, label=f"T_max = {result.t_max_K:.1f} K")
    ax.set_xlabel("1000/T (1/K)")
    ax.set_ylabel("R1 (1/s)")
    ax.legend(fontsize="small")
    return fig


def plot_flank(result, ax=None):
    """``R1`` against ``1000/T`` with the Arrhenius line over the flank window."""
    fig, ax = _axes(ax)
    ax.semilogy(1000.0 / result.temperature_K, result.r1_per_s, "o", ms=4, label="R1")
    tt = np.linspace(result.t_min_K, result.t_max_K, 50)
    ax.semilogy(1000.0 / tt, result.predict(tt), "C3-", label=f"Ea = {result.ea_eV:.3f} eV")
    ax.set_xlabel("1000/T (1/K)")
    ax.set_ylabel("R1 (1/s)")
    ax.legend(fontsize="small")
    return fig
