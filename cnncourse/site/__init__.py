"""The course as a website: the committed notebooks, outputs included, turned into HTML pages by Sphinx.

    pip install -e ".[site]" && python -m cnncourse.site        # -> build/site/index.html, build/site/ko/index.html

The English site, and under ``ko/`` the Korean one, built from the Korean edition's notebooks (``notebooks/ko``,
see cnncourse.translation); every page links to the same page in the other language.

Nothing is executed: the pages show the outputs of the committed `standard` run. The build needs no internet
(MathJax comes from the jupyter-server-mathjax package and is shipped with the site); built with ``--strict``,
as the tests build it, it fails on any warning, so a broken cross-reference or a missing image cannot pass.
Widgets need a running kernel, so each widget output is replaced by the picture it showed when the notebook was
saved (or, for a widget without one, by the values it showed).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
CONF_DIR = Path(__file__).resolve().parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
PICTURE_TYPES = ("image/png", "image/jpeg")  # drawings and charts; photographs (``plot.inline``)
NBVAL_MARKER = "# NBVAL_CHECK_OUTPUT"  # a line that tells nbval to compare the cell's output
WIDGET_NOTE = "*(An interactive widget in JupyterLab or Colab; here, the picture it showed when the notebook was saved.)*"
WIDGET_TEXT_NOTE = "*(An interactive widget in JupyterLab or Colab; here, what it showed when the notebook was saved:)*"
WIDGET_NOTES = {  # language -> (a widget's picture, a widget's values)
    "en": (WIDGET_NOTE, WIDGET_TEXT_NOTE),
    "ko": ("*(JupyterLab이나 Colab에서 움직일 수 있는 위젯입니다. 여기서는 노트북을 저장할 때 위젯이 보여 준 그림입니다.)*",
           "*(JupyterLab이나 Colab에서 움직일 수 있는 위젯입니다. 여기서는 노트북을 저장할 때 위젯이 보여 준 값입니다:)*"),
}
LANGUAGES = ("en", "ko")  # the site's languages: English at the top, each other one in a folder of its name


def widget_models(notebook: nbformat.NotebookNode, model_id: str) -> list[dict]:
    """The saved state of the widget ``model_id`` and of all its children, parents first."""
    state = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    models, pending, seen = [], [model_id], {model_id}
    while pending:
        model = state.get(pending.pop(0), {})
        models.append(model)
        for child in model.get("state", {}).get("children", []):
            child_id = str(child).removeprefix("IPY_MODEL_")
            if child_id not in seen:
                seen.add(child_id)
                pending.append(child_id)
    return models


def widget_pictures(notebook: nbformat.NotebookNode, output: dict) -> list[dict]:
    """The pictures a widget output showed when saved: its own, and those its widgets' output areas held."""
    view = output["data"][WIDGET_VIEW]
    own = [nbformat.v4.new_output("display_data", data={mime: output["data"][mime]}, metadata=output.get("metadata", {}))
           for mime in PICTURE_TYPES if mime in output["data"]][:1]
    held = [nbformat.from_dict(shown) for model in widget_models(notebook, view["model_id"])
            for shown in model.get("state", {}).get("outputs", [])
            if any(mime in shown.get("data", {}) for mime in PICTURE_TYPES)]
    return own + held


def widget_text(notebook: nbformat.NotebookNode, output: dict) -> str:
    """What a widget without a picture showed, as text: each control's name and value, each label's words."""
    lines = []
    for model in widget_models(notebook, output["data"][WIDGET_VIEW]["model_id"]):
        values = model.get("state", {})
        if "value" not in values or isinstance(values["value"], (dict, list)):
            continue
        name = values.get("description") or ""
        lines.append(f"- {name}: `{values['value']}`" if name else f"- {values['value']}")
    return "\n".join(lines)


def static_widgets(notebook: nbformat.NotebookNode, language: str = "en") -> nbformat.NotebookNode:
    """Replace every widget output by the picture it showed, or else by its text (a note in ``language`` says
    which); drop the saved widget state."""
    picture_note, text_note = WIDGET_NOTES[language]
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.get("outputs", []):
            if WIDGET_VIEW not in output.get("data", {}):
                outputs.append(output)
                continue
            pictures = widget_pictures(notebook, output)
            note = picture_note if pictures else f"{text_note}\n\n{widget_text(notebook, output)}"
            outputs.extend([nbformat.v4.new_output("display_data", data={"text/markdown": note}), *pictures])
        cell.outputs = outputs
    notebook.metadata.pop("widgets", None)
    return notebook


def lessons(language: str = "en") -> list[Path]:
    """The notebooks of the site in ``language``: the English ones, or their translation's."""
    folder = ROOT / "notebooks" if language == "en" else ROOT / "notebooks" / language
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def prepare_sources(source_dir: Path, language: str = "en") -> Path:
    """A fresh Sphinx source folder: the home page and a copy of every notebook with static widgets."""
    if not (ROOT / "notebooks").is_dir():
        raise FileNotFoundError(f"No notebooks/ folder beside the package at {ROOT}: build the site from a clone of "
                                "the course installed with pip install -e .")
    if source_dir.exists():
        shutil.rmtree(source_dir)
    source_dir.mkdir(parents=True)
    for path in lessons(language):
        notebook = nbformat.read(path, as_version=4)
        nbformat.write(without_machinery(static_widgets(notebook, language)), source_dir / path.name)
    shutil.copy(CONF_DIR / ("index.md" if language == "en" else f"index.{language}.md"), source_dir / "index.md")
    # the home page includes parts of the README, whose links to notebooks/ lead to the lesson pages here
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (source_dir / "README.md").write_text(readme.replace("](notebooks/", "]("), encoding="utf-8")
    return source_dir


def without_machinery(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The page a reader sees: no set-up cell (it installs the package), no test markers in the code."""
    setup = next(cell for cell in notebook.cells if cell.cell_type == "code")
    setup.metadata.setdefault("tags", []).append("remove-cell")
    for cell in notebook.cells:
        if cell.cell_type == "code":
            lines = cell.source.splitlines()
            cell.source = "\n".join(line for line in lines if line.strip() != NBVAL_MARKER)
    return notebook


def build(output_dir: Path = ROOT / "build" / "site", *, strict: bool = False) -> Path:
    """Build the site into ``output_dir``; return the path of its home page.

    ``strict`` (the tests' build) fails on any Sphinx warning; a learner's build only prints them, so that a
    newer Sphinx warning about something harmless does not stop it. The Sphinx sources and doctrees go beside
    ``output_dir`` (``site-source``, ``site-doctrees`` for the default): two builds into two folders at once (the
    tests' workers) never share them."""
    for language in LANGUAGES:
        other = language != "en"
        build_language(output_dir / language if other else output_dir, language, strict=strict,
                       work=output_dir.parent / (f"{output_dir.name}-{language}" if other else output_dir.name))
    return output_dir / "index.html"


def build_language(output_dir: Path, language: str, *, strict: bool, work: Path) -> None:
    """Build the site in one language into ``output_dir``; its Sphinx sources and doctrees go to ``work`` +
    ``-source`` and ``-doctrees``, outside the site."""
    from sphinx.cmd.build import build_main

    source_dir = prepare_sources(work.parent / f"{work.name}-source", language)
    warnings_fail = ["-W", "--keep-going"] if strict else []
    status = build_main(["-b", "html", *warnings_fail, "-q", "-c", str(CONF_DIR), "-D", f"language={language}",
                         "-d", str(work.parent / f"{work.name}-doctrees"), str(source_dir), str(output_dir)])
    if status != 0:
        raise RuntimeError(f"The {language} site's build failed (Sphinx exit status {status}); its warnings are "
                           "printed above.")
    for path in lessons(language):  # downloads get the notebooks with live widgets
        shutil.copy(path, output_dir / "_sources" / path.name)
