"""QENS data: S(Q, E) as Q groups, each with its own energy grid.

:class:`QENSData` holds what a reduced quasi-elastic spectrum is: for every Q group
an energy-transfer axis (meV, E > 0 = neutron energy loss, Mantid's ``DeltaE``),
S(Q, E) and its standard uncertainty, plus the temperature and the sample. Readers
(:func:`structkit.io.read_qens`) return one :class:`~structkit.core.measurement.Measurement`
per group; :meth:`QENSData.from_measurements` assembles them.

Examples
--------
>>> import numpy as np
>>> e = np.linspace(-1, 1, 21)
>>> d = QENSData(q=[0.5, 1.0], energy=e, s=np.ones((2, 21)), ds=0.1 * np.ones((2, 21)), temperature_K=300)
>>> d.n_groups, d.energy[1].size, d.crop(-0.5, 0.5).energy[0].size
(2, 21, 11)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.errors import DataError
from ..core.frozen import FrozenMap
from ..core.measurement import Measurement
from ..core.units import K_B_EV

__all__ = ["QENSData", "as_qens_data", "detailed_balance_factor"]


def _ro(a) -> np.ndarray:
    a = np.array(a, dtype=float)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class QENSData:
    """S(Q, E) of one sample at one condition, as Q groups.

    Parameters
    ----------
    q : array_like, shape (n,)
        Momentum transfer of each group (1/Å); ``nan`` where unknown.
    energy : array_like
        Energy transfer (meV): one common 1-D grid, an (n, m) array, or a sequence
        of n arrays (grids may differ between groups). Strictly increasing.
    s, ds : array_like
        S(Q, E) and its standard uncertainty, shaped like ``energy`` per group.
        ``ds=None`` means unknown: Poisson-like ``sqrt(|s|)`` scaled to the noise is
        *not* assumed; fits then weight all points equally.
    temperature_K : float, optional
    sample, source : str
    meta : mapping
        Anything else (wavelength, incident energy, instrument).
    """

    q: np.ndarray
    energy: tuple
    s: tuple
    ds: tuple | None = None
    temperature_K: float | None = None
    sample: str = ""
    source: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        src = str(self.source or "")
        q = np.atleast_1d(np.asarray(self.q, dtype=float))
        n = q.size
        if n == 0:
            raise DataError("QENS data has no Q groups", path=src or None)

        def per_group(values, what):
            if values is None:
                return None
            if not isinstance(values, (list, tuple)) or (values and np.ndim(values[0]) == 0):
                arr = np.asarray(values, dtype=float)
                if arr.ndim == 1:
                    # one common grid (energy) or the single group of a one-group data set
                    return [arr] * n if (what == "energy" or n == 1) else [arr]
                if arr.ndim == 2:
                    return list(arr)
                raise DataError(f"{what} must be 1-D, 2-D or a list of arrays", path=src or None)
            return list(values)

        energy = per_group(self.energy, "energy")
        s = per_group(self.s, "s")
        ds = per_group(self.ds, "ds")
        if s is None or len(s) != n:
            raise DataError(f"S has {0 if s is None else len(s)} groups but q has {n}", path=src or None)
        if len(energy) != n:
            raise DataError(f"energy has {len(energy)} groups but q has {n}", path=src or None)
        if ds is not None and len(ds) != n:
            raise DataError(f"ds has {len(ds)} groups but q has {n}", path=src or None)
        es, ss, dss = [], [], []
        for i in range(n):
            e = np.asarray(energy[i], dtype=float).ravel()
            y = np.asarray(s[i], dtype=float).ravel()
            what = f"group {i} (Q = {q[i]:g} 1/A)"
            if e.size != y.size:
                raise DataError(f"{what}: {e.size} energies but {y.size} S values", path=src or None)
            if e.size < 3:
                raise DataError(f"{what}: fewer than 3 points", path=src or None)
            if not (np.all(np.isfinite(e)) and np.all(np.isfinite(y))):
                raise DataError(f"{what}: energy or S has NaN/inf values; mask them before building QENSData",
                                path=src or None)
            if np.any(np.diff(e) <= 0):
                raise DataError(f"{what}: energy axis is not strictly increasing; sort it", path=src or None)
            es.append(_ro(e))
            ss.append(_ro(y))
            if ds is not None:
                d = np.asarray(ds[i], dtype=float).ravel()
                if d.size != e.size:
                    raise DataError(f"{what}: {d.size} errors for {e.size} points", path=src or None)
                if not np.all(np.isfinite(d)) or np.any(d < 0):
                    raise DataError(f"{what}: errors must be finite and >= 0", path=src or None)
                dss.append(_ro(d))
        if self.temperature_K is not None:
            t = float(self.temperature_K)
            if not np.isfinite(t) or t <= 0:
                raise DataError(f"temperature_K must be positive (got {self.temperature_K})", path=src or None)
            object.__setattr__(self, "temperature_K", t)
        object.__setattr__(self, "q", _ro(q))
        object.__setattr__(self, "energy", tuple(es))
        object.__setattr__(self, "s", tuple(ss))
        object.__setattr__(self, "ds", tuple(dss) if ds is not None else None)
        object.__setattr__(self, "source", src)
        object.__setattr__(self, "meta", FrozenMap(dict(self.meta)))

    # -- construction ------------------------------------------------------
    @classmethod
    def from_measurements(cls, measurements: Sequence[Measurement], *, q=None,
                          temperature_K: float | None = None, sample: str | None = None) -> "QENSData":
        """Assemble groups read by :func:`structkit.io.read_qens` (``meta['q_inv_angstrom']``)."""
        ms = list(measurements)
        if not ms:
            raise DataError("no QENS groups given")
        src = ms[0].source
        if q is None:
            q = [m.meta.get("q_inv_angstrom") for m in ms]
            q = [np.nan if v is None else float(v) for v in q]
        q = np.atleast_1d(np.asarray(q, dtype=float))
        if q.size != len(ms):
            raise DataError(f"{q.size} Q values for {len(ms)} groups", path=src or None)
        if temperature_K is None:
            temps = {m.temperature_K for m in ms if m.temperature_K is not None}
            temperature_K = temps.pop() if len(temps) == 1 else None
        ds = None if any(m.sigma is None for m in ms) else [m.sigma for m in ms]
        meta = {k: v for k, v in ms[0].meta.items() if k not in ("q_inv_angstrom", "group_index")}
        return cls(q=q, energy=[m.x for m in ms], s=[np.real(m.y) for m in ms], ds=ds,
                   temperature_K=temperature_K, sample=sample if sample is not None else ms[0].sample,
                   source=src, meta=meta)

    # -- views -------------------------------------------------------------
    @property
    def n_groups(self) -> int:
        return int(self.q.size)

    def replace(self, **changes) -> "QENSData":
        return dataclasses.replace(self, **changes)

    def _keep(self, keep_groups, masks) -> "QENSData":
        idx = [i for i in range(self.n_groups) if keep_groups[i]]
        return self.replace(q=self.q[idx], energy=[self.energy[i][masks[i]] for i in idx],
                            s=[self.s[i][masks[i]] for i in idx],
                            ds=None if self.ds is None else [self.ds[i][masks[i]] for i in idx])

    def crop(self, emin: float | None = None, emax: float | None = None) -> "QENSData":
        """Keep energies in ``[emin, emax]`` (meV) in every group."""
        lo = -np.inf if emin is None else float(emin)
        hi = np.inf if emax is None else float(emax)
        if lo >= hi:
            raise DataError(f"energy range [{emin}, {emax}] is empty", path=self.source or None)
        masks = [(e >= lo) & (e <= hi) for e in self.energy]
        short = [f"{self.q[i]:g}" for i, m in enumerate(masks) if m.sum() < 3]
        if short:
            raise DataError(f"energy range [{emin}, {emax}] meV leaves fewer than 3 points at Q = "
                            f"{', '.join(short)} 1/A; widen it (data cover {self.energy_span()} meV)",
                            path=self.source or None)
        return self._keep([True] * self.n_groups, masks)

    def select(self, qmin: float | None = None, qmax: float | None = None) -> "QENSData":
        """Keep the Q groups with ``qmin <= Q <= qmax`` (1/Å)."""
        lo = -np.inf if qmin is None else float(qmin)
        hi = np.inf if qmax is None else float(qmax)
        keep = [(lo <= q <= hi) for q in self.q]
        if not any(keep):
            raise DataError(f"no Q group in [{qmin}, {qmax}] 1/A (groups at {np.round(self.q, 3).tolist()})",
                            path=self.source or None)
        return self._keep(keep, [np.ones(e.size, bool) for e in self.energy])

    def energy_span(self) -> tuple[float, float]:
        return (float(min(e[0] for e in self.energy)), float(max(e[-1] for e in self.energy)))

    def symmetrized(self, *, energy_sign: int = 1) -> "QENSData":
        """Detailed-balance corrected copy: ``S_sym(E) = S(E) exp(-s E / 2 k_B T)``.

        With structkit's convention (E > 0 = neutron energy loss, the stronger side)
        the factor is below 1 on the loss side; ``energy_sign=-1`` for data whose
        positive side is the neutron energy gain.
        """
        if self.temperature_K is None:
            raise DataError("detailed balance needs the temperature; pass temperature_K",
                            path=self.source or None)
        f = [detailed_balance_factor(e, self.temperature_K, energy_sign=energy_sign) for e in self.energy]
        return self.replace(s=[y * k for y, k in zip(self.s, f)],
                            ds=None if self.ds is None else [d * k for d, k in zip(self.ds, f)],
                            meta={**self.meta, "detailed_balance": True})

    def to_frame(self):
        """Long table: ``q_inv_angstrom, energy_meV, S, dS``."""
        import pandas as pd

        rows = []
        for i in range(self.n_groups):
            rows.append(pd.DataFrame({"q_inv_angstrom": self.q[i], "energy_meV": self.energy[i],
                                      "S": self.s[i],
                                      "dS": np.nan if self.ds is None else self.ds[i]}))
        return pd.concat(rows, ignore_index=True)

    def __repr__(self) -> str:
        t = "" if self.temperature_K is None else f", T={self.temperature_K:g} K"
        lo, hi = self.energy_span()
        return (f"QENSData({self.sample!r}{t}, {self.n_groups} Q groups "
                f"{np.nanmin(self.q):.3g}-{np.nanmax(self.q):.3g} 1/A, E {lo:.3g}..{hi:.3g} meV)")


def detailed_balance_factor(energy_meV, temperature_K: float, *, energy_sign: int = 1) -> np.ndarray:
    """``exp(-s E / (2 k_B T))``: multiplies measured S(Q, E) into the symmetric S_sym.

    Examples
    --------
    >>> round(float(detailed_balance_factor(1.0, 300.0)), 5)
    0.98084
    """
    if energy_sign not in (1, -1):
        raise DataError(f"energy_sign must be +1 or -1 (got {energy_sign})")
    kt = K_B_EV * 1e3 * float(temperature_K)
    return np.exp(-energy_sign * np.asarray(energy_meV, dtype=float) / (2.0 * kt))


def as_qens_data(data, what: str = "data") -> QENSData:
    """Accept a :class:`QENSData` or a sequence of per-group Measurements."""
    if isinstance(data, QENSData):
        return data
    if isinstance(data, Measurement):
        return QENSData.from_measurements([data])
    if isinstance(data, (list, tuple)) and data and all(isinstance(m, Measurement) for m in data):
        return QENSData.from_measurements(data)
    raise DataError(f"{what}: expected QENSData or the Measurements of structkit.io.read_qens, "
                    f"got {type(data).__name__}")
