"""The words a notebook's code shows: found in asserts and prints, replaced without changing the program."""

import pytest

from cnncourse import code_strings
from cnncourse.errors import TranslationError

CELL = '''x = 1e6
print(f"{x / 1e6:.2f} million images, loaded")   # a print's words
print("a", ", ".join(["b"]))                    # "a" and ", " have no word of three letters
assert x > 0, \\
    f"x should be positive, not {x!r}; " \\
    "check the loader."
label = "not shown"
'''


def test_the_strings_of_asserts_and_prints_are_found_with_their_placeholders_as_written():
    texts = [shown.text for shown in code_strings.shown_strings(CELL)]
    assert texts == ["{x / 1e6:.2f} million images, loaded", "x should be positive, not {x!r}; check the loader."]


def test_a_translation_replaces_the_words_and_keeps_the_program():
    translated = code_strings.replace_strings(CELL, {
        "{x / 1e6:.2f} million images, loaded": "이미지 {x / 1e6:.2f}백만 장을 불러왔습니다",
        "x should be positive, not {x!r}; check the loader.": "x는 {x!r}이 아니라 양수여야 합니다. "
                                                                + "불러오는 코드를 확인하세요. " * 5})
    assert 'print(f"이미지 {x / 1e6:.2f}백만 장을 불러왔습니다")' in translated
    assert code_strings.same_program(CELL, translated) and translated.endswith('label = "not shown"\n')
    namespace = {}
    with pytest.raises(AssertionError, match="x는 -1000000.0이 아니라 양수여야 합니다"):
        exec(translated.replace("x = 1e6", "x = -1e6"), namespace)
    assert max(map(len, translated.splitlines())) < 120   # a long message is split over lines, as the English was


def test_a_long_single_line_message_is_wrapped_in_brackets():
    cell = 'assert ok, "short"\n'
    translated = code_strings.replace_strings(cell, {"short": "아주 긴 메시지 " * 20})
    assert translated.startswith('assert ok, ("아주') and code_strings.same_program(cell, translated)


def test_placeholders_must_be_kept():
    assert code_strings.placeholder_problem("{a} of {b:.2f}", "{b:.2f}개 중 {a}", formatted=True) is None
    assert "missing ['{b:.2f}']" in code_strings.placeholder_problem("{a} of {b:.2f}", "{a}개 중", formatted=True)
    assert code_strings.placeholders("{{literal}} {x['k']} {f(y)!r:>{w}}") == ["{x['k']}", "{f(y)!r:>{w}}"]


def test_a_translation_stays_a_string_and_runs_no_code_of_its_own():
    translated = code_strings.replace_strings('print(f"{x} items")\n', {"{x} items": '{x}개")\nprint("다른 코드'})
    assert translated.count("\n") == 1 and code_strings.same_program('print(f"{x} items")\n', translated)
    with pytest.raises(TranslationError, match="placeholders"):
        code_strings.replace_strings('print(f"{x} items")\n', {"{x} items": "{x}개 {open('f').read()}"})
