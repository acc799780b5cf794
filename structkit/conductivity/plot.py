"""Figures for the conductivity module: impedance, Arrhenius, relaxation and NMR results.

Each function takes a Result and ``ax=None``, labels its axes with units and returns the Figure.

matplotlib is imported here only; nothing calls ``plt.show()``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_eis", "plot_arrhenius", "plot_eis_series",
           "plot_plateau", "plot_jonscher", "plot_modulus_kww", "plot_power_law", "plot_coupling",
           "plot_t1_recovery", "plot_bpp", "plot_flank"]


def _axes(ax, ncols=1, figsize=(5.5, 4.2)):
    import matplotlib.pyplot as plt
    if ax is None:
        # fixed margins: constrained layout costs ~70 ms a figure, which adds up over a campaign
        fig, ax = plt.subplots(1, ncols, figsize=figsize)
        fig.subplots_adjust(left=0.15, right=0.86, bottom=0.12, top=0.92)
        return fig, ax
    return ax.figure, ax


def plot_eis(result, *, kind: str = "nyquist", ax=None):
    """Nyquist (``-Z''`` vs ``Z'``), Bode (|Z| and phase) or σ'(f) of a fitted spectrum.

    The data are dots, the fitted circuit a line; the bulk arc's apex and,
    for the spike-intercept method, the intercept are marked.
    """
    fit = result.fit
    f, z, zm = fit.frequency_Hz, fit.z_ohm, fit.z_model_ohm
    title = f"{result.sample or result.source} " + (
        f"{result.temperature_K:.1f} K" if result.temperature_K else "")
    if kind == "nyquist":
        fig, ax = _axes(ax)
        ax.plot(z.real, -z.imag, "o", ms=3.5, label="data")
        ax.plot(zm.real, -zm.imag, "-", lw=1.4, label=f"fit {fit.circuit}")
        if result.method == "spike_intercept":
            ax.axvline(result.r_bulk_ohm, color="C3", ls="--", lw=1,
                       label=f"spike intercept R = {result.r_bulk_ohm:.4g} ohm")
        ax.set_xlabel("Z' (ohm)")
        ax.set_ylabel("-Z'' (ohm)")
        # zoom on the arcs: the electrode spike would otherwise squash them to a point
        span = 1.6 * max(result.r_total_ohm, result.r_bulk_ohm)
        if result.method == "spike_intercept":
            span = 6.0 * result.r_bulk_ohm
        lo = min(0.0, float(z.real.min()))
        ax.set_xlim(lo, lo + span)
        ax.set_ylim(min(0.0, float((-z.imag).min())), 0.75 * span)
        ax.set_aspect("equal", adjustable="box")
        ax.text(0.02, 0.97, "zoomed on the arcs; the full range is in the Bode plot",
                transform=ax.transAxes, fontsize=6, va="top", color="0.4")
    elif kind == "bode":
        fig, ax = _axes(ax)
        ax.loglog(f, np.abs(z), "o", ms=3, label="|Z| data")
        ax.loglog(f, np.abs(zm), "-", lw=1.2, label="|Z| fit")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("|Z| (ohm)")
        ax2 = ax.twinx()
        ax2.semilogx(f, np.degrees(np.angle(z)), "s", ms=2.5, color="C2", label="phase data")
        ax2.semilogx(f, np.degrees(np.angle(zm)), "-", lw=1, color="C3", label="phase fit")
        ax2.set_ylabel("phase (deg)")
    elif kind == "conductivity":
        if result.area_cm2 is None:
            from ..core.errors import ConfigError
            raise ConfigError("a sigma'(f) plot needs the pellet geometry (thickness_cm and diameter_cm/area_cm2)")
        fig, ax = _axes(ax)
        k = result.thickness_cm / result.area_cm2
        ax.loglog(f, (k / z).real, "o", ms=3, label="sigma' data")
        ax.loglog(f, (k / zm).real, "-", lw=1.2, label="sigma' fit")
        if result.sigma_S_per_cm:
            ax.axhline(result.sigma_S_per_cm, color="C3", ls="--", lw=1,
                       label=f"sigma_bulk = {result.sigma_S_per_cm:.3e} S/cm")
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("sigma' (S/cm)")
    else:
        from ..core.errors import ConfigError
        raise ConfigError(f"kind must be 'nyquist', 'bode' or 'conductivity', got {kind!r}")
    ax.set_title(title.strip(), fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_arrhenius(result, *, ax=None):
    """ln(σT) (or ln σ) against 1000/T with each regime shaded and its Ea labelled."""
    fig, ax = _axes(ax)
    t = result.temperature_K
    y = np.log(result.sigma_S_per_cm * t) if result.form == "sigmaT" else np.log(result.sigma_S_per_cm)
    x = 1000.0 / t
    if result.sigma_stderr_S_per_cm is not None:
        ax.errorbar(x, y, yerr=result.sigma_stderr_S_per_cm / result.sigma_S_per_cm, fmt="o", ms=4,
                    label="data")
    else:
        ax.plot(x, y, "o", ms=4, label="data")
    colors = ["#e8f0fb", "#fbeee6", "#eaf7ea", "#f6eaf7"]
    for r in result.regimes:
        ax.axvspan(1000.0 / r.t_max_K, 1000.0 / r.t_min_K, color=colors[(r.index - 1) % 4], zorder=0)
        tt = np.linspace(r.t_min_K, r.t_max_K, 50)
        yy = result.piecewise.predict(1.0 / tt)
        ax.plot(1000.0 / tt, yy, "-", lw=1.6,
                label=f"regime {r.index}: Ea = {r.ea_eV:.3f} ± {r.ea_stderr_eV:.2g} eV")
    for b, e in zip(result.breakpoints_K, result.breakpoints_stderr_K):
        ax.axvline(1000.0 / b, color="0.4", ls=":", lw=1)
        ax.text(1000.0 / b, ax.get_ylim()[1], f" {b:.1f} ± {e:.2g} K", rotation=90, va="top", fontsize=7)
    ax.set_xlabel("1000/T (1/K)")
    ax.set_ylabel("ln(sigma T / (S K cm^-1))" if result.form == "sigmaT" else "ln(sigma / (S cm^-1))")
    ax.set_title(f"{result.sample or 'Arrhenius'} ({result.form} form)", fontsize=10)
    ax.legend(fontsize=7, loc="best")
    return fig


def plot_eis_series(results, *, ax=None):
    """Nyquist plots of a temperature series on one axis, each normalised to its own R_bulk."""
    fig, ax = _axes(ax)
    for r in sorted(results, key=lambda r: r.temperature_K or 0.0):
        z = r.fit.z_ohm / r.r_bulk_ohm
        ax.plot(z.real, -z.imag, ".-", ms=2, lw=0.7, label=f"{r.temperature_K:.0f} K")
    ax.set_xlabel("Z' / R_bulk")
    ax.set_ylabel("-Z'' / R_bulk")
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 2)
    ax.legend(fontsize=6, ncol=2)
    return fig


# -- relaxation and NMR results -------------------------------------------------

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
