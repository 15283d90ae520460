"""What a lesson's first cell does: apply the course's settings to this Python session, and say what they are.

    session = cnncourse.start_lesson()   # torch's CPU threads, the figure style, every seed; the profile
                                         # (start_lesson(profile="smoke"): a quick look)
    profile = session.profile
    print(session)

Importing ``cnncourse`` changes nothing outside the package; this call is where the ``CNNCOURSE_*`` settings
that act on the whole session (threads, seeds) and the figure style take effect.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import config
from .language import say, to_translate
from .plot.style import use_course_style


SETTINGS_LINE = {   # one thread or several
    False: to_translate("seeds from {seed} ({seed_env} shifts them), {threads} CPU threads for torch ({threads_env}), "
                        "the course's figure style"),
    True: to_translate("seeds from {seed} ({seed_env} shifts them), {threads} CPU thread for torch ({threads_env}), "
                       "the course's figure style")}


@dataclass(frozen=True)
class Session:
    """The settings a lesson runs with, as ``start_lesson`` applied them."""

    profile: config.Profile
    profile_reason: str
    seed: int  # the seed the lesson's ``seed=0`` stands for (``CNNCOURSE_SEED`` shifts it)
    threads: int  # torch's CPU threads

    def __str__(self) -> str:
        return (f"profile: {self.profile.name} ({self.profile.describe()})\n"
                f"  {self.profile_reason}\n"
                + say(SETTINGS_LINE[self.threads == 1], seed=self.seed, seed_env=config.SEED_ENV,
                      threads=self.threads, threads_env=config.THREADS_ENV))


def start_lesson(seed: int = 0, *, profile: str | None = None) -> Session:
    """Set torch's CPU threads (``CNNCOURSE_THREADS``), the course's figure style and every seed; return them.

    ``profile`` chooses a profile by name for this session (as ``set_profile``); by default ``CNNCOURSE_PROFILE``,
    or the default for this machine.
    """
    if profile is not None:
        config.set_profile(profile)
    threads = config.apply_thread_setting()
    use_course_style()
    config.seed_everything(seed)
    return Session(config.get_profile(), config.profile_reason(), config.course_seed(seed), threads)
