"""Independent oracle for the QENS tests: first-principles numbers, no closed forms, no structkit.qens.

Everything here is computed the long way so that it can check the module's textbook formulas:

* **Jump rotation** on ``n`` equivalent sites of a circle of radius ``r`` (uniaxial C_n).
  Convention (Barnes 1973; Dianoux, Volino & Hervet 1975): the proton sits on a site for an
  exponentially distributed time of mean ``tau`` (the *residence time*, the mean time between
  two jumps) and then jumps to either neighbour with equal probability, i.e. with the rate
  ``1/(2 tau)`` to each neighbour. For ``n = 2`` the two neighbours are the same site, so the
  rate to the other site is ``1/tau``. The master equation ``dP/dt = W P`` has the symmetric
  circulant rate matrix ``W`` (``W_ii = -1/tau``) whose eigenvalues are
  ``-(1/tau) (1 - cos(2 pi l / n)) = -(2/tau) sin^2(pi l / n)``, ``l = 0..n-1``: exactly the
  module's ladder ``Gamma_l = (2 hbar / tau) sin^2(pi l / n)`` (HWHM, meV; a decay ``exp(-t/t_l)``
  of the intermediate scattering function is a Lorentzian of HWHM ``hbar/t_l`` in energy).
  The oracle does **not** use that formula: it builds ``W``, diagonalises it numerically
  (:func:`jump_rotation_oracle`) and checks it against the formula only in the self-tests.
* **Incoherent scattering** ``I(Q, t) = (1/n) sum_ij <exp(i Q.(r_j - r_i))>_powder P_ji(t)`` with
  ``P(t) = exp(W t) = sum_l v_l v_l^T exp(lambda_l t)``; the powder average over the directions
  of ``Q`` is done *numerically*: Gauss-Legendre in ``cos(theta)`` times the trapezoid rule in
  the azimuth (spectrally accurate; 96 x 192 directions give ~1e-13 for ``Q |d| < 12``).
  Eigenvalues that coincide (C_n: ``l`` and ``n - l``) are merged, so the amplitudes come back
  per *distinct* width: ``A0(Q)`` (elastic) and ``[(A_k(Q), hwhm_k)]`` for ``k = 1 .. floor(n/2)``.
* **EISFs of continuous models** as ``|<exp(i Q.r)>|^2`` of the long-time (uniform) density,
  with the density integrated numerically: a point on a sphere surface (isotropic rotational
  diffusion) by Gauss-Legendre in ``cos(theta)``; a point uniformly inside a ball (diffusion in
  a sphere, Volino-Dianoux) by Gauss-Legendre in ``r`` and ``cos(theta)``; and two sites by the
  same powder quadrature as the jump model. ``Q`` along ``z`` is enough for the isotropic
  densities (their Fourier transform does not depend on the direction of ``Q``).
* **Observed law**: ``S_obs(Q, E) = DW(Q) [p delta(E) + (1 - p) S_rot(Q, E)]`` with
  ``DW = exp(-Q^2 <u^2> / 3)`` and ``p`` the immobile fraction; so the observed EISF is
  ``p + (1 - p) A0(Q)``. No detailed balance: the spectra are symmetric in ``E``.
* **Resolution**: a Gaussian of given FWHM. The convolution is brute force on a very fine
  energy grid (cells of ``sigma / 200``): each Lorentzian is put on the grid as exact cell
  masses (differences of its ``arctan`` CDF, so even a width much narrower than a cell keeps its
  area), a delta is a unit mass in the cell at ``E = 0``, and the spectrum at each data energy
  is the sum of the Gaussian at the cell centres times the masses. Cell-centre error is
  ``~(h/sigma)^2/24 ~ 1e-6`` relative. ``scipy.special.voigt_profile`` is not used here (only in
  the self-tests, as a check).
* **Counts**: ``scale * S_conv + background``, Poisson-sampled with ``numpy.random.default_rng``
  and a fixed seed; ``ds = sqrt(max(counts, 1))``. The vanadium is the same Gaussian, sampled on
  the same grid, scaled and Poisson-sampled (optionally on a small flat background).

Units: ``Q`` in 1/Angstrom, ``E`` in meV, times in ps, ``hbar = 0.6582119569 meV ps``,
``k_B = 8.617333262e-5 eV/K``.
"""

from __future__ import annotations

import numpy as np

HBAR_MEV_PS = 0.6582119569
KB_EV_K = 8.617333262e-5
FWHM_TO_SIGMA = 1.0 / (2.0 * np.sqrt(2.0 * np.log(2.0)))


# ----------------------------------------------------------------------------- quadratures
def powder_directions(n_mu: int = 96, n_phi: int = 192) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors (m, 3) and weights (m,) summing to 1 for an average over the sphere.

    Gauss-Legendre in ``mu = cos(theta)`` times the trapezoid rule (equal weights) in ``phi``.

    >>> u, w = powder_directions(8, 16)
    >>> bool(abs(w.sum() - 1) < 1e-14), bool(np.allclose(np.linalg.norm(u, axis=1), 1))
    (True, True)
    """
    mu, wmu = np.polynomial.legendre.leggauss(n_mu)
    phi = 2 * np.pi * (np.arange(n_phi) + 0.5) / n_phi
    st = np.sqrt(1 - mu**2)
    u = np.stack([np.outer(st, np.cos(phi)), np.outer(st, np.sin(phi)),
                  np.outer(mu, np.ones(n_phi))], axis=-1).reshape(-1, 3)
    w = (np.outer(wmu / 2.0, np.full(n_phi, 1.0 / n_phi))).ravel()
    return u, w


def fibonacci_directions(m: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Alternative (quasi-uniform) direction set with equal weights: the Fibonacci sphere."""
    k = np.arange(m) + 0.5
    mu = 1 - 2 * k / m
    phi = np.pi * (1 + np.sqrt(5.0)) * k
    st = np.sqrt(1 - mu**2)
    return np.stack([st * np.cos(phi), st * np.sin(phi), mu], axis=-1), np.full(m, 1.0 / m)


def powder_cos(q: np.ndarray, d: np.ndarray, directions=None) -> np.ndarray:
    """``<cos(Q u . d)>`` over directions ``u``, for each ``Q`` (nq,) and vector ``d`` (..., 3).

    Returns shape (nq, ...). Numerical quadrature; never the closed form ``j0(Q |d|)``.
    """
    u, w = powder_directions() if directions is None else directions
    q = np.atleast_1d(np.asarray(q, float))
    d = np.asarray(d, float)
    proj = d.reshape(-1, 3) @ u.T                       # (npairs, m)
    out = np.cos(q[:, None, None] * proj[None]) @ w      # (nq, npairs)
    return out.reshape((q.size,) + d.shape[:-1])


# ----------------------------------------------------------------------------- jump models
def circle_sites(n: int, radius: float) -> np.ndarray:
    """``n`` equally spaced positions (n, 3) on a circle of ``radius`` in the xy plane."""
    a = 2 * np.pi * np.arange(n) / n
    return np.stack([radius * np.cos(a), radius * np.sin(a), np.zeros(n)], axis=-1)


def jump_rate_matrix(n: int, tau_ps: float) -> np.ndarray:
    """Rate matrix ``W`` (1/ps): leave a site at rate ``1/tau``, half to each neighbour."""
    W = np.zeros((n, n))
    for i in range(n):
        W[(i + 1) % n, i] += 0.5 / tau_ps
        W[(i - 1) % n, i] += 0.5 / tau_ps
        W[i, i] -= 1.0 / tau_ps
    return W


def jump_model_oracle(q, sites: np.ndarray, W: np.ndarray, directions=None, tol: float = 1e-9):
    """Elastic and quasi-elastic amplitudes of jumps among ``sites`` with rate matrix ``W``.

    Sites are equally populated (``W`` symmetric). Returns ``(A0 (nq,), [(A_k (nq,), hwhm_k_meV)])``
    with the widths ascending and coincident eigenvalues merged.
    """
    q = np.atleast_1d(np.asarray(q, float))
    n = len(sites)
    if not np.allclose(W, W.T):
        raise ValueError("oracle supports symmetric rate matrices (equal site populations)")
    lam, v = np.linalg.eigh(W)                           # lam <= 0
    d = sites[:, None, :] - sites[None, :, :]            # (n, n, 3)
    C = powder_cos(q, d, directions)                     # (nq, n, n)
    # A_l(Q) = (1/n) v_l^T C(Q) v_l
    amp = np.einsum("il,qij,jl->ql", v, C, v) / n        # (nq, n)
    rate = -lam                                          # 1/ps, >= 0
    order = np.argsort(rate)
    groups: list[list[int]] = []
    for k in order:
        if groups and abs(rate[k] - rate[groups[-1][0]]) <= tol * max(1.0, rate.max()):
            groups[-1].append(k)
        else:
            groups.append([k])
    A0 = amp[:, groups[0]].sum(axis=1)
    if rate[groups[0][0]] > tol * max(1.0, rate.max()):
        raise ValueError("no stationary (zero-rate) mode")
    comps = [(amp[:, g].sum(axis=1), HBAR_MEV_PS * rate[g[0]]) for g in groups[1:]]
    return A0, comps


def jump_rotation_oracle(q, radius: float, n: int, tau_ps: float, directions=None):
    """C_n jump rotation (see module docstring): ``(A0, [(A_k, hwhm_k_meV), ...])``."""
    return jump_model_oracle(q, circle_sites(n, radius), jump_rate_matrix(n, tau_ps), directions)


def eisf_jump_oracle(q, sites: np.ndarray, directions=None) -> np.ndarray:
    """``<|(1/n) sum_k exp(i Q.r_k)|^2>_powder`` straight from the site positions."""
    d = sites[:, None, :] - sites[None, :, :]
    return powder_cos(q, d, directions).mean(axis=(1, 2))


def eisf_two_site_oracle(q, distance: float, directions=None) -> np.ndarray:
    """Two sites ``distance`` apart."""
    sites = np.array([[0.0, 0.0, 0.0], [0.0, 0.0, distance]])
    return eisf_jump_oracle(q, sites, directions)


# ----------------------------------------------------------------------------- continuous EISFs
def _gl(n: int, a: float, b: float):
    x, w = np.polynomial.legendre.leggauss(n)
    return 0.5 * (b - a) * x + 0.5 * (b + a), 0.5 * (b - a) * w


def eisf_isotropic_rotation_oracle(q, radius: float, n_mu: int = 128) -> np.ndarray:
    """Point uniformly on a sphere of ``radius``: ``|(1/2) int exp(i Q r mu) dmu|^2`` by quadrature."""
    q = np.atleast_1d(np.asarray(q, float))
    mu, w = _gl(n_mu, -1.0, 1.0)
    f = np.exp(1j * q[:, None] * radius * mu[None]) @ (w / 2.0)
    return np.abs(f) ** 2


def eisf_sphere_oracle(q, radius: float, n_r: int = 96, n_mu: int = 128) -> np.ndarray:
    """Point uniformly inside a ball of ``radius`` (diffusion in a sphere): ``|<exp(iQ.r)>_ball|^2``.

    ``<exp(iQ.r)> = (3/R^3) int_0^R r^2 dr (1/2) int_-1^1 exp(i Q r mu) dmu`` by Gauss-Legendre
    in both variables.
    """
    q = np.atleast_1d(np.asarray(q, float))
    r, wr = _gl(n_r, 0.0, radius)
    mu, wmu = _gl(n_mu, -1.0, 1.0)
    phase = np.exp(1j * q[:, None, None] * r[None, :, None] * mu[None, None, :])   # (nq, nr, nmu)
    f = np.einsum("qrm,r,m->q", phase, wr * r**2 * 3.0 / radius**3, wmu / 2.0)
    return np.abs(f) ** 2


def isotropic_rotation_oracle(q, radius: float, tau_ps: float, lmax: int = 40, n_gamma: int = 160,
                              directions=None):
    """Isotropic rotational diffusion on a sphere, from the propagator's eigenfunctions.

    A point rotated by the angle ``gamma`` moves by ``|dr| = r sqrt(2 - 2 cos gamma)``; the
    rotational-diffusion propagator on the sphere is ``sum_l (2l+1)/2 P_l(cos gamma)
    exp(-l(l+1) D_r t)`` (normalised in ``cos gamma``). So the amplitude of the line ``l`` is
    ``(2l+1)/2 int P_l(mu) <cos(Q.dr(mu))>_powder dmu``: Gauss-Legendre in ``mu`` and the
    numerical powder average. Convention (the module's): ``tau = 1/(6 D_r)``, so the line ``l``
    has HWHM ``hbar l(l+1) D_r = hbar l(l+1) / (6 tau)``. Returns ``(A0, [(A_l, hwhm_l)])``.
    """
    from numpy.polynomial import legendre as L

    q = np.atleast_1d(np.asarray(q, float))
    mu, w = np.polynomial.legendre.leggauss(n_gamma)
    dist = radius * np.sqrt(2.0 - 2.0 * mu)
    vec = np.stack([dist, np.zeros_like(dist), np.zeros_like(dist)], axis=-1)
    F = powder_cos(q, vec, directions)                   # (nq, n_gamma)
    dr = 1.0 / (6.0 * tau_ps)
    out = []
    for ell in range(lmax + 1):
        c = np.zeros(ell + 1)
        c[-1] = 1.0
        out.append(((2 * ell + 1) / 2.0 * (F @ (w * L.legval(mu, c))), HBAR_MEV_PS * ell * (ell + 1) * dr))
    return out[0][0], out[1:]


# ----------------------------------------------------------------------------- spectra
class FineConvolver:
    """Brute-force Gaussian convolution onto data energies ``energy`` (see module docstring).

    ``__call__(masses)`` maps cell masses on the fine grid to the convolved values on ``energy``.
    """

    def __init__(self, energy: np.ndarray, fwhm_meV: float, cells_per_sigma: int = 200,
                 reach_sigma: float = 12.0):
        self.energy = np.asarray(energy, float)
        self.sigma = fwhm_meV * FWHM_TO_SIGMA
        self.h = self.sigma / cells_per_sigma
        lo = self.energy.min() - reach_sigma * self.sigma
        hi = self.energy.max() + reach_sigma * self.sigma
        k = np.arange(int(np.floor(lo / self.h)), int(np.ceil(hi / self.h)) + 1)
        self.centres = k * self.h                        # E = 0 is a cell centre
        self.edges = np.append(self.centres - self.h / 2, self.centres[-1] + self.h / 2)
        z = (self.energy[:, None] - self.centres[None, :]) / self.sigma
        self.kernel = np.exp(-0.5 * z**2) / (self.sigma * np.sqrt(2 * np.pi))
        self.i0 = int(np.argmin(np.abs(self.centres)))

    def delta_masses(self) -> np.ndarray:
        m = np.zeros(self.centres.size)
        m[self.i0] = 1.0
        return m

    def lorentz_masses(self, hwhm_meV: float) -> np.ndarray:
        """Exact Lorentzian (unit area, HWHM ``hwhm_meV``, centred at 0) mass in each cell."""
        cdf = np.arctan(self.edges / hwhm_meV) / np.pi
        return np.diff(cdf)

    def __call__(self, masses: np.ndarray) -> np.ndarray:
        return self.kernel @ masses

    def gaussian(self) -> np.ndarray:
        return self(self.delta_masses())

    def voigt(self, hwhm_meV: float) -> np.ndarray:
        return self(self.lorentz_masses(hwhm_meV))


def model_spectra(q, energy, fwhm_meV, radius, n, tau_ps, immobile_fraction=0.0, u2_A2=0.0,
                  conv: FineConvolver | None = None, directions=None):
    """Resolution-convolved ``S_obs(Q, E)`` (nq, nE), unit scale, no background, and its parts."""
    q = np.atleast_1d(np.asarray(q, float))
    conv = FineConvolver(energy, fwhm_meV) if conv is None else conv
    A0, comps = jump_rotation_oracle(q, radius, n, tau_ps, directions)
    dw = np.exp(-q**2 * u2_A2 / 3.0)
    p = immobile_fraction
    g = conv.gaussian()
    s = np.outer(dw * (p + (1 - p) * A0), g)
    for A, hw in comps:
        s += np.outer(dw * (1 - p) * A, conv.voigt(hw))
    return s, {"A0": A0, "components": comps, "dw": dw, "eisf_obs": p + (1 - p) * A0}


# ----------------------------------------------------------------------------- the data set
FOCUS = dict(
    fwhm_meV=0.220,
    q=np.linspace(1.3, 2.5, 12),
    energy=np.linspace(-1.5, 1.5, 200),
    n=5,
    radius=1.70,
    immobile_fraction=0.2,
    u2_A2=0.02,
    ea_eV=0.24,
    temperatures_K=np.linspace(275.0, 390.0, 6),
    peak_counts=1.0e5,            # counts at E = 0 of a purely elastic spectrum (before noise)
    background=20.0,              # flat background, counts per point
    vanadium_peak_counts=1.0e5,
    vanadium_background=5.0,
)


def gamma1_meV(tau_ps: float, n: int) -> float:
    """Smallest nonzero HWHM of the C_n ladder, from the rate matrix (no closed form)."""
    lam = np.linalg.eigvalsh(jump_rate_matrix(n, tau_ps))
    rates = np.sort(-lam)
    return HBAR_MEV_PS * rates[rates > 1e-9 * rates.max()][0]


def tau_of_T(T, tau0_ps: float, ea_eV: float):
    return tau0_ps * np.exp(ea_eV / (KB_EV_K * np.asarray(T, float)))


def default_tau0(cfg=FOCUS) -> float:
    """``tau0`` placing ``Gamma1(390 K) = 3 x`` the resolution HWHM (so ``Gamma1(275 K) ~ 0.15 x``)."""
    target = 3.0 * cfg["fwhm_meV"] / 2.0
    tau_hi = gamma1_meV(1.0, cfg["n"]) / target        # Gamma1 scales as 1/tau
    return tau_hi / np.exp(cfg["ea_eV"] / (KB_EV_K * cfg["temperatures_K"].max()))


def make_dataset(temperature_K: float, seed: int, cfg=FOCUS, tau0_ps: float | None = None,
                 conv: FineConvolver | None = None, noise: bool = True):
    """One temperature: plain arrays and the truth. ``s`` (nq, nE) counts, ``ds`` their errors."""
    tau0 = default_tau0(cfg) if tau0_ps is None else tau0_ps
    tau = float(tau_of_T(temperature_K, tau0, cfg["ea_eV"]))
    conv = FineConvolver(cfg["energy"], cfg["fwhm_meV"]) if conv is None else conv
    shape, parts = model_spectra(cfg["q"], cfg["energy"], cfg["fwhm_meV"], cfg["radius"], cfg["n"],
                                 tau, cfg["immobile_fraction"], cfg["u2_A2"], conv)
    # same scale at every temperature: peak counts defined by a reference spectrum (all elastic)
    scale = cfg["peak_counts"] / conv.gaussian().max()
    mean = scale * shape + cfg["background"]
    rng = np.random.default_rng(seed)
    s = rng.poisson(mean).astype(float) if noise else mean.copy()
    ds = np.sqrt(np.maximum(s, 1.0))
    truth = dict(temperature_K=float(temperature_K), tau_ps=tau, tau0_ps=tau0, ea_eV=cfg["ea_eV"],
                 radius_angstrom=cfg["radius"], n=cfg["n"], immobile_fraction=cfg["immobile_fraction"],
                 u2_A2=cfg["u2_A2"], scale=scale, background=cfg["background"],
                 gamma1_meV=parts["components"][0][1],
                 hwhm_meV=[hw for _, hw in parts["components"]],
                 lorentz_amplitudes=np.array([A for A, _ in parts["components"]]),
                 A0=parts["A0"], eisf_obs=parts["eisf_obs"], dw=parts["dw"],
                 resolution_fwhm_meV=cfg["fwhm_meV"], resolution_hwhm_meV=cfg["fwhm_meV"] / 2,
                 mean=mean)
    return dict(q=cfg["q"].copy(), energy=cfg["energy"].copy(), s=s, ds=ds,
                temperature_K=float(temperature_K), truth=truth)


def make_vanadium(seed: int, cfg=FOCUS, conv: FineConvolver | None = None, noise: bool = True):
    """The resolution as a noisy vanadium: the Gaussian at every Q, Poisson counts."""
    conv = FineConvolver(cfg["energy"], cfg["fwhm_meV"]) if conv is None else conv
    g = conv.gaussian()
    mean = np.tile(cfg["vanadium_peak_counts"] * g / g.max(), (cfg["q"].size, 1)) \
        + cfg["vanadium_background"]
    rng = np.random.default_rng(seed)
    s = rng.poisson(mean).astype(float) if noise else mean.copy()
    return dict(q=cfg["q"].copy(), energy=cfg["energy"].copy(), s=s, ds=np.sqrt(np.maximum(s, 1.0)),
                temperature_K=5.0, truth=dict(mean=mean, fwhm_meV=cfg["fwhm_meV"]))


def make_series(seed: int = 2024, cfg=FOCUS, noise: bool = True):
    """Six temperatures (seeds ``seed + i``) and the vanadium (seed ``seed - 1``) sharing one grid."""
    conv = FineConvolver(cfg["energy"], cfg["fwhm_meV"])
    tau0 = default_tau0(cfg)
    sets = [make_dataset(T, seed + i, cfg, tau0, conv, noise) for i, T in enumerate(cfg["temperatures_K"])]
    van = make_vanadium(seed - 1, cfg, conv, noise)
    return sets, van
