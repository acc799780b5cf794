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

__all__ = ["estimate_drift", "DriftEstimate", "dose_series", "DoseSeries", "Track"]


def _ro(a, dtype=float):
    a = np.array(a, dtype=dtype)
    a.setflags(write=False)
    return a


# -- drift -------------------------------------------------------------------------------
#: At most this many leave-one-out passes (they stop once no frame moves by more than 0.02 px).
_DRIFT_PASSES = 4
#: The frames' spectra are kept between the passes up to this many bytes (else they are recomputed).
_DRIFT_CACHE_BYTES = 512 * 2 ** 20
#: Frames larger than this along either axis are summed over f x f pixel blocks for the drift estimate
#: (``bin_px=None``): the drift is carried by low spatial frequencies, and a 2048^2 frame costs 4 x a 1024^2 one.
_DRIFT_MAX_SIZE = 1024


class _BinnedFrames:
    """The frames of a stack summed over ``f`` x ``f`` pixel blocks (rows/columns that fill no block dropped)."""

    def __init__(self, stack: ImageStack, f: int):
        self.stack, self.f = stack, int(f)
        ny, nx = stack.shape
        self.shape = (ny // self.f, nx // self.f)
        self.n_frames = stack.n_frames

    def frame(self, i: int, dtype=np.float32) -> np.ndarray:
        a = self.stack.frame(i, dtype=dtype)
        if self.f == 1:
            return a
        ny, nx = self.shape
        f = self.f
        return a[:ny * f, :nx * f].reshape(ny, f, nx, f).sum(axis=(1, 3), dtype=dtype)


def _drift_window(n: int) -> np.ndarray:
    return _tukey(n, 0.25).astype(np.float32)


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


class _DriftGrid:
    """The frequency grid, window and FFT helpers of the drift estimate for one frame shape."""

    def __init__(self, shape):
        ny, nx = (int(v) for v in shape)
        self.shape = (ny, nx)
        self.npix = ny * nx
        self.wy, self.wx = _drift_window(ny), _drift_window(nx)
        self.ky = np.fft.fftfreq(ny)[:, None]                  # cycles per pixel
        self.kx = np.fft.rfftfreq(nx)[None, :]
        herm = np.full(nx // 2 + 1, 2.0)                       # a half-plane sum × herm = the full-plane sum
        herm[0] = 1.0
        if nx % 2 == 0:
            herm[-1] = 1.0
        self.herm = herm[None, :]
        self.ring = _radial_index(self.shape)
        self.n_rings = int(self.ring.max()) + 1
        self.high = self.ring > min(ny, nx) // 4                # beyond half the Nyquist frequency
        self.dist = np.hypot((np.fft.fftfreq(ny) * ny)[:, None], (np.fft.fftfreq(nx) * nx)[None, :])

    def ramp(self, d) -> np.ndarray:
        return np.exp(2j * np.pi * (self.ky * float(d[0]) + self.kx * float(d[1]))).astype(np.complex64)

    def moved(self, g: np.ndarray, d) -> np.ndarray:
        """The frame of (unwindowed) spectrum ``g`` with its content moved by −``d`` (periodic), float32."""
        import scipy.fft as sfft

        return sfft.irfft2(g * self.ramp(d), s=self.shape).astype(np.float32, copy=False)

    def windowed(self, img: np.ndarray) -> np.ndarray:
        """rfft2 of the mean-subtracted, Tukey-windowed image."""
        import scipy.fft as sfft

        f = np.array(img, dtype=np.float32, copy=True)
        f -= f.mean(dtype=np.float64)
        f *= self.wy[:, None]
        f *= self.wx[None, :]
        return sfft.rfft2(f)

    def noise(self, f: np.ndarray) -> float:
        """White (shot) noise power per Fourier bin: median/ln 2 of |F|² beyond half the Nyquist frequency."""
        p = np.abs(f[self.high]) ** 2
        return float(np.median(p)) / math.log(2.0) if p.size else 0.0

    def ring_sums(self, p: np.ndarray, keep: np.ndarray):
        r = self.ring[keep]
        v = p[keep]
        n = self.n_rings
        return (np.bincount(r, minlength=n).astype(float), np.bincount(r, weights=v, minlength=n),
                np.bincount(r, weights=v * v, minlength=n))

    def smooth_rings(self, c, s, s2):
        """Count-weighted Gaussian average over neighbouring rings (width max(1, 0.15 r)): the mean, the
        variance between bins, and the number of bins averaged."""
        n = self.n_rings
        r = np.arange(n, dtype=float)
        mean, var, cnt = np.zeros(n), np.zeros(n), np.zeros(n)
        for i in range(n):
            sig = max(1.0, 0.15 * i)
            h = int(3 * sig) + 1
            lo, hi = max(0, i - h), min(n, i + h + 1)
            wt = np.exp(-0.5 * ((r[lo:hi] - i) / sig) ** 2)
            cw = float(wt @ c[lo:hi])
            if cw > 0:
                m = float(wt @ s[lo:hi]) / cw
                mean[i], var[i] = m, max(float(wt @ s2[lo:hi]) / cw - m * m, 0.0)
                cnt[i] = cw
        return mean, var, cnt


class _FrameSpectra:
    """Unwindowed rfft2 of every frame (complex64), kept in memory while that is small enough."""

    def __init__(self, stack: ImageStack, grid: _DriftGrid):
        self.stack = stack
        size = stack.n_frames * grid.ring.size * 8
        self.cache: dict | None = {} if size <= _DRIFT_CACHE_BYTES else None

    def image(self, i: int) -> np.ndarray:
        return self.stack.frame(i, dtype=np.float32)

    def read(self, i: int) -> np.ndarray:
        """Frame ``i`` (float32); its spectrum is kept from this one read while the cache is on."""
        import scipy.fft as sfft

        img = self.image(i)
        if self.cache is not None and i not in self.cache:
            self.cache[i] = sfft.rfft2(img)
        return img

    def __getitem__(self, i: int) -> np.ndarray:
        import scipy.fft as sfft

        if self.cache is not None and i in self.cache:
            return self.cache[i]
        g = sfft.rfft2(self.image(i))
        if self.cache is not None:
            self.cache[i] = g
        return g


def _signal_power(grid: _DriftGrid, excess: np.ndarray, var_of_mean, keep: np.ndarray) -> np.ndarray:
    """Per-bin specimen power S(k) from a noisy per-bin estimate ``excess`` (power above the noise).

    The ring average (smoothed over neighbouring rings, kept where it stands 2 σ above zero) plus the
    bin's own deviation from it, shrunk by τ²/(τ² + σ²) (τ² the spread of the specimen's power between
    the bins of a ring, σ² = ``var_of_mean(mean)`` that of the estimate): the specimen's own
    speckle is followed where the frames tell it, the ring average is used where they do not.
    """
    c, s, s2 = grid.ring_sums(excess, keep)
    mean, var, cnt = grid.smooth_rings(c, s, s2)
    var_e = var_of_mean(np.maximum(mean, 0.0))
    tau2 = np.maximum(var - var_e, 0.0)
    sig = mean > 3.0 * np.sqrt(var_e / np.maximum(cnt, 1.0))
    gain = np.where(sig, tau2 / np.maximum(tau2 + var_e, 1e-300), 0.0)
    S = np.where(sig, mean, 0.0)[grid.ring] + gain[grid.ring] * (excess - mean[grid.ring])
    S = np.maximum(S, 0.0)
    S[~keep] = 0.0
    return S


def _leakage_1d(w: np.ndarray) -> np.ndarray:
    """|W(Δk)|²/|W(0)|² of a window for a peak anywhere between two Fourier bins (the largest over
    offsets 0, ¼, ½ bin, either sign of Δk), in FFT order: how far a Bragg spot leaks."""
    n = w.size
    k = np.arange(n)
    out = np.zeros(n)
    for d in (0.0, 0.25, 0.5):
        p = np.abs(np.fft.fft(w * np.exp(-2j * np.pi * d * k / n))) ** 2
        out = np.maximum(out, np.maximum(p, np.roll(p[::-1], 1)))
    return out / float(np.sum(w)) ** 2


def _spot_mask(grid: _DriftGrid, pmean: np.ndarray, n_frames: int, noise: float):
    """Bins of the lattice (Bragg spots) and of their leakage, from the mean power spectrum of the frames.

    A bin is a spot if its power above the noise is 15 × that of its ring's median (an exponential
    speckle of the amorphous specimen reaches that once in 10⁵ bins) and 8 σ of the averaged noise.
    The window spreads every spot over its neighbours (along both axes): the bins where that leakage
    (the spots' power × the window's |W(Δk)|²) exceeds 2 % of the noise or 5 % of the ring's power
    above it are left out too, so that the lattice cannot pass for non-periodic detail. Spots move
    only with the lattice's expansion, so the mean spectrum (which does not depend on the drift)
    shows them clearly. Returns (mask, spot bins alone).
    """
    import scipy.fft as sfft

    ny, nx = grid.shape
    med = _ring_median(pmean, grid.ring)[grid.ring]
    excess = pmean - noise
    ring_excess = np.maximum(med - noise, 0.0)
    spot = (excess > 15.0 * ring_excess + 8.0 * noise / math.sqrt(n_frames)) & (pmean > 3.0 * med)
    spot[grid.ring <= 1] = False
    if not spot.any():
        return spot, spot
    # the spots' power on the full plane (the half plane and its mirror), spread by the window
    half = np.where(spot, excess, 0.0)
    full = np.zeros((ny, nx))
    full[:, :half.shape[1]] = half
    mirror = half[(-np.arange(ny)) % ny][:, 1:nx - half.shape[1] + 1]
    full[:, half.shape[1]:] = mirror[:, ::-1]
    ky, kx = _leakage_1d(grid.wy.astype(float)), _leakage_1d(grid.wx.astype(float))
    leak = sfft.ifft2(sfft.fft2(full) * np.outer(sfft.fft(ky), sfft.fft(kx))).real[:, :half.shape[1]]
    return spot | (leak > 0.02 * noise + 0.05 * ring_excess), spot


def _lattice_vectors(grid: _DriftGrid, spot: np.ndarray, pmean: np.ndarray) -> np.ndarray:
    """(m, 2) reciprocal vectors (cycles/px, (ky, kx)) of the spots in the mask (power-weighted centroids)."""
    from scipy import ndimage as ndi

    if not spot.any():
        return np.zeros((0, 2))
    lab, n = ndi.label(spot)
    idx = np.arange(1, n + 1)
    wsum = ndi.sum(pmean, lab, idx)
    ky = ndi.sum(pmean * grid.ky, lab, idx) / wsum
    kx = ndi.sum(pmean * grid.kx, lab, idx) / wsum
    return np.stack([ky, kx], axis=1)


def _is_lattice_translation(gvec: np.ndarray, t) -> bool:
    """True if g·t is an integer (± 0.15) for every spot g and a non-zero one for at least one."""
    if gvec.size == 0:
        return False
    ph = gvec @ np.asarray(t, dtype=float)
    k = np.rint(ph)
    return bool(np.all(np.abs(ph - k) <= 0.15) and np.any(k != 0))


class _Peak:
    __slots__ = ("shift", "z", "z_global", "global_offset", "z_second", "second_offset", "stderr")


def _drift_peak(grid: _DriftGrid, rw: np.ndarray, var: np.ndarray, w: np.ndarray, radius, upsample: int) -> _Peak:
    """The correlation peak of the weighted cross power ``rw`` = w·r (half spectrum) near zero shift.

    ``radius``: search only |shift| <= radius px (None: everywhere). The noise of the correlation is
    the larger of what the noise model ``var`` (the variance of each cross-power bin) predicts and
    what the data show: at the peak's shift the specimen's part of the cross power is real, so its
    imaginary part is noise alone (window effects and specimen changes count as noise too). From it:
    the significance of the peak (its height over the noise), of the highest peak anywhere and of the
    highest other local maximum beyond the main peak's width, and the standard error of the sub-pixel
    position (the noise of the correlation's slope over its curvature).
    """
    import scipy.fft as sfft

    ny, nx = grid.shape
    p = _Peak()
    model = float(np.sum(grid.herm * w * w * var))
    if not np.any(w > 0) or not model > 0:
        p.shift, p.z, p.z_global, p.global_offset = np.zeros(2), 0.0, 0.0, (0, 0)
        p.z_second, p.second_offset, p.stderr = 0.0, None, np.full(2, np.inf)
        return p
    cc = sfft.irfft2(rw, s=grid.shape)

    def signed(iy, ix):
        return (iy - ny if iy > ny // 2 else iy, ix - nx if ix > nx // 2 else ix)

    ig = np.unravel_index(int(np.argmax(cc)), cc.shape)
    if radius is None:
        il = ig
    else:
        il = np.unravel_index(int(np.argmax(np.where(grid.dist <= radius, cc, -np.inf))), cc.shape)
    peak = signed(*il)
    if upsample > 1:
        dy, dx = _upsampled_peak(rw, grid.shape, peak, int(upsample))
    else:
        dy, dx = float(peak[0]), float(peak[1])
    t = rw * np.exp(2j * np.pi * (grid.ky * dy + grid.kx * dx))
    re, im2 = t.real.astype(float), 2.0 * t.imag.astype(float) ** 2
    sigma = math.sqrt(max(model, float(np.sum(grid.herm * im2)))) / grid.npix
    height = float(np.sum(grid.herm * re)) / grid.npix
    se, curv_px = [], []
    for q in (2 * np.pi * grid.ky, 2 * np.pi * grid.kx):
        q2 = q * q
        curv = float(np.sum(grid.herm * q2 * re))
        slope = max(float(np.sum(grid.herm * w * w * q2 * var)), float(np.sum(grid.herm * q2 * im2)))
        se.append(math.sqrt(slope) / curv if curv > 0 else math.inf)
        curv_px.append(curv / grid.npix)
    width = math.sqrt(height / min(curv_px)) if height > 0 and min(curv_px) > 0 else math.inf
    # the highest other local maximum beyond the main peak (2.5 × its Gaussian width, at least 3 px)
    excl = max(3.0, 2.5 * width) if math.isfinite(width) else 3.0
    flat = cc.ravel()
    m = min(400, flat.size)
    top = np.argpartition(flat, -m)[-m:]
    top = top[np.argsort(flat[top])[::-1]]
    p.z_second, p.second_offset = float(flat[top[-1]]) / sigma, None
    for j in top:
        y, x = divmod(int(j), nx)
        oy = (y - il[0] + ny // 2) % ny - ny // 2
        ox = (x - il[1] + nx // 2) % nx - nx // 2
        if math.hypot(oy, ox) <= excl:
            continue
        if flat[j] >= cc[np.ix_([(y - 1) % ny, y, (y + 1) % ny], [(x - 1) % nx, x, (x + 1) % nx])].max():
            p.z_second, p.second_offset = float(flat[j]) / sigma, (oy, ox)
            break
    p.shift = np.array([dy, dx])
    p.z = height / sigma
    p.z_global = float(cc[ig]) / sigma
    p.global_offset = signed(*ig)
    p.stderr = np.array(se)
    return p


def _drift_weights(S: np.ndarray, noise_shape: np.ndarray, n_frame: float, n_ref: float, k: float):
    """Weights of the cross power F_frame·conj(F_ref) for a reference that is the sum of ``k`` frames.

    With S(k) the specimen power of one frame, N_f and N_r the noise powers of the frame and of the
    reference (both white × ``noise_shape``): the cross power has the mean k·S and the variance
    V = N_f·N_r + S·N_r + k²·S·N_f; the weight mean/V is the optimal (matched, shot-noise-limited)
    filter: whitening where the specimen is strong, S/N² where the noise dominates, 0 at the spots.
    Returns (weights, V).
    """
    nf, nr = n_frame * noise_shape, n_ref * noise_shape
    var = nf * nr + S * nr + k * k * S * nf
    ok = var > 0
    w = np.where(ok, k * S / np.where(ok, var, 1.0), 0.0)
    return w.astype(np.float32), var


@dataclass(frozen=True, eq=False, repr=False)
class DriftEstimate(SummaryRepr):
    """The drift of every frame with its quality (:func:`estimate_drift` with ``full=True``).

    Attributes
    ----------
    shift_px : (n, 2) array
        (dy, dx) of every frame's content against frame ``reference`` (the measured value, also for
        an unreliable frame: see :meth:`filled` for a fallback).
    stderr_px : (n, 2) array
        Standard error of each shift (that of the reference frame's own position included; inf where
        there was nothing to measure). From the curvature of the correlation peak and the noise,
        raised to the frame-to-frame scatter of the shifts where that is larger.
    significance : (n,) array
        Height of the correlation peak over the correlation noise (σ).
    reliable : (n,) bool array
        False where the peak is not significant (< ``min_significance``), where a stronger peak lies
        more than ``max_step_px`` away, where the shift jumps by more than ``max_step_px`` per frame
        against the reliable neighbours, or where the drift is ambiguous.
    ambiguous : (n,) bool array
        A second correlation peak of similar height (≥ 0.75 ×) beyond the main one (e.g. at a lattice
        translation), or no non-periodic detail at all (a lattice alone fixes a shift only modulo a
        lattice vector).
    reasons : tuple of str
        Why each frame is unreliable ('' where it is reliable).
    messages : tuple of str
        Summary of the unreliable frames (empty if all are reliable).
    """

    shift_px: np.ndarray
    stderr_px: np.ndarray
    significance: np.ndarray
    reliable: np.ndarray
    ambiguous: np.ndarray
    reasons: tuple = ()
    reference: int = 0
    max_step_px: float = 5.0
    min_significance: float = 6.0
    messages: tuple = ()
    bin_px: int = 1

    _html_summary_lines = None

    @property
    def n_frames(self) -> int:
        return int(self.shift_px.shape[0])

    @property
    def n_reliable(self) -> int:
        return int(np.sum(self.reliable))

    @property
    def usable(self) -> bool:
        """At least two frames, and a quarter of them, are reliable."""
        return _usable(self.n_reliable, self.n_frames)

    @property
    def unreliable_frames(self) -> tuple:
        return tuple(int(i) for i in np.flatnonzero(~self.reliable))

    def filled(self) -> np.ndarray | None:
        """The shifts with every unreliable frame replaced by a straight-line interpolation between the
        nearest reliable frames (the nearest one's shift beyond the first or last); None if no frame
        is reliable."""
        ok = np.flatnonzero(self.reliable)
        if ok.size == 0:
            return None
        idx = np.arange(self.n_frames)
        out = np.stack([np.interp(idx, ok, self.shift_px[ok, a]) for a in (0, 1)], axis=1)
        return _ro(out)

    def summary(self) -> str:
        last = self.shift_px[-1]
        lines = [f"drift of {self.n_frames} frames against frame {self.reference}: last frame "
                 f"({last[0]:.2f}, {last[1]:.2f}) px; {self.n_reliable}/{self.n_frames} reliable; median "
                 f"significance {np.median(self.significance):.1f} σ, median error "
                 f"{np.median(np.max(self.stderr_px, axis=1)):.2g} px"]
        lines += [f"  note: {m}" for m in self.messages]
        return "\n".join(lines)


def _usable(n_reliable: int, n_frames: int) -> bool:
    return n_reliable >= max(2, math.ceil(n_frames / 4))


def _drift_messages(reasons) -> list:
    """One message per kind of problem (the text before the first colon of a reason), naming the frames."""
    kinds: dict = {}
    for i, r in enumerate(reasons):
        if r:
            kinds.setdefault(r.split(":")[0], []).append(i)
    if not kinds:
        return []
    bad = sorted(i for v in kinds.values() for i in v)
    parts = []
    for kind, idx in kinds.items():
        detail = reasons[idx[0]].split(":", 1)[1].strip() if ":" in reasons[idx[0]] else ""
        example = f" ({'frame ' + str(idx[0]) + ': ' if len(idx) > 1 else ''}{detail})" if detail else ""
        parts.append(f"{kind} in frame{'s' if len(idx) > 1 else ''} {_ranges(idx)}{example}")
    return [f"drift unreliable in {len(bad)} of {len(reasons)} frames: " + "; ".join(parts)]


def _measure_drift(stack: ImageStack, reference: int, upsample: int, max_step_px: float,
                   min_significance: float, bin_px: int = 1) -> DriftEstimate:
    import scipy.fft as sfft

    n = stack.n_frames
    ref = int(reference) % n
    if n == 1:
        z = np.zeros((1, 2))
        return DriftEstimate(shift_px=_ro(z), stderr_px=_ro(z), significance=_ro([np.inf]), reliable=_ro([True], bool),
                             ambiguous=_ro([False], bool), reasons=("",), reference=ref, max_step_px=max_step_px,
                             min_significance=min_significance, bin_px=bin_px)
    fb = int(bin_px)
    full_step = max_step_px
    if fb > 1:                                      # measured on binned frames, in binned pixels, scaled back below
        stack = _BinnedFrames(stack, fb)
        max_step_px = max_step_px / fb
    grid = _DriftGrid(stack.shape)
    spectra = _FrameSpectra(stack, grid)
    # pass 0: the mean power spectrum (it does not depend on the drift) and the noise of every frame
    pmean = np.zeros(grid.ring.shape)
    noise = np.zeros(n)
    for i in range(n):
        f = grid.windowed(spectra.read(i))
        pmean += f.real.astype(float) ** 2 + f.imag.astype(float) ** 2
        noise[i] = grid.noise(f)
    pmean /= n
    floor = 1e-6 * float(pmean.mean()) + 1e-30                 # noise-free data: whitening, not a division by 0
    noise = np.maximum(noise, floor)
    nbar = float(noise.mean())
    mask, spot = _spot_mask(grid, pmean, n, nbar)
    keep = ~mask
    keep[0, 0] = False
    gvec = _lattice_vectors(grid, spot, pmean)
    S = _signal_power(grid, pmean - nbar, lambda m: (nbar + m) ** 2 / n, keep)
    shape_n = np.ones_like(S)

    # pass 1: every frame against the sum of the frames aligned so far (from the reference outwards),
    # searched within max_step_px of the previous frame
    pos = np.zeros((n, 2))
    acc = grid.moved(spectra[ref], (0.0, 0.0)).astype(np.float64)
    k, n_acc = 1, noise[ref]
    for i in list(range(ref + 1, n)) + list(range(ref - 1, -1, -1)):
        prev = pos[i - 1] if i > ref else pos[i + 1]
        fi = grid.windowed(grid.moved(spectra[i], prev))
        w, var = _drift_weights(S, shape_n, noise[i], n_acc, k)
        pk = _drift_peak(grid, fi * np.conj(grid.windowed(acc)) * w, var, w, max_step_px, upsample)
        pos[i] = prev + pk.shift
        acc += grid.moved(spectra[i], pos[i])
        k, n_acc = k + 1, n_acc + noise[i]
    del acc

    # passes 2…: every frame against the sum of all the others (leave one out), with the specimen's
    # power from the cross-spectrum of the aligned frames (unbiased by the noise, whatever its colour)
    peaks: list = [None] * n
    n_tot = float(noise.sum())
    # a frame's rest against the others is its error minus their mean error: moving every frame by
    # (n - 1)/n of it leaves all at the common mean (by the whole of it, two frames would swap errors)
    damp = (n - 1) / n
    c, s_p, _ = grid.ring_sums(pmean, keep)
    for _ in range(_DRIFT_PASSES):
        sum_g = np.zeros(grid.ring.shape, dtype=np.complex64)
        for i in range(n):
            sum_g += spectra[i] * grid.ramp(pos[i])
        f_all = grid.windowed(sfft.irfft2(sum_g, s=grid.shape))
        del sum_g
        p_all = f_all.real.astype(float) ** 2 + f_all.imag.astype(float) ** 2
        cross = (p_all - n * pmean) / (n * (n - 1))
        _, s_c, _ = grid.ring_sums(cross, keep)
        ring_noise = np.maximum((s_p - np.maximum(s_c, 0.0)) / np.maximum(c, 1.0), floor)
        shape_n = (ring_noise / nbar)[grid.ring]
        S = _signal_power(grid, cross, lambda m: 2.0 * (nbar + m) ** 2 / (n * (n - 1)), keep)
        new = pos.copy()
        for i in range(n):
            fi = grid.windowed(grid.moved(spectra[i], pos[i]))
            w, var = _drift_weights(S, shape_n, noise[i], n_tot - noise[i], n - 1)
            pk = _drift_peak(grid, fi * np.conj(f_all - fi) * w, var, w, max_step_px, upsample)
            new[i] = pos[i] + damp * pk.shift
            peaks[i] = pk
        change = float(np.max(np.abs(new - pos)))
        pos = new
        if change < 0.02:
            break
    if fb > 1:                                      # what _drift_quality reads, in the frames' own pixels
        pos = pos * fb
        gvec = gvec / fb
        for p in peaks:
            p.stderr = p.stderr * fb
            p.global_offset = tuple(v * fb for v in p.global_offset)
            if p.second_offset is not None:
                p.second_offset = tuple(v * fb for v in p.second_offset)
    est = _drift_quality(pos, peaks, ref, gvec, bool(np.any(S > 0)), bool(spot.any()), full_step,
                         min_significance, upsample / fb)
    return dataclasses.replace(est, bin_px=fb) if fb > 1 else est


def _drift_quality(pos, peaks, ref, gvec, has_signal, has_lattice, max_step_px, min_significance,
                   upsample) -> DriftEstimate:
    """Reliability, ambiguity and standard errors of the measured positions; the shifts against ``ref``."""
    n = pos.shape[0]
    z = np.array([p.z for p in peaks])
    se = np.maximum(np.array([p.stderr for p in peaks]), 0.05 / upsample)     # not below the refinement grid
    reasons = [""] * n
    ambiguous = np.zeros(n, dtype=bool)
    for i, p in enumerate(peaks):
        if not has_signal:
            ambiguous[i] = has_lattice
            reasons[i] = ("no common detail: nothing but the lattice stands above the noise in all frames "
                          "together, and a lattice fixes a shift only modulo a lattice vector" if has_lattice else
                          "no common detail: no specimen detail common to the frames stands above the noise")
        elif not p.z >= min_significance:
            reasons[i] = f"not significant: correlation peak {p.z:.1f} σ < {min_significance:g} σ"
        elif (p.z_global >= min_significance and p.z_global > p.z + 1.0
              and math.hypot(*p.global_offset) > max_step_px + 1.0):
            reasons[i] = (f"implausible jump: a stronger correlation peak ({p.z_global:.1f} σ against "
                          f"{p.z:.1f} σ) {math.hypot(*p.global_offset):.1f} px away (> max_step_px = "
                          f"{max_step_px:g})")
        elif p.second_offset is not None and p.z_second >= 0.75 * p.z:
            ambiguous[i] = True
            lat = ", a lattice translation" if _is_lattice_translation(gvec, p.second_offset) else ""
            reasons[i] = (f"ambiguous: a second correlation peak of similar height ({p.z_second:.1f} σ against "
                          f"{p.z:.1f} σ) {math.hypot(*p.second_offset):.1f} px away{lat}")
    ok = np.array([not r for r in reasons])

    def off(i, j):
        return float(np.hypot(*(pos[i] - pos[j])))

    def jump(i, j):
        """A step from frame j to i beyond max_step_px per frame by more than 2 σ of its error."""
        noise = math.sqrt(float(np.sum(se[i] ** 2 + se[j] ** 2)))
        return off(i, j) > max_step_px * abs(i - j) + 2.0 * (noise if math.isfinite(noise) else 0.0)

    # isolated jumps: a frame further than max_step_px per frame from most of its reliable neighbours
    # (two on each side) is dropped, the worst first
    while True:
        idx = np.flatnonzero(ok)
        worst = None
        for k, i in enumerate(idx):
            nb = [int(j) for j in idx[max(0, k - 2):k + 3] if j != i]
            far = [j for j in nb if jump(i, j)]
            if nb and len(far) > len(nb) / 2:
                key = (len(far) / len(nb), -z[i])
                if worst is None or key > worst[0]:
                    worst = (key, int(i), far[0])
        if worst is None:
            break
        _, i, j = worst
        ok[i] = False
        reasons[i] = (f"implausible jump: {off(i, j):.1f} px from frame {j} (> max_step_px = {max_step_px:g} "
                      f"per frame)")
    # frame-to-frame scatter: second differences of the positions against the errors they should have
    trip = [i for i in range(1, n - 1) if ok[i - 1] and ok[i] and ok[i + 1]]
    if len(trip) >= 4:
        d2 = np.array([pos[i - 1] - 2 * pos[i] + pos[i + 1] for i in trip])
        pred = np.array([se[i - 1] ** 2 + 4 * se[i] ** 2 + se[i + 1] ** 2 for i in trip])
        ratio = (d2 ** 2 / np.where(np.isfinite(pred) & (pred > 0), pred, np.inf)).ravel()
        se = se * math.sqrt(max(1.0, float(np.median(ratio)) / 0.455))      # 0.455: the median of χ²(1)
    # a lasting jump between reliable frames: the frames beyond it (seen from the reference) are dropped
    idx = [int(i) for i in np.flatnonzero(ok)]
    lower = [i for i in idx[::-1] if i <= ref]                     # from the reference towards frame 0
    upper = [i for i in idx if i >= ref]                           # and towards the last frame
    if not ok[ref] and lower:
        upper = lower[:1] + upper                                  # the step across the reference too
    for side in (lower, upper):
        for a, b in zip(side, side[1:]):
            if jump(b, a):
                beyond = side[side.index(b):]
                for i in beyond:
                    ok[i] = False
                    reasons[i] = (f"implausible jump: beyond a jump of {off(a, b):.1f} px between frames {a} "
                                  f"and {b} (> max_step_px = {max_step_px:g} per frame)")
                break
    # the reference frame's own position: measured, or (if unreliable) interpolated from the reliable frames
    good = np.flatnonzero(ok)
    messages = _drift_messages(reasons)
    origin, se_ref = pos[ref].copy(), se[ref].copy()
    if not ok[ref] and good.size:
        origin = np.array([np.interp(ref, good, pos[good, a]) for a in (0, 1)])
        se_ref = np.median(se[good], axis=0)
        messages.append(f"the reference frame {ref} is itself unreliable: the shifts are taken against its "
                        f"position interpolated from the reliable frames")
    stderr = np.sqrt(se ** 2 + se_ref ** 2)
    stderr[ref] = se_ref
    if not _usable(good.size, n):
        messages.append(f"the drift could not be measured: only {good.size} of {n} frames are reliable")
    return DriftEstimate(shift_px=_ro(pos - origin), stderr_px=_ro(stderr), significance=_ro(z),
                         reliable=_ro(ok, bool), ambiguous=_ro(ambiguous, bool), reasons=tuple(reasons),
                         reference=ref, max_step_px=float(max_step_px), min_significance=float(min_significance),
                         messages=tuple(messages))


def estimate_drift(stack: ImageStack, *, reference: int = 0, upsample: int = 10, max_step_px: float = 5.0,
                   min_significance: float = 6.0, bin_px: int | None = None, full: bool = False):
    """(dy, dx) pixel shift of every frame against frame ``reference``, with its quality on request.

    The frames are aligned to a running reference, then each against the sum of all the others:

    1. The mean power spectrum of the frames (it does not depend on the drift) gives the lattice's
       Bragg spots, which are left out (a lattice alone fixes a shift only modulo a lattice vector; the
       non-periodic detail of the specimen — amorphous support, edges — fixes it), and the specimen's
       power S(k) above the shot noise N(k).
    2. Every frame is correlated with the sum of the frames aligned so far (from ``reference``
       outwards), searched within ``max_step_px`` of the previous frame's shift.
    3. Then (up to 4 passes, until no shift changes by 0.02 px) every frame against the sum of all the
       others aligned, with S(k) and N(k) from the cross-spectrum of the aligned frames.

    Each correlation weights the cross power by the optimal filter for shot-noise-limited data,
    S / (N_f·N_r + S·(N_r + k²·N_f)) for a reference of k frames (whitening where the specimen stands
    above the noise, S/N² where it does not); the frame is moved by its current shift first (so the
    fixed window does not bias the small rest) and the peak is refined on a 1/``upsample`` pixel grid
    (local DFT and a parabola). A frame whose content moved by +dy rows has ``drift[i, 0] = +dy``.

    Quality (``full=True``): the peak's significance over the correlation noise; its standard error
    from the curvature of the peak and the noise (raised to the frame-to-frame scatter of the shifts
    where that is larger); ambiguity (a second peak of similar height, e.g. at a lattice translation,
    or no non-periodic detail at all). A frame is *unreliable* if its peak is below
    ``min_significance`` σ, ambiguous, or implies a jump of more than ``max_step_px`` per frame (a
    stronger peak that far away, or a shift that far from its reliable neighbours). Unreliable
    frames keep their measured shift; :meth:`DriftEstimate.filled` interpolates them.

    Parameters
    ----------
    reference : int
        The frame whose shift is (0, 0).
    upsample : int
        Sub-pixel grid of the peak refinement (1: whole pixels).
    max_step_px : float
        Largest plausible drift between consecutive frames (px); also the search radius.
    min_significance : float
        Smallest peak height (σ of the correlation noise) of a reliable frame.
    bin_px : int or None
        Measure on frames summed over ``bin_px`` x ``bin_px`` pixel blocks (shifts and errors are given
        in the frames' own pixels). None (default): the smallest factor that brings the frames to at
        most 1024 px along either axis (2 for 2048^2 frames: 4 x faster; the non-periodic detail that
        carries the drift lies at low spatial frequencies, and the box follows it in whole pixels).
    full : bool
        False (default): the (n, 2) array of shifts, as before. True: a :class:`DriftEstimate` with
        ``shift_px``, ``stderr_px``, ``significance``, ``reliable``, ``ambiguous``, ``reasons`` and
        ``messages``.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.ndimage import fourier_shift, gaussian_filter
    >>> rng = np.random.default_rng(0)
    >>> a = gaussian_filter(rng.normal(size=(128, 128)), 2.0)
    >>> b = np.fft.ifft2(fourier_shift(np.fft.fft2(a), (1.3, -0.6))).real
    >>> estimate_drift(ImageStack(np.stack([a, b]))).round(2).tolist()
    [[0.0, 0.0], [1.3, -0.6]]
    >>> est = estimate_drift(ImageStack(np.stack([a, b])), full=True)
    >>> bool(est.reliable.all()), bool(est.significance.min() > 6), bool(est.stderr_px[1].max() < 0.05)
    (True, True, True)
    """
    if not isinstance(stack, ImageStack):
        raise ConfigError(f"estimate_drift needs an ImageStack, got {type(stack).__name__}")
    n = stack.n_frames
    ref = int(reference)
    if not -n <= ref < n:
        raise DataError(f"reference frame {reference} is out of range for a stack of {n}", path=stack.source or None)
    if not (math.isfinite(float(max_step_px)) and float(max_step_px) > 0):
        raise ConfigError(f"max_step_px must be a positive number of pixels, got {max_step_px!r}")
    if not float(min_significance) >= 0:
        raise ConfigError(f"min_significance must be >= 0, got {min_significance!r}")
    if int(upsample) < 1:
        raise ConfigError(f"upsample must be >= 1, got {upsample!r}")
    if bin_px is None:
        bin_px = max(1, math.ceil(max(stack.shape) / _DRIFT_MAX_SIZE))
    elif not (isinstance(bin_px, (int, np.integer)) and 1 <= bin_px <= min(stack.shape) // 16):
        raise ConfigError(f"bin_px must be an integer from 1 to {min(stack.shape) // 16} (frames of "
                          f"{stack.shape[0]} x {stack.shape[1]} px), got {bin_px!r}")
    est = _measure_drift(stack, ref % n, int(upsample), float(max_step_px), float(min_significance), int(bin_px))
    return est if full else np.array(est.shift_px)


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
    """Tracked reflections along a dose series (see :func:`dose_series`).

    ``drift_px`` is the (dy, dx) the analysis box followed (with a ``region`` and drift correction;
    unreliable frames interpolated from the reliable ones; None without a region, without drift
    correction, or when the drift could not be measured and the box was kept fixed). ``drift`` is the
    full :class:`DriftEstimate` (shifts as measured, errors, significance, reliable frames) and
    ``messages`` says what was done about unreliable drift (the same notes are in every track's
    ``messages``).
    """

    dose_e_per_A2: np.ndarray
    drift_px: np.ndarray | None
    tracks: tuple
    source: str = ""
    sample: str = ""
    conditions: Mapping[str, Any] = field(default_factory=dict)
    pixel_size_angstrom: float = float("nan")
    settings: Mapping[str, Any] = field(default_factory=dict)
    drift: DriftEstimate | None = None
    messages: tuple = ()

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
            if self.settings.get("critical_dose", True):
                rows.append(DescriptorRow(name=f"critical_dose_e_per_A2{tag}", value=t.critical_dose_e_per_A2,
                                          stderr=t.critical_dose_stderr_e_per_A2, unit="e/A2", conditions=conds,
                                          **base))
        return rows

    def summary(self) -> str:
        name = self.sample or self.source or "stack"
        d = self.dose_e_per_A2
        drift = ""
        if self.drift_px is not None and len(self.drift_px):
            drift = f", drift up to {np.max(np.hypot(self.drift_px[:, 0], self.drift_px[:, 1])):.2f} px"
        lines = [f"HRTEM dose series of {name}: {self.n_frames} frames, dose {d[0]:.3g}–{d[-1]:.3g} e/Å² "
                 f"(mid-frame){drift}"]
        lines += [f"  note: {m}" for m in self.messages]
        for t in self.tracks:
            dc = (f"critical dose {t.critical_dose_e_per_A2:.3g} ± {t.critical_dose_stderr_e_per_A2:.2g} e/Å²"
                  if self.settings.get("critical_dose", True) else "critical dose not fitted (critical_dose=False)")
            lines.append(f"  {t.label}: found in {t.n_found}/{self.n_frames} frames; d0 = {t.d0_angstrom:.4f} ± "
                         f"{t.d0_stderr_angstrom:.2g} Å; strain rate {t.strain_rate_per_e_per_A2:.4g} ± "
                         f"{t.strain_rate_stderr_per_e_per_A2:.2g} per e/Å²; expansion at "
                         f"{t.final_dose_e_per_A2:.3g} e/Å²: {t.final_expansion_percent:.2f} ± "
                         f"{t.final_expansion_stderr_percent:.2f} %; {dc}")
            for m in t.messages:
                if m not in self.messages:
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


def _box_drift(est: DriftEstimate):
    """The drift the analysis box follows, and the notes on what was done about unreliable frames."""
    if est.n_reliable == est.n_frames:
        return np.array(est.shift_px), []
    notes = list(est.messages)
    if not est.usable:
        notes.append(f"drift correction off: only {est.n_reliable} of {est.n_frames} frames have a reliable drift, "
                     f"so the analysis box is kept fixed at the region (right only if the specimen did not drift; "
                     f"summing frames with bin=, or a region with more non-periodic detail, may help)")
        return None, notes
    notes.append(f"the analysis box follows the drift interpolated from the reliable frames in the "
                 f"{est.n_frames - est.n_reliable} unreliable frame(s) {_ranges(est.unreliable_frames)}")
    return np.array(est.filled()), notes


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
                critical_dose=True, threshold=5.0, box=7, refine="window", drift_max_step_px=5.0) -> DoseSeries:
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
        (``drift_px`` is then None). Frames whose drift is unreliable (peak not significant,
        ambiguous, or a jump of more than ``drift_max_step_px`` per frame) take the drift
        interpolated from the reliable frames; if fewer than a quarter (or two) are reliable, the box
        stays fixed at ``region``. Either is said in ``messages`` (of the result and of every track).
    drift_max_step_px : float
        Largest plausible drift between consecutive frames (px, after ``bin``), see
        :func:`estimate_drift`.
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
        raise DataError("a dose series needs at least 2 frames; this stack has 1 (for one image: analyze_fft, "
                        "structkit tem fft, or mode = \"fft\" in a campaign)", path=src)
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
    drift = drift_est = None
    series_msgs: list[str] = []
    if reg is not None and drift_correct:
        drift_est = estimate_drift(stack, full=True, max_step_px=drift_max_step_px)
        drift, series_msgs = _box_drift(drift_est)
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
            fit = _fit_box(sub, bg, kx_ker, ky_ker, refine, ctx, window=win, shape_yx=shape,
                           min_snr=threshold)
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
        msgs = list(series_msgs)
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
                "threshold": float(threshold), "box": box, "refine": refine, "critical_dose": bool(critical_dose),
                "dose_per_frame_e_per_A2": stack.dose_per_frame_e_per_A2, "drift_max_step_px": float(drift_max_step_px)}
    return DoseSeries(dose_e_per_A2=_ro(dose), drift_px=None if drift is None else _ro(drift), tracks=tuple(tracks),
                      source=stack.source, sample=stack.sample, conditions=dict(stack.conditions),
                      pixel_size_angstrom=px, settings=settings, drift=drift_est, messages=tuple(series_msgs))


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
