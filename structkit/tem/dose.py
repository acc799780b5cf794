"""Dose series of HRTEM frames: drift, tracked spots → d(D), lattice strain ε(D), critical dose.

* :func:`estimate_drift` — (dy, dx) of every frame against a reference frame by phase correlation,
  refined to a fraction of a pixel by an upsampled local DFT around the peak.
* :func:`dose_series` — chosen spots (by d and optionally angle) located in the power spectrum of
  the first frames, then re-fitted in every frame around their previous position: d(D) with a
  standard error, the strain ε(D) = (d(D) − d0)/d0 with a straight line through it (expansion at
  a dose), and the spot intensity I(D) with a weighted fit I0·exp(−D/Dc) → critical dose Dc.

Per frame and spot: the background under the box from the rings of the spectrum at the spot's
radius (the spot boxes left out), the centre by the fit of :func:`~structkit.tem.fft.find_spots`,
the intensity = background-subtracted power over the 5 × 5 main lobe with its error (shot noise,
window correlations, background error). The critical-dose fit re-weights from the model
(σ² = a + b·I_model): weights taken from the measured intensities would favour the frames that
fluctuated down. Frames whose spot is below ``threshold`` are "not found": no d, but their
intensity (~0 ± error) stays in the critical-dose fit — leaving them out would bias Dc upwards.

Speed: each frame is read once as float32, windowed in place and transformed with a real FFT
(``scipy.fft.rfft2``, complex64); only small boxes around the tracked spots are refitted. The
power spectrum of a real frame is centrosymmetric, so the Friedel mate of a spot holds the same
numbers: it is fitted once, on the half plane the real FFT returns (the merged g = (g₊ − g₋)/2 of
:func:`~structkit.tem.fft.find_spots` is the same number).

Examples
--------
>>> from structkit.tem import synthetic_stack
>>> s = synthetic_stack(shape=(256, 256), n_frames=12, dose_per_frame_e_per_A2=2.0,
...                     electrons_per_A2_scale=8.0, seed=2)
>>> ds = dose_series(s, track=(4.7, 4.7), angles=(0.0, 90.0))
>>> [t.label for t in ds.tracks]
['4.70A@0deg', '4.70A@90deg']
>>> t = ds.tracks[1]                 # the truth: 0.0035 per e/Å²
>>> abs(t.strain_rate_per_e_per_A2 - 0.0035) < 3 * t.strain_rate_stderr_per_e_per_A2, bool(t.found.all())
(True, True)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.descriptors import DescriptorRow
from ..core.errors import ConfigError, DataError
from ..core.fit import make_params, minimize
from ..core.frozen import FrozenMap
from ..core.image import ImageStack
from ..core.summary import SummaryRepr
from .fft import (
    _RADIAL_EXTRA,
    REFINE_METHODS,
    _Background,
    _check_region,
    _check_window,
    _fit_box,
    _kernel,
    _radial_background,
    _tukey,
    _window_1d,
    find_spots,
    power_spectrum,
)

__all__ = ["estimate_drift", "dose_series", "DoseSeries", "Track"]


def _ro(a, dtype=float):
    a = np.array(a, dtype=dtype)
    a.setflags(write=False)
    return a


# -- drift -------------------------------------------------------------------------------
def _drift_window(n: int) -> np.ndarray:
    return _tukey(n, 0.25).astype(np.float32)


def _spectrum_for_drift(img: np.ndarray, wy, wx):
    import scipy.fft as sfft

    f = np.asarray(img, dtype=np.float32).copy()
    f -= f.mean(dtype=np.float64)
    f *= wy[:, None]
    f *= wx[None, :]
    return sfft.rfft2(f)


def _upsampled_peak(r: np.ndarray, shape, peak, upsample: int):
    """Refine an integer correlation peak by a local DFT of the half spectrum ``r`` on a 1/upsample grid.

    Returns the (dy, dx) of the maximum of the upsampled correlation, refined by a parabola.
    """
    ny, nx = shape
    ky = np.fft.fftfreq(ny) * ny
    kx = np.fft.rfftfreq(nx) * nx
    wk = np.full(kx.size, 2.0)                          # Hermitian weights of the half spectrum
    wk[0] = 1.0
    if nx % 2 == 0:
        wk[-1] = 1.0
    m = int(math.ceil(1.5 * upsample))
    offs = np.arange(-m, m + 1) / upsample
    ys = peak[0] + offs
    xs = peak[1] + offs
    ey = np.exp(2j * np.pi * np.outer(ys, ky) / ny)     # (M, ny)
    ex = np.exp(2j * np.pi * np.outer(kx, xs) / nx)     # (nxh, M)
    cc = (ey @ ((r * wk[None, :]) @ ex)).real
    iy, ix = np.unravel_index(int(np.argmax(cc)), cc.shape)

    def parabola(a, b, c):
        den = a - 2 * b + c
        return 0.0 if den >= 0 else 0.5 * (a - c) / den

    dy = parabola(cc[iy - 1, ix], cc[iy, ix], cc[iy + 1, ix]) if 0 < iy < cc.shape[0] - 1 else 0.0
    dx = parabola(cc[iy, ix - 1], cc[iy, ix], cc[iy, ix + 1]) if 0 < ix < cc.shape[1] - 1 else 0.0
    return ys[iy] + dy / upsample, xs[ix] + dx / upsample


def _radial_index(shape):
    """Ring index (|k| in Fourier pixels, rounded) of every bin of the rfft2 array of a ``shape`` image."""
    ny, nx = shape
    m = min(ny, nx)
    ky = np.fft.fftfreq(ny)[:, None] * m
    kx = np.fft.rfftfreq(nx)[None, :] * m
    return np.rint(np.hypot(ky, kx)).astype(np.int64)


def _ring_median(p: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Median of ``p`` in every ring (robust to the lattice spots), an array over the ring indices."""
    flat, rv = p.ravel(), ring.ravel()
    order = np.lexsort((flat, rv))
    counts = np.bincount(rv)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = np.zeros(counts.size)
    good = counts > 0
    out[good] = flat[order][starts[good] + (counts[good] - 1) // 2]
    return out


def _noise_power(f: np.ndarray, ring: np.ndarray, n_ring: int) -> float:
    """Shot-noise power per Fourier pixel: median/ln 2 of |F|² beyond half of the Nyquist frequency."""
    p = np.abs(f[ring > n_ring // 2]) ** 2
    return float(np.median(p)) / math.log(2.0) if p.size else 0.0


class _DriftWeights:
    """Frequency weights of the cross-power spectrum for the shift of a frame against the reference.

    The useful signal for a shift is the non-periodic detail of the specimen (amorphous support,
    edges): a lattice gives a comb of equal correlation peaks one lattice period apart, and the
    shot noise is white. With S(|k|) the reference's ring-median power above the noise N, the cross
    power is weighted by S/(S + N)² (a Wiener / matched filter: whitened where the signal is strong,
    suppressed where the noise dominates); bins above their ring (Bragg spots) are brought down to
    the ring's level and those 5 × above it left out, so that the lattice's comb of correlation
    peaks does not decide.
    """

    def __init__(self, f_ref: np.ndarray, shape):
        self.ring = _radial_index(shape)
        self.n_ring = min(shape) // 2
        self.n_ref = _noise_power(f_ref, self.ring, self.n_ring)
        med = _ring_median(np.abs(f_ref) ** 2, self.ring) / math.log(2.0)
        # a ring's median of n exponentials scatters by ~1.2/√n: only what stands 4 of those above
        # the noise counts as signal (else every high-frequency ring would add its noise)
        n_bins = np.maximum(np.bincount(self.ring.ravel(), minlength=med.size), 1)
        excess = med - self.n_ref * (1.0 + 4.0 * 1.2 / np.sqrt(n_bins))
        self.signal = np.where(excess > 0, med - self.n_ref, 0.0)[self.ring].astype(np.float32)

    def __call__(self, r: np.ndarray, f_mov: np.ndarray) -> np.ndarray:
        from scipy import ndimage as ndi

        noise = math.sqrt(max(self.n_ref, 0.0) * max(_noise_power(f_mov, self.ring, self.n_ring), 0.0))
        s = self.signal
        level = s + np.float32(noise)
        local = ndi.uniform_filter(np.abs(r).astype(np.float32), 3, mode="wrap")
        n = np.float32(max(noise, 1e-30))
        ratio = level / np.maximum(local, 1e-30)
        w = s / (n * (n + 2 * s)) * np.where(ratio < 0.2, 0.0, np.minimum(1.0, ratio))
        return w.astype(np.float32)


def _correlation_peak(r: np.ndarray, shape, upsample: int):
    """Peak of the inverse transform of the weighted cross power ``r`` (half spectrum), sub-pixel."""
    import scipy.fft as sfft

    cc = sfft.irfft2(r, s=shape)
    iy, ix = np.unravel_index(int(np.argmax(cc)), cc.shape)
    ny, nx = shape
    peak = (iy - ny if iy > ny // 2 else iy, ix - nx if ix > nx // 2 else ix)
    if upsample <= 1:
        return float(peak[0]), float(peak[1])
    dy, dx = _upsampled_peak(r, shape, peak, int(upsample))
    return float(dy), float(dx)


def _shifted(img: np.ndarray, dy: float, dx: float) -> np.ndarray:
    """``img`` moved by (−dy, −dx) pixels (a periodic Fourier shift), float32."""
    import scipy.fft as sfft

    ny, nx = img.shape
    f = sfft.rfft2(np.asarray(img, dtype=np.float32))
    ky = np.fft.fftfreq(ny)[:, None].astype(np.float32)
    kx = np.fft.rfftfreq(nx)[None, :].astype(np.float32)
    f *= np.exp(2j * np.pi * (ky * np.float32(dy) + kx * np.float32(dx))).astype(np.complex64)
    return sfft.irfft2(f, s=(ny, nx)).astype(np.float32)


def estimate_drift(stack: ImageStack, *, reference: int = 0, upsample: int = 10) -> np.ndarray:
    """(dy, dx) pixel shift of every frame against frame ``reference``.

    Weighted phase correlation: a Tukey window against the image edges; the cross-power spectrum
    weighted by the signal-to-noise ratio of each frequency, Bragg spots left out (a lattice alone fixes a shift only modulo its period; the non-periodic detail of
    the specimen fixes it). The integer peak is refined on a 1/``upsample`` pixel grid by a local
    DFT of the weighted cross power and a parabola through the upsampled maximum. The window does
    not move with the specimen and pulls the estimate towards zero by a few per cent, so the frame
    is shifted back by the first estimate and the small rest is measured again. A frame whose
    content moved by +dy rows has ``drift[i, 0] = +dy``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.ndimage import fourier_shift, gaussian_filter
    >>> rng = np.random.default_rng(0)
    >>> a = gaussian_filter(rng.normal(size=(128, 128)), 2.0)
    >>> b = np.fft.ifft2(fourier_shift(np.fft.fft2(a), (1.3, -0.6))).real
    >>> estimate_drift(ImageStack(np.stack([a, b]))).round(2).tolist()
    [[0.0, 0.0], [1.3, -0.6]]
    """
    if not isinstance(stack, ImageStack):
        raise ConfigError(f"estimate_drift needs an ImageStack, got {type(stack).__name__}")
    n = stack.n_frames
    ref = int(reference)
    if not -n <= ref < n:
        raise DataError(f"reference frame {reference} is out of range for a stack of {n}", path=stack.source or None)
    ny, nx = stack.shape
    wy, wx = _drift_window(ny), _drift_window(nx)
    f_ref = _spectrum_for_drift(stack.frame(ref, dtype=np.float32), wy, wx)
    weights = _DriftWeights(f_ref, (ny, nx))
    out = np.zeros((n, 2))
    for i in range(n):
        if i == ref % n:
            continue
        img = stack.frame(i, dtype=np.float32)
        f = _spectrum_for_drift(img, wy, wx)
        r = f * np.conj(f_ref)
        w = weights(r, f)
        dy, dx = _correlation_peak(r * w, (ny, nx), int(upsample))
        f = _spectrum_for_drift(_shifted(img, dy, dx), wy, wx)
        ry, rx = _correlation_peak(f * np.conj(f_ref) * w, (ny, nx), int(upsample))
        out[i] = (dy + ry, dx + rx)
    return out


# -- tracks -----------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class Track:
    """One tracked reflection through the dose series.

    Arrays have one value per frame; ``found`` is False where the spot was below the noise (its
    d is NaN there; its intensity is still measured at the expected place and enters the
    critical-dose fit). ``strain_stderr`` holds the per-frame error from d only (the error of d0
    is common to all frames and given separately).
    """

    label: str
    d_target_angstrom: float
    angle_deg: float
    dose_e_per_A2: np.ndarray
    d_angstrom: np.ndarray
    d_stderr_angstrom: np.ndarray
    strain: np.ndarray
    strain_stderr: np.ndarray
    intensity: np.ndarray
    intensity_stderr: np.ndarray
    found: np.ndarray
    d0_angstrom: float
    d0_stderr_angstrom: float
    strain_rate_per_e_per_A2: float
    strain_rate_stderr_per_e_per_A2: float
    critical_dose_e_per_A2: float
    critical_dose_stderr_e_per_A2: float
    final_dose_e_per_A2: float
    strain_intercept: float = 0.0
    strain_line_cov: tuple = ((np.nan, np.nan), (np.nan, np.nan))
    intensity0: float = float("nan")
    intensity0_stderr: float = float("nan")
    gx_inv_angstrom: np.ndarray | None = None
    gy_inv_angstrom: np.ndarray | None = None
    snr: np.ndarray | None = None
    messages: tuple = ()

    def expansion_at(self, dose_e_per_A2) -> tuple:
        """(strain, stderr) of the straight line ε(D) at a dose (arrays for an array of doses).

        The error holds that of the line and that of d0 (which shifts every strain alike:
        ∂ε/∂d0 = −(1 + ε)/d0).
        """
        d = np.asarray(dose_e_per_A2, dtype=float)
        val = self.strain_intercept + self.strain_rate_per_e_per_A2 * d
        c = np.asarray(self.strain_line_cov, dtype=float)
        var = c[0, 0] + 2 * d * c[0, 1] + d * d * c[1, 1]
        if np.isfinite(self.d0_stderr_angstrom) and self.d0_angstrom > 0:
            var = var + ((1.0 + val) * self.d0_stderr_angstrom / self.d0_angstrom) ** 2
        err = np.sqrt(np.where(var >= 0, var, np.nan))
        if np.ndim(val) == 0:
            return float(val), float(err)
        return val, err

    @property
    def final_expansion_percent(self) -> float:
        """100 × the straight-line strain at the total dose of the series (end of the last frame)."""
        return 100.0 * self.expansion_at(self.final_dose_e_per_A2)[0]

    @property
    def final_expansion_stderr_percent(self) -> float:
        return 100.0 * self.expansion_at(self.final_dose_e_per_A2)[1]

    @property
    def n_found(self) -> int:
        return int(np.sum(self.found))


def _weighted_line(x, y, sigma, context):
    """Weighted straight line y = a + b·x through core.fit; covariance × max(1, reduced χ²)."""
    x, y, s = (np.asarray(v, dtype=float) for v in (x, y, sigma))
    if x.size == 1:
        return float(y[0]), 0.0, np.array([[s[0] ** 2, 0.0], [0.0, np.nan]]), "one point"
    w = 1.0 / s ** 2
    sw, sx, sy = w.sum(), (w * x).sum(), (w * y).sum()
    sxx, sxy = (w * x * x).sum(), (w * x * y).sum()
    den = sw * sxx - sx * sx
    b0 = (sw * sxy - sx * sy) / den if den > 0 else 0.0
    a0 = (sy - b0 * sx) / sw
    rep = minimize(lambda p: (p["a"].value + p["b"].value * x - y) / s, make_params({"a": a0, "b": b0}),
                   context=context, scale_covar=False)
    a, b = rep.values["a"], rep.values["b"]
    if rep.covar is not None and x.size > 2:
        cov = np.array(rep.covar) * max(1.0, rep.redchi)
    elif den > 0:
        cov = np.array([[sxx, -sx], [-sx, sw]]) / den
        if x.size > 2:
            cov *= max(1.0, rep.redchi)
    else:
        cov = np.full((2, 2), np.nan)
    return float(a), float(b), cov, "" if rep.converged else rep.message


def _exp_fit(dose, inten, err, context, var_noise=None, var_per_intensity=None):
    """Weighted I0·exp(−D/Dc) → (Dc, Dc_err, I0, I0_err, message).

    With ``var_noise``/``var_per_intensity`` the weights are re-computed from the model,
    σ² = var_noise + var_per_intensity·I_model (iteratively re-weighted): weights taken from the
    data would favour the frames whose intensity fluctuated down and bias Dc.
    """
    dose, inten, err = (np.asarray(v, dtype=float) for v in (dose, inten, err))
    if var_noise is None:
        var_noise, var_per_intensity = err ** 2, np.zeros_like(err)
    va, vb = np.asarray(var_noise, dtype=float), np.asarray(var_per_intensity, dtype=float)
    ok = np.isfinite(dose) & np.isfinite(inten) & np.isfinite(err) & np.isfinite(va) & np.isfinite(vb)
    dose, inten, err, va, vb = dose[ok], inten[ok], err[ok], va[ok], vb[ok]
    if dose.size < 3:
        return np.nan, np.nan, np.nan, np.nan, f"critical dose: only {dose.size} frame(s) with an intensity"
    floor = 1e-9 * max(float(np.max(np.abs(inten))), 1e-300)
    err = np.maximum(err, floor)
    pos = inten > 3 * err
    if pos.sum() >= 2:
        a, b, _, _ = _weighted_line(dose[pos], np.log(inten[pos]), err[pos] / inten[pos], context)
        i0, rate0 = math.exp(a), -b
    else:
        i0, rate0 = float(max(inten.max(), floor)), 0.0
    span = float(dose.max() - dose.min()) or 1.0
    params = make_params({"i0": {"value": i0, "min": 0.0},
                          "rate": {"value": rate0, "min": -10.0 / span, "max": 100.0 / span}})
    sig = err
    for _ in range(3):
        rep = minimize(lambda p: (p["i0"].value * np.exp(-p["rate"].value * dose) - inten) / sig, params,
                       context=context, scale_covar=False)
        if not rep.converged or rep.covar is None:
            break
        model = rep.values["i0"] * np.exp(-rep.values["rate"] * dose)
        sig = np.maximum(np.sqrt(np.maximum(va + vb * np.clip(model, 0.0, None), 0.0)), floor)
        params = make_params({"i0": {"value": rep.values["i0"], "min": 0.0},
                              "rate": {"value": rep.values["rate"], "min": -10.0 / span, "max": 100.0 / span}})
    if not rep.converged or rep.covar is None:
        return np.nan, np.nan, rep.values["i0"], np.nan, f"critical dose: the exponential fit did not converge ({rep.message})"
    cov = np.array(rep.covar) * max(1.0, rep.redchi)
    names = list(rep.var_names)
    rate, i0 = rep.values["rate"], rep.values["i0"]
    s_rate = math.sqrt(cov[names.index("rate"), names.index("rate")])
    s_i0 = math.sqrt(cov[names.index("i0"), names.index("i0")])
    if rate <= 0:
        return np.nan, np.nan, i0, s_i0, (f"critical dose: no decay of the spot intensity over "
                                          f"{dose.min():.3g}–{dose.max():.3g} e/Å² (rate {rate:.3g} ± {s_rate:.2g})")
    msg = ""
    if rate < 2 * s_rate:
        msg = (f"critical dose poorly determined: the decay over {dose.min():.3g}–{dose.max():.3g} e/Å² is "
               f"{rate / s_rate:.1f} σ from zero")
    return 1.0 / rate, s_rate / rate ** 2, i0, s_i0, msg


# -- the half-plane spectrum of a frame ---------------------------------------------------
def _half_power_box(h: np.ndarray, shape, ky0: int, kx0: int, half: int) -> np.ndarray:
    """|F|² on the (2·half+1)² box of signed frequency indices around (ky0, kx0), from an rfft2 array."""
    ny, nx = shape
    ky = np.arange(ky0 - half, ky0 + half + 1)[:, None]
    kx = np.arange(kx0 - half, kx0 + half + 1)[None, :]
    neg = kx < 0
    rows = np.where(neg, (-ky) % ny, ky % ny)
    cols = np.abs(kx) + 0 * ky
    v = h[rows, cols]
    return v.real.astype(float) ** 2 + v.imag.astype(float) ** 2


class _HalfRings:
    """Pixels of the half-plane (rfft2) spectrum within a band of radii, for the radial background of
    a tracked spot: indices into the rfft2 array and radii in FFT pixels (the larger step)."""

    def __init__(self, shape, r_lo: float, r_hi: float, ky_scale: float, kx_scale: float):
        ny, nx = shape
        ky = np.fft.fftfreq(ny) * ny
        kx = np.arange(nx // 2 + 1, dtype=float)
        rad = np.hypot(ky[:, None] * ky_scale, kx[None, :] * kx_scale)
        # the columns kx = 0 (and the Nyquist column) hold ±ky twice: keep ky >= 0 there
        dup = (kx[None, :] == 0) | ((nx % 2 == 0) & (kx[None, :] == nx // 2))
        keep = (rad >= r_lo) & (rad <= r_hi) & ~(dup & (ky[:, None] < 0))
        self.rows, self.cols = np.nonzero(keep)
        self.ky = ky[self.rows]
        self.kx = kx[self.cols]
        self.radii = rad[keep]
        self.ky_scale, self.kx_scale = ky_scale, kx_scale

    def background(self, h, ky0: int, kx0: int, half: int, corr: float, spots) -> _Background:
        v = h[self.rows, self.cols]
        power = v.real.astype(float) ** 2 + v.imag.astype(float) ** 2
        keep = np.ones(power.size, dtype=bool)
        for sy, sx in spots:                       # leave out every tracked spot (and its mirror at kx < 0)
            for my, mx in ((sy, sx), (-sy, -sx)):
                keep &= ~((np.abs(self.ky - my) <= half + 1) & (np.abs(self.kx - mx) <= half + 1))
        by = np.arange(ky0 - half, ky0 + half + 1)[:, None]
        bx = np.arange(kx0 - half, kx0 + half + 1)[None, :]
        box_r = np.hypot(by * self.ky_scale, bx * self.kx_scale).ravel()
        r_spot = math.hypot(ky0 * self.ky_scale, kx0 * self.kx_scale)
        return _radial_background(power[keep], self.radii[keep], r_spot, box_r, half, corr)


@dataclass
class _TrackState:
    d_target: float
    angle: float
    ky: float
    kx: float
    label: str = ""
    rings: Any = None


# -- the dose series -------------------------------------------------------------------------
@dataclass(frozen=True, repr=False)
class DoseSeries(SummaryRepr):
    """Tracked reflections along a dose series (see :func:`dose_series`)."""

    dose_e_per_A2: np.ndarray
    drift_px: np.ndarray | None
    tracks: tuple
    source: str = ""
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    pixel_size_angstrom: float = float("nan")
    settings: Mapping[str, Any] = field(default_factory=dict)

    _html_summary_lines = None

    def __post_init__(self):
        object.__setattr__(self, "conditions", FrozenMap(dict(self.conditions)))
        object.__setattr__(self, "settings", FrozenMap(dict(self.settings)))

    @property
    def n_frames(self) -> int:
        return int(self.dose_e_per_A2.size)

    def track(self, key) -> Track:
        """A track by index or label."""
        if isinstance(key, (int, np.integer)):
            return self.tracks[int(key)]
        for t in self.tracks:
            if t.label == key:
                return t
        raise ConfigError(f"no track {key!r}; tracks are {[t.label for t in self.tracks]}")

    def to_frame(self):
        """One row per (frame, track)."""
        import pandas as pd

        rows = []
        for t in self.tracks:
            for i in range(self.n_frames):
                rows.append({"frame": i, "dose_e_per_A2": float(self.dose_e_per_A2[i]), "track": t.label,
                             "d_angstrom": float(t.d_angstrom[i]), "d_stderr_angstrom": float(t.d_stderr_angstrom[i]),
                             "strain": float(t.strain[i]), "strain_stderr": float(t.strain_stderr[i]),
                             "spot_intensity": float(t.intensity[i]),
                             "spot_intensity_stderr": float(t.intensity_stderr[i]), "found": bool(t.found[i])})
        return pd.DataFrame(rows).sort_values(["frame", "track"], kind="stable").reset_index(drop=True)

    def descriptors(self) -> list[DescriptorRow]:
        """Per frame and track (condition ``dose_e_per_A2``): ``d_angstrom[<label>]``, ``strain[<label>]``,
        ``spot_intensity[<label>]`` (frames where the spot was found; the intensity always);
        per track: ``d0_angstrom``, ``strain_rate_per_e_per_A2``, ``expansion_percent_final``,
        ``critical_dose_e_per_A2``."""
        base = dict(sample=self.sample, technique="tem", source=self.source, method="tem:dose-series")
        conds = dict(self.conditions)
        rows = []
        for t in self.tracks:
            tag = f"[{t.label}]"
            for i in range(self.n_frames):
                c = {**conds, "dose_e_per_A2": float(self.dose_e_per_A2[i])}
                if t.found[i]:
                    rows.append(DescriptorRow(name=f"d_angstrom{tag}", value=t.d_angstrom[i],
                                              stderr=t.d_stderr_angstrom[i], unit="angstrom", conditions=c, **base))
                    rows.append(DescriptorRow(name=f"strain{tag}", value=t.strain[i], stderr=t.strain_stderr[i],
                                              unit="", conditions=c, **base))
                if np.isfinite(t.intensity[i]):
                    rows.append(DescriptorRow(name=f"spot_intensity{tag}", value=t.intensity[i],
                                              stderr=t.intensity_stderr[i], unit="", conditions=c, **base))
            rows.append(DescriptorRow(name=f"d0_angstrom{tag}", value=t.d0_angstrom, stderr=t.d0_stderr_angstrom,
                                      unit="angstrom", conditions=conds, **base))
            rows.append(DescriptorRow(name=f"strain_rate_per_e_per_A2{tag}", value=t.strain_rate_per_e_per_A2,
                                      stderr=t.strain_rate_stderr_per_e_per_A2, unit="A2/e", conditions=conds, **base))
            rows.append(DescriptorRow(name=f"expansion_percent_final{tag}", value=t.final_expansion_percent,
                                      stderr=t.final_expansion_stderr_percent, unit="%", conditions=conds, **base))
            rows.append(DescriptorRow(name=f"critical_dose_e_per_A2{tag}", value=t.critical_dose_e_per_A2,
                                      stderr=t.critical_dose_stderr_e_per_A2, unit="e/A2", conditions=conds, **base))
        return rows

    def summary(self) -> str:
        name = self.sample or self.source or "stack"
        d = self.dose_e_per_A2
        drift = ""
        if self.drift_px is not None and len(self.drift_px):
            drift = f", drift up to {np.max(np.hypot(self.drift_px[:, 0], self.drift_px[:, 1])):.2f} px"
        lines = [f"HRTEM dose series of {name}: {self.n_frames} frames, dose {d[0]:.3g}–{d[-1]:.3g} e/Å² "
                 f"(mid-frame){drift}"]
        for t in self.tracks:
            lines.append(f"  {t.label}: found in {t.n_found}/{self.n_frames} frames; d0 = {t.d0_angstrom:.4f} ± "
                         f"{t.d0_stderr_angstrom:.2g} Å; strain rate {t.strain_rate_per_e_per_A2:.4g} ± "
                         f"{t.strain_rate_stderr_per_e_per_A2:.2g} per e/Å²; expansion at "
                         f"{t.final_dose_e_per_A2:.3g} e/Å²: {t.final_expansion_percent:.2f} ± "
                         f"{t.final_expansion_stderr_percent:.2f} %; critical dose {t.critical_dose_e_per_A2:.3g} ± "
                         f"{t.critical_dose_stderr_e_per_A2:.2g} e/Å²")
            for m in t.messages:
                lines.append(f"    note: {m}")
        return "\n".join(lines)

    def plot(self, **kw):
        """Strain vs dose (per track, error bars, straight line) and spot intensity vs dose (log, fit)."""
        from .plot import plot_dose_series

        return plot_dose_series(self, **kw)

    def plot_fft(self, stack: ImageStack, frame: int = 0, **kw):
        """Power spectrum of one frame of ``stack`` with the tracked spots marked."""
        from .plot import plot_dose_fft

        return plot_dose_fft(self, stack, frame, **kw)


def _frame_box(region, drift, i, shape):
    """The region of frame i, moved with the drift (whole pixels) and kept inside the image."""
    y0, y1, x0, x1 = region
    if drift is None:
        return region
    dy, dx = int(round(drift[i, 0])), int(round(drift[i, 1]))
    ny, nx = shape
    dy = min(max(dy, -y0), ny - y1)
    dx = min(max(dx, -x0), nx - x1)
    return (y0 + dy, y1 + dy, x0 + dx, x1 + dx)


def _read(stack, i, box, dtype=np.float32):
    f = stack.frame(i, dtype=dtype)
    if box is not None:
        f = f[box[0]:box[1], box[2]:box[3]]
    return f


def _as_tuple(v, name):
    if v is None:
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return (float(v),)
    try:
        return tuple(None if x is None else float(x) for x in v)
    except (TypeError, ValueError):
        raise ConfigError(f"{name} must be a number or a sequence of numbers, got {v!r}") from None


def _choose_reference_spot(ps, d, angle, search, threshold, refine, box, src):
    d_lo, d_hi = d / (1.0 + search), d / max(1.0 - search, 1e-6)
    try:
        spots = find_spots(ps, d_min_angstrom=d_lo, d_max_angstrom=d_hi, threshold=threshold, refine=refine, box=box)
    except DataError:
        spots = ()
    if angle is not None and spots:
        def dist(s):
            a = abs(s.angle_deg - angle) % 180.0
            return min(a, 180.0 - a)
        near = [s for s in spots if dist(s) <= 10.0]
        if near:
            return min(near, key=lambda s: (dist(s), -s.snr))
    elif spots:
        return max(spots, key=lambda s: s.snr)
    # nothing: say what there is
    try:
        others = sorted(find_spots(ps, threshold=threshold, refine="centroid", box=box), key=lambda s: -s.snr)[:6]
        seen = ", ".join(f"{s.d_angstrom:.3g} Å at {s.angle_deg:.0f}° ({s.snr:.0f} σ)" for s in others)
        seen = f"the strongest spots are {seen}"
    except DataError:
        seen = "no spot above noise at all"
    where = f" near {angle:g}°" if angle is not None else ""
    near_txt = ""
    if angle is not None and spots:
        near_txt = " (spots at that d: " + ", ".join(f"{s.angle_deg:.0f}°" for s in spots) + ")"
    raise DataError(f"no spot at d = {d:g} Å (± {100 * search:g} % in |g|){where} in the power spectrum of the first "
                    f"frames{near_txt}; {seen}", path=src)


def dose_series(stack: ImageStack, *, track=(4.5,), angles=None, dose_per_frame=None, window="hann", region=None,
                drift_correct=True, bin=1, search=0.08, reference_frames=3, d0=None, d0_frames=None,
                critical_dose=True, threshold=5.0, box=7, refine="window") -> DoseSeries:
    """Follow chosen spots through a dose series: d(D), strain ε(D), spot intensity I(D), critical dose.

    Parameters
    ----------
    stack : ImageStack
        At least 2 frames (after ``bin``), with the pixel size and the dose per frame.
    track : float or sequence of float
        d-spacings (Å) to follow.
    angles : sequence, optional
        Angle (deg, [0, 180)) per tracked d, to choose among several spots at that d (within 10°);
        None (or a None entry): the most significant spot.
    dose_per_frame : float, optional
        Overrides the stack's dose per frame (e⁻/Å²). The dose axis is the mid-frame dose.
    window, region : see :func:`~structkit.tem.fft.power_spectrum`.
    drift_correct : bool
        With a ``region``, the box follows the drift of the specimen (:func:`estimate_drift`); the
        power spectrum itself does not depend on a shift, so without a region drift is not needed
        (``drift_px`` is then None).
    bin : int
        Sum groups of ``bin`` frames first (for very low doses per frame).
    search : float
        Relative window in |g| around 1/d for locating a tracked spot in the reference.
    reference_frames : int
        The spots are located in the power spectrum of the sum of the first frames.
    d0 : float or sequence, optional
        Unstrained spacing(s) (Å). Default: the D = 0 intercept of a weighted straight line
        through d(D) over the first ``d0_frames`` frames (default max(3, n // 5)).
    critical_dose : bool
        Fit I0·exp(−D/Dc) to the spot intensity (all frames: a spot below the noise still has a
        measured ~0 ± error intensity, which constrains the decay).
    threshold : float
        Per-frame detection significance (σ) of a tracked spot; below it the frame is "not found".
    box : int
        Odd fit box (FFT pixels). refine: ``"window"`` (default, the exact shape of a windowed
        spot), ``"gaussian"`` or ``"centroid"`` (see :func:`~structkit.tem.fft.find_spots`).

    Raises
    ------
    DataError
        A stack of one frame, no pixel size or dose, a tracked d with no spot in the reference
        (the message lists the spots there are), a region outside the image.
    """
    if not isinstance(stack, ImageStack):
        raise ConfigError(f"dose_series needs an ImageStack (frames, pixel size, dose), got {type(stack).__name__}")
    src = stack.source or None
    if stack.n_frames < 2:
        raise DataError("a dose series needs at least 2 frames; this stack has 1 (use analyze_fft for one image)",
                        path=src)
    win = _check_window(window)
    if refine not in REFINE_METHODS:
        raise ConfigError(f"refine must be one of {REFINE_METHODS}, got {refine!r}")
    box = int(box)
    if box < 5 or box % 2 == 0:
        raise ConfigError(f"box must be an odd number >= 5, got {box}")
    px = stack.require_pixel_size()
    if dose_per_frame is not None:
        stack = stack.replace(dose_per_frame_e_per_A2=dose_per_frame)
    stack.require_dose()
    if int(bin) > 1:
        stack = stack.binned(int(bin))
        if stack.n_frames < 2:
            raise DataError(f"a dose series needs at least 2 frames; binning by {bin} leaves {stack.n_frames}",
                            path=src)
    n = stack.n_frames
    dose = np.asarray(stack.mid_frame_dose_e_per_A2, dtype=float)
    final_dose = float(stack.accumulated_dose_e_per_A2[-1])
    targets = _as_tuple(track, "track")
    if not targets or any(t is None or not (t > 0) for t in targets):
        raise ConfigError(f"track must hold positive d-spacings in Å, got {track!r}")
    ang = _as_tuple(angles, "angles") or (None,) * len(targets)
    if len(ang) != len(targets):
        raise ConfigError(f"angles needs one entry per tracked d ({len(targets)}), got {len(ang)}")
    d0s = _as_tuple(d0, "d0")
    if d0s is not None and len(d0s) == 1 and len(targets) > 1:
        d0s = d0s * len(targets)
    if d0s is not None and len(d0s) != len(targets):
        raise ConfigError(f"d0 needs one value per tracked d ({len(targets)}), got {len(d0s)}")
    search = float(search)
    if not 0 < search < 0.5:
        raise ConfigError(f"search must be a relative |g| window in (0, 0.5), got {search!r}")
    reg = _check_region(region, stack.shape, stack.source)
    drift = None
    if reg is not None and drift_correct:
        drift = estimate_drift(stack)
    shape = stack.shape if reg is None else (reg[1] - reg[0], reg[3] - reg[2])
    ny, nx = shape
    half = box // 2
    kx_step, ky_step = 1.0 / (nx * px), 1.0 / (ny * px)
    step = max(kx_step, ky_step)
    ky_scale, kx_scale = ky_step / step, kx_step / step          # radii in units of the larger k step

    # reference: power spectrum of the sum of the first frames
    m = max(1, min(int(reference_frames), n))
    acc = np.zeros(shape, dtype=np.float64)
    for i in range(m):
        acc += _read(stack, i, _frame_box(reg, drift, i, stack.shape) if reg else None, dtype=np.float64)
    ps = power_spectrum(acc, px, window=win)
    ps = dataclasses.replace(ps, source=stack.source)
    del acc
    states = []
    for d, a in zip(targets, ang):
        sp = _choose_reference_spot(ps, d, a, search, threshold, refine, box, src)
        cy, cx = ps.center
        ky, kx = sp.row - cy, sp.col - cx
        if kx < 0 or (kx == 0 and ky < 0):
            ky, kx = -ky, -kx
        outer = half + 7
        if abs(ky) + outer >= ny // 2 or abs(kx) + outer >= nx // 2:
            raise DataError(f"the spot at d = {sp.d_angstrom:.3g} Å is too close to the Nyquist frequency to track "
                            f"(needs a margin of {outer} FFT pixels)", path=src)
        a_lab = int(round(sp.angle_deg)) % 180
        label = f"{d:.2f}A@{a_lab}deg"
        k = 2
        while any(s.label == label for s in states):
            label = f"{d:.2f}A@{a_lab}deg#{k}"
            k += 1
        # rings for the radial background: the spot's radius ± the search window and the ring band
        r_px = math.hypot(ky * ky_scale, kx * kx_scale)
        band = half + _RADIAL_EXTRA + 2
        rings = _HalfRings(shape, max(r_px * (1 - 2 * search) - band, 0.0), r_px * (1 + 2 * search) + band,
                           ky_scale, kx_scale)
        states.append(_TrackState(d_target=d, angle=sp.angle_deg, ky=float(ky), kx=float(kx), label=label,
                                  rings=rings))

    # per frame: real FFT in float32, refit small boxes
    import scipy.fft as sfft

    kx_ker, ky_ker = _kernel(win, nx), _kernel(win, ny)
    wy = _window_1d(win, ny).astype(np.float32)
    wx = _window_1d(win, nx).astype(np.float32)
    corr = kx_ker.box_corr_sq(16) * ky_ker.box_corr_sq(16) / 256.0
    nt = len(states)
    res = {k: np.full((nt, n), np.nan) for k in ("gx", "gy", "d", "d_err", "inten", "inten_err", "snr", "va", "vb")}
    found = np.zeros((nt, n), dtype=bool)
    fails: list[list[str]] = [[] for _ in range(nt)]
    for i in range(n):
        f = _read(stack, i, _frame_box(reg, drift, i, stack.shape) if reg else None)
        f = np.array(f, dtype=np.float32, copy=True)
        f -= f.mean(dtype=np.float64)
        f *= wy[:, None]
        f *= wx[None, :]
        h = sfft.rfft2(f)
        del f
        for t, st in enumerate(states):
            ky0, kx0 = int(round(st.ky)), int(round(st.kx))
            bg = st.rings.background(h, ky0, kx0, half, corr,
                                     [(int(round(o.ky)), int(round(o.kx))) for o in states])
            sub = _half_power_box(h, shape, ky0, kx0, half)
            ctx = f"{stack.source or 'stack'}: frame {i}, spot {st.label}"
            fit = _fit_box(sub, bg, kx_ker, ky_ker, refine, ctx, window=win, shape_yx=shape)
            res["inten"][t, i] = fit.intensity
            res["inten_err"][t, i] = fit.intensity_stderr
            res["snr"][t, i] = fit.snr
            res["va"][t, i], res["vb"][t, i] = fit.var_noise, fit.var_per_intensity
            if not (fit.ok and fit.snr >= threshold):
                fails[t].append(i)
                continue
            ky_f, kx_f = ky0 + fit.dy, kx0 + fit.dx
            gx, gy = kx_f * kx_step, ky_f * ky_step
            cov = np.array([[fit.cov[1, 1], fit.cov[1, 0]], [fit.cov[0, 1], fit.cov[0, 0]]]) * \
                np.outer([kx_step, ky_step], [kx_step, ky_step])
            k = math.hypot(gx, gy)
            jk = np.array([gx, gy]) / k
            var_k = float(jk @ cov @ jk)
            res["gx"][t, i], res["gy"][t, i] = gx, gy
            res["d"][t, i] = 1.0 / k
            res["d_err"][t, i] = math.sqrt(max(var_k, 0.0)) / k ** 2
            found[t, i] = True
            st.ky, st.kx = ky_f, kx_f

    # per track: d0, strain, straight line, critical dose
    d0_n = int(d0_frames) if d0_frames is not None else max(3, n // 5)
    tracks = []
    for t, st in enumerate(states):
        msgs = []
        fd = found[t]
        if fails[t]:
            msgs.append(f"spot below the noise (or no spot-like fit) in {len(fails[t])} frame(s): "
                        f"{_ranges(fails[t])}")
        d, de = res["d"][t], res["d_err"][t]
        de_pos = np.where(de > 0, de, np.nanmax(np.where(de > 0, de, np.nan)) if np.any(de > 0) else 1e-6)
        if d0s is not None:
            d0v, d0e = float(d0s[t]), 0.0
        else:
            first = np.flatnonzero(fd[:d0_n]) if fd[:d0_n].any() else np.flatnonzero(fd)[:d0_n]
            if first.size == 0:
                d0v, d0e = np.nan, np.nan
                msgs.append("d0: the spot was never found")
            elif first.size == 1:
                d0v, d0e = float(d[first[0]]), float(de_pos[first[0]])
                msgs.append(f"d0 from a single frame ({first[0]})")
            else:
                a, _, cov, msg = _weighted_line(dose[first], d[first], de_pos[first], f"{st.label}: d0")
                d0v, d0e = a, float(math.sqrt(cov[0, 0])) if np.isfinite(cov[0, 0]) else np.nan
                if msg:
                    msgs.append(f"d0 fit: {msg}")
        strain = (d - d0v) / d0v
        strain_err = de / d0v
        sel = np.flatnonzero(fd)
        if sel.size >= 2 and np.isfinite(d0v):
            e0, rate, lcov, msg = _weighted_line(dose[sel], strain[sel], np.maximum(strain_err[sel], 1e-12),
                                                 f"{st.label}: strain line")
            if msg:
                msgs.append(f"strain line: {msg}")
        else:
            e0, rate, lcov = np.nan, np.nan, np.full((2, 2), np.nan)
            msgs.append("strain line: fewer than 2 frames with the spot")
        if critical_dose:
            dc, dce, i0, i0e, msg = _exp_fit(dose, res["inten"][t], res["inten_err"][t], f"{st.label}: I(D)",
                                             res["va"][t], res["vb"][t])
            if msg:
                msgs.append(msg)
        else:
            dc = dce = i0 = i0e = np.nan
        tracks.append(Track(
            label=st.label, d_target_angstrom=st.d_target, angle_deg=float(st.angle), dose_e_per_A2=_ro(dose),
            d_angstrom=_ro(d), d_stderr_angstrom=_ro(de), strain=_ro(strain), strain_stderr=_ro(strain_err),
            intensity=_ro(res["inten"][t]), intensity_stderr=_ro(res["inten_err"][t]), found=_ro(fd, bool),
            d0_angstrom=float(d0v), d0_stderr_angstrom=float(d0e), strain_rate_per_e_per_A2=float(rate),
            strain_rate_stderr_per_e_per_A2=float(math.sqrt(lcov[1, 1])) if np.isfinite(lcov[1, 1]) else np.nan,
            critical_dose_e_per_A2=float(dc), critical_dose_stderr_e_per_A2=float(dce),
            final_dose_e_per_A2=final_dose, strain_intercept=float(e0),
            strain_line_cov=tuple(tuple(float(v) for v in row) for row in lcov), intensity0=float(i0),
            intensity0_stderr=float(i0e), gx_inv_angstrom=_ro(res["gx"][t]), gy_inv_angstrom=_ro(res["gy"][t]),
            snr=_ro(res["snr"][t]), messages=tuple(msgs)))
    settings = {"track": targets, "angles": ang, "window": win, "region": reg, "drift_correct": bool(drift_correct),
                "bin": int(bin), "search": search, "reference_frames": m, "d0": d0s, "d0_frames": d0_n,
                "threshold": float(threshold), "box": box, "refine": refine,
                "dose_per_frame_e_per_A2": stack.dose_per_frame_e_per_A2}
    return DoseSeries(dose_e_per_A2=_ro(dose), drift_px=None if drift is None else _ro(drift), tracks=tuple(tracks),
                      source=stack.source, sample=stack.sample, conditions=dict(stack.conditions),
                      pixel_size_angstrom=px, settings=settings)


def _ranges(idx: Sequence[int]) -> str:
    out, start, prev = [], None, None
    for i in idx:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            out.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = i
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(out)
