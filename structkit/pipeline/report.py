"""``report.html``: one self-contained page that shows what a campaign run wrote.

:func:`write_report` reads an output directory of :func:`~structkit.pipeline.run_campaign`
(its CSV tables and ``figures/``) and the provenance dict of the run, and
writes ``<out_dir>/report.html`` atomically. The page opens from disk with no
network: CSS and the table-sorting script are inline, figures are embedded as
base64 ``data:`` URIs (PNG and SVG alike: an SVG shown through ``<img>`` cannot
run scripts or fetch anything, and its ids cannot clash with another
figure's), and a Content-Security-Policy forbids any other source.

Layout of the page:

* header: campaign, executor and workers, started/finished, structkit
  version, computed/cached/failed per technique;
* one section per technique (the keys of ``provenance["settings"]``): its
  settings, its tables, its summary notes, its figures;
* cross-technique: ``correlations.csv``, ``breakpoints_compared.csv`` and
  ``figures/analysis/``;
* descriptor tables, ``joined.csv``, failures, notes, provenance (versions,
  settings, input hashes, collapsed) and the list of output files.

Tables longer than ``max_rows`` show their first rows and name the CSV with
the full table; numbers are shown with 6 significant digits (the CSV keeps
full precision) and every column sorts by a click on its header (numbers
numerically, empty cells and NaN last). Summary figures of a technique (the
``"figure: <path>"`` messages of ``provenance["summaries"]``) are all
embedded; per-file figures up to ``max_file_figures`` per technique, the rest
are counted in a note. A missing or broken file is reported on the page, never
raised. The page depends only on the directory and the provenance: written
twice, it is the same bytes.

Examples
--------
>>> _cell("0.123456789"), _cell("300"), _cell(""), _cell("a<b")
('<td class="n" data-v="0.123456789">0.123457</td>', '<td class="n">300</td>', '<td></td>', '<td>a&lt;b</td>')
"""

from __future__ import annotations

import base64
import csv
import html
import json
import os
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core.atomic import atomic_write_text
from ..core.errors import ConfigError

__all__ = ["write_report", "render_report", "REPORT_NAME"]

#: File name of the page in the output directory.
REPORT_NAME = "report.html"

_CROSS_KEY = "analysis"   # technique_tables/summaries key of the cross-technique outputs
_CROSS_TABLES = ("correlations.csv", "breakpoints_compared.csv")
_DESCRIPTOR_TABLES = ("descriptors_wide.csv", "descriptors.csv")
_SPECIAL = {"joined.csv", "failures.csv", *_CROSS_TABLES, *_DESCRIPTOR_TABLES}
_FIGURE_TYPES = {".png": "image/png", ".svg": "image/svg+xml"}
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_PNG_END = b"IEND\xaeB`\x82"
_SIGNIFICANT = 6
_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d{1,15}")
_NAN = re.compile(r"[+-]?nan", re.IGNORECASE)
_INF = re.compile(r"([+-]?)inf(?:inity)?", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # not allowed in HTML text

_CSS = """
:root{--line:#d8dce3;--head:#eef1f6;--dim:#5a6270}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1d2430;
background:#fff;max-width:1250px;margin:0 auto;padding:1em 2em 3em}
h1{font-size:1.6em;margin:.3em 0 .4em}
h2{font-size:1.3em;border-bottom:2px solid var(--line);padding-bottom:.15em;margin-top:2.2em}
h3{font-size:1.08em;margin:1.4em 0 .4em}
h4{font-size:.98em;margin:1em 0 .3em}
.dim,.note{color:var(--dim)}
.note{font-style:italic;margin:.3em 0}
.bad{color:#a4161a}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}
pre{background:#f6f8fa;border:1px solid var(--line);padding:.6em;overflow-x:auto;white-space:pre-wrap}
.tw{overflow:auto;max-height:34em;border:1px solid var(--line);display:inline-block;max-width:100%}
table{border-collapse:collapse;font-size:12.5px}
th,td{border:1px solid var(--line);padding:2px 7px;text-align:left;vertical-align:top}
thead th{background:var(--head);position:sticky;top:0;white-space:nowrap}
table.sortable thead th{cursor:pointer;user-select:none}
table.sortable thead th::after{content:" \\2195";color:#9aa3b0}
table.sortable thead th[aria-sort=ascending]::after{content:" \\25B2";color:#1d2430}
table.sortable thead th[aria-sort=descending]::after{content:" \\25BC";color:#1d2430}
tbody tr:nth-child(even){background:#f9fafc}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.kv{margin:.3em 0}
table.kv th{background:var(--head);font-weight:600;white-space:nowrap}
.figs{display:flex;flex-wrap:wrap;gap:.8em}
figure{margin:0;width:560px;max-width:100%}
figure img{width:100%;height:auto;border:1px solid var(--line);background:#fff}
figcaption{font-size:12px;color:var(--dim);word-break:break-all}
nav ul{columns:3 14em;margin:.3em 0}
details{margin:.5em 0}
summary{cursor:pointer;font-weight:600}
@media print{
body{max-width:none;padding:0;font-size:11px}
nav{display:none}
.tw{max-height:none;overflow:visible;border:0}
thead th{position:static}
table.sortable thead th::after{content:""}
figure{width:48%;break-inside:avoid}
section{break-before:auto}
}
"""

_SCRIPT = """
(function(){
var NUM=/^[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?$/, INF=/^([+-]?)inf(inity)?$/i;
function key(td){
  if(!td){return [2,0,""];}
  var v=td.getAttribute("data-v");
  if(v===null){v=td.textContent;}
  v=v.trim();
  if(NUM.test(v)){return [0,Number(v),""];}
  var m=INF.exec(v);
  if(m){return [0,m[1]==="-"?-Infinity:Infinity,""];}
  if(v===""||/^[+-]?nan$/i.test(v)){return [2,0,""];}
  return [1,0,v];
}
function cmp(a,b){
  if(a[0]===0){return a[1]<b[1]?-1:(a[1]>b[1]?1:0);}
  if(a[0]===1){return a[2].localeCompare(b[2],undefined,{numeric:true,sensitivity:"base"});}
  return 0;
}
var tables=document.querySelectorAll("table.sortable");
Array.prototype.forEach.call(tables,function(t){
  if(!t.tHead||!t.tBodies.length){return;}
  var ths=t.tHead.rows[0].cells;
  Array.prototype.forEach.call(ths,function(th,i){
    th.title="click to sort";
    th.addEventListener("click",function(){
      var dir=th.getAttribute("aria-sort")==="ascending"?-1:1;
      Array.prototype.forEach.call(ths,function(h){h.removeAttribute("aria-sort");});
      th.setAttribute("aria-sort",dir===1?"ascending":"descending");
      var body=t.tBodies[0];
      var rows=Array.prototype.map.call(body.rows,function(r,j){return [key(r.cells[i]),j,r];});
      rows.sort(function(a,b){
        var ka=a[0],kb=b[0],c;
        if(ka[0]!==kb[0]){
          c=ka[0]-kb[0];
          return (ka[0]===2||kb[0]===2)?c:dir*c;
        }
        c=cmp(ka,kb);
        return c?dir*c:a[1]-b[1];
      });
      rows.forEach(function(r){body.appendChild(r[2]);});
    });
  });
});
})();
"""

_CSP = ("default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
        "base-uri 'none'; form-action 'none'")


# -- public API --------------------------------------------------------------------

def write_report(out_dir, provenance: Mapping, *, title: str | None = None, max_rows: int = 500,
                 max_file_figures: int = 12,
                 technique_tables: Mapping[str, Iterable[str]] | None = None,
                 max_figure_bytes: int = 10_000_000) -> Path:
    """Write ``<out_dir>/report.html``, a self-contained page of a campaign run.

    Parameters
    ----------
    out_dir : str or path-like
        The run's output directory (its CSVs and ``figures/`` are read).
    provenance : mapping
        The dict the runner writes to ``provenance.json``; missing keys are
        tolerated (the page then says less).
    title : str, optional
        Page title; default ``"structkit report: <campaign name>"``.
    max_rows : int
        Rows shown per table; longer tables show their first rows and a note
        naming the CSV with all of them.
    max_file_figures : int
        Per-file figures embedded per technique; the others are counted in a
        note. Summary figures are always embedded.
    technique_tables : mapping of str to list of str, optional
        ``{technique: [CSV names it wrote]}``. Without it, a CSV goes to the
        technique whose input files its ``file`` column names (or whose name
        it starts with); other CSVs go to an "Other tables" section.
    max_figure_bytes : int
        A figure file larger than this is not embedded (a note names it).

    Returns
    -------
    pathlib.Path
        The page written.

    Raises
    ------
    ConfigError
        For a negative ``max_rows``/``max_file_figures``/``max_figure_bytes``.
    WriteError
        If the page cannot be written.
    """
    out_dir = Path(out_dir)
    text = render_report(out_dir, provenance, title=title, max_rows=max_rows,
                         max_file_figures=max_file_figures, technique_tables=technique_tables,
                         max_figure_bytes=max_figure_bytes)
    return atomic_write_text(out_dir / REPORT_NAME, text)


def render_report(out_dir, provenance: Mapping, *, title: str | None = None, max_rows: int = 500,
                  max_file_figures: int = 12,
                  technique_tables: Mapping[str, Iterable[str]] | None = None,
                  max_figure_bytes: int = 10_000_000) -> str:
    """The text of the page :func:`write_report` writes (nothing is written)."""
    for name, value in (("max_rows", max_rows), ("max_file_figures", max_file_figures),
                        ("max_figure_bytes", max_figure_bytes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"write_report: {name} must be a non-negative integer, got {value!r}")
    prov = provenance if isinstance(provenance, Mapping) else {}
    return _Page(Path(out_dir), prov, title, max_rows, max_file_figures, technique_tables,
                 max_figure_bytes).render()


# -- small helpers -------------------------------------------------------------------

def _e(text) -> str:
    return html.escape(_CONTROL.sub("\ufffd", "" if text is None else str(text)), quote=True)


def _mapping(value) -> Mapping:
    return value if isinstance(value, Mapping) else {}


def _list(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else []


def _json(value) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _scalar(value) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _cell(raw: str, real: bool = False) -> str:
    """One ``<td>``: numbers to 6 significant digits (full value in ``data-v`` for sorting).

    Integers are shown as written, unless ``real`` (a column of real numbers).
    """
    s = raw.strip()
    if _NUMBER.fullmatch(s):
        if not real and _INTEGER.fullmatch(s):
            return f'<td class="n">{_e(s)}</td>'
        shown = format(float(s), f".{_SIGNIFICANT}g")
        if shown == s:
            return f'<td class="n">{_e(s)}</td>'
        return f'<td class="n" data-v="{_e(s)}">{_e(shown)}</td>'
    if _NAN.fullmatch(s):
        return '<td class="n">NaN</td>'
    m = _INF.fullmatch(s)
    if m:
        return f'<td class="n">{"-" if m.group(1) == "-" else ""}inf</td>'
    return f"<td>{_e(raw)}</td>"


def _is_real(raw: str) -> bool:
    s = raw.strip()
    return bool(_NUMBER.fullmatch(s) and not _INTEGER.fullmatch(s) or _NAN.fullmatch(s) or _INF.fullmatch(s))


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    for unit in ("kB", "MB", "GB"):
        n /= 1024
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}"
    return ""  # pragma: no cover


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


@dataclass
class _Table:
    """The head of a CSV file (at most ``max_rows`` rows) and its row count."""

    name: str
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    n_rows: int = 0
    error: str | None = None
    files: set[str] = field(default_factory=set)   # values of its "file" column


def _read_csv(path: Path, max_rows: int) -> _Table:
    table = _Table(path.name)
    if not path.is_file():
        table.error = "not found"
        return table
    try:
        with open(path, encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            if header is None:
                table.error = "empty file (no header)"
                return table
            table.header = header
            icol = header.index("file") if "file" in header else None
            for row in reader:
                if not row:
                    continue
                table.n_rows += 1
                if table.n_rows <= max_rows:
                    table.rows.append(row)
                if icol is not None and icol < len(row) and row[icol]:
                    table.files.add(row[icol])
    except (OSError, csv.Error) as exc:
        table.error = f"cannot be read completely ({type(exc).__name__}: {exc})"
    return table


def _render_rows(header: list[str], rows: list[list[str]], *, sortable: bool = True) -> str:
    width = max([len(header), *(len(r) for r in rows)])
    header = header + [""] * (width - len(header))
    cls = ' class="sortable"' if sortable else ""
    out = [f'<div class="tw"><table{cls}><thead><tr>']
    out.append("".join(f"<th>{_e(h)}</th>" for h in header))
    out.append("</tr></thead><tbody>\n")
    rows = [row + [""] * (width - len(row)) for row in rows]
    real = [any(_is_real(row[i]) for row in rows) for i in range(width)]
    for row in rows:
        out.append("<tr>" + "".join(_cell(c, r) for c, r in zip(row, real)) + "</tr>\n")
    out.append("</tbody></table></div>")
    return "".join(out)


def _kv_table(items: Iterable[tuple[str, object]]) -> str:
    rows = [f"<tr><th>{_e(k)}</th><td>{_e(_scalar(v))}</td></tr>" for k, v in items]
    if not rows:
        return '<p class="note">none</p>'
    return '<table class="kv"><tbody>' + "".join(rows) + "</tbody></table>"


def _rel_figure(out_dir: Path, text: str) -> str | None:
    """A figure path from provenance as a POSIX path relative to ``out_dir`` (None if outside)."""
    p = Path(text)
    if p.is_absolute():
        for base in (out_dir, out_dir.resolve()):
            try:
                p = p.relative_to(base)
                break
            except ValueError:
                continue
        else:
            return None
    rel = posixpath.normpath(p.as_posix())
    if rel.startswith("../") or rel == "..":
        return None
    return rel


def _walk_figures(out_dir: Path) -> list[str]:
    """Every PNG/SVG under ``out_dir/figures`` as a sorted POSIX path relative to ``out_dir``."""
    root = out_dir / "figures"
    found = []
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in _FIGURE_TYPES:
                found.append(Path(dirpath, name).relative_to(out_dir).as_posix())
    return sorted(found)


def _anchor(name: str, taken: set[str]) -> str:
    base = "s-" + re.sub(r"[^A-Za-z0-9_-]", "_", name)
    anchor, i = base, 2
    while anchor in taken:
        anchor, i = f"{base}-{i}", i + 1
    taken.add(anchor)
    return anchor


# -- the page -------------------------------------------------------------------------

class _Page:
    def __init__(self, out_dir: Path, prov: Mapping, title, max_rows, max_file_figures,
                 technique_tables, max_figure_bytes):
        self.out = out_dir
        self.prov = prov
        self.max_rows = max_rows
        self.max_file_figures = max_file_figures
        self.max_figure_bytes = max_figure_bytes
        campaign = _mapping(prov.get("campaign"))
        self.name = str(campaign.get("name") or out_dir.name)
        self.title = title if title is not None else f"structkit report: {self.name}"
        self.settings = _mapping(prov.get("settings"))
        self.techniques = [str(t) for t in self.settings]
        self.inputs = [e for e in _list(prov.get("inputs")) if isinstance(e, Mapping)]
        self._tables: dict[str, _Table] = {}
        self.anchors: set[str] = set()
        self.toc: list[tuple[str, str]] = []
        # CSVs: those the provenance lists, else those in the folder
        if "outputs" in prov:
            names = [str(o) for o in _list(prov.get("outputs"))]
            self.csvs = sorted({n for n in names if n.endswith(".csv") and "/" not in n and "\\" not in n})
        else:
            self.csvs = sorted(p.name for p in out_dir.glob("*.csv") if p.is_file())
        # "analysis" (correlations, breakpoints compared) is the cross-technique section
        self.cross = _CROSS_KEY not in self.settings
        self.tech_tables, self.other_tables = self._assign_tables(technique_tables)
        self.cross_tables = self.tech_tables.pop(_CROSS_KEY, []) if self.cross else []
        summaries = _mapping(prov.get("summaries"))
        extra = {*self.tech_tables, *(str(k) for k in summaries)} - set(self.techniques)
        self.techniques += sorted(extra - ({_CROSS_KEY} if self.cross else set()))
        # figures
        self.figures = _walk_figures(out_dir)
        self.summary_figures: dict[str, list[str]] = {}
        self.summary_outside: dict[str, list[str]] = {}
        self.summary_text: dict[str, list[str]] = {}
        for t in [*self.techniques, *([_CROSS_KEY] if self.cross else [])]:
            figs, outside, text = [], [], []
            for m in _list(_mapping(summaries.get(t)).get("messages")):
                m = str(m)
                if m.startswith("figure: "):
                    rel = _rel_figure(out_dir, m[len("figure: "):].strip())
                    if rel is None:
                        outside.append(m[len("figure: "):].strip())
                    elif rel not in figs:
                        figs.append(rel)
                else:
                    text.append(m)
            self.summary_figures[t], self.summary_outside[t], self.summary_text[t] = figs, outside, text
        self.taken_figures = {f for figs in self.summary_figures.values() for f in figs}

    # -- tables --

    def table(self, name: str) -> _Table:
        if name not in self._tables:
            self._tables[name] = _read_csv(self.out / name, self.max_rows)
        return self._tables[name]

    def _assign_tables(self, technique_tables):
        assigned: dict[str, list[str]] = {}
        used: set[str] = set()
        if technique_tables is not None:
            order = [t for t in self.techniques if t in technique_tables]
            order += sorted((t for t in technique_tables if t not in self.techniques), key=str)
            for t in order:
                names = technique_tables[t]
                names = [names] if isinstance(names, str) else list(names or ())
                special = set() if (t == _CROSS_KEY and self.cross) else _SPECIAL
                for n in (str(n) for n in names):
                    if n not in used and n not in special and "/" not in n and "\\" not in n:
                        assigned.setdefault(str(t), []).append(n)
                        used.add(n)
            others = [n for n in self.csvs if n not in used and n not in _SPECIAL]
            return assigned, others
        files_of: dict[str, set[str]] = {}
        for e in self.inputs:
            files_of.setdefault(str(e.get("technique")), set()).add(str(e.get("file")))
        others = []
        for n in self.csvs:
            if n in _SPECIAL:
                continue
            stem = n[:-4]
            tab = self.table(n)
            owner = None
            if tab.files:
                owner = next((t for t in self.techniques if tab.files <= files_of.get(t, set())), None)
            if owner is None:
                owner = next((t for t in self.techniques if stem == t or stem.startswith(t + "_")), None)
            if owner is None:
                others.append(n)
            else:
                assigned.setdefault(owner, []).append(n)
        return assigned, others

    def render_table(self, name: str, *, level: int = 4, empty_text: str = "no rows",
                     missing_text: str | None = None) -> str:
        tab = self.table(name)
        head = f"<h{level}>{_e(name)}"
        if tab.header:
            head += (f' <span class="dim">({_plural(tab.n_rows, "row")} &times; '
                     f'{_plural(len(tab.header), "column")})</span>')
        head += f"</h{level}>"
        if tab.error == "not found":
            return head + f'<p class="note">{_e(missing_text or f"{name} was not found")}</p>'
        parts = [head]
        if tab.error:
            parts.append(f'<p class="bad">{_e(name)}: {_e(tab.error)}</p>')
        if tab.header and tab.n_rows == 0 and not tab.error:
            parts.append(f'<p class="note">{_e(empty_text)}</p>')
        elif tab.header and tab.rows:
            parts.append(_render_rows(tab.header, tab.rows))
            if tab.n_rows > len(tab.rows):
                parts.append(f'<p class="note">showing the first {len(tab.rows)} of {tab.n_rows} rows; '
                             f"the full table is in {_e(name)}</p>")
        return "\n".join(parts)

    # -- figures --

    def figure(self, rel: str) -> str:
        path = self.out / rel
        mime = _FIGURE_TYPES.get(Path(rel).suffix.lower())
        if mime is None:
            return f'<p class="note">figure {_e(rel)} is not PNG or SVG: not embedded (see the file)</p>'
        try:
            size = path.stat().st_size
            if size > self.max_figure_bytes:
                return (f'<p class="note">figure {_e(rel)} is too large to embed '
                        f"({_size(size)}): see the file</p>")
            data = path.read_bytes()
        except OSError as exc:
            return f'<p class="bad">figure {_e(rel)} could not be read: {_e(exc.strerror or exc)}</p>'
        problem = None
        if mime == "image/png":
            if not data.startswith(_PNG_SIGNATURE):
                problem = "not a PNG file"
            elif not data.rstrip(b"\0").endswith(_PNG_END):
                problem = "truncated PNG file"
        elif b"<svg" not in data[:65536]:
            problem = "not an SVG file"
        if problem:
            return f'<p class="bad">figure {_e(rel)} could not be embedded: {problem}</p>'
        b64 = base64.b64encode(data).decode("ascii")
        return (f'<figure><img src="data:{mime};base64,{b64}" alt="{_e(posixpath.basename(rel))}">'
                f"<figcaption>{_e(rel)}</figcaption></figure>")

    def figures_block(self, rels: list[str]) -> str:
        return '<div class="figs">\n' + "\n".join(self.figure(r) for r in rels) + "\n</div>" if rels else ""

    def file_figures(self, rels: list[str], where: str, cap: int | None) -> list[str]:
        parts = []
        shown = rels if cap is None else rels[:cap]
        if shown:
            parts.append(self.figures_block(shown))
        if len(rels) > len(shown):
            n = len(rels) - len(shown)
            parts.append(f'<p class="note">{n} more per-file figure{"" if n == 1 else "s"} in '
                         f"{_e(where)} (not embedded)</p>")
        return parts

    # -- sections --

    def section(self, title: str, body: list[str]) -> str:
        anchor = _anchor(title, self.anchors)
        self.toc.append((anchor, title))
        return f'<section id="{anchor}">\n<h2>{_e(title)}</h2>\n' + "\n".join(body) + "\n</section>"

    def header(self) -> str:
        p, c = self.prov, _mapping(self.prov.get("campaign"))
        workers = c.get("workers")
        req = c.get("workers_requested")
        wtext = "" if workers is None else str(workers)
        if req is not None and req != workers:
            wtext += f" ({req} requested)"
        items = [("campaign", self.name), ("campaign file", c.get("file")), ("output", c.get("output")),
                 ("executor", c.get("executor")), ("workers", wtext or None),
                 ("started", p.get("started")), ("finished", p.get("finished")),
                 ("structkit", p.get("structkit_version"))]
        parts = ["<header>", f"<h1>{_e(self.title)}</h1>",
                 _kv_table((k, v) for k, v in items if v is not None)]
        per = _mapping(p.get("per_technique"))
        if not per and self.inputs:
            per = {}
            for e in self.inputs:
                d = per.setdefault(str(e.get("technique")), {"computed": 0, "cached": 0, "failed": 0})
                if e.get("status") in d:
                    d[e.get("status")] += 1
        rows = []
        tot = [0, 0, 0]
        for t, cnt in per.items():
            cnt = _mapping(cnt)
            vals = [cnt.get(k, 0) for k in ("computed", "cached", "failed")]
            rows.append([str(t), *(str(v) for v in vals)])
            for i, v in enumerate(vals):
                tot[i] += v if isinstance(v, int) else 0
        if rows:
            parts.append("<h3>Tasks</h3>")
            counts = _mapping(p.get("counts"))
            total = [counts.get(k, tot[i]) for i, k in enumerate(("computed", "cached", "failed"))]
            rows.append(["total", *(str(v) for v in total)])
            parts.append(_render_rows(["technique", "computed", "cached", "failed"], rows, sortable=False))
        n_fail = len(_list(p.get("failures")))
        if n_fail:
            parts.append(f'<p class="bad">{_plural(n_fail, "failure")}: see Failures below</p>')
        parts.append("</header>")
        return "\n".join(parts)

    def technique_section(self, tech: str) -> str:
        body = []
        cnt = _mapping(_mapping(self.prov.get("per_technique")).get(tech))
        if cnt:
            body.append('<p class="dim">' + ", ".join(f"{cnt.get(k, 0)} {k}" for k in
                                                      ("computed", "cached", "failed")) + "</p>")
        body.append("<h3>Settings</h3>")
        if tech in self.settings:
            s = _mapping(self.settings.get(tech))
            body.append(_kv_table(sorted(s.items())) if s else '<p class="note">no settings (defaults)</p>')
        else:
            body.append('<p class="note">no settings recorded</p>')
        names = self.tech_tables.get(tech, [])
        body.append("<h3>Tables</h3>")
        if names:
            body.extend(self.render_table(n) for n in names)
        else:
            body.append('<p class="note">no tables</p>')
        notes = self.summary_text.get(tech, [])
        if notes:
            body.append("<h3>Summary notes</h3><ul>" + "".join(f"<li>{_e(m)}</li>" for m in notes) + "</ul>")
        file_msgs = [(str(e.get("file")), str(m)) for e in self.inputs if e.get("technique") == tech
                     for m in _list(e.get("messages"))]
        if file_msgs:
            body.append(f"<details><summary>Messages from the files ({len(file_msgs)})</summary><ul>"
                        + "".join(f"<li><code>{_e(f)}</code>: {_e(m)}</li>" for f, m in file_msgs)
                        + "</ul></details>")
        body.append("<h3>Figures</h3>")
        per_file = [f for f in self.figures if f.startswith(f"figures/{tech}/") and f not in self.taken_figures]
        self.taken_figures.update(per_file)
        summary = self.summary_figure_parts(tech)
        if not summary and not per_file:
            body.append('<p class="note">no figures</p>')
        if summary:
            body.append("<h4>Summary</h4>")
            body.extend(summary)
        if per_file:
            body.append("<h4>Per file</h4>")
            body.extend(self.file_figures(per_file, f"figures/{tech}/", self.max_file_figures))
        return self.section(tech, body)

    def summary_figure_parts(self, key: str) -> list[str]:
        """The summary figures of ``key`` embedded; missing ones and those outside reported."""
        summary = self.summary_figures.get(key, [])
        missing = [f for f in summary if not (self.out / f).is_file()]
        present = [f for f in summary if f not in missing]
        parts = [self.figures_block(present)] if present else []
        parts += [f'<p class="bad">summary figure {_e(f)} is missing</p>' for f in missing]
        parts += [f'<p class="note">summary figure {_e(f)} is outside the output directory: not embedded</p>'
                  for f in self.summary_outside.get(key, [])]
        return parts

    def cross_section(self) -> str | None:
        names = list(self.cross_tables)
        names += [n for n in _CROSS_TABLES if n not in names and (n in self.csvs or (self.out / n).is_file())]
        figs = [f for f in self.figures if f.startswith("figures/analysis/") and f not in self.taken_figures]
        self.taken_figures.update(figs)
        summary = self.summary_figure_parts(_CROSS_KEY) if self.cross else []
        notes = self.summary_text.get(_CROSS_KEY, []) if self.cross else []
        if not names and not figs and not summary and not notes:
            return None
        body = [self.render_table(n, level=3) for n in names]
        if notes:
            body.append("<h3>Notes</h3><ul>" + "".join(f"<li>{_e(m)}</li>" for m in notes) + "</ul>")
        if summary or figs:
            body.append("<h3>Figures</h3>")
            body.extend(summary)
            if figs:
                body.append(self.figures_block(figs))
        return self.section("Cross-technique", body)

    def other_figures_section(self) -> str | None:
        known = {f"figures/{t}/" for t in self.techniques} | {"figures/analysis/"}
        groups: dict[str, list[str]] = {}
        for f in self.figures:
            if f in self.taken_figures:
                continue
            parts = f.split("/")
            folder = "/".join(parts[:2]) + "/" if len(parts) > 2 else "figures/"
            if folder not in known:
                groups.setdefault(folder, []).append(f)
        if not groups:
            return None
        body = []
        for folder in sorted(groups):
            body.append(f"<h3>{_e(folder)}</h3>")
            body.extend(self.file_figures(groups[folder], folder, self.max_file_figures))
        return self.section("Other figures", body)

    def failures_section(self) -> str:
        body = []
        tab = self.table("failures.csv")
        if tab.error == "not found":
            fails = [f for f in _list(self.prov.get("failures")) if isinstance(f, Mapping)]
            if fails:
                cols = ["file", "technique", "error", "message"]
                body.append(_render_rows(cols, [[_scalar(f.get(c, "")) for c in cols] for f in fails]))
                body.append('<p class="note">failures.csv was not found; these are the failures '
                            "recorded in the provenance</p>")
            else:
                body.append('<p class="note">no failures</p>')
        elif tab.n_rows == 0 and not tab.error:
            body.append('<p class="note">no failures</p>')
        else:
            body.append(self.render_table("failures.csv"))
        tracebacks = [(str(k), str(v)) for k, v in _mapping(self.prov.get("errors")).items()]
        tracebacks += [(f"{e.get('technique')} {e.get('file')}", str(e.get("traceback")))
                       for e in self.inputs if e.get("traceback")]
        if tracebacks:
            body.append(f"<details><summary>Tracebacks ({len(tracebacks)})</summary>")
            for k, v in sorted(tracebacks):
                body.append(f"<h4>{_e(k)}</h4><pre>{_e(v)}</pre>")
            body.append("</details>")
        return self.section("Failures", body)

    def provenance_section(self) -> str:
        p, c = self.prov, _mapping(self.prov.get("campaign"))
        body = ["<h3>Versions</h3>",
                _kv_table(sorted(_mapping(p.get("versions")).items()))]
        body.append("<h3>Campaign</h3>")
        body.append(_kv_table(sorted(c.items())))
        join = _mapping(p.get("join"))
        if join:
            body.append("<h3>Join</h3>")
            body.append(_kv_table(sorted(join.items())))
        body.append(f"<details><summary>Settings (JSON)</summary><pre>{_e(_json(dict(self.settings)))}</pre>"
                    "</details>")
        rows = [[str(e.get(k, "") if e.get(k) is not None else "") for k in
                 ("technique", "file", "status", "sha256")] for e in self.inputs]
        body.append(f"<details><summary>Input files and their SHA-256 ({len(rows)})</summary>")
        if rows:
            body.append(_render_rows(["technique", "file", "status", "sha256"], rows[:self.max_rows]))
            if len(rows) > self.max_rows:
                body.append(f'<p class="note">showing the first {self.max_rows} of {len(rows)} input files; '
                            "all are listed in provenance.json</p>")
        else:
            body.append('<p class="note">no input files recorded</p>')
        body.append("</details>")
        return self.section("Provenance", body)

    def outputs_section(self) -> str:
        names = [str(o) for o in _list(self.prov.get("outputs"))] or self.csvs
        names = sorted(set(names) | {REPORT_NAME})
        items = []
        for n in names:
            if n == REPORT_NAME:
                items.append(f"<li><code>{_e(n)}</code> <span class=\"dim\">(this page)</span></li>")
                continue
            path = self.out / n
            info = _size(path.stat().st_size) if path.is_file() else "missing"
            items.append(f"<li><code>{_e(n)}</code> <span class=\"dim\">({info})</span></li>")
        if self.figures:
            items.append(f"<li><code>figures/</code> <span class=\"dim\">"
                         f"({_plural(len(self.figures), 'PNG/SVG figure')})</span></li>")
        return self.section("Output files", ["<ul>" + "".join(items) + "</ul>"])

    def render(self) -> str:
        sections = [self.technique_section(t) for t in self.techniques]
        cross = self.cross_section()
        if cross:
            sections.append(cross)
        other_figs = self.other_figures_section()
        if other_figs:
            sections.append(other_figs)
        if self.other_tables:
            sections.append(self.section("Other tables", [self.render_table(n, level=3)
                                                          for n in self.other_tables]))
        desc = [n for n in _DESCRIPTOR_TABLES if n in self.csvs or (self.out / n).is_file()]
        if desc:
            sections.append(self.section("Descriptors", [self.render_table(n, level=3) for n in desc]))
        sections.append(self.section("Joined table", [self.render_table(
            "joined.csv", level=3, missing_text="joined.csv was not written (see Notes)")]))
        sections.append(self.failures_section())
        notes = [str(n) for n in _list(self.prov.get("notes"))]
        sections.append(self.section("Notes", ["<ul>" + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>"
                                               if notes else '<p class="note">no notes</p>']))
        sections.append(self.provenance_section())
        sections.append(self.outputs_section())
        toc = "<nav><h3>Contents</h3><ul>" + "".join(
            f'<li><a href="#{a}">{_e(t)}</a></li>' for a, t in self.toc) + "</ul></nav>"
        head = ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                f"<meta http-equiv=\"Content-Security-Policy\" content=\"{_CSP}\">\n"
                "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                "<meta name=\"generator\" content=\"structkit\">\n"
                f"<title>{_e(self.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>")
        return "\n".join([head, self.header(), toc, *sections, f"<script>{_SCRIPT}</script>",
                          "</body>\n</html>\n"])
