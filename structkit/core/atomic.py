"""Atomic file writes: the one primitive every table, figure and cache entry is written through.

The data goes to a temporary file ``.<name>.<pid>.tmp`` in the destination
folder, which is then moved into place with :func:`os.replace`, so a crash,
a SIGKILL or a parallel run never leaves a half-written file under the final
name; leftover temporary files are recognised by :func:`is_temp_file`.

Examples
--------
>>> import tempfile, pathlib
>>> out = pathlib.Path(tempfile.mkdtemp()) / "a" / "t.txt"
>>> atomic_write(out, lambda tmp: tmp.write_text("ok")).read_text()
'ok'
>>> is_temp_file(out.with_name(".t.txt.123.tmp")), is_temp_file(out)
(True, False)
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .errors import WriteError

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "temp_path", "is_temp_file"]


def temp_path(path) -> Path:
    """The temporary name an atomic write of ``path`` uses in this process."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


def is_temp_file(path) -> bool:
    """Whether ``path`` is a leftover temporary file of an atomic write (``.name.<pid>.tmp``)."""
    name = Path(path).name
    parts = name.split(".")
    return name.startswith(".") and name.endswith(".tmp") and len(parts) >= 4 and parts[-2].isdigit()


def atomic_write(path, write: Callable[[Path], None], *, fsync: bool = False) -> Path:
    """Call ``write(tmp)`` to fill a temporary file, then move it to ``path``.

    Raises
    ------
    WriteError
        If the folder cannot be made or the file cannot be written or moved.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot write here ({exc.strerror or exc}); check that the folder "
                         "is writable", path=path) from None
    tmp = temp_path(path)
    try:
        write(tmp)
        if fsync:
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise WriteError(f"cannot write the file ({exc.strerror or exc}); check the disk "
                         "space and permissions", path=path) from None
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def atomic_write_bytes(path, data: bytes, *, fsync: bool = True) -> Path:
    """Write ``data`` atomically (fsynced by default)."""
    return atomic_write(path, lambda tmp: tmp.write_bytes(data), fsync=fsync)


def atomic_write_text(path, text: str, *, fsync: bool = True) -> Path:
    """:func:`atomic_write_bytes` for UTF-8 text with ``\\n`` line ends."""
    return atomic_write_bytes(path, text.encode("utf-8"), fsync=fsync)
