"""Forward models with known truth: σ(T) laws and impedance of blocking-electrode pellets.

Used by the demo and by the tests as an independent oracle: the impedance is
written here in closed form, not through :mod:`.circuits`, so a fit that
recovers these parameters checks the parser, the evaluator and the fitter
against a separate code path.

Examples
--------
>>> import numpy as np
>>> s = piecewise_arrhenius_sigma([223.15, 343.15], ea_eV=[0.40, 0.60, 0.34],
...                               breakpoints_K=[223.15, 343.15], sigma_ref_S_per_cm=9e-4,
...                               t_ref_K=293.15)
>>> bool(s[0] < s[1])
True
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.errors import DataError
from ..core.measurement import Measurement
from ..core.units import EPSILON_0_F_PER_CM, K_B_EV

__all__ = ["piecewise_arrhenius_sigma", "blocking_pellet_impedance", "simulate_spectrum",
           "SEED000_LAW", "SEED001_NA_LAW"]

#: Seed 000 (Na2(B12H12)0.5(B10H10)0.5): σT regimes I/II/III with breaks at -50 and 70 °C;
#: Ea(II) = 0.60, Ea(III) = 0.34 eV (regime I "lower than II": 0.40 eV here); 0.9 mS/cm at 20 °C.
SEED000_LAW = {"ea_eV": (0.40, 0.60, 0.34), "breakpoints_K": (223.15, 343.15),
               "sigma_ref_S_per_cm": 9e-4, "t_ref_K": 293.15}
#: Seed 001 (MIL-121/Na + SE): Ea 1.23 eV below and 0.36 eV above a kink at 10 °C; 1.2e-4 S/cm at 30 °C.
SEED001_NA_LAW = {"ea_eV": (1.23, 0.36), "breakpoints_K": (283.15,),
                  "sigma_ref_S_per_cm": 1.2e-4, "t_ref_K": 303.15}


def piecewise_arrhenius_sigma(temperature_K, *, ea_eV: Sequence[float], breakpoints_K: Sequence[float],
                              sigma_ref_S_per_cm: float, t_ref_K: float, form: str = "sigmaT"):
    """σ(T) of a continuous multi-regime Arrhenius law.

    ``ea_eV`` lists the regimes from the coldest up, ``breakpoints_K`` the
    temperatures between them (ascending); ``ln(σT)`` (or ``ln σ``) is
    continuous at every breakpoint and equals its value at ``t_ref_K``.
    """
    t = np.asarray(temperature_K, dtype=float)
    ea = list(ea_eV)
    bps = list(breakpoints_K)
    if len(ea) != len(bps) + 1 or any(np.diff(bps) <= 0):
        raise DataError("piecewise law needs len(ea_eV) == len(breakpoints_K) + 1, breakpoints ascending")

    def g(tt):
        # integral of -Ea(T)/k_B d(1/T) from t_ref: accumulate segment by segment in x = 1/T
        x = 1.0 / tt
        xr = 1.0 / t_ref_K
        edges = [np.inf] + [1.0 / b for b in bps] + [0.0]     # x decreasing = T increasing

        def seg_integral(xa, xb):
            # sum over regimes of -Ea_i/k * length of [xa, xb] ∩ regime i (signed)
            total = 0.0
            lo, hi = min(xa, xb), max(xa, xb)
            sign = 1.0 if xb >= xa else -1.0
            for i, e in enumerate(ea):
                r_hi, r_lo = edges[i], edges[i + 1]
                overlap = max(0.0, min(hi, r_hi) - max(lo, r_lo))
                total += -e / K_B_EV * overlap
            return sign * total

        return np.array([seg_integral(xr, xi) for xi in np.atleast_1d(x)])

    y_ref = np.log(sigma_ref_S_per_cm * t_ref_K) if form == "sigmaT" else np.log(sigma_ref_S_per_cm)
    y = y_ref + g(t)
    sigma = np.exp(y) / t if form == "sigmaT" else np.exp(y)
    return sigma.reshape(t.shape) if t.ndim else float(sigma[0])


def blocking_pellet_impedance(frequency_Hz, *, sigma_S_per_cm: float, thickness_cm: float, area_cm2: float,
                              eps_r: float = 20.0, n_bulk: float = 0.97,
                              electrode_Q_per_cm2: float = 5e-6, n_electrode: float = 0.85,
                              gb_resistance_ohm: float | None = None, gb_capacitance_F: float = 1e-9,
                              n_gb: float = 0.9):
    """Impedance of a pellet between blocking electrodes (closed form).

    ``Z = R_b / (1 + R_b Q_b (jω)^n_b) [+ R_gb / (1 + R_gb Q_gb (jω)^n_gb)] + 1 / (Q_el (jω)^n_el)``
    with ``R_b = L / (σ A)`` and ``Q_b`` chosen so that the bulk capacitance
    ``R^((1-n)/n) Q^(1/n)`` equals the geometric ``ε0 εr A / L``.
    """
    w = 2 * np.pi * np.asarray(frequency_Hz, dtype=float)
    r_b = thickness_cm / (sigma_S_per_cm * area_cm2)
    c_b = EPSILON_0_F_PER_CM * eps_r * area_cm2 / thickness_cm
    q_b = c_b ** n_bulk * r_b ** (n_bulk - 1.0)
    jw_n = lambda n: w ** n * (np.cos(np.pi * n / 2) + 1j * np.sin(np.pi * n / 2))  # noqa: E731
    z = r_b / (1.0 + r_b * q_b * jw_n(n_bulk))
    if gb_resistance_ohm is not None:
        q_gb = gb_capacitance_F ** n_gb * gb_resistance_ohm ** (n_gb - 1.0)
        z = z + gb_resistance_ohm / (1.0 + gb_resistance_ohm * q_gb * jw_n(n_gb))
    z = z + 1.0 / (electrode_Q_per_cm2 * area_cm2 * jw_n(n_electrode))
    return z


def simulate_spectrum(temperature_K: float, *, sigma_S_per_cm: float, thickness_cm: float, area_cm2: float,
                      frequency_Hz=None, noise_rel: float = 0.005, seed: int = 0, sample: str = "synthetic",
                      **pellet) -> Measurement:
    """A noisy impedance spectrum of a blocking-electrode pellet as a Measurement.

    Noise is Gaussian, proportional to ``|Z|`` on both parts (``noise_rel``),
    from a seeded generator so that the same call gives the same spectrum.
    The default window is 10 MHz to 10 mHz at 9 points per decade (82 points).
    """
    f = np.logspace(7, -2, 82) if frequency_Hz is None else np.asarray(frequency_Hz, dtype=float)
    z = blocking_pellet_impedance(f, sigma_S_per_cm=sigma_S_per_cm, thickness_cm=thickness_cm,
                                  area_cm2=area_cm2, **pellet)
    rng = np.random.default_rng(seed)
    z = z + noise_rel * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))
    order = np.argsort(f)
    return Measurement(f[order], z[order], x_name="frequency", x_unit="Hz", y_name="impedance",
                       y_unit="ohm", sample=sample, conditions={"temperature_K": float(temperature_K)},
                       technique="conductivity",
                       meta={"synthetic": True, "true_sigma_S_per_cm": float(sigma_S_per_cm)})
