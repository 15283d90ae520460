"""The course's table of runs: recorded in a kernel, filed with fingerprints, loaded back, and kept fresh."""

import json
import re
from pathlib import Path

import nbformat
import pytest

from cnncourse import course_runs, recipes
from cnncourse.errors import InputValueError
from cnncourse.history import History
from cnncourse.notebook_setup import setup_cell_source

ROOT = Path(__file__).resolve().parents[1]


def _notebook(tmp_path: Path, training_code: str) -> Path:
    path = tmp_path / "lesson.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(setup_cell_source()),
        nbformat.v4.new_code_cell(training_code),
        nbformat.v4.new_code_cell('course_runs.record("depth", histories, recipe="resnet-cifar")'),
        nbformat.v4.new_code_cell("print('after the recording: not part of the fingerprint')")]), path)
    return path


def _record(monkeypatch, tmp_path: Path, seed: int, loss: float) -> Path:
    recorded = tmp_path / f"recorded-{seed}.jsonl"
    monkeypatch.setenv(course_runs.RECORD_ENV, str(recorded))
    monkeypatch.setenv("CNNCOURSE_SEED", str(seed))
    course_runs.record("depth", {"plain20": History(epochs={"train_loss": [2.0, loss]})}, recipe="resnet-cifar")
    return recorded


def test_recorded_runs_are_filed_by_setting_and_seed_and_load_back(monkeypatch, tmp_path):
    notebook, table = _notebook(tmp_path, "histories = train()"), tmp_path / "table.json"
    for seed, loss in ((1, 1.5), (0, 1.123456)):
        course_runs.merge(_record(monkeypatch, tmp_path, seed, loss), notebook, table)
    setting = course_runs.setting()
    assert course_runs.settings_of("depth", table) == [setting]
    runs = course_runs.load("depth", table_path=table)["plain20"]
    assert [run.label for run in runs] == ["plain20, seed 0", "plain20, seed 1"]
    assert runs[0].last("train_loss") == 1.1235  # rounded: a table of KB
    assert course_runs.load("depth", "full/bf16", table) == {} and course_runs.load("other", table_path=table) == {}


def test_nothing_is_recorded_outside_the_runner(monkeypatch, tmp_path):
    monkeypatch.delenv(course_runs.RECORD_ENV, raising=False)
    course_runs.record("depth", {"plain20": History(epochs={"train_loss": [1.0]})}, recipe="resnet-cifar")
    assert list(tmp_path.iterdir()) == []


def test_runs_name_a_recipe_that_exists():
    with pytest.raises(InputValueError, match="No recipe 'resnet-cifra'.*resnet-cifar"):
        course_runs.record("depth", {"plain20": History(epochs={"train_loss": [1.0]})}, recipe="resnet-cifra")


def test_the_code_stamp_follows_its_own_recipe_in_its_own_profile(monkeypatch):
    stamps = {profile: course_runs.code_stamp("resnet-cifar", profile) for profile in ("smoke", "standard")}
    monkeypatch.setitem(recipes.RECIPES, "autoencoder", {"smoke": recipes.Recipe(steps=1)})
    assert {profile: course_runs.code_stamp("resnet-cifar", profile) for profile in stamps} == stamps
    monkeypatch.setitem(recipes.RECIPES, "resnet-cifar", {**recipes.RECIPES["resnet-cifar"],
                                                          "smoke": recipes.Recipe(steps=1)})
    assert course_runs.code_stamp("resnet-cifar", "smoke") != stamps["smoke"]
    assert course_runs.code_stamp("resnet-cifar", "standard") == stamps["standard"]


def test_runs_of_other_code_are_never_mixed_with_new_ones(monkeypatch, tmp_path):
    table = tmp_path / "table.json"
    course_runs.merge(_record(monkeypatch, tmp_path, 0, 1.0), _notebook(tmp_path, "histories = train()"), table)
    edited = _notebook(tmp_path, "histories = train(lr=0.1)")
    course_runs.merge(_record(monkeypatch, tmp_path, 1, 1.0), edited, table)
    assert len(course_runs.load("depth", table_path=table)["plain20"]) == 1  # seed 0 of the old code is gone
    assert not table.with_suffix(".tmp").exists()


def test_a_changed_recipe_restarts_its_own_profile_only(monkeypatch, tmp_path):
    notebook, table = _notebook(tmp_path, "histories = train()"), tmp_path / "table.json"
    monkeypatch.setenv("CNNCOURSE_PRECISION", "fp32")
    for profile in ("smoke", "standard"):
        monkeypatch.setenv("CNNCOURSE_PROFILE", profile)
        course_runs.merge(_record(monkeypatch, tmp_path, 0, 1.0), notebook, table)
    monkeypatch.setitem(recipes.RECIPES, "resnet-cifar", {**recipes.RECIPES["resnet-cifar"],
                                                          "smoke": recipes.Recipe(steps=1)})
    monkeypatch.setenv("CNNCOURSE_PROFILE", "smoke")
    course_runs.merge(_record(monkeypatch, tmp_path, 1, 1.0), notebook, table)
    runs = course_runs.read_table(table)["depth"]["runs"]
    assert sorted(runs["smoke/fp32"]) == ["1"] and sorted(runs["standard/fp32"]) == ["0"]


def test_the_fingerprint_covers_the_code_up_to_the_recording_only(tmp_path):
    first = course_runs.notebook_fingerprint(_notebook(tmp_path, "histories = train()"), "depth")
    notebook = nbformat.read(tmp_path / "lesson.ipynb", as_version=4)
    notebook.cells[-1].source = "print('edited after the recording')"
    nbformat.write(notebook, tmp_path / "lesson.ipynb")
    assert course_runs.notebook_fingerprint(tmp_path / "lesson.ipynb", "depth") == first
    with pytest.raises(InputValueError, match="no cell that calls course_runs.record"):
        course_runs.notebook_fingerprint(tmp_path / "lesson.ipynb", "another experiment")


def test_the_fingerprint_follows_what_the_code_does_not_how_it_is_laid_out(tmp_path):
    fingerprint = lambda code: course_runs.notebook_fingerprint(_notebook(tmp_path, code), "depth")
    first = fingerprint('histories = train(steps=10, label=f"{net:>8} run")')
    assert fingerprint('# a comment\nhistories = train(steps=10,\n\n                  label=f"{net:>8} run")  # why') == first
    assert fingerprint('histories = train(steps=20, label=f"{net:>8} run")') != first
    assert fingerprint('histories = train(steps=10, label=f"{net:>9} run")') != first
    assert fingerprint('%time histories = train(steps=10, label=f"{net:>8} run")') != first   # magics are code too


def test_the_committed_table_is_fresh():
    """Fails when the training code, a recipe or a notebook's code up to its recording changed since the
    table was made: rebuild it with the command in cnncourse/course_runs.py's docstring."""
    table = json.loads(course_runs.TABLE.read_text())
    assert table, "the course's table of runs is empty"
    for experiment, entry in table.items():
        for setting, stamp in entry["code"].items():
            assert stamp == course_runs.code_stamp(entry["recipe"], course_runs.profile_of(setting)), \
                f"{experiment}, {setting}: made by other training code or another {entry['recipe']!r} recipe"
        notebook = ROOT / "notebooks" / entry["source"]
        assert entry["notebook"] == course_runs.notebook_fingerprint(notebook, experiment), \
            f"{experiment}: {entry['source']} changed up to its recording cell"


def test_the_table_holds_every_setting_the_claims_are_checked_in():
    runs = json.loads(course_runs.TABLE.read_text())["04-depth"]["runs"]
    seeds = {setting: sorted(int(seed) for seed in by_seed) for setting, by_seed in runs.items()}
    assert seeds["smoke/bf16"] == seeds["smoke/fp32"] == [0, 1, 2, 3, 4]
    assert seeds["standard/bf16"] == [0, 1, 2]


def test_every_experiment_a_notebook_records_has_the_committed_runs_a_learner_sees():
    """The committed notebooks (standard, bf16) draw the course's runs of every recorded experiment."""
    table = json.loads(course_runs.TABLE.read_text())
    recorded = {name for path in (ROOT / "notebooks").glob("*.ipynb")
                for cell in nbformat.read(path, as_version=4).cells if cell.cell_type == "code"
                for name in re.findall(r'course_runs\.record\("([^"]+)"', cell.source)}
    assert recorded == set(table), "every recorded experiment, and only those, should be in the table"
    for experiment, entry in table.items():
        assert len(entry["runs"].get("standard/bf16", {})) >= 3, f"{experiment}: fewer than 3 seeds in standard/bf16"


def test_a_precision_without_runs_borrows_its_profiles_other_precision(monkeypatch, tmp_path):
    table = tmp_path / "table.json"
    monkeypatch.setenv("CNNCOURSE_PRECISION", "fp32")
    course_runs.merge(_record(monkeypatch, tmp_path, 0, 1.0), _notebook(tmp_path, "histories = train()"), table)
    monkeypatch.setenv("CNNCOURSE_PRECISION", "fp16")   # a T4's precision: no runs of its own
    assert course_runs.setting_for("depth", table) == course_runs.setting().replace("fp16", "fp32")
    assert len(course_runs.load("depth", table_path=table)["plain20"]) == 1
