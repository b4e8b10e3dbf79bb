"""Make the shared SIP sample messages importable from the SIP tests."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
