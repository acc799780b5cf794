"""A synthetic multi-technique campaign with known truth, for tests and benchmarks of ``structkit run``.

:func:`write_synthetic_campaign` writes raw files made by the project's own
forward models (:mod:`structkit.xrd.profiles`,
:mod:`structkit.conductivity.synthetic`, :mod:`structkit.raman.synthetic`)
and a ``campaign.toml`` that runs them; :func:`campaign_truth` returns the
laws they were built from, so a test can check what the campaign recovers.

Variable-temperature series (``vt/``), samples ``S1``, ``S2`` ...
    Each sample is a cubic Fm-3m phase (λ = 0.71414 Å, 3-25° 2θ in steps of
    0.01°, four reflections, Poisson counts) measured at ``temperatures``
    temperatures spread evenly over 250-440 K (rounded to 0.1 K). Sample ``i``
    has its own cell ``a0`` at 250 K (5.60 Å ± 0.8 %) and a thermal expansion
    with a regime change: α_V (volume, α_a = α_V / 3) is ``alpha_V_per_K[0]``
    (0.6-1.2e-4 K⁻¹) below its break temperature ``T_b`` (307-383 K, different
    for each sample) and ``alpha_V_per_K[1]`` (1.5-2.2 times larger) above;
    ``ln a`` is continuous at ``T_b``. Its conductivity σ(T) follows a
    two-regime Arrhenius law in σT with ``ea_eV[0]`` (0.40-0.55 eV) below and
    ``ea_eV[1]`` (0.20-0.32 eV) above the *same* ``T_b`` and σ(T_b) =
    10^-4.8 to 10^-4.3 S/cm, so the XRD and the conductivity breakpoints
    co-locate: the known truth of a cross-technique analysis. Files:
    ``vt/xrd/S1_250K.xye`` (``# sample`` / ``# temperature`` header lines
    too) and ``vt/eis/S1_250K.txt`` (NEISYS-style impedance text of a
    0.1 cm x 0.5 cm pellet between blocking electrodes, 10 MHz-10 mHz,
    0.5 % noise). The laws of sample ``i`` depend only on ``seed`` and ``i``,
    so ``samples=50`` extends ``samples=3`` with the same first three.

Ball-milling series (``milling/``), sample ``NTC`` at 25 °C (298.15 K)
    Milled for ``milling_times`` hours (default 2, 6, 12 and 24 h):
    ``milling/xrd/NTC_<t>h.xye``, the same cubic phase (a = 5.62 Å) whose
    peaks broaden with milling (Lorentzian size term Y = 0.01 + 0.004 t deg,
    the TCH ``y`` of a Le Bail fit; Caglioti W = 0.0009 deg² fixed);
    ``milling/raman/NTC_<t>h.txt`` (``# sample`` / ``# temperature`` lines,
    then ``Raman Shift (cm-1)<TAB>Intensity``, 100-500 cm⁻¹ on a fluorescence
    background, Poisson counts), the TaCl6⁻ bands ν1 381, ν2 297 and ν5
    172 cm⁻¹ whose FWHM grows as 7, 9 and 11 cm⁻¹ times (1 + 0.05 t); and
    ``milling/eis/NTC_<t>h.txt`` (CSV columns with ``# sample`` and
    ``# temperature = 25 C`` header lines), σ(298.15 K) = 8e-6 t^0.8 S/cm.
    The milling time is in no header and the default file-name parser does
    not read ``6h``: the campaign's ``names`` rule
    ``(?P<sample>NTC)_(?P<milling_time_h>\\d+(?:\\.\\d+)?)h`` makes it the
    ``milling_time_h`` condition.

Corrupt files (``corrupt``), spread over the techniques in turn
    an empty file, a file of garbage text and a truncated file (a few good
    rows, a ``nan`` row, a non-numeric line, then cut mid-row), named
    ``<sample>_<T>K_corrupt-<kind>`` (``vt/xrd/S1_250K_corrupt-empty.xye``,
    ``vt/eis/S2_260K_corrupt-garbage.txt``,
    ``milling/raman/NTC_2h_corrupt-truncated.txt`` ...): their names pass
    the ``names`` rule, so each fails in its reader and lands in
    ``failures.csv``.

The campaign file (``name``, default ``campaign.toml``) has ``[xrd]``,
``[conductivity]`` and (with ``raman=True``) ``[raman]`` tables, each with
``figures`` and the ``names`` rule; the runner's ``executor`` and ``workers``
are in ``[campaign]``. Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..conductivity.synthetic import blocking_pellet_impedance, piecewise_arrhenius_sigma

__all__ = ["write_synthetic_campaign", "campaign_truth", "lattice_parameter", "sample_sigma",
           "campaign_temperatures"]

# -- shared generators (also used by structkit.pipeline.demo) --------------------------------------

THICKNESS_CM = 0.1
DIAMETER_CM = 0.5
AREA_CM2 = np.pi * (DIAMETER_CM / 2) ** 2
FREQUENCY_HZ = np.logspace(7, -2, 82)
XRD_WAVELENGTH = 0.71414


def noisy(z, rng, rel: float = 0.005):
    """``z`` plus Gaussian noise proportional to ``|z|`` on both parts."""
    return z + rel * np.abs(z) * (rng.standard_normal(z.size) + 1j * rng.standard_normal(z.size))


def pellet_spectrum(sigma_S_per_cm: float, rng, **pellet):
    """Noisy impedance of the standard pellet (0.1 cm thick, 0.5 cm across) on :data:`FREQUENCY_HZ`."""
    z = blocking_pellet_impedance(FREQUENCY_HZ, sigma_S_per_cm=sigma_S_per_cm, thickness_cm=THICKNESS_CM,
                                  area_cm2=AREA_CM2, **pellet)
    return noisy(z, rng)


def neisys_text(label: str, z, frequency_Hz=FREQUENCY_HZ) -> str:
    """A NEISYS-style impedance export: the label line (sample and temperature), then f, Z', Z''."""
    lines = [f"{label} ", "Fixed value(s) :  AC Volt  [Vrms]=1.0000e-02  ",
             "   Freq.[Hz]   \tZs'[ohm]  \tZs''[ohm]"]
    lines += [f" {f:.5e}\t {zz.real:.6e}\t{zz.imag:.6e}" for f, zz in zip(frequency_Hz, z)]
    return "\n".join(lines) + "\n"


def impedance_csv_text(header: Sequence[str], z, frequency_Hz=FREQUENCY_HZ) -> str:
    """Comment lines (``# sample = ...``), then ``frequency_Hz,Z_real_ohm,Z_imag_ohm`` rows."""
    lines = [*header, "frequency_Hz,Z_real_ohm,Z_imag_ohm"]
    lines += [f"{f:.6e},{zz.real:.7e},{zz.imag:.7e}" for f, zz in zip(frequency_Hz, z)]
    return "\n".join(lines) + "\n"


def xrd_counts(two_theta, a_angstrom: float, hkl, strength, rng, *, wavelength: float = XRD_WAVELENGTH,
               zero_deg: float = 0.006, w: float = 0.0009, y: float = 0.01, background=None):
    """Poisson counts of a cubic powder pattern (:func:`structkit.xrd.profiles.powder_pattern`).

    ``strength`` is the integrated intensity of each reflection before a ``exp(-0.05 2θ)``
    fall-off; the background defaults to ``250 + 60 exp(-2θ/8)``.
    """
    from ..xrd.profiles import powder_pattern, profile_fwhm_eta, two_theta_deg
    from ..xrd.reflections import Cell, d_spacing

    tt = np.asarray(two_theta, dtype=float)
    centres = two_theta_deg(d_spacing(hkl, Cell(a_angstrom, a_angstrom, a_angstrom)), wavelength) + zero_deg
    fwhm, eta = profile_fwhm_eta(centres, 0.0, 0.0, w, 0.0, y)
    bg = 250 + 60 * np.exp(-tt / 8) if background is None else background
    calc = powder_pattern(tt, centres, strength * np.exp(-0.05 * centres), fwhm, eta) + bg
    return rng.poisson(calc).astype(float)


def xye_text(header: Sequence[str], two_theta, counts) -> str:
    """``# ...`` header lines, then ``2θ counts σ`` rows (σ = √counts, at least 1)."""
    lines = list(header)
    lines += [f"{x:.3f} {v:.0f} {np.sqrt(max(v, 1.0)):.2f}" for x, v in zip(two_theta, counts)]
    return "\n".join(lines) + "\n"


# -- the campaign's laws ----------------------------------------------------------------------------

SPACE_GROUP = "Fm-3m"
A_MID_ANGSTROM = 5.60
T_REF_K = 250.0
T_RANGE_K = (250.0, 440.0)
TWO_THETA = (3.0, 25.0, 0.01)
MILLING_SAMPLE = "NTC"
MILLING_T_K = 298.15
MILLING_A_ANGSTROM = 5.62
#: TaCl6- octahedron bands of the milling series: (centre cm-1, FWHM at 0 h cm-1, area)
RAMAN_BANDS = ((381.0, 7.0, 60000.0), (297.0, 9.0, 25000.0), (172.0, 11.0, 30000.0))


def milling_lorentz_y_deg(hours: float) -> float:
    """The TCH Lorentzian size term Y (deg) of the milled patterns."""
    return 0.01 + 0.004 * float(hours)


def milling_raman_fwhm_cm1(hours: float) -> tuple[float, ...]:
    """FWHM (cm-1) of each band of :data:`RAMAN_BANDS` after ``hours`` of milling."""
    return tuple(w * (1.0 + 0.05 * float(hours)) for _, w, _ in RAMAN_BANDS)


def milling_sigma_S_per_cm(hours: float) -> float:
    """σ at 298.15 K after ``hours`` of milling."""
    return 8e-6 * float(hours) ** 0.8


def campaign_temperatures(temperatures: int = 20) -> np.ndarray:
    """The temperatures (K) of the variable-temperature series: evenly over 250-440 K, rounded to 0.1 K."""
    if temperatures < 1:
        raise ValueError(f"temperatures must be at least 1, got {temperatures}")
    return np.round(np.linspace(*T_RANGE_K, int(temperatures)), 1)


def _sample_law(seed: int, index: int) -> dict:
    rng = np.random.default_rng([int(seed), int(index), 20260311])
    a0 = A_MID_ANGSTROM * (1.0 + rng.uniform(-0.008, 0.008))
    lo = rng.uniform(0.6e-4, 1.2e-4)
    hi = lo * rng.uniform(1.5, 2.2)
    t_b = rng.uniform(307.0, 383.0)
    ea = (rng.uniform(0.40, 0.55), rng.uniform(0.20, 0.32))
    s_b = 10.0 ** rng.uniform(-4.8, -4.3)
    return {"a0_angstrom": round(float(a0), 5), "t_ref_K": T_REF_K,
            "alpha_V_per_K": (round(float(lo), 8), round(float(hi), 8)),
            "breakpoint_K": round(float(t_b), 2),
            "ea_eV": (round(float(ea[0]), 4), round(float(ea[1]), 4)),
            "sigma_at_breakpoint_S_per_cm": float(f"{s_b:.4g}")}


def lattice_parameter(law: dict, temperature_K):
    """a(T) (Å) of a sample law from :func:`campaign_truth`: α_a = α_V / 3 per regime, ln a continuous."""
    t = np.asarray(temperature_K, dtype=float)
    lo, hi = (x / 3.0 for x in law["alpha_V_per_K"])
    t_b, t0 = law["breakpoint_K"], law["t_ref_K"]
    ln = np.where(t < t_b, lo * (t - t0), lo * (t_b - t0) + hi * (t - t_b))
    return law["a0_angstrom"] * np.exp(ln)


def sample_sigma(law: dict, temperature_K):
    """σ(T) (S/cm) of a sample law from :func:`campaign_truth` (two regimes in σT, break at ``T_b``)."""
    return piecewise_arrhenius_sigma(temperature_K, ea_eV=law["ea_eV"], breakpoints_K=(law["breakpoint_K"],),
                                     sigma_ref_S_per_cm=law["sigma_at_breakpoint_S_per_cm"],
                                     t_ref_K=law["breakpoint_K"])


def campaign_truth(samples: int = 3, seed: int = 0, *, temperatures: int = 20,
                   milling_times: Sequence[float] = (2, 6, 12, 24)) -> dict:
    """The laws :func:`write_synthetic_campaign` builds its files from (same arguments, same truth).

    Returns
    -------
    dict
        ``samples``: ``{"S1": {"a0_angstrom", "t_ref_K", "alpha_V_per_K": (below, above),
        "breakpoint_K", "ea_eV": (below, above), "sigma_at_breakpoint_S_per_cm"}, ...}``
        (evaluate with :func:`lattice_parameter` and :func:`sample_sigma`);
        ``temperatures_K``; ``milling``: ``{"sample", "temperature_K", "a_angstrom",
        "times_h": {t: {"lorentz_y_deg", "raman_fwhm_cm1", "sigma_S_per_cm"}}}``;
        and the pattern settings ``space_group``, ``wavelength_angstrom``, ``two_theta_deg``,
        ``thickness_cm``, ``diameter_cm``, ``raman_bands``.
    """
    return {
        "samples": {f"S{i + 1}": _sample_law(seed, i) for i in range(int(samples))},
        "temperatures_K": [float(t) for t in campaign_temperatures(temperatures)],
        "milling": {
            "sample": MILLING_SAMPLE, "temperature_K": MILLING_T_K, "a_angstrom": MILLING_A_ANGSTROM,
            "times_h": {h: {"lorentz_y_deg": milling_lorentz_y_deg(h),
                            "raman_fwhm_cm1": milling_raman_fwhm_cm1(h),
                            "sigma_S_per_cm": milling_sigma_S_per_cm(h)} for h in milling_times},
        },
        "space_group": SPACE_GROUP, "wavelength_angstrom": XRD_WAVELENGTH, "two_theta_deg": TWO_THETA,
        "thickness_cm": THICKNESS_CM, "diameter_cm": DIAMETER_CM, "raman_bands": RAMAN_BANDS,
    }


# -- writing ----------------------------------------------------------------------------------------

def _fmt(value: float) -> str:
    return f"{float(value):g}"


def _two_theta():
    lo, hi, step = TWO_THETA
    return np.round(np.arange(lo, hi + 0.5 * step, step), 6)


def _reflections():
    from ..xrd.reflections import Cell, generate_reflections

    # up to 3 deg beyond the range at the mid cell: a reflection just outside it still has its tail inside
    hi = TWO_THETA[1] + 3.0
    return generate_reflections(SPACE_GROUP, Cell(A_MID_ANGSTROM, A_MID_ANGSTROM, A_MID_ANGSTROM),
                                d_min_angstrom=XRD_WAVELENGTH / (2 * np.sin(np.radians(hi / 2))))


def _xrd_header(sample: str, temperature: str, note: str) -> list[str]:
    return [f"# synthetic powder pattern (structkit.pipeline.synthetic, {note})", f"# sample = {sample}",
            f"# temperature = {temperature}", f"# wavelength = {XRD_WAVELENGTH} A", "# 2theta_deg counts sigma"]


def _corrupt_text(kind: str, technique: str) -> str:
    if kind == "empty":
        return ""
    if kind == "garbage":
        return ("this is not a measurement\n@@@ %% corrupted transfer %% @@@\n"
                "lorem ipsum dolor sit amet\n\x7f\x1bgarbage;;;,,,\n")
    if technique == "xrd":
        head = ["# truncated powder pattern", "# 2theta_deg counts sigma"]
        rows = ["3.000 512 22.63", "3.010 498 22.32", "3.020 nan 22.10", "3.030 ERR ---", "3.04"]
    elif technique == "raman":
        head = ["Raman Shift (cm-1)\tIntensity"]
        rows = ["100.000000\t2512", "101.000000\t2498", "102.000000\tnan", "103.000000\t###", "104.0"]
    else:
        head = ["# truncated impedance spectrum", "frequency_Hz,Z_real_ohm,Z_imag_ohm"]
        rows = ["1.000000e+07,1.2e+03,-3.1e+02", "7.742637e+06,1.3e+03,nan", "5.994843e+06,ERR,-", "4.6e+06,1."]
    return "\n".join(head + rows)          # no final newline: cut mid-row


def write_synthetic_campaign(folder, *, samples: int = 3, temperatures: int = 20,
                             milling_times: Sequence[float] = (2, 6, 12, 24), raman: bool = True,
                             corrupt: int = 3, figures: bool = False, seed: int = 0,
                             executor: str = "process", workers: int = 2, name: str = "campaign.toml") -> Path:
    """Write the synthetic campaign described in this module's docstring into ``folder``.

    Parameters
    ----------
    folder : path-like
        Created if missing; the data go to ``vt/`` and ``milling/`` below it.
    samples : int
        Samples ``S1`` ... of the variable-temperature series (an XRD pattern and an impedance
        spectrum per sample and temperature).
    temperatures : int
        Temperatures per sample, evenly over 250-440 K.
    milling_times : sequence of float
        Hours of the ``NTC`` milling series (empty: no milling series).
    raman : bool
        Write the Raman spectra of the milling series and a ``[raman]`` table.
    corrupt : int
        Deliberately corrupt files, spread over the techniques.
    figures : bool
        ``figures`` of every technique table.
    seed : int
        Draws the sample laws (:func:`campaign_truth`) and the noise.
    executor, workers : ``[campaign]`` settings.
    name : str
        File name of the campaign TOML.

    Returns
    -------
    Path
        The campaign TOML file.
    """
    if not samples and not milling_times:
        raise ValueError("write_synthetic_campaign: nothing to write (samples=0 and no milling_times)")
    folder = Path(folder)
    truth = campaign_truth(samples, seed, temperatures=temperatures, milling_times=milling_times)
    temps = campaign_temperatures(temperatures)
    tt = _two_theta()
    ref = _reflections()
    strength = ref.multiplicity * 900.0 * np.random.default_rng(12).uniform(0.4, 1.0, len(ref))
    dirs = {k: folder / k for k in ("vt/xrd", "vt/eis", "milling/xrd", "milling/eis", "milling/raman")}
    needed = ["vt/xrd", "vt/eis"] if samples else []
    if milling_times:
        needed += ["milling/xrd", "milling/eis"] + (["milling/raman"] if raman else [])
    for k in needed:
        dirs[k].mkdir(parents=True, exist_ok=True)

    for i, (sample, law) in enumerate(truth["samples"].items()):
        rng = np.random.default_rng([int(seed), i, 7])
        a = lattice_parameter(law, temps)
        sig = sample_sigma(law, temps)
        for t, a_t, s_t in zip(temps, a, sig):
            stem = f"{sample}_{_fmt(t)}K"
            y = xrd_counts(tt, float(a_t), ref.hkl, strength, rng)
            header = _xrd_header(sample, f"{_fmt(t)} K", "variable-temperature series")
            (dirs["vt/xrd"] / f"{stem}.xye").write_text(xye_text(header, tt, y))
            (dirs["vt/eis"] / f"{stem}.txt").write_text(neisys_text(stem, pellet_spectrum(float(s_t), rng)))

    if milling_times:
        rng = np.random.default_rng([int(seed), 1_000_003])
        from ..raman.synthetic import synthetic_spectrum

        for hours in milling_times:
            stem = f"{MILLING_SAMPLE}_{_fmt(hours)}h"
            y = xrd_counts(tt, MILLING_A_ANGSTROM, ref.hkl, strength, rng, y=milling_lorentz_y_deg(hours))
            header = _xrd_header(MILLING_SAMPLE, "25 C", f"milled {_fmt(hours)} h")
            (dirs["milling/xrd"] / f"{stem}.xye").write_text(xye_text(header, tt, y))
            z = pellet_spectrum(milling_sigma_S_per_cm(hours), rng)
            head = [f"# synthetic impedance spectrum (structkit.pipeline.synthetic, milled {_fmt(hours)} h)",
                    f"# sample = {MILLING_SAMPLE}", "# temperature = 25 C"]
            (dirs["milling/eis"] / f"{stem}.txt").write_text(impedance_csv_text(head, z))
            if raman:
                bands = [(c, w, area) for (c, _, area), w in zip(RAMAN_BANDS, milling_raman_fwhm_cm1(hours))]
                m = synthetic_spectrum(bands, x=(100.0, 500.0), step=1.0, seed=int(rng.integers(2**31)))
                lines = [f"# synthetic Raman spectrum (structkit.pipeline.synthetic, milled {_fmt(hours)} h)",
                         f"# sample = {MILLING_SAMPLE}", "# temperature = 25 C", "Raman Shift (cm-1)\tIntensity"]
                lines += [f"{x:.1f}\t{v:.0f}" for x, v in zip(m.x, m.y)]
                (dirs["milling/raman"] / f"{stem}.txt").write_text("\n".join(lines) + "\n")

    targets = []
    if samples:
        targets += [("xrd", dirs["vt/xrd"], ".xye"), ("conductivity", dirs["vt/eis"], ".txt")]
    if milling_times:
        targets += [("raman", dirs["milling/raman"], ".txt")] if raman else [("xrd", dirs["milling/xrd"], ".xye")]
    kinds = ("empty", "garbage", "truncated")
    for j in range(int(corrupt) if targets else 0):
        technique, where, ext = targets[j % len(targets)]
        kind = kinds[j % len(kinds)]
        if where.parent.name == "vt":
            stem = f"S{j % samples + 1}_{_fmt(temps[j % len(temps)])}K"
        else:
            stem = f"{MILLING_SAMPLE}_{_fmt(milling_times[j % len(milling_times)])}h"
        (where / f"{stem}_corrupt-{kind}{ext}").write_text(_corrupt_text(kind, technique))

    path = folder / name
    path.write_text(_campaign_toml(samples=bool(samples), milling=bool(milling_times),
                                   raman=bool(raman and milling_times), figures=figures,
                                   executor=executor, workers=workers))
    return path


_NAMES = (r"(?P<sample>S\d+)_(?P<temperature_K>\d+(?:\.\d+)?)K",
          r"(?P<sample>NTC)_(?P<milling_time_h>\d+(?:\.\d+)?)h")


def _campaign_toml(*, samples: bool, milling: bool, raman: bool, figures: bool, executor: str,
                   workers: int) -> str:
    fig = "true" if figures else "false"
    names = "names = [" + ", ".join(f"'{n}'" for n in _NAMES) + "]"
    xrd_in = (['"vt/xrd/*.xye"'] if samples else []) + (['"milling/xrd/*.xye"'] if milling else [])
    eis_in = (['"vt/eis/*.txt"'] if samples else []) + (['"milling/eis/*.txt"'] if milling else [])
    cell = A_MID_ANGSTROM * 1.008
    text = f'''# synthetic campaign (structkit.pipeline.synthetic.write_synthetic_campaign): see that module for the truth
[campaign]
name = "synthetic"
output = "out"
executor = "{executor}"
workers = {int(workers)}
figures = {fig}

[xrd]
inputs = [{", ".join(xrd_in)}]
{names}
figures = {fig}
space_group = "{SPACE_GROUP}"
cell = "a={cell:.4f}"
wavelength_angstrom = {XRD_WAVELENGTH}
two_theta_min = {TWO_THETA[0]}
two_theta_max = {TWO_THETA[1]}
prescan = 0.03

[xrd.expansion]
regimes = "auto"

[conductivity]
inputs = [{", ".join(eis_in)}]
{names}
figures = {fig}
thickness_cm = {THICKNESS_CM}
diameter_cm = {DIAMETER_CM}
circuit = "p(R1,CPE1)-CPE2"

[conductivity.arrhenius]
regimes = "auto"
form = "sigmaT"
'''
    if raman:
        text += f'''
[raman]
inputs = ["milling/raman/*.txt"]
{names}
figures = {fig}
'''
    return text + '''
[join]
form = "sigmaT"
'''
