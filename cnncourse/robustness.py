"""Do the notebooks' claims hold beyond one seed and one machine? Re-execute them over a matrix and tabulate.

    python -m cnncourse.robustness notebooks/06_*.ipynb --seeds 0-4 --precisions fp32,bf16 --threads 1

Every run executes a whole notebook in a fresh kernel with ``CNNCOURSE_PROFILE``, ``CNNCOURSE_SEED``,
``CNNCOURSE_PRECISION`` and ``CNNCOURSE_THREADS`` set, and its own checkpoint cache (converted datasets are
shared). With ``--reuse-trainings`` and the same ``--cache``, a run executes in the folder an earlier invocation
left for the same settings and reloads the trainings whose checkpoint key (code, recipe, seed, precision) still
matches: re-checking the claims after an edit to a notebook's analyses or asserts costs only what is not a
training, and gives what a cold run gives. The table has one row per asserting cell (cells counted from 0,
markdown included, as JupyterLab shows them) and one column per run; below it, what each asserting cell printed:
its margin. Each run's executed notebook is kept in its cache folder (under ``--cache``), every output in it,
to read or quote.
Too slow for CI (a run is a whole notebook); run it before claiming that a result holds.

    python -m cnncourse.robustness notebooks/0*.ipynb --profile full --tiny --seeds 0 --precisions fp32

``--write-course-runs`` files the runs that a notebook records (``course_runs.record``) into the course's table
of runs, the band that a learner's single run is drawn against (``cnncourse.course_runs``); with
``--stop-after-recording`` each notebook runs only up to its last recording cell (the claims after it unchecked).

``--tiny`` runs a profile's code with every dataset and training cut to a few images and steps
(``CNNCOURSE_TINY=1``): the lessons' claims cannot hold then, so only errors other than a failed assert count.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from .config import pick_device
from .course_runs import RECORD_ENV, merge
from .errors import InputValueError
from .precision import bf16_pays

ASSERT_LINE = re.compile(r"^\s*assert\b", re.MULTILINE)


@dataclass(frozen=True)
class Run:
    """One execution of one notebook: where and with which settings."""

    notebook: Path
    profile: str
    seed: int
    precision: str
    threads: int
    tiny: bool = False  # CNNCOURSE_TINY=1: the code path only, at a few images and steps
    record: bool = False  # collect the runs the notebook records for the course's table
    stop_after_recording: bool = False  # execute the notebook only up to its last course_runs.record cell

    @property
    def label(self) -> str:
        return f"s{self.seed} {self.precision} t{self.threads}"

    @property
    def folder_name(self) -> str:
        tiny = "-tiny" if self.tiny else ""
        return f"{self.notebook.stem[:2]}-{self.profile}-s{self.seed}-{self.precision}-t{self.threads}{tiny}"


@dataclass
class CellResult:
    """What one asserting (or failing) cell did in one run."""

    index: int
    asserts: bool
    passed: bool
    printed: str  # the last line the cell (or the one before it) printed, or the error
    source_head: str


@dataclass
class RunResult:
    run: Run
    seconds: float
    cells: list[CellResult] = field(default_factory=list)
    recorded: Path | None = None  # the runs the notebook recorded (course_runs.record), with --write-course-runs
    executed: Path | None = None  # the executed notebook, with every output


def parse_seeds(text: str) -> list[int]:
    """'0-4' -> [0, 1, 2, 3, 4]; '0,2,5' -> [0, 2, 5]."""
    seeds: list[int] = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        seeds.extend(range(int(first), int(last or first) + 1))
    return seeds


def _printed(outputs: list) -> str:
    lines = [line for output in outputs if output.get("output_type") == "stream" and output.get("name") == "stdout"
             for line in output.get("text", "").splitlines() if line.strip()]
    return lines[-1].strip() if lines else ""


def _error(outputs: list) -> str | None:
    for output in outputs:
        if output.get("output_type") == "error":
            return f"{output.get('ename')}: {output.get('evalue')}"
    return None


def run_folder(run: Run, cache: Path, reuse: bool) -> Path:
    """The run's cache folder under ``cache``: named by its settings and kept from an earlier invocation if
    ``reuse``, else a new one."""
    if not reuse:
        return Path(tempfile.mkdtemp(prefix=f"{run.folder_name}-", dir=cache))
    folder = cache / run.folder_name
    folder.mkdir(exist_ok=True)
    return folder


def execute(run: Run, cache: Path, timeout: int, reuse: bool = False) -> RunResult:
    """Execute ``run`` in a fresh kernel with the run's settings in its environment, and collect its cells;
    ``reuse``: in the cache folder an earlier execution of the same run left, its trainings reloaded."""
    import nbformat
    from nbclient import NotebookClient

    (cache / "tensors").mkdir(parents=True, exist_ok=True)
    run_cache = run_folder(run, cache, reuse)
    datasets = run_cache / "tensors"
    datasets.unlink(missing_ok=True)  # a reused folder's link may lead to another cache's datasets, or nowhere
    datasets.symlink_to(cache / "tensors", target_is_directory=True)
    (run_cache / "recorded-runs.jsonl").unlink(missing_ok=True)  # a reused folder keeps no earlier run's records
    env = {**os.environ, "CNNCOURSE_PROFILE": run.profile, "CNNCOURSE_SEED": str(run.seed),
           "CNNCOURSE_PRECISION": run.precision, "CNNCOURSE_THREADS": str(run.threads),
           "CNNCOURSE_CACHE": str(run_cache), "CNNCOURSE_TINY": "1" if run.tiny else "0", "MPLBACKEND": "agg",
           RECORD_ENV: str(run_cache / "recorded-runs.jsonl") if run.record else ""}
    notebook = nbformat.read(run.notebook, as_version=4)
    if run.stop_after_recording:
        notebook.cells = notebook.cells[:last_recording_cell(notebook) + 1]
    client = NotebookClient(notebook, timeout=timeout, allow_errors=True, kernel_name="python3",
                            resources={"metadata": {"path": str(run.notebook.parent)}})
    start = time.perf_counter()
    client.execute(env=env)  # the kernel, not this process, gets the run's settings
    result = RunResult(run, time.perf_counter() - start, executed=run_cache / run.notebook.name)
    nbformat.write(notebook, result.executed)
    if run.record and (run_cache / "recorded-runs.jsonl").exists():
        result.recorded = run_cache / "recorded-runs.jsonl"
    last_printed = ""  # an assert often checks what the cell before it printed
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        error = _error(cell.get("outputs", []))
        printed = _printed(cell.get("outputs", []))
        asserts = bool(ASSERT_LINE.search(cell.source))
        if asserts or error:
            head = next((line.strip() for line in cell.source.splitlines() if ASSERT_LINE.match(line)),
                        cell.source.strip().splitlines()[0] if cell.source.strip() else "")
            shown = error or printed or (f"(cell before:) {last_printed}" if last_printed else "")
            result.cells.append(CellResult(index, asserts, error is None, shown, head))
        last_printed = printed or last_printed
    return result


def last_recording_cell(notebook) -> int:
    """The index of the notebook's last cell that calls ``course_runs.record``."""
    indices = [index for index, cell in enumerate(notebook.cells)
               if cell.cell_type == "code" and "course_runs.record(" in cell.source]
    if not indices:
        raise InputValueError("--stop-after-recording: this notebook records no course runs (course_runs.record).")
    return indices[-1]


def code_errors(result: RunResult) -> list[CellResult]:
    """The cells that failed with an error other than a failed assert: broken code, not a claim that missed."""
    return [cell for cell in result.cells if not cell.passed and not cell.printed.startswith("AssertionError")]


def _execute_star(args: tuple[Run, Path, int, bool]) -> RunResult:
    return execute(*args)


def table(results: list[RunResult]) -> str:
    """One row per asserting or failing cell, one column per run: ok / FAIL; then what each cell printed."""
    runs = [r.run for r in results]
    rows: dict[tuple[str, int], dict[str, CellResult]] = {}
    for result in results:
        for cell in result.cells:
            rows.setdefault((result.run.notebook.stem[:2], cell.index), {})[result.run.label] = cell
    labels = sorted({run.label for run in runs}, key=lambda label: [(r.seed, r.precision, r.threads)
                                                                    for r in runs if r.label == label][0])
    width = max(len(label) for label in labels)
    lines = [f"{'nb':2} {'cell':>4}  " + " ".join(f"{label:>{width}}" for label in labels) + "  claim"]
    for (notebook, index), by_run in sorted(rows.items()):
        marks = " ".join(f"{'' if label not in by_run else ('ok' if by_run[label].passed else 'FAIL'):>{width}}"
                         for label in labels)
        head = next(iter(by_run.values())).source_head
        lines.append(f"{notebook:2} {index:>4}  {marks}  {head[:70]}")
    lines.append("\nwhat each cell printed (its margin), run by run:")
    for (notebook, index), by_run in sorted(rows.items()):
        lines.append(f"{notebook} cell {index}:")
        lines.extend(f"  {label:>{width}} {'ok  ' if cell.passed else 'FAIL'} {cell.printed[:150]}"
                     for label, cell in by_run.items())
    failures = sum(not cell.passed for result in results for cell in result.cells)
    checked = sum(1 for result in results for cell in result.cells)
    lines.append("\nseconds per run: " + ", ".join(f"{r.run.notebook.stem[:2]} {r.run.label}: {r.seconds:.0f}"
                                                    for r in results))
    lines.append(f"summary: {len(rows)} cells x {len(labels)} runs, {checked} checked, {failures} failed")
    return "\n".join(lines)


def matrix(notebooks: list[Path], profile: str, seeds: list[int], precisions: list[str],
           threads: list[int], tiny: bool = False, record: bool = False, stop_after_recording: bool = False) -> list[Run]:
    """Every notebook x seed x precision x thread count; bf16 only where this machine runs it natively."""
    return [Run(notebook, profile, seed, precision, count, tiny, record, stop_after_recording)
            for notebook in notebooks for seed in seeds for precision in precisions for count in threads]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnncourse.robustness", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--profile", default="smoke")
    parser.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,2")
    parser.add_argument("--precisions", default="fp32,bf16")
    parser.add_argument("--threads", default="1", help="e.g. 1 or 1,2")
    parser.add_argument("--jobs", type=int, default=1, help="runs at the same time (use 1 thread each)")
    parser.add_argument("--cache", type=Path, default=None, help="a folder for the runs' caches (default: temporary)")
    parser.add_argument("--reuse-trainings", action="store_true",
                        help="with --cache: reload the trainings an earlier invocation left there for the same run")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds a cell may run")
    parser.add_argument("--tiny", action="store_true", help="a few images and steps: test the code path only")
    parser.add_argument("--write-course-runs", action="store_true",
                        help="file the runs the notebooks record into the course's table (cnncourse/course_runs.json)")
    parser.add_argument("--stop-after-recording", action="store_true",
                        help="with --write-course-runs: run each notebook only up to its last recording cell")
    args = parser.parse_args(argv)
    if args.stop_after_recording and not args.write_course_runs:
        parser.error("--stop-after-recording goes with --write-course-runs")
    if args.write_course_runs and args.tiny:
        parser.error("--write-course-runs files real runs; a --tiny run's numbers mean nothing")
    if args.reuse_trainings and args.cache is None:
        parser.error("--reuse-trainings needs --cache: the folder an earlier invocation left its runs in")

    precisions = [p.strip() for p in args.precisions.split(",")]
    if "bf16" in precisions and not bf16_pays(pick_device()):
        print("note: this machine has no bf16 instructions; bf16 runs are left out (the course trains in fp32 here)")
        precisions.remove("bf16")
    runs = matrix(args.notebooks, args.profile, parse_seeds(args.seeds), precisions,
                  [int(t) for t in args.threads.split(",")], args.tiny, args.write_course_runs,
                  args.stop_after_recording)
    cache = args.cache or Path(tempfile.mkdtemp(prefix="cnncourse-robustness-"))
    cache.mkdir(parents=True, exist_ok=True)
    print(f"{len(runs)} runs, {args.jobs} at a time, caches under {cache}", flush=True)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = []
        for result in pool.map(_execute_star, [(run, cache, args.timeout, args.reuse_trainings) for run in runs]):
            failed = sum(not cell.passed for cell in result.cells)
            print(f"  {result.run.notebook.name} {result.run.label}: {result.seconds:.0f} s, "
                  f"{failed} failed; executed: {result.executed}", flush=True)
            if result.recorded is not None:
                print("    filed in the course's runs: " + "; ".join(merge(result.recorded, result.run.notebook)))
            results.append(result)
    print(table(results))
    if args.tiny:
        return 1 if any(code_errors(result) for result in results) else 0
    return 1 if any(not cell.passed for result in results for cell in result.cells) else 0


if __name__ == "__main__":
    sys.exit(main())
