"""Training throughput of the course's loop against a conventional tutorial loop and against the limit
(a benchmark, not a test).

    python -m cnncourse.benchmark                 # ResNet-20 and ResNet-56, 30 timed steps each
    python -m cnncourse.benchmark --steps 100 --models resnet56

Three loops train the same model:

- ``reference``: the way most tutorials do it: PIL images, torchvision transforms (random crop with
  padding, flip, ToTensor, Normalize), a DataLoader, fp32, batch 128;
- ``course``: ``cnncourse.fit``: uint8 tensors in memory (on the GPU when there is one), augmentation on
  whole batches, bf16 autocast and channels_last where they pay;
- ``bare``: a training step on random tensors already on the device, in the course's precision and layout:
  no data loading or augmentation at all, so no loop can be faster.

One row compares all three at batch 128; where the course's default batch differs (512 on a GPU) a second row
compares course and bare at that batch. Each run has its own process, so its peak memory is its own; the
loops alternate, and the median of the repeats is printed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

from . import data, models
from .config import apply_thread_setting, pick_device
from .data.transforms import CIFAR10_MEAN, CIFAR10_STD, Preprocess
from .environment import peak_resident_memory_mb
from .recipes import Recipe
from .precision import autocast_for, gradient_scaler, resolve_precision
from .callbacks import StepHook
from .train import Task, fit

WARMUP_STEPS = 5


def peak_memory_mb(device: torch.device) -> float:
    """Peak resident memory of this process (CPU) or peak allocated GPU memory, in MB."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 1e6
    return peak_resident_memory_mb()


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def default_batch_size(device: torch.device) -> int:
    """The course's batch for speed: 512 on a GPU (small nets leave it idle at 128), 128 on a CPU."""
    return 512 if device.type == "cuda" else 128


def course_loop(model: nn.Module, train: data.ImageData, steps: int, device: torch.device,
                batch_size: int = 128) -> float:
    """Images per second of ``cnncourse.fit`` over ``steps`` timed steps."""
    marks: dict[int, float] = {}

    def mark(_: nn.Module, step: int) -> None:
        if step in (WARMUP_STEPS, WARMUP_STEPS + steps):
            _sync(device)
            marks[step] = time.perf_counter()

    recipe = Recipe(steps=WARMUP_STEPS + steps, batch_size=batch_size, lr=0.1, schedule=None, augment=True)
    fit(model, train, recipe, Task(prepare=Preprocess(mean=CIFAR10_MEAN, std=CIFAR10_STD)), callbacks=[StepHook(mark)])
    return steps * batch_size / (marks[WARMUP_STEPS + steps] - marks[WARMUP_STEPS])


def bare_loop(model: nn.Module, steps: int, device: torch.device, batch_size: int = 128) -> float:
    """Images per second of bare SGD steps on random tensors already on ``device``, as fast as ``fit`` can be."""
    precision = resolve_precision("auto", device)
    model.to(device, memory_format=torch.channels_last).train()
    x = torch.randn(batch_size, 3, 32, 32, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, 10, (batch_size,), device=device)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    scaler = gradient_scaler(device, precision)
    for step in range(WARMUP_STEPS + steps):
        if step == WARMUP_STEPS:
            _sync(device)
            start = time.perf_counter()
        with autocast_for(device, precision):
            loss = nn.functional.cross_entropy(model(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()
    _sync(device)
    return steps * batch_size / (time.perf_counter() - start)


def reference_loop(model: nn.Module, train: data.ImageData, steps: int, device: torch.device, workers: int) -> float:
    """Images per second of a conventional PIL + transforms + DataLoader loop in fp32, batch 128."""
    from PIL import Image
    from torchvision import transforms

    transform = transforms.Compose([transforms.RandomCrop(32, padding=4), transforms.RandomHorizontalFlip(),
                                    transforms.ToTensor(), transforms.Normalize(CIFAR10_MEAN, CIFAR10_STD)])
    pil_images = [Image.fromarray(image.permute(1, 2, 0).numpy()) for image in train.images]
    dataset = [(image, int(label)) for image, label in zip(pil_images, train.labels)]

    class TransformedImages(torch.utils.data.Dataset):
        def __len__(self) -> int:
            return len(dataset)

        def __getitem__(self, index: int):
            image, label = dataset[index]
            return transform(image), label

    loader = torch.utils.data.DataLoader(TransformedImages(), batch_size=128, shuffle=True, num_workers=workers,
                                         pin_memory=device.type == "cuda", persistent_workers=workers > 0)
    model.to(device).train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    step, start = 0, 0.0
    while step < WARMUP_STEPS + steps:
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            step += 1
            if step == WARMUP_STEPS:
                _sync(device)
                start = time.perf_counter()
            if step == WARMUP_STEPS + steps:
                break
    _sync(device)
    return steps * 128 / (time.perf_counter() - start)


def run_one(loop: str, model_name: str, steps: int, workers: int, batch_size: int) -> dict:
    """Time one loop on one model in this process; return its throughput and peak memory."""
    device = pick_device()
    torch.manual_seed(0)
    model = models.build_model(model_name).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    if loop == "bare":
        speed = bare_loop(model, steps, device, batch_size)
    elif loop == "course":
        speed = course_loop(model, data.load_cifar10("train"), steps, device, batch_size)
    else:
        speed = reference_loop(model, data.load_cifar10("train"), steps, device, workers)
    return {"loop": loop, "model": model_name, "batch_size": batch_size, "images_per_second": speed,
            "peak_memory_mb": peak_memory_mb(device), "device": str(device), "threads": torch.get_num_threads()}


def measure(loop: str, model_name: str, steps: int, workers: int, batch_size: int) -> dict:
    """Run ``run_one`` in a fresh process (so peak memory is that loop's alone)."""
    command = [sys.executable, "-m", "cnncourse.benchmark", "--one", loop, "--models", model_name,
               "--steps", str(steps), "--workers", str(workers), "--batch-size", str(batch_size)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def compare(model_name: str, batch_size: int, loops: tuple[str, ...], args: argparse.Namespace) -> dict[str, dict]:
    """Median throughput and peak memory of each loop at ``batch_size``, the loops alternating."""
    runs: dict[str, list[dict]] = {loop: [] for loop in loops}
    for _ in range(args.repeats):
        for loop in loops:
            runs[loop].append(measure(loop, model_name, args.steps, args.workers, batch_size))
    return {loop: {"speed": statistics.median(r["images_per_second"] for r in results),
                   "memory": max(r["peak_memory_mb"] for r in results), "device": results[0]["device"],
                   "threads": results[0]["threads"]} for loop, results in runs.items()}


def row(model_name: str, batch_size: int, result: dict[str, dict]) -> str:
    """One line of the table; '-' where a loop did not run at this batch size."""
    speed = {loop: result[loop]["speed"] for loop in result}
    reference = f"{speed['reference']:.0f}" if "reference" in speed else "-"
    versus_reference = f"{speed['course'] / speed['reference']:.2f}x" if "reference" in speed else "-"
    return (f"{model_name:<10} {batch_size:>5} {reference:>14} {speed['course']:>12.0f} {speed['bare']:>10.0f} "
            f"{versus_reference:>14} {speed['course'] / speed['bare']:>12.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet20,resnet56", help="comma-separated model names")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per run (after 5 warm-up steps)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs of each loop; the median is shown")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the reference loop")
    parser.add_argument("--one", choices=("course", "reference", "bare"), help=argparse.SUPPRESS)
    parser.add_argument("--batch-size", type=int, default=128, help=argparse.SUPPRESS)
    args = parser.parse_args()
    apply_thread_setting()  # CNNCOURSE_THREADS, in this process and in each run it starts
    if args.one:
        print(json.dumps(run_one(args.one, args.models, args.steps, args.workers, args.batch_size)))
        return
    default = default_batch_size(pick_device())
    print(f"{'model':<10} {'batch':>5} {'reference/s':>14} {'course/s':>12} {'bare/s':>10} "
          f"{'course / ref':>14} {'of the limit':>12}   (images per second)")
    for model_name in args.models.split(","):
        result = compare(model_name, 128, ("reference", "course", "bare"), args)
        print(row(model_name, 128, result))
        if default != 128:  # the course's own default on a GPU
            print(row(model_name, default, compare(model_name, default, ("course", "bare"), args)))
    first = result["course"]
    print(f"device: {first['device']}, torch threads: {first['threads']}, reference DataLoader workers: "
          f"{args.workers}; peak memory (MB): course {first['memory']:.0f}, "
          f"reference {result['reference']['memory']:.0f}")


if __name__ == "__main__":
    main()
