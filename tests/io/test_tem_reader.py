"""structkit.io.read_image: HRTEM images and series from TIFF, MRC, DM3/DM4, EMD and .npy files.

Every file is written here (tifffile, mrcfile, the test-only DM writer in
``_dm_writer.py``, rosettasciio's EMD writer, numpy), so values and
calibrations are known exactly.
"""

import sys

import numpy as np
import pytest

from structkit.core.errors import ConfigError, DataError, MissingDependencyError, ReadError
from structkit.core.image import ImageStack
from structkit.io import IMAGE_FORMATS, read, read_image

tifffile = pytest.importorskip("tifffile")
mrcfile = pytest.importorskip("mrcfile")

sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
from _dm_writer import hrtem_tags, write_dm  # noqa: E402


def _stack(n=3, ny=16, nx=20, dtype=np.uint16):
    return (np.arange(n * ny * nx) % 4093).astype(dtype).reshape(n, ny, nx)


def _raises(exc, match, func, *args, **kwargs):
    with pytest.raises(exc, match=match) as info:
        func(*args, **kwargs)
    return info.value


# -- TIFF -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("unit, per_unit, expected", [
    ("nm", 20.0, 0.5),                 # 0.05 nm per pixel
    ("\\u00C5", 4.0, 0.25),            # ImageJ writes Å escaped
    ("micron", 2e4, 0.5),
])
def test_imagej_calibration(tmp_path, unit, per_unit, expected):
    a = _stack()
    p = tmp_path / "NNB_RT_series.tif"
    tifffile.imwrite(p, a, imagej=True, resolution=(per_unit, per_unit),
                     metadata={"unit": unit, "spacing": 3.0, "axes": "TYX", "finterval": 0.25})
    s = read_image(p)
    assert isinstance(s, ImageStack) and s.n_frames == 3 and s.shape == (16, 20)
    assert np.array_equal(np.asarray(s.data), a) and s.data.dtype == np.uint16
    assert s.pixel_size_angstrom == pytest.approx(expected, rel=1e-12)
    assert s.meta["pixel_size_from"] == "file:imagej unit + XResolution"
    # spacing is the z step of a volume, never the pixel size
    assert s.meta["metadata"]["imagej"]["spacing"] == 3.0
    assert s.frame_time_s == 0.25 and s.meta["frame_time_from"] == "file:imagej finterval"
    assert s.meta["format"] == "tiff" and s.source == str(p)
    assert s.sample == "NNB_series" and s.conditions["temperature_K"] == 298.15


def test_resolution_tags_in_cm_and_inch(tmp_path):
    a = _stack(1)[0]
    tifffile.imwrite(tmp_path / "cm.tif", a, resolution=(2e8, 2e8), resolutionunit="CENTIMETER")
    s = read_image(tmp_path / "cm.tif")
    assert s.pixel_size_angstrom == pytest.approx(0.5, rel=1e-12)
    assert s.meta["pixel_size_from"] == "file:XResolution/ResolutionUnit"
    tifffile.imwrite(tmp_path / "in.tif", a, resolution=(2.54e8, 2.54e8), resolutionunit="INCH")
    assert read_image(tmp_path / "in.tif").pixel_size_angstrom == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("kw", [{}, {"resolution": (72, 72), "resolutionunit": "INCH"},
                                {"resolution": (1, 1), "resolutionunit": "CENTIMETER"}])
def test_uncalibrated_and_default_resolution(tmp_path, kw):
    p = tmp_path / "plain.tif"
    tifffile.imwrite(p, _stack(1)[0], **kw)
    s = read_image(p)
    assert s.pixel_size_angstrom is None and s.meta["pixel_size_from"] is None
    if kw:
        assert "default, not a calibration" in s.meta["notes"]
    _raises(DataError, "plain.tif: the pixel size is missing", s.require_pixel_size)


def test_fei_and_gatan_tiff_tags(tmp_path):
    a = _stack(1)[0]
    fei = "[User]\nDate=01/02/2024\n[Beam]\nHV=300000\n[Scan]\nPixelWidth=2.5e-11\nPixelHeight=2.5e-11\n"
    tifffile.imwrite(tmp_path / "fei.tif", a, extratags=[(34682, "s", 0, fei, True)])
    s = read_image(tmp_path / "fei.tif")
    assert s.pixel_size_angstrom == pytest.approx(0.25) and s.voltage_kV == pytest.approx(300.0)
    assert s.meta["pixel_size_from"] == "file:fei Scan.PixelWidth"
    assert s.meta["voltage_from"] == "file:fei Beam.HV"
    gatan = [(65009, "d", 1, 0.031, True), (65010, "d", 1, 0.031, True),
             (65003, "s", 0, "nm", True), (65004, "s", 0, "nm", True)]
    tifffile.imwrite(tmp_path / "gatan.tif", a, extratags=gatan)
    s = read_image(tmp_path / "gatan.tif")
    assert s.pixel_size_angstrom == pytest.approx(0.31) and s.meta["pixel_size_from"] == "file:gatan tag 65010"


def test_options_override_the_file(tmp_path):
    p = tmp_path / "cal.tif"
    tifffile.imwrite(p, _stack(), imagej=True, resolution=(20.0, 20.0), metadata={"unit": "nm", "axes": "TYX"})
    s = read_image(p, pixel_size_angstrom=0.3, dose_per_frame_e_per_A2=1.5, voltage_kV=200)
    assert s.pixel_size_angstrom == 0.3 and s.meta["pixel_size_from"] == "option"
    assert s.meta["metadata"]["resolution"]["XResolution"] == 20.0       # the file's value is kept
    assert s.dose_per_frame_e_per_A2 == 1.5 and s.meta["dose_from"] == "option"
    assert s.voltage_kV == 200 and s.meta["voltage_from"] == "option"
    assert s.accumulated_dose_e_per_A2.tolist() == [1.5, 3.0, 4.5]
    s = read_image(p, dose_rate_e_per_A2_per_s=10.0, frame_time_s=0.2)
    assert s.dose_per_frame_e_per_A2 == pytest.approx(2.0) and s.meta["frame_time_from"] == "option"
    _raises(DataError, "cal.tif: pixel_size_angstrom must be a positive", read_image, p, pixel_size_angstrom=-1)


def test_large_uncompressed_stack_is_memory_mapped(tmp_path):
    a = np.random.default_rng(0).integers(0, 60000, size=(40, 256, 256), dtype=np.uint16)   # 5 MB
    p = tmp_path / "big.tif"
    tifffile.imwrite(p, a, photometric="minisblack")
    s = read_image(p)
    assert isinstance(s.data, np.memmap) and s.meta["memory_mapped"] is True
    assert s.data.shape == (40, 256, 256) and np.array_equal(s.data[17], a[17])
    assert np.array_equal(s.frame(39), a[39].astype(float))
    s = read_image(p, mmap=False)
    assert not isinstance(s.data, np.memmap) and s.meta["memory_mapped"] is False
    assert np.array_equal(s.data, a)


def test_compressed_stack_falls_back_to_reading(tmp_path):
    a = _stack(4, dtype=np.float32)
    p = tmp_path / "z.tif"
    tifffile.imwrite(p, a, photometric="minisblack", compression="zlib")
    s = read_image(p)
    assert s.meta["memory_mapped"] is False and np.array_equal(s.data, a)


def test_tiff_refusals(tmp_path):
    tifffile.imwrite(tmp_path / "rgb.tif", np.zeros((8, 8, 3), np.uint8), photometric="rgb")
    _raises(DataError, r"rgb\.tif: colour image", read_image, tmp_path / "rgb.tif")
    tifffile.imwrite(tmp_path / "c.tif", np.zeros((8, 8), np.complex64))
    _raises(DataError, r"c\.tif: image values are complex", read_image, tmp_path / "c.tif")
    p = tmp_path / "cut.tif"
    tifffile.imwrite(p, _stack(5, 64, 64), photometric="minisblack")
    p.write_bytes(p.read_bytes()[:20000])
    _raises(ReadError, r"cut\.tif: the file is truncated", read_image, p)
    p.write_bytes(p.read_bytes()[:60])
    _raises(ReadError, r"cut\.tif: not a readable TIFF", read_image, p)


# -- MRC --------------------------------------------------------------------------------------------

def test_mrc_stack_voxel_size_and_mmap(tmp_path):
    a = _stack(4, dtype=np.float32)
    p = tmp_path / "movie.mrcs"
    with mrcfile.new(p) as m:
        m.set_data(a)
        m.set_image_stack()
        m.voxel_size = 0.8
    s = read_image(p)
    assert s.n_frames == 4 and np.array_equal(np.asarray(s.data), a)
    assert isinstance(s.data, np.memmap) and s.meta["memory_mapped"] is True
    assert s.pixel_size_angstrom == pytest.approx(0.8) and s.meta["pixel_size_from"] == "file:mrc voxel_size"
    assert s.meta["metadata"]["kind"] == "image stack" and s.meta["metadata"]["ispg"] == 0
    s = read_image(p, mmap=False)
    assert not isinstance(s.data, np.memmap) and np.array_equal(s.data, a)


def test_mrc_unknown_voxel_size_volume_and_fei_header(tmp_path):
    p = tmp_path / "vol.mrc"
    with mrcfile.new(p) as m:
        m.set_data(_stack(3, dtype=np.int16))
        m.set_volume()
        dt = mrcfile.dtypes.get_ext_header_dtype(b"FEI1", "<")
        ext = np.zeros(3, dtype=dt)
        ext["Metadata size"] = dt.itemsize
        ext["HT"], ext["Dose"], ext["Integration time"] = 300e3, 2.0e20, 0.25
        m.set_extended_header(ext)
        m.header.exttyp = b"FEI1"
    s = read_image(p)
    assert s.pixel_size_angstrom is None and "voxel_size is 0" in s.meta["notes"]
    assert "read as frames" in s.meta["notes"] and s.n_frames == 3
    assert s.voltage_kV == pytest.approx(300) and s.frame_time_s == pytest.approx(0.25)
    assert s.dose_per_frame_e_per_A2 == pytest.approx(2.0)       # e/m² -> e/Å²
    assert s.meta["dose_from"] == "file:mrc FEI extended header Dose"
    s = read_image(p, dose_rate_e_per_A2_per_s=4.0)              # an option beats the header's dose
    assert s.dose_per_frame_e_per_A2 == pytest.approx(1.0)


def test_mrc_errors(tmp_path):
    p = tmp_path / "cut.mrc"
    with mrcfile.new(p) as m:
        m.set_data(_stack(3, dtype=np.float32))
    p.write_bytes(p.read_bytes()[:-100])
    for mmap in (True, False):
        _raises(ReadError, r"cut\.mrc: the file is truncated", read_image, p, mmap=mmap)
    with mrcfile.new(tmp_path / "v4.mrc") as m:
        m.set_data(np.zeros((2, 3, 8, 8), np.float32))
    _raises(DataError, r"v4\.mrc: .*4-D dataset", read_image, tmp_path / "v4.mrc")
    with mrcfile.new(tmp_path / "rect.mrc") as m:
        m.set_data(np.zeros((8, 8), np.float32))
        m.voxel_size = (0.5, 0.6, 1.0)
    _raises(DataError, r"rect\.mrc: the pixels are not square \(x 0\.5 Å, y 0\.6 Å", read_image,
            tmp_path / "rect.mrc")
    assert read_image(tmp_path / "rect.mrc", pixel_size_angstrom=0.55).pixel_size_angstrom == 0.55


# -- DigitalMicrograph, EMD (rosettasciio) ------------------------------------------------------------

@pytest.mark.parametrize("version", [3, 4])
def test_dm_stack(tmp_path, version):
    pytest.importorskip("rsciio")
    a = _stack(3, dtype=np.float32)
    p = tmp_path / f"insitu.dm{version}"
    write_dm(p, a, version=version, scale=0.0125, units="nm", frame_scale=0.5, frame_units="s",
             tags=hrtem_tags(voltage_V=200e3, exposure_s=0.4, specimen="LLZO-Ta"))
    s = read_image(p)
    assert s.meta["format"] == f"dm{version}" and isinstance(s.data, np.memmap)
    assert np.array_equal(np.asarray(s.data), a)
    assert s.pixel_size_angstrom == pytest.approx(0.125, rel=1e-12)
    assert s.voltage_kV == pytest.approx(200.0) and s.frame_time_s == pytest.approx(0.4)
    assert s.meta["frame_time_from"] == "file:ImageTags.Acquisition.Parameters.High Level.Exposure (s)"
    assert s.sample == "LLZO-Ta" and s.meta["conditions_from"]["sample"] == "header"
    s = read_image(p, mmap=False, dose_rate_e_per_A2_per_s=5.0, sample="other")
    assert not isinstance(s.data, np.memmap) and np.array_equal(s.data, a)
    assert s.dose_per_frame_e_per_A2 == pytest.approx(2.0) and s.sample == "other"


@pytest.mark.parametrize("units, scale, expected", [("µm", 2e-5, 0.2), ("Å", 0.7, 0.7), ("pm", 30.0, 0.3)])
def test_dm_units(tmp_path, units, scale, expected):
    pytest.importorskip("rsciio")
    write_dm(tmp_path / "a.dm3", _stack(1, dtype=np.int16)[0], scale=scale, units=units)
    s = read_image(tmp_path / "a.dm3")
    assert s.n_frames == 1 and s.pixel_size_angstrom == pytest.approx(expected, rel=1e-9)


def test_dm_refusals(tmp_path):
    pytest.importorskip("rsciio")
    p = tmp_path / "fft.dm4"
    write_dm(p, _stack(1, dtype=np.float32)[0], version=4, scale=0.1, units="1/nm")
    _raises(ReadError, r"fft\.dm4: .*reciprocal-space unit: this is a diffraction pattern", read_image, p)
    p = tmp_path / "eels.dm3"
    write_dm(p, _stack(1, dtype=np.float32)[0], scale=0.1, units="eV")
    _raises(DataError, r"eels\.dm3: the x axis is in 'eV', not a length", read_image, p)
    p = tmp_path / "cut.dm3"
    blob = write_dm(p, _stack(3, 32, 32, dtype=np.float32), scale=0.1, units="nm")
    for n in (len(blob) - 2000, 300):
        p.write_bytes(blob[:n])
        for mmap in (True, False):
            _raises(ReadError, r"cut\.dm3: ", read_image, p, mmap=mmap)


def test_emd_through_rosettasciio(tmp_path):
    emd = pytest.importorskip("rsciio.emd")
    pytest.importorskip("h5py")
    a = _stack(2, dtype=np.float32)
    axes = [{"name": "time", "size": 2, "scale": 0.5, "offset": 0, "units": "s", "navigate": True},
            {"name": "y", "size": 16, "scale": 0.05, "offset": 0, "units": "nm", "navigate": False},
            {"name": "x", "size": 20, "scale": 0.05, "offset": 0, "units": "nm", "navigate": False}]
    emd.file_writer(str(tmp_path / "a.emd"), {"data": a, "axes": axes, "original_metadata": {},
                                              "metadata": {"General": {"title": "a"}, "Signal": {}}})
    s = read_image(tmp_path / "a.emd")
    assert s.meta["format"] == "emd" and np.array_equal(s.data, a)
    assert s.pixel_size_angstrom == pytest.approx(0.5)


# -- npy, conditions, errors ---------------------------------------------------------------------------

def test_npy_roundtrip_and_mmap(tmp_path):
    a = np.random.default_rng(1).normal(size=(3, 8, 9))
    np.save(tmp_path / "a.npy", a)
    s = read_image(tmp_path / "a.npy", pixel_size_angstrom=0.2)
    assert isinstance(s.data, np.memmap) and np.array_equal(s.data, a)
    assert s.pixel_size_angstrom == 0.2 and s.meta["pixel_size_from"] == "option"
    assert not isinstance(read_image(tmp_path / "a.npy", mmap=False).data, np.memmap)


def test_sample_and_conditions_from_name_sidecar_and_hints(tmp_path):
    np.save(tmp_path / "LLZO_600C_a.npy", np.zeros((8, 8)))
    s = read_image(tmp_path / "LLZO_600C_a.npy")
    assert s.sample == "LLZO_a" and s.conditions["temperature_K"] == 873.15
    (tmp_path / "conditions.csv").write_text("file,sample,temperature_C,milling_time_h\n"
                                             "LLZO_600C_a.npy,LLZO-Ga,25,6\n")
    s = read_image(tmp_path / "LLZO_600C_a.npy")
    assert s.sample == "LLZO-Ga" and s.conditions["temperature_K"] == 298.15
    assert s.conditions["milling_time_h"] == 6.0 and s.meta["conditions_from"]["sample"] == "sidecar"
    s = read_image(tmp_path / "LLZO_600C_a.npy", temperature_K=300, conditions={"atmosphere": "Ar"})
    assert s.conditions["temperature_K"] == 300.0 and s.conditions["atmosphere"] == "Ar"
    assert s.meta["conditions_from"]["temperature_K"] == "hint"
    assert read_image(tmp_path / "LLZO_600C_a.npy", sidecar=False).sample == "LLZO_a"


@pytest.mark.parametrize("name, content, exc, match", [
    ("empty.tif", b"", ReadError, "file is empty"),
    ("a.xyz", b"\x00\x01\x02\x03" * 64, ReadError, r"unknown image format.*\.tif .tiff .mrc"),
    ("a.npy", None, DataError, r"shape \(5,\) is not an image"),
    ("b.npy", "4d", DataError, r"shape \(2, 2, 8, 8\) is not an image"),
    ("c.npy", "complex", DataError, "complex"),
    ("d.npy", "cut", ReadError, "truncated"),
    ("e.mrc", b"not an mrc file" * 100, ReadError, "not a readable MRC"),
])
def test_bad_inputs_name_the_file(tmp_path, name, content, exc, match):
    p = tmp_path / name
    if content is None:
        np.save(p, np.arange(5.0))
    elif content == "4d":
        np.save(p, np.zeros((2, 2, 8, 8)))
    elif content == "complex":
        np.save(p, np.zeros((8, 8), complex))
    elif content == "cut":
        np.save(p, np.zeros((4, 64, 64)))
        p.write_bytes(p.read_bytes()[:5000])
    else:
        p.write_bytes(content)
    err = _raises(exc, match, read_image, p)
    assert err.path == str(p) and str(err).startswith(str(p))
    if content == "cut":
        _raises(ReadError, "truncated", read_image, p, mmap=False)


def test_missing_file_format_name_and_dependency(tmp_path, monkeypatch):
    _raises(ReadError, "file not found", read_image, tmp_path / "nope.tif")
    np.save(tmp_path / "a.npy", np.zeros((4, 4)))
    _raises(ConfigError, "format='png': use one of tiff, mrc", read_image, tmp_path / "a.npy", format="png")
    tifffile.imwrite(tmp_path / "a.tif", np.zeros((4, 4), np.uint8))
    monkeypatch.setitem(sys.modules, "tifffile", None)
    err = _raises(MissingDependencyError, r"pip install 'structkit\[tem\]'", read_image, tmp_path / "a.tif")
    assert err.path == str(tmp_path / "a.tif")
    assert set(IMAGE_FORMATS) == {"tiff", "mrc", "dm3", "dm4", "emd", "ser", "npy"}


def test_read_points_to_read_image(tmp_path):
    tifffile.imwrite(tmp_path / "a.tif", _stack(1)[0])
    with mrcfile.new(tmp_path / "a.mrc") as m:
        m.set_data(np.zeros((8, 8), np.float32))
    write_dm(tmp_path / "a.dm3", np.zeros((8, 8), np.float32))
    write_dm(tmp_path / "a.dm4", np.zeros((8, 8), np.float32), version=4)
    for name, kind in (("a.tif", "TIFF"), ("a.mrc", "MRC"), ("a.dm3", "DM3"), ("a.dm4", "DM4")):
        _raises(ReadError, rf"a\.{name[2:]}: .*{kind} image file; read it with structkit.io.read_image",
                read, tmp_path / name)
