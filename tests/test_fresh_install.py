"""A fresh machine: the README's commands in a new virtual environment, the oldest versions the package
accepts, and the set-up cell without the package.

These tests build virtual environments (the README's install brings several GB of PyTorch wheels) and take
minutes, so they run only when CNNCOURSE_INSTALL_TEST=1.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import nbformat
import pytest
from packaging.requirements import Requirement

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]
SKIP_COPY = shutil.ignore_patterns(".git", ".venv*", ".ci-cache", "test-artifacts", "__pycache__",
                                   ".ipynb_checkpoints", "*.egg-info", "build", ".pytest_cache")

pytestmark = [
    pytest.mark.install,
    pytest.mark.skipif(os.environ.get("CNNCOURSE_INSTALL_TEST") != "1",
                       reason="fresh-install tests build virtual environments (minutes, GBs): "
                              "set CNNCOURSE_INSTALL_TEST=1 to run them"),
]


def readme_command() -> str:
    """The README's install-and-test command (the bash block after <!-- test-command -->)."""
    readme = ROOT / "README.md"
    if not readme.exists():
        pytest.skip("README.md does not exist yet")
    found = re.search(r"<!-- test-command -->\s*```bash\s*\n(.+?)\n```", readme.read_text(), re.S)
    if found is None:
        pytest.skip("README.md has no <!-- test-command --> bash block")
    return found.group(1).strip()


def make_venv(folder: Path) -> dict[str, str]:
    """A new virtual environment with pip; the environment variables that activate it."""
    venv.EnvBuilder(with_pip=True, clear=True).create(folder)
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME", "MPLBACKEND")}
    env.update(VIRTUAL_ENV=str(folder), PATH=f"{folder / 'bin'}{os.pathsep}{env.get('PATH', '')}",
               CNNCOURSE_PROFILE="smoke", MPLBACKEND="agg")
    return env


def run(command: str, cwd: Path, env: dict[str, str], timeout: float) -> subprocess.CompletedProcess:
    """Run a bash command line; fail with its output if it does not succeed."""
    done = subprocess.run(["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    assert done.returncode == 0, (f"`{command}` exited with {done.returncode} in {cwd}:\n"
                                  f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def setup_cell(notebook: Path) -> str:
    """The source of a notebook's first code cell (the set-up cell)."""
    cells = nbformat.read(notebook, as_version=4).cells
    return next(cell.source for cell in cells if cell.cell_type == "code")


def test_readme_commands_work_in_a_fresh_virtual_environment(tmp_path: Path):
    """The README's install command, as written, in a new venv on a copy of the project; then its test command
    collects every test, and the first notebook runs under nbval with the installed package."""
    command = readme_command()
    *install, test = [part.strip() for part in command.split("&&")]
    project = tmp_path / "project"  # not "cnncourse": a folder of that name in the working directory would shadow
    elsewhere = tmp_path / "elsewhere"  # the installed package
    elsewhere.mkdir()
    shutil.copytree(ROOT, project, ignore=SKIP_COPY)
    env = make_venv(tmp_path / "venv")
    for part in install:
        run(part, project, env, timeout=1800)
    check = run("python -c 'import cnncourse, torch, torchvision, matplotlib, ipywidgets, skimage; "
                "print(cnncourse.__file__, cnncourse.get_profile().name)'", elsewhere, env, timeout=300)
    assert "smoke" in check.stdout, check.stdout
    collected = run(f"{test} --collect-only -q", project, env, timeout=600)
    assert re.search(r"\d+ tests? collected", collected.stdout), collected.stdout[-2000:]
    first = sorted((project / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if first:
        run(f"python -m pytest -q notebooks/{first[0].name}", project, env, timeout=1200)


def declared_floors() -> list[str]:
    """``name==version`` for every ``name>=version`` in pyproject.toml, the extras' included."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [line for extra in project["optional-dependencies"].values() for line in extra]
    return [f"{requirement.name}=={spec.version}" + (f"; {requirement.marker}" if requirement.marker else "")
            for requirement in map(Requirement, declared) for spec in requirement.specifier if spec.operator == ">="]


def test_the_oldest_versions_the_package_accepts_pass_the_quick_tests(tmp_path: Path):
    """Every floor pyproject.toml declares, installed as it is (``>=`` read as ``==``) in a new venv: the unit tests
    and notebooks 00 (the version check) and 02 (training, widgets) pass with them."""
    assert "torch==2.3" in declared_floors()
    constraints = tmp_path / "floors.txt"
    constraints.write_text("\n".join(declared_floors()) + "\n")
    project = tmp_path / "project"
    shutil.copytree(ROOT, project, ignore=SKIP_COPY)
    env = make_venv(tmp_path / "venv")
    run(f'pip install -q -c {constraints} -e ".[test]"', project, env, timeout=1800)
    versions = run("pip list --format=freeze", project, env, timeout=300).stdout
    assert "torch==2.3.0" in versions and "numpy==1.24.0" in versions, versions
    run("python -m pytest -q -n 0 -m 'not slow' tests notebooks/00_start_here.ipynb "
        "notebooks/02_multichannel_convolution.ipynb", project, env, timeout=1800)


def test_setup_cell_without_the_package_fails_fast_and_readably(tmp_path: Path):
    """Colab-like: package not installed, notebook not in the repository. The set-up cell tries to pip-install
    from the git URL; with no route to it, it must end within a couple of minutes and say, in its own words
    after pip's, that installing failed and what to do (never hang)."""
    notebooks = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    if not notebooks:
        pytest.skip("no notebooks yet")
    env = make_venv(tmp_path / "venv")
    run("python -m pip install -q ipython", tmp_path, env, timeout=600)
    env.update(GIT_TERMINAL_PROMPT="0", PIP_NO_INDEX="1")  # never prompt, never fetch the heavy dependencies
    work = tmp_path / "somewhere" / "notebooks"
    work.mkdir(parents=True)
    (work / "setup.ipy").write_text(setup_cell(notebooks[0]) + "\n\nimport cnncourse\nprint('imported', cnncourse)\n")
    done = subprocess.run(["ipython", "--colors=nocolor", "setup.ipy"], cwd=work, env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)
    output = done.stdout + done.stderr
    if "imported <module 'cnncourse'" in output:
        return  # a machine with a route to the repository: the install worked
    assert "git+https://" in setup_cell(notebooks[0]), "the set-up cell no longer installs from git"
    assert re.search(r"cnncourse", output) and re.search(r"(error|ERROR|fatal)", output), output[-3000:]
    assert "Installing cnncourse failed" in output and "Connect to the internet" in output, output[-3000:]

