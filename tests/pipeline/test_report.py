"""report.html: self-contained, complete, capped, sortable, balanced, escaped and deterministic."""

import base64
import copy
import csv
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from structkit.core import ConfigError
from structkit.pipeline.report import render_report, write_report

NASTY = '<script>alert("x")</script> & Co\'s'
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


# -- a hand-made output directory ----------------------------------------------------

def _png(path: Path, label: str) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.2, 0.9), dpi=40)
    ax = fig.add_subplot()
    ax.plot([0, 1], [0, len(label)])
    ax.set_title(label, fontsize=6)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")


def _svg(path: Path) -> None:
    from matplotlib.figure import Figure

    fig = Figure(figsize=(1.2, 0.9))
    fig.add_subplot().plot([0, 1], [1, 0])
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="svg", metadata={"Date": None})


def _csv(path: Path, header, rows) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    """An output directory shaped like the runner's, and its provenance."""
    out = tmp_path_factory.mktemp("run") / "out"
    out.mkdir()
    xrd_files = [f"xrd/S{i}_{300 + 10 * i}K.xy" for i in range(4)]
    eis_files = [f"eis/S{i}_{300 + 10 * i}K.txt" for i in range(3)]
    _csv(out / "cells.csv", ["file", "sample", "temperature_K", "a_angstrom", "note"],
         [[f, NASTY if i == 0 else f"S{i}", 300 + 10 * i, 10.123456789 + i if i != 2 else "", "nan" if i == 3
           else "ok"] for i, f in enumerate(xrd_files)])
    _csv(out / "sigma.csv", ["file", "sample", "temperature_K", "sigma_S_per_cm"],
         [[f, f"S{i}", 300 + 10 * i, 1.234567891e-4 * (i + 1)] for i, f in enumerate(eis_files)])
    _csv(out / "arrhenius.csv", ["sample", "Ea_eV", "Ea_stderr_eV"], [["S0", 0.3123456789, 0.0041]])
    _csv(out / "big.csv", ["id", "value"], [[f"row-{i:04d}", i * 0.5] for i in range(1200)])
    _csv(out / "joined.csv", ["sample", "temperature_K", "sigma_S_per_cm"], [["S0", 300, 1.2e-4]])
    _csv(out / "correlations.csv", ["x", "y", "spearman_rho"], [["a_angstrom", "sigma_S_per_cm", 0.876543219]])
    _csv(out / "breakpoint_events.csv", ["sample", "technique", "temperature_K"], [["S0", "xrd", 350.5]])
    _csv(out / "failures.csv", ["file", "technique", "error", "message"], [])
    _csv(out / "descriptors.csv", ["sample", "technique", "name", "value"], [["S0", "xrd", "a", 10.1]])
    (out / "empty.csv").write_text("")
    # figures: 16 per-file XRD figures + a broken one, an XRD summary, EIS per-file + SVG summary,
    # a cross-technique figure and a stale folder of another technique
    for i in range(16):
        _png(out / "figures" / "xrd" / f"S{i:02d}_lebail.png", f"xrd {i}")
    (out / "figures" / "xrd" / "A_broken.png").write_bytes(b"this is not a png")
    _png(out / "figures" / "xrd" / "expansion_S0.png", "expansion")
    _png(out / "figures" / "conductivity" / "S0_nyquist.png", "nyquist")
    _svg(out / "figures" / "conductivity" / "arrhenius_S0.svg")
    _png(out / "figures" / "analysis" / "correlations.png", "corr")
    _png(out / "figures" / "analysis" / "breakpoints.png", "breakpoints")
    _png(out / "figures" / "raman" / "old.png", "stale")
    inputs = [{"technique": "conductivity", "file": f, "sha256": f"{i:064x}", "key": "k", "status": "computed"}
              for i, f in enumerate(eis_files)]
    inputs += [{"technique": "xrd", "file": f, "sha256": f"{i + 9:064x}", "key": "k", "status": "cached",
                **({"messages": ["warning: <odd> peak"]} if i == 1 else {})} for i, f in enumerate(xrd_files)]
    outputs = sorted(["breakpoint_events.csv", "cells.csv", "sigma.csv", "arrhenius.csv", "big.csv", "joined.csv", "correlations.csv",
                      "failures.csv", "descriptors.csv", "empty.csv", "missing.csv", "provenance.json"])
    prov = {
        "structkit_version": "0.9.0",
        "versions": {"python": "3.12.1", "structkit": "0.9.0", "numpy": "2.0", "pandas": None},
        "campaign": {"name": "NTC <milling> & co", "file": "/data/campaign.toml", "sha256": "ab" * 32,
                     "output": str(out), "executor": "process", "workers_requested": 8, "workers": 4},
        "settings": {"conductivity": {"thickness_cm": 0.1, "diameter_cm": 0.5, "arrhenius": {"regimes": "auto"}},
                     "xrd": {"phases": [{"space_group": "P 1 21/c 1"}], "figures": True}},
        "join": {"descriptors": [], "form": "sigmaT", "regimes": None, "temperature_K": None},
        "inputs": inputs,
        "summaries": {"conductivity": {"messages": ["S1: one regime only",
                                                    "figure: figures/conductivity/arrhenius_S0.svg"]},
                      "xrd": {"messages": [f"figure: {(out / 'figures/xrd/expansion_S0.png').as_posix()}",
                                           "figure: figures/xrd/gone.png"]},
                      "analysis": {"messages": ["12 combination(s) not computed",
                                                "figure: figures/analysis/breakpoints.png"]}},
        "errors": {},
        "counts": {"computed": 3, "cached": 4, "failed": 0},
        "per_technique": {"conductivity": {"computed": 3, "cached": 0, "failed": 0},
                          "xrd": {"computed": 0, "cached": 4, "failed": 0}},
        "failures": [],
        "notes": ["descriptors.parquet not written: pyarrow is not installed"],
        "outputs": outputs,
        "started": "2025-01-01T00:00:00+00:00",
        "finished": "2025-01-01T00:01:00+00:00",
    }
    return out, prov


TABLES = {"xrd": ["cells.csv"], "conductivity": ["sigma.csv", "arrhenius.csv", "big.csv"],
          "analysis": ["correlations.csv", "breakpoint_events.csv", "breakpoints_compared.csv"]}


@pytest.fixture(scope="module")
def page(out):
    d, prov = out
    path = write_report(d, prov, technique_tables=TABLES)
    assert path == d / "report.html"
    return path.read_text(encoding="utf-8")


# -- helpers ---------------------------------------------------------------------------

class _Collector(HTMLParser):
    """Tags with their attributes, and whether opening and closing tags balance."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.tags = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1] if self.stack else 'nothing'}")
        else:
            self.stack.pop()


def parse(text):
    p = _Collector()
    p.feed(text)
    p.close()
    return p


def images(text) -> list[bytes]:
    """The bytes of every embedded image, in page order."""
    out = []
    for tag, attrs in parse(text).tags:
        if tag == "img":
            m = re.fullmatch(r"data:image/(?:png|svg\+xml);base64,([A-Za-z0-9+/=]+)", attrs["src"])
            assert m, attrs["src"][:60]
            out.append(base64.b64decode(m.group(1), validate=True))
    return out


def section(text, title) -> str:
    anchor = "s-" + re.sub(r"[^A-Za-z0-9_-]", "_", title)
    start = text.index(f'<section id="{anchor}">')
    return text[start:text.index("</section>", start)]


# -- tests -------------------------------------------------------------------------------

def test_page_is_self_contained(page):
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page.lower()
    tags = parse(page).tags
    for tag, attrs in tags:
        assert tag != "script" or "src" not in attrs
        if "src" in attrs:
            assert attrs["src"].startswith("data:"), (tag, attrs["src"][:60])
        if "href" in attrs:
            assert attrs["href"].startswith("#"), attrs["href"]
    assert not re.search(r'\ssrc="(?!data:)', page)
    assert "Content-Security-Policy" in page


def test_embedded_figures_are_the_files(out, page):
    d, _ = out
    files = {p.relative_to(d).as_posix(): p.read_bytes() for p in sorted((d / "figures").rglob("*"))
             if p.is_file()}
    by_bytes = {v: k for k, v in files.items()}
    embedded = [by_bytes[b] for b in images(page)]        # KeyError: not a figure file's bytes
    assert len(embedded) == len(set(embedded))              # nothing twice
    # summary figures (an absolute and a relative path in the provenance, PNG and SVG): all embedded
    assert {"figures/xrd/expansion_S0.png", "figures/conductivity/arrhenius_S0.svg",
            "figures/analysis/correlations.png", "figures/raman/old.png"} <= set(embedded)
    # every figure is embedded, reported as broken, or counted in a "more" note of its folder
    counted = {folder: int(n) for n, folder in
               re.findall(r"(\d+) more per-file figures? in (figures/[^ ]+/)", page)}
    broken = set(re.findall(r"figure (figures/\S+) could not be embedded", page))
    assert broken == {"figures/xrd/A_broken.png"}
    for folder in sorted({f.rsplit("/", 1)[0] + "/" for f in files}):
        in_folder = [f for f in files if f.startswith(folder)]
        shown = [f for f in in_folder if f in embedded or f in broken]
        assert len(shown) + counted.get(folder, 0) == len(in_folder), folder
    assert counted == {"figures/xrd/": 5}
    assert "summary figure figures/xrd/gone.png is missing" in page


def test_per_file_figure_cap(out):
    d, prov = out
    for cap in (0, 3):
        text = render_report(d, prov, max_file_figures=cap)
        xrd = section(text, "xrd")
        n_per_file = len(re.findall(r"<figcaption>figures/xrd/S\d\d_lebail.png", xrd))
        assert n_per_file == max(cap - 1, 0)            # the broken file takes one slot of the cap
        assert f"{17 - cap} more per-file figures in figures/xrd/" in xrd
        assert "figures/xrd/expansion_S0.png" in xrd     # summary figures are not capped


def test_tables_sortable_and_truncated(page):
    assert 'class="sortable"' in page and "table.sortable" in page and "addEventListener" in page
    assert "showing the first 500 of 1200 rows; the full table is in big.csv" in page
    assert "row-0499" in page and "row-0500" not in page
    assert "1200 rows &times; 2 columns" in page
    # 6 significant digits shown, full precision kept for sorting
    assert '<td class="n" data-v="0.3123456789">0.312346</td>' in page
    assert '<td class="n">NaN</td>' in page                  # a "nan" cell
    assert "<td></td>" in page                               # an empty (NaN) cell
    assert '<td class="n">300</td>' in page                  # integers as written ...


def test_integers_in_a_column_of_reals_are_rounded_too(tmp_path):
    _csv(tmp_path / "t.csv", ["n", "r"], [[20240101, 6373418973], [7, 0.5]])
    text = render_report(tmp_path, {"outputs": ["t.csv"]})
    assert '<td class="n">20240101</td>' in text
    assert '<td class="n" data-v="6373418973">6.37342e+09</td>' in text


def test_tables_go_to_their_sections(out, page):
    d, prov = out
    assert "cells.csv" in section(page, "xrd") and "arrhenius.csv" in section(page, "conductivity")
    cross = section(page, "Cross-technique")
    assert "0.876543" in cross and "breakpoint_events.csv" in cross and "350.5" in cross
    assert "12 combination(s) not computed" in cross
    assert "<figcaption>figures/analysis/breakpoints.png" in cross
    assert "breakpoints_compared.csv was not found" in cross     # listed by the runner, not written
    assert 'id="s-analysis"' not in page                         # no section of its own
    assert "empty.csv" in section(page, "Other tables")
    assert "missing.csv was not found" in section(page, "Other tables")
    # without the mapping: per-file tables by their file column, the rest under "Other tables"
    text = render_report(d, prov)
    assert "cells.csv" in section(text, "xrd") and "sigma.csv" in section(text, "conductivity")
    assert "arrhenius.csv" in section(text, "Other tables")
    assert "breakpoint_events.csv" in section(text, "Other tables")
    assert "<figcaption>figures/analysis/breakpoints.png" in section(text, "Cross-technique")


def test_header_settings_provenance(page):
    head = page[:page.index("<nav>")]
    for s in ("NTC &lt;milling&gt; &amp; co", "process", "4 (8 requested)", "2025-01-01T00:00:00+00:00",
              "2025-01-01T00:01:00+00:00", "0.9.0"):
        assert s in head, s
    assert re.search(r"<td>xrd</td><td class=\"n\">0</td><td class=\"n\">4</td><td class=\"n\">0</td>", head)
    assert "P 1 21/c 1" in section(page, "xrd") and "thickness_cm" in section(page, "conductivity")
    assert "S1: one regime only" in section(page, "conductivity")
    prov = section(page, "Provenance")
    assert "<details><summary>Input files and their SHA-256 (7)" in prov and f"{9:064x}" in prov
    outputs = section(page, "Output files")
    assert "<a " not in outputs and "missing.csv</code> <span class=\"dim\">(missing)" in outputs
    assert "no failures" in section(page, "Failures")
    assert "pyarrow is not installed" in section(page, "Notes")


def test_failures_listed(out, tmp_path):
    d, prov = out
    d2 = tmp_path / "out"
    d2.mkdir()
    _csv(d2 / "failures.csv", ["file", "technique", "error", "message"],
         [["xrd/bad.xy", "xrd", "ReadError", "xrd/bad.xy: line 3 <not> a number"]])
    p = dict(copy.deepcopy(prov), outputs=["failures.csv"], errors={"xrd (summary)": "Traceback <x>"})
    text = render_report(d2, p)
    fails = section(text, "Failures")
    assert "no failures" not in fails and "line 3 &lt;not&gt; a number" in fails
    assert "Traceback &lt;x&gt;" in fails
    # no failures.csv at all: the provenance's failures are shown
    (d2 / "failures.csv").unlink()
    p["failures"] = [{"file": "a.xy", "technique": "xrd", "error": "FitError", "message": "did not converge"}]
    assert "did not converge" in section(render_report(d2, p), "Failures")


def test_html_is_balanced(page, out, tmp_path):
    p = parse(page)
    assert not p.errors and not p.stack, (p.errors, p.stack)
    d, prov = out
    for text in (render_report(d, prov, max_rows=0, max_file_figures=0), render_report(tmp_path, {})):
        p = parse(text)
        assert not p.errors and not p.stack, (p.errors, p.stack)


def test_deterministic(out, page):
    d, prov = out
    again = write_report(d, json.loads(json.dumps(prov)), technique_tables=TABLES).read_bytes()
    assert again == page.encode("utf-8")
    assert render_report(d, prov) == render_report(d, copy.deepcopy(prov))
    assert not [p for p in d.iterdir() if p.name.endswith(".tmp")]


def test_text_is_escaped(page):
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#x27;s" in page
    assert "warning: &lt;odd&gt; peak" in section(page, "xrd")
    assert page.count("<script>") == 1                  # only the sorting script


def test_robust_to_missing_and_broken_inputs(tmp_path):
    # nothing at all: an empty folder and an empty provenance
    text = render_report(tmp_path, {})
    assert "no failures" in text and "no notes" in text and "joined.csv was not written" in text
    # a zero-byte CSV, a CSV with a ragged row and NaNs, a CSV with a NUL byte; no figures folder
    (tmp_path / "zero.csv").write_text("")
    (tmp_path / "ragged.csv").write_text("a,b\n1,nan\n2\n3,4,5\n,\n")
    (tmp_path / "nul.csv").write_bytes(b"a,b\n1,\x002\n")
    prov = {"settings": {"xrd": {}}, "outputs": ["zero.csv", "ragged.csv", "nul.csv", "gone.csv"],
            "summaries": {"xrd": {"messages": ["figure: /elsewhere/x.png"]}}, "inputs": "not a list"}
    text = write_report(tmp_path, prov).read_text()
    assert "empty file (no header)" in text and "gone.csv was not found" in text
    assert "ragged.csv <span class=\"dim\">(4 rows &times; 2 columns)" in text
    assert "\x00" not in text and "<td>\ufffd2</td>" in text
    assert "/elsewhere/x.png is outside the output directory" in text
    assert "no settings (defaults)" in section(text, "xrd")
    assert not parse(text).errors


def test_bad_arguments(tmp_path):
    with pytest.raises(ConfigError, match="max_rows"):
        render_report(tmp_path, {}, max_rows=-1)
    with pytest.raises(ConfigError, match="max_file_figures"):
        render_report(tmp_path, {}, max_file_figures=2.5)


_FAKE_DOM = r"""
function el(attrs, text) {
  return {a: Object.assign({}, attrs), textContent: text || "", l: null,
          getAttribute(k) { return k in this.a ? this.a[k] : null; },
          setAttribute(k, v) { this.a[k] = String(v); }, removeAttribute(k) { delete this.a[k]; },
          addEventListener(_, f) { this.l = f; }};
}
const data = JSON.parse(process.argv[1]);
const ths = data.header.map(h => el({}, h));
const body = {rows: data.rows.map(r => ({cells: r.map(c => el(c[1] === null ? {} : {"data-v": c[1]}, c[0])),
                                         id: r[0][0]})),
              appendChild(r) { this.rows.splice(this.rows.indexOf(r), 1); this.rows.push(r); }};
const table = {tHead: {rows: [{cells: ths}]}, tBodies: [body]};
global.document = {querySelectorAll: () => [table]};
eval(data.script);
const out = [];
for (const [col, clicks] of data.clicks) {
  for (let i = 0; i < clicks; i++) ths[col].l();
  out.push(body.rows.map(r => r.cells[col].textContent));
}
console.log(JSON.stringify(out));
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
def test_sort_script_orders_numbers_text_and_blanks(tmp_path):
    from structkit.pipeline import report

    page = render_report(tmp_path, {})
    script = page[page.rindex("<script>") + len("<script>"):page.rindex("</script>")]
    assert script.strip() == report._SCRIPT.strip()
    raw = ["10", "", "2.5e-3", "nan", "-inf", "b10", "1e3", "b9", "0.30000000001"]
    cells = [re.fullmatch(r'<td(?: class="n")?(?: data-v="([^"]*)")?>(.*)</td>', report._cell(v)).groups()
             for v in raw]
    rows = [[[text, v]] for v, text in cells]
    arg = json.dumps({"header": ["x"], "rows": rows, "script": script, "clicks": [[0, 1], [0, 1]]})
    res = subprocess.run(["node", "-e", _FAKE_DOM, arg], capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stderr
    ascending, descending = json.loads(res.stdout)
    assert ascending == ["-inf", "0.0025", "0.3", "10", "1000", "b9", "b10", "", "NaN"]
    assert descending == ["b10", "b9", "1000", "10", "0.3", "0.0025", "-inf", "", "NaN"]
