"""Make ``dummy_adapters`` importable as a top-level module under any pytest import mode.

Spawned worker processes receive this ``sys.path``, so they can import it too.
"""

import sys
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
