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


def scope_of(nodeid: str) -> str:
    """What one worker runs together, in order: a notebook's nbval cells, those of its translations (notebooks/ko/,
    the same file name) and its JupyterLab tests (the cells share one kernel, and the translation and JupyterLab
    reuse the checkpoints the English notebook's kernel saved); every other test on its own."""
    path = nodeid.split("::")[0]
    if path.endswith(".ipynb"):
        return Path(path).stem
    in_jupyterlab = re.fullmatch(r".*test_jupyterlab\.py::\w+\[(\w+)\]", nodeid)
    return in_jupyterlab.group(1) if in_jupyterlab else nodeid


class NotebookScheduling(LoadScopeScheduling):
    """pytest-xdist's scheduling by ``scope_of``."""

    def _split_scope(self, nodeid: str) -> str:
        return scope_of(nodeid)


def pytest_xdist_make_scheduler(config: pytest.Config, log) -> NotebookScheduling:
    config.option.loadscopereorder = False  # pytest-xdist 3.6+ would put the scopes of most items first: ours decide
    return NotebookScheduling(config, log)


# The longest work first, so that the two workers finish together rather than one waiting while the other runs a
# long test that came last (seconds of one worker in CI, 2 cores, 2026-12-07; a notebook's with its JupyterLab run)
LONGEST_FIRST = ("04_resnet_degradation",  # 527
                 "tests/test_full_path.py::test_the_full_profile_runs_at_tiny_size[05]",  # 492
                 "03_vgg_transfer_learning",  # 331
                 "05_unet_cell_segmentation",  # 234
                 "tests/test_fresh_install.py::test_the_oldest_versions_the_package_accepts_pass_the_quick_tests",  # 226
                 "tests/test_full_path.py::test_the_full_profile_runs_at_tiny_size[04]",  # 198
                 "tests/test_fresh_install.py::test_readme_commands_work_in_a_fresh_virtual_environment")  # 157


def running_order(item: pytest.Item) -> int:
    """Where an item goes: the longest work first (by ``scope_of``); the site's browser tests last."""
    scope = scope_of(item.nodeid)
    if scope in LONGEST_FIRST:
        return LONGEST_FIRST.index(scope)
    return len(LONGEST_FIRST) + (item.get_closest_marker("browser") is not None)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark what is slow (``pytest -m "not slow"`` leaves it out) and put the items in running order; a notebook's
    nbval cells keep theirs, and its JupyterLab test, in the same worker, runs after them (it reuses the checkpoints
    that the nbval kernel saved)."""
    for item in items:
        if is_slow(item):
            item.add_marker(pytest.mark.slow)
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)  # stable: the rest keep their order
    items.sort(key=running_order)
