"""The course as a learner sees it: each notebook run in JupyterLab in headless Chromium, widgets moved.

For every notebook: open it, Run > Run All Cells in the `smoke` profile, wait until every cell ran, then check
that no cell shows an error, that every figure was drawn, and save a picture of the whole notebook to
test-artifacts/screenshots/<notebook>.png. For notebooks with a widget: change its slider (or dropdown, or
toggle buttons) to two values and check that the picture and the numbers beside it change.

Needs Debian's `chromium` and the Python package `playwright` (the test skips, saying so, without them).
"""

from __future__ import annotations

import json
import os
import time
import warnings
from pathlib import Path

import pytest

from labdriver import (LabServer, NotebookPage, RunResult, change_control, copy_notebooks, find_controls, has_widget,
                       image_outputs_in_file, widget_unchanged)

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS_DIR = Path(os.environ.get("CNNCOURSE_NOTEBOOKS_DIR", ROOT / "notebooks"))  # another folder: for trying
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
WIDGET_NOTEBOOKS = [path for path in NOTEBOOKS if has_widget(path)]
ARTIFACTS = Path(os.environ.get("CNNCOURSE_ARTIFACTS", ROOT / "test-artifacts"))
SCREENSHOTS = ARTIFACTS / "screenshots"
RUN_TIMEOUT = float(os.environ.get("CNNCOURSE_BROWSER_TIMEOUT", 600))  # seconds per notebook (2 shared cores)
WIDGET_TIMEOUT = 120.0  # seconds for one widget update
VIEWPORT = {"width": 1280, "height": 900}

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def lab_server(browser, tmp_path_factory: pytest.TempPathFactory, _real_data):
    """JupyterLab on 127.0.0.1 over a copy of notebooks/, kernels in the smoke profile with the repo's package."""
    work = tmp_path_factory.mktemp("jupyterlab")
    root = copy_notebooks(NOTEBOOKS_DIR, work / "notebooks")
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel must use its inline backend, or figures never reach the page
    env["CNNCOURSE_PROFILE"] = "smoke"
    env.setdefault("CNNCOURSE_THREADS", "1")  # the browser shares the cores: threads waiting on it stall training
    # The copy is not inside the repository, so its set-up cell would try to install the package: put the
    # checkout on the path first (as a pip-installed package would be in CI).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    server = LabServer(root, work, env)
    server.start()
    yield server
    server.stop()


class Report:
    """Per-notebook timings, problems and widget results, kept in test-artifacts/browser-report.json (one file per
    pytest-xdist worker, browser-report-gw0.json, ...: workers never write the same file)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def add(self, notebook: str, **values) -> None:
        """Merge ``values`` into the notebook's entry and write the file at once (a cut-off run keeps it)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        entries = json.loads(self.path.read_text()) if self.path.exists() else {}
        entries.setdefault(notebook, {}).update(values)
        self.path.write_text(json.dumps(entries, indent=2))


@pytest.fixture(scope="session")
def report() -> Report:
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    return Report(ARTIFACTS / (f"browser-report-{worker}.json" if worker else "browser-report.json"))


@pytest.fixture(scope="session")
def executed():
    """Notebooks run in this session, kept open for the widget test: name -> (page or None, problems)."""
    pages: dict[str, tuple[NotebookPage | None, list[str]]] = {}
    yield pages
    for notebook, _ in pages.values():
        if notebook is not None:
            notebook.page.close()


def run_notebook(browser, lab_server: LabServer, path: Path) -> tuple[NotebookPage, RunResult]:
    """Open one notebook in a new page, run all its cells and wait for the end (or the first error)."""
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(60_000)
    notebook = NotebookPage(page, lab_server, path.name)
    notebook.open()
    notebook.run_all()
    result = notebook.wait_until_run(timeout=RUN_TIMEOUT)
    try:
        notebook.wait_images_loaded()
    except Exception:  # reported by the broken-image check below
        pass
    return notebook, result


def close(notebook: NotebookPage) -> None:
    """Shut the notebook's kernel down and close its page."""
    notebook.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    notebook.page.close()


def problems_of(result: RunResult, expected_images: int) -> list[str]:
    """Everything a learner would see as broken, each naming its cell."""
    problems = [str(p) for p in result.errors()]
    if not result.finished and not problems:
        reason = (f"the kernel is {result.kernel_status!r}" if result.kernel_status not in ("idle", "busy")
                  else f"still running after {result.seconds:.0f} s")
        problems.append(f"the run did not finish ({reason}); cells without an execution count:\n  "
                        + "\n  ".join(str(p) for p in result.unexecuted()[:10]))
    problems += [str(p) for p in result.broken_images() + result.figures_as_text()]
    if result.finished and result.image_count() < expected_images:  # a run cut short has fewer, of course
        problems.append(f"{result.image_count()} figures rendered, but the saved notebook has {expected_images}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_in_jupyterlab(path: Path, browser, lab_server, executed, report: Report):
    """Run All in JupyterLab: every cell runs, no error output, every figure drawn; a screenshot is saved."""
    expected_images = image_outputs_in_file(path)
    started = time.monotonic()
    notebook, result = run_notebook(browser, lab_server, path)
    shot = SCREENSHOTS / f"{path.stem}.png"
    notebook.screenshot(shot)
    problems = problems_of(result, expected_images)
    notes = [str(p) for p in result.stderr_notes()]
    report.add(path.stem, run_seconds=round(result.seconds, 1), test_seconds=round(time.monotonic() - started, 1),
               code_cells=len(result.code_cells), images=result.image_count(), images_in_saved_file=expected_images,
               screenshot=str(shot), problems=problems, stderr=notes)
    for note in notes:
        warnings.warn(f"{path.name}: {note}", stacklevel=1)
    ran_through = result.finished or bool(result.errors())  # not cut off by the time limit
    if path in WIDGET_NOTEBOOKS and ran_through:
        executed[path.name] = (notebook, problems)  # kept open (kernel alive) for the widget test
    else:
        if path in WIDGET_NOTEBOOKS:
            executed[path.name] = (None, problems)  # the widget test reports it without a second long run
        close(notebook)
    if problems:
        pytest.fail(f"{path.name} in JupyterLab (smoke, {result.seconds:.0f} s; screenshot {shot}):\n"
                    + "\n".join(problems), pytrace=False)


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=lambda path: path.stem)
def test_widgets_respond_in_jupyterlab(path: Path, browser, lab_server, executed, report: Report):
    """Each widget's slider (or dropdown, or toggle buttons) set to two values changes its picture and text."""
    if path.name in executed:
        notebook, problems = executed.pop(path.name)
        if notebook is None:
            pytest.fail(f"{path.name} did not finish in JupyterLab, so its widgets were not tried:\n"
                        + "\n".join(problems), pytrace=False)
    else:
        notebook, result = run_notebook(browser, lab_server, path)
        problems = problems_of(result, image_outputs_in_file(path))
    # A widget above a failing cell still works; the run's problems are said only if no widget could be tried.
    try:
        checked = []
        for index in notebook.widget_cells():
            cell = notebook.cell_locator(index)
            for number, control in enumerate(find_controls(cell)):  # none for e.g. a progress bar
                states = [notebook.widget_state(index)]
                actions = []
                for step in (0, 1):
                    actions.append(change_control(notebook.page, control, step))
                    states.append(notebook.wait_widget_update(index, states[-1], WIDGET_TIMEOUT))
                    shot = SCREENSHOTS / f"{path.stem}__cell{index}_control{number + 1}_step{step + 1}.png"
                    cell.screenshot(path=str(shot))
                checked.append(describe_widget_changes(path.name, index, control.describe(), actions, states))
        ran = "\nThe run had problems:\n" + "\n".join(problems) if problems else ""
        if not checked:
            pytest.fail(f"{path.name}: no widget with a slider, dropdown or toggle buttons was displayed "
                        f"(cells with widget views: {notebook.widget_cells()}){ran}", pytrace=False)
        report.add(path.stem, widgets=checked)
    finally:
        close(notebook)


def describe_widget_changes(name: str, index: int, kind: str, actions: list[str], states: list[dict]) -> str:
    """Assert that each change of the control changed the images (and numbers in the text, where shown)."""
    where = f"{name}, widget in cell {index} ({kind})"
    for step, (before, after) in enumerate(zip(states, states[1:])):
        said = (f"{where}: after step {step + 1} ({actions[step]}; readout {before['readouts']} -> "
                f"{after['readouts']})")
        missing = widget_unchanged(before, after) + ([] if after["loaded"] else ["an image did not load"])
        if missing:
            pytest.fail(f"{said}: " + "; ".join(missing), pytrace=False)
    values = " / ".join(repr(state["text"][:120]) for state in states)
    return f"cell {index}: {kind}, {len(states[-1]['images'])} image(s); text {values}"
