"""The first cell of every notebook, written in one place: the package from the course folder, or installed.

    python -m cnncourse.notebook_setup notebooks/*.ipynb    # write it into each notebook's first code cell

Opened from the course folder, a notebook uses the package beside it. Anywhere else (Colab, a notebook
downloaded alone) the cell installs the release that the notebook was written with, the tag ``v<version>`` of
the repository, so that a later change to the package cannot break a saved notebook; the release tag must exist
for each version. pip keeps the torch and torchvision that are already installed (Colab's are new enough), and
the package asks for no JupyterLab (an extra, ``pip install -e ".[lab]"``, for local use).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

from .language import LANGUAGE_ENV
from .version import __version__

REPOSITORY = "https://github.com/cnncourse/cnncourse"


def install_requirement(version: str = __version__) -> str:
    """What the set-up cell installs: the release of ``version`` from the repository."""
    return f"cnncourse @ git+{REPOSITORY}@v{version}"


def setup_cell_source(language: str | None = None) -> str:
    """The set-up cell's code; a translated notebook's (``language``) also sets the language the package speaks."""
    speaks = (f'import os\nos.environ.setdefault("{LANGUAGE_ENV}", "{language}")   # what the package says, in this '
              "notebook's language\n") if language else ""
    return f'''\
# Set-up: use the course package from this repository, or install it (Colab, a fresh machine).
{speaks}import importlib.util, pathlib, sys
if importlib.util.find_spec("cnncourse") is None:
    course = [folder for folder in pathlib.Path.cwd().parents[:2] if (folder / "cnncourse").is_dir()]
    if course:   # opened from notebooks/ or from a translation's notebooks/<language>/
        sys.path.insert(0, str(course[0]))
    else:
        %pip install -q "{install_requirement()}"
        importlib.invalidate_caches()
        if importlib.util.find_spec("cnncourse") is None:
            raise ImportError("Installing cnncourse failed (see pip's message above). Connect to the internet, or "
                              "open this notebook from the course folder, where the package is found without "
                              "installing.")'''


def write_setup_cell(path: Path) -> bool:
    """Make the notebook's first code cell the set-up cell; True if the file changed."""
    notebook = nbformat.read(path, as_version=4)
    first = next(cell for cell in notebook.cells if cell.cell_type == "code")
    if first.source == setup_cell_source():
        return False
    first.source = setup_cell_source()
    nbformat.write(notebook, path)
    return True


def main(argv: list[str] | None = None) -> int:
    paths = [Path(arg) for arg in (sys.argv[1:] if argv is None else argv)]
    for path in paths:
        print(f"{path}: {'written' if write_setup_cell(path) else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
