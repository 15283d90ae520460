"""Profiles (the scale of every experiment), seeds, device and folders.

One frozen `Profile` decides how big every experiment is. The same notebook code runs in
every profile; only the sizes change:

- ``smoke``    CI under nbval: tiny real subsets, under a minute a notebook on 2 CPU cores, 03 and 04 longer.
- ``standard`` a learner's laptop CPU, or a GPU smaller than an A100 (Colab's T4): 1 to 6 minutes a notebook
               from an empty cache on 2 CPU cores; effects clearly visible.
- ``full``     an A100-class GPU: paper-scale data and schedules.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import numpy as np
import torch

from .errors import InputValueError
from .language import say, to_translate

T = TypeVar("T")

PROFILE_ENV = "CNNCOURSE_PROFILE"
DATA_ENV = "CNNCOURSE_DATA"
CACHE_ENV = "CNNCOURSE_CACHE"
THREADS_ENV = "CNNCOURSE_THREADS"
SEED_ENV = "CNNCOURSE_SEED"
PRECISION_ENV = "CNNCOURSE_PRECISION"
TINY_ENV = "CNNCOURSE_TINY"
PAPER_ENV = "CNNCOURSE_PAPER"
PRECISIONS = ("auto", "bf16", "fp16", "fp32")


@dataclass(frozen=True)
class Profile:
    """The scale of every experiment: data sizes here, training lengths in ``recipes``."""

    name: str
    train_per_class: int | None  # images per class for classification (None = all)
    test_per_class: int | None
    description: str

    def describe(self) -> str:
        """The description in the learner's language (``CNNCOURSE_LANG``)."""
        return say(self.description)

    def choose(self, *, smoke: T, standard: T, full: T) -> T:
        """Pick the value for this profile: ``steps = profile.choose(smoke=40, standard=400, full=64_000)``."""
        return {"smoke": smoke, "standard": standard, "full": full}[self.name]


PROFILES: dict[str, Profile] = {
    "smoke": Profile("smoke", train_per_class=300, test_per_class=100,
                     description=to_translate("CI: tiny real subsets; under a minute a notebook on 2 CPU cores, "
                                              "03 and 04 longer (times in the README)")),
    "standard": Profile("standard", train_per_class=1000, test_per_class=None,
                        description=to_translate("laptop CPU or a small GPU: effects clearly visible; 1 to 6 "
                                                 "minutes a notebook on 2 cores (times in the README)")),
    "full": Profile("full", train_per_class=None, test_per_class=None,
                    description=to_translate("A100-class GPU: paper-scale data and schedules")),
}

_active: Profile | None = None


# `full` is the default on a GPU at least as large as an A100: bf16 hardware and 100 or more multiprocessors (A100
# 108, H100 and H200 132). By python -m cnncourse.cost, `full`'s notebooks 04 and 05 train for about 9 minutes each
# on an H100 and 05 for about 1.5 hours on Colab's T4 (compute capability 7.5, 40 multiprocessors, no bf16); a V100
# (80), an L4 (58) and consumer cards run `standard`, the lesson sized for a laptop, in minutes. The GPU's class
# decides, never a timing: the choice, and with it every checkpoint's key, is the same from run to run.
FULL_GPU_CAPABILITY = (8, 0)
FULL_GPU_MULTIPROCESSORS = 100


def gpu_class(index: int = 0) -> str:
    """A CUDA GPU in words: name, compute capability, multiprocessors, memory."""
    gpu = torch.cuda.get_device_properties(index)
    return (f"{gpu.name} (compute capability {gpu.major}.{gpu.minor}, {gpu.multi_processor_count} "
            f"multiprocessors, {gpu.total_memory / 2**30:.0f} GiB)")


def gpu_runs_full(index: int = 0) -> bool:
    """Is this CUDA GPU as large as an A100 (bf16 hardware, 100 or more multiprocessors)?"""
    gpu = torch.cuda.get_device_properties(index)
    return (gpu.major, gpu.minor) >= FULL_GPU_CAPABILITY and gpu.multi_processor_count >= FULL_GPU_MULTIPROCESSORS


def default_profile_name() -> str:
    """``CNNCOURSE_PROFILE``; else ``full`` on an A100-class GPU, ``standard`` on a smaller one or a CPU."""
    name = os.environ.get(PROFILE_ENV, "").strip().lower()
    if name:
        return name
    return "full" if torch.cuda.is_available() and gpu_runs_full() else "standard"


def profile_reason() -> str:
    """Why the active profile is the one in use, and how to ask for another (in the learner's language)."""
    if _active is not None:
        return say("chosen in this session (start_lesson(profile='{name}') or set_profile); set_profile(None) goes "
                   "back to the default", name=_active.name)
    if os.environ.get(PROFILE_ENV, "").strip():
        return say("chosen with {variable}={value}", variable=PROFILE_ENV, value=os.environ[PROFILE_ENV].strip())
    if not torch.cuda.is_available():
        return say("the default without a CUDA GPU; start_lesson(profile='smoke') or {variable}=smoke for a quick "
                   "look; the papers' scale ('full') wants an A100-class GPU", variable=PROFILE_ENV)
    if gpu_runs_full():
        return say("the default on {gpu}; {variable}=1 trains with the papers' exact schedules (hours)",
                   gpu=gpu_class(), variable=PAPER_ENV)
    return say("the default on {gpu}: smaller than an A100, where the papers' scale ('full') would take hours; ask "
               "for it with {variable}=full or start_lesson(profile='full')", gpu=gpu_class(), variable=PROFILE_ENV)


def get_profile(name: str | None = None) -> Profile:
    """The active profile, or the one called ``name``."""
    if name is None:
        return _active if _active is not None else get_profile(default_profile_name())
    try:
        return PROFILES[name.strip().lower()]
    except KeyError:
        raise InputValueError(
            f"Unknown profile {name!r}. Choose one of {sorted(PROFILES)} "
            f"(for example start_lesson(profile='smoke') or the environment variable {PROFILE_ENV}=smoke)."
        ) from None


def set_profile(name: str | None) -> Profile:
    """Choose the profile for this session in one line; ``None`` goes back to the default."""
    global _active
    _active = None if name is None else get_profile(name)
    return get_profile()


def seed_offset() -> int:
    """``CNNCOURSE_SEED``: added to every seed the course uses, to check that a result is not one seed's luck."""
    value = os.environ.get(SEED_ENV, "").strip()
    if not value:
        return 0
    if not value.isdigit():
        raise InputValueError(f"{SEED_ENV} must be a whole number 0 or more (it shifts every seed), not {value!r}.")
    return int(value)


def course_seed(seed: int) -> int:
    """The seed actually used for the course's ``seed``: ``seed`` shifted by ``CNNCOURSE_SEED``."""
    return int(seed) + seed_offset()


def seeded_generator(seed: int) -> torch.Generator:
    """A CPU random generator seeded with ``course_seed(seed)``."""
    return torch.Generator().manual_seed(course_seed(seed))


def seed_everything(seed: int = 0) -> None:
    """Fix the seeds of Python, NumPy and PyTorch (CPU and GPU) in one call (shifted by ``CNNCOURSE_SEED``)."""
    seed = course_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def precision_setting() -> str:
    """``CNNCOURSE_PRECISION``: 'auto' (what the hardware gains from), 'bf16', 'fp16' or 'fp32'."""
    value = os.environ.get(PRECISION_ENV, "").strip().lower() or "auto"
    if value not in PRECISIONS:
        raise InputValueError(f"{PRECISION_ENV} must be one of {PRECISIONS}, not {value!r}.")
    return value


def _switch(name: str, meaning: str) -> bool:
    """An on/off environment variable: 1 on, 0 or unset off, anything else an error that says so."""
    value = os.environ.get(name, "").strip()
    if value not in ("", "0", "1"):
        raise InputValueError(f"{name} must be 1 ({meaning}) or 0 / unset; got {value!r}.")
    return value == "1"


def tiny_run() -> bool:
    """``CNNCOURSE_TINY=1``: run a profile's code with every dataset and training cut to a few images and steps.

    For testing that the code of a profile (``full`` above all) runs on a CPU in minutes; its numbers mean
    nothing and the lessons' claims are not expected to hold.
    """
    return _switch(TINY_ENV, "cut every size")


def paper_schedules() -> bool:
    """``CNNCOURSE_PAPER=1``: in ``full``, train with the papers' exact schedules where they are longer."""
    return _switch(PAPER_ENV, "the papers' schedules in full")


def pick_device(prefer: str | None = None) -> torch.device:
    """The best device present: CUDA, then Apple MPS, then the CPU."""
    if prefer is not None:
        return torch.device(prefer)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def data_dir() -> Path | None:
    """The folder named by ``CNNCOURSE_DATA`` (a read-only source of datasets), if set."""
    value = os.environ.get(DATA_ENV, "").strip()
    return Path(value).expanduser() if value else None


def cache_dir() -> Path:
    """The user cache: downloads, converted tensor files and checkpoints (``CNNCOURSE_CACHE`` overrides)."""
    value = os.environ.get(CACHE_ENV, "").strip()
    if value:
        return Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME", "").strip() or Path.home() / ".cache"
    return Path(base) / "cnncourse"


def shown_path(path: Path | str) -> str:
    """``path`` as printed for the learner: a folder under the home folder written from ``~``, so that a saved
    output shows ``~/.cache/cnncourse`` on every machine rather than one machine's user name."""
    path = Path(path)
    try:
        return str(Path("~") / path.relative_to(Path.home()))
    except ValueError:
        return str(path)


def apply_thread_setting() -> int:
    """Use ``CNNCOURSE_THREADS`` CPU threads if set (1 keeps a busy 2-core machine responsive); return the count.

    PyTorch's default, one thread per core, is fastest on an idle machine; when another program keeps a
    core busy, threads waiting for each other can make training many times slower than one thread.
    """
    value = os.environ.get(THREADS_ENV, "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise InputValueError(f"{THREADS_ENV} must be a positive whole number of threads, not {value!r}.")
        torch.set_num_threads(int(value))
    return torch.get_num_threads()
