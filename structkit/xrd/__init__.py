"""Variable-temperature powder XRD (work in progress for issue 4)."""
