"""The course in another language: notebooks generated from the English ones and one gettext catalog each.

    python -m cnncourse.translation update     # each catalog follows its English notebook
    python -m cnncourse.translation build      # notebooks/ko/*.ipynb from the English notebooks and the catalogs

The English notebooks are the source. Each paragraph of a markdown cell is one message of its notebook's catalog,
``notebooks/locale/<language>/LC_MESSAGES/<notebook>.po`` (gettext's format: any PO editor opens it). ``update``
adds a new paragraph untranslated and marks a changed one fuzzy, its earlier translation kept to revise.
``build`` copies every code cell, replaces each paragraph by its translation, and executes the notebook where its
code changed, so that its outputs come from a real run (the checkpoint cache makes that quick after the English
run); where only text changed, the outputs of the previous build stay. It refuses a catalog with a message
missing, untranslated or fuzzy. Nobody edits a generated notebook by hand.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
from pathlib import Path

import nbformat
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po
from markdown_it import MarkdownIt

from .data.cache import atomic_path
from .errors import TranslationError
from .version import __version__

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
LANGUAGES = ("ko",)
HANGUL = re.compile("[\uac00-\ud7a3]")
FENCE = re.compile(r"^\s*(```|~~~)")


def paragraphs(markdown: str) -> list[str]:
    """A markdown cell's paragraphs: the blocks between blank lines, a fenced block or display maths kept whole."""
    blocks, lines, fenced, in_maths = [], [], False, False
    for line in markdown.split("\n"):
        fenced ^= bool(FENCE.match(line))
        in_maths ^= line.count("$$") % 2 == 1
        if line.strip() or fenced or in_maths:
            lines.append(line)
        elif lines:
            blocks.append("\n".join(lines))
            lines = []
    if lines:
        blocks.append("\n".join(lines))
    return blocks


def is_prose(message: str) -> bool:
    """Words to translate, not only maths, code, links' targets or a table of symbols."""
    bare = re.sub(r"\$\$.*?\$\$|\$[^$]*\$|`[^`]*`|\]\([^)]*\)", " ", message, flags=re.S)
    return len(re.findall(r"[A-Za-z]{2,}", bare)) >= 3


def rendered_marks(markdown: str) -> list[int]:
    """How many bold, italic, code and link marks Jupyter's markdown draws: a translation must draw as many (in
    CommonMark, ``**bold**`` glued to a Hangul syllable after a bracket stays two literal asterisks)."""
    html = MarkdownIt("commonmark").enable("table").render(markdown)
    return [html.count(tag) for tag in ("<strong>", "<em>", "<code>", "<a ")]


def english_notebooks() -> list[Path]:
    return sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))


def catalog_path(notebook: Path, language: str) -> Path:
    return notebook.parent / "locale" / language / "LC_MESSAGES" / f"{notebook.stem}.po"


def translated_path(notebook: Path, language: str) -> Path:
    return notebook.parent / language / notebook.name


def messages_of(notebook: Path) -> list[str]:
    """Every paragraph of the notebook's markdown cells, in order, each once."""
    cells = nbformat.read(notebook, as_version=4).cells
    found = [paragraph for cell in cells if cell.cell_type == "markdown" for paragraph in paragraphs(cell.source)]
    return list(dict.fromkeys(found))


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=language)


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a catalog whole or not at all: a half-written file never replaces a good one."""
    with atomic_path(path) as partial, partial.open("wb") as file:
        write_po(file, catalog, width=0, ignore_obsolete=True, include_previous=True)


def new_catalog(notebook: Path, language: str | None = None) -> Catalog:
    return Catalog(locale=language, project="cnncourse", version=__version__, fuzzy=False,
                   header_comment=f"# {Locale.parse(language).english_name if language else 'The'} text of the cnncourse "
                                  f"notebook {notebook.name}, one message per paragraph.\n"
                                  "# Kept in step with it by `python -m cnncourse.translation update`.",
                   msgid_bugs_address="https://github.com/cnncourse/cnncourse/issues",
                   last_translator="cnncourse", language_team="cnncourse")


def update(notebook: Path, language: str) -> Catalog:
    """The notebook's catalog made to follow it: new paragraphs untranslated, changed ones fuzzy, gone ones dropped."""
    template = new_catalog(notebook)
    for message in messages_of(notebook):
        template.add(message)
    path = catalog_path(notebook, language)
    if path.exists():
        catalog = read_catalog(path, language)
        created = catalog.creation_date
        catalog.update(template, update_header_comment=False)
        catalog.creation_date = created   # its own date kept: an update that changes no message changes no byte
    else:
        catalog = new_catalog(notebook, language)
        catalog.update(template, no_fuzzy_matching=True)
    write_catalog(catalog, path)
    return catalog


def problems(catalog: Catalog, notebook: Path) -> list[str]:
    """What keeps a catalog from translating its notebook: each message missing, untranslated, fuzzy or not
    translated into the language's script."""
    messages = messages_of(notebook)
    found = []
    for message in messages:
        entry = catalog.get(message)
        if entry is None:
            found.append(f"missing: {message[:60]!r}")
        elif not entry.string:
            found.append(f"untranslated: {message[:60]!r}")
        elif entry.fuzzy:
            found.append(f"fuzzy (its English changed): {message[:60]!r}")
        elif catalog.locale.language == "ko" and is_prose(message) and not HANGUL.search(entry.string):
            found.append(f"no Hangul in the translation of {message[:60]!r}")
        elif rendered_marks(entry.string) != rendered_marks(message):
            found.append(f"bold, italics, code or links drawn differently from the English in {message[:60]!r}")
    return found


def translate(notebook: Path, language: str) -> nbformat.NotebookNode:
    """The notebook with its markdown translated, its code cells copied, no outputs."""
    path = catalog_path(notebook, language)
    if not path.exists():
        raise TranslationError(f"{notebook.name} has no catalog for {language!r} ({path}): create it with "
                               f"`python -m cnncourse.translation update --language {language}` and translate it.")
    catalog = read_catalog(path, language)
    found = problems(catalog, notebook)
    if found:
        raise TranslationError(f"{path} cannot translate {notebook.name}: {len(found)} problem(s), the first: "
                               f"{found[0]}. Run `python -m cnncourse.translation update` and translate what it "
                               "marks (untranslated or fuzzy).")
    translated = copy.deepcopy(nbformat.read(notebook, as_version=4))
    for cell in translated.cells:
        if cell.cell_type == "markdown":
            cell.source = "\n\n".join(catalog.get(paragraph).string for paragraph in paragraphs(cell.source))
        else:
            cell.outputs, cell.execution_count = [], None
    translated.metadata.pop("widgets", None)
    translated.metadata["cnncourse"] = {"language": language, "source": f"../{notebook.name}"}
    return translated


def same_cells(first: nbformat.NotebookNode, second: nbformat.NotebookNode) -> bool:
    """The same cells in the same order: kinds, ids and sources (outputs aside)."""
    def cells(notebook):
        return [(cell.cell_type, cell.get("id"), cell.source) for cell in notebook.cells]
    return cells(first) == cells(second)


def execute(notebook: nbformat.NotebookNode, folder: Path, timeout: int = 3600) -> None:
    """Run every cell in a fresh kernel in ``folder``, as a learner would, outputs kept in ``notebook``."""
    from nbclient import NotebookClient   # a kernel is needed to build, not to check
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()


def code_of(notebook: nbformat.NotebookNode) -> list[tuple[str, str]]:
    return [(cell.get("id"), cell.source) for cell in notebook.cells if cell.cell_type == "code"]


def keep_outputs(translated: nbformat.NotebookNode, previous: nbformat.NotebookNode) -> None:
    """Give the translated notebook the outputs of its previous build, whose code cells are the same."""
    earlier = {cell.get("id"): cell for cell in previous.cells if cell.cell_type == "code"}
    for cell in translated.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = earlier[cell.get("id")].outputs, earlier[cell.get("id")].execution_count
    translated.metadata["widgets"] = previous.metadata.get("widgets", {})


def executed(notebook: nbformat.NotebookNode) -> bool:
    return all(cell.execution_count is not None for cell in notebook.cells if cell.cell_type == "code")


def build(notebook: Path, language: str, *, run: bool = True, rerun: bool = False) -> str:
    """Write the translated notebook unless it is up to date: executed where its code changed (or ``rerun``: the
    package changed what the English notebook prints), else with the outputs of its previous build (only text
    changed). Returns what was done."""
    translated, path = translate(notebook, language), translated_path(notebook, language)
    previous = nbformat.read(path, as_version=4) if path.exists() else None
    reusable = previous is not None and executed(previous) and not rerun
    if reusable and same_cells(translated, previous):
        return "up to date"
    if reusable and code_of(translated) == code_of(previous):
        keep_outputs(translated, previous)
        done = "text updated, outputs kept"
    elif run:
        path.parent.mkdir(parents=True, exist_ok=True)
        execute(translated, path.parent)
        done = "executed"
    else:
        done = "written without outputs"
    with atomic_path(path) as partial:
        nbformat.write(translated, partial)
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnncourse.translation", description=__doc__.split("\n")[0])
    parser.add_argument("command", choices=("update", "build"))
    parser.add_argument("notebooks", nargs="*", type=Path, help="English notebooks (default: all)")
    parser.add_argument("--language", default="ko", choices=LANGUAGES)
    parser.add_argument("--no-run", action="store_true", help="build: write the notebooks without executing them")
    parser.add_argument("--rerun", action="store_true",
                        help="build: execute every notebook again (after a change to the package's outputs)")
    args = parser.parse_args(argv)
    for notebook in args.notebooks or english_notebooks():
        if args.command == "update":
            catalog = update(notebook, args.language)
            left = problems(catalog, notebook)
            print(f"{catalog_path(notebook, args.language)}: {len(catalog)} messages, {len(left)} to translate")
        else:
            print(f"{translated_path(notebook, args.language)}: {build(notebook, args.language, run=not args.no_run, rerun=args.rerun)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
