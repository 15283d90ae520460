"""Training throughput of the course's loop against a conventional tutorial loop (a benchmark, not a test).

    python -m cnncourse.benchmark                 # ResNet-20 and ResNet-56, 30 timed steps each
    python -m cnncourse.benchmark --steps 100 --models resnet56

The conventional loop is written the way most tutorials do it: PIL images, torchvision transforms
(random crop with padding, flip, ToTensor, Normalize), a DataLoader, fp32, batch 128. The course's loop
is ``cnncourse.fit``: uint8 tensors in memory (on the GPU when there is one), augmentation on whole
batches, bf16 autocast and channels_last where they pay, batch 128 on a CPU and 512 on a GPU. Each loop
runs in its own process, so its peak memory is its own; the two alternate, and the median is printed.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time

import torch
from torch import nn

from . import data, models
from .config import pick_device
from .data.transforms import CIFAR10_MEAN, CIFAR10_STD, Preprocess
from .recipes import Recipe
from .train import fit

WARMUP_STEPS = 5


def peak_memory_mb(device: torch.device) -> float:
    """Peak resident memory of this process (CPU) or peak allocated GPU memory, in MB."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 1e6
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3  # Linux reports kB


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def course_loop(model: nn.Module, train: data.ImageData, steps: int, device: torch.device) -> float:
    """Images per second of ``cnncourse.fit`` over ``steps`` timed steps."""
    batch_size = 512 if device.type == "cuda" else 128
    marks: dict[int, float] = {}

    def mark(_: nn.Module, step: int) -> None:
        if step in (WARMUP_STEPS, WARMUP_STEPS + steps):
            _sync(device)
            marks[step] = time.perf_counter()

    recipe = Recipe(steps=WARMUP_STEPS + steps, batch_size=batch_size, lr=0.1, schedule=None, augment=True)
    fit(model, train, recipe, prepare=Preprocess(mean=CIFAR10_MEAN, std=CIFAR10_STD), device=device,
        progress=False, on_step=mark)
    return steps * batch_size / (marks[WARMUP_STEPS + steps] - marks[WARMUP_STEPS])


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


def run_one(loop: str, model_name: str, steps: int, workers: int) -> dict:
    """Time one loop on one model in this process; return its throughput and peak memory."""
    device = pick_device()
    torch.manual_seed(0)
    train = data.load_cifar10("train")
    model = models.build_model(model_name).to(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    if loop == "course":
        speed = course_loop(model, train, steps, device)
    else:
        speed = reference_loop(model, train, steps, device, workers)
    return {"loop": loop, "model": model_name, "images_per_second": speed,
            "peak_memory_mb": peak_memory_mb(device), "device": str(device), "threads": torch.get_num_threads()}


def measure(loop: str, model_name: str, steps: int, workers: int) -> dict:
    """Run ``run_one`` in a fresh process (so peak memory is that loop's alone)."""
    command = [sys.executable, "-m", "cnncourse.benchmark", "--one", loop, "--models", model_name,
               "--steps", str(steps), "--workers", str(workers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="resnet20,resnet56", help="comma-separated model names")
    parser.add_argument("--steps", type=int, default=30, help="timed training steps per run (after 5 warm-up steps)")
    parser.add_argument("--repeats", type=int, default=2, help="alternating runs of each loop; the median is shown")
    parser.add_argument("--workers", type=int, default=2, help="DataLoader workers of the reference loop")
    parser.add_argument("--one", choices=("course", "reference"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.models, args.steps, args.workers)))
        return
    print(f"{'model':<10} {'reference img/s':>16} {'course img/s':>13} {'ratio':>6} "
          f"{'ref peak MB':>12} {'course peak MB':>15}")
    for model_name in args.models.split(","):
        runs = {"reference": [], "course": []}
        for _ in range(args.repeats):
            for loop in runs:
                runs[loop].append(measure(loop, model_name, args.steps, args.workers))
        speed = {loop: statistics.median(r["images_per_second"] for r in results) for loop, results in runs.items()}
        memory = {loop: max(r["peak_memory_mb"] for r in results) for loop, results in runs.items()}
        print(f"{model_name:<10} {speed['reference']:>16.0f} {speed['course']:>13.0f} "
              f"{speed['course'] / speed['reference']:>5.2f}x {memory['reference']:>12.0f} {memory['course']:>15.0f}")
    device = runs["course"][0]
    print(f"device: {device['device']}, torch threads: {device['threads']}, reference DataLoader workers: {args.workers}")


if __name__ == "__main__":
    main()
