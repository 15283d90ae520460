"""python -m cnncourse.site [--strict] [OUTPUT_FOLDER]: build the course website (default build/site).

--strict: any Sphinx warning fails the build (as the tests build it).
"""

import argparse
from pathlib import Path

from . import ROOT, build

parser = argparse.ArgumentParser(prog="python -m cnncourse.site", description="Build the course website.")
parser.add_argument("output", nargs="?", type=Path, default=ROOT / "build" / "site")
parser.add_argument("--strict", action="store_true", help="fail on any Sphinx warning")
arguments = parser.parse_args()
home = build(arguments.output, strict=arguments.strict)
print(f"The site is built: open {home}")
