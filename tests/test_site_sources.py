"""The website's sources: what a widget showed when its notebook was saved reaches the page (no kernel needed)."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from cnncourse import site

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def widget_outputs(notebook: nbformat.NotebookNode) -> list[tuple[int, dict]]:
    return [(index, output) for index, cell in enumerate(notebook.cells) for output in cell.get("outputs", [])
            if site.WIDGET_VIEW in output.get("data", {})]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.stem)
def test_every_widget_shows_on_the_site_what_it_showed_when_saved(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    state = notebook.metadata.get("widgets", {}).get(site.WIDGET_STATE, {}).get("state", {})
    saved = {}
    for index, output in widget_outputs(notebook):
        model_id = output["data"][site.WIDGET_VIEW]["model_id"]
        assert model_id in state, f"cell {index}: the saved widget state is from another run than the outputs"
        saved[index] = next((output["data"][mime] for mime in site.PICTURE_TYPES if mime in output["data"]), None)
    pages = site.static_widgets(nbformat.read(path, as_version=4))
    for index, own_picture in saved.items():
        outputs = pages.cells[index].outputs
        assert not any(site.WIDGET_VIEW in output.get("data", {}) for output in outputs)
        notes = [position for position, output in enumerate(outputs)
                 if "widget" in output.get("data", {}).get("text/markdown", "")]
        assert len(notes) == 1, f"cell {index}: {len(notes)} widget notes"
        note = outputs[notes[0]]["data"]["text/markdown"]
        shown = outputs[notes[0] + 1:]
        if own_picture is not None:
            assert note == site.WIDGET_NOTE and shown and own_picture in shown[0]["data"].values(), \
                f"cell {index}: the page does not show the picture saved with the widget"
        else:
            assert note.startswith(site.WIDGET_NOTE) or len(note.splitlines()) > 2, \
                f"cell {index}: a widget without a picture needs its values as text on the page"


def test_a_widget_without_a_picture_is_shown_as_its_values() -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["widgets"] = {site.WIDGET_STATE: {"state": {
        "box": {"model_name": "HBoxModel", "state": {"children": ["IPY_MODEL_slider", "IPY_MODEL_label"]}},
        "slider": {"model_name": "IntSliderModel", "state": {"description": "kernel size", "value": 5}},
        "label": {"model_name": "LabelModel", "state": {"description": "", "value": "25 weights"}}}}}
    cell = nbformat.v4.new_code_cell("box")
    cell.outputs = [nbformat.v4.new_output("execute_result", data={site.WIDGET_VIEW: {"model_id": "box"},
                                                                   "text/plain": "HBox(...)"})]
    notebook.cells = [cell]
    text = site.static_widgets(notebook).cells[0].outputs[0]["data"]["text/markdown"]
    assert text.startswith(site.WIDGET_TEXT_NOTE) and "kernel size: `5`" in text and "- 25 weights" in text


def test_two_builds_into_two_folders_share_no_sources(tmp_path, monkeypatch):
    """The tests' workers build the site at the same time: each build keeps its Sphinx sources beside its output."""
    sphinx_build = pytest.importorskip("sphinx.cmd.build", reason="The site needs Sphinx: pip install -e '.[site]'")
    calls = []

    def fake_build_main(argv: list[str]) -> int:   # Sphinx itself is the browser test's job
        calls.append(argv)
        (Path(argv[-1]) / "_sources").mkdir(parents=True)
        return 0

    monkeypatch.setattr(sphinx_build, "build_main", fake_build_main)
    for name in ("a", "b"):
        site.build(tmp_path / name / "html")
    sources = [argv[-2] for argv in calls]
    assert sources == [str(tmp_path / name / folder) for name in ("a", "b") for folder in ("html-source", "html-ko-source")]
    assert [argv[-1] for argv in calls][:2] == [str(tmp_path / "a" / "html"), str(tmp_path / "a" / "html" / "ko")]
    assert all((Path(source) / "index.md").is_file() for source in sources)
