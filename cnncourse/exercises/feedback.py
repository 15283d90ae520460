"""The result of an exercise check: passed or not, with a message for the learner in the learner's language."""

from __future__ import annotations

from dataclasses import dataclass

from ..language import say


@dataclass(frozen=True)
class Feedback:
    """``passed`` and a message that says what is right or what to look at again."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return say("Correct: ") + self.message if self.passed else say("Not yet: ") + self.message

    def _repr_markdown_(self) -> str:
        return ("✔ " + say("**Correct.**") if self.passed else "✘ " + say("**Not yet.**")) + " " + self.message


def correct(message: str, **values: object) -> Feedback:
    """A passed check: ``message``, a template with ``{placeholders}``, in the learner's language, filled in."""
    return Feedback(True, say(message, **values))


def wrong(message: str, **values: object) -> Feedback:
    """A failed check, its message as in ``correct``."""
    return Feedback(False, say(message, **values))
