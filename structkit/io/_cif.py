"""CIF crystal structures through gemmi: one reader for every technique that builds on a structure."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import ReadError

__all__ = ["read_small_structure"]


def read_small_structure(path_or_text, *, needs: str = ""):
    """A ``gemmi.SmallStructure`` from a CIF file or CIF text, with its source name.

    Text is recognised by a newline or a leading ``data_``; the first block with atom sites
    is used. ``needs`` completes the error for a CIF without a cell (e.g. ``"a PDF fit"``).

    Returns
    -------
    (gemmi.SmallStructure, str)
        The structure and ``"<CIF text>"`` or the file path.

    Raises
    ------
    ReadError
        File not found, CIF that does not parse, no atom sites, no unit cell.
    """
    import gemmi
    is_text = isinstance(path_or_text, str) and ("\n" in path_or_text or path_or_text.lstrip().startswith("data_"))
    if is_text:
        source = "<CIF text>"
        try:
            doc = gemmi.cif.read_string(path_or_text)
        except (RuntimeError, ValueError) as exc:
            raise ReadError(f"CIF text does not parse: {exc}") from None
        blocks = [b for b in doc if len(b.find_values("_atom_site_fract_x"))]
        if not blocks:
            raise ReadError("CIF text has no block with atom sites (_atom_site_fract_x)")
        try:
            st = gemmi.make_small_structure_from_block(blocks[0])
        except (RuntimeError, ValueError, IndexError) as exc:
            raise ReadError(f"CIF text does not parse: {exc}") from None
    else:
        path = Path(path_or_text)
        source = str(path)
        if not path.is_file():
            raise ReadError("CIF file not found", path=path)
        try:
            st = gemmi.read_small_structure(str(path))
        except (RuntimeError, ValueError, IndexError) as exc:
            raise ReadError(f"CIF does not parse: {exc}", path=path) from None
    where = None if is_text else source
    if not len(st.sites):
        raise ReadError("no atom sites (_atom_site_fract_x/y/z) in the CIF", path=where)
    if not st.cell.is_crystal() or st.cell.volume <= 1.0:
        raise ReadError("no unit cell (_cell_length_a/b/c, _cell_angle_alpha/beta/gamma) in the CIF"
                        + (f"; {needs} needs the cell" if needs else ""), path=where)
    return st, source
