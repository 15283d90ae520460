"""The course's own runs of an experiment over many seeds: a small committed table, drawn as a band behind
the learner's single run.

In a notebook, after training one seed:

    course_runs.record("04-depth", histories, recipe="resnet-cifar")   # writes only while the runner rebuilds
    course = course_runs.load("04-depth")        # {net: [History of each seed]}, this profile and precision

The table (``course_runs.json``, per-epoch metrics only) is rebuilt by one command, which also checks every
claim over the same runs:

    python -m cnncourse.robustness notebooks/04_resnet_degradation.ipynb --seeds 0-4 --write-course-runs

It carries two fingerprints: for each profile, the training code with that profile's version of the recipe
the runs used (``code_stamp``: another lesson's recipe, or another profile's, leaves those runs fresh); and the
notebook's code up to the cell that records, as syntax trees (a comment or a wrapped line leaves the runs fresh).
A test fails when either no longer matches.
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import json
import os
import warnings
from pathlib import Path
from typing import Mapping

from IPython.core.inputtransformer2 import TransformerManager

from . import recipes
from .checkpoints import TRAINING_CODE, source_fingerprint
from .config import course_seed, get_profile, pick_device
from .data.cache import fingerprint
from .errors import InputValueError
from .history import History
from .precision import resolve_precision
from .version import __version__

TABLE = Path(__file__).with_name("course_runs.json")
RECORD_ENV = "CNNCOURSE_RECORD_RUNS"  # a file the kernel appends its recorded runs to (set by the runner)
DECIMALS = 4


def setting() -> str:
    """The profile and precision a run is filed under, e.g. ``'smoke/bf16'``."""
    return f"{get_profile().name}/{resolve_precision('auto', pick_device())}"


def code_stamp(recipe: str, profile: str) -> str:
    """A hash of the training code and of ``profile``'s version of the recipe ``recipe``, the rest of the recipe
    table left out: another lesson's recipe, or another profile's, does not make these runs stale."""
    if recipe not in recipes.RECIPES:
        raise InputValueError(f"No recipe {recipe!r} to record runs under; the recipes are {sorted(recipes.RECIPES)}.")
    code = tuple(part for part in TRAINING_CODE if part != "recipes.py")
    paper = recipes.PAPER_RECIPES.get(recipe) if profile == "full" else None
    return fingerprint(__version__, source_fingerprint(Path(__file__).resolve().parent, code),
                       inspect.getsource(recipes.Recipe), recipes.RECIPES[recipe][profile], paper)


def profile_of(setting_name: str) -> str:
    return setting_name.split("/")[0]


def record(experiment: str, histories: Mapping[str, History], recipe: str) -> None:
    """Append this run's per-epoch metrics, trained with the recipe named ``recipe``, to the runner's file;
    nothing unless ``CNNCOURSE_RECORD_RUNS`` is set."""
    code_stamp(recipe, get_profile().name)  # an unknown recipe fails in the learner's run too, not only the runner's
    path = os.environ.get(RECORD_ENV, "").strip()
    if not path:
        return
    epochs = {name: {metric: [round(value, DECIMALS) for value in values] for metric, values in history.epochs.items()}
              for name, history in histories.items()}
    line = {"experiment": experiment, "recipe": recipe, "setting": setting(), "seed": course_seed(0),
            "epochs": epochs}
    with open(path, "a") as file:
        file.write(json.dumps(line) + "\n")


def read_table(path: Path = TABLE) -> dict:
    return json.loads(path.read_text()) if path.exists() else {}


def settings_of(experiment: str, table_path: Path = TABLE) -> list[str]:
    """The profile/precision settings the table holds runs of, e.g. ['smoke/bf16', 'smoke/fp32']."""
    return sorted(read_table(table_path).get(experiment, {}).get("runs", {}))


def setting_for(experiment: str, table_path: Path = TABLE) -> str | None:
    """This profile and precision if the table has runs of it; else this profile in another precision, or None."""
    held, wanted = settings_of(experiment, table_path), setting()
    if wanted in held:
        return wanted
    return next((name for name in held if profile_of(name) == profile_of(wanted)), None)


def load(experiment: str, setting_name: str | None = None, table_path: Path = TABLE) -> dict[str, list[History]]:
    """The course's runs of ``experiment``: {net: [History of each seed]}, by default in ``setting_for``'s setting.

    Empty where the course has none in this profile (a GPU's ``full``, say). Warns if the training code changed
    since the table was made: the band then shows what the previous code did.
    """
    entry = read_table(table_path).get(experiment)
    setting_name = setting_name or setting_for(experiment, table_path)
    if entry is None or setting_name not in entry["runs"]:
        return {}
    if entry["code"][setting_name] != code_stamp(entry["recipe"], profile_of(setting_name)):
        warnings.warn(f"The course's runs of {experiment!r} were made by another version of the training code; "
                      "rebuild them (see cnncourse.course_runs) or read the band as the earlier code's.", stacklevel=2)
    histories: dict[str, list[History]] = {}
    for seed, nets in sorted(entry["runs"][setting_name].items(), key=lambda item: int(item[0])):
        for name, epochs in nets.items():
            histories.setdefault(name, []).append(History(label=f"{name}, seed {seed}", epochs=epochs))
    return histories


def code_meaning(source: str) -> str:
    """A cell's code as Python's syntax tree: comments, blank lines and where long lines break leave it as it is."""
    return _tree_text(ast.parse(TransformerManager().transform_cell(source)))   # IPython's % and ! lines as calls


def _tree_text(node: object) -> str:
    """A syntax tree as text, empty fields left out: a field a newer Python adds to a node, empty in code that does
    not use it, leaves the text as it was."""
    if isinstance(node, list):
        return "[" + ",".join(map(_tree_text, node)) + "]"
    if not isinstance(node, ast.AST):
        return repr(node)
    fields = (f"{name}={_tree_text(value)}" for name, value in ast.iter_fields(node) if value not in (None, []))
    return f"{type(node).__name__}({','.join(fields)})"


def notebook_fingerprint(notebook: Path, experiment: str) -> str:
    """A hash of what the notebook's code cells up to the one that records ``experiment`` do (``code_meaning``).

    The first code cell, the set-up cell that pins the release (``notebook_setup``), is left out: it installs
    the package and trains nothing.
    """
    code = ["".join(cell["source"]) for cell in json.loads(Path(notebook).read_text())["cells"]
            if cell["cell_type"] == "code"]
    digest = hashlib.sha256()
    for source in code[1:]:
        digest.update(code_meaning(source).encode() + b"\0")
        if f'course_runs.record("{experiment}"' in source:
            return digest.hexdigest()
    raise InputValueError(f"{notebook} has no cell that calls course_runs.record({experiment!r}, ...); "
                          "check the experiment's name.")


def merge(recorded: Path, notebook: Path, table_path: Path = TABLE) -> list[str]:
    """Put the runs recorded in ``recorded`` into the table, stamped with today's fingerprints; returns what changed.

    An experiment whose notebook or recipe changed starts afresh, a setting whose code stamp changed too: runs
    of older code are never mixed with new ones.
    """
    table = read_table(table_path)
    runs = [json.loads(line) for line in recorded.read_text().splitlines()]
    recipe_of = {run["experiment"]: run["recipe"] for run in runs}
    stamps = {experiment: {"recipe": recipe, "source": Path(notebook).name,
                           "notebook": notebook_fingerprint(notebook, experiment)}
              for experiment, recipe in recipe_of.items()}
    changed = []
    for run in runs:
        stamp, setting_name = stamps[run["experiment"]], run["setting"]
        entry = table.get(run["experiment"])
        if entry is None or any(entry[key] != value for key, value in stamp.items()):
            entry = table[run["experiment"]] = {**stamp, "code": {}, "runs": {}}
        code = code_stamp(run["recipe"], profile_of(setting_name))
        if entry["code"].get(setting_name) != code:
            entry["code"][setting_name], entry["runs"][setting_name] = code, {}
        entry["runs"][setting_name][str(run["seed"])] = run["epochs"]
        changed.append(f"{run['experiment']} {run['setting']} seed {run['seed']}")
    temporary = table_path.with_suffix(".tmp")
    temporary.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n")
    temporary.replace(table_path)  # never a half-written table
    return changed
