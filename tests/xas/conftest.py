"""Shared helpers of the XAS tests."""

import pytest


def one_site_cubic_cif(element: str, a: float, group: str = "F m -3 m") -> str:
    """CIF text of a one-site cubic element crystal (fcc with 'F m -3 m', bcc with 'I m -3 m'), atom at 0,0,0."""
    return f"""data_{element}
_cell_length_a {a}
_cell_length_b {a}
_cell_length_c {a}
_cell_angle_alpha 90
_cell_angle_beta 90
_cell_angle_gamma 90
_symmetry_space_group_name_H-M '{group}'
loop_
_atom_site_label
_atom_site_fract_x
_atom_site_fract_y
_atom_site_fract_z
{element}1 0 0 0
"""


@pytest.fixture(scope="session")
def cubic_cif():
    """:func:`one_site_cubic_cif` as a fixture."""
    return one_site_cubic_cif
