"""Text and notebook representations shared by the Result classes of every technique."""

from __future__ import annotations

import html


class SummaryRepr:
    """``str``/``repr`` from ``summary()`` and an HTML table from ``to_frame()`` for notebooks.

    The HTML shows the first ``_html_summary_lines`` lines of the summary above the table
    (the rest of a long summary is the table again); None shows it all.
    """

    _html_summary_lines: int | None = 1

    def __str__(self) -> str:
        return self.summary()

    def __repr__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        head = "\n".join(self.summary().splitlines()[:self._html_summary_lines])
        return f"<pre>{html.escape(head)}</pre>" + self.to_frame().to_html(index=False)
