"""Figures for HRTEM FFT analyses and dose series.

Each function returns a matplotlib Figure; matplotlib is imported inside the functions only and
nothing calls ``plt.show()``. Reciprocal axes are in 1/Å with gy pointing down, as the rows of the
image.
"""

from __future__ import annotations

import numpy as np

__all__ = ["plot_power_spectrum", "plot_fft_result", "plot_dose_series", "plot_dose_fft"]


def _figure_axes(ax, size=(5.0, 4.6)):
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=size)
        return fig, ax
    return ax.figure, ax


def plot_power_spectrum(ps, ax=None, spots=None, log: bool = True, *, k_max: float | None = None, labels=None,
                        title: str | None = None, cmap: str = "gray"):
    """The power spectrum on calibrated axes, both Friedel mates of every spot circled and labelled.

    ``labels``: one string per spot (default: its d in Å). ``k_max``: half-width of the view (1/Å);
    default 1.3 × the largest |g| of the spots, or the whole spectrum.
    """
    from matplotlib.patches import Circle

    fig, ax = _figure_axes(ax)
    ny, nx = ps.shape
    cy, cx = ps.center
    kx, ky = ps.k_step_x, ps.k_step_y
    extent = ((-cx - 0.5) * kx, (nx - cx - 0.5) * kx, (ny - cy - 0.5) * ky, (-cy - 0.5) * ky)
    spots = tuple(spots or ())
    if k_max is None:
        k_max = 1.3 * max(s.k_inv_angstrom for s in spots) if spots else max(cx * kx, cy * ky)
    k_max = float(min(k_max, max(cx * kx, cy * ky)))
    # display range from the visible part
    r0, r1 = max(cy - int(k_max / ky) - 1, 0), min(cy + int(k_max / ky) + 2, ny)
    c0, c1 = max(cx - int(k_max / kx) - 1, 0), min(cx + int(k_max / kx) + 2, nx)
    shown = np.asarray(ps.data, dtype=float)
    view = shown[r0:r1, c0:c1]
    if log:
        floor = max(float(np.percentile(view, 1.0)), 1e-300)
        shown = np.log10(np.maximum(shown, floor))
        view = shown[r0:r1, c0:c1]
        vmin, vmax = float(np.percentile(view, 5.0)), float(np.percentile(view, 99.9))
    else:
        vmin, vmax = 0.0, float(np.percentile(view, 99.9))
    ax.imshow(shown, extent=extent, origin="upper", cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest")
    radius = 3.0 * max(kx, ky)
    labels = list(labels) if labels is not None else [f"{s.d_angstrom:.3g} Å" for s in spots]
    for k, (s, lab) in enumerate(zip(spots, labels)):
        color = f"C{k % 10}"
        for sign in (1.0, -1.0):
            ax.add_patch(Circle((sign * s.gx, sign * s.gy), radius, fill=False, color=color, lw=1.0))
        ax.annotate(lab, (s.gx, s.gy), xytext=(5, 5), textcoords="offset points", color=color, fontsize=7)
    ax.set_xlim(-k_max, k_max)
    ax.set_ylim(k_max, -k_max)
    ax.set_xlabel("g$_x$ (Å$^{-1}$)")
    ax.set_ylabel("g$_y$ (Å$^{-1}$)")
    ax.set_aspect("equal")
    ax.set_title(title or f"power spectrum{' (log)' if log else ''}", fontsize=9)
    return fig


def plot_fft_result(result, ax=None, *, k_max: float | None = None, log: bool = True):
    """Power spectrum (log) of an :class:`~structkit.tem.fft.FFTResult`, spots labelled by d and hkl."""
    if result.power is None:
        from ..core.errors import DataError

        raise DataError("this FFTResult carries no power spectrum to plot", path=result.source or None)
    labels = []
    for i, s in enumerate(result.spots):
        hkl = result._hkl_label(i)
        labels.append(f"{s.d_angstrom:.3g} Å" + (f" {hkl}" if hkl else ""))
    name = result.sample or result.source or "image"
    sup = ", superstructure" if result.superstructure else ""
    return plot_power_spectrum(result.power, ax=ax, spots=result.spots, log=log, k_max=k_max, labels=labels,
                               title=f"FFT of {name}: {len(result.spots)} spots{sup}")


def plot_dose_series(series, axes=None):
    """Strain vs dose (per track, error bars and the straight line) and spot intensity vs dose (log)
    with the exponential fit I0·exp(−D/Dc)."""
    import matplotlib.pyplot as plt

    if axes is None:
        fig, axes = plt.subplots(1, 2, figsize=(9.6, 3.8))
    else:
        fig = axes[0].figure
    ax_e, ax_i = axes[0], axes[1]
    dose = np.asarray(series.dose_e_per_A2)
    dd = np.linspace(0.0, max(float(dose.max()), max(t.final_dose_e_per_A2 for t in series.tracks)), 200)
    for k, t in enumerate(series.tracks):
        c = f"C{k % 10}"
        f = np.asarray(t.found)
        ax_e.errorbar(dose[f], 100 * np.asarray(t.strain)[f], yerr=100 * np.asarray(t.strain_stderr)[f], fmt="o",
                      ms=3, lw=0.7, color=c, label=t.label)
        if np.isfinite(t.strain_rate_per_e_per_A2):
            ax_e.plot(dd, 100 * t.expansion_at(dd)[0], "-", color=c, lw=1.0,
                      label=f"{t.strain_rate_per_e_per_A2 * 100:.3g} %/(e/Å²)")
        inten = np.asarray(t.intensity)
        ax_i.errorbar(dose, inten, yerr=np.asarray(t.intensity_stderr), fmt="s", ms=3, lw=0.7, color=c,
                      mfc=c, label=t.label)
        if not f.all():
            ax_i.plot(dose[~f], inten[~f], "x", color="k", ms=5)
        if np.isfinite(t.critical_dose_e_per_A2) and np.isfinite(t.intensity0):
            ax_i.plot(dd, t.intensity0 * np.exp(-dd / t.critical_dose_e_per_A2), "-", color=c, lw=1.0,
                      label=f"Dc = {t.critical_dose_e_per_A2:.3g} ± {t.critical_dose_stderr_e_per_A2:.2g} e/Å²")
    ax_e.axhline(0.0, color="0.6", lw=0.6)
    ax_e.set_xlabel("dose (e$^-$/Å$^2$)")
    ax_e.set_ylabel("strain (%)")
    ax_e.legend(fontsize=7, frameon=False)
    pos = np.concatenate([np.asarray(t.intensity)[np.asarray(t.intensity) > 0] for t in series.tracks] + [np.ones(0)])
    if pos.size:
        ax_i.set_yscale("log")
        ax_i.set_ylim(pos.min() * 0.3, pos.max() * 3)
    ax_i.set_xlabel("dose (e$^-$/Å$^2$)")
    ax_i.set_ylabel("spot intensity (power)")
    ax_i.legend(fontsize=7, frameon=False)
    fig.suptitle(f"{series.sample or series.source or 'dose series'}: lattice strain and spot fading", fontsize=9)
    fig.tight_layout()
    return fig


def plot_dose_fft(series, stack, frame: int = 0, ax=None, *, k_max: float | None = None):
    """Power spectrum of frame ``frame`` of ``stack`` with the spots tracked there circled."""
    from .fft import Spot, power_spectrum

    region = series.settings.get("region")
    ps = power_spectrum(stack, frame=frame, window=series.settings.get("window", "hann"), region=region)
    spots, labels = [], []
    for t in series.tracks:
        gx, gy = t.gx_inv_angstrom[frame], t.gy_inv_angstrom[frame]
        if not (np.isfinite(gx) and np.isfinite(gy)):
            continue
        k = float(np.hypot(gx, gy))
        spots.append(Spot(gx=float(gx), gy=float(gy), gx_stderr=np.nan, gy_stderr=np.nan, k_inv_angstrom=k,
                          d_angstrom=1.0 / k, d_stderr_angstrom=np.nan, angle_deg=float(np.degrees(np.arctan2(gy, gx)) % 180),
                          angle_stderr_deg=np.nan, intensity=float(t.intensity[frame]), snr=float(t.snr[frame]),
                          friedel=True))
        labels.append(f"{t.label}: {1.0 / k:.4g} Å")
    dose = float(series.dose_e_per_A2[frame])
    return plot_power_spectrum(ps, ax=ax, spots=spots, labels=labels, k_max=k_max,
                               title=f"frame {frame} (dose {dose:.3g} e/Å²)")
