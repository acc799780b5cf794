"""The independent forward models of the tests (``tests/<technique>/_oracle.py``), loaded once each.

An oracle shares no code with structkit; every test module of a technique uses the same module
object (``structkit_tests_<technique>_oracle`` in ``sys.modules``). ``tests`` is on ``sys.path``
through ``pythonpath`` in pyproject.toml.
"""

import importlib.util
import sys
from pathlib import Path


def load_oracle(technique: str):
    """The module ``tests/<technique>/_oracle.py``."""
    name = f"structkit_tests_{technique}_oracle"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parent / technique / "_oracle.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]
