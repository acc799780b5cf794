"""Preparing μ(E) scans before normalization: merge repeated scans, calibrate and align energy, deglitch.

Order of use: read → :func:`deglitch` each scan → :func:`calibrate_energy`
(on the reference foil) or :func:`align` (to a reference scan) → :func:`merge_scans`
→ :func:`structkit.xas.normalize.normalize`.

Every function takes and returns the XAS Measurement of
:mod:`structkit.xas._common` and records what it did in ``meta``; the reference
foil ``meta["mu_ref"]`` (μ on the same energy grid) follows the spectrum
through each step. Pure numpy/scipy, except :func:`align`, whose least-squares
shift goes through lmfit (:func:`structkit.core.fit.minimize`).

Examples
--------
>>> import numpy as np
>>> from structkit.xas import xas_measurement
>>> e = np.linspace(8900.0, 9100.0, 401)
>>> foil = lambda x: np.arctan((x - 8979.0) / 1.5)
>>> m = xas_measurement(e, foil(e + 2.0), meta={"mu_ref": foil(e + 2.0)})   # energies 2 eV low
>>> cal, shift = calibrate_energy(m, reference_e0=8979.0)
>>> round(shift, 2)
2.0
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.errors import ConfigError, DataError
from ..core.measurement import Measurement
from ._common import spectrum_arrays

__all__ = ["merge_scans", "calibrate_energy", "align", "deglitch", "edge_energy"]

#: Fine-grid step (eV) on which derivatives are smoothed and maxima located.
FINE_STEP_EV = 0.02


def _ro(a) -> np.ndarray:
    arr = np.array(a, dtype=float, copy=True)
    arr.setflags(write=False)
    return arr


def _src(m: Measurement) -> str | None:
    return m.source or None


def _mu_ref(m: Measurement, context: str) -> np.ndarray | None:
    ref = m.meta.get("mu_ref")
    if ref is None:
        return None
    ref = np.asarray(ref, float)
    if ref.shape != m.x.shape:
        raise DataError(f"{context}: meta['mu_ref'] has {ref.size} values but the spectrum has {m.x.size} "
                        "points; it must be on the same energy grid", path=_src(m))
    return ref


# -- merge ------------------------------------------------------------------------------------

def _same(values: list, what: str, sources: list[str], hint: str) -> Any:
    present = [(v, s) for v, s in zip(values, sources) if v not in (None, "")]
    if not present:
        return None
    first, src0 = present[0]
    for v, s in present[1:]:
        if str(v).strip().lower() != str(first).strip().lower():
            raise DataError(f"merge_scans: the scans are from different {what}s ({first!r} in "
                            f"{src0 or 'scan 1'}, {v!r} in {s or 'another scan'}); merge only repeated "
                            f"scans of one {what}{hint}")
    return first


def merge_scans(measurements: Sequence[Measurement], *, grid=None, sample: str | None = None,
                condition_rtol: float = 0.01, min_points: int = 20) -> Measurement:
    """Average repeated scans of one sample on one energy grid.

    Each scan is interpolated linearly onto ``grid`` (default: the first
    scan's energies), limited to the range all scans cover; the merged μ is
    the mean and ``sigma`` the standard error of the mean,
    ``std(ddof=1)/sqrt(n)`` (n ≥ 2). A reference-foil channel
    (``meta["mu_ref"]``) present in every scan is merged the same way.
    Align the scans first (:func:`align`, :func:`calibrate_energy`) if the
    mono drifted.

    Parameters
    ----------
    measurements : sequence of Measurement
        XAS scans (energy in eV or keV).
    grid : array_like, optional
        Energies (eV) of the merged spectrum; points outside the common range are dropped.
    sample : str, optional
        The merged sample name. Scans whose sample names differ are refused
        unless this is given (scan files named ``LLZO_001``, ``LLZO_002`` carry
        different names).
    condition_rtol : float
        Numeric conditions (``temperature_K`` ...) may differ by this fraction
        between scans (their mean is kept); more is refused.
    min_points : int
        The common range must hold at least this many grid points.

    Returns
    -------
    Measurement
        ``meta``: ``merged_sources``, ``n_merged``, ``merge_range_eV``, and
        ``element``, ``edge``, ``mode`` when the scans agree.

    Raises
    ------
    DataError
        Scans of different elements, edges, samples or conditions, or that
        do not overlap.

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.xas import xas_measurement
    >>> e = np.linspace(8900.0, 9000.0, 51)
    >>> scans = [xas_measurement(e, np.full(51, v), sample="LLZO", source=f"s{i}.xdi")
    ...          for i, v in enumerate((1.0, 2.0, 3.0))]
    >>> m = merge_scans(scans)
    >>> float(m.y[0]), float(m.sigma[0]), m.meta["n_merged"]
    (2.0, 0.5773502691896258, 3)
    >>> merge_scans([scans[0], xas_measurement(e + 500.0, np.ones(51))])
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: merge_scans: the scans do not overlap (s0.xdi covers 8900-9000 eV, scan 2 covers 9400-9500 eV); merge scans of the same energy range
    """
    scans = list(measurements)
    if not scans:
        raise ConfigError("merge_scans: no scans given")
    for i, m in enumerate(scans):
        if not isinstance(m, Measurement):
            raise ConfigError(f"merge_scans: item {i} is {type(m).__name__}, not a Measurement")
    arrays = [spectrum_arrays(m, min_points=min_points, context="merge_scans") for m in scans]
    sources = [m.source for m in scans]
    names = [s or f"scan {i + 1}" for i, s in enumerate(sources)]
    element = _same([m.meta.get("element") for m in scans], "element", sources, "")
    edge = _same([m.meta.get("edge") for m in scans], "edge", sources, "")
    if sample is None:
        sample = _same([m.sample for m in scans], "sample", sources,
                       " (pass sample='name' if they are one sample under different names)") or ""
    lo = max(float(e[0]) for e, _ in arrays)
    hi = min(float(e[-1]) for e, _ in arrays)
    if lo >= hi:
        ranges = ", ".join(f"{n} covers {e[0]:g}-{e[-1]:g} eV" for n, (e, _) in zip(names, arrays))
        raise DataError(f"merge_scans: the scans do not overlap ({ranges}); merge scans of the same "
                        "energy range")
    base = arrays[0][0] if grid is None else np.asarray(grid, dtype=float)
    if base.ndim != 1 or not np.all(np.isfinite(base)) or np.any(np.diff(base) <= 0):
        raise ConfigError("merge_scans: grid must be a 1-D, finite, strictly increasing array of energies (eV)")
    tol = 1e-9 * max(abs(lo), abs(hi), 1.0)
    keep = (base >= lo - tol) & (base <= hi + tol)
    if np.count_nonzero(keep) < min_points:
        ranges = ", ".join(f"{n} covers {e[0]:g}-{e[-1]:g} eV" for n, (e, _) in zip(names, arrays))
        raise DataError(f"merge_scans: only {np.count_nonzero(keep)} grid points lie in the range all scans "
                        f"cover ({lo:g}-{hi:g} eV; {ranges}); at least {min_points} are needed")
    g = base[keep]
    stack = np.array([np.interp(g, e, mu) for e, mu in arrays])
    n = len(scans)
    mean = stack.mean(axis=0)
    sigma = stack.std(axis=0, ddof=1) / np.sqrt(n) if n >= 2 else None
    if n == 1 and scans[0].sigma is not None:
        sigma = np.interp(g, arrays[0][0], scans[0].sigma)

    conditions: dict[str, Any] = {}
    keys = list(dict.fromkeys(k for m in scans for k in m.conditions))
    for key in keys:
        vals = [(m.conditions[key], nm) for m, nm in zip(scans, names) if key in m.conditions]
        nums = [v for v, _ in vals if isinstance(v, (int, float)) and not isinstance(v, bool)]
        if len(nums) == len(vals):
            a = np.array(nums, float)
            ref = max(abs(float(np.mean(a))), 1e-300)
            if np.ptp(a) > condition_rtol * ref:
                listed = ", ".join(f"{v:g} ({nm})" for v, nm in vals)
                raise DataError(f"merge_scans: {key} differs between the scans ({listed}); merge only "
                                f"scans taken under the same conditions (or raise condition_rtol)")
            conditions[key] = float(np.mean(a))
        else:
            if len({str(v) for v, _ in vals}) > 1:
                listed = ", ".join(f"{v!r} ({nm})" for v, nm in vals)
                raise DataError(f"merge_scans: condition {key} differs between the scans ({listed})")
            conditions[key] = vals[0][0]

    meta: dict[str, Any] = {"merged_sources": list(sources), "n_merged": n,
                            "merge_range_eV": (float(g[0]), float(g[-1])), "format": "merged"}
    if element:
        meta["element"] = element
    if edge:
        meta["edge"] = edge
    modes = {m.meta.get("mode") for m in scans}
    if len(modes) == 1 and None not in modes:
        meta["mode"] = modes.pop()
    refs = [_mu_ref(m, "merge_scans") for m in scans]
    if all(r is not None for r in refs):
        meta["mu_ref"] = _ro(np.mean([np.interp(g, e, r) for (e, _), r in zip(arrays, refs)], axis=0))
    shifts = [m.meta.get("energy_shift_eV") for m in scans]
    if any(s is not None for s in shifts):
        meta["merged_energy_shifts_eV"] = [None if s is None else float(s) for s in shifts]
    return Measurement(g, mean, sigma=sigma, x_name="energy", x_unit="eV", y_name="mu", y_unit="",
                       sample=sample, conditions=conditions, technique="xas", source=scans[0].source,
                       meta=meta)


# -- E0 and energy calibration -------------------------------------------------------------------

def _smooth_derivative(e: np.ndarray, mu: np.ndarray, lo: float, hi: float,
                       smooth_eV: float) -> tuple[np.ndarray, np.ndarray]:
    """dμ/dE on a fine uniform grid over [lo, hi]: a cubic interpolant's derivative, Gaussian-smoothed."""
    from scipy.interpolate import PchipInterpolator
    from scipy.ndimage import gaussian_filter1d

    pad = 4.0 * smooth_eV
    a, b = max(lo - pad, e[0]), min(hi + pad, e[-1])
    x = np.arange(a, b + 0.5 * FINE_STEP_EV, FINE_STEP_EV)
    d = PchipInterpolator(e, mu, extrapolate=False).derivative()(x)
    d = np.nan_to_num(d)
    if smooth_eV > 0:
        d = gaussian_filter1d(d, smooth_eV / FINE_STEP_EV, mode="nearest")
    return x, d


def edge_energy(energy, mu, *, near: float | None = None, window_eV: float = 50.0,
                smooth_eV: float = 0.5) -> float:
    """E0 of an absorption edge: the maximum of the smoothed dμ/dE, to a fraction of the grid step.

    μ is interpolated with a monotone cubic (PCHIP), differentiated on a
    0.02 eV grid, smoothed with a Gaussian of ``smooth_eV`` and the maximum
    refined with a parabola through the three highest fine-grid points.

    Parameters
    ----------
    energy, mu : array_like
        Increasing energies (eV) and μ.
    near : float, optional
        Look within ``near ± window_eV`` (default: the whole scan, less 5 % at each end).
    window_eV : float
    smooth_eV : float
        Gaussian σ of the derivative smoothing (0: none).

    Examples
    --------
    >>> import numpy as np
    >>> e = np.arange(8900.0, 9100.0, 0.5)
    >>> round(edge_energy(e, np.arctan((e - 8979.37) / 1.5)), 3)
    8979.37
    """
    e = np.asarray(energy, float)
    mu = np.asarray(mu, float)
    if e.size < 5 or e.shape != mu.shape or np.any(np.diff(e) <= 0):
        raise DataError("edge_energy: need at least 5 points with increasing energy and as many mu values")
    if near is None:
        span = e[-1] - e[0]
        lo, hi = e[0] + 0.05 * span, e[-1] - 0.05 * span
    else:
        lo, hi = max(near - window_eV, e[0]), min(near + window_eV, e[-1])
        if hi - lo < 4 * FINE_STEP_EV:
            raise DataError(f"edge_energy: no data within {window_eV:g} eV of {near:g} eV (the scan covers "
                            f"{e[0]:g}-{e[-1]:g} eV); check reference_e0 or widen window_eV")
    x, d = _smooth_derivative(e, mu, lo, hi, smooth_eV)
    inside = np.flatnonzero((x >= lo) & (x <= hi))
    j = int(inside[np.argmax(d[inside])])
    if 0 < j < x.size - 1:
        y0, y1, y2 = d[j - 1], d[j], d[j + 1]
        den = y0 - 2 * y1 + y2
        off = 0.5 * (y0 - y2) / den if den < 0 else 0.0
        return float(x[j] + np.clip(off, -1.0, 1.0) * FINE_STEP_EV)
    return float(x[j])


def _shifted(m: Measurement, shift: float, record: dict) -> Measurement:
    meta = dict(m.meta)
    meta["energy_shift_eV"] = float(meta.get("energy_shift_eV") or 0.0) + shift
    meta.update(record)
    e, _ = spectrum_arrays(m, min_points=1)
    return m.replace(x=e + shift, x_unit="eV", meta=meta)


def calibrate_energy(m: Measurement, *, reference_e0: float, mu_ref=None, window_eV: float = 50.0,
                     smooth_eV: float = 0.5) -> tuple[Measurement, float]:
    """Shift the energy axis so that the reference foil's E0 lands on ``reference_e0``.

    The foil E0 is the maximum of its smoothed derivative (:func:`edge_energy`),
    searched within ``reference_e0 ± window_eV``; the shift
    ``reference_e0 - E0_foil`` is added to every energy.

    Parameters
    ----------
    m : Measurement
        XAS spectrum; its ``meta["mu_ref"]`` is the foil measured with it.
    reference_e0 : float
        Where the foil's E0 belongs (eV), e.g. ``tabulated_edge("Cu", "K")`` = 8979.
    mu_ref : array_like or Measurement, optional
        The foil μ on ``m``'s grid, or a foil Measurement taken with the same
        mono setting (its own grid). Default ``m.meta["mu_ref"]``.
    window_eV, smooth_eV : float
        See :func:`edge_energy`.

    Returns
    -------
    (Measurement, float)
        The shifted spectrum (``meta["energy_shift_eV"]`` accumulates, ``meta["calibration"]``
        has the foil E0 found and the reference) and the shift in eV.

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.xas import xas_measurement
    >>> e = np.arange(8900.0, 9100.0, 0.5)
    >>> m = xas_measurement(e, np.ones(e.size), meta={"mu_ref": np.arctan((e - 8981.25) / 1.5)})
    >>> cal, shift = calibrate_energy(m, reference_e0=8979.0)
    >>> round(shift, 3), round(cal.meta["calibration"]["foil_e0_eV"], 3)
    (-2.25, 8981.25)
    """
    e, _ = spectrum_arrays(m, context="calibrate_energy")
    if mu_ref is None:
        ref = _mu_ref(m, "calibrate_energy")
        if ref is None:
            raise DataError("calibrate_energy: no reference foil channel (meta['mu_ref']); read the file with "
                            "its irefer channel, or pass mu_ref= (an array on this grid or a foil "
                            "Measurement)", path=_src(m))
        e_ref = e
        what = "meta['mu_ref']"
    elif isinstance(mu_ref, Measurement):
        e_ref, ref = spectrum_arrays(mu_ref, context="calibrate_energy (mu_ref)")
        what = mu_ref.source or "mu_ref Measurement"
    else:
        ref = np.asarray(mu_ref, float)
        if ref.shape != e.shape or not np.all(np.isfinite(ref)):
            raise DataError(f"calibrate_energy: mu_ref has shape {ref.shape} but the spectrum has {e.size} "
                            "points (it must be finite and on the same grid)", path=_src(m))
        e_ref = e
        what = "mu_ref array"
    reference_e0 = float(reference_e0)
    try:
        e0 = edge_energy(e_ref, ref, near=reference_e0, window_eV=window_eV, smooth_eV=smooth_eV)
    except DataError as exc:
        raise DataError(f"calibrate_energy: {exc.message}", path=_src(m)) from None
    shift = reference_e0 - e0
    record = {"calibration": {"method": "max derivative of the reference foil", "foil_e0_eV": e0,
                              "reference_e0_eV": reference_e0, "shift_eV": shift, "reference": what,
                              "smooth_eV": float(smooth_eV), "window_eV": float(window_eV)}}
    return _shifted(m, shift, record), float(shift)


def _signal(m: Measurement, use_ref: bool) -> np.ndarray:
    return _mu_ref(m, "align") if use_ref else np.asarray(m.y, float)


def align(m: Measurement, reference: Measurement, *, channel: str = "auto", window_eV=(-30.0, 70.0),
          max_shift_eV: float = 20.0, smooth_eV: float = 0.5) -> tuple[Measurement, float]:
    """Shift ``m``'s energies so that its edge derivative matches ``reference``'s (least squares).

    The model is ``d_ref(E) = a · d_m(E - shift)`` over ``E0_ref + window_eV``
    (d: smoothed dμ/dE, ``a`` a free scale for a different edge step); the
    shift is found by a coarse scan over ``±max_shift_eV`` refined by lmfit.

    Parameters
    ----------
    m, reference : Measurement
        XAS scans.
    channel : {'auto', 'mu_ref', 'mu'}
        ``'mu_ref'``: align ``m``'s foil channel (``meta["mu_ref"]``) to the
        reference's foil channel, or to the reference's μ if it has none (a
        foil scan). ``'mu'``: μ against μ. ``'auto'``: ``'mu_ref'`` when ``m``
        has a foil channel, else ``'mu'``.
    window_eV : (float, float)
        Energies compared, relative to the reference's E0 (:func:`edge_energy`).
    max_shift_eV : float
        Largest shift considered.
    smooth_eV : float
        Gaussian σ of the derivative smoothing.

    Returns
    -------
    (Measurement, float)
        The shifted spectrum (``meta["energy_shift_eV"]`` accumulates;
        ``meta["alignment"]`` has the shift, its standard error, the scale and
        the channels) and the shift in eV.

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.xas import xas_measurement
    >>> e = np.arange(8900.0, 9100.0, 0.5)
    >>> foil = lambda x: np.arctan((x - 8979.0) / 1.5) + 0.3 * np.exp(-((x - 8985.0) / 3) ** 2)
    >>> ref = xas_measurement(e, foil(e))
    >>> m = xas_measurement(e, 2.0 * foil(e + 1.3))        # energies 1.3 eV low, twice the step
    >>> out, shift = align(m, ref)
    >>> round(shift, 2), out.meta["alignment"]["channels"]
    (1.3, ('mu', 'mu'))
    """
    if channel not in ("auto", "mu_ref", "mu"):
        raise ConfigError(f"align: channel must be 'auto', 'mu_ref' or 'mu', got {channel!r}")
    e_m, _ = spectrum_arrays(m, context="align")
    e_r, _ = spectrum_arrays(reference, context="align (reference)")
    has_m = m.meta.get("mu_ref") is not None
    has_r = reference.meta.get("mu_ref") is not None
    if channel == "mu_ref" and not has_m:
        raise DataError("align: channel='mu_ref' but the scan has no reference foil channel "
                        "(meta['mu_ref']); use channel='mu'", path=_src(m))
    use_ref = channel == "mu_ref" or (channel == "auto" and has_m)
    y_m = _signal(m, use_ref)
    y_r = _signal(reference, use_ref and has_r)
    chans = ("mu_ref" if use_ref else "mu", "mu_ref" if (use_ref and has_r) else "mu")
    lo_w, hi_w = (float(v) for v in window_eV)
    if not lo_w < hi_w:
        raise ConfigError(f"align: window_eV must be (low, high) with low < high, got {window_eV!r}")
    e0_r = edge_energy(e_r, y_r, smooth_eV=smooth_eV)
    lo, hi = max(e0_r + lo_w, e_r[0]), min(e0_r + hi_w, e_r[-1])
    # the compared energies must stay inside m's data for every shift tried
    lo, hi = max(lo, e_m[0] + max_shift_eV), min(hi, e_m[-1] - max_shift_eV)
    if hi - lo < 5.0:
        raise DataError(f"align: the scans overlap too little around the reference edge ({e0_r:g} eV): "
                        f"scan {e_m[0]:g}-{e_m[-1]:g} eV, reference {e_r[0]:g}-{e_r[-1]:g} eV, "
                        f"max_shift_eV={max_shift_eV:g}", path=_src(m))
    x, d_r = _smooth_derivative(e_r, y_r, lo, hi, smooth_eV)
    sel = (x >= lo) & (x <= hi)
    x, d_r = x[sel], d_r[sel]
    xm, d_m = _smooth_derivative(e_m, y_m, lo - max_shift_eV, hi + max_shift_eV, smooth_eV)

    def model(shift: float) -> np.ndarray:
        return np.interp(x - shift, xm, d_m)

    def best_scale(dm: np.ndarray) -> float:
        den = float(dm @ dm)
        return float(dm @ d_r) / den if den > 0 else 0.0

    coarse = np.arange(-max_shift_eV, max_shift_eV + 1e-9, 0.1)
    cost = []
    for s in coarse:
        dm = model(s)
        a = best_scale(dm)
        cost.append(float(np.sum((d_r - a * dm) ** 2)))
    s0 = float(coarse[int(np.argmin(cost))])
    a0 = best_scale(model(s0))
    if a0 <= 0:
        raise DataError("align: the scan's edge derivative does not match the reference's (best scale <= 0); "
                        "check the channels (an inverted foil channel?)", path=_src(m))
    from ..core.fit import make_params, minimize

    norm = float(np.max(np.abs(d_r))) or 1.0
    params = make_params({"shift": {"value": s0, "min": max(s0 - 0.5, -max_shift_eV),
                                    "max": min(s0 + 0.5, max_shift_eV)},
                          "scale": {"value": a0, "min": 0.0}})
    rep = minimize(lambda p: (d_r - p["scale"].value * model(p["shift"].value)) / norm, params,
                   context="align")
    shift = float(rep.values["shift"]) if rep.converged else s0
    record = {"alignment": {"shift_eV": shift, "shift_stderr_eV": float(rep.stderr.get("shift", np.nan)),
                            "scale": float(rep.values["scale"]), "converged": bool(rep.converged),
                            "message": rep.message, "channels": chans,
                            "reference": reference.source or "reference Measurement",
                            "window_eV": (float(lo), float(hi)), "smooth_eV": float(smooth_eV)}}
    return _shifted(m, shift, record), shift


# -- deglitch ------------------------------------------------------------------------------------

#: Candidates (by first-pass z) re-tested per deglitch round.
_MAX_CANDIDATES = 25


def _loo_residuals(e: np.ndarray, y: np.ndarray, k: int, deg: int) -> np.ndarray:
    """Residual of each point from a polynomial fitted to its 2k nearest neighbours (itself left out),
    divided by sqrt(1 + leverage of the prediction), so that white noise gives equal variance everywhere."""
    n = e.size
    i = np.arange(n)
    start = np.clip(i - k, 0, n - 2 * k - 1)
    win = start[:, None] + np.arange(2 * k + 1)[None, :]
    nb = win[win != i[:, None]].reshape(n, 2 * k)
    dx = e[nb] - e[:, None]
    t = dx / np.max(np.abs(dx), axis=1, keepdims=True)
    A = t[..., None] ** np.arange(deg + 1)
    ata = np.einsum("nki,nkj->nij", A, A)
    aty = np.einsum("nki,nk->ni", A, y[nb])
    inv = np.linalg.inv(ata)
    coef = np.einsum("nij,nj->ni", inv, aty)
    return (y - coef[:, 0]) / np.sqrt(1.0 + inv[:, 0, 0])


def _local_scale(r: np.ndarray, w: int, floor: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Running median and robust scatter of ``r``: 1.4826 MAD over ±w points, never below ``floor``
    (default: the MAD of all of ``r``)."""
    from numpy.lib.stride_tricks import sliding_window_view

    w = max(1, min(w, (r.size - 1) // 2))
    pad = np.pad(r, w, mode="reflect")
    win = sliding_window_view(pad, 2 * w + 1)
    med = np.median(win, axis=1)
    local = 1.4826 * np.median(np.abs(win - med[:, None]), axis=1)
    if floor is None:
        floor = _global_scale(r)
    return med, np.maximum(local, floor)


def _global_scale(r: np.ndarray) -> float:
    glob = 1.4826 * float(np.median(np.abs(r - np.median(r))))
    return max(glob, 1e-12 * (float(np.max(np.abs(r))) or 1.0))


def _glitch_test(e, y, c: int, r: np.ndarray, k: int, deg: int, w: int, floor: float) -> tuple[float, float]:
    """(z, isolation ratio) of candidate ``c`` with the scatter measured *without* it.

    A glitch leaks into its neighbours' fits and inflates the local scatter;
    recomputing the neighbours' residuals without ``c`` removes that. A smooth
    but sharp feature (an edge sampled coarsely) leaves its neighbours' residuals
    large even without ``c``: the ratio of ``|r_c|`` to the second-largest of
    them (over ±3 points) tells the two apart. Only the stretch of points that
    can matter is refitted (the same numbers as refitting everything).
    """
    half = w + 2 * k + 4
    a, b = max(0, c - half), min(e.size, c + half + 1)
    seg = np.delete(np.arange(a, b), c - a)
    r2 = _loo_residuals(e[seg], y[seg], k, deg)
    med2, s2 = _local_scale(r2, w, floor)
    cc = c - a                                  # where c was: its neighbours are cc - 1 and cc
    p, q = min(cc, seg.size - 1), max(cc - 1, 0)
    mc, sc = 0.5 * (med2[p] + med2[q]), 0.5 * (s2[p] + s2[q])
    z = (r[c] - mc) / sc
    near = np.abs(r2[max(cc - 3, 0): min(cc + 3, seg.size)] - mc)
    second = float(np.sort(near)[-2]) if near.size >= 2 else 0.0
    ratio = abs(r[c] - mc) / second if second > 0 else np.inf
    return float(z), float(ratio)


def deglitch(m: Measurement, *, threshold: float = 8.0, neighbours: int = 4, degree: int = 3,
             scale_window: int = 10, isolation: float = 3.0, protect=None, max_remove: int | None = None
             ) -> tuple[Measurement, np.ndarray]:
    """Remove isolated outliers (glitches) from μ(E).

    Each point is compared with a cubic fitted to its ``2 × neighbours``
    nearest points (itself left out); the residual is measured in units of
    the local robust scatter of those residuals (MAD over ``±scale_window``
    points, never below the whole spectrum's MAD), recomputed without the
    candidate so that a glitch does not hide itself. A point is a glitch when
    that z exceeds ``threshold`` *and* its residual is ``isolation`` times the
    second-largest residual of its ±3 neighbours: a coarsely sampled edge or
    white line leaves several neighbours off the local cubic and is kept
    (real foil spectra at ~0.5 eV steps: nothing removed). The worst glitch is
    removed first and the test repeated. Glitches above ~15× the noise are
    found reliably; two adjacent bad points are not isolated and stay;
    ``protect`` keeps an energy range untouched.

    Parameters
    ----------
    m : Measurement
        XAS spectrum.
    threshold : float
        Robust z above which a point can be a glitch.
    neighbours : int
        Points on each side used for the local fit.
    degree : int
        Degree of the local polynomial.
    scale_window : int
        Half-width (points) of the window of the local scatter.
    isolation : float
        How many times the residual must exceed its neighbours' (second largest).
    protect : (float, float), optional
        Energy range (eV) where no point is removed.
    max_remove : int, optional
        Most points removed (default 5 % of the spectrum).

    Returns
    -------
    (Measurement, ndarray of int)
        The spectrum without the glitches (``sigma`` and ``meta["mu_ref"]``
        trimmed too, ``meta["deglitch"]`` records the removed energies and z)
        and the removed indices into ``m`` (empty: ``m`` itself is returned).

    Examples
    --------
    >>> import numpy as np
    >>> from structkit.xas import xas_measurement
    >>> e = np.linspace(8900.0, 9100.0, 201)
    >>> mu = np.arctan((e - 8979.0) / 2.0) + 1e-3 * np.sin(7.0 * e)
    >>> mu[40] += 0.05
    >>> clean, removed = deglitch(xas_measurement(e, mu))
    >>> removed.tolist(), len(clean)
    ([40], 200)
    """
    e, y = spectrum_arrays(m, context="deglitch")
    if not (threshold > 0 and isolation > 0 and neighbours >= 1 and 0 <= degree < 2 * neighbours
            and scale_window >= 2):
        raise ConfigError("deglitch: need threshold > 0, isolation > 0, neighbours >= 1, "
                          "0 <= degree < 2*neighbours and scale_window >= 2")
    n = e.size
    if n < 2 * neighbours + 4:
        raise DataError(f"deglitch: only {n} points; need at least {2 * neighbours + 4}", path=_src(m))
    if max_remove is None:
        max_remove = max(1, n // 20)
    movable = np.ones(n, dtype=bool)
    if protect is not None:
        plo, phi = (float(v) for v in protect)
        movable &= ~((e >= plo) & (e <= phi))
    alive = np.arange(n)
    removed: dict[int, float] = {}
    while len(removed) < max_remove and alive.size >= 2 * neighbours + 4:
        ea, ya = e[alive], y[alive]
        r = _loo_residuals(ea, ya, neighbours, degree)
        floor = _global_scale(r)
        med, sc = _local_scale(r, scale_window, floor)
        z = np.where(movable[alive], np.abs(r - med) / sc, 0.0)
        found = None
        for c in np.argsort(-z, kind="stable")[:_MAX_CANDIDATES]:
            if z[c] <= 0.4 * threshold:   # a glitch inflates its own first-pass scatter ~2x: screen low
                break
            zc, ratio = _glitch_test(ea, ya, int(c), r, neighbours, degree, scale_window, floor)
            if abs(zc) > threshold and ratio > isolation:
                found = (int(c), zc)
                break
        if found is None:
            break
        removed[int(alive[found[0]])] = found[1]
        alive = np.delete(alive, found[0])
    idx = np.array(sorted(removed), dtype=int)
    if idx.size == 0:
        return m, idx
    keep = np.ones(n, dtype=bool)
    keep[idx] = False
    meta = dict(m.meta)
    ref = _mu_ref(m, "deglitch")
    if ref is not None:
        meta["mu_ref"] = _ro(ref[keep])
    meta["deglitch"] = {"removed_energy_eV": [float(e[i]) for i in idx],
                        "z": [removed[int(i)] for i in idx], "threshold": float(threshold),
                        "isolation": float(isolation), "neighbours": int(neighbours), "degree": int(degree)}
    out = m.replace(x=m.x[keep], y=m.y[keep], sigma=None if m.sigma is None else m.sigma[keep], meta=meta)
    return out, idx
