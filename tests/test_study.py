"""The time study: a real notebook run whose training runs are found in the cells that ran them."""

import os

import nbformat
import pytest

from cnncourse import study

TRAINING_CELL = """\
import torch
from cnncourse import models, recipes, train
images = torch.randint(0, 256, (40, 3, 32, 32), dtype=torch.uint8)
labels = torch.arange(40) % 10
for label in ("first", "second"):
    train.fit(models.small_cnn(widths=(8,)), (images, labels), recipes.Recipe(steps=3, batch_size=8),
              val=(images[:16], labels[:16]), label=label, callbacks=())
"""


def test_each_training_run_is_timed_and_found_in_its_cell(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# two runs"),
        nbformat.v4.new_code_cell("import time\ntime.sleep(0.2)"),
        nbformat.v4.new_code_cell(TRAINING_CELL),
    ])
    path = tmp_path / "runs.ipynb"
    nbformat.write(notebook, path)
    records = tmp_path / "runs.jsonl"
    env = {**os.environ, "CNNCOURSE_CACHE": str(tmp_path / "cache"), "CNNCOURSE_THREADS": "1"}
    executed, peak = study.run_notebook(path, env, records, learner_test_set=False, timeout=120)
    runs = study.read_records(records)
    assert [(run.label, run.steps, run.batch_size, run.images) for run in runs] == \
        [("first", 3, 8, 40), ("second", 3, 8, 40)]
    assert all(run.val_images == 16 and run.val_seconds > 0 and run.train_seconds > 0 for run in runs)
    cells = study.cell_times(executed)
    assert [cell.index for cell in cells] == [-1, 1, 2]  # from 0, markdown included; -1 imports the package
    assert cells[1].seconds >= 0.2 and 0.1 < peak < 50
    text = study.report("runs.ipynb", "test", executed, peak, runs)
    assert "2 training runs" in text
    run_rows = [line.split() for line in text.splitlines() if line.endswith(("first", "second"))]
    assert [row[0] for row in run_rows] == ["2", "2"]  # both runs found in cell 2


def test_the_learner_test_set_repeats_local_images_to_ten_thousand(needs_data):
    from cnncourse import data

    local = data.load_cifar10("test")
    study.learner_sized_cifar10(("test",))
    try:
        repeated = data.load_cifar10("test")
        assert len(repeated) == max(len(local), study.CIFAR10_SIZES["test"])
        assert repeated.images[len(local)].equal(local.images[0])
        assert len(data.load_cifar10("train")) == len(data.datasets.load_cifar10("train"))
    finally:
        data.load_cifar10 = data.datasets.load_cifar10


def test_a_missing_notebook_is_named_before_anything_runs(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        study.main([str(tmp_path / "03_no_such_lesson.ipynb")])
    assert stop.value.code == 2
    assert "no such notebook" in capsys.readouterr().err
