"""Independent forward model for the HRTEM tests: dose series of lattice-fringe images, no structkit.tem.

What it models (all lengths in Angstrom, doses in e/A^2, reciprocal space in 1/A without 2 pi)
------------------------------------------------------------------------------------------------
* **Specimen exit-wave intensity**, normalised to the flat (vacuum / ice) level ``B = 1``::

      I(r, t) = 1 - m E(r - s(t)) + E(r - s(t)) sum_j c_j(D) cos(2 pi g_j(D) . (r - s(t) - o) + phi_j)

  ``r = (x, y)``, x along the columns, y along the rows (down); pixel (row i, column j) is the box
  ``[(j - 1/2) px, (j + 1/2) px] x [(i - 1/2) px, (i + 1/2) px]``. ``o`` is the point the lattice
  expands about (the centre of the field). ``g_j`` points along ``angle_j`` (atan2(gy, gx), so the
  structkit convention) with ``|g_j| = 1/d_j(D)``, ``d_j(D) = d_j0 (1 + e_j D)`` (linear expansion
  with dose), ``c_j(D) = c_j0 exp(-D / (2 Dc_j))`` so that the FFT spot intensity, which goes as
  ``c^2``, falls as ``exp(-D / Dc_j)`` (the critical dose is defined on the spot intensity).
  ``E`` is an optional crystal grain: a rectangle with ``tanh`` edges, ``E = Sx(x) Sy(y)``, darker by
  the mass contrast ``m``; without a grain ``E = 1`` everywhere (the crystal fills the field).
  An optional amorphous support ``T(r - s(t))`` (a random band-limited texture below the lattice
  frequencies, :class:`Texture`) is added: the non-periodic detail a drift measurement needs.
* **Drift** ``s(t)`` of the specimen (A), a smooth path (velocity + acceleration + a slow wobble),
  ``t`` in frames (frame ``i`` is exposed during ``t in [i, i + 1]``), ``s(0) = 0``.
* **Exposure**: the dose grows linearly in time, ``D(t) = D_initial + dose_per_frame * t``, and the
  frame records the time average of ``I`` over its exposure (the lattice expands, fades and drifts
  *during* the frame). The average is a Gauss-Legendre quadrature in ``t`` (``n_time`` nodes per
  frame). The truth is quoted at the mid-frame dose, as the contract does; the difference between
  the time average and the mid-frame value is second order (``(e dose_per_frame)^2 / 24`` on d,
  ``(dose_per_frame / Dc)^2 / 96`` on the intensity: < 1e-4 here).
* **Pixel integration**: every term is a product of a function of x and a function of y, so the
  pixel-box average is a product of 1-D box averages; each is a Gauss-Legendre quadrature with
  ``n_pix`` nodes per pixel (6 nodes: ~1e-15 for a fringe of 0.2 cycles/pixel and tanh edges a few
  pixels wide). No FFT, no ``np.sinc`` in the model; the self-tests compare it with the closed form
  ``sinc(gx px) sinc(gy px)``.
* **Shot noise**: the counts of a pixel are ``Poisson(dose_per_frame * px^2 * <I>_pixel)``: the
  electrons that reach the pixel at the frame's real dose (a counting direct detector, K2-like,
  DQE = 1, no gain, no dark noise).

Signal-to-noise of a spot (what the test parameters rest on)
-------------------------------------------------------------
With ``lam = dose * px^2`` electrons per pixel and a fringe of contrast ``c``, the DFT of the counts
at ``g`` has the amplitude ``lam (c/2) sum(w)`` (window ``w``) and the shot-noise power
``lam sum(w^2)`` per Fourier pixel. So the peak-pixel SNR of a spot in the power spectrum is
``lam c^2 (sum w)^2 / (4 sum w^2)``: ``N_e c^2 / 4`` without a window and ``N_e c^2 / 9`` with a 2-D
Hann window (``N_e`` electrons in the field); a spot between Fourier pixels loses up to 0.52 of that
(Hann scalloping, half a pixel off on both axes): :func:`expected_peak_snr`. The spot amplitude
itself (phase and frequency known, no window) has the error ``sigma_c = sqrt(2 / N_e)``, which
bounds the critical dose: :func:`critical_dose_precision`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from structkit.core import ImageStack

__all__ = ["Fringe", "Grain", "Drift", "Texture", "clean_frame", "make_stack", "flat_noise_stack",
           "expected_peak_snr", "critical_dose_precision", "pixel_average_1d", "hann2d"]


# ----------------------------------------------------------------------------- specimen
@dataclass(frozen=True)
class Fringe:
    """One set of lattice fringes (one reflection and its Friedel mate)."""

    d0_angstrom: float
    angle_deg: float
    contrast: float
    expansion_per_e_per_A2: float = 0.0
    critical_dose_e_per_A2: float = math.inf
    phase_rad: float = 0.0

    def d_at(self, dose):
        """``d(D) = d0 (1 + e D)`` (A)."""
        return self.d0_angstrom * (1.0 + self.expansion_per_e_per_A2 * np.asarray(dose, float))

    def strain_at(self, dose):
        """``(d(D) - d0) / d0 = e D``."""
        return self.expansion_per_e_per_A2 * np.asarray(dose, float)

    def g_at(self, dose):
        """``(gx, gy)`` (1/A) of the reflection at dose ``D``: along ``angle``, length ``1/d(D)``."""
        k = 1.0 / self.d_at(dose)
        a = math.radians(self.angle_deg)
        return k * math.cos(a), k * math.sin(a)

    def contrast_at(self, dose):
        """Fringe amplitude ``c0 exp(-D / (2 Dc))``."""
        return self.contrast * np.exp(-np.asarray(dose, float) / (2.0 * self.critical_dose_e_per_A2))

    def relative_intensity_at(self, dose):
        """Spot intensity relative to D = 0: ``(c(D)/c0)^2 = exp(-D / Dc)``."""
        return np.exp(-np.asarray(dose, float) / self.critical_dose_e_per_A2)

    @property
    def angle_folded_deg(self) -> float:
        return self.angle_deg % 180.0


@dataclass(frozen=True)
class Grain:
    """A rectangular crystal (specimen coordinates, A) with tanh edges, darker by ``mass_contrast``."""

    x0: float
    x1: float
    y0: float
    y1: float
    edge_angstrom: float = 2.0
    mass_contrast: float = 0.1

    def sx(self, x):
        w = self.edge_angstrom
        return 0.5 * (np.tanh((x - self.x0) / w) - np.tanh((x - self.x1) / w))

    def sy(self, y):
        w = self.edge_angstrom
        return 0.5 * (np.tanh((y - self.y0) / w) - np.tanh((y - self.y1) / w))


@dataclass(frozen=True)
class Drift:
    """Specimen drift ``s(t) = v t + a t^2 / 2 + w sin(2 pi t / P)`` in A (``t`` in frames).

    ``s(0) = 0``: frame 0 starts where the specimen was when the field was chosen.
    """

    velocity: tuple[float, float] = (0.0, 0.0)         # (x, y) A per frame
    acceleration: tuple[float, float] = (0.0, 0.0)     # (x, y) A per frame^2
    wobble: tuple[float, float] = (0.0, 0.0)           # (x, y) A
    period_frames: float = 20.0

    def __call__(self, t):
        t = np.asarray(t, float)
        ph = np.sin(2 * np.pi * t / self.period_frames)
        sx = self.velocity[0] * t + 0.5 * self.acceleration[0] * t**2 + self.wobble[0] * ph
        sy = self.velocity[1] * t + 0.5 * self.acceleration[1] * t**2 + self.wobble[1] * ph
        return sx, sy


NO_DRIFT = Drift()


@dataclass(frozen=True)
class Texture:
    """Amorphous support (carbon / ice): a random band-limited intensity texture that drifts with the specimen.

    ``T(r) = Re sum_ab C_ab exp(2 pi i (kx_a x + ky_b y))`` over the frequency grid of spacing
    ``1 / period_angstrom`` inside ``k_min <= |k| <= k_max`` (1/A), complex Gaussian ``C`` scaled so
    that the spatial rms of ``T`` is ``rms``. With ``k_max`` below the lattice spots it adds no power
    at them; it is the non-periodic detail that makes the drift measurable.
    """

    rms: float = 0.05
    k_min: float = 1.0 / 60.0
    k_max: float = 1.0 / 12.0
    period_angstrom: float = 600.0
    seed: int = 0

    def modes(self):
        """``(kx (Kx,), ky (Ky,), C (Ky, Kx))``."""
        m = math.ceil(self.k_max * self.period_angstrom)
        k = np.arange(-m, m + 1) / self.period_angstrom
        KX, KY = np.meshgrid(k, k)
        kk = np.hypot(KX, KY)
        mask = (kk >= self.k_min) & (kk <= self.k_max)
        rng = np.random.default_rng(self.seed)
        C = (rng.standard_normal(kk.shape) + 1j * rng.standard_normal(kk.shape)) * mask
        # Fourier coefficient of Re(...) at k is (C_k + conj(C_-k)) / 2; mean T^2 is the sum of their |.|^2
        coef = 0.5 * (C + np.conj(C[::-1, ::-1]))
        C *= self.rms / math.sqrt(float(np.sum(np.abs(coef) ** 2)))
        return k, k, C


# ----------------------------------------------------------------------------- quadratures
def _gl01(n: int):
    """Gauss-Legendre nodes and weights on [0, 1] (weights sum to 1)."""
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (x + 1.0), 0.5 * w


def pixel_average_1d(f, n: int, px: float, offset: float = 0.0, nodes: int = 6) -> np.ndarray:
    """Box average of ``f(u)`` over the ``n`` pixels ``[(j - 1/2) px, (j + 1/2) px] - offset``.

    ``f`` takes an array of positions (A) and may return complex values. Gauss-Legendre with
    ``nodes`` points per pixel.

    >>> a = pixel_average_1d(lambda u: u**2, 3, 1.0)        # exact for polynomials
    >>> np.allclose(a, [1 / 12, 1 + 1 / 12, 4 + 1 / 12])
    True
    """
    u, w = _gl01(nodes)
    pos = (np.arange(n)[:, None] - 0.5 + u[None, :]) * px - offset
    return f(pos) @ w


def pixel_average_waves(k, n: int, px: float, offset: float = 0.0, nodes: int = 6) -> np.ndarray:
    """``(n, K)`` box averages of ``exp(2 pi i k u)`` over the pixels (as :func:`pixel_average_1d`)."""
    u, w = _gl01(nodes)
    k = np.asarray(k, float)
    # exp(2 pi i k ((j + u - 1/2) px - offset)) = exp(2 pi i k (j px - offset)) exp(2 pi i k (u - 1/2) px):
    # the quadrature over the pixel is the same for every pixel
    box = np.exp(2j * np.pi * np.outer((u - 0.5) * px, k)).T @ w                 # (K,)
    return np.exp(2j * np.pi * np.outer(np.arange(n) * px - offset, k)) * box[None, :]


def hann2d(shape) -> np.ndarray:
    """Separable 2-D Hann window (numpy's symmetric ``hanning``), for the SNR bookkeeping only."""
    return np.outer(np.hanning(shape[0]), np.hanning(shape[1]))


# ----------------------------------------------------------------------------- images
def _frame_terms(shape, px, fringes, dose, shift, grain, origin, nodes, texture=None):
    """``<I>_pixel`` at one instant: dose ``dose``, specimen shifted by ``shift`` = (sx, sy) A."""
    ny, nx = shape
    sx, sy = shift
    ox, oy = origin
    if grain is None:
        def x_env(u):
            return np.ones_like(u)
        y_env = x_env
        img = np.ones(shape)
    else:
        x_env, y_env = grain.sx, grain.sy
        ex = pixel_average_1d(x_env, nx, px, sx, nodes)
        ey = pixel_average_1d(y_env, ny, px, sy, nodes)
        img = 1.0 - grain.mass_contrast * np.outer(ey, ex)

    def wave(env, k, o):
        return lambda u: env(u) * np.exp(2j * np.pi * k * (u - o))

    for f in fringes:
        gx, gy = f.g_at(dose)
        c = float(f.contrast_at(dose))
        ax = pixel_average_1d(wave(x_env, gx, ox), nx, px, sx, nodes)
        ay = pixel_average_1d(wave(y_env, gy, oy), ny, px, sy, nodes)
        img += c * np.real(np.exp(1j * f.phase_rad) * np.outer(ay, ax))
    if texture is not None:
        kx, ky, C = texture if isinstance(texture, tuple) else texture.modes()
        ex = pixel_average_waves(kx, nx, px, sx, nodes)          # (nx, Kx)
        ey = pixel_average_waves(ky, ny, px, sy, nodes)          # (ny, Ky)
        img += np.real(ey @ C @ ex.T)
    return img


def clean_frame(shape, px, fringes, *, dose_start=0.0, dose_per_frame=0.0, drift: Drift = NO_DRIFT,
                frame_index=0, grain: Grain | None = None, origin=None, n_time=3, nodes=6,
                texture: Texture | None = None) -> np.ndarray:
    """Noise-free normalised intensity of frame ``frame_index`` (pixel-box and exposure averages).

    ``dose_start`` is the dose at the start of frame 0; the frame spans ``t in [i, i + 1]`` with
    ``D(t) = dose_start + dose_per_frame t``. With ``dose_per_frame = 0`` and no drift the frame is
    the static image at ``dose_start``.
    """
    shape = (int(shape[0]), int(shape[1]))
    if origin is None:
        origin = (0.5 * (shape[1] - 1) * px, 0.5 * (shape[0] - 1) * px)
    tn, tw = _gl01(n_time)
    out = np.zeros(shape)
    modes = None if texture is None else texture.modes()
    for u, w in zip(tn, tw):
        t = frame_index + u
        sx, sy = drift(t)
        out += w * _frame_terms(shape, px, fringes, dose_start + dose_per_frame * t, (float(sx), float(sy)),
                                grain, origin, nodes, modes)
    return out


def mean_drift_px(drift: Drift, n_frames: int, px: float, n_time: int = 8) -> np.ndarray:
    """Exposure-averaged specimen position of each frame minus frame 0's, as (dy, dx) pixels."""
    tn, tw = _gl01(n_time)
    pos = np.zeros((n_frames, 2))
    for i in range(n_frames):
        sx, sy = drift(i + tn)
        pos[i] = (np.dot(tw, sy), np.dot(tw, sx))
    return (pos - pos[0]) / px


def make_stack(*, shape=(512, 512), px=0.5, n_frames=30, dose_per_frame=3.0, fringes=(), drift=NO_DRIFT,
               grain=None, texture=None, initial_dose=0.0, seed=0, noise=True, n_time=3, source="", sample="oracle",
               with_pixel_size=True, with_dose=True, dtype=np.float32):
    """A dose-series ``ImageStack`` of electron counts, and the truth.

    Returns ``(stack, truth)``; ``truth`` holds ``mid_dose`` (n,), ``lam`` (electrons per pixel per
    frame in the flat area), ``drift_px`` (n, 2) = (dy, dx) of each frame against frame 0 (exposure
    averages), ``clean`` (n, ny, nx) normalised noise-free frames, and per fringe ``d``, ``strain``,
    ``g`` (n, 2), ``contrast``, ``relative_intensity`` (lists in the order of ``fringes``).
    """
    shape = (int(shape[0]), int(shape[1]))
    fringes = tuple(fringes)
    lam = dose_per_frame * px * px
    rng = np.random.default_rng(seed)
    clean = np.empty((n_frames,) + shape)
    counts = np.empty((n_frames,) + shape, dtype=dtype)
    for i in range(n_frames):
        clean[i] = clean_frame(shape, px, fringes, dose_start=initial_dose, dose_per_frame=dose_per_frame,
                               drift=drift, frame_index=i, grain=grain, n_time=n_time, texture=texture)
        if np.any(clean[i] < 0):
            raise ValueError("negative intensity: the contrasts are too large")
        counts[i] = rng.poisson(lam * clean[i]) if noise else lam * clean[i]
    mid = initial_dose + dose_per_frame * (np.arange(n_frames) + 0.5)
    truth = dict(
        mid_dose=mid, lam=lam, px=px, shape=shape, dose_per_frame=dose_per_frame, clean=clean,
        drift_px=mean_drift_px(drift, n_frames, px),
        d=[f.d_at(mid) for f in fringes], strain=[f.strain_at(mid) for f in fringes],
        g=[np.stack(f.g_at(mid), axis=-1) for f in fringes],
        contrast=[f.contrast_at(mid) for f in fringes],
        relative_intensity=[f.relative_intensity_at(mid) for f in fringes],
        fringes=fringes, grain=grain, texture=texture,
    )
    stack = ImageStack(counts, pixel_size_angstrom=px if with_pixel_size else None,
                       dose_per_frame_e_per_A2=dose_per_frame if with_dose else None,
                       initial_dose_e_per_A2=initial_dose, voltage_kV=300.0, sample=sample, source=source)
    return stack, truth


def flat_noise_stack(*, shape=(512, 512), px=0.25, n_frames=1, dose_per_frame=20.0, seed=0, source=""):
    """Pure shot noise on a flat field (no specimen structure): nothing above noise."""
    rng = np.random.default_rng(seed)
    lam = dose_per_frame * px * px
    data = rng.poisson(lam, size=(n_frames,) + tuple(shape)).astype(np.float32)
    return ImageStack(data, pixel_size_angstrom=px, dose_per_frame_e_per_A2=dose_per_frame, voltage_kV=300.0,
                      sample="noise", source=source)


# ----------------------------------------------------------------------------- statistics
def expected_peak_snr(contrast, dose, shape, px, window="hann", fill=None):
    """Peak-pixel SNR of a spot in the power spectrum: spot power / mean shot-noise power.

    ``lam c^2 (sum w)^2 / (4 sum w^2)`` with ``lam = dose px^2`` (``dose``: the total dose of the
    image, e.g. of a frame sum), ``w`` the window times ``fill`` (the crystal's envelope, 1 = the
    field is all crystal). For a spot centred on a Fourier pixel; half a pixel off on both axes
    multiplies it by about 0.52 (Hann).

    >>> round(expected_peak_snr(0.2, 1.0, (512, 512), 0.5, window=None))   # N_e c^2 / 4
    655
    """
    lam = dose * px * px
    w = hann2d(shape) if window == "hann" else np.ones(shape)
    if fill is not None:
        w = w * fill
    return float(lam * contrast**2 * w.sum() ** 2 / (4.0 * (w**2).sum()))


def hann_efficiency(shape) -> float:
    """``(sum w)^2 / (N sum w^2)`` for a 2-D Hann window: the fraction of electrons that count (4/9)."""
    w = hann2d(shape)
    return float(w.sum() ** 2 / (w.size * (w**2).sum()))


def critical_dose_precision(contrast0, critical_dose, mid_doses, electrons_per_frame, efficiency=1.0):
    """Cramer-Rao bound on ``sigma(Dc) / Dc`` from the per-frame fringe amplitudes.

    Each frame measures ``c_i = c0 exp(-D_i / (2 Dc))`` with ``sigma_c = sqrt(2 / (eff N_e))``
    (in-phase projection of the counts, phase and frequency known); the two parameters
    ``(c0, 1/Dc)`` are fitted. ``efficiency`` < 1 stands for a window (Hann: 4/9) or an unknown
    phase; an estimator from the spot power cannot beat the bound.
    """
    D = np.asarray(mid_doses, float)
    tau = 1.0 / critical_dose
    c = contrast0 * np.exp(-D * tau / 2.0)
    sig2 = 2.0 / (efficiency * np.asarray(electrons_per_frame, float))
    J = np.stack([c / contrast0, -0.5 * D * c], axis=1)
    F = J.T @ (J / sig2[..., None] if np.ndim(sig2) else J / sig2)
    var_tau = np.linalg.inv(F)[1, 1]
    return float(np.sqrt(var_tau) / tau)
