"""Text and notebook representations shared by the XRD Result classes."""

from __future__ import annotations

import html


class SummaryRepr:
    """``str``/``repr`` from ``summary()`` and an HTML table from ``to_frame()`` for notebooks."""

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.summary().splitlines()[0])}</pre>" + self.to_frame().to_html(index=False)
