"""One exception hierarchy for structkit.

Every error structkit raises on purpose is a :class:`StructkitError`. The
message names the thing that is wrong (a file and line, a parameter, a key)
and what to do about it, so that a batch run can record it in
``failures.csv`` and a user can act on it without reading a traceback.

Examples
--------
>>> err = ReadError("no numeric rows", path="a.txt", line=3)
>>> str(err)
'a.txt, line 3: no numeric rows'
>>> isinstance(err, StructkitError)
True
"""

from __future__ import annotations

from os import PathLike

__all__ = [
    "StructkitError",
    "ReadError",
    "DataError",
    "FitError",
    "ConfigError",
    "WriteError",
    "MissingDependencyError",
]


class StructkitError(Exception):
    """Base class of every error structkit raises deliberately.

    Parameters
    ----------
    message : str
        What is wrong and what to do.
    path : str or path-like, optional
        The file concerned; it is prefixed to the message.
    line : int, optional
        1-based line number in ``path``.
    """

    def __init__(self, message: str, *, path: str | PathLike | None = None,
                 line: int | None = None):
        path = None if path is None else str(path)
        # initialise the base first: ImportError.__init__ would reset a .path set before it
        super().__init__(self._format(str(message), path, line))
        self.message = str(message)
        self.path = path
        self.line = line

    @staticmethod
    def _format(message: str, path: str | None, line: int | None) -> str:
        where = ""
        if path:
            where = path
            if line is not None:
                where += f", line {line}"
            where += ": "
        elif line is not None:
            where = f"line {line}: "
        return where + message

    def __reduce__(self):  # keep path/line across process boundaries
        return (_rebuild, (type(self), self.message, self.path, self.line))


def _rebuild(cls, message, path, line):
    return cls(message, path=path, line=line)


class ReadError(StructkitError):
    """A file could not be read: missing, empty, malformed or of an unknown format."""


class DataError(StructkitError):
    """Values that cannot be used: NaN, unequal lengths, unsorted or repeated axis, wrong units."""


class FitError(StructkitError):
    """A fit could not be set up (too few points, impossible bounds).

    A fit that ran but did not converge is *not* an error: its result says
    ``converged=False`` with a message.
    """


class ConfigError(StructkitError):
    """Bad settings: an unknown option, a circuit string that does not parse, missing geometry."""


class WriteError(StructkitError):
    """An output could not be written (disk full, no permission, a folder in the way)."""


class MissingDependencyError(StructkitError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""
