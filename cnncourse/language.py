"""The language the package speaks to the learner: English, or a translation from its own catalog.

    say("expected values near {expected}; compute (x / 255 - mean) / std", expected=(0.9, 0.2, -1.1))

``CNNCOURSE_LANG`` picks it ('en', the default, or 'ko'); a translated notebook's set-up cell sets it for its kernel.
A message is an English template with named placeholders, so that a translation may put them where its grammar
wants. The translations are ``cnncourse/locale/<language>/LC_MESSAGES/cnncourse.po``, compiled into the ``.mo`` file
beside it, which Python's gettext reads (``python -m cnncourse.translation update`` keeps both in step).
"""

from __future__ import annotations

import functools
import gettext
import os
from pathlib import Path

from .errors import InputValueError

LANGUAGE_ENV = "CNNCOURSE_LANG"
LANGUAGES = ("en", "ko")
LOCALE = Path(__file__).resolve().parent / "locale"
DOMAIN = "cnncourse"


def language() -> str:
    """``CNNCOURSE_LANG``: 'en' (unset) or 'ko'."""
    value = os.environ.get(LANGUAGE_ENV, "").strip().lower() or "en"
    if value not in LANGUAGES:
        raise InputValueError(f"{LANGUAGE_ENV} must be one of {LANGUAGES}, not {value!r}.")
    return value


@functools.lru_cache(maxsize=None)
def _translations(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE, languages=[language], fallback=language == "en")


def say(message: str, **values: object) -> str:
    """``message`` in the learner's language, its ``{placeholders}`` filled with ``values``."""
    text = _translations(language()).gettext(message)
    return text.format(**values) if values else text


def to_translate(message: str) -> str:
    """Mark a message that is translated later, where it is shown (``say``, ``correct``, ``wrong``): unchanged."""
    return message
