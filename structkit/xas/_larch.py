"""Lazy access to xraylarch: ``import structkit`` and the CLI start must not pay larch's import (1.5-2.5 s).

Every function of :mod:`structkit.xas` that needs larch calls :func:`xafs` (or
:func:`group`) inside its body; a missing install becomes a
:class:`~structkit.core.errors.MissingDependencyError` naming the extra.
"""

from __future__ import annotations

import contextlib
import io

from ..core.errors import MissingDependencyError

__all__ = ["xafs", "group", "larch_version", "quiet"]

_HINT = ("XAS analysis runs on xraylarch: pip install 'structkit[xas]' (or, without its GUI and "
         "Materials-Project stack: pip install -r requirements/xas-lean.txt && pip install --no-deps xraylarch)")


def xafs():
    """The ``larch.xafs`` module, imported on first use."""
    try:
        import larch.xafs as mod
    except ImportError as exc:
        raise MissingDependencyError(f"{_HINT} ({exc})") from None
    return mod


def group(**arrays):
    """A fresh ``larch.Group`` holding ``arrays`` (larch's functions write their outputs into it)."""
    try:
        from larch import Group
    except ImportError as exc:
        raise MissingDependencyError(f"{_HINT} ({exc})") from None
    return Group(**arrays)


def larch_version() -> str:
    """Version of the installed xraylarch (for provenance), '' when absent."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("xraylarch")
    except PackageNotFoundError:
        return ""


@contextlib.contextmanager
def quiet():
    """Swallow what larch prints on stdout (FEFF runs and some fits are chatty)."""
    # a real text stream: larch asks sys.stdout for its encoding (a StringIO has none)
    sink = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    with contextlib.redirect_stdout(sink):
        yield
