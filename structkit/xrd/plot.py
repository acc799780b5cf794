"""Figures for the XRD module.

Each function takes a Result and ``ax=None``, labels its axes with units and returns the Figure.
matplotlib is imported inside the functions only; nothing calls ``plt.show()``.
Functions are grouped in sections, one per technique module.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_peak_fit", "plot_broadening", "plot_williamson_hall", "plot_crystallinity",
           "plot_crystallinity_series", "plot_lebail", "plot_sequential", "plot_expansion"]


# =====================================================================================================
# Peak widths and amorphization (peakwidth.py, broadening.py, amorphization.py)
# =====================================================================================================

def _pw_axes(ax, nrows=1, ncols=1, figsize=(6.0, 4.2), **kw):
    import matplotlib.pyplot as plt
    if ax is None:
        fig, ax = plt.subplots(nrows, ncols, figsize=figsize, squeeze=False, **kw)
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.92, wspace=0.3, hspace=0.35)
        return fig, ax
    return ax.figure, np.array([[ax]])


def _pw_title(result) -> str:
    conds = ", ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in result.conditions.items())
    return f"{result.sample or result.source}" + (f" ({conds})" if conds else "")


def plot_peak_fit(result, ax=None):
    """Observed (dots), calculated, each reflection's Kα1+Kα2 doublet and the residual, per window.

    With ``ax`` given, every window is drawn on it; otherwise one panel per window (up to 6).
    """
    wins = list(result.windows)
    if ax is None:
        n = min(len(wins), 6)
        ncols = min(n, 3)
        nrows = int(np.ceil(n / ncols))
        fig, axes = _pw_axes(None, nrows, ncols, figsize=(4.0 * ncols + 1.0, 3.4 * nrows + 0.6))
        axes = list(axes.ravel())
        wins = wins[:n]
    else:
        fig, axes = _pw_axes(ax)
        axes = [axes[0, 0]] * len(wins)
    for k, (a, w) in enumerate(zip(axes, wins)):
        resid = w.intensity - w.calc
        offset = float(np.min(w.intensity)) - 1.1 * float(np.max(np.abs(resid)))
        first = k == 0
        a.plot(w.two_theta_deg, w.intensity, "o", ms=2.2, color="0.25", label="observed" if first else None)
        a.plot(w.two_theta_deg, w.calc, "-", color="C3", lw=1.2, label="calculated" if first else None)
        a.plot(w.two_theta_deg, w.background, "--", color="0.5", lw=0.9, label="background" if first else None)
        for j, i in enumerate(w.peaks):
            a.plot(w.two_theta_deg, w.components[j] + w.background, "-", lw=0.8, label=str(result.labels[i]))
        a.plot(w.two_theta_deg, resid + offset, "-", color="C2", lw=0.8, label="residual" if first else None)
        a.axhline(offset, color="C2", lw=0.4)
        a.set_xlabel("2θ (deg)")
        a.set_ylabel(f"intensity ({result.y_unit})" if result.y_unit else "intensity")
        a.legend(fontsize=6, frameon=False)
    axes[0].set_title(f"{_pw_title(result)}: {result.shape}, {result.radiation.name}", fontsize=9)
    return fig


def plot_broadening(result, ax=None):
    """Observed, instrumental and sample FWHM (Gaussian and Lorentzian parts) against 2θ."""
    fig, axes = _pw_axes(ax)
    a = axes[0, 0]
    tt = result.position_deg
    v, e = result.values, result.stderr
    a.plot(tt, v["fwhm_g_instrument_deg"], "s--", ms=4, color="0.5", label="instrument H_G")
    if np.any(v["fwhm_l_instrument_deg"] > 0):
        a.plot(tt, v["fwhm_l_instrument_deg"], "d--", ms=4, color="0.7", label="instrument H_L")
    a.errorbar(tt, v["fwhm_g_sample_deg"], yerr=e["fwhm_g_sample_deg"], fmt="o", ms=4, label="sample H_G (strain)")
    a.errorbar(tt, v["fwhm_l_sample_deg"], yerr=e["fwhm_l_sample_deg"], fmt="^", ms=4, label="sample H_L (size)")
    a.errorbar(tt, v["fwhm_sample_deg"], yerr=e["fwhm_sample_deg"], fmt="*", ms=6, label="sample FWHM")
    a.set_xlabel("2θ (deg)")
    a.set_ylabel("FWHM (deg 2θ)")
    a.set_title(f"{_pw_title(result)}: Voigt single-line correction", fontsize=9)
    a.legend(fontsize=7, frameon=False)
    return fig


def plot_williamson_hall(result, ax=None):
    """``β cosθ`` against ``4 sinθ`` with the fitted line; size and strain in the legend."""
    fig, axes = _pw_axes(ax)
    a = axes[0, 0]
    x, y = result.x, result.y
    yerr = None if result.beta_stderr_rad is None else result.beta_stderr_rad * np.cos(
        np.radians(result.two_theta_deg) / 2.0)
    a.errorbar(x, y * 1e3, yerr=None if yerr is None else yerr * 1e3, fmt="o", ms=4, label="reflections")
    xs = np.linspace(0.0, float(x.max()) * 1.05, 50)
    size = f"{result.size_nm:.3g} ± {result.size_stderr_nm:.2g} nm" if np.isfinite(result.size_nm) else "not resolved"
    a.plot(xs, (result.intercept + result.strain * xs) * 1e3, "-", color="C3",
           label=f"D = {size}, ε = {result.strain:.2e} ± {result.strain_stderr:.1e}")
    for lab, xi, yi in zip(result.labels, x, y):
        a.annotate(lab, (xi, yi * 1e3), fontsize=6, xytext=(3, 3), textcoords="offset points")
    a.set_xlabel("4 sin θ")
    a.set_ylabel("β cos θ (mrad)")
    a.set_xlim(left=0.0)
    a.set_title(f"{_pw_title(result)}: Williamson-Hall (K = {result.K:g})", fontsize=9)
    a.legend(fontsize=7, frameon=False)
    return fig


def plot_crystallinity(result, ax=None):
    """The decomposition: observed, blank, amorphous humps, crystalline reflections, residual."""
    fig, axes = _pw_axes(ax, figsize=(7.5, 4.4))
    a = axes[0, 0]
    x, p = result.two_theta_deg, result.parts
    under = p["blank"] + p["background"]
    a.plot(x, result.intensity, ".", ms=1.5, color="0.3", label="observed")
    a.plot(x, p["calc"], "-", color="C3", lw=0.9, label="calculated")
    a.fill_between(x, p["background"], under, color="C0", alpha=0.25, lw=0, label=f"blank × {result.blank_scale:.3g}")
    a.fill_between(x, under, under + p["amorphous"], color="C1", alpha=0.35, lw=0,
                   label=f"amorphous (A_a = {result.amorphous_area:.4g})")
    a.plot(x, under + p["amorphous"] + p["crystalline"], "-", color="C2", lw=0.6,
           label=f"crystalline (A_c = {result.crystalline_area:.4g})")
    resid = result.intensity - p["calc"]
    off = -1.2 * float(np.max(np.abs(resid)))
    a.plot(x, resid + off, "-", color="0.5", lw=0.5, label="residual")
    a.set_xlabel("2θ (deg)")
    unit = result.peaks.y_unit
    a.set_ylabel(f"intensity ({unit})" if unit else "intensity")
    a.set_title(f"{_pw_title(result)}: X_c = {result.fraction:.3f} ± {result.fraction_stderr:.2g}", fontsize=9)
    a.legend(fontsize=7, frameon=False)
    return fig


def plot_crystallinity_series(series, ax=None):
    """Crystalline fraction and amorphization index against the condition; with ``ax=None`` also
    each reflection's FWHM (from the same fits)."""
    if ax is None:
        fig, axes = _pw_axes(None, 1, 2, figsize=(10.0, 4.0))
        a, b = axes[0, 0], axes[0, 1]
    else:
        fig, axes = _pw_axes(ax)
        a, b = axes[0, 0], None
    t = series.condition_values
    a.errorbar(t, series.fraction, yerr=series.fraction_stderr, fmt="o-", ms=4, label="crystalline fraction X_c")
    a.errorbar(t, series.amorphization_index, yerr=series.amorphization_index_stderr, fmt="s--", ms=4,
               label="amorphization index 1 - X_c/X_c,ref")
    a.set_xlabel(series.condition.replace("_", " ").replace(" h", " (h)").replace(" K", " (K)"))
    a.set_ylabel("fraction")
    a.set_ylim(-0.05, 1.05)
    a.legend(fontsize=7, frameon=False)
    a.set_title(f"reference: {series.results[series.reference].sample}", fontsize=9)
    if b is not None:
        frame = series.peaks_frame()
        for lab, g in frame.groupby("label", sort=False):
            cond = [float(r.conditions[series.condition]) for r in series.results if lab in r.peaks.labels]
            b.errorbar(cond, g["fwhm_deg"], yerr=g["fwhm_deg_stderr"], fmt="o-", ms=3, label=str(lab))
        b.set_xlabel(a.get_xlabel())
        b.set_ylabel("FWHM (deg 2θ)")
        b.legend(fontsize=7, frameon=False, title="reflection", title_fontsize=7)
    return fig


# -- Le Bail, sequential and thermal-expansion figures ------------------------------

def _new_axes(ax, nrows=1, height_ratios=None, figsize=(7.0, 4.6)):
    import matplotlib.pyplot as plt
    if ax is not None:
        return ax.figure, ax
    fig, axes = plt.subplots(nrows, 1, figsize=figsize, sharex=True,
                             gridspec_kw={"height_ratios": height_ratios} if height_ratios else None)
    fig.subplots_adjust(left=0.12, right=0.97, top=0.93, bottom=0.11, hspace=0.05)
    return fig, axes


def plot_lebail(result, ax=None):
    """Observed, calculated and difference patterns with tick marks per phase (a Rietveld-style plot)."""
    if ax is None:
        fig, (ax_main, ax_diff) = _new_axes(None, 2, height_ratios=(3.5, 1))
    else:
        fig, ax_main, ax_diff = ax.figure, ax, None
    tt = result.two_theta
    ax_main.plot(tt, result.y_obs, ".", ms=2, color="0.2", label="observed")
    ax_main.plot(tt, result.y_calc, "-", lw=0.9, color="C3", label="calculated")
    ax_main.plot(tt, result.y_background, "-", lw=0.7, color="C2", label="background")
    ymin = float(min(result.y_obs.min(), result.y_calc.min()))
    span = float(result.y_obs.max() - ymin)
    for i, ph in enumerate(result.phases):
        pos = ph.two_theta_deg[(ph.two_theta_deg >= tt[0]) & (ph.two_theta_deg <= tt[-1])]
        level = ymin - (0.04 + 0.05 * i) * span
        ax_main.plot(pos, np.full(pos.size, level), "|", ms=8, color=f"C{i}", label=f"{ph.name} reflections")
    ax_main.set_ylabel("intensity (counts)")
    ax_main.set_title(f"{result.source or 'Le Bail fit'}: Rwp = {100 * result.rwp:.2f} %, "
                      f"chi2 = {result.chi2:.2f}", fontsize=9)
    ax_main.legend(fontsize=7, loc="upper right")
    target = ax_diff if ax_diff is not None else ax_main
    offset = 0.0 if ax_diff is not None else ymin - 0.25 * span
    target.plot(tt, result.y_obs - result.y_calc + offset, "-", lw=0.6, color="C0", label="difference")
    if ax_diff is not None:
        ax_diff.set_ylabel("obs - calc")
        ax_diff.set_xlabel("2theta (deg)")
    else:
        ax_main.set_xlabel("2theta (deg)")
    return fig


def plot_sequential(result, ax=None):
    """Refined lattice parameters (and volume) against the series condition, with esds."""
    frame = result.to_frame()
    good = frame[frame["converged"].astype(bool)]
    length_cols = [c for c in ("a_angstrom", "b_angstrom", "c_angstrom") if c in good.columns]
    fig, axes = _new_axes(ax, len(length_cols) + 1 if ax is None else 1)
    axes = np.atleast_1d(axes)
    x = good[result.order_by]
    for axis, col in zip(axes, length_cols):
        axis.errorbar(x, good[col], yerr=good[col.replace("_angstrom", "_stderr_angstrom")], fmt="o", ms=3)
        axis.set_ylabel(col.replace("_angstrom", " (A)"))
    if len(axes) > len(length_cols) and "volume_A3" in good.columns:
        axes[-1].errorbar(x, good["volume_A3"], yerr=good["volume_stderr_A3"], fmt="s", ms=3, color="C1")
        axes[-1].set_ylabel("V (A^3)")
    failed = frame[~frame["converged"].astype(bool)]
    for value in failed[result.order_by]:
        for axis in axes:
            axis.axvline(value, color="C3", lw=0.6, ls=":")
    axes[-1].set_xlabel(result.order_by)
    axes[0].set_title(f"sequential Le Bail: {len(good)} converged, {len(failed)} failed (dotted)", fontsize=9)
    return fig


def plot_expansion(result, ax=None):
    """ln V(T) with the regime fit, and the local alpha_V(T) with the regime values."""
    fig, axes = _new_axes(ax, 2 if ax is None else 1, height_ratios=(1, 1) if ax is None else None)
    axes = np.atleast_1d(axes)
    t = result.temperature_K
    axes[0].plot(t, np.log(result.volume_A3), "o", ms=3, label="ln V")
    axes[0].plot(t, result.piecewise.predict(t), "-", color="C3", lw=1.2, label="regime fit")
    for b in result.breakpoints_K:
        for axis in axes:
            axis.axvline(b, color="0.5", ls=":", lw=1)
    axes[0].set_ylabel("ln(V / A^3)")
    axes[0].legend(fontsize=7)
    if len(axes) > 1:
        axes[1].errorbar(t, result.alpha_V_local_per_K, yerr=result.alpha_V_local_stderr_per_K, fmt=".", ms=3,
                         label="local alpha_V")
        for r in result.regimes:
            axes[1].hlines(r.alpha_V_per_K, r.t_min_K, r.t_max_K, color="C3", lw=2,
                           label=f"regime {r.index}: {r.alpha_V_per_K:.3g} +/- {r.alpha_V_stderr_per_K:.2g} 1/K")
        axes[1].set_ylabel("alpha_V (1/K)")
        axes[1].legend(fontsize=6)
    axes[-1].set_xlabel("temperature (K)")
    return fig
