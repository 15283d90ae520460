"""The robustness runner: its seed ranges, its run matrix, and one real execution of a tiny notebook."""

from pathlib import Path

import nbformat
import pytest

from cnncourse import course_runs, robustness
from cnncourse.errors import InputValueError


def test_seed_ranges_and_lists():
    assert robustness.parse_seeds("0-4") == [0, 1, 2, 3, 4]
    assert robustness.parse_seeds("0,2,5-6") == [0, 2, 5, 6]


def test_matrix_covers_every_combination():
    runs = robustness.matrix([Path("a.ipynb")], "smoke", [0, 1], ["fp32", "bf16"], [1, 2])
    assert len(runs) == 8 and {run.label for run in runs} >= {"s0 fp32 t1", "s1 bf16 t2"}


def test_a_run_reports_each_asserting_cell_with_its_margin(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# a claim"),
        nbformat.v4.new_code_cell("import os\nseed = int(os.environ['CNNCOURSE_SEED'])\nprint(f'margin {seed + 1}')"),
        nbformat.v4.new_code_cell("assert seed < 1, 'only seed 0 holds'"),
    ])
    path = tmp_path / "claim.ipynb"
    nbformat.write(notebook, path)
    results = [robustness.execute(robustness.Run(path, "smoke", seed, "fp32", 1), tmp_path / "cache", timeout=120)
               for seed in (0, 1)]
    cells = [result.cells[0] for result in results]
    assert [cell.index for cell in cells] == [2, 2]  # counted from 0, markdown included
    assert [cell.passed for cell in cells] == [True, False]
    assert cells[0].printed == "(cell before:) margin 1" and "only seed 0 holds" in cells[1].printed
    kept = nbformat.read(results[1].executed, as_version=4)   # every output of the run, to read later
    assert kept.cells[1].outputs[0].text == "margin 2\n" and kept.cells[2].outputs[0].ename == "AssertionError"
    table = robustness.table(results)
    assert "summary: 1 cells x 2 runs, 2 checked, 1 failed" in table


def test_a_tiny_run_counts_broken_code_but_not_a_missed_claim(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import os\nassert os.environ['CNNCOURSE_TINY'] == '0', 'a claim that misses'"),
        nbformat.v4.new_code_cell("undefined_name + 1"),
    ])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(notebook, path)
    result = robustness.execute(robustness.Run(path, "full", 0, "fp32", 1, tiny=True), tmp_path / "cache", timeout=120)
    assert [cell.passed for cell in result.cells] == [False, False]
    assert [cell.index for cell in robustness.code_errors(result)] == [1]  # the NameError, not the assert


def test_stop_after_recording_finds_the_last_recording_cell():
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1"),
                                               nbformat.v4.new_code_cell('course_runs.record("a", {}, recipe="small-cnn")'),
                                               nbformat.v4.new_code_cell("assert x == 1")])
    assert robustness.last_recording_cell(notebook) == 1
    with pytest.raises(InputValueError, match="records no course runs"):
        robustness.last_recording_cell(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")]))


def test_a_recording_run_stops_after_its_recording_and_files_its_runs(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("from cnncourse import course_runs\nfrom cnncourse.history import History\n"
                                  "histories = {'net': History(epochs={'train_loss': [2.0, 1.5]})}"),
        nbformat.v4.new_code_cell('course_runs.record("tiny", histories, recipe="small-cnn")'),
        nbformat.v4.new_code_cell("assert False, 'after the recording: never run'")])
    path = tmp_path / "tiny.ipynb"
    nbformat.write(notebook, path)
    run = robustness.Run(path, "smoke", 3, "fp32", 1, record=True, stop_after_recording=True)
    result = robustness.execute(run, tmp_path / "cache", timeout=120)
    assert result.cells == []  # the asserting cell after the recording did not run
    table = tmp_path / "table.json"
    assert course_runs.merge(result.recorded, path, table) == ["tiny smoke/fp32 seed 3"]
    assert course_runs.load("tiny", "smoke/fp32", table)["net"][0].last("train_loss") == 1.5


def test_a_run_reuses_its_folder_only_when_asked(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, pathlib\nmark = pathlib.Path(os.environ['CNNCOURSE_CACHE']) / 'trained'\n"
        "print(f'found {mark.exists()}')\nmark.touch()\nassert True")])
    path = tmp_path / "reuse.ipynb"
    nbformat.write(notebook, path)
    run = robustness.Run(path, "smoke", 0, "fp32", 1)
    printed = [robustness.execute(run, tmp_path / "cache", timeout=120, reuse=reuse).cells[0].printed
               for reuse in (True, True, False)]
    assert printed == ["found False", "found True", "found False"]
    assert (tmp_path / "cache" / "re-smoke-s0-fp32-t1").is_dir()
