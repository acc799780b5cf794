"""Reflection bookkeeping on fitted patterns: hkl labels of observed peaks, intensities of reflection groups.

:func:`hkl_labels` names observed peak positions by the reflections of a phase
that fall within a tolerance (several when they overlap), so that widths from
:func:`structkit.xrd.fit_peaks` or :func:`structkit.xrd.crystalline_fraction`
can be reported per hkl.

:func:`group_intensities` follows the extracted Le Bail intensities of a zone or
family of reflections (``"hk0"``: l = 0, ``"00l"``, ``"hhl"`` ...; see
:meth:`ReflectionList.group`) against the rest, per pattern, as seed 000 does
with the (hk0) reflections of its fcc closo-borate. Normalising per pattern
(group / all) removes the scale, absorption and beam-current changes between
patterns. Two caveats are built in:

* a Le Bail extraction cannot split reflections that coincide (in Fm-3m,
  (6 0 0) and (4 4 2) have the same d); such a reflection of the group that
  overlaps one outside it (centres closer than ``overlap_fwhm`` FWHM) is left
  out of both sums by default, and the number left out is reported;
* only reflections whose Kα1 centre lies inside the fitted range of *every*
  pattern (and is free of such overlaps in every pattern) count, so the sums
  compare like with like when the range or the cell changes along the series.

Examples
--------
>>> from structkit.xrd.reflections import Cell
>>> hkl_labels([38.47, 44.72, 65.1, 30.0], "Fm-3m", Cell(4.05, 4.05, 4.05), 1.5406)
['(1 1 1)', '(2 0 0)', '(2 2 0)', '']
"""

from __future__ import annotations

import numpy as np

from ..core.errors import ConfigError, DataError
from .profiles import profile_fwhm_eta, two_theta_deg
from .radiation import radiation as make_radiation
from .reflections import Cell, d_spacing, generate_reflections

__all__ = ["group_intensities", "hkl_labels"]


def hkl_labels(positions_deg, space_group, cell: Cell, wavelength, *, tol_deg: float = 0.15,
               zero_deg: float = 0.0) -> list[str]:
    """hkl of the reflections of a phase within ``tol_deg`` of each observed 2θ.

    Parameters
    ----------
    positions_deg : sequence of float
        Observed (Kα1) peak positions, deg 2θ.
    space_group, cell
        The phase.
    wavelength : float, str or Radiation
        Wavelength in Å, or a radiation name (its first line, Kα1, is used).
    tol_deg : float
        Largest distance between an observed and a calculated position.
    zero_deg : float
        Zero shift added to the calculated positions.

    Returns
    -------
    list of str
        ``"(h k l)"``, ``"(h k l)/(h' k' l')"`` for unresolved reflections, or ``""``
        where no reflection is close.
    """
    pos = np.asarray(positions_deg, dtype=float).reshape(-1)
    if pos.size == 0:
        return []
    if not np.all(np.isfinite(pos)):
        raise DataError("hkl_labels: peak positions must be finite")
    lam = make_radiation(wavelength).wavelengths_angstrom[0]
    if not tol_deg > 0:
        raise ConfigError(f"hkl_labels: tol_deg must be positive, got {tol_deg!r}")
    top = min(float(pos.max()) + 2 * tol_deg, 179.0)
    d_min = lam / (2 * np.sin(np.radians(top / 2)))
    refl = generate_reflections(space_group, cell, d_min_angstrom=d_min)
    calc = two_theta_deg(d_spacing(refl.hkl, cell), lam) + zero_deg
    names = refl.labels()
    out = []
    for p in pos:
        near = np.flatnonzero(np.abs(calc - p) <= tol_deg)
        near = near[np.argsort(np.abs(calc[near] - p), kind="stable")]
        out.append("/".join(names[j] for j in near))
    return out


def _results_of(results):
    """(LeBailResult...) of a SequentialResult or a sequence, None entries dropped."""
    seq = getattr(results, "results", results)
    return [r for r in seq if r is not None]


def group_intensities(results, group="hk0", *, phase: int = 0, overlap_fwhm: float = 0.5,
                      exclude_overlaps: bool = True, converged_only: bool = True):
    """Extracted intensity of a reflection group against all reflections, per pattern.

    Parameters
    ----------
    results : SequentialResult or sequence of LeBailResult
    group : str, callable or mask
        The group (see :meth:`structkit.xrd.ReflectionList.group`), default ``"hk0"``.
    phase : int
        Which phase of the fits.
    overlap_fwhm : float
        Reflections closer than this many FWHM count as overlapping.
    exclude_overlaps : bool
        Leave group reflections that overlap non-group ones (and those they overlap)
        out of both sums: Le Bail splits such intensity by its starting ratio.
    converged_only : bool
        Skip fits that did not converge.

    Returns
    -------
    pandas.DataFrame
        One row per pattern: ``file``, ``sample``, conditions, ``group``,
        ``intensity_group``, ``intensity_total``, ``fraction_group`` (group / total),
        ``fraction_group_relative`` (to the first row), ``n_group``, ``n_total``,
        ``n_overlapped``; ``frame.attrs["hkl_used"]`` and ``frame.attrs["hkl_group"]``
        list the reflections summed (all, and those of the group).
    """
    import pandas as pd

    fits = _results_of(results)
    if converged_only:
        fits = [r for r in fits if r.converged]
    if not fits:
        raise DataError("group_intensities: no (converged) Le Bail fit to take intensities from")
    label = group if isinstance(group, str) else getattr(group, "__name__", "custom")
    # first pass: per pattern, which reflections are usable (inside the range, not mixed with the other set)
    per_fit = []
    for r in fits:
        if phase >= len(r.phases):
            raise ConfigError(f"group_intensities: phase {phase} but {r.source or 'the fit'} has "
                              f"{len(r.phases)} phase(s)")
        ph = r.phases[phase]
        refl = ph.reflections
        members = {tuple(h) for h in refl.group(group).hkl}
        in_group = np.array([tuple(h) in members for h in refl.hkl], dtype=bool)
        tt = np.asarray(ph.two_theta_deg, dtype=float)
        inside = ph.in_range
        usable = inside.copy()
        overlapped = np.zeros(len(refl), dtype=bool)
        if exclude_overlaps:
            fwhm, _ = profile_fwhm_eta(np.where(np.isfinite(tt), tt, 1.0), *(ph.profile[k] for k in "uvwxy"))
            close = np.abs(tt[:, None] - tt[None, :]) < overlap_fwhm * np.maximum(fwhm[:, None], fwhm[None, :])
            overlapped = (close & (in_group[:, None] != in_group[None, :])).any(axis=1) & inside
            usable &= ~overlapped
        keys = [tuple(h) for h in refl.hkl]
        per_fit.append((r, ph, keys, in_group, usable, overlapped))
    # the same reflections in every pattern, so that a reflection entering the range at the high-angle
    # end (the cell expands) does not step the ratio
    common = set.intersection(*({k for k, u in zip(keys, usable) if u} for _, _, keys, _, usable, _ in per_fit))
    rows = []
    for r, ph, keys, in_group, _, overlapped in per_fit:
        keep = np.array([k in common for k in keys], dtype=bool)
        inten = np.asarray(ph.intensities, dtype=float)
        total = float(inten[keep].sum())
        part = float(inten[keep & in_group].sum())
        rows.append({"file": r.source, "sample": r.sample, **dict(r.conditions), "group": label,
                     "intensity_group": part, "intensity_total": total,
                     "fraction_group": part / total if total > 0 else float("nan"),
                     "n_group": int(np.sum(keep & in_group)), "n_total": int(np.sum(keep)),
                     "n_overlapped": int(np.sum(overlapped & in_group))})
    frame = pd.DataFrame(rows)
    ref = frame["fraction_group"].iloc[0]
    frame["fraction_group_relative"] = frame["fraction_group"] / ref if ref > 0 else float("nan")
    _, ph0, keys0, in_group0, _, _ = per_fit[0]
    used = np.array([k in common for k in keys0], dtype=bool)
    labels = ph0.reflections.labels()
    frame.attrs["hkl_used"] = [lab for lab, u in zip(labels, used) if u]
    frame.attrs["hkl_group"] = [lab for lab, u, g in zip(labels, used, in_group0) if u and g]
    return frame
