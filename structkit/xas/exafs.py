"""EXAFS: background removal to χ(k), k-weighting, forward and back Fourier transforms, |χ(R)| peaks and noise.

:func:`extract_exafs` runs larch's ``autobk`` (the AUTOBK spline that removes
the R < ``rbkg`` part of μ(E); ``rbkg``, ``kweight``, ``kmin``/``kmax``,
``dk``/window and the clamps are exposed) and returns an :class:`Exafs` with
χ(k) on larch's uniform 0.05 Å⁻¹ grid. :meth:`Exafs.fourier` (larch
``xftf``) gives a :class:`FourierTransform` with named windows; its
:meth:`~FourierTransform.peaks` are the **phase-uncorrected** |χ(R)| maxima
(the apparent distances Athena shows, 0.3-0.5 Å short of the bond lengths),
and :meth:`~FourierTransform.back_transform` (``xftr``) gives χ(q).

Examples
--------
>>> from structkit.xas import xas_measurement
>>> from structkit.xas.synthetic import synthetic_xas
>>> e, mu = synthetic_xas(8979.0, seed=0, noise=5e-4)
>>> ex = extract_exafs(xas_measurement(e, mu), rbkg=1.0, kweight=2)
>>> ft = ex.fourier(kmin=3, kmax=14, dk=1, window="hanning")
>>> round(float(ft.peaks(rmin=1.5, rmax=3.5)["r"].iloc[0]), 1)    # the damped-sine shell at 2.55 A, no phase
2.5
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import DataError
from ..core.measurement import Measurement
from ..core.summary import SummaryRepr
from . import _larch
from ._common import ETOK, KTOE
from .normalize import NormalizedSpectrum, normalize

__all__ = ["Exafs", "FourierTransform", "extract_exafs", "WINDOWS", "check_k_range"]

#: Window names larch's ``ftwindow`` takes (Athena's set).
WINDOWS = ("hanning", "kaiser", "kaiser-bessel", "parzen", "welch", "sine", "gaussian", "fhanning")

_R_LABEL = "R (Å, not phase-corrected)"


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=complex if np.iscomplexobj(a) else float, copy=True)
    a.setflags(write=False)
    return a


def _check_window(window: str, source: str) -> str:
    w = str(window).lower()
    if w not in WINDOWS:
        raise DataError(f"unknown Fourier window {window!r}; use one of {', '.join(WINDOWS)}", path=source or None)
    return w


def check_k_range(k_data_max: float, kmin: float, kmax: float | None, source: str = "", what: str = "k range") -> float:
    """Check ``kmin < kmax <= k_data_max`` (Å⁻¹) and return kmax (the data's end when None).

    Examples
    --------
    >>> check_k_range(15.9, 3.0, None)
    15.9
    >>> check_k_range(12.0, 3.0, 16.0, source="cu.xdi")
    Traceback (most recent call last):
    ...
    structkit.core.errors.DataError: cu.xdi: k range 3-16 A^-1 goes beyond the data, which end at k = 12 A^-1; lower kmax to 12 or less
    """
    kmax = float(k_data_max) if kmax is None else float(kmax)
    if not 0 <= kmin < kmax:
        raise DataError(f"{what}: kmin must be >= 0 and below kmax (got {kmin:g}, {kmax:g} A^-1)", path=source or None)
    if kmax > k_data_max + 1e-6:
        raise DataError(f"{what} {kmin:g}-{kmax:g} A^-1 goes beyond the data, which end at k = {k_data_max:.3g} A^-1;"
                        f" lower kmax to {np.floor(k_data_max * 10) / 10:g} or less", path=source or None)
    return kmax


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class FourierTransform(SummaryRepr):
    """χ(R) = FT[k^w·W(k)·χ(k)] (larch ``xftf`` conventions: R step π/(nfft·kstep)).

    Attributes
    ----------
    r : ndarray
        Distance, Å, **not phase-corrected**.
    chir : ndarray (complex)
        χ(R); ``magnitude`` = |χ(R)|.
    k, kwin : ndarray
        The k grid and the window used.
    settings : mapping
        kmin, kmax, dk, dk2, window, kweight, nfft, rmax_out.
    """

    r: np.ndarray
    chir: np.ndarray
    k: np.ndarray
    kwin: np.ndarray
    chi: np.ndarray
    settings: Mapping[str, Any] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @property
    def magnitude(self) -> np.ndarray:
        return np.abs(self.chir)

    def peaks(self, *, rmin: float = 0.8, rmax: float | None = None, n: int | None = None,
              min_height: float = 0.05):
        """Local maxima of |χ(R)| in [rmin, rmax], parabola-refined, highest first.

        ``min_height`` is relative to the highest maximum in the window. Returns a
        DataFrame with ``r`` (Å, phase-uncorrected), ``magnitude`` and ``height_rel``.
        """
        import pandas as pd
        r, mag = self.r, self.magnitude
        rmax = r[-1] if rmax is None else rmax
        idx = np.flatnonzero((r >= rmin) & (r <= rmax))
        rows = []
        for i in idx:
            if 0 < i < r.size - 1 and mag[i] > mag[i - 1] and mag[i] >= mag[i + 1]:
                y0, y1, y2 = mag[i - 1], mag[i], mag[i + 1]
                den = y0 - 2 * y1 + y2
                dx = 0.5 * (y0 - y2) / den if den < 0 else 0.0
                h = y1 - 0.25 * (y0 - y2) * dx
                rows.append((r[i] + dx * (r[1] - r[0]), h))
        frame = pd.DataFrame(rows, columns=["r", "magnitude"])
        if frame.empty:
            frame["height_rel"] = []
            return frame
        frame["height_rel"] = frame["magnitude"] / frame["magnitude"].max()
        frame = frame[frame["height_rel"] >= min_height].sort_values("magnitude", ascending=False)
        return frame.head(n).reset_index(drop=True) if n else frame.reset_index(drop=True)

    def noise(self, *, rmin: float = 15.0, rmax: float = 25.0) -> dict[str, float]:
        """Noise from the high-R part of |χ(R)| (larch ``estimate_noise``): ``epsilon_r``, ``epsilon_k``."""
        xafs = _larch.xafs()
        s = self.settings
        if self.r[-1] < rmax:
            raise DataError(f"noise estimate needs chi(R) out to R = {rmax:g} A; transform with rmax_out >= {rmax:g}",
                            path=self.source or None)
        g = _larch.group()
        with _larch.quiet():
            xafs.estimate_noise(np.asarray(self.k), np.asarray(self.chi), group=g, rmin=rmin, rmax=rmax,
                                kweight=s["kweight"], kmin=s["kmin"], kmax=s["kmax"], dk=s["dk"],
                                window=s["window"], nfft=s["nfft"])
        return {"epsilon_r": float(g.epsilon_r), "epsilon_k": float(g.epsilon_k)}

    def back_transform(self, *, rmin: float, rmax: float, dr: float = 0.1, window: str = "hanning"):
        """χ(q) = back-FT of χ(R) windowed on [rmin, rmax] (larch ``xftr``): (q, complex χ(q))."""
        xafs = _larch.xafs()
        window = _check_window(window, self.source)
        if not 0 <= rmin < rmax <= self.r[-1]:
            raise DataError(f"back-transform range {rmin:g}-{rmax:g} A must lie inside 0-{self.r[-1]:g} A",
                            path=self.source or None)
        g = _larch.group()
        with _larch.quiet():
            xafs.xftr(np.asarray(self.r), np.asarray(self.chir), group=g, rmin=rmin, rmax=rmax, dr=dr,
                      window=window, nfft=self.settings["nfft"], kstep=float(self.k[1] - self.k[0]))
        return np.asarray(g.q), np.asarray(g.chiq)

    def descriptors(self, *, rmin: float = 0.8, rmax: float = 6.0, n: int = 3) -> list[DescriptorRow]:
        """``ft_peak_r_A[i]`` and ``ft_peak_mag[i]`` of the ``n`` highest |χ(R)| maxima (phase-uncorrected)."""
        s = self.settings
        method = (f"|chi(R)| maximum, NOT phase-corrected; k {s['kmin']:g}-{s['kmax']:g}, kw {s['kweight']}, "
                  f"dk {s['dk']:g} {s['window']}")
        base = {"sample": self.sample, "technique": "xas", "conditions": self.conditions, "source": self.source,
                "method": method}
        rows = []
        peaks = self.peaks(rmin=rmin, rmax=rmax, n=n).sort_values("r").reset_index(drop=True)
        for i, p in peaks.iterrows():
            rows += [DescriptorRow(name=f"ft_peak_r_A[{i + 1}]", value=p["r"], unit="angstrom", **base),
                     DescriptorRow(name=f"ft_peak_mag[{i + 1}]", value=p["magnitude"],
                                   unit=f"A^-{s['kweight'] + 1}", **base)]
        return rows

    def to_frame(self):
        return self.peaks()

    def summary(self) -> str:
        s = self.settings
        pk = self.peaks(n=3).sort_values("r")
        where = ", ".join(f"{r:.2f}" for r in pk["r"]) or "none"
        return (f"FourierTransform {self.sample or self.source}: k {s['kmin']:g}-{s['kmax']:g} A^-1, kw {s['kweight']}, "
                f"{s['window']} dk {s['dk']:g}; |chi(R)| peaks at {where} A (not phase-corrected)")

    def plot(self, ax=None, *, rmax: float = 6.0, parts: bool = False):
        from .plot import plot_chir
        return plot_chir(self, ax=ax, rmax=rmax, parts=parts)


@dataclass(frozen=True, eq=False, repr=False)   # repr from SummaryRepr
class Exafs(SummaryRepr):
    """χ(k) from AUTOBK, with the background and the normalization it came from.

    Attributes
    ----------
    k, chi : ndarray
        Uniform k grid (Å⁻¹, step ``settings['kstep']``) and χ(k).
    energy, bkg : ndarray
        Energy and the μ₀(E) background spline (μ units) on the data grid.
    e0, edge_step : float
    normalized : NormalizedSpectrum
    settings : mapping
        rbkg, kweight, kmin, kmax, dk, window, nclamp, clamp_lo, clamp_hi, e0, kstep, larch version.
    """

    k: np.ndarray
    chi: np.ndarray
    energy: np.ndarray
    bkg: np.ndarray
    e0: float
    edge_step: float
    normalized: NormalizedSpectrum | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    source: str = ""

    @classmethod
    def from_chi(cls, k, chi, *, sample: str = "", conditions: Mapping[str, Any] | None = None,
                 source: str = "", e0: float = 0.0) -> Exafs:
        """An Exafs of a given χ(k) (theory, e.g. :meth:`FeffResult.chi`, or χ(k) exported elsewhere).

        ``k`` must be a uniform grid from 0 or above (Å⁻¹); the energy axis is the one the k grid
        implies above ``e0``, there is no background and no normalization, so :meth:`fourier`,
        :meth:`wavelet` and :func:`~structkit.xas.shells.fit_shells` treat it like measured χ(k).

        Examples
        --------
        >>> k = np.arange(0, 15.0001, 0.05)
        >>> ex = Exafs.from_chi(k, np.sin(2 * k * 2.2) * np.exp(-0.01 * k * k), sample="theory")
        >>> round(ex.kmax_data, 2)
        15.0
        """
        k = np.asarray(k, dtype=float)
        chi = np.asarray(chi, dtype=float)
        if k.ndim != 1 or k.shape != chi.shape or k.size < 8:
            raise DataError(f"from_chi needs 1-D k and chi of the same length (at least 8), got {k.shape} and "
                            f"{chi.shape}", path=source or None)
        step = np.diff(k)
        if not (np.all(np.isfinite(k)) and np.all(np.isfinite(chi))) or k[0] < 0 \
                or not np.allclose(step, step[0], rtol=1e-6, atol=1e-9) or step[0] <= 0:
            raise DataError("from_chi needs a finite, uniform, increasing k grid from k >= 0 and finite chi",
                            path=source or None)
        settings = {"kstep": float(step[0]), "e0": float(e0), "origin": "given chi(k)"}
        return cls(k=_ro(k), chi=_ro(chi), energy=_ro(e0 + KTOE * k ** 2), bkg=_ro(np.zeros_like(k)),
                   e0=float(e0), edge_step=1.0, settings=settings, sample=sample,
                   conditions=dict(conditions or {}), source=source)

    @property
    def kmax_data(self) -> float:
        """Highest k the measured data reach (Å⁻¹)."""
        return float(np.sqrt(max(self.energy[-1] - self.e0, 0.0) * ETOK))

    def chik(self, kweight: float = 2) -> np.ndarray:
        """k^w·χ(k)."""
        return np.asarray(self.k) ** kweight * np.asarray(self.chi)

    def fourier(self, *, kmin: float = 3.0, kmax: float | None = None, dk: float = 1.0, dk2: float | None = None,
                window: str = "kaiser", kweight: float = 2, rmax_out: float = 10.0,
                nfft: int = 2048) -> FourierTransform:
        """|χ(R)| of k^w·χ(k) through a named window (larch ``xftf``).

        ``kmax`` defaults to the end of the data; a range beyond the data raises.
        """
        xafs = _larch.xafs()
        window = _check_window(window, self.source)
        kmax = check_k_range(self.kmax_data, kmin, kmax, self.source, "Fourier k range")
        g = _larch.group()
        with _larch.quiet():
            xafs.xftf(np.asarray(self.k), np.asarray(self.chi), group=g, kmin=kmin, kmax=kmax, dk=dk, dk2=dk2,
                      window=window, kweight=kweight, rmax_out=rmax_out, nfft=nfft)
        settings = {"kmin": float(kmin), "kmax": float(kmax), "dk": float(dk), "dk2": dk2, "window": window,
                    "kweight": kweight, "nfft": int(nfft), "rmax_out": float(rmax_out)}
        return FourierTransform(r=_ro(g.r), chir=_ro(g.chir), k=self.k, kwin=_ro(g.kwin), chi=self.chi,
                                settings=settings, sample=self.sample, conditions=self.conditions,
                                source=self.source)

    def wavelet(self, kind: str = "cauchy", **kws):
        """Wavelet transform of this χ(k) (see :mod:`structkit.xas.wavelet`): ``kind`` 'cauchy' or 'morlet'."""
        from . import wavelet
        funcs = {"cauchy": wavelet.cauchy_wt, "morlet": wavelet.morlet_wt}
        if kind not in funcs:
            raise DataError(f"unknown wavelet {kind!r}; use 'cauchy' or 'morlet'", path=self.source or None)
        return funcs[kind](np.asarray(self.k), np.asarray(self.chi), sample=self.sample,
                           conditions=self.conditions, source=self.source, **kws)

    def descriptors(self) -> list[DescriptorRow]:
        """The normalization descriptors (E0, edge step, white line) of the spectrum it came from."""
        return self.normalized.descriptors() if self.normalized is not None else []

    def to_frame(self):
        import pandas as pd
        return pd.DataFrame({"k": self.k, "chi": self.chi})

    def summary(self) -> str:
        s = self.settings
        return (f"Exafs {self.sample or self.source}: chi(k) to {self.k[-1]:.2f} A^-1 (data to {self.kmax_data:.2f}), "
                f"E0 {self.e0:.2f} eV, edge step {self.edge_step:.4g}, rbkg {s.get('rbkg')} A, kweight "
                f"{s.get('kweight')}")

    def plot(self, ax=None, *, kweight: float = 2):
        from .plot import plot_chik
        return plot_chik(self, ax=ax, kweight=kweight)


def extract_exafs(spectrum: Measurement | NormalizedSpectrum, *, rbkg: float = 1.0, kweight: float = 2,
                  kmin: float = 0.0, kmax: float | None = None, dk: float = 0.1, window: str = "hanning",
                  nclamp: int = 3, clamp_lo: float = 0.0, clamp_hi: float = 1.0, e0: float | None = None,
                  kstep: float = 0.05, **normalize_kws) -> Exafs:
    """χ(k) by AUTOBK background removal (larch ``autobk``).

    Parameters
    ----------
    spectrum : Measurement or NormalizedSpectrum
        Raw μ(E) (normalized first, with ``normalize_kws``) or a :func:`normalize` result.
    rbkg : float
        R (Å) below which the background spline absorbs Fourier components (≈ half the first-shell distance).
    kweight : float
        k-weight used in the background fit.
    kmin, kmax : float
        k range of the spline (Å⁻¹); ``kmax`` defaults to the data's end; beyond it raises.
    dk, window :
        Window of the background fit.
    nclamp, clamp_lo, clamp_hi :
        Number of end points and weights of the spline clamps at low and high k.
    e0 : float, optional
        Override E0 (eV); otherwise the normalization's.
    kstep : float
        Output k grid step (Å⁻¹).

    Returns
    -------
    Exafs
    """
    norm = spectrum if isinstance(spectrum, NormalizedSpectrum) else normalize(spectrum, e0=e0, **normalize_kws)
    source = norm.source
    window = _check_window(window, source)
    if not rbkg > 0:
        raise DataError(f"rbkg must be > 0 A (got {rbkg})", path=source or None)
    e0 = norm.e0 if e0 is None else float(e0)
    energy, mu = np.asarray(norm.energy), np.asarray(norm.mu)
    kdata = float(np.sqrt(max(energy[-1] - e0, 0.0) * ETOK))
    if kdata < 2.0:
        raise DataError(f"the scan ends {energy[-1] - e0:.1f} eV above E0 (k = {kdata:.2f} A^-1); EXAFS needs data "
                        "well beyond the edge", path=source or None)
    kmax = check_k_range(kdata, kmin, kmax, source, "background k range")
    xafs = _larch.xafs()
    g = _larch.group(energy=energy.copy(), mu=mu.copy())
    try:
        # e0 and edge_step given: autobk takes them and does not run pre_edge again
        with _larch.quiet():
            xafs.autobk(g, rbkg=rbkg, e0=e0, kweight=kweight, kmin=kmin, kmax=kmax, dk=dk, win=window,
                        nclamp=nclamp, clamp_lo=clamp_lo, clamp_hi=clamp_hi, kstep=kstep,
                        edge_step=norm.edge_step)
    except (ValueError, IndexError, TypeError, np.linalg.LinAlgError) as exc:
        raise DataError(f"AUTOBK background removal failed ({exc}); check rbkg ({rbkg}) and the k range "
                        f"({kmin:g}-{kmax:g})", path=source or None) from None
    chi = np.asarray(g.chi, float)
    if not np.all(np.isfinite(chi)):
        raise DataError("AUTOBK gave non-finite chi(k); check the data for gaps and the k range", path=source or None)
    settings = {"rbkg": float(rbkg), "kweight": kweight, "kmin": float(kmin), "kmax": float(kmax), "dk": float(dk),
                "window": window, "nclamp": int(nclamp), "clamp_lo": float(clamp_lo), "clamp_hi": float(clamp_hi),
                "e0": float(e0), "kstep": float(kstep), "normalize": dict(norm.settings),
                "larch": _larch.larch_version()}
    return Exafs(k=_ro(g.k), chi=_ro(chi), energy=_ro(energy), bkg=_ro(g.bkg), e0=float(e0),
                 edge_step=float(norm.edge_step), normalized=norm, settings=settings, sample=norm.sample,
                 conditions=norm.conditions, source=source)
