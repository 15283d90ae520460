"""The project's own promises: dependency lists agree, the README's commands, the notebook layout."""

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

import nbformat
import pytest
import yaml  # installed with JupyterLab (jupyter-events)

from packaging.version import Version

from cnncourse.environment import required_packages
from cnncourse.exercises.feedback import correct, wrong
from cnncourse.notebook_setup import REPOSITORY, install_requirement, setup_cell_source
from cnncourse.version import __version__

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch", "playwright-python": "playwright"}  # conda-forge name -> PyPI name


def _name_and_floor(requirement: str) -> tuple[str, str]:
    match = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*(>=\s*[0-9.]+)?", requirement)
    name = match.group(1).lower()
    return CONDA_NAMES.get(name, name), (match.group(2) or "").replace(" ", "")


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    own = [item for item in extras["test"] if item.startswith("cnncourse[")]
    assert own == ["cnncourse[lab,site]"], own  # the test extra brings the lab and site extras with it
    test = [item for item in extras["test"] if item not in own]
    wanted = dict(map(_name_and_floor, project["dependencies"] + extras["lab"] + extras["site"] + test))
    listed = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_lines = [item for item in listed if isinstance(item, str) and not item.startswith(("pip", "python"))]
    conda = dict(map(_name_and_floor, conda_lines))
    assert conda == wanted, f"environment.yml {conda} differs from pyproject.toml {wanted}"


def _optional_imports(tree: ast.AST) -> set[ast.AST]:
    """Import statements inside a ``try`` that catches ImportError: the module may be missing."""
    optional = set()
    for node in ast.walk(tree):
        catches = isinstance(node, ast.Try) and any(
            isinstance(handler.type, ast.Name) and handler.type.id in ("ImportError", "ModuleNotFoundError")
            for handler in node.handlers)
        if catches:
            optional.update(inner for statement in node.body for inner in ast.walk(statement))
    return optional


def _imported_modules() -> dict[str, str]:
    """Top-level module -> a file of the package that needs it (imports that may fail are left out)."""
    needed = {}
    for path in sorted((ROOT / "cnncourse").rglob("*.py")):
        tree = ast.parse(path.read_text())
        optional = _optional_imports(tree)
        for node in ast.walk(tree):
            if node in optional:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                needed.setdefault(name.split(".")[0], str(path.relative_to(ROOT)))
    return needed


def test_every_imported_package_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name_and_floor(item)[0].replace("_", "-")
                for item in project["dependencies"] + sum(project["optional-dependencies"].values(), [])}
    distributions = importlib.metadata.packages_distributions()
    for module, where in _imported_modules().items():
        if module in sys.stdlib_module_names or module in ("cnncourse", "__future__"):
            continue
        names = {name.lower().replace("_", "-") for name in distributions.get(module, [module])}
        assert names & declared, f"{where} imports {module} (from {sorted(names)}), which pyproject.toml does not declare"


def test_no_dependency_needs_newer_torch_than_available():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {name: Version(floor.lstrip(">=")) for name, floor in map(_name_and_floor, project["dependencies"])}
    assert Version("2.0") <= floors["torch"] <= Version("2.14.1")
    assert Version("0.15") <= floors["torchvision"] <= Version("0.29.1")


def test_readme_has_the_two_commands_and_the_course_map():
    readme = (ROOT / "README.md").read_text()
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        assert notebook.name in readme, f"README's course map does not list {notebook.name}"
    assert "pip install" in readme and "jupyter lab" in readme and "pytest" in readme


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = re.search(r"<!-- test-command -->\s*```bash\s*\n(.+?)\n```", readme, re.S).group(1).strip()
    test_part = command.split("&&")[-1].strip()
    assert test_part in ci, f".ci/run does not run the README's test command {test_part!r}"


def test_notebooks_are_numbered_and_start_with_the_setup_cell():
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks and notebooks[0].name == "00_start_here.ipynb"
    for path in notebooks:
        assert re.match(r"^\d\d_[a-z0-9_]+\.ipynb$", path.name), path.name
        cells = nbformat.read(path, as_version=4).cells
        setup = next(cell for cell in cells if cell.cell_type == "code")
        assert setup.source == setup_cell_source(), \
            f"{path.name}: its first code cell is not the set-up cell; run python -m cnncourse.notebook_setup on it"


def test_every_notebook_code_cell_is_valid_python():
    """A syntax error in a cell fails here in a second, not minutes into nbval, the tiny full path and the browser."""
    for path in COMMITTED_NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                python = "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))
                try:
                    compile(python, f"{path.relative_to(ROOT)} cell {index}", "exec")
                except SyntaxError as error:
                    raise AssertionError(f"{path.relative_to(ROOT)} cell {index}: {error}") from None


def test_notebook_code_lines_fit_the_course_width():
    """JupyterLab and Colab scroll a longer line sideways, hiding its end (an assert's message, a printed number)."""
    width = 120
    for notebook in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        for index, cell in enumerate(nbformat.read(notebook, as_version=4).cells):
            long = [line for line in cell.source.splitlines() if cell.cell_type == "code" and len(line) > width]
            assert not long, f"{notebook.name} cell {index}: {len(long[0])} characters (wrap at {width}): {long[0]}"


def test_the_setup_cell_installs_the_release_of_this_version():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert pyproject["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "cnncourse.version.__version__"}
    version = __version__  # the one place it is written
    assert install_requirement() == f"cnncourse @ git+{REPOSITORY}@v{version}" and f"@v{version}\"" in setup_cell_source()


# the lessons and their Korean edition (generated, executed and committed like them)
COMMITTED_NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "notebooks" / "ko").glob("*.ipynb"))


def test_committed_notebooks_keep_no_progress_bar_widgets():
    """A finished progress bar saved as a widget reads as "0%| | 0/400" without a kernel: strip it before committing."""
    bar = re.compile(r"\d+%\|")
    for path in COMMITTED_NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for output in cell.get("outputs", []):
                data = output.get("data", {})
                shown = data.get("text/plain", "")
                assert not ("application/vnd.jupyter.widget-view+json" in data and bar.search(shown)), \
                    f"{path.relative_to(ROOT)} cell {index} keeps a progress bar: {shown[:60]!r}"


# a user's or this machine's own folders, as they would appear in a saved output (system folders such as /usr are
# the same for every learner on a system)
MACHINE_PATH = re.compile(r"(?<![\w~.])(/root|/home|/Users|/work|/tmp|/mnt)/|[A-Z]:\\Users\\")


def shown_text(output: dict) -> str:
    """Everything an output shows as text: a stream, and every text/... form of a result (plain, HTML, markdown)."""
    return output.get("text", "") + "".join(value for kind, value in output.get("data", {}).items()
                                            if kind.startswith("text/") and isinstance(value, str))


def test_committed_outputs_show_no_folder_of_the_machine_that_ran_them():
    """A learner compares the saved outputs with their own: the home folder is written ~, no user's folder appears."""
    for path in COMMITTED_NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for output in cell.get("outputs", []):
                text = shown_text(output)
                found = MACHINE_PATH.search(text)
                context = text[max(0, found.start() - 40):found.end() + 40] if found else ""
                assert found is None, f"{path.relative_to(ROOT)} cell {index} shows this machine's folder: {context!r}"


EMOJI = re.compile("[\U0001F000-\U0001FAFF\u2705\u274C]")   # drawn as empty boxes without an emoji font


def test_no_notebook_text_or_saved_output_needs_an_emoji_font():
    """The site and CI have only text fonts (DejaVu, Nanum): exercise feedback marks itself with ✔ and ✘."""
    for path in COMMITTED_NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            found = EMOJI.search(cell.source + "".join(map(shown_text, cell.get("outputs", []))))
            assert found is None, f"{path.relative_to(ROOT)} cell {index} holds {found.group()!r}, which needs an emoji font"
    for feedback in (correct("right"), wrong("not quite")):
        assert not EMOJI.search(feedback._repr_markdown_()), feedback._repr_markdown_()


def test_committed_outputs_carry_no_warnings_of_the_machine_that_ran_them():
    """Nothing on stderr: a library's warning about that machine (torch: "No CUDA runtime is found", where a CUDA
    toolkit is installed without a GPU) is not what a learner sees; a lesson that means to show a warning prints it."""
    for path in COMMITTED_NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            for output in cell.get("outputs", []):
                assert output.get("name") != "stderr", \
                    f"{path.relative_to(ROOT)} cell {index} saved this on stderr: {output.get('text', '')[:120]!r}"


def test_importing_the_course_loads_nothing_that_warns_about_the_machine():
    """torch.utils.cpp_extension warns on import where a CUDA toolkit is installed without a GPU (Colab's CPU
    runtime): the course imports it (through torch.utils.benchmark) only when a timing is asked for."""
    code = ("import sys, cnncourse, cnncourse.analysis, cnncourse.widgets, cnncourse.exercises.resnet; "
            "print('torch.utils.cpp_extension' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False", "importing the course loads torch.utils.cpp_extension"


def test_start_here_checks_the_floors_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = dict(map(_name_and_floor, project["dependencies"]))
    checked = required_packages()
    assert checked is not None, "the tests run with the course installed (pip install -e .)"
    assert {name: f">={minimum}" for name, minimum in checked.items()} == floors


def test_every_data_file_the_package_reads_is_installed_with_it():
    """A file inside cnncourse/ that is not Python ships only if pyproject's package-data names it: without it,
    a pip install from git (Colab) would lack, say, the course's table of runs."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["cnncourse"]
    package = ROOT / "cnncourse"
    data_files = [path.relative_to(package) for path in package.rglob("*")
                  if path.is_file() and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts]
    assert data_files, "the package should carry its data files (checksums, the site's index, the course's runs)"
    for path in data_files:
        assert any(path.match(pattern) for pattern in globs), f"cnncourse/{path} is not in package-data {globs}"


LEDGER_HEADING = "## What the notes said, and what this notebook found"
LEARNER_NOTES = ROOT.parent / "shared" / "learner-notes-ko.txt"


def test_the_notes_are_quoted_as_written():
    """Each notebook's ledger quotes the learner's notes verbatim (… only where a quote is cut)."""
    if not LEARNER_NOTES.exists():
        pytest.skip(f"the learner's notes are not beside the course ({LEARNER_NOTES})")
    notes = LEARNER_NOTES.read_text(encoding="utf-8")
    ledgers = 0
    for path in sorted((ROOT / "notebooks").glob("0[1-6]_*.ipynb")):
        cells = [cell.source for cell in nbformat.read(path, as_version=4).cells
                 if cell.cell_type == "markdown" and cell.source.startswith(LEDGER_HEADING)]
        for cell in cells:
            ledgers += 1
            rows = [line for line in cell.splitlines() if line.startswith('| "')]
            assert rows, f"{path.name}: the ledger has no quoted rows"
            for row in rows:
                quote = row.split('"')[1].strip("…")
                assert quote in notes, f"{path.name}: not in the notes as written: {quote!r}"
    assert ledgers >= 4, "the notebooks should end with the ledger of the notes' claims"


def test_formulas_in_the_prose_are_latex():
    """One way to write maths in the lessons: $...$ (typeset in JupyterLab, Colab and on the site)."""
    plain_maths = re.compile(r"sqrt\(|√|⌊|⌋|C_in|C_out|·|\^\{|\^\d|_\{|²|η|‖")
    for path in COMMITTED_NOTEBOOKS:
        for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type != "markdown":
                continue
            text = re.sub(r"\$\$.*?\$\$", "", cell.source, flags=re.S)
            text = re.sub(r"`[^`]*`", "", re.sub(r"\$[^$\n]+\$", "", text))
            text = re.sub("(?<=[\uac00-\ud7a3])·(?=[\uac00-\ud7a3])", "", text)   # Korean's middle dot between words
            found = plain_maths.search(text)
            assert found is None, f"{path.relative_to(ROOT)} cell {index}: a formula in plain text: {text[found.start() - 30:found.end() + 30]!r}"
