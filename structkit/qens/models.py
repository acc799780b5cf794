"""Scattering laws for QENS: EISFs, Lorentzian ladders and linewidth laws.

Conventions (everywhere in structkit.qens):

* widths are **HWHM** Γ in meV; a Lorentzian of unit area is ``(Γ/π) / (E² + Γ²)``;
* times in ps with ħ = 0.6582119569 meV·ps, so a residence time is ``τ = ħ/Γ``;
* diffusion coefficients in Å²/ps (1 Å²/ps = 1e-8 m²/s; :func:`to_m2_per_s`);
* every law is "elastic amplitude A0(Q) + Lorentzians (A_l(Q), Γ_l(Q))" with
  ``A0 + Σ A_l = 1``; an immobile fraction p and a Debye–Waller factor are applied
  on top by :func:`apply_fraction` and :func:`apply_libration`.

EISFs (powder averaged): n sites on a circle of radius r (uniaxial C_n jump rotation)
``A0 = (1/n) Σ_j j0(2Qr sin(πj/n))``; two sites at distance d ``(1 + j0(Qd))/2``;
isotropic rotational diffusion on a sphere (Sears) ``j0(Qr)²``; diffusion inside a
sphere (Volino–Dianoux) ``[3 j1(Qr)/(Qr)]²``.

Examples
--------
>>> import numpy as np
>>> round(float(hwhm_from_tau(1.0)), 4), round(float(tau_from_hwhm(0.6582119569)), 6)
(0.6582, 1.0)
>>> a0, lad = jump_rotation_components(np.array([1.5]), 1.7, 5, 10.0)
>>> round(float(a0[0] + sum(a[0] for a, _ in lad)), 12), len(lad)
(1.0, 2)
>>> round(float(eisf_two_site(np.array([2.0]), 1.0)[0]), 6) == round(float(eisf_jump_circle(np.array([2.0]), 0.5, 2)[0]), 6)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from scipy.special import spherical_jn

from ..core.errors import ConfigError
from ..core.units import HBAR_MEV_PS

__all__ = [
    "HBAR_MEV_PS", "hwhm_from_tau", "tau_from_hwhm", "to_m2_per_s", "to_A2_per_ps",
    "eisf_jump_circle", "eisf_two_site", "eisf_isotropic_rotation", "eisf_sphere", "EISF_MODELS",
    "jump_rotation_components", "isotropic_rotation_components",
    "hwhm_fick", "hwhm_chudley_elliott", "hwhm_singwi_sjolander", "hwhm_hall_ross", "jump_length",
    "LINEWIDTH_LAWS", "apply_fraction", "apply_libration", "merge_widths",
    "Law", "JumpRotation", "TwoSiteJump", "IsotropicRotation", "Translational", "parse_law",
]


# -- units ------------------------------------------------------------------
def hwhm_from_tau(tau_ps):
    """HWHM (meV) of a Lorentzian whose correlation time is ``tau_ps``: ``ħ/τ``."""
    return HBAR_MEV_PS / np.asarray(tau_ps, dtype=float)


def tau_from_hwhm(hwhm_meV):
    """Correlation time (ps) of a Lorentzian of HWHM ``hwhm_meV``: ``ħ/Γ``."""
    return HBAR_MEV_PS / np.asarray(hwhm_meV, dtype=float)


def to_m2_per_s(d_A2_per_ps):
    """Å²/ps → m²/s (× 1e-8). ``to_m2_per_s(0.2) == 2e-9``."""
    return np.asarray(d_A2_per_ps, dtype=float) * 1e-8


def to_A2_per_ps(d_m2_per_s):
    """m²/s → Å²/ps (× 1e8)."""
    return np.asarray(d_m2_per_s, dtype=float) * 1e8


def _j0(x):
    return spherical_jn(0, x)


# -- EISFs ------------------------------------------------------------------
def eisf_jump_circle(q, radius, n: int):
    """EISF of jumps among ``n`` equivalent sites on a circle of radius ``radius`` (Å), powder average."""
    n = _check_n(n)
    q = np.asarray(q, dtype=float)
    j = np.arange(1, n + 1)
    x = 2.0 * q[..., None] * float(radius) * np.sin(np.pi * j / n)
    return _j0(x).mean(axis=-1)


def eisf_two_site(q, distance):
    """EISF of jumps between two sites ``distance`` (Å) apart: ``(1 + j0(Qd))/2``."""
    return 0.5 * (1.0 + _j0(np.asarray(q, dtype=float) * float(distance)))


def eisf_isotropic_rotation(q, radius):
    """EISF of isotropic rotational diffusion on a sphere of radius ``radius`` (Sears): ``j0(Qr)²``."""
    return _j0(np.asarray(q, dtype=float) * float(radius)) ** 2


def eisf_sphere(q, radius):
    """EISF of diffusion inside a sphere of radius ``radius`` (Volino–Dianoux): ``[3 j1(Qr)/(Qr)]²``."""
    x = np.asarray(q, dtype=float) * float(radius)
    safe = np.where(np.abs(x) < 1e-6, 1.0, x)
    val = 3.0 * spherical_jn(1, safe) / safe
    return np.where(np.abs(x) < 1e-6, 1.0 - x * x / 5.0, val) ** 2


def _check_n(n) -> int:
    if int(n) != n or int(n) < 2:
        raise ConfigError(f"number of sites n must be an integer >= 2 (got {n})")
    return int(n)


#: EISF models by name: (function(q, size), name of the size parameter).
EISF_MODELS = {
    "jump-rotation": None,  # needs n: see eisf_for
    "two-site": (eisf_two_site, "distance_angstrom"),
    "isotropic-rotation": (eisf_isotropic_rotation, "radius_angstrom"),
    "sphere": (eisf_sphere, "radius_angstrom"),
}


# -- ladders ----------------------------------------------------------------
def jump_rotation_components(q, radius, n: int, tau_ps):
    """Elastic amplitude and Lorentzian ladder of uniaxial n-site jump rotation (powder).

    ``A_l(Q) = (1/n) Σ_j j0(2Qr sin(πj/n)) cos(2πlj/n)``, ``Γ_l = (2ħ/τ) sin²(πl/n)``,
    l = 0 … n−1, with τ the mean residence time on a site (jumps to either
    neighbour). Lines of equal width (l and n−l) are merged.

    Returns
    -------
    a0 : ndarray
        Elastic amplitude (the EISF of the mobile part).
    ladder : list of (amplitude array, hwhm_meV float)
    """
    n = _check_n(n)
    q = np.asarray(q, dtype=float)
    j = np.arange(1, n + 1)
    j0 = _j0(2.0 * q[..., None] * float(radius) * np.sin(np.pi * j / n))
    ladder = []
    for ell in range(1, n // 2 + 1):
        a = (j0 * np.cos(2.0 * np.pi * ell * j / n)).mean(axis=-1)
        if 2 * ell != n:
            a = 2.0 * a  # l and n-l share the width
        ladder.append((a, float(2.0 * HBAR_MEV_PS / float(tau_ps) * np.sin(np.pi * ell / n) ** 2)))
    return j0.mean(axis=-1), ladder


def isotropic_rotation_components(q, radius, tau_ps, *, tol: float = 1e-5, lmax: int = 60):
    """Sears' isotropic rotational diffusion: ``A_l = (2l+1) j_l²(Qr)``, ``Γ_l = l(l+1) ħ D_r``.

    ``tau_ps`` is defined as ``1/(6 D_r)`` (so Γ_1 = ħ/(3τ)); the series stops when
    the amplitudes left are below ``tol`` at every Q.
    """
    q = np.asarray(q, dtype=float)
    x = q * float(radius)
    dr = 1.0 / (6.0 * float(tau_ps))
    a0 = _j0(x) ** 2
    total = a0.copy()
    ladder = []
    for ell in range(1, lmax + 1):
        a = (2 * ell + 1) * spherical_jn(ell, x) ** 2
        ladder.append((a, float(ell * (ell + 1) * HBAR_MEV_PS * dr)))
        total = total + a
        if np.all(1.0 - total < tol):
            break
    return a0, ladder


# -- linewidth laws (HWHM, meV) -------------------------------------------------
def hwhm_fick(q, diffusion):
    """Fickian diffusion: ``Γ = ħ D Q²`` (D in Å²/ps)."""
    q = np.asarray(q, dtype=float)
    return HBAR_MEV_PS * float(diffusion) * q * q


def hwhm_chudley_elliott(q, diffusion, tau_ps):
    """Chudley–Elliott jumps of fixed length ``l = sqrt(6 D τ)``: ``Γ = (ħ/τ)[1 − sin(Ql)/(Ql)]``."""
    q = np.asarray(q, dtype=float)
    ql = q * jump_length(diffusion, tau_ps)
    return HBAR_MEV_PS / float(tau_ps) * (1.0 - np.sinc(ql / np.pi))


def hwhm_singwi_sjolander(q, diffusion, tau_ps):
    """Singwi–Sjölander jump diffusion: ``Γ = ħ D Q² / (1 + D Q² τ)``."""
    q = np.asarray(q, dtype=float)
    dq2 = float(diffusion) * q * q
    return HBAR_MEV_PS * dq2 / (1.0 + dq2 * float(tau_ps))


def hwhm_hall_ross(q, diffusion, tau_ps):
    """Hall–Ross (Gaussian jump lengths, ⟨l²⟩ = 6Dτ): ``Γ = (ħ/τ)[1 − exp(−Q²⟨l²⟩/6)]``."""
    q = np.asarray(q, dtype=float)
    return HBAR_MEV_PS / float(tau_ps) * (1.0 - np.exp(-q * q * float(diffusion) * float(tau_ps)))


def jump_length(diffusion, tau_ps):
    """Root-mean-square jump length (Å) of a jump-diffusion law: ``sqrt(6 D τ)``."""
    return float(np.sqrt(6.0 * float(diffusion) * float(tau_ps)))


#: name -> (function, parameter names after q)
LINEWIDTH_LAWS = {
    "fick": (hwhm_fick, ("diffusion_A2_per_ps",)),
    "chudley-elliott": (hwhm_chudley_elliott, ("diffusion_A2_per_ps", "tau_ps")),
    "singwi-sjolander": (hwhm_singwi_sjolander, ("diffusion_A2_per_ps", "tau_ps")),
    "hall-ross": (hwhm_hall_ross, ("diffusion_A2_per_ps", "tau_ps")),
}


# -- modifiers -------------------------------------------------------------------
def apply_fraction(a0, ladder, p):
    """Immobile fraction ``p``: ``A0 → p + (1−p) A0``, ``A_l → (1−p) A_l``."""
    return p + (1.0 - p) * a0, [((1.0 - p) * a, g) for a, g in ladder]


def apply_libration(q, a0, ladder, u2, libration_hwhm=None):
    """Convolve with a libration: Debye–Waller ``W = exp(−Q²⟨u²⟩/3)`` on every line, and the
    ``(1 − W)`` part broadened by ``libration_hwhm`` (widths add); without a width the
    ``1 − W`` part is dropped (it lies outside the window)."""
    q = np.asarray(q, dtype=float)
    w = np.exp(-q * q * float(u2) / 3.0)
    out0 = w * a0
    lines = [(w * a, g) for a, g in ladder]
    if libration_hwhm is not None:
        lines.append(((1.0 - w) * a0, float(libration_hwhm)))
        lines += [((1.0 - w) * a, g + float(libration_hwhm)) for a, g in ladder]
    return out0, lines


def merge_widths(ladder, rtol: float = 1e-12):
    """Sum the amplitudes of lines that share a width (fewer convolutions)."""
    out: list[list] = []
    for a, g in ladder:
        if np.ndim(g) > 0:  # a width per Q (translational laws): nothing to merge
            out.append([np.asarray(a, dtype=float), g])
            continue
        for item in out:
            if np.ndim(item[1]) > 0:
                continue
            if abs(item[1] - g) <= rtol * max(abs(g), 1e-300):
                item[0] = item[0] + a
                break
        else:
            out.append([np.asarray(a, dtype=float), g])
    return [(a, g) for a, g in out]


# -- scattering laws for global fits --------------------------------------------------
@dataclass(frozen=True)
class Law:
    """A scattering law: parameter names with starts and bounds, and its lines at given Q.

    Subclasses implement :meth:`components` (A0 and a list of (amplitude, HWHM),
    HWHM scalar or one per Q) and :meth:`eisf`.
    """

    name = "law"
    params: tuple = ()

    def components(self, q, values: Mapping[str, float]):  # pragma: no cover - abstract
        raise NotImplementedError

    def eisf(self, q, values: Mapping[str, float]):
        return self.components(q, values)[0]

    @property
    def param_names(self) -> tuple[str, ...]:
        return tuple(p[0] for p in self.params)

    def defaults(self) -> dict[str, tuple[float, float, float]]:
        return {p[0]: (p[1], p[2], p[3]) for p in self.params}

    def describe(self) -> str:
        return self.name


@dataclass(frozen=True)
class JumpRotation(Law):
    """Uniaxial jump rotation among ``n`` sites on a circle (C_n axis): ``radius_angstrom``, ``tau_ps``."""

    n: int = 3
    params: tuple = (("radius_angstrom", 1.5, 0.05, 20.0), ("tau_ps", 5.0, 1e-4, 1e6))

    def __post_init__(self):
        _check_n(self.n)

    @property
    def name(self):
        return f"jump-rotation:n={self.n}"

    def components(self, q, v):
        return jump_rotation_components(q, v["radius_angstrom"], self.n, v["tau_ps"])

    def eisf(self, q, v):
        return eisf_jump_circle(q, v["radius_angstrom"], self.n)


@dataclass(frozen=True)
class TwoSiteJump(Law):
    """Jumps between two sites ``distance_angstrom`` apart, residence time ``tau_ps`` (Γ = 2ħ/τ)."""

    name = "two-site"
    params: tuple = (("distance_angstrom", 2.0, 0.05, 40.0), ("tau_ps", 5.0, 1e-4, 1e6))

    def components(self, q, v):
        return jump_rotation_components(q, 0.5 * v["distance_angstrom"], 2, v["tau_ps"])

    def eisf(self, q, v):
        return eisf_two_site(q, v["distance_angstrom"])


@dataclass(frozen=True)
class IsotropicRotation(Law):
    """Sears' isotropic rotational diffusion on a sphere: ``radius_angstrom``, ``tau_ps`` = 1/(6 D_r)."""

    name = "isotropic-rotation"
    params: tuple = (("radius_angstrom", 1.5, 0.05, 20.0), ("tau_ps", 5.0, 1e-4, 1e6))

    def components(self, q, v):
        return isotropic_rotation_components(q, v["radius_angstrom"], v["tau_ps"])

    def eisf(self, q, v):
        return eisf_isotropic_rotation(q, v["radius_angstrom"])


@dataclass(frozen=True)
class Translational(Law):
    """Long-range diffusion: one Lorentzian of HWHM Γ(Q) from a linewidth law, no elastic line.

    ``law`` is one of :data:`LINEWIDTH_LAWS` (``fick``, ``chudley-elliott``,
    ``singwi-sjolander``, ``hall-ross``); parameters ``diffusion_A2_per_ps`` and, except
    for Fick, ``tau_ps``.
    """

    law: str = "singwi-sjolander"
    params: tuple = ()

    def __post_init__(self):
        if self.law not in LINEWIDTH_LAWS:
            raise ConfigError(f"unknown linewidth law {self.law!r}; choose one of {sorted(LINEWIDTH_LAWS)}")
        names = LINEWIDTH_LAWS[self.law][1]
        spec = {"diffusion_A2_per_ps": ("diffusion_A2_per_ps", 0.1, 1e-6, 1e3),
                "tau_ps": ("tau_ps", 1.0, 0.0, 1e5)}
        object.__setattr__(self, "params", tuple(spec[n] for n in names))

    @property
    def name(self):
        return f"translational:{self.law}"

    def hwhm(self, q, v):
        fn, names = LINEWIDTH_LAWS[self.law]
        return fn(q, *[v[n] for n in names])

    def components(self, q, v):
        q = np.asarray(q, dtype=float)
        return np.zeros_like(q), [(np.ones_like(q), self.hwhm(q, v))]

    def eisf(self, q, v):
        return np.zeros_like(np.asarray(q, dtype=float))


def parse_law(text: str | Law) -> Law:
    """A law from its CLI spelling: ``jump-rotation:n=5``, ``two-site``, ``isotropic-rotation``,
    ``translational:singwi-sjolander`` (also ``fick``, ``chudley-elliott``, ``hall-ross``).

    Examples
    --------
    >>> parse_law("jump-rotation:n=5").n, parse_law("singwi-sjolander").law
    (5, 'singwi-sjolander')
    """
    if isinstance(text, Law):
        return text
    name, _, rest = str(text).strip().lower().replace("_", "-").partition(":")
    opts = {}
    for item in filter(None, rest.split(",")):
        k, _, v = item.partition("=")
        opts[k.strip()] = v.strip()
    if name in ("jump-rotation", "jump", "circle", "cn"):
        try:
            return JumpRotation(n=int(opts.get("n", 3)))
        except ValueError:
            raise ConfigError(f"law {text!r}: n must be an integer, e.g. jump-rotation:n=5") from None
    if name in ("two-site", "2site", "two-site-jump"):
        return TwoSiteJump()
    if name in ("isotropic-rotation", "sears", "rotational-diffusion"):
        return IsotropicRotation()
    if name in ("translational", "translation"):
        return Translational(law=rest or "singwi-sjolander")
    if name in LINEWIDTH_LAWS:
        return Translational(law=name)
    raise ConfigError(f"unknown scattering law {text!r}; use jump-rotation:n=N, two-site, isotropic-rotation "
                      f"or one of {sorted(LINEWIDTH_LAWS)}")

