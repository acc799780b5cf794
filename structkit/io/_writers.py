"""Atomic writers for tables and figures.

Each writer writes to a temporary file in the destination folder and moves it
into place with :func:`os.replace`, so a crash or a parallel batch never leaves
a half-written file under the final name.

Examples
--------
>>> import tempfile, pathlib, pandas as pd
>>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> write_table(pd.DataFrame({"sample": ["a"], "value": [0.1]}), out).read_text()
'sample,value\\na,0.1\\n'
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ..core.atomic import atomic_write
from ..core.errors import ConfigError

__all__ = ["write_table", "save_figure"]

# Keep figure files identical run to run: no creation dates in PDF/SVG/PS.
_NO_DATES = {"pdf": {"CreationDate": None}, "svg": {"Date": None}, "ps": {"CreationDate": None},
             "eps": {"CreationDate": None}}


def _atomic_write(path, write: Callable[[str], None]) -> Path:
    return atomic_write(path, lambda tmp: write(str(tmp)))


def write_table(frame, path) -> Path:
    """Write a table as CSV, atomically (temporary file + :func:`os.replace`).

    Parameters
    ----------
    frame : pandas.DataFrame or object with ``to_frame()``
        The table (a :class:`~structkit.core.descriptors.DescriptorTable` works too).
    path : str or path-like
        Destination; missing folders are created.

    Returns
    -------
    pathlib.Path
        ``path``. Floats are written at full precision (they read back equal),
        without the index, with ``\\n`` line ends.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "sub" / "x.csv"
    >>> p = write_table(pd.DataFrame({"x": [0.1, 0.2]}), out)
    >>> p.read_text()
    'x\\n0.1\\n0.2\\n'
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        to_frame = getattr(frame, "to_frame", None)
        if isinstance(frame, pd.Series) or not callable(to_frame):
            raise ConfigError(f"write_table needs a pandas DataFrame (or an object with to_frame()), "
                              f"got {type(frame).__name__}", path=path)
        frame = to_frame()
    return _atomic_write(path, lambda tmp: frame.to_csv(tmp, index=False, lineterminator="\n"))


def save_figure(fig, path, *, dpi: int = 150) -> Path:
    """Save a matplotlib Figure atomically; the format follows the extension.

    PDF, SVG and PostScript files are written without creation dates (and SVG
    with a fixed id salt), so the same figure gives the same bytes.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or path-like
        Destination with an extension (``.png``, ``.pdf``, ``.svg`` ...).
    dpi : int
        Resolution of raster formats, in dots per inch.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from matplotlib.figure import Figure
    >>> fig = Figure(); _ = fig.add_subplot().plot([1, 2], [3, 4])
    >>> save_figure(fig, pathlib.Path(tempfile.mkdtemp()) / "f.png").stat().st_size > 0
    True
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if not fmt:
        raise ConfigError("the figure path has no extension; end it in .png, .pdf or .svg",
                          path=path)
    if not hasattr(fig, "savefig"):
        raise ConfigError(f"save_figure needs a matplotlib Figure, got {type(fig).__name__}",
                          path=path)
    import matplotlib

    def write(tmp):
        with matplotlib.rc_context({"svg.hashsalt": "structkit"}):  # stable SVG element ids
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_NO_DATES.get(fmt))

    try:
        return _atomic_write(path, write)
    except ValueError as exc:  # matplotlib: unsupported format
        raise ConfigError(f"cannot save a figure as {fmt!r} ({exc}); use .png, .pdf or .svg",
                          path=path) from None


def read_csv_table(path, need: tuple[str, ...] = (), hint: str = ""):
    """A CSV as a DataFrame; a missing file, a broken CSV or a missing column is a ReadError naming it.

    ``sample`` is read as text (``"001"`` stays ``"001"``).
    """
    import pandas as pd

    from ..core.errors import ReadError
    try:
        frame = pd.read_csv(path, dtype={"sample": str})
    except FileNotFoundError:
        raise ReadError("file not found", path=path) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ReadError(f"not a readable CSV ({exc})", path=path) from None
    for col in need:
        if col not in frame.columns:
            raise ReadError(f"needs a column {col!r}; columns are {', '.join(map(str, frame.columns))}{hint}",
                            path=path)
    return frame
