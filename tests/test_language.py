"""The package speaks the learner's language: English by default, Korean in the Korean notebooks."""

import re

import pytest
import torch
from babel.messages.mofile import read_mo

from cnncourse import language, translation
from cnncourse.errors import InputValueError
from cnncourse.exercises.convolution import check_parameter_count

HANGUL = re.compile("[\uac00-\ud7a3]")


@pytest.mark.parametrize("language_name", translation.LANGUAGES)
def test_the_package_catalog_translates_every_message_and_is_compiled(language_name):
    path = translation.package_catalog_path(language_name)
    catalog = translation.read_catalog(path, language_name)
    assert translation.package_problems(catalog) == [], \
        "Run `python -m cnncourse.translation update` and translate what it marks in " + str(path)
    assert [message.id for message in catalog if message.id] == list(translation.package_messages()), \
        "The catalog keeps messages the package no longer says: update it."
    with path.with_suffix(".mo").open("rb") as file:   # its messages, not its bytes: babel versions write other headers
        compiled = {message.id: message.string for message in read_mo(file) if message.id}
    assert compiled == {message.id: message.string for message in catalog if message.id and not message.fuzzy}, \
        "The .mo file is older than its catalog: `python -m cnncourse.translation update` compiles it."


def test_exercise_feedback_comes_in_the_learners_language(monkeypatch):
    monkeypatch.delenv(language.LANGUAGE_ENV, raising=False)
    english = check_parameter_count(64 * 3 * 5 * 5)   # the weights without the biases
    assert not english and english.message.startswith("4800 counts the weights only")
    monkeypatch.setenv(language.LANGUAGE_ENV, "ko")
    korean = check_parameter_count(64 * 3 * 5 * 5)
    assert HANGUL.search(korean.message) and "4800" in korean.message and HANGUL.search(str(korean))
    right = check_parameter_count(64 * (3 * 5 * 5 + 1))
    assert right and "4864" in right.message and "{" not in right.message   # every placeholder filled


def test_an_unknown_language_is_refused_with_the_choices(monkeypatch):
    monkeypatch.setenv(language.LANGUAGE_ENV, "fr")
    with pytest.raises(InputValueError, match="CNNCOURSE_LANG must be one of"):
        language.say("noise std")


def test_an_explorers_labels_follow_the_language(monkeypatch):
    from cnncourse.widgets.kernel_explorer import kernel_explorer
    monkeypatch.setenv(language.LANGUAGE_ENV, "ko")
    explorer = kernel_explorer(torch.rand(3, 12, 10))
    assert HANGUL.search(explorer.preset.description) and HANGUL.search(explorer.channels.description)
    monkeypatch.setenv(language.LANGUAGE_ENV, "en")
    assert kernel_explorer(torch.rand(3, 12, 10)).preset.description == "preset"
