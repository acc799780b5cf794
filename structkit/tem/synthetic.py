"""Synthetic HRTEM dose series with known truth, for examples, the demo and the benchmark.

Each frame is shot noise (Poisson) on an image of lattice fringes plus a weak amorphous texture:

    λ(r) = λ0 · max(0, 1 + Σ_j C_j(D) cos(2π g_j(D)·(r − r_c − s_i) + φ_j) + T(r − s_i))

with λ0 = dose per frame × pixel area × ``electrons_per_A2_scale`` electrons per pixel, D the
mid-frame dose, g_j(D) along angle θ_j with spacing d_j(D) = d_j(0)·(1 + e_j·D) (a strain linear in
the dose), fringe contrast C_j(D) = C·exp(−D/(2·Dc_j)) so that the spot intensity (∝ C²) decays as
exp(−D/Dc_j), s_i = i × the drift per frame (dy, dx) in pixels (applied exactly, in Fourier space
for the texture), and T a band-limited random texture that moves with the specimen (it makes the
drift measurable; a perfect lattice alone only fixes it modulo a lattice period). The truth is in
``stack.meta["truth"]``.

The acceptance tests do **not** use this module; they build their stacks with an independent
forward model (tests/tem/_oracle.py).

Examples
--------
>>> s = synthetic_stack(shape=(128, 128), n_frames=4, seed=1)
>>> s.n_frames, s.shape, s.pixel_size_angstrom, s.dose_per_frame_e_per_A2
(4, (128, 128), 0.25, 1.0)
>>> t = s.meta["truth"]
>>> t["d0_angstrom"], t["expansion_per_e_per_A2"], t["drift_px"][-1].tolist()
((4.7, 4.7), (0.0, 0.0035), [0.8999999999999999, -0.6000000000000001])
>>> round(float(t["d_angstrom"][-1][1]), 4)     # 4.7 × (1 + 0.0035 × 3.5)
4.7576
"""

from __future__ import annotations

import math

import numpy as np

from ..core.errors import ConfigError
from ..core.frozen import FrozenMap
from ..core.image import ImageStack

__all__ = ["synthetic_stack"]


def _per_fringe(value, n, name):
    if np.ndim(value) == 0:
        return (float(value),) * n
    out = tuple(float(v) for v in value)
    if len(out) != n:
        raise ConfigError(f"{name} needs one value per fringe ({n}), got {len(out)}")
    return out


class _SyntheticFrames:
    """Frames computed on demand (deterministic per frame), so a 100 × 2048² benchmark stack costs no memory."""

    def __init__(self, model: "_Model", n: int, dtype):
        self._m = model
        self.shape = (int(n),) + tuple(model.shape)
        self.dtype = np.dtype(dtype)
        self.ndim = 3

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, i):
        if isinstance(i, (int, np.integer)):
            n = self.shape[0]
            if not -n <= i < n:
                raise IndexError(f"frame {i} out of range for {n} frames")
            return self._m.frame(int(i) % n).astype(self.dtype, copy=False)
        if isinstance(i, slice):
            return np.stack([self[j] for j in range(*i.indices(self.shape[0]))])
        raise TypeError("synthetic frames are indexed by frame number or slice")

    def __array__(self, dtype=None, copy=None):
        a = self[:]
        return a if dtype is None else a.astype(dtype)


class _Model:
    def __init__(self, shape, px, fringes, expansion, dc, contrast, sup_contrast, dose_per_frame, initial, scale,
                 drift, texture, texture_px, seed):
        self.shape = shape
        self.px = px
        self.fringes = fringes
        self.expansion = expansion
        self.dc = dc
        self.contrast = contrast
        self.sup_contrast = sup_contrast
        self.dpf = dose_per_frame
        self.initial = initial
        self.lam0 = dose_per_frame * px * px * scale
        self.drift = drift
        self.seed = seed
        ny, nx = shape
        rng = np.random.default_rng([seed, 2 ** 31 - 1])
        self.phases = rng.uniform(0, 2 * np.pi, size=len(fringes) + 1)
        self.texture_hat = None
        if texture > 0:
            import scipy.fft as sfft

            white = rng.standard_normal(shape)
            ky = np.fft.fftfreq(ny)[:, None]
            kx = np.fft.rfftfreq(nx)[None, :]
            lp = np.exp(-2 * (np.pi * texture_px) ** 2 * (kx ** 2 + ky ** 2))
            t_hat = sfft.rfft2(white) * lp
            t = sfft.irfft2(t_hat, s=shape)
            t_hat *= texture / float(np.std(t))
            self.texture_hat = t_hat.astype(np.complex64)

    def dose(self, i):
        return self.initial + self.dpf * (i + 0.5)

    def d_at(self, j, dose):
        return self.fringes[j][0] * (1.0 + self.expansion[j] * dose)

    def frame(self, i):
        import scipy.fft as sfft

        ny, nx = self.shape
        dose = self.dose(i)
        sy, sx = self.drift[0] * i, self.drift[1] * i
        y = (np.arange(ny) - ny // 2 - sy) * self.px
        x = (np.arange(nx) - nx // 2 - sx) * self.px
        img = np.ones(self.shape)
        waves = [(j, self.d_at(j, dose), self.fringes[j][1], self.contrast * math.exp(-dose / (2 * self.dc[j])))
                 for j in range(len(self.fringes))]
        if self.sup_contrast > 0:
            waves.append((len(self.fringes), 2 * self.d_at(0, dose), self.fringes[0][1],
                          self.sup_contrast * math.exp(-dose / (2 * self.dc[0]))))
        for j, d, theta, c in waves:
            gx = math.cos(math.radians(theta)) / d
            gy = math.sin(math.radians(theta)) / d
            ax = 2 * np.pi * gx * x
            ay = 2 * np.pi * gy * y + self.phases[j]
            img += c * (np.cos(ay)[:, None] * np.cos(ax)[None, :] - np.sin(ay)[:, None] * np.sin(ax)[None, :])
        if self.texture_hat is not None:
            ky = np.fft.fftfreq(ny)[:, None]
            kx = np.fft.rfftfreq(nx)[None, :]
            ramp = np.exp(-2j * np.pi * (ky * sy + kx * sx))
            img += sfft.irfft2(self.texture_hat * ramp, s=self.shape)
        lam = self.lam0 * np.clip(img, 0.0, None)
        rng = np.random.default_rng([self.seed, int(i)])
        return rng.poisson(lam)


def synthetic_stack(*, shape=(512, 512), n_frames: int = 30, pixel_size_angstrom: float = 0.25,
                    fringes=((4.7, 0.0), (4.7, 90.0)), expansion_per_e_per_A2=(0.0, 0.0035),
                    critical_dose_e_per_A2=(60.0, 60.0), dose_per_frame_e_per_A2: float = 1.0,
                    electrons_per_A2_scale: float = 1.0, drift_px_per_frame=(0.3, -0.2), superstructure: bool = False,
                    seed: int = 0, dtype=np.float32, contrast: float = 0.3, superstructure_contrast: float = 0.1,
                    texture: float = 0.1, texture_px: float = 8.0, initial_dose_e_per_A2: float = 0.0,
                    lazy: bool = False, sample: str = "synthetic", source: str = "") -> ImageStack:
    """A dose series of lattice fringes with shot noise, drift, expansion and fading (known truth).

    Parameters
    ----------
    shape : (ny, nx)
    n_frames : int
    pixel_size_angstrom : float
    fringes : sequence of (d Å, angle deg)
        Spacing at zero dose and the angle of g (x along columns, y along rows).
    expansion_per_e_per_A2 : float or one per fringe
        Strain per e⁻/Å²: d(D) = d(0)·(1 + e·D), D the mid-frame dose.
    critical_dose_e_per_A2 : float or one per fringe
        Spot intensity ∝ exp(−D/Dc) (fringe contrast ∝ exp(−D/(2Dc))).
    dose_per_frame_e_per_A2 : float
    electrons_per_A2_scale : float
        Multiplies the electrons per pixel (1: the physical dose; more: less shot noise).
    drift_px_per_frame : (dy, dx)
        Specimen drift per frame in pixels (frame 0 unshifted).
    superstructure : bool
        Adds a weak fringe at d = 2 × the first spacing along the first angle (contrast
        ``superstructure_contrast``, same expansion and fading as the first fringe).
    contrast : float
        Fringe contrast at zero dose.
    texture, texture_px : float
        RMS and correlation length (px) of the amorphous texture (0: none).
    lazy : bool
        Compute each frame when it is read (the benchmark's 100 × 2048² stack); frames are the same
        either way.

    Returns
    -------
    ImageStack
        Counts in ``dtype``; ``meta["truth"]`` holds the spacings per frame, strains, expansion rates,
        critical doses, drift and the electrons per pixel.
    """
    ny, nx = (int(v) for v in shape)
    n = int(n_frames)
    if n < 1 or ny < 16 or nx < 16:
        raise ConfigError(f"need n_frames >= 1 and a shape of at least 16×16, got {n}, {shape}")
    fr = tuple((float(d), float(a)) for d, a in fringes)
    if not fr:
        raise ConfigError("fringes must hold at least one (d, angle)")
    exp_ = _per_fringe(expansion_per_e_per_A2, len(fr), "expansion_per_e_per_A2")
    dc = _per_fringe(critical_dose_e_per_A2, len(fr), "critical_dose_e_per_A2")
    drift = tuple(float(v) for v in drift_px_per_frame)
    model = _Model((ny, nx), float(pixel_size_angstrom), fr, exp_, dc, float(contrast),
                   float(superstructure_contrast) if superstructure else 0.0, float(dose_per_frame_e_per_A2),
                   float(initial_dose_e_per_A2), float(electrons_per_A2_scale), drift, float(texture),
                   float(texture_px), int(seed))
    frames = _SyntheticFrames(model, n, dtype)
    data = frames if lazy else np.stack([frames[i] for i in range(n)])
    doses = np.array([model.dose(i) for i in range(n)])
    d_tab = np.array([[model.d_at(j, D) for j in range(len(fr))] for D in doses])
    truth = FrozenMap({
        "d0_angstrom": tuple(d for d, _ in fr), "angles_deg": tuple(a for _, a in fr),
        "expansion_per_e_per_A2": exp_, "critical_dose_e_per_A2": dc,
        "mid_frame_dose_e_per_A2": doses, "d_angstrom": d_tab, "strain": d_tab / np.array([d for d, _ in fr]) - 1.0,
        "drift_px": np.array([[drift[0] * i, drift[1] * i] for i in range(n)]),
        "electrons_per_pixel_per_frame": model.lam0, "contrast": float(contrast),
        "superstructure_d_angstrom": 2 * fr[0][0] if superstructure else None,
        "final_dose_e_per_A2": float(initial_dose_e_per_A2) + n * float(dose_per_frame_e_per_A2),
    })
    return ImageStack(data, pixel_size_angstrom=float(pixel_size_angstrom),
                      dose_per_frame_e_per_A2=float(dose_per_frame_e_per_A2),
                      initial_dose_e_per_A2=float(initial_dose_e_per_A2), sample=sample, source=source,
                      meta={"synthetic": True, "truth": truth})
