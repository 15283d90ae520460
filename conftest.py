"""pytest's set-up for the whole suite (unit tests in tests/, notebooks under nbval): the small profile, the
quick subset's marks, and how pytest-xdist shares the work and the cores out (pyproject.toml runs ``-n auto``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling

os.environ.setdefault("CNNCOURSE_PROFILE", "smoke")  # nbval and the tests run the small profile unless told otherwise

KERNEL_MEMORY_GB = 4  # a notebook kernel in smoke peaks below 2.5 GB (python -m cnncourse.study), its worker aside


def cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject's default): one pytest-xdist worker per core, as many as the memory holds."""
    memory_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30 if hasattr(os, "sysconf") else 8
    return max(1, min(cores(), int(memory_gb // KERNEL_MEMORY_GB)))


def threads_per_worker() -> int:
    """The cores shared out among the workers that run at once: more threads than cores stall training."""
    return max(1, cores() // int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1")))


if "PYTEST_XDIST_WORKER" in os.environ:  # in each worker; its notebook kernels inherit the setting
    os.environ.setdefault("CNNCOURSE_THREADS", str(threads_per_worker()))
    from cnncourse.config import apply_thread_setting
    apply_thread_setting()  # the unit tests' own torch; a notebook applies it in its first cell (start_lesson)

# Notebooks that take minutes under nbval in smoke on 2 cores (python -m cnncourse.study ... --profile smoke);
# the others take well under a minute each.
SLOW_NOTEBOOKS = ("03_vgg_transfer_learning.ipynb", "04_resnet_degradation.ipynb")
SLOW_MODULES = ("test_full_path.py",)  # every notebook's full profile at tiny size


def is_slow(item: pytest.Item) -> bool:
    """Minutes, not seconds: the slow notebooks, the tiny full path, the fresh install and the browser tests."""
    return (item.path.name in SLOW_NOTEBOOKS + SLOW_MODULES
            or any(item.get_closest_marker(name) for name in ("browser", "install")))


TRANSLATIONS = Path(__file__).resolve().parent / "notebooks" / "ko"


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The Korean notebooks run the English ones' code, cell for cell (tests/test_translation.py checks that), so
    the whole suite does not execute it twice; nbval runs them when they are named (``pytest notebooks/ko``)."""
    named = [(config.invocation_params.dir / arg.split("::")[0]).resolve() for arg in config.args]
    if collection_path.is_relative_to(TRANSLATIONS) and not any(path.is_relative_to(TRANSLATIONS) for path in named):
        return True
    return None


class NotebookScheduling(LoadScopeScheduling):
    """Each notebook's nbval cells and its JupyterLab tests go to one worker, which runs them in order (the cells
    share one kernel, and JupyterLab reuses the checkpoints the nbval kernel saved); every other test on its own."""

    def _split_scope(self, nodeid: str) -> str:
        path = nodeid.split("::")[0]
        if path.endswith(".ipynb"):
            return Path(path).stem
        in_jupyterlab = re.fullmatch(r".*test_jupyterlab\.py::\w+\[(\w+)\]", nodeid)
        return in_jupyterlab.group(1) if in_jupyterlab else nodeid


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> NotebookScheduling:
    return NotebookScheduling(config, log)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what is slow (``pytest -m "not slow"`` leaves it out); browser tests last, so that JupyterLab reuses
    the checkpoints that the nbval kernels saved."""
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)  # stable: the rest keep their order
