"""python -m cnncourse.site [OUTPUT_FOLDER]: build the course website (default build/site)."""

import sys
from pathlib import Path

from . import ROOT, build

home = build(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "build" / "site")
print(f"The site is built: open {home}")
