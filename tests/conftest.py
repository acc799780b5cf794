"""Shared fixtures. ``reference_data``: the real public data in ../shared/reference_data."""

from pathlib import Path

import pytest

#: ``<repo>/../shared/reference_data``; absent on machines without the shared folder.
REFERENCE_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "reference_data"


@pytest.fixture(scope="session")
def reference_data() -> Path:
    """Path of the reference-data folder, or skip the test where it is absent."""
    if not REFERENCE_DATA.is_dir():
        pytest.skip(f"reference data folder not found at {REFERENCE_DATA} "
                    "(see ../shared/reference_data/SOURCES.md)")
    return REFERENCE_DATA
