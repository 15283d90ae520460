"""The words a notebook's code shows the learner: its assert messages and what it prints, found and replaced.

    shown_strings(source)              # each string literal of an assert's message or a print's arguments
    replace_strings(source, {text: translated_text})

A string's text is what the literal holds; an f-string's placeholders are written as in the code, ``{acc:.1%}``,
and a translation must keep every placeholder (in any order) and nothing else of the code changes: the translated
cell is the same program with other words.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass

from .errors import TranslationError

WORD = re.compile(r"[A-Za-z]{2,}")
MAGIC = ("%", "!")  # IPython lines, blanked before parsing
WRAP_AT = 100  # a translated literal longer than this is split over lines


@dataclass(frozen=True)
class ShownString:
    """One string literal the learner reads: its text, and where it sits in the cell (lines from 1, byte offsets)."""

    text: str
    formatted: bool  # an f-string
    start: tuple[int, int]
    end: tuple[int, int]
    in_brackets: bool  # inside a call's parentheses or spread over lines: may be split over lines as it is


def _python(source: str) -> str:
    return "\n".join("" if line.lstrip().startswith(MAGIC) else line for line in source.split("\n"))


def _expression(node: ast.expr, source: str) -> str:
    """An expression as the code writes it (``1e6``, not ``1000000.0``), where its recorded place holds it."""
    written = ast.get_source_segment(source, node)
    try:
        same = written is not None and ast.dump(ast.parse(written.strip(), mode="eval").body) == ast.dump(node)
    except SyntaxError:
        same = False
    return written.strip() if same else ast.unparse(node)


def _placeholder(value: ast.FormattedValue, source: str) -> str:
    conversion = "" if value.conversion == -1 else "!" + chr(value.conversion)
    spec = "" if value.format_spec is None else ":" + _text(value.format_spec, source)
    return "{" + _expression(value.value, source) + conversion + spec + "}"


def _text(node: ast.AST, source: str) -> str:
    """The text of a string literal, an f-string's placeholders as written ({x:.3f}) and its braces doubled."""
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(_placeholder(part, source) if isinstance(part, ast.FormattedValue)
                   else part.value.replace("{", "{{").replace("}", "}}") for part in node.values)


def _literals(node: ast.AST):
    """The string literals an expression shows: itself, the parts of a sum, the branches of an ``if``, what a
    ``join`` or ``format`` joins; not a key, an argument or a placeholder's code (those are the program's)."""
    if isinstance(node, ast.JoinedStr) or (isinstance(node, ast.Constant) and isinstance(node.value, str)):
        yield node
    elif isinstance(node, ast.BinOp):
        yield from _literals(node.left)
        yield from _literals(node.right)
    elif isinstance(node, ast.IfExp):
        yield from _literals(node.body)
        yield from _literals(node.orelse)
    elif isinstance(node, (ast.GeneratorExp, ast.ListComp)):
        yield from _literals(node.elt)
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in ("join", "format"):
        yield from _literals(node.func.value)
        if node.func.attr == "join" and node.args:
            yield from _literals(node.args[0])


def _shown_expressions(tree: ast.AST):
    """Each assert's message (False: not in brackets) and each print's argument (True)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assert) and node.msg is not None:
            yield node.msg, False
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
            yield from ((argument, True) for argument in node.args)


def shown_strings(source: str) -> list[ShownString]:
    """Every literal with words in it (three letters or more, placeholders aside) of an assert message or a print."""
    found, python = [], _python(source)
    for expression, in_call in _shown_expressions(ast.parse(python)):
        for literal in _literals(expression):
            text = _text(literal, python)
            if WORD.search(outside_placeholders(text, isinstance(literal, ast.JoinedStr))):
                found.append(ShownString(text, isinstance(literal, ast.JoinedStr), (literal.lineno, literal.col_offset),
                                         (literal.end_lineno, literal.end_col_offset),
                                         in_call or literal.lineno != literal.end_lineno))
    return sorted(found, key=lambda shown: shown.start)


def outside_placeholders(text: str, formatted: bool = True) -> str:
    """An f-string's text without its placeholders (a plain string's text as it is)."""
    for placeholder in placeholders(text) if formatted else ():
        text = text.replace(placeholder, " ", 1)
    return text


def has_words(text: str, formatted: bool = True) -> bool:
    """Words to translate outside the placeholders: not only names (ResNet, CIFAR, PSNR), symbols, numbers and
    short words that a symbol may stand for ("to" as "~")."""
    return bool(re.search(r"\b[a-z]{3,}", outside_placeholders(text, formatted)))


def placeholders(text: str) -> list[str]:
    """An f-string text's placeholders, ``{expression!conversion:spec}``, each as written."""
    found, depth, start = [], 0, 0
    index = 0
    while index < len(text):
        char = text[index]
        if depth == 0 and text.startswith(("{{", "}}"), index):
            index += 2
            continue
        if char == "{":
            depth, start = depth + 1, (index if depth == 0 else start)
        elif char == "}" and depth:
            depth -= 1
            if depth == 0:
                found.append(text[start:index + 1])
        index += 1
    return found


def placeholder_problem(original: str, translated: str, formatted: bool) -> str | None:
    """Why ``translated`` cannot stand for ``original`` in the code, or None."""
    if not formatted:
        return None
    wanted, got = Counter(placeholders(original)), Counter(placeholders(translated))
    if wanted != got:
        return (f"its placeholders differ from the English's: missing {sorted((wanted - got).elements())}, "
                f"extra {sorted((got - wanted).elements())}")
    return None


def _pieces(text: str, formatted: bool) -> list[str]:
    """The text cut at spaces into pieces of at most WRAP_AT characters, never inside a placeholder."""
    if len(text) <= WRAP_AT:
        return [text]
    protected = {(m.start(), m.end()) for m in re.finditer("|".join(map(re.escape, placeholders(text))), text)} \
        if formatted and placeholders(text) else set()
    pieces, start, last_space = [], 0, None
    for index, char in enumerate(text):
        inside = any(a <= index < b for a, b in protected)
        if char == " " and not inside:
            last_space = index
        if index - start >= WRAP_AT and last_space is not None and last_space > start:
            pieces.append(text[start:last_space + 1])
            start, last_space = last_space + 1, None
    return pieces + [text[start:]]


def _escape(text: str, quote: str) -> str:
    return (text.replace("\\", "\\\\").replace(quote, "\\" + quote).replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r"))


def _literal(text: str, formatted: bool) -> str:
    """One Python string literal holding ``text`` (an f-string: placeholders kept as they are)."""
    quote = "'" if formatted and any('"' in p for p in placeholders(text)) else '"'
    if not formatted:
        return quote + _escape(text, quote) + quote
    out, rest = [], text
    for placeholder in placeholders(text):
        before, rest = rest.split(placeholder, 1)
        out += [_escape(before, quote), placeholder]
    return "f" + quote + "".join(out) + _escape(rest, quote) + quote


def _code_of(text: str, formatted: bool, indent: int, joiner: str) -> str:
    """Literals for ``text``: one, or several on their own lines joined by ``joiner`` ('' inside brackets, ' \\'
    after a line continued by a backslash, or None: put them in brackets)."""
    literals = [_literal(piece, formatted) for piece in _pieces(text, formatted)]
    if len(literals) == 1:
        return literals[0]
    if joiner is None:
        return "(" + ("\n" + " " * (indent + 1)).join(literals) + ")"
    return (joiner + "\n" + " " * indent).join(literals)


class _Blanked(ast.NodeTransformer):
    """Every string literal emptied: two programs that differ only in their words compare equal."""

    def visit_JoinedStr(self, node):
        return ast.Constant("")

    def visit_Constant(self, node):
        return ast.Constant("") if isinstance(node.value, str) else node


def same_program(first: str, second: str) -> bool:
    def shape(source):
        return ast.dump(_Blanked().visit(ast.parse(_python(source))))
    return shape(first) == shape(second)


def replace_strings(source: str, translations: dict[str, str]) -> str:
    """The cell with each shown string's text replaced by its translation (a string without one stays)."""
    lines = source.encode().split(b"\n")
    for shown in reversed(shown_strings(source)):
        if shown.text not in translations:
            continue
        if problem := placeholder_problem(shown.text, translations[shown.text], shown.formatted):
            raise TranslationError(f"The translation of {shown.text[:60]!r}: {problem}.")
        (first, start), (last, end) = shown.start, shown.end
        indent = len(lines[first - 1][:start].decode())
        original = b"\n".join(lines[first - 1:last])
        joiner = " \\" if b"\\\n" in original else ("" if shown.in_brackets else None)
        code = _code_of(translations[shown.text], shown.formatted, indent, joiner).encode()
        lines[first - 1:last] = (lines[first - 1][:start] + code + lines[last - 1][end:]).split(b"\n")
    translated = b"\n".join(lines).decode()
    if not same_program(source, translated):
        raise TranslationError("A translated string changed the code around it:\n" + translated)
    return translated
