"""The `full` code path of every notebook, run on a CPU at tiny size (CNNCOURSE_TINY=1).

`full` is what a learner on a GPU runs; here its branches, recipes (schedules, augmentation), data loaders
and model sizes run with a few images per class and two steps per training, so a mistake in a `full` branch
fails here rather than on a learner's GPU. The lessons' claims cannot hold at that size: a failed assert
is expected, any other error is a defect.
"""

import os
from pathlib import Path

import pytest

from cnncourse import robustness

# a guard against a hung kernel, not a speed goal: 05's slowest cell (eight full-size U-Nets, each predicting five
# slices) takes about 3 min at tiny size on 2 idle cores, and ran past 15 min before slices were cut to 256 px
CELL_TIMEOUT = 1800
THREADS = int(os.environ.get("CNNCOURSE_THREADS", "2"))  # one per core under pytest-xdist (tests/conftest.py)
NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory) -> Path:
    """Converted datasets shared by all notebooks (each run still gets checkpoints of its own)."""
    return Path(os.environ["CNNCOURSE_CACHE"]) / "full-path" if "CNNCOURSE_CACHE" in os.environ \
        else tmp_path_factory.mktemp("full-path")


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem[:2] for path in NOTEBOOKS])
def test_the_full_profile_runs_at_tiny_size(notebook, shared_cache, needs_data):
    result = robustness.execute(robustness.Run(notebook, "full", 0, "auto", THREADS, tiny=True), shared_cache,
                                timeout=CELL_TIMEOUT)
    errors = robustness.code_errors(result)
    assert not errors, "\n".join(f"cell {cell.index}: {cell.printed}" for cell in errors)
