"""structkit: structural characterization of solid electrolytes, joined to ionic conductivity.

The public entry points: :func:`structkit.io.read` turns a file into a
:class:`Measurement`; each technique package (``structkit.conductivity`` ...)
turns Measurements into Results whose ``descriptors()`` fill one
:class:`DescriptorTable`, which :func:`join_conductivity` joins to σ(T).
"""

from importlib.metadata import PackageNotFoundError, version as _version

from .core import (
    ConfigError,
    DataError,
    DescriptorRow,
    DescriptorTable,
    FitError,
    Measurement,
    MissingDependencyError,
    ReadError,
    StructkitError,
    WriteError,
    join_conductivity,
)

try:
    __version__ = _version("structkit")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.1.0.dev0"

__all__ = [
    "__version__",
    "StructkitError", "ReadError", "DataError", "FitError", "ConfigError", "WriteError", "MissingDependencyError",
    "Measurement", "DescriptorRow", "DescriptorTable", "join_conductivity",
]
