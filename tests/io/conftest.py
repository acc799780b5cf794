"""Writers of small, realistic instrument files from a known impedance spectrum.

Each writer returns the file's text; values are written with 17 significant
digits so that a reader must give them back exactly (to ~1e-15).
"""

import numpy as np
import pytest

#: High to low, as instruments sweep: 100 kHz .. 0.1 Hz, 5 points per decade.
FREQ_HZ = np.logspace(5, -1, 31)


def circuit_impedance(f_hz, *, r0=30.0, r1=470.0, c1=1e-6, l_h=2e-5):
    """Z of L-R0-(R1||C1): a capacitive arc with an inductive tail at high frequency."""
    w = 2 * np.pi * np.asarray(f_hz)
    return r0 + 1j * w * l_h + r1 / (1 + 1j * w * r1 * c1)


def _num(v, comma=False):
    text = f"{v:.17g}"
    return text.replace(".", ",") if comma else text


class EISFiles:
    """Namespace of writers (a session fixture, so hypothesis tests can use it)."""

    freq_hz = FREQ_HZ
    impedance = staticmethod(circuit_impedance)

    @staticmethod
    def three_column(f, z, *, header="f,Z',-Z''", delimiter=",", negated=True, comma=False,
                     comment=None):
        lines = [] if comment is None else [comment]
        if header is not None:
            lines.append(header)
        zi = -z.imag if negated else z.imag
        for fi, zr, zz in zip(f, z.real, zi):
            lines.append(delimiter.join(_num(v, comma) for v in (fi, zr, zz)))
        return "\n".join(lines) + "\n"

    @staticmethod
    def gamry(f, z, *, sample=None, temperature=None):
        head = ["EXPLAIN", "TAG\tEISPOT", "TITLE\tLABEL\tPotentiostatic EIS\tTest &Identifier",
                "DATE\tLABEL\t5/11/2016\tDate", "TIME\tLABEL\t17:47:03\tTime", "\t",
                "PSTAT\tPSTAT\tIn the hood\tPotentiostat",
                "VDC\tPOTEN\t1.30000E+000\tF\tDC &Voltage (V)",
                "FREQINIT\tQUANT\t1.00000E+005\tInitial Fre&q. (Hz)",
                "FREQFINAL\tQUANT\t1.00000E-001\tFinal Fre&q. (Hz)",
                "AREA\tQUANT\t1.00000E+000\t&Area (cm^2)"]
        if sample is not None:
            head.append(f"SAMPLE\tLABEL\t{sample}\tSample")
        if temperature is not None:
            head.append(f"TEMP\tQUANT\t{temperature}\tTemperature (C)")
        head += ["EOC\tQUANT\t0.1358522\tOpen Circuit (V)", "OCVCURVE\tTABLE\t2",
                 "\tPt\tT\tVf\tVm\tAch", "\t#\ts\tV vs. Ref.\tV\tV",
                 "\t0\t0.5\t1.3\t1.3\t0", "\t1\t1.0\t1.3\t1.3\t0",
                 "ZCURVE\tTABLE", "\tPt\tTime\tFreq\tZreal\tZimag\tZsig\tZmod\tZphz\tIdc\tVdc\tIERange",
                 "\t#\ts\tHz\tohm\tohm\tV\tohm\t°\tA\tV\t#"]
        rows = [f"\t{i}\t{i + 1}\t{_num(fi)}\t{_num(zz.real)}\t{_num(zz.imag)}\t1\t{abs(zz):.6g}\t"
                f"{np.degrees(np.angle(zz)):.6g}\t2.4E-006\t1.299216\t10"
                for i, (fi, zz) in enumerate(zip(f, z))]
        return "\r\n".join(head + rows + ["EXPERIMENTABORTED\tLABEL\tNo\tAborted"]) + "\r\n"

    @staticmethod
    def biologic(f, z, *, comma=False, negated=True):
        names = ["freq/Hz", "Re(Z)/Ohm", "-Im(Z)/Ohm" if negated else "Im(Z)/Ohm", "|Z|/Ohm",
                 "Phase(Z)/deg", "time/s", "<Ewe>/V", "<I>/mA", "Cs/µF", "cycle number"]
        head = ["EC-Lab ASCII FILE", "Nb header lines : 8", "",
                "Potentio Electrochemical Impedance Spectroscopy", "",
                "Comments : LLZO pellet", "Electrode surface area : 0,785 cm²", "\t".join(names)]
        rows = []
        for i, (fi, zz) in enumerate(zip(f, z)):
            im = -zz.imag if negated else zz.imag
            vals = [fi, zz.real, im, abs(zz), np.degrees(np.angle(zz)), float(i), 3.7, 0.0, 1.5, 1.0]
            rows.append("\t".join(_num(v, comma) for v in vals))
        return "\r\n".join(head + rows) + "\r\n"

    @staticmethod
    def zplot(f, z):
        head = ["ZPLOT2 ASCII", "  Measured Data, ZPlot:       3.2c",
                "  Experiment Type:            Sweep Frequency, Control Voltage",
                "  Date:                       10-12-2018", "  Time:                       12:32:21",
                "  Begin User Comments:        0", "  End User Comments:          0",
                "  Begin Experiment:           0", "    vs Freq-Initial:          100000",
                "  End Experiment:             0", f"  Data Points:                {len(f)}",
                "  Freq(Hz)\tAmpl\tBias\tTime(Sec)\tZ'(a)\tZ''(b)\tGD\tErr\tRange", "End Comments"]
        rows = [f"{_num(fi)}\t1.0000E-02\t0.0000E+00\t{2.59 + i:.6E}\t{_num(zz.real)}\t{_num(zz.imag)}"
                "\t0.0000E+00\t0\t4" for i, (fi, zz) in enumerate(zip(f, z))]
        return "\n".join(head + rows) + "\n"

    @staticmethod
    def neisys(f, z, *, title="s04147-140deg "):
        head = [title, "Fixed value(s) :  AC Volt  [Vrms]=3.5000e-02  ",
                "   Freq.[Hz]   \tZs'[ohm]  \tZs''[ohm]"]
        rows = [f" {_num(fi)}\t {_num(zz.real)}\t{_num(zz.imag)}" for fi, zz in zip(f, z)]
        return "\n".join(head + rows) + "\n"


@pytest.fixture(scope="session")
def eis():
    """The :class:`EISFiles` writers."""
    return EISFiles
