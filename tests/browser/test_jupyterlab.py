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

from labdriver import (CHROMIUM_ARGS, NotebookPage, LabServer, RunResult, change_control, chromium_path,
                       copy_notebooks, find_control, has_widget, image_outputs_in_file)

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
def browser():
    """Headless Debian Chromium driven by Playwright; skips, saying what is missing, when either is absent."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Browser tests need the Python package playwright: pip install playwright")
    executable = chromium_path()
    if executable is None:
        pytest.skip("Browser tests need Chromium: apt-get install -y chromium (or set CNNCOURSE_CHROMIUM)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def lab_server(browser, tmp_path_factory: pytest.TempPathFactory, _real_data):
    """JupyterLab on 127.0.0.1 over a copy of notebooks/, kernels in the smoke profile with the repo's package."""
    work = tmp_path_factory.mktemp("jupyterlab")
    root = copy_notebooks(NOTEBOOKS_DIR, work / "notebooks")
    env = dict(os.environ)
    env.pop("MPLBACKEND", None)  # the kernel must use its inline backend, or figures never reach the page
    env["CNNCOURSE_PROFILE"] = "smoke"
    # The copy is not inside the repository, so its set-up cell would try to install the package: put the
    # checkout on the path first (as a pip-installed package would be in CI).
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    server = LabServer(root, work, env)
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def report():
    """Per-notebook timings and notes, written to test-artifacts/browser-report.json at the end."""
    entries: dict[str, dict] = {}
    yield entries
    if entries:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / "browser-report.json"
        previous = json.loads(path.read_text()) if path.exists() else {}
        previous.update(entries)
        path.write_text(json.dumps(previous, indent=2))


@pytest.fixture(scope="session")
def executed():
    """Notebooks already run in this session and kept open for the widget test: name -> (page, result)."""
    pages: dict[str, tuple[NotebookPage, RunResult]] = {}
    yield pages
    for notebook, _ in pages.values():
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


def problems_of(result: RunResult, expected_images: int) -> list[str]:
    """Everything a learner would see as broken, each naming its cell."""
    problems = [str(p) for p in result.errors()]
    if not result.finished and not problems:
        reason = (f"the kernel is {result.kernel_status!r}" if result.kernel_status not in ("idle", "busy")
                  else f"still running after {result.seconds:.0f} s")
        problems.append(f"the run did not finish ({reason}); cells without an execution count:\n  "
                        + "\n  ".join(str(p) for p in result.unexecuted()[:10]))
    problems += [str(p) for p in result.broken_images() + result.figures_as_text()]
    if result.image_count() < expected_images:
        problems.append(f"{result.image_count()} figures rendered, but the saved notebook has {expected_images}")
    return problems


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_notebook_runs_in_jupyterlab(path: Path, browser, lab_server, executed, report):
    """Run All in JupyterLab: every cell runs, no error output, every figure drawn; a screenshot is saved."""
    expected_images = image_outputs_in_file(path)
    started = time.monotonic()
    notebook, result = run_notebook(browser, lab_server, path)
    shot = SCREENSHOTS / f"{path.stem}.png"
    notebook.screenshot(shot)
    problems = problems_of(result, expected_images)
    notes = [str(p) for p in result.stderr_notes()]
    report[path.stem] = {"run_seconds": round(result.seconds, 1), "test_seconds": round(time.monotonic() - started, 1),
                         "code_cells": len(result.code_cells), "images": result.image_count(),
                         "images_in_saved_file": expected_images, "screenshot": str(shot),
                         "problems": problems, "stderr": notes}
    for note in notes:
        warnings.warn(f"{path.name}: {note}", stacklevel=1)
    if path in WIDGET_NOTEBOOKS and not problems:
        executed[path.name] = (notebook, result)  # kept open (kernel alive) for the widget test
    else:
        notebook.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        notebook.page.close()
    assert not problems, (f"{path.name} in JupyterLab (smoke, {result.seconds:.0f} s; screenshot {shot}):\n"
                          + "\n".join(problems))


@pytest.mark.parametrize("path", WIDGET_NOTEBOOKS, ids=lambda path: path.stem)
def test_widgets_respond_in_jupyterlab(path: Path, browser, lab_server, executed, report):
    """Each widget's slider (or dropdown, or toggle buttons) set to two values changes its picture and text."""
    if path.name in executed:
        notebook, _ = executed.pop(path.name)
    else:
        notebook, result = run_notebook(browser, lab_server, path)
        problems = problems_of(result, image_outputs_in_file(path))
        if problems:
            notebook.page.close()
            pytest.fail(f"{path.name} did not run cleanly, so its widgets were not tried:\n" + "\n".join(problems))
    try:
        checked = []
        for index in notebook.widget_cells():
            cell = notebook.cell_locator(index)
            control = find_control(cell)
            if control is None:
                continue  # e.g. a progress bar: nothing to move
            states = [notebook.widget_state(index)]
            actions = []
            for step in (0, 1):
                actions.append(change_control(notebook.page, control, step))
                states.append(notebook.wait_widget_update(index, states[-1], WIDGET_TIMEOUT))
                cell.screenshot(path=str(SCREENSHOTS / f"{path.stem}__widget{index}_{step + 1}.png"))
            checked.append(describe_widget_changes(path.name, index, control.kind, actions, states))
        assert checked, (f"{path.name}: no widget with a slider, dropdown or toggle buttons was displayed "
                         f"(cells with widget views: {notebook.widget_cells()})")
        report.setdefault(path.stem, {})["widgets"] = checked
    finally:
        notebook.page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        notebook.page.close()


def describe_widget_changes(name: str, index: int, kind: str, actions: list[str], states: list[dict]) -> str:
    """Assert that each change of the control changed the images (and numbers in the text, where shown)."""
    where = f"{name}, widget in cell {index} ({kind})"
    for step, (before, after) in enumerate(zip(states, states[1:])):
        said = (f"{where}: after step {step + 1} ({actions[step]}; readout {before['readouts']} -> "
                f"{after['readouts']})")
        assert after["loaded"], f"{said}: an image did not load"
        if before["images"]:
            assert after["images"] != before["images"], f"{said}: the displayed image did not change"
        if any(ch.isdigit() for ch in before["text"]):
            assert after["text"] != before["text"], (f"{said}: the text beside the widget did not change: "
                                                     f"{after['text'][:300]!r}")
        assert before["images"] or before["text"], f"{said}: the widget shows neither an image nor text"
    values = " / ".join(repr(state["text"][:120]) for state in states)
    return f"cell {index}: {kind}, {len(states[-1]['images'])} image(s); text {values}"
