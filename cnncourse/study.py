"""Where does a notebook's time go? Run it from an empty cache and print it cell by cell and run by run.

    python -m cnncourse.study notebooks/04_resnet_degradation.ipynb --profile standard --threads 2

A benchmark, not a test. The notebook runs in a fresh kernel with an empty cache folder of its own (no trained
weights, no converted datasets), in the profile, seed, precision and thread count given. The kernel records
every training run of ``train.fit`` (its cell, steps, batch, images, seconds of training and of validation) and
its own peak memory. Printed: the notebook's time, the cells that take most of it, every training run, and
the peak resident memory of the kernel.

A learner who downloads CIFAR-10 evaluates on its 10,000 test images; a local copy may hold fewer (the course's
offline copy has 1,000). ``--learner-test-set`` (on by default) repeats the local test images up to 10,000, so
that every evaluation costs what it costs a learner; accuracies are those of the local images.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import nbformat
import torch
from nbclient import NotebookClient

from . import data, train
from .config import pick_device
from .precision import automatic_precision

CIFAR10_SIZES = {"train": 50_000, "test": 10_000}  # the splits a learner downloads


@dataclass(frozen=True)
class TrainingRecord:
    """One training run of ``fit`` as the kernel saw it."""

    finished_at: float  # seconds since the epoch: the cell that ran it is the one running at that moment
    label: str
    steps: int
    batch_size: int
    images: int  # training images
    train_seconds: float  # the whole run minus its validation
    val_seconds: float
    val_images: int  # images evaluated by the run's per-epoch validation, all epochs together


class _RunRecorder:
    """Wraps ``train._train`` and ``train.evaluate`` in the kernel to time each run and its validation."""

    def __init__(self, path: Path):
        self.path, self.train = path, train
        self.val_seconds, self.val_images = 0.0, 0
        self.inner_train, self.inner_evaluate = train._train, train.evaluate
        train._train, train.evaluate = self._train, self._evaluate

    def _evaluate(self, model, data, **options):
        start = time.perf_counter()
        scores = self.inner_evaluate(model, data, **options)
        self.val_seconds += time.perf_counter() - start
        self.val_images += len(self.train.as_tensors(data)[0])
        return scores

    def _train(self, model, inputs, targets, run, val, *args):
        self.val_seconds, self.val_images = 0.0, 0
        start = time.perf_counter()
        history = self.inner_train(model, inputs, targets, run, val, *args)
        seconds = time.perf_counter() - start
        record = TrainingRecord(time.time(), history.label, len(history.step_loss),
                                run.recipe.batch_size, len(inputs), seconds - self.val_seconds, self.val_seconds,
                                self.val_images)
        with self.path.open("a") as file:
            file.write(json.dumps(record.__dict__) + "\n")
        return history


def learner_sized_cifar10(splits: tuple[str, ...]) -> None:
    """Make ``data.load_cifar10`` give a learner's number of images for ``splits`` (local images repeated)."""
    local_loader = data.load_cifar10

    def load_cifar10(split: str = "train", **options):
        dataset = local_loader(split, **options)
        wanted = CIFAR10_SIZES[split]
        if split not in splits or len(dataset) >= wanted:
            return dataset
        return dataset.take(torch.arange(wanted) % len(dataset))

    data.load_cifar10 = load_cifar10


def start_recording(path: str, learner_test_set: bool) -> None:
    """Called by the study's first cell inside the kernel."""
    _RunRecorder(Path(path))
    if learner_test_set:
        learner_sized_cifar10(("test",))


def read_records(path: Path) -> list[TrainingRecord]:
    """The training runs the kernel wrote, in the order they finished (none if it trained nothing)."""
    if not path.exists():
        return []
    return [TrainingRecord(**json.loads(line)) for line in path.read_text().splitlines()]


@dataclass(frozen=True)
class CellTime:
    index: int  # counted from 0, markdown included, as JupyterLab shows them; -1: the study's own first cell
    began: float  # seconds since the epoch
    seconds: float
    first_line: str

    def ran(self, moment: float) -> bool:
        return self.began <= moment <= self.began + self.seconds


def cell_times(notebook) -> list[CellTime]:
    """Each executed code cell's wall time, from the timestamps nbclient stores in its metadata."""
    times = []
    study_cells = sum(1 for cell in notebook.cells if cell.get("metadata", {}).get("study"))
    for index, cell in enumerate(notebook.cells, start=-study_cells):
        stamps = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type != "code" or "shell.execute_reply" not in stamps:
            continue
        began, ended = (datetime.fromisoformat(stamps[key].replace("Z", "+00:00"))
                        for key in ("iopub.execute_input", "shell.execute_reply"))
        first = next((line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")), "")
        if index < 0:
            first = "import cnncourse (the study's recorder, before the notebook's first cell)"
        times.append(CellTime(index, began.timestamp(), (ended - began).total_seconds(), first.strip()))
    return times


def run_notebook(path: Path, env: dict[str, str], records: Path, learner_test_set: bool, timeout: int):
    """Execute the notebook with the recorder in front of its first cell; return it and the kernel's peak memory."""
    notebook = nbformat.read(path, as_version=4)
    first = nbformat.v4.new_code_cell(f"import cnncourse.study\ncnncourse.study.start_recording({str(records)!r}, "
                                      f"{learner_test_set})")
    last = nbformat.v4.new_code_cell("import cnncourse.environment\nprint(cnncourse.environment.peak_resident_memory_mb() / 1e3)")
    notebook.cells = [first, *notebook.cells, last]
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    peak = float(notebook.cells[-1].outputs[0]["text"])
    notebook.cells = notebook.cells[:-1]  # the first stays: it imports the package, which the notebook then finds
    notebook.cells[0].metadata["study"] = True
    return notebook, peak


def report(name: str, settings: str, notebook, peak_gb: float, runs: list[TrainingRecord]) -> str:
    """The study's printout: totals, the costliest cells, every training run."""
    cells = cell_times(notebook)
    total = sum(cell.seconds for cell in cells)
    training = sum(run.train_seconds for run in runs)
    validation = sum(run.val_seconds for run in runs)
    lines = [f"{name}: {settings}",
             f"total {total:.0f} s ({total / 60:.1f} min); peak memory {peak_gb:.2f} GB; {len(runs)} training runs: "
             f"training {training:.0f} s ({training / total:.0%}), their validation {validation:.0f} s "
             f"({validation / total:.0%}); everything else {total - training - validation:.0f} s",
             "", f"{'cell':>4} {'seconds':>8} {'share':>6} {'runs':>5}  first line"]
    cell_of = {run: next((cell.index for cell in cells if cell.ran(run.finished_at)), None) for run in runs}
    runs_in = {}
    for run in runs:
        runs_in.setdefault(cell_of[run], []).append(run)
    for cell in sorted(cells, key=lambda c: -c.seconds):
        if cell.seconds < max(1.0, 0.01 * total):
            break
        lines.append(f"{cell.index:>4} {cell.seconds:>8.1f} {cell.seconds / total:>6.1%} "
                     f"{len(runs_in.get(cell.index, [])):>5}  {cell.first_line[:80]}")
    lines += ["", f"{'cell':>4} {'steps':>6} {'batch':>5} {'images':>7} {'train s':>8} {'img/s':>6} "
                  f"{'val s':>6} {'val img':>8} {'share':>6}  run"]
    for run in runs:
        speed = run.steps * run.batch_size / run.train_seconds if run.train_seconds > 0 else float("nan")
        share = (run.train_seconds + run.val_seconds) / total
        cell = "?" if cell_of[run] is None else cell_of[run]
        lines.append(f"{cell:>4} {run.steps:>6} {run.batch_size:>5} {run.images:>7} "
                     f"{run.train_seconds:>8.1f} {speed:>6.0f} {run.val_seconds:>6.1f} {run.val_images:>8} "
                     f"{share:>6.1%}  {run.label}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnncourse.study", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--profile", default="standard")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--precision", default="auto", help="auto, bf16, fp16 or fp32")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--local-test-set", action="store_true",
                        help="evaluate on the local CIFAR-10 test images only, not repeated to a learner's 10,000")
    parser.add_argument("--timeout", type=int, default=7200, help="seconds a cell may run")
    args = parser.parse_args(argv)
    missing = [str(path) for path in args.notebooks if not path.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)} (give the path to a notebooks/NN_*.ipynb file)")

    precision = args.precision
    if precision == "auto":  # what the kernel will resolve it to on this machine
        precision = f"{automatic_precision(pick_device())} (auto)"
    for path in args.notebooks:
        with tempfile.TemporaryDirectory(prefix="cnncourse-study-") as folder:
            records = Path(folder) / "runs.jsonl"
            env = {**os.environ, "CNNCOURSE_PROFILE": args.profile, "CNNCOURSE_SEED": str(args.seed),
                   "CNNCOURSE_PRECISION": args.precision, "CNNCOURSE_THREADS": str(args.threads),
                   "CNNCOURSE_CACHE": str(Path(folder) / "cache"), "MPLBACKEND": "agg"}
            notebook, peak = run_notebook(path, env, records, not args.local_test_set, args.timeout)
            runs = read_records(records)
        test_set = "the local CIFAR-10 test set" if args.local_test_set else \
            f"CIFAR-10 test set repeated to a learner's {CIFAR10_SIZES['test']:,}"
        settings = (f"{args.profile}, seed {args.seed}, {precision}, {args.threads} thread(s), "
                    f"empty cache, {test_set}")
        print(report(path.name, settings, notebook, peak, runs), "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
