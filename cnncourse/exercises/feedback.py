"""The result of an exercise check: passed or not, with a message for the learner."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Feedback:
    """``passed`` and a message that says what is right or what to look at again."""

    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        return ("Correct: " if self.passed else "Not yet: ") + self.message

    def _repr_markdown_(self) -> str:
        return ("✔ **Correct.** " if self.passed else "✘ **Not yet.** ") + self.message


def correct(message: str) -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)
