"""Drive JupyterLab in headless Chromium: start a private server, open a notebook, run it, read what it shows.

Used by test_jupyterlab.py. The server runs on 127.0.0.1 with a token, its own settings (no cell windowing,
so every cell is in the page; no news), and the notebooks copied to a temporary folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

CHROMIUM_CANDIDATES = (
    "/usr/lib/chromium/chromium",  # Debian's package `chromium` (/usr/bin/chromium is a shell wrapper)
    "/usr/lib/chromium-browser/chromium-browser",
    "/usr/bin/chromium",
    "/usr/bin/chromium-browser",
)
# Headless on a machine with no GPU and no network beyond loopback.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
FIGURE_AS_TEXT = re.compile(r"<Figure size \d+x\d+ with \d+ Axes>")


def chromium_path() -> str | None:
    """The Chromium binary: CNNCOURSE_CHROMIUM, else Debian's or Ubuntu's usual place, else None."""
    wanted = os.environ.get("CNNCOURSE_CHROMIUM")
    for candidate in ([wanted] if wanted else []) + list(CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def strip_ansi(text: str) -> str:
    """Text without terminal colour codes (tracebacks carry them)."""
    return ANSI.sub("", text)


def write_lab_settings(folder: Path) -> None:
    """User settings for the test server: every cell rendered (no windowing), no news, no update checks."""
    settings = {
        "@jupyterlab/notebook-extension/tracker": {"windowingMode": "none", "scrollPastEnd": False},
        "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for plugin, values in settings.items():
        path = folder / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def image_outputs_in_file(path: Path) -> int:
    """How many figure outputs (PNG, JPEG or SVG) the saved notebook holds: the least a run must show."""
    notebook = json.loads(path.read_text())
    count = 0
    for cell in notebook.get("cells", []):
        for output in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            data = output.get("data", {})
            count += any(kind in data for kind in ("image/png", "image/jpeg", "image/svg+xml"))
    return count


def has_widget(path: Path) -> bool:
    """Whether the saved notebook displays an ipywidgets widget (in its outputs or, unrun, in its code)."""
    notebook = json.loads(path.read_text())
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        for output in cell.get("outputs", []):
            if "application/vnd.jupyter.widget-view+json" in output.get("data", {}):
                return True
        source = "".join(cell.get("source", ""))
        if re.search(r"\bipywidgets\b|\bwidgets\.\w+\(|_explorer\(|interactive\(|\binteract\b", source):
            return True
    return False


class LabServer:
    """A JupyterLab server of the test's own: loopback, token, private settings, runtime and workspace folders."""

    def __init__(self, root_dir: Path, work_dir: Path, env: dict[str, str]) -> None:
        self.root_dir = root_dir
        self.port = free_port()
        self.token = os.urandom(16).hex()
        settings = work_dir / "lab-settings"
        write_lab_settings(settings)
        self.env = dict(env)
        self.env.update(JUPYTERLAB_SETTINGS_DIR=str(settings),
                        JUPYTERLAB_WORKSPACES_DIR=str(work_dir / "lab-workspaces"),
                        JUPYTER_RUNTIME_DIR=str(work_dir / "jupyter-runtime"),
                        IPYTHONDIR=str(work_dir / "ipython"))
        self.log_path = work_dir / "jupyterlab.log"
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        """Start the server and wait until its API answers."""
        command = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                   f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root_dir}",
                   "--ServerApp.port_retries=0", "--LabApp.expose_app_in_browser=True",
                   "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with self.log_path.open("w") as log:  # the server keeps its own copy of the file descriptor
            self.process = subprocess.Popen(command, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited with code {self.process.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(self.api_url("status"), timeout=5):
                    return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def api_url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/api/{path}?token={self.token}"

    def notebook_url(self, name: str) -> str:
        """The page of one notebook in a fresh workspace (no tabs restored from an earlier test)."""
        return f"http://127.0.0.1:{self.port}/lab/tree/{name}?reset&token={self.token}"

    def shutdown_kernels(self) -> None:
        """End every kernel the server runs (frees the CPU and memory of a notebook that is done)."""
        try:
            with urllib.request.urlopen(self.api_url("kernels"), timeout=10) as response:
                kernels = json.load(response)
            for kernel in kernels:
                request = urllib.request.Request(self.api_url(f"kernels/{kernel['id']}"), method="DELETE")
                urllib.request.urlopen(request, timeout=30).close()
        except OSError:
            pass

    def log_tail(self, lines: int = 40) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Stop the server (and so its kernels)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.shutdown_kernels()
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=30)


def copy_notebooks(source: Path, target: Path) -> Path:
    """Copy the notebooks folder (without caches and checkpoints) so a run never rewrites committed files."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return target


# JavaScript run in the page. `window.jupyterapp` is there because the server runs with expose_app_in_browser.
JS_PANEL = "() => { const w = window.jupyterapp.shell.currentWidget; return !!(w && w.content && w.sessionContext); }"
JS_STATUS = "() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus"
JS_CELLS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  return panel.content.widgets.map((cell, index) => {
    const model = cell.model;
    const prompt = cell.node.querySelector('.jp-InputArea-prompt');
    const entry = {index, type: model.type, source: model.sharedModel.getSource(),
                   prompt: prompt ? prompt.textContent.trim() : '', count: null, outputs: []};
    if (model.type === 'code') {
      entry.count = model.executionCount;
      for (let j = 0; j < model.outputs.length; j++) entry.outputs.push(model.outputs.get(j).toJSON());
    }
    const rendered = [...cell.node.querySelectorAll('.jp-OutputArea-output')];
    entry.dom_errors = rendered.filter(o => (o.getAttribute('data-mime-type') || '').includes('error')
        || /Traceback \\(most recent call last\\)|^-{20,}\\s*\\n?\\w+(Error|Exception)/m.test(o.innerText || ''))
      .map(o => o.innerText);
    entry.images = [...cell.node.querySelectorAll('.jp-OutputArea-output img, img.widget-image')].map(img => ({
      complete: img.complete, width: img.naturalWidth, height: img.naturalHeight}));
    return entry;
  });
}"""
JS_MARK_CELL_OUTPUTS = """(index) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
  document.querySelectorAll('[data-e2e-cell]').forEach(e => e.removeAttribute('data-e2e-cell'));
  cell.node.setAttribute('data-e2e-cell', String(index));
}"""
JS_WIDGET_STATE = """(index) => {
  const cell = window.jupyterapp.shell.currentWidget.content.widgets[index];
  const area = cell.node.querySelector('.jp-Cell-outputWrapper') || cell.node;
  const images = [...area.querySelectorAll('img')].map(img => img.src);
  const loaded = [...area.querySelectorAll('img')].every(img => img.complete && img.naturalWidth > 0);
  const copy = area.cloneNode(true);
  copy.querySelectorAll('.widget-readout, .widget-slider, select, .widget-toggle-buttons, .jp-OutputArea-prompt')
      .forEach(e => e.remove());
  const text = (copy.textContent || '').replace(/\\s+/g, ' ').trim();
  const readouts = [...area.querySelectorAll('.widget-readout')].map(e => e.textContent.trim());
  return {images, loaded, text, readouts};
}"""
JS_WIDGET_CELLS = """() => window.jupyterapp.shell.currentWidget.content.widgets
  .map((cell, index) => [index, cell.node.querySelectorAll('.jupyter-widgets, .widget-slider').length])
  .filter(([, n]) => n > 0).map(([index]) => index)"""
JS_SCROLLER = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const outer = panel.node.querySelector('.jp-WindowedPanel-outer') || panel.content.node;
  return {scroll: outer.scrollHeight, client: outer.clientHeight};
}"""


@dataclass
class CellProblem:
    """One thing wrong with one cell, said precisely."""

    index: int
    first_line: str
    what: str

    def __str__(self) -> str:
        return f"cell {self.index} ({self.first_line!r}): {self.what}"


@dataclass
class RunResult:
    """What a notebook showed after Run All."""

    seconds: float
    cells: list[dict] = field(default_factory=list)
    finished: bool = False
    kernel_status: str = ""

    @property
    def code_cells(self) -> list[dict]:
        return [cell for cell in self.cells if cell["type"] == "code"]

    def errors(self) -> list[CellProblem]:
        """Error outputs (in the model or rendered as a traceback), one entry per cell."""
        problems = []
        for cell in self.code_cells:
            texts = [strip_ansi("\n".join(o.get("traceback", [])) or f"{o.get('ename')}: {o.get('evalue')}")
                     for o in cell["outputs"] if o.get("output_type") == "error"]
            texts += [text for text in cell["dom_errors"] if not texts]
            for text in texts:
                problems.append(CellProblem(cell["index"], first_line(cell["source"]), "error output:\n" + tail(text)))
        return problems

    def unexecuted(self) -> list[CellProblem]:
        """Code cells with no execution count (not run, or still queued)."""
        return [CellProblem(cell["index"], first_line(cell["source"]),
                            "running or queued (prompt [*])" if cell["prompt"] == "[*]:" else
                            f"not executed (prompt {cell['prompt']!r})")
                for cell in self.code_cells if cell["count"] is None and cell["source"].strip()]

    def broken_images(self) -> list[CellProblem]:
        """Images in outputs that did not load (no pixels)."""
        return [CellProblem(cell["index"], first_line(cell["source"]),
                            f"image {k} did not render (complete={image['complete']}, width={image['width']})")
                for cell in self.code_cells for k, image in enumerate(cell["images"])
                if not image["complete"] or image["width"] == 0]

    def figures_as_text(self) -> list[CellProblem]:
        """Figures shown as their text repr instead of a picture (no inline backend)."""
        problems = []
        for cell in self.code_cells:
            for output in cell["outputs"]:
                text = output_text(output)
                drawn = any(kind.startswith("image/") for kind in output.get("data", {}))
                if FIGURE_AS_TEXT.search(text) and not drawn:
                    problems.append(CellProblem(cell["index"], first_line(cell["source"]),
                                                f"figure shown as text, not drawn: {FIGURE_AS_TEXT.search(text)[0]}"))
        return problems

    def stderr_notes(self) -> list[CellProblem]:
        """Text written to stderr (warnings a learner sees in red); reported, not failed."""
        return [CellProblem(cell["index"], first_line(cell["source"]), "stderr: " + tail(output_text(o), 400))
                for cell in self.code_cells for o in cell["outputs"]
                if o.get("output_type") == "stream" and o.get("name") == "stderr" and output_text(o).strip()]

    def image_count(self) -> int:
        return sum(len(cell["images"]) for cell in self.code_cells)


def first_line(source: str) -> str:
    lines = [line for line in source.splitlines() if line.strip()]
    return (lines[0][:80] if lines else "")


def tail(text: str, limit: int = 1500) -> str:
    text = text.strip()
    return text if len(text) <= limit else "..." + text[-limit:]


def output_text(output: dict) -> str:
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    else:
        text = output.get("data", {}).get("text/plain", "")
    return "".join(text) if isinstance(text, list) else str(text)


class NotebookPage:
    """One notebook open in JupyterLab in one browser page."""

    def __init__(self, page, server: LabServer, name: str) -> None:
        self.page = page
        self.server = server
        self.name = name

    def open(self, timeout: float = 180) -> None:
        """Load the notebook, accept a kernel dialog if one appears, and wait for an idle kernel."""
        self.page.goto(self.server.notebook_url(self.name), timeout=timeout * 1000)
        self.page.wait_for_selector(".jp-NotebookPanel .jp-Notebook", timeout=timeout * 1000)
        self.page.wait_for_function(JS_PANEL, timeout=timeout * 1000)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dialog = self.page.locator(".jp-Dialog .jp-mod-accept")
            if dialog.count():
                dialog.first.click()  # "Select Kernel": keep the proposed Python kernel
            if self.status() == "idle":
                return
            time.sleep(0.5)
        raise AssertionError(f"{self.name}: the kernel did not start within {timeout:.0f} s "
                             f"(status {self.status()!r}).\nServer log:\n{self.server.log_tail()}")

    def status(self) -> str:
        return self.page.evaluate(JS_STATUS)

    def command(self, command_id: str) -> None:
        self.page.evaluate("(id) => window.jupyterapp.commands.execute(id)", command_id)

    def run_all(self) -> None:
        """Clear old outputs, then Run > Run All Cells through the menu, as a learner would."""
        self.command("notebook:clear-all-cell-outputs")
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).first.click()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).first.click()

    def cells(self) -> list[dict]:
        return self.page.evaluate(JS_CELLS)

    def wait_until_run(self, timeout: float, poll: float = 2.0) -> RunResult:
        """Wait until every code cell has an execution count and the kernel is idle, or a cell failed."""
        start = time.monotonic()
        quiet = 0
        while True:
            time.sleep(poll)
            status = self.status()
            if status in ("dead", "unknown") or "restarting" in status or "terminating" in status:
                cells = self.cells()
                return RunResult(time.monotonic() - start, cells, False, status)
            cells = self.cells()
            code = [c for c in cells if c["type"] == "code" and c["source"].strip()]
            running = any(c["prompt"] == "[*]:" for c in code)
            all_counted = all(c["count"] is not None for c in code)
            failed = any(o.get("output_type") == "error" for c in code for o in c["outputs"])
            done = status == "idle" and not running and (all_counted or failed)
            quiet = quiet + 1 if done else 0
            if quiet >= 2:  # idle on two polls in a row: nothing is queued
                return RunResult(time.monotonic() - start, self.cells(), all_counted, status)
            if time.monotonic() - start > timeout:
                return RunResult(time.monotonic() - start, cells, False, status)

    def wait_images_loaded(self, timeout: float = 30) -> None:
        self.page.wait_for_function(
            "() => [...document.querySelectorAll('.jp-NotebookPanel img')].every(i => i.complete)",
            timeout=timeout * 1000)

    def screenshot(self, path: Path, max_height: int = 60_000) -> None:
        """The whole notebook in one picture: grow the window to the notebook's height, then capture the page."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); window.jupyterapp.shell.collapseRight(); }")
        viewport = self.page.viewport_size
        time.sleep(0.5)
        size = self.page.evaluate(JS_SCROLLER)
        height = min(viewport["height"] + size["scroll"] - size["client"] + 40, max_height)
        self.page.set_viewport_size({"width": viewport["width"], "height": max(height, viewport["height"])})
        time.sleep(1.0)
        self.page.evaluate("""() => { const p = window.jupyterapp.shell.currentWidget;
          const o = p.node.querySelector('.jp-WindowedPanel-outer'); if (o) o.scrollTop = 0; }""")
        time.sleep(0.5)
        self.page.screenshot(path=str(path), full_page=True)
        self.page.set_viewport_size(viewport)

    def widget_cells(self) -> list[int]:
        """Indices of cells whose outputs contain an ipywidgets view."""
        return self.page.evaluate(JS_WIDGET_CELLS)

    def widget_state(self, index: int) -> dict:
        """The images (as short digests of their sources), the text and the readouts of a widget cell."""
        state = self.page.evaluate(JS_WIDGET_STATE, index)
        state["images"] = [hashlib.sha1(src.encode()).hexdigest()[:12] for src in state["images"]]
        return state

    def cell_locator(self, index: int):
        self.page.evaluate(JS_MARK_CELL_OUTPUTS, index)
        return self.page.locator(f'[data-e2e-cell="{index}"]')

    def wait_widget_update(self, index: int, before: dict, timeout: float) -> dict:
        """Wait until the kernel is idle, the images loaded and the view changed as `widget_changed` expects."""
        start = time.monotonic()
        state, quiet = before, 0
        while time.monotonic() - start < timeout:
            time.sleep(1.0)
            state = self.widget_state(index)
            settled = self.status() == "idle" and state["loaded"]
            quiet = quiet + 1 if settled else 0
            if quiet >= 2 and not widget_unchanged(before, state):
                return state
        return state


def widget_unchanged(before: dict, after: dict) -> list[str]:
    """What should have changed in a widget's view and did not: its images (where it shows some) and its
    text (where that holds numbers, such as a PSNR or a weight count); empty when all changed."""
    missing = []
    if before["images"] and after["images"] == before["images"]:
        missing.append("the displayed image did not change")
    if any(ch.isdigit() for ch in before["text"]) and after["text"] == before["text"]:
        missing.append(f"the text beside the widget did not change: {after['text'][:300]!r}")
    if not before["images"] and not before["text"]:
        missing.append("the widget shows neither an image nor text")
    return missing


@dataclass
class Control:
    """One input of a widget that a learner changes: a slider, a dropdown or toggle buttons."""

    kind: str
    locator: object

    def describe(self) -> str:
        """The control's kind and its label (the widget's description), e.g. 'slider "threshold"'."""
        label = self.locator.locator(".widget-label").first
        text = label.text_content().strip() if label.count() else ""
        return f'{self.kind} "{text}"' if text else self.kind


def find_controls(cell) -> list[Control]:
    """Every slider in a cell's outputs; with none, its first dropdown, else its first toggle buttons."""
    sliders = cell.locator(".widget-hslider")
    if sliders.count():
        return [Control("slider", sliders.nth(k)) for k in range(sliders.count())]
    for kind, selector in (("dropdown", ".widget-dropdown select"), ("toggle buttons", ".widget-toggle-buttons")):
        found = cell.locator(selector)
        if found.count():
            return [Control(kind, found.first)]
    return []


def change_control(page, control: Control, step: int) -> str:
    """Move the control to a new value (step 0 and 1 give two different values); returns what was done."""
    if control.kind == "slider":
        track = control.locator.locator(".noUi-target").first
        handle = control.locator.locator(".noUi-handle").first
        track.scroll_into_view_if_needed()
        box, grip = track.bounding_box(), handle.bounding_box()
        start_x, y = grip["x"] + grip["width"] / 2, grip["y"] + grip["height"] / 2
        now = (start_x - box["x"]) / box["width"]
        target = 0.85 if now < 0.5 else 0.2  # the far side: each step gives a value different from the last
        target_x = box["x"] + target * box["width"]
        page.mouse.move(start_x, y)
        page.mouse.down()
        page.mouse.move(target_x, y, steps=8)
        page.mouse.up()
        return f"dragged the slider handle to {target:.0%} of its track"
    if control.kind == "dropdown":
        options = control.locator.locator("option").all_text_contents()
        current = control.locator.evaluate("s => s.selectedIndex")
        choices = [k for k in range(len(options)) if k != current]
        if not choices:
            raise AssertionError("the dropdown has a single option")
        pick = choices[min(step, len(choices) - 1)] if step == 0 else choices[-1]
        control.locator.select_option(index=pick)
        return f"chose {options[pick]!r} in the dropdown"
    buttons = control.locator.locator("button")
    labels = buttons.all_text_contents()
    active = [k for k in range(len(labels)) if "mod-active" in (buttons.nth(k).get_attribute("class") or "")]
    choices = [k for k in range(len(labels)) if k not in active]
    pick = choices[0] if step == 0 else choices[-1]
    buttons.nth(pick).click()
    return f"clicked the toggle button {labels[pick]!r}"
