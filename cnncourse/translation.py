"""The course in another language: notebooks generated from the English ones and one gettext catalog each.

    python -m cnncourse.translation update     # each catalog follows its English notebook, and the package's its code
    python -m cnncourse.translation build      # notebooks/ko/*.ipynb from the English notebooks and the catalogs

The English notebooks are the source. Each paragraph of a markdown cell is one message of its notebook's catalog,
``notebooks/locale/<language>/LC_MESSAGES/<notebook>.po`` (gettext's format: any PO editor opens it), and so is each
string the code shows the learner (an assert's message, a print's words: context ``code``, placeholders kept).
``update`` adds a new message untranslated and marks a changed one fuzzy, its earlier translation kept to revise.
``build`` copies every code cell with its strings translated, replaces each paragraph by its translation, gives
the set-up cell the notebook's language (``CNNCOURSE_LANG``), and executes the notebook where its code changed, so
that its outputs come from a real run (the checkpoint cache makes that quick after the English run); where only
text changed, the outputs of the previous build stay. It refuses a catalog with a message missing, untranslated or
fuzzy. Nobody edits a generated notebook by hand.

What the package itself says (exercise feedback, the explorers' labels: every message given to ``say``,
``correct``, ``wrong`` or ``to_translate``) is the package's catalog, ``cnncourse/locale/<language>/LC_MESSAGES/
cnncourse.po``, which ``update`` also keeps in step and compiles to the ``.mo`` file that ``language.say`` reads.
"""

from __future__ import annotations

import argparse
import ast
import copy
import io
import re
import sys
from pathlib import Path

import nbformat
from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po
from markdown_it import MarkdownIt

from .code_strings import has_words, placeholder_problem, placeholders, replace_strings, shown_strings
from .data.cache import atomic_path
from .errors import TranslationError
from .language import DOMAIN, LOCALE
from .notebook_setup import setup_cell_source
from .version import __version__

PACKAGE = Path(__file__).resolve().parent
NOTEBOOKS = PACKAGE.parent / "notebooks"
LANGUAGES = ("ko",)
MESSAGE_FUNCTIONS = ("say", "correct", "wrong", "to_translate")  # the package's calls whose first argument is a message
HANGUL = re.compile("[\uac00-\ud7a3]")
CODE = "code"  # the context of a message that is a string in a code cell
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


def code_messages_of(notebook: Path) -> dict[str, bool]:
    """Every string the code cells show the learner (the set-up cell's aside), in order, each once: is it an f-string?"""
    cells = [cell for cell in nbformat.read(notebook, as_version=4).cells if cell.cell_type == "code"][1:]
    return {shown.text: shown.formatted for cell in cells for shown in shown_strings(cell.source)}


def read_catalog(path: Path, language: str) -> Catalog:
    with path.open("rb") as file:
        return read_po(file, locale=language)


def write_catalog(catalog: Catalog, path: Path) -> None:
    """Write a catalog whole or not at all: a half-written file never replaces a good one."""
    with atomic_path(path) as partial, partial.open("wb") as file:
        write_po(file, catalog, width=0, ignore_obsolete=True, include_previous=True)


def new_catalog(what: str, language: str | None = None) -> Catalog:
    """An empty catalog of ``what`` ("notebook 01_normalization.ipynb, one message per paragraph")."""
    return Catalog(locale=language, project="cnncourse", version=__version__, fuzzy=False,
                   header_comment=f"# {Locale.parse(language).english_name if language else 'The'} text of the cnncourse "
                                  f"{what}.\n# Kept in step with it by `python -m cnncourse.translation update`.",
                   msgid_bugs_address="https://github.com/cnncourse/cnncourse/issues",
                   last_translator="cnncourse", language_team="cnncourse")


def _follow(template: Catalog, path: Path, language: str, what: str) -> Catalog:
    """The catalog at ``path`` made to follow ``template``: new messages untranslated, changed ones fuzzy, gone ones
    dropped; written."""
    if path.exists():
        catalog = read_catalog(path, language)
        created = catalog.creation_date
        catalog.update(template, update_header_comment=False)
        catalog.creation_date = created   # its own date kept: an update that changes no message changes no byte
    else:
        catalog = new_catalog(what, language)
        catalog.update(template, no_fuzzy_matching=True)
    for message in catalog:   # an earlier English is kept only while it is needed: to revise a fuzzy translation
        message.user_comments = []   # (babel writes a long one back as wrapped comments, which would pile up)
        if not message.fuzzy:
            message.previous_id = ()
    write_catalog(catalog, path)
    return catalog


def _flags(formatted: bool) -> tuple[str, ...]:
    return ("python-brace-format",) if formatted else ()


def update(notebook: Path, language: str) -> Catalog:
    """The notebook's catalog made to follow it: new paragraphs untranslated, changed ones fuzzy, gone ones dropped."""
    what = f"notebook {notebook.name}, one message per paragraph and per string its code shows"
    template = new_catalog(what)
    for message in messages_of(notebook):
        template.add(message)
    for message, formatted in code_messages_of(notebook).items():
        template.add(message, context=CODE, flags=_flags(formatted))
    return _follow(template, catalog_path(notebook, language), language, what)


def package_messages() -> dict[str, bool]:
    """Every message the package gives to ``say``, ``correct``, ``wrong`` or ``to_translate``: a template with
    placeholders (filled with values where it is said)?"""
    found: dict[str, bool] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in MESSAGE_FUNCTIONS
                    and node.args and isinstance(node.args[0], ast.Constant) and node.args[0].value):
                message = node.args[0].value
                found[message] = found.get(message, False) or bool(node.keywords) or bool(placeholders(message))
    return found


def package_catalog_path(language: str) -> Path:
    return LOCALE / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compiled(catalog: Catalog) -> bytes:
    """The catalog as gettext's ``.mo`` file (translated, not fuzzy, messages only)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def update_package(language: str) -> Catalog:
    """The package's catalog made to follow its messages, as ``update`` does a notebook's, and compiled to ``.mo``."""
    what = "package: what its code says to the learner (exercise feedback, the explorers' labels)"
    template = new_catalog(what)
    for message, formatted in package_messages().items():
        template.add(message, flags=_flags(formatted))
    path = package_catalog_path(language)
    catalog = _follow(template, path, language, what)
    with atomic_path(path.with_suffix(".mo")) as partial:
        partial.write_bytes(compiled(read_catalog(path, language)))
    return catalog


def package_problems(catalog: Catalog) -> list[str]:
    """What keeps the package's catalog from translating what the package says: as ``problems`` for a notebook."""
    return [problem for message, formatted in package_messages().items()
            if (problem := _problem(catalog, message, formatted, context=None))]


def problems(catalog: Catalog, notebook: Path) -> list[str]:
    """What keeps a catalog from translating its notebook: each message missing, untranslated, fuzzy, not
    translated into the language's script, drawn differently (prose) or with other placeholders (code)."""
    found = [problem for message in messages_of(notebook) if (problem := _problem(catalog, message, None))]
    found += [problem for message, formatted in code_messages_of(notebook).items()
              if (problem := _problem(catalog, message, formatted))]
    return found


def _problem(catalog: Catalog, message: str, formatted: bool | None, context: str | None = CODE) -> str | None:
    """What is wrong with one message's translation (``formatted`` None: a paragraph; else a string with or
    without placeholders, in ``context``)."""
    context = None if formatted is None else context
    entry, where = catalog.get(message, context=context), "" if formatted is None else "code "
    if entry is None:
        return f"{where}missing: {message[:60]!r}"
    if not entry.string:
        return f"{where}untranslated: {message[:60]!r}"
    if entry.fuzzy:
        return f"{where}fuzzy (its English changed): {message[:60]!r}"
    words = is_prose(message) if formatted is None else has_words(message, formatted)
    if catalog.locale.language == "ko" and words and not HANGUL.search(entry.string):
        return f"no Hangul in the translation of {where}{message[:60]!r}"
    if formatted is None and rendered_marks(entry.string) != rendered_marks(message):
        return f"bold, italics, code or links drawn differently from the English in {message[:60]!r}"
    if formatted is not None and (problem := placeholder_problem(message, entry.string, formatted)):
        return f"the translation of code {message[:60]!r}: {problem}"
    return None


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
    strings = {message: catalog.get(message, context=CODE).string for message in code_messages_of(notebook)}
    setup = next(cell for cell in translated.cells if cell.cell_type == "code")
    for cell in translated.cells:
        if cell.cell_type == "markdown":
            cell.source = "\n\n".join(catalog.get(paragraph).string for paragraph in paragraphs(cell.source))
        else:
            cell.outputs, cell.execution_count = [], None
            cell.source = setup_cell_source(language) if cell is setup else replace_strings(cell.source, strings)
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
    if args.command == "update" and not args.notebooks:
        left = package_problems(update_package(args.language))
        print(f"{package_catalog_path(args.language)}: {len(package_messages())} messages, {len(left)} to translate")
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
