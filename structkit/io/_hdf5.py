"""HDF5 / NeXus ``NXdata`` reader (h5py is an optional dependency: ``structkit[hdf5]``).

The default ``NXdata`` group is found by the ``default`` attribute chain from
the file root (NeXus 2014 convention), else as the only group with
``NX_class = NXdata``. Its ``signal`` attribute names the 1-D y dataset,
``axes`` (or ``<axis>_indices``, or the old per-dataset ``axes``/``signal``
attributes) the x dataset, and ``<signal>_errors`` or ``errors`` the
uncertainties. ``units`` attributes give the units. A wavelength in the
NXentry's instrument (``monochromator/wavelength`` of an NXmonochromator or
NXcrystal, as pyFAI's NXmonopd writes it, or ``source/incident_wavelength``,
NXcanSAS) becomes ``meta["wavelength_angstrom"]``, converted from its ``units``.

Examples
--------
>>> sniff_hdf5(b"\\x89HDF\\r\\n\\x1a\\n" + bytes(8)), sniff_hdf5(b"# x y")
(True, False)
"""

from __future__ import annotations

import numpy as np

from ..core.errors import DataError, MissingDependencyError, ReadError, StructkitError
from ..core.measurement import Measurement, monotonic_order
from ._text import wavelength_from_header
from ._xas import xas_from_energy_mu

__all__ = ["read_hdf5", "sniff_hdf5", "HDF5_SIGNATURE"]

#: The 8-byte signature at the start of an HDF5 file (without a user block).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def sniff_hdf5(head: bytes) -> bool:
    """True if the file starts with the HDF5 signature (also at the user-block offsets 512, 1024 ...)."""
    if head.startswith(HDF5_SIGNATURE):
        return True
    offset = 512
    while offset + 8 <= len(head):
        if head[offset:offset + 8] == HDF5_SIGNATURE:
            return True
        offset *= 2
    return False


def _require_h5py(path):
    try:
        import h5py
    except ImportError:
        raise MissingDependencyError("reading HDF5/NeXus files needs h5py: pip install "
                                     "'structkit[hdf5]'", path=path) from None
    return h5py


def _text(value) -> str | list[str] | None:
    """Decode an attribute (bytes, numpy strings, arrays of them) to str or list of str."""
    if value is None:
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return _text(value[()])
        return [str(_text(v)) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [str(_text(v)) for v in value]
    return str(value)


def _attr(obj, name):
    try:
        return obj.attrs.get(name)
    except (OSError, KeyError, TypeError, ValueError):
        return None


def _is_nxdata(h5py, obj) -> bool:
    return isinstance(obj, h5py.Group) and _text(_attr(obj, "NX_class")) == "NXdata"


def _default_nxdata(h5py, f, path):
    node = f
    for _ in range(16):
        if _is_nxdata(h5py, node):
            return node
        default = _text(_attr(node, "default"))
        if not isinstance(default, str) or not default:
            break
        child = node.get(default)
        if not isinstance(child, h5py.Group):
            raise ReadError(f"the 'default' attribute of {node.name!r} points to {default!r}, which "
                            "is not a group; fix the file or pass dataset=", path=path)
        node = child
    found: list[str] = []
    node.visititems(lambda name, obj: found.append(obj.name) if _is_nxdata(h5py, obj) else None)
    if len(found) == 1:
        return node[found[0]]
    if len(found) > 1:
        raise ReadError(f"{len(found)} NXdata groups ({', '.join(found[:6])}) and no 'default' "
                        "attribute choosing one; pass dataset= the group or 1-D dataset to read",
                        path=path)
    datasets: list[str] = []
    f.visititems(lambda name, obj: datasets.append(obj.name)
                 if isinstance(obj, h5py.Dataset) and obj.ndim == 1 else None)
    hint = f" (1-D datasets: {', '.join(datasets[:8])})" if datasets else ""
    raise ReadError(f"no NXdata group in this HDF5 file; pass dataset= the 1-D dataset to read{hint}",
                    path=path)


def _signal_name(h5py, group, path) -> str:
    sig = _text(_attr(group, "signal"))
    if isinstance(sig, list):
        sig = sig[0] if sig else None
    if sig:
        if not isinstance(group.get(sig), h5py.Dataset):
            raise ReadError(f"NXdata group {group.name!r} names signal {sig!r}, which is not a "
                            "dataset in it; fix the file or pass dataset=", path=path)
        return sig
    for name, obj in group.items():  # NeXus before 2014: signal=1 on the dataset
        if isinstance(obj, h5py.Dataset) and str(_text(_attr(obj, "signal"))) == "1":
            return name
    raise ReadError(f"NXdata group {group.name!r} has no 'signal' attribute; pass dataset= the "
                    "1-D dataset to read", path=path)


def _axis_name(h5py, group, signal, path) -> str:
    axes = _text(_attr(group, "axes"))
    if axes is None:
        axes = _text(_attr(group[signal], "axes"))  # old style, "x:y"
        if isinstance(axes, str):
            axes = [a for a in axes.replace(",", ":").split(":") if a.strip()]
    if isinstance(axes, str):
        axes = [axes]
    if axes and axes[0].strip() not in ("", "."):
        return axes[0].strip()
    for key in group.attrs:
        if key.endswith("_indices"):
            idx = _attr(group, key)
            if np.ndim(idx) == 0 and idx == 0 or np.ndim(idx) == 1 and len(idx) and idx[0] == 0:
                return key[: -len("_indices")]
    raise ReadError(f"NXdata group {group.name!r} names no axis for {signal!r} (no 'axes' "
                    "attribute); add one, or pass dataset= a group that has it", path=path)


def _values(ds, path, what: str) -> np.ndarray:
    try:
        arr = np.asarray(ds[()])
    except (OSError, TypeError, ValueError) as exc:
        raise ReadError(f"cannot read {what} {ds.name!r} ({exc})", path=path) from None
    if arr.dtype.kind not in "iufc":
        raise ReadError(f"{what} {ds.name!r} is not numeric (dtype {arr.dtype}); pass dataset= a "
                        "numeric 1-D dataset", path=path)
    if arr.ndim != 1:
        squeezed = np.squeeze(arr)
        if squeezed.ndim != 1:
            raise ReadError(f"{what} {ds.name!r} has shape {arr.shape}; only 1-D signals are read, "
                            "pass dataset= a 1-D dataset", path=path)
        arr = squeezed
    return arr


def _check_finite(arr, ds, path):
    bad = ~np.isfinite(arr)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(f"{ds.name} has {int(bad.sum())} non-finite value(s), first at index {i} "
                        f"({arr[i]}); fix the data (structkit never drops points silently)", path=path)


def _entry_of(group):
    entry = group
    while entry.name != "/" and _text(_attr(entry, "NX_class")) != "NXentry":
        entry = entry.parent
    return entry


def _children(h5py, group, classes, names):
    """Subgroups of ``group`` of one of the NeXus ``classes`` or named one of ``names``."""
    for name, obj in group.items():
        if isinstance(obj, h5py.Group) and (_text(_attr(obj, "NX_class")) in classes or name in names):
            yield obj


def _wavelength_info(h5py, group) -> dict:
    """``wavelength_angstrom`` (and where it came from) from the instrument of the NXentry above ``group``.

    pyFAI's NXmonopd: ``<entry>/<instrument>/monochromator/wavelength`` (NXcrystal, ``units="angstrom"``);
    NXcanSAS: ``<instrument>/<source>/incident_wavelength``. The unit comes from the ``units`` attribute
    (m, nm, pm, Å/angstrom); without one a value between 0.01 and 20 is taken as Å, else left out.
    """
    entry = _entry_of(group)
    if entry.name == "/":
        return {}
    for instrument in _children(h5py, entry, ("NXinstrument",), ("instrument",)):
        places = [(g, "wavelength") for g in _children(h5py, instrument, ("NXmonochromator", "NXcrystal"),
                                                       ("monochromator",))]
        places += [(g, "incident_wavelength") for g in _children(h5py, instrument, ("NXsource", "NXbeam"),
                                                                 ("source", "beam"))]
        for g, key in places:
            ds = g.get(key)
            if not (isinstance(ds, h5py.Dataset) and ds.shape in ((), (1,)) and ds.dtype.kind in "iuf"):
                continue
            value = float(np.ravel(ds[()])[0])
            digits = 7 if ds.dtype.itemsize <= 4 else 15          # a float32 0.2095 is 0.20949999988...
            units = _text(_attr(ds, "units"))
            units = units.strip() if isinstance(units, str) else ""
            lam = wavelength_from_header({"wavelength": f"{value:.{digits}g} {units}".strip()})
            if lam is not None:
                return {"wavelength_angstrom": lam, "wavelength_from": ds.name}
    return {}


def _sample_info(h5py, group) -> dict:
    """Sample name, temperature and title from the NXentry above ``group``."""
    meta: dict = {}
    entry = _entry_of(group)
    title = entry.get("title") if entry.name != "/" else None
    if isinstance(title, h5py.Dataset) and title.shape == ():
        meta["title"] = _text(title[()])
    for name, obj in entry.items():
        if isinstance(obj, h5py.Group) and (_text(_attr(obj, "NX_class")) == "NXsample"
                                            or name == "sample"):
            sample_name = obj.get("name")
            if isinstance(sample_name, h5py.Dataset) and sample_name.shape in ((), (1,)):
                meta["sample"] = _text(np.ravel(sample_name[()])[0])
            temp = obj.get("temperature")
            if isinstance(temp, h5py.Dataset) and temp.shape in ((), (1,)) and temp.dtype.kind in "iuf":
                value = float(np.ravel(temp[()])[0])
                units = _text(_attr(temp, "units"))
                meta["temperature"] = f"{value!r} {units}" if units else value
            break
    return meta


def read_hdf5(path, *, dataset: str | None = None, technique: str = "") -> Measurement:
    """Read a 1-D signal from an HDF5/NeXus file.

    Parameters
    ----------
    path : str or path-like
    dataset : str, optional
        Path inside the file of an NXdata group or of the 1-D signal dataset
        (its group's ``axes`` attribute then gives x). Default: the NeXus
        default NXdata group.
    technique : str
        Stored on the Measurement.

    Returns
    -------
    Measurement
        ``x_name``/``y_name`` are the dataset names, units from their
        ``units`` attributes; ``meta["hdf5_signal"]`` is the signal's path.
        An axis of bin edges (one longer than the signal) becomes bin centres.
        An ``energy`` axis in eV or keV with a μ signal (``mu``, ``mutrans`` ...)
        gives the XAS Measurement (energy in eV, ``technique="xas"``).

    Raises
    ------
    MissingDependencyError
        h5py is not installed.
    ReadError, DataError
        Not HDF5, no NXdata, a 2-D signal, mismatched lengths, NaN (with the index).

    Examples
    --------
    >>> import tempfile, pathlib, h5py
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "d.nxs"
    >>> with h5py.File(p, "w") as f:
    ...     f.attrs["default"] = "entry"
    ...     e = f.create_group("entry"); e.attrs["NX_class"] = "NXentry"; e.attrs["default"] = "data"
    ...     g = e.create_group("data"); g.attrs["NX_class"] = "NXdata"
    ...     g.attrs["signal"] = "I"; g.attrs["axes"] = ["q"]
    ...     g["I"] = [3.0, 2.0, 1.0]; g["q"] = [0.1, 0.2, 0.3]; g["q"].attrs["units"] = "1/angstrom"
    >>> m = read_hdf5(p)
    >>> m.x_label, m.y.tolist()
    ('q (1/angstrom)', [3.0, 2.0, 1.0])
    """
    h5py = _require_h5py(path)
    try:
        with h5py.File(path, "r") as f:
            return _read(h5py, f, path, dataset, technique)
    except StructkitError:
        raise
    except FileNotFoundError:
        raise ReadError("file not found; check the path", path=path) from None
    except (OSError, KeyError, ValueError, TypeError, RuntimeError, AttributeError) as exc:
        raise ReadError(f"not a readable HDF5 file ({type(exc).__name__}: {exc}); check the file "
                        "or pass format= to choose another reader", path=path) from None


def _read(h5py, f, path, dataset, technique) -> Measurement:
    if dataset is not None:
        obj = f.get(dataset)
        if obj is None:
            top = ", ".join(sorted(f.keys())[:8])
            raise ReadError(f"no group or dataset {dataset!r} in the file (top level: {top})",
                            path=path)
        if isinstance(obj, h5py.Dataset):
            group, signal = obj.parent, obj.name.rsplit("/", 1)[-1]
        else:
            group, signal = obj, None
    else:
        group, signal = _default_nxdata(h5py, f, path), None
    if signal is None:
        signal = _signal_name(h5py, group, path)
    sig_ds = group[signal]
    y = _values(sig_ds, path, "signal")
    axis = _axis_name(h5py, group, signal, path)
    ax_ds = group.get(axis)
    if not isinstance(ax_ds, h5py.Dataset):
        raise ReadError(f"axis {axis!r} named for {sig_ds.name!r} is not a dataset in "
                        f"{group.name!r}; fix the file or pass dataset=", path=path)
    x = _values(ax_ds, path, "axis")
    meta: dict = {"format": "hdf5", "hdf5_signal": sig_ds.name, "hdf5_axis": ax_ds.name}
    if x.dtype.kind == "c":
        raise ReadError(f"axis {ax_ds.name!r} is complex; an axis must be real", path=path)
    x = x.astype(float)
    if x.size == y.size + 1:
        x = 0.5 * (x[1:] + x[:-1])
        meta["x_from_bin_edges"] = True
    if x.size != y.size:
        raise ReadError(f"axis {ax_ds.name!r} has {x.size} values but signal {sig_ds.name!r} has "
                        f"{y.size}; pass dataset= a matching pair", path=path)
    sigma = None
    for name in (f"{signal}_errors", "errors"):
        err = group.get(name)
        if isinstance(err, h5py.Dataset):
            sigma = _values(err, path, "errors").astype(float)
            if sigma.size != y.size:
                raise ReadError(f"errors {err.name!r} has {sigma.size} values but the signal has "
                                f"{y.size}", path=path)
            _check_finite(sigma, err, path)
            meta["hdf5_errors"] = err.name
            break
    _check_finite(x, ax_ds, path)
    _check_finite(y, sig_ds, path)
    order = monotonic_order(x, source=str(path), name=axis)
    meta.update(_sample_info(h5py, group))
    meta.update(_wavelength_info(h5py, group))
    for key in ("title", "long_name"):
        value = _text(_attr(group, key))
        if isinstance(value, str):
            meta.setdefault(key, value)
    y = y if y.dtype.kind == "c" else y.astype(float)
    m = Measurement(x[order], y[order], sigma=None if sigma is None else sigma[order],
                    x_name=axis, x_unit=str(_text(_attr(ax_ds, "units")) or ""),
                    y_name=signal, y_unit=str(_text(_attr(sig_ds, "units")) or ""),
                    technique=technique, source=str(path), meta=meta)
    return xas_from_energy_mu(m)  # an energy (eV/keV) axis with a mu signal is XAS
