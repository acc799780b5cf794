"""Readers and writers: every file becomes a :class:`~structkit.core.measurement.Measurement`.

:func:`read` sniffs the format from the file's first few KB, then from its
extension (``format=`` forces one), and attaches the sample and conditions
(file name < header < conditions sidecar CSV < hints).

Built-in formats, in sniffing order:

========== ===================================== =========================================
name       extensions                            recognised by
========== ===================================== =========================================
hdf5       .h5 .hdf5 .hdf .nxs .nx5              HDF5 signature
zplot      .z                                    first line ``ZPLOT...`` / ``End Comments``
gamry      .dta                                  first line ``EXPLAIN``
biologic   .mpt                                  first line ``EC-Lab ASCII FILE``
neisys     (content only)                        ``Freq.[Hz]  Zs'[ohm]  Zs''[ohm]`` header
gsas       .gsa .gsas .gss .gda .fxye .fxy       title line, then a ``BANK n nchan nrec BINTYP`` line
xrdml      .xrdml                                ``<xrdMeasurements`` / xrdml.com namespace
brml       .brml                                 zip archive with ``Experiment0/``, ``RawData`` members
chi        .chi                                  line 2 ``2-Theta Angle (Degrees)``, line 4 the count
pyfai      (content only)                        ``== pyFAI calibration ==`` and a ``2th_deg`` column
xdi        .xdi                                  first line ``# XDI/1.0`` (XAS Data Interchange)
xdac       (content only)                        first line ``XDAC V1.2 Datafile`` (NSLS X-11A XAS)
athena     .prj                                  ``Athena project file`` (gzipped or not; needs larch)
xas        .xmu .mu                              column names energy + mu, or a UWXAFS
                                                 ``#%atom:`` header (``format="xas"`` for
                                                 energy + i0 + it/if tables)
jasco      (content only)                        JASCO text export: ``KEY<TAB>value`` header
                                                 (XUNITS, NPOINTS ...), then an ``XYDATA`` line
labspec    (content only)                        Horiba LabSpec text export: ``#key=value``
                                                 header with LabSpec keys (``#Acq. time (s)=``)
wdf        .wdf                                  ``WDF1`` block (Renishaw WiRE; needs renishaw-wdf)
spc        .spc                                  SPC 512-byte header (Galactic/Thermo; needs spc-io)
topspin    (folder or ``1r``)                    ``<expno>/pdata/<procno>`` with ``procs`` and ``1r``
                                                 (Bruker TopSpin processed 1-D), or ``<expno>``
impedance  (content only)                        f, Z', Z'' column names, or 3 columns that
                                                 look like a frequency sweep
text       .xy .xye .dat .txt .csv .tsv .gr      any numeric rows
========== ===================================== =========================================

Raman and NMR spectra (jasco, labspec, wdf, spc, topspin, and text files whose
columns are labelled ``Raman Shift (cm-1)``, ``ppm`` ...) get ``x_name``
``raman_shift`` (``cm-1``) or ``chemical_shift`` (``ppm``), ``x`` ascending and
``technique`` ``"raman"`` or ``"nmr"``; see :mod:`structkit.io._spectra`.

Bruker's binary ``.raw`` (``RAW1.01``, ``RAW4.00`` ...) is recognised and refused
with a ReadError that says to export ``.xy`` or read the ``.brml`` instead.

QENS files hold one spectrum per Q group, so they have their own reader:
:func:`read_qens` returns a tuple of Measurements (energy transfer in meV, E > 0
for neutron energy loss, ``meta["q_inv_angstrom"]``), one per Q group, from INX
(ILL/TOFTOF), grouped or long-table text, single spectra, 2-D NXdata (ILL LAMP),
Mantid processed NeXus and NXSPE files (see :data:`QENS_FORMATS` and
:mod:`structkit.io._qens`). :func:`read` refuses an INX file with a ReadError
that points to :func:`read_qens`.

HRTEM images and image series (TIFF and multi-page TIFF, MRC/MRCS, Gatan DM3/DM4,
EMD, TIA SER, ``.npy``) have their own reader too: :func:`read_image` returns an
:class:`~structkit.core.image.ImageStack` (frames ``(n, ny, nx)``, memory-mapped
when the format allows, pixel size in Å and dose per frame from the file's
metadata or from options that override it; ``meta["pixel_size_from"]`` and
``meta["dose_from"]`` say which). See :data:`IMAGE_FORMATS` and
:mod:`structkit.io._tem`; tifffile, mrcfile and rosettasciio come with
``pip install 'structkit[tem]'``. :func:`read` refuses TIFF, MRC and DM3/DM4
files with a ReadError that points to :func:`read_image`.

Examples
--------
>>> import tempfile, pathlib, shutil
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "s04147-140deg.csv").write_text("f,Z',-Z''\\n1e5,100,20\\n1e4,150,60\\n1e3,300,40\\n")
>>> m = read(d / "s04147-140deg.csv")
>>> m.meta["format"], m.sample, m.temperature_K, m.y[0]
('impedance', 's04147', 413.15, np.complex128(300-40j))
>>> shutil.rmtree(d)
"""

from ._bruker import bruker_raw_refusal, read_brml, sniff_brml
from ._conditions import conditions_from_filename, find_sidecar, read_conditions_sidecar
from ._diffraction import read_chi, read_pyfai, sniff_chi, sniff_pyfai
from ._gsas import read_gsas, read_gsas_prm, sniff_gsas
from ._hdf5 import read_hdf5, sniff_hdf5
from ._impedance import (
    read_biologic,
    read_gamry,
    read_impedance_table,
    read_neisys,
    read_zplot,
    sniff_biologic,
    sniff_gamry,
    sniff_impedance_table,
    sniff_neisys,
    sniff_zplot,
)
from ._pdf import read_pdf, sniff_pdf, write_pdf
from ._qens import QENS_FORMATS, inx_refusal, read_qens
from ._registry import (
    available_formats,
    read,
    refuse_format,
    register_reader,
    unregister_reader,
)
from ._spectra import (
    read_jasco,
    read_labspec,
    read_spc,
    read_topspin,
    read_wdf,
    sniff_jasco,
    sniff_labspec,
    sniff_spc,
    sniff_topspin_path,
    sniff_wdf,
)
from ._tem import IMAGE_FORMATS, image_refusal, read_image
from ._text import read_text, sniff_text
from ._writers import read_csv_table, save_figure, write_table
from ._xas import (
    read_athena,
    read_athena_project,
    read_xas_columns,
    read_xdac,
    read_xdi,
    sniff_athena,
    sniff_xas_columns,
    sniff_xdac,
    sniff_xdi,
)
from ._xrdml import read_xrdml, sniff_xrdml

__all__ = [
    "read",
    "register_reader",
    "unregister_reader",
    "available_formats",
    "read_conditions_sidecar",
    "conditions_from_filename",
    "find_sidecar",
    "read_gsas_prm",
    "read_xdi",
    "read_xdac",
    "read_xas_columns",
    "read_athena",
    "read_athena_project",
    "read_jasco",
    "read_labspec",
    "read_topspin",
    "read_spc",
    "read_wdf",
    "read_qens",
    "QENS_FORMATS",
    "read_image",
    "IMAGE_FORMATS",
    "write_table",
    "read_csv_table",
    "write_pdf",
    "save_figure",
]

register_reader("hdf5", read_hdf5, extensions=(".h5", ".hdf5", ".hdf", ".nxs", ".nx5"),
                sniff=sniff_hdf5, priority=100, description="HDF5 / NeXus NXdata, 1-D signal")
register_reader("zplot", read_zplot, extensions=(".z",), sniff=sniff_zplot, priority=90,
                description="ZPlot / ZView .z impedance export")
register_reader("gamry", read_gamry, extensions=(".dta",), sniff=sniff_gamry, priority=90,
                description="Gamry Framework .DTA, ZCURVE table")
register_reader("biologic", read_biologic, extensions=(".mpt",), sniff=sniff_biologic, priority=90,
                description="BioLogic EC-Lab .mpt text export")
register_reader("neisys", read_neisys, sniff=sniff_neisys, priority=90,
                description="NEISYS text export (Freq.[Hz], Zs'[ohm], Zs''[ohm])")
register_reader("gsas", read_gsas, extensions=(".gsa", ".gsas", ".gss", ".gda", ".fxye", ".fxy"),
                sniff=sniff_gsas, priority=90,
                description="GSAS raw powder data, CONST banks (STD, ESD, ALT, FXY, FXYE)")
register_reader("xrdml", read_xrdml, extensions=(".xrdml",), sniff=sniff_xrdml, priority=90,
                description="PANalytical XRDML (1.x and 2.x), one 2θ scan")
register_reader("brml", read_brml, extensions=(".brml",), sniff=sniff_brml, priority=90,
                description="Bruker DIFFRAC.SUITE .brml (zip of XML), one 2θ scan")
register_reader("chi", read_chi, extensions=(".chi",), sniff=sniff_chi, priority=90,
                description="Fit2D / pyFAI .chi with a 2θ axis")
register_reader("pyfai", read_pyfai, sniff=sniff_pyfai, priority=90,
                description="pyFAI 1-D export (2th_deg) with its calibration header")
register_reader("xdi", read_xdi, extensions=(".xdi",), sniff=sniff_xdi, priority=90,
                description="XAS Data Interchange (XDI 1.0): energy and mu, or i0/itrans/ifluor/irefer")
register_reader("xdac", read_xdac, sniff=sniff_xdac, priority=90,
                description="XDAC data file (NSLS X-11A/X-18B XAS): energy, I0, It (mu = ln(I0/It))")
register_reader("athena", read_athena, extensions=(".prj",), sniff=sniff_athena, priority=90,
                description="Athena project (.prj), one mu(E) group (group=); needs xraylarch")
register_reader("pdf", read_pdf, extensions=(".gr", ".fq", ".sq", ".iq"), sniff=sniff_pdf, priority=90,
                description="pair distribution function G(r) / F(Q) / S(Q) / I(Q): PDFgetX3, PDFgetX2, "
                "PDFgetN headers")
register_reader("jasco", read_jasco, sniff=sniff_jasco, priority=90,
                description="JASCO Spectra Manager text export (header, XYDATA, x y rows, "
                "Extended Information)")
register_reader("labspec", read_labspec, sniff=sniff_labspec, priority=90,
                description="Horiba LabSpec single-spectrum text export (#key=value header)")
register_reader("wdf", read_wdf, extensions=(".wdf",), sniff=sniff_wdf, priority=90,
                description="Renishaw WiRE .wdf, one spectrum (spectrum=); needs renishaw-wdf")
register_reader("spc", read_spc, extensions=(".spc",), sniff=sniff_spc, priority=80,
                description="Galactic/Thermo GRAMS .spc (new LSB format), one spectrum (spectrum=); "
                "needs spc-io")
register_reader("topspin", read_topspin, sniff_path=sniff_topspin_path, priority=90,
                description="Bruker TopSpin processed 1-D spectrum: <expno>/pdata/<procno> folder "
                "(1r + procs) or its 1r file")
register_reader("xas", read_xas_columns, extensions=(".xmu", ".mu"), sniff=sniff_xas_columns,
                priority=30, description="XAS text columns: energy + mu, or energy + i0 + itrans/ifluor "
                "(+ irefer)")
register_reader("impedance", read_impedance_table, sniff=sniff_impedance_table, priority=20,
                description="delimited f, Z', Z'' table, either sign convention for Z''")
register_reader("text", read_text, extensions=(".xy", ".xye", ".dat", ".txt", ".csv", ".tsv", ".gr"),
                sniff=sniff_text, priority=10,
                description="delimited text: x, y (and sigma) with comment/key=value header")
refuse_format("bruker-raw", bruker_raw_refusal)
refuse_format("qens-inx", inx_refusal)
refuse_format("tem-image", image_refusal)
