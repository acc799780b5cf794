"""Fuzzing: whatever the bytes, ``read`` returns a valid Measurement or raises a StructkitError.

Deterministic (``derandomize=True``, no example database) so that CI runs the
same examples every time.
"""

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from structkit.core.errors import StructkitError
from structkit.core.measurement import Measurement
from structkit.io import read

FUZZ = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow])

EXTENSIONS = [".xy", ".xye", ".csv", ".txt", ".dat", ".z", ".DTA", ".mpt", ".h5", ".bin", ".gsa",
              ".xrdml", ".chi", ".brml", ".raw", ""]
SEEDS = ["xy", "xye_header", "csv_impedance", "csv_impedance_noheader", "gamry", "biologic",
         "biologic_comma", "zplot", "neisys", "gsas_std", "gsas_esd", "gsas_fxye", "xrdml", "chi",
         "pyfai"]

#: Small valid powder-diffraction files (the readers in structkit.io._gsas, _xrdml and _diffraction).
_COUNTS = [179, 147, 165, 172, 150, 0, 150, 158, 134, 146, 167, 159, 139]
XRD_SEEDS = {
    "gsas_std": ("PbSO4 Cu Ka\r\nInstrument parameter file: inst.prm\r\n# Temperature: 295 K\r\n"
                 "BANK 1 13 2 CONST 1000 2.5 0 0 STD\r\n"
                 + "".join(f"{'' if i % 4 else ' 2'}{c:>{6 if i % 4 == 0 else 8}d}"
                           for i, c in enumerate(_COUNTS[:10])) + "\r\n"
                 + "".join(f"{c:8d}" for c in _COUNTS[10:]) + "\r\n"),
    "gsas_esd": ("title\nBANK 1 6 2 CONST 500 5 0 0 ESD\n"
                 + "".join(f"{y:8.1f}{e:8.2f}" for y, e in zip(_COUNTS[:5], [13.4, 12.1, 12.8, 13.1, 12.2]))
                 + "\n" + f"{150.0:8.1f}{12.25:8.2f}\n"),
    "gsas_fxye": ("title\nBANK 1 5 5 CONST 1000 5 0 0 FXYE\n"
                  + "".join(f"{1000 + 5 * i:.1f} {c:.2f} {max(c, 1) ** 0.5:.3f}\n"
                            for i, c in enumerate(_COUNTS[:5]))),
    "xrdml": ('<?xml version="1.0" encoding="UTF-8"?>\n'
              '<xrdMeasurements xmlns="http://www.xrdml.com/XRDMeasurement/1.5">\n'
              "<sample><id>LLZO-1</id></sample>\n<xrdMeasurement>\n<usedWavelength>"
              '<kAlpha1 unit="Angstrom">1.5405980</kAlpha1><kAlpha2 unit="Angstrom">1.5444260</kAlpha2>'
              "<ratioKAlpha2KAlpha1>0.5</ratioKAlpha2KAlpha1></usedWavelength>\n"
              '<scan scanAxis="Gonio"><dataPoints>\n<positions axis="2Theta" unit="deg">'
              "<startPosition>10.0</startPosition><endPosition>10.12</endPosition></positions>\n"
              '<commonCountingTime unit="seconds">1.5</commonCountingTime>\n'
              '<intensities unit="counts">' + " ".join(map(str, _COUNTS[:7])) + "</intensities>\n"
              "</dataPoints>\n"
              '<nonAmbientPoints type="Temperature"><nonAmbientValues unit="K">300 301'
              "</nonAmbientValues></nonAmbientPoints>\n</scan></xrdMeasurement></xrdMeasurements>\n"),
    "chi": ("a.tif: Azimuthal integration\n2-Theta Angle (Degrees)\nIntensity\n       5\n"
            + "".join(f"  {1 + 0.01 * i:.7E}  {c:.7E}\n" for i, c in enumerate(_COUNTS[:5]))),
    "pyfai": ("# == pyFAI calibration ==\n# Distance Sample to Detector: 0.2 m\n"
              "# Wavelength: 7.1414e-11 m\n# Polarization factor: None\n"
              "#       2th_deg             I           sigma\n"
              + "".join(f"  {1 + 0.01 * i:.6e}    {c:.6e}    {max(c, 1) ** 0.5:.6e}\n"
                        for i, c in enumerate(_COUNTS[:5]))),
}


def _outcome(path, **hints):
    """Read; check the contract; return the Measurement or None for a StructkitError."""
    try:
        m = read(path, **hints)
    except StructkitError as exc:
        assert "failed unexpectedly" not in str(exc), str(exc)
        assert exc.path, f"error without a file: {exc}"
        return None
    assert isinstance(m, Measurement)
    assert m.x.ndim == 1 and m.x.shape == m.y.shape and len(m) > 0
    assert np.all(np.isfinite(m.x)) and np.all(np.isfinite(m.y))
    assert np.all(np.diff(m.x) > 0)
    if m.technique == "conductivity":
        assert m.x_unit == "Hz" and m.y_unit == "ohm" and np.all(m.x > 0)
    if m.technique == "xrd":
        assert (m.x_name, m.x_unit, m.y_unit) == ("two_theta", "deg", "counts")
        assert m.sigma is None or (np.all(np.isfinite(m.sigma)) and np.all(m.sigma >= 0))
    return m


def _seed(name, eis):
    if name in XRD_SEEDS:
        return XRD_SEEDS[name]
    f = eis.freq_hz[::3]
    z = eis.impedance(f)
    x = np.linspace(10.0, 20.0, 8)
    if name == "xy":
        return "\n".join(f"{a:.6g} {b:.6g}" for a, b in zip(x, x ** 2)) + "\n"
    if name == "xye_header":
        return ("# sample = NTC-6h\n# temperature = 25 C\n# two_theta (deg)  intensity  sigma\n"
                + "\n".join(f"{a:.6g}\t{b:.6g}\t{0.1:.6g}" for a, b in zip(x, x ** 2)) + "\n")
    if name == "csv_impedance":
        return eis.three_column(f, z)
    if name == "csv_impedance_noheader":
        return eis.three_column(f, z, header=None, negated=False)
    if name == "biologic_comma":
        return eis.biologic(f, z, comma=True)
    return getattr(eis, name)(f, z)


NUMBER_TEXT = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["nan", "inf", "-inf", "1e999", "", "-", "+", "1,5", "0", "-0", "1e-320", "1e",
                     ".", "e5", "0x10", "1_000", "٣"]),
    st.integers(-10**20, 10**20).map(str),
)
POS = st.integers(0, 10**6)
CHARS = st.sampled_from(list("0123456789.-+eE,;\t \n\r#:=!%nainfxZ'\"[]()/é\x00\x07\ufeff<>&"))
OPS = st.one_of(
    st.tuples(st.just("del_char"), POS),
    st.tuples(st.just("dup_char"), POS),
    st.tuples(st.just("ins_char"), POS, CHARS),
    st.tuples(st.just("del_line"), POS),
    st.tuples(st.just("dup_line"), POS),
    st.tuples(st.just("swap_lines"), POS, POS),
    st.tuples(st.just("number"), POS, NUMBER_TEXT),
    st.tuples(st.just("delimiter"), st.sampled_from(["\t", ",", ";", " "]),
              st.sampled_from(["\t", ",", ";", " ", "", "  "])),
    st.tuples(st.just("truncate"), POS),
)


def _mutate(text, op):
    kind = op[0]
    if kind in ("del_char", "dup_char", "ins_char", "truncate"):
        if not text:
            return text
        i = op[1] % len(text)
        if kind == "del_char":
            return text[:i] + text[i + 1:]
        if kind == "dup_char":
            return text[:i] + text[i] + text[i:]
        if kind == "ins_char":
            return text[:i] + op[2] + text[i:]
        return text[:i]
    if kind == "delimiter":
        return text.replace(op[1], op[2])
    lines = text.split("\n")
    if kind == "del_line":
        del lines[op[1] % len(lines)]
    elif kind == "dup_line":
        i = op[1] % len(lines)
        lines.insert(i, lines[i])
    elif kind == "swap_lines":
        i, j = op[1] % len(lines), op[2] % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
    elif kind == "number":
        numbered = [(i, tok) for i, line in enumerate(lines) for tok in line.replace("\t", " ").split()
                    if tok[:1].isdigit() or tok[:1] in "-+."]
        if numbered:
            i, tok = numbered[op[1] % len(numbered)]
            lines[i] = lines[i].replace(tok, op[2], 1)
    return "\n".join(lines)


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(data=st.binary(max_size=3000), ext=st.sampled_from(EXTENSIONS))
def test_random_bytes(fuzz_dir, data, ext):
    p = fuzz_dir / f"random{ext}"
    p.write_bytes(data)
    _outcome(p)


@FUZZ
@given(seed=st.sampled_from(SEEDS), ops=st.lists(OPS, min_size=1, max_size=6),
       ext=st.sampled_from([".txt", ".csv", ".z", ".DTA", ".mpt", ".gsa", ".xrdml", ".chi"]))
def test_mutated_valid_files(fuzz_dir, eis, seed, ops, ext):
    text = _seed(seed, eis)
    for op in ops:
        text = _mutate(text, op)
    p = fuzz_dir / f"mutated{ext}"
    p.write_bytes(text.encode("utf-8", errors="surrogatepass"))
    _outcome(p)


@FUZZ
@given(seed=st.sampled_from(SEEDS), ops=st.lists(OPS, min_size=1, max_size=4),
       fmt=st.sampled_from(["text", "impedance", "zplot", "gamry", "biologic", "neisys", "gsas",
                            "xrdml", "brml", "chi", "pyfai"]))
def test_mutated_files_forced_through_every_reader(fuzz_dir, eis, seed, ops, fmt):
    text = _seed(seed, eis)
    for op in ops:
        text = _mutate(text, op)
    p = fuzz_dir / "forced.dat"
    p.write_text(text)
    _outcome(p, format=fmt)


FINITE = st.floats(min_value=-1e12, max_value=1e12, allow_nan=False, allow_infinity=False)
ANY_FLOAT = st.one_of(FINITE, st.sampled_from([math.nan, math.inf, -math.inf]))


@FUZZ
@given(x=st.lists(FINITE, min_size=1, max_size=25, unique=True),
       extra=st.lists(st.lists(ANY_FLOAT, min_size=3, max_size=3), min_size=25, max_size=25),
       ncols=st.integers(1, 4), delimiter=st.sampled_from([",", "\t", ";", " ", "  "]),
       comma=st.booleans(), header=st.sampled_from([None, "names", "commented", "meta"]),
       newline=st.sampled_from(["\n", "\r\n"]), descending=st.booleans())
def test_random_tables(fuzz_dir, x, extra, ncols, delimiter, comma, header, newline, descending):
    x = sorted(x, reverse=descending)
    cols = [x] + [[row[j] for row in extra[: len(x)]] for j in range(ncols - 1)]
    comma = comma and delimiter != ","
    lines = []
    if header == "names":
        lines.append(delimiter.join(["x", "y", "dy", "w"][:ncols]))
    elif header == "commented":
        lines.append("# " + "  ".join(["x (s)", "y (V)", "dy", "w"][:ncols]))
    elif header == "meta":
        lines += ["# sample = fuzz", "# temperature: 300 K"]
    for row in zip(*cols):
        cells = [repr(float(v)) for v in row]
        lines.append(delimiter.join(c.replace(".", ",") if comma else c for c in cells))
    p = fuzz_dir / "table.dat"
    p.write_bytes(newline.join(lines).encode())
    m = _outcome(p)
    if ncols == 2 and all(map(math.isfinite, cols[1])):
        # a clean two-column table must read back exactly, in ascending order
        assert m is not None, "a valid two-column table was rejected"
        order = np.argsort(x)
        np.testing.assert_array_equal(m.x, np.asarray(x)[order])
        np.testing.assert_array_equal(m.y, np.asarray(cols[1])[order])


@pytest.mark.parametrize("name", sorted(XRD_SEEDS))
def test_xrd_seeds_are_valid(fuzz_dir, name):
    """The unmutated diffraction seeds read cleanly (so mutations start from valid files)."""
    p = fuzz_dir / f"seed_{name}.dat"
    p.write_text(XRD_SEEDS[name])
    m = _outcome(p)
    assert m is not None and m.technique == "xrd" and m.meta["format"] == name.split("_")[0]
