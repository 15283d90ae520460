"""The Korean edition: each catalog translates every paragraph of its notebook, and each generated notebook is its
English notebook with the translations, up to date and executed."""

from __future__ import annotations

import nbformat
import pytest

from cnncourse import code_strings, translation
from cnncourse.errors import TranslationError
from cnncourse.notebook_setup import setup_cell_source

EDITIONS = [(notebook, language) for language in translation.LANGUAGES for notebook in translation.english_notebooks()]
IDS = [f"{language}-{notebook.stem}" for notebook, language in EDITIONS]


@pytest.mark.parametrize(("notebook", "language"), EDITIONS, ids=IDS)
def test_the_catalog_translates_every_paragraph(notebook, language):
    catalog = translation.read_catalog(translation.catalog_path(notebook, language), language)
    assert translation.problems(catalog, notebook) == [], \
        "Run `python -m cnncourse.translation update`, translate what it marks, then `... build`."
    kept = [message.id for message in catalog if message.id and message.context is None]
    assert kept == translation.messages_of(notebook), "The catalog keeps paragraphs the notebook no longer has: update it."
    kept_code = [message.id for message in catalog if message.context == translation.CODE]
    assert kept_code == list(translation.code_messages_of(notebook)), \
        "The catalog keeps code strings the notebook no longer has: update it."


@pytest.mark.parametrize(("notebook", "language"), EDITIONS, ids=IDS)
def test_the_generated_notebook_is_up_to_date_and_executed(notebook, language):
    generated = nbformat.read(translation.translated_path(notebook, language), as_version=4)
    assert translation.same_cells(translation.translate(notebook, language), generated), \
        "The generated notebook differs from its English notebook and catalog: `python -m cnncourse.translation build`."
    code = [cell for cell in generated.cells if cell.cell_type == "code"]
    assert all(cell.execution_count is not None for cell in code), "Its outputs must come from a real run: build it."
    assert not [output for cell in code for output in cell.outputs if output.output_type == "error"]


def lesson(tmp_path, *markdown: str):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(text) for text in markdown]
                                        + [nbformat.v4.new_code_cell(setup_cell_source()),
                                           nbformat.v4.new_code_cell("print(1)")])
    path = tmp_path / "01_lesson.ipynb"
    nbformat.write(notebook, path)
    return path


def translate_all(path, language="ko", **translations):
    catalog = translation.read_catalog(translation.catalog_path(path, language), language)
    for message in catalog:
        if message.id:
            message.string, message.flags = translations.get(message.id, "번역 " + message.id), set()
    translation.write_catalog(catalog, translation.catalog_path(path, language))


def test_paragraphs_split_at_blank_lines_but_keep_fences_and_display_maths_whole():
    text = "# Title\n\nOne line\nand its next.\n\n```\ncode\n\nmore code\n```\n\n$$\na\n\nb\n$$\n\nEnd."
    assert translation.paragraphs(text) == ["# Title", "One line\nand its next.", "```\ncode\n\nmore code\n```",
                                            "$$\na\n\nb\n$$", "End."]


def test_an_edited_paragraph_turns_fuzzy_and_a_new_one_untranslated(tmp_path):
    path = lesson(tmp_path, "# The lesson\n\nA first paragraph about channels.", "Gone soon.")
    translation.update(path, "ko")
    translate_all(path)
    lesson(tmp_path, "# The lesson\n\nA first paragraph about colour channels.", "A new paragraph here.")
    catalog = translation.update(path, "ko")
    edited = catalog.get("A first paragraph about colour channels.")
    assert edited.fuzzy and edited.string == "번역 A first paragraph about channels."
    assert not catalog.get("A new paragraph here.").string
    assert catalog.get("Gone soon.") is None
    with pytest.raises(TranslationError, match="untranslated|fuzzy"):
        translation.translate(path, "ko")
    assert not list(tmp_path.rglob("*.part"))
    translate_all(path)   # revised: no longer fuzzy, so the earlier English is not kept
    translation.update(path, "ko")
    translation.update(path, "ko")
    assert "#|" not in translation.catalog_path(path, "ko").read_text().replace("#| msgid \"\"", "")


def test_a_translation_replaces_the_prose_and_copies_the_code(tmp_path):
    path = lesson(tmp_path, "# Why normalize?\n\nEach channel has its own mean.")
    translation.update(path, "ko")
    translate_all(path, **{"# Why normalize?": "# 왜 정규화할까요?"})
    translated = translation.translate(path, "ko")
    assert translated.cells[0].source == "# 왜 정규화할까요?\n\n번역 Each channel has its own mean."
    assert translated.cells[1].source == setup_cell_source("ko")   # it sets the package's language
    assert translated.cells[2].source == "print(1)" and translated.cells[2].outputs == []
    assert translated.metadata["cnncourse"] == {"language": "ko", "source": "../01_lesson.ipynb"}


def test_prose_translated_without_hangul_is_refused(tmp_path):
    path = lesson(tmp_path, "Each channel has its own mean.\n\n$$x = \\frac{a}{b}$$")
    translation.update(path, "ko")
    translate_all(path, **{"Each channel has its own mean.": "Each channel has its own mean.",
                           "$$x = \\frac{a}{b}$$": "$$x = \\frac{a}{b}$$"})   # maths alone needs no Hangul
    catalog = translation.read_catalog(translation.catalog_path(path, "ko"), "ko")
    assert translation.problems(catalog, path) == ["no Hangul in the translation of 'Each channel has its own mean.'"]


def test_a_notebook_without_a_catalog_says_how_to_make_one(tmp_path):
    with pytest.raises(TranslationError, match="translation update"):
        translation.translate(lesson(tmp_path, "Text."), "ko")


def test_a_text_change_keeps_the_outputs_and_a_code_change_asks_for_a_run(tmp_path):
    path = lesson(tmp_path, "Each channel has its own mean.")
    translation.update(path, "ko")
    translate_all(path)
    assert translation.build(path, "ko", run=False) == "written without outputs"
    built = translation.translated_path(path, "ko")
    executed = nbformat.read(built, as_version=4)   # as if a kernel had run it
    executed.cells[2].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    executed.cells[1].execution_count, executed.cells[2].execution_count = 1, 2
    nbformat.write(executed, built)
    assert translation.build(path, "ko", run=False) == "up to date"

    notebook = nbformat.read(path, as_version=4)
    notebook.cells[0].source = "Each colour channel has its own mean."
    nbformat.write(notebook, path)
    translation.update(path, "ko")
    translate_all(path)
    assert translation.build(path, "ko", run=False) == "text updated, outputs kept"
    rebuilt = nbformat.read(built, as_version=4)
    assert rebuilt.cells[0].source == "번역 Each colour channel has its own mean."
    assert rebuilt.cells[2].outputs[0]["text"] == "1\n"

    notebook = nbformat.read(path, as_version=4)
    notebook.cells[2].source = "print(2)"
    nbformat.write(notebook, path)
    assert translation.build(path, "ko", run=False) == "written without outputs"
    assert nbformat.read(built, as_version=4).cells[2].outputs == []


def test_bold_that_markdown_would_not_draw_is_refused(tmp_path):
    path = lesson(tmp_path, "We hold out the **last five slices (25 to 29)** and never train on them.")
    translation.update(path, "ko")
    glued = "**마지막 다섯 장(25번부터 29번까지)**을 떼어 둡니다."   # ")**" before a syllable: two literal asterisks
    translate_all(path, **{"We hold out the **last five slices (25 to 29)** and never train on them.": glued})
    catalog = translation.read_catalog(translation.catalog_path(path, "ko"), "ko")
    assert [problem.split(" in ")[0] for problem in translation.problems(catalog, path)] == \
        ["bold, italics, code or links drawn differently from the English"]


def test_the_words_the_code_prints_are_translated_and_the_program_kept(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os   # the set-up cell: its words stay"),
        nbformat.v4.new_markdown_cell("Each channel has its own mean."),
        nbformat.v4.new_code_cell('n = 3\nprint(f"{n} channels found")\nassert n == 3, "an RGB image has three channels"')])
    path = tmp_path / "01_lesson.ipynb"
    nbformat.write(notebook, path)
    catalog = translation.update(path, "ko")
    assert list(translation.code_messages_of(path)) == ["{n} channels found", "an RGB image has three channels"]
    assert not catalog.get("{n} channels found", context=translation.CODE).string
    translate_all(path, **{"{n} channels found": "채널 {n}개를 찾았습니다", "an RGB image has three channels": "x"})
    catalog = translation.read_catalog(translation.catalog_path(path, "ko"), "ko")
    assert translation.problems(catalog, path) == ["no Hangul in the translation of code 'an RGB image has three "
                                                   "channels'"]
    translate_all(path, **{"{n} channels found": "채널 {n}개를 찾았습니다", "an RGB image has three channels":
                           "RGB 이미지의 채널은 세 개입니다"})
    code = translation.translate(path, "ko").cells[2].source
    assert code == 'n = 3\nprint(f"채널 {n}개를 찾았습니다")\nassert n == 3, "RGB 이미지의 채널은 세 개입니다"'
    translate_all(path, **{"{n} channels found": "채널을 찾았습니다"})
    catalog = translation.read_catalog(translation.catalog_path(path, "ko"), "ko")
    assert any("placeholders differ" in problem for problem in translation.problems(catalog, path))


@pytest.mark.parametrize(("notebook", "language"), EDITIONS, ids=IDS)
def test_a_generated_notebook_runs_the_english_program(notebook, language):
    english = [cell.source for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"]
    generated = nbformat.read(translation.translated_path(notebook, language), as_version=4)
    translated = [cell.source for cell in generated.cells if cell.cell_type == "code"]
    assert translated[0] == setup_cell_source(language), "the set-up cell sets the notebook's language"
    assert english[0] == setup_cell_source()
    assert len(translated) == len(english)
    assert all(map(code_strings.same_program, english[1:], translated[1:])), "only the words the code shows may differ"
