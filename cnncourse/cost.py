"""What does a notebook cost to train, here and on the GPUs learners get? (a benchmark, not a test)

    python -m cnncourse.cost notebooks/04_resnet_degradation.ipynb --profile full

The notebook runs in a fresh kernel, in the profile asked for, with a planner in front of its first cell. Every
``train.fit`` call that would train is recorded instead of run in full: its steps and batch (as the recipe gives
them for the data it was handed), its FLOPs per step (PyTorch's count of one real step: forward, backward and
optimizer), its layers, and the time of a few steps on this device; then the run trains only those few steps, so
that the notebook goes on to its next run. Datasets are sized as a learner has them: CIFAR-10's training split
is its 50,000 images even where the local copy has fewer (the local images repeated), so every plan counts what
a learner trains; ISBI slices are cut to a corner (as in a tiny run) since the training crops, not the slices,
set a U-Net step's cost. The notebook's own analyses then run on barely trained models, so its asserts fail; the
printout names every cell that stopped early (a run after an error in its cell is not counted).

Printed: for each notebook, its training runs, steps, images and FLOPs, the minutes measured here (seconds per
step times steps) and estimated for reference GPUs. These small nets are launch-bound on a GPU: a GPU step is
estimated as the longer of a launch floor (from steps measured on an H100) and FLOPs over a compute rate (from a
published ResNet-50 throughput): ``REFERENCE_GPUS`` names the source of each number.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import nbformat
import torch
import torchvision
from nbclient import NotebookClient
from torch.utils.flop_counter import FlopCounterMode

from . import data, train
from .callbacks import StepHook
from .config import pick_device
from .data.datasets import TINY_SLICE_SIZE
from .evaluation import as_tensors
from .precision import automatic_precision
from .study import cell_times, learner_sized_cifar10

TIMED_STEPS = 3  # after one counted step (which also warms up): their median is a step here
# CIFAR ResNets measured on an H100 (NOTES.md, 2026-11-28: bf16 autocast, channels_last, data on the GPU, batch
# 128): ResNet-20 about 34,000 img/s, ResNet-56 about 21,000 img/s; both launch-bound. A line through the two
# gives the seconds a step takes whatever its FLOPs: a fixed part and a part per layer with weights.
H100_STEP_SECONDS = {39: 128 / 34_000, 111: 128 / 21_000}  # layers with weights (conv, BN, linear) -> s/step


@dataclass(frozen=True)
class ReferenceGPU:
    """A GPU a learner gets, as the estimate sees it: a compute rate and the precision the course runs there."""

    name: str
    precision: str
    resnet50_images_per_second: float  # training, one GPU, mixed precision: the published number
    source: str

    def flops_per_second(self, resnet50_training_flops: float) -> float:
        return self.resnet50_images_per_second * resnet50_training_flops


# NVIDIA/DeepLearningExamples, PyTorch/Classification/ConvNets/resnet50v1.5/README.md, "Training performance
# results", 1 GPU, mixed precision (pytorch-21.03 container): A100 80GB 2470 img/s, V100 16GB 1200 img/s. NVIDIA
# publishes no 1-GPU training number for a T4 or an H100: those two are scaled from the nearest published GPU by
# the ratio of memory bandwidths in NVIDIA's data sheets (T4 320 GB/s against V100 900 GB/s; H100 SXM 3.35 TB/s
# against A100 80GB 2.0 TB/s), lower than the ratio of their peak FLOPs, so the estimate errs on the long side.
REFERENCE_GPUS = (
    ReferenceGPU("T4", "fp16", 1200 * 320 / 900, "V100 16GB's 1,200 (NVIDIA DeepLearningExamples, ResNet-50 v1.5, "
                                                  "PyTorch, AMP, 1 GPU) x 320/900, the ratio of memory bandwidths"),
    ReferenceGPU("A100", "bf16", 2470, "A100 80GB, NVIDIA DeepLearningExamples, ResNet-50 v1.5, PyTorch, AMP, "
                                       "1 GPU"),
    ReferenceGPU("H100", "bf16", 2470 * 3.35 / 2.0, "A100 80GB's 2,470 (NVIDIA DeepLearningExamples, as above) "
                                                     "x 3.35/2.0, the ratio of memory bandwidths"),
)


@dataclass(frozen=True)
class PlannedRun:
    """One training run as the notebook asked for it, and what a few of its steps cost here."""

    finished_at: float  # seconds since the epoch: the cell running at that moment asked for it
    label: str
    steps: int
    batch_size: int
    images: int  # training examples handed to fit
    val_images: int  # validation examples, scored once an epoch
    epochs: int
    flops_per_step: float
    layers: int  # modules with weights: convolutions, batch norms, linear layers
    seconds_per_step: float  # on this device

    @property
    def flops(self) -> float:
        return self.flops_per_step * self.steps

    @property
    def seconds_here(self) -> float:
        return self.seconds_per_step * self.steps


def launch_floor_seconds(layers: int) -> float:
    """The seconds a training step takes on a GPU however few its FLOPs: the line through the H100's two nets."""
    (few, fast), (many, slow) = sorted(H100_STEP_SECONDS.items())
    return fast + (slow - fast) * (layers - few) / (many - few)


def gpu_seconds(run: PlannedRun, gpu: ReferenceGPU, resnet50_training_flops: float) -> float:
    """The run's estimated training time on ``gpu``: each step the launch floor or its FLOPs, whichever is longer."""
    compute = run.flops_per_step / gpu.flops_per_second(resnet50_training_flops)
    return run.steps * max(launch_floor_seconds(run.layers), compute)


def resnet50_training_flops() -> float:
    """FLOPs of one training image of torchvision's ResNet-50 at 224x224, counted as a step here is counted."""
    with torch.device("meta"):
        model = torchvision.models.resnet50()
        images = torch.zeros(1, 3, 224, 224)
    counter = FlopCounterMode(display=False)
    with counter:
        model(images).sum().backward()
    return float(counter.get_total_flops())


class _Planner:
    """Stands in for ``train._train`` in the kernel: records each run, trains a few timed steps of it."""

    def __init__(self, path: Path):
        self.path, self.inner = path, train._train
        train._train = self._plan

    def _plan(self, model, inputs, targets, run, val, metrics, device, label, callbacks, resume, description):
        steps = run.recipe.total_steps(len(inputs))
        counter = FlopCounterMode(display=False)
        with counter:  # one step, counted: what a step of this run computes, the optimizer's update included
            self.inner(model, inputs, targets, replace(run, recipe=run.recipe.but(steps=1)), None, metrics, device,
                       label, (), None, description)
        ends = []
        history = self.inner(model, inputs, targets, replace(run, recipe=run.recipe.but(steps=1 + TIMED_STEPS)),
                             val, metrics, device, label, [StepHook(lambda *_: ends.append(_now(device)))], None,
                             description)
        layers = sum(isinstance(m, (torch.nn.Conv2d, torch.nn.modules.batchnorm._BatchNorm, torch.nn.Linear))
                     for m in model.modules())
        planned = PlannedRun(time.time(), label or type(model).__name__, steps, run.recipe.batch_size, len(inputs),
                             0 if val is None else len(as_tensors(val)[0]),
                             math.ceil(steps * run.recipe.batch_size / len(inputs)), float(counter.get_total_flops()),
                             layers, statistics.median(b - a for a, b in zip(ends, ends[1:])))
        with self.path.open("a") as file:
            file.write(json.dumps(asdict(planned)) + "\n")
        return history


def _now(device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def _isbi_corners() -> None:
    """Make ``data.load_isbi2012`` cut every slice to a tiny run's corner: a U-Net step costs what its crop costs."""
    local_loader = data.load_isbi2012
    data.load_isbi2012 = lambda *args, **options: local_loader(*args, **options).corner(TINY_SLICE_SIZE)


def start_planning(path: str) -> None:
    """Called by the cost command's first cell inside the kernel."""
    _Planner(Path(path))
    learner_sized_cifar10(("train", "test"))
    _isbi_corners()


def read_plans(path: Path) -> list[PlannedRun]:
    """The runs the kernel planned, in the order it asked for them."""
    if not path.exists():
        return []
    return [PlannedRun(**json.loads(line)) for line in path.read_text().splitlines()]


def run_notebook(path: Path, env: dict[str, str], plans: Path, timeout: int):
    """Execute the notebook with the planner in front of its first cell, on through cells that fail."""
    notebook = nbformat.read(path, as_version=4)
    first = nbformat.v4.new_code_cell(f"import cnncourse.cost\ncnncourse.cost.start_planning({str(plans)!r})")
    first.metadata["study"] = True  # the study's cell numbering: counted from the notebook's own first cell
    notebook.cells = [first, *notebook.cells]
    client = NotebookClient(notebook, timeout=timeout, kernel_name="python3", record_timing=True, allow_errors=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    return notebook


def failed_cells(notebook) -> list[int]:
    """The notebook's own cells (counted from 0, markdown included) that raised."""
    offset = sum(1 for cell in notebook.cells if cell.get("metadata", {}).get("study"))
    return [index - offset for index, cell in enumerate(notebook.cells)
            if cell.cell_type == "code" and any(out.get("output_type") == "error" for out in cell.get("outputs", []))]


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:,.2f}"


def report(name: str, settings: str, notebook, plans: list[PlannedRun]) -> str:
    """The cost command's printout: totals per device, then every planned run."""
    resnet50 = resnet50_training_flops()
    cells = cell_times(notebook)
    cell_of = [next((c.index for c in cells if c.ran(run.finished_at)), "?") for run in plans]
    here = sum(run.seconds_here for run in plans)
    on_gpu = {gpu.name: sum(gpu_seconds(run, gpu, resnet50) for run in plans) for gpu in REFERENCE_GPUS}
    lines = [f"{name}: {settings}",
             f"{len(plans)} training runs, {sum(r.steps for r in plans):,} steps, "
             f"{sum(r.steps * r.batch_size for r in plans) / 1e6:,.2f}M images, "
             f"{sum(r.flops for r in plans) / 1e15:,.3f} PFLOP of training",
             "minutes of training: here " + _minutes(here) + "; "
             + "; ".join(f"{gpu.name} ({gpu.precision}) {_minutes(on_gpu[gpu.name])}" for gpu in REFERENCE_GPUS)]
    stopped = failed_cells(notebook)
    if stopped:
        lines.append(f"cells that stopped early (runs after the error in the same cell are not counted): "
                     f"{', '.join(map(str, stopped))}")
    gpus = "".join(f" {gpu.name + ' min':>9}" for gpu in REFERENCE_GPUS)
    lines += ["", f"{'cell':>4} {'steps':>7} {'batch':>5} {'images':>8} {'GFLOP/step':>10} {'layers':>6} "
                  f"{'s/step':>7} {'here min':>9}{gpus}  run"]
    for cell, run in zip(cell_of, plans):
        gpu_minutes = "".join(f" {_minutes(gpu_seconds(run, gpu, resnet50)):>9}" for gpu in REFERENCE_GPUS)
        lines.append(f"{cell:>4} {run.steps:>7,} {run.batch_size:>5} {run.images:>8,} "
                     f"{run.flops_per_step / 1e9:>10,.1f} {run.layers:>6} {run.seconds_per_step:>7.3f} "
                     f"{_minutes(run.seconds_here):>9}{gpu_minutes}  {run.label}")
    lines += ["", "Reference GPUs: a step takes the longer of a launch floor (a line through the H100's measured "
                  "ResNet-20 and ResNet-56 steps, by layers with weights) and its FLOPs at the GPU's rate:"]
    lines += [f"  {gpu.name}: {gpu.resnet50_images_per_second:,.0f} ResNet-50 training images/s "
              f"({gpu.resnet50_images_per_second * resnet50 / 1e12:,.1f} TFLOP/s), {gpu.source}"
              for gpu in REFERENCE_GPUS]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cnncourse.cost", description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--profile", default="full")
    parser.add_argument("--precision", default="auto", help="auto, bf16, fp16 or fp32: what this device runs")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--timeout", type=int, default=3600, help="seconds a cell may run")
    args = parser.parse_args(argv)

    precision = args.precision
    if precision == "auto":
        precision = f"{automatic_precision(pick_device())} (auto)"
    for path in args.notebooks:
        with tempfile.TemporaryDirectory(prefix="cnncourse-cost-") as folder:
            plans_file = Path(folder) / "plans.jsonl"
            env = {**os.environ, "CNNCOURSE_PROFILE": args.profile, "CNNCOURSE_PRECISION": args.precision,
                   "CNNCOURSE_THREADS": str(args.threads), "CNNCOURSE_CACHE": str(Path(folder) / "cache"),
                   "MPLBACKEND": "agg"}
            notebook = run_notebook(path, env, plans_file, args.timeout)
            plans = read_plans(plans_file)
        settings = f"{args.profile}, {precision} on {pick_device().type} here, {args.threads} thread(s)"
        print(report(path.name, settings, notebook, plans), "\n", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
