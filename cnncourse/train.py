"""One training loop for classification, segmentation and autoencoders.

Batches come straight from in-memory uint8 tensors (moved to the GPU once on CUDA); a ``prepare``
function turns each batch into (input, target) on the device: scaling, normalization, augmentation,
noise. How to train is a ``Recipe`` (``cnncourse.recipes``). bf16 autocast and channels_last are used
where the hardware gains from them. The checkpoint cache (``cnncourse.checkpoints``) makes re-running a
notebook reload, not retrain.
"""

from __future__ import annotations

import contextlib
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .checkpoints import checkpoint_description, checkpoint_path, load_checkpoint, save_checkpoint
from .config import PRECISIONS, course_seed, pick_device, precision_setting
from .data.containers import ImageData, SegmentationData
from .data.transforms import Preprocess
from .metrics import accuracy
from .recipes import Recipe

Prepare = Callable[[Tensor, Tensor, bool], tuple[Tensor, Tensor]]
Metric = Callable[[Tensor, Tensor], float]


@dataclass
class History:
    """What happened during training: the loss of every step and the metrics of every epoch."""

    label: str = ""
    step_loss: list[float] = field(default_factory=list)
    epochs: dict[str, list[float]] = field(default_factory=dict)  # e.g. {"train_loss": [...], "val_accuracy": [...]}
    seconds: float = 0.0
    images_seen: int = 0
    from_cache: bool = False
    resumed_at_step: int = 0  # where an interrupted run was continued from its resume file (0: trained in one go)

    def log_epoch(self, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            self.epochs.setdefault(name, []).append(float(value))

    def last(self, name: str) -> float:
        """The last recorded value of epoch metric ``name`` (``"train_loss"``, ``"val_accuracy"``, ...)."""
        if name not in self.epochs:
            raise KeyError(f"No metric {name!r} was recorded; recorded: {sorted(self.epochs)}.")
        return self.epochs[name][-1]

    def smoothed_loss(self, window: int = 10) -> list[float]:
        """The step losses averaged over a sliding window (for plots and fair end-of-training comparisons)."""
        losses = torch.tensor(self.step_loss, dtype=torch.float64)
        if len(losses) < window:
            return losses.tolist()
        return losses.unfold(0, window, 1).mean(1).tolist()

    def final_train_loss(self, last_steps: int = 10) -> float:
        """The mean training loss of the last ``last_steps`` steps."""
        return float(torch.tensor(self.step_loss[-last_steps:]).mean())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "History":
        return cls(**values)


def default_prepare(images: Tensor, targets: Tensor, train: bool = False) -> tuple[Tensor, Tensor]:
    """uint8 images to float 0..1; targets unchanged."""
    return Preprocess()(images, targets, train)


def default_metrics(loss_fn: Callable) -> dict[str, Metric]:
    """Accuracy for a classification loss; none for others (an autoencoder's MSE has no accuracy)."""
    return {"accuracy": accuracy} if isinstance(loss_fn, nn.CrossEntropyLoss) else {}


def as_tensors(data: ImageData | SegmentationData | tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """(inputs, targets) of a dataset object or a pair of tensors."""
    if isinstance(data, ImageData):
        return data.images, data.labels
    if isinstance(data, SegmentationData):
        if data.masks is None:
            raise ValueError(f"{data!r} has no masks, so it cannot be used for training or evaluation.")
        return data.images, data.masks
    if isinstance(data, tuple) and len(data) == 2:
        return data
    raise TypeError(f"Expected ImageData, SegmentationData or an (inputs, targets) pair; got {type(data).__name__}.")


def batches(inputs: Tensor, targets: Tensor, batch_size: int, *, shuffle: bool,
            generator: torch.Generator | None = None) -> Iterator[tuple[Tensor, Tensor]]:
    """Yield (inputs, targets) batches from in-memory tensors, shuffled on their own device."""
    n = len(inputs)
    order = torch.randperm(n, generator=generator).to(inputs.device) if shuffle else None
    for start in range(0, n, batch_size):
        if order is None:
            yield inputs[start:start + batch_size], targets[start:start + batch_size]
        else:
            index = order[start:start + batch_size]
            yield inputs[index], targets[index]


def bf16_pays(device: torch.device) -> bool:
    """bf16 autocast pays on CUDA and on CPUs with bf16 instructions (AMX, AVX512-BF16); elsewhere it is slower."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    return False


def resolve_precision(precision: str, device: torch.device) -> str:
    """'bf16' or 'fp32': ``precision`` itself, or for 'auto' ``CNNCOURSE_PRECISION``, else what pays on ``device``."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}; got {precision!r}.")
    if precision == "auto":
        precision = precision_setting()
    if precision == "auto":
        precision = "bf16" if bf16_pays(device) else "fp32"
    return precision


def autocast_for(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    """The autocast context for ``precision`` ('auto', 'bf16' or 'fp32') on ``device``."""
    if resolve_precision(precision, device) == "bf16":
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


@torch.no_grad()
def predict(model: nn.Module, inputs: Tensor, *, prepare: Prepare = default_prepare, batch_size: int = 256,
            device: torch.device | None = None, precision: str = "fp32") -> Tensor:
    """Model outputs for every input (in eval mode), returned on the CPU as float32."""
    device = device or next(model.parameters()).device
    model.eval()
    outputs = []
    for start in range(0, len(inputs), batch_size):
        chunk = inputs[start:start + batch_size].to(device)
        x, _ = prepare(chunk, torch.zeros(len(chunk), device=device), False)
        with autocast_for(device, precision):
            outputs.append(model(x).float().cpu())
    return torch.cat(outputs)


@torch.no_grad()
def evaluate(model: nn.Module, data, *, loss_fn: Callable | None = None, prepare: Prepare = default_prepare,
             metrics: Mapping[str, Metric] | None = None, batch_size: int = 256, device: torch.device | None = None,
             precision: str = "fp32") -> dict[str, float]:
    """Mean loss and metrics of ``model`` on ``data`` (weighted by batch size)."""
    inputs, targets = as_tensors(data)
    device = device or next(model.parameters()).device
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = default_metrics(loss_fn) if metrics is None else metrics
    model.eval()
    totals = {"loss": 0.0, **{name: 0.0 for name in metrics}}
    for x_raw, y_raw in batches(inputs, targets, batch_size, shuffle=False):
        x, y = prepare(x_raw.to(device), y_raw.to(device), False)
        with autocast_for(device, precision):
            y_hat = model(x).float()
        totals["loss"] += float(loss_fn(y_hat, y)) * len(x)
        for name, metric in metrics.items():
            totals[name] += float(metric(y_hat, y)) * len(x)
    return {name: total / len(inputs) for name, total in totals.items()}


def parameter_groups(model: nn.Module, lr: float,
                     lr_multipliers: Mapping[str, float] | None = None) -> list[dict]:
    """The trainable parameters in optimizer groups: ``lr`` times the multiplier of the first matching name prefix.

    ``lr_multipliers={"body": 0.1}`` trains parameters named ``body.*`` at lr / 10 and all others at lr.
    """
    multipliers = dict(lr_multipliers or {})
    groups: dict[float, list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        factor = next((f for prefix, f in multipliers.items() if name == prefix or name.startswith(prefix + ".")), 1.0)
        groups.setdefault(float(factor), []).append(parameter)
    unused = [prefix for prefix in multipliers
              if not any(n == prefix or n.startswith(prefix + ".") for n, _ in model.named_parameters())]
    if unused:
        raise ValueError(f"lr_multipliers names {unused}, but the model has no parameters under that name; "
                         f"its top-level parts are {[n for n, _ in model.named_children()]}.")
    return [{"params": params, "lr": lr * factor} for factor, params in groups.items()]


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """The recipe's optimizer over the trainable parameters (see ``parameter_groups``)."""
    params = parameter_groups(model, recipe.lr, dict(recipe.lr_multipliers))
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)
    optimizer = torch.optim.Adam if recipe.optimizer == "adam" else torch.optim.AdamW
    return optimizer(params, lr=recipe.lr, weight_decay=recipe.weight_decay)


def make_schedule(optimizer: torch.optim.Optimizer, schedule: str | tuple[float, ...] | None,
                  total_steps: int) -> torch.optim.lr_scheduler.LRScheduler:
    """None (constant), 'cosine', 'onecycle', or a tuple of fractions of training at which lr is divided by 10."""
    if schedule is None:
        return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(total_steps, 1))
    if schedule == "onecycle":
        max_lr = [group["lr"] for group in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=max(total_steps, 1))
    if isinstance(schedule, tuple):
        milestones = [int(fraction * total_steps) for fraction in schedule]
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)
    raise ValueError(f"Unknown schedule {schedule!r}: use None, 'cosine', 'onecycle' or a tuple of fractions.")


@dataclass(frozen=True)
class TrainingRun:
    """What decides a training run besides the model and the data: the checkpoint key's last part."""

    recipe: Recipe  # its precision resolved to what is actually used: 'bf16' or 'fp32'
    seed: int  # the seed actually used (CNNCOURSE_SEED included)
    prepare: Prepare
    loss_fn: Callable


def fit(model: nn.Module, train, recipe: Recipe, *, loss_fn: Callable | None = None,
        prepare: Prepare = default_prepare, val=None, metrics: Mapping[str, Metric] | None = None, seed: int = 0,
        device: torch.device | None = None, cache_name: str | None = None, label: str = "",
        progress: bool = True, on_step: Callable[[nn.Module, int], None] | None = None) -> History:
    """Train ``model`` on ``train`` as ``recipe`` says and return its History.

    Parameters with requires_grad=False stay fixed. With ``recipe.augment`` training batches go through
    ``prepare.augmented()``. With ``cache_name`` the trained weights, history and recipe are stored in the
    checkpoint cache and reloaded on the next call with the same model, starting weights, data and run.
    The global torch random state after the call does not depend on which of the two happened.
    """
    inputs, targets = as_tensors(train)
    device = device or pick_device()
    run = TrainingRun(recipe.but(precision=resolve_precision(recipe.precision, device)), course_seed(seed),
                      prepare, loss_fn or nn.CrossEntropyLoss())
    model.to(device)
    description = checkpoint_description(model, run, inputs, targets) if cache_name else ""
    path = checkpoint_path(cache_name, description) if cache_name else None
    saved = load_checkpoint(model, path, description) if path is not None else None
    if saved is not None:
        history = History.from_dict(saved["history"])
        history.from_cache = True
    else:
        metrics = default_metrics(run.loss_fn) if metrics is None else metrics
        resume = resume_path(path) if path is not None else None
        # training draws random numbers (shuffling, augmentation); a cache hit draws none. Forking the generator
        # leaves the caller's random state the same either way, so a model built after this call gets the same
        # initial weights whether this run trained or came from the cache.
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            history = _train(model, inputs, targets, run, val, metrics, device, label, progress, on_step,
                             resume, description)
        if path is not None:
            save_checkpoint(path, model, description, history=history.to_dict(), recipe=asdict(run.recipe))
            resume.unlink(missing_ok=True)
    model.to(memory_format=torch.channels_last).eval()  # the same state after a cache hit as after training
    return history


def training_prepare(prepare: Prepare, recipe: Recipe) -> Prepare:
    """``prepare`` for training batches: its augmented version where the recipe asks for augmentation."""
    if not recipe.augment:
        return prepare
    if not hasattr(prepare, "augmented"):
        raise ValueError(f"The recipe asks for augmentation, but {type(prepare).__name__} has no augmented(); "
                         "use data.Preprocess, or a recipe with augment=False.")
    return prepare.augmented()


RESUME_EVERY_SECONDS = 180.0  # a long run saves where it is this often: a disconnect loses at most this much


def resume_path(path: Path) -> Path:
    """Where a run that will be stored at ``path`` keeps its resume state while it trains."""
    return path.with_name(path.stem + ".resume.pt")


def _save_resume_state(path: Path, model: nn.Module, description: str, optimizer: torch.optim.Optimizer,
                       scheduler: torch.optim.lr_scheduler.LRScheduler, history: History, step: int, epoch: int,
                       generator: torch.Generator) -> None:
    """Everything needed to continue after ``epoch`` epochs exactly as if training had never stopped."""
    cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    save_checkpoint(path, model, description, optimizer=optimizer.state_dict(), scheduler=scheduler.state_dict(),
                    history=history.to_dict(), step=step, epoch=epoch, generator=generator.get_state(),
                    rng=torch.get_rng_state(), cuda_rng=cuda_rng)


def _load_resume_state(path: Path, model: nn.Module, description: str, optimizer: torch.optim.Optimizer,
                       scheduler: torch.optim.lr_scheduler.LRScheduler, generator: torch.Generator) -> dict | None:
    """Restore a saved resume state into the model, optimizer, schedule and random generators; None if none."""
    saved = load_checkpoint(model, path, description)
    if saved is None:
        return None
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    generator.set_state(saved["generator"])
    torch.set_rng_state(saved["rng"])
    if saved["cuda_rng"]:
        torch.cuda.set_rng_state_all(saved["cuda_rng"])
    return saved


def _is_classification(outputs: Tensor, targets: Tensor) -> bool:
    """Scores (N, classes) against one class index per example."""
    return outputs.ndim == 2 and targets.ndim == 1 and not targets.is_floating_point()


ANNOUNCE_ABOVE_SECONDS = 60.0  # a run expected to take longer says first what it will do and for how long


class _LengthAnnouncer:
    """Times a few steps after a warm-up, then says once what a long run will do and about how long it takes."""

    warmup_steps = 3  # not timed: first calls allocate memory and pick kernels
    timed_steps = 5

    def __init__(self, label: str, recipe: Recipe, first_step: int, total_steps: int, num_examples: int,
                 device: torch.device, resumable: bool):
        self.label, self.recipe, self.total_steps, self.num_examples = label, recipe, total_steps, num_examples
        self.device, self.resumable = device, resumable
        self.start_step = first_step + self.warmup_steps
        self.started = 0.0

    def after_step(self, step: int) -> None:
        if step == self.start_step:
            self.started = self._now()
        elif step == self.start_step + self.timed_steps:
            seconds_per_step = (self._now() - self.started) / self.timed_steps
            remaining = seconds_per_step * (self.total_steps - step)
            if remaining > ANNOUNCE_ABOVE_SECONDS:
                print(self.message(remaining), flush=True)

    def message(self, remaining_seconds: float) -> str:
        recipe, epochs = self.recipe, self.total_steps * self.recipe.batch_size / self.num_examples
        device = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else self.device.type
        minutes = remaining_seconds / 60
        length = f"about {minutes:.0f} min" if minutes >= 2 else f"about {remaining_seconds:.0f} s"
        said = (f"{self.label}: {self.total_steps:,} steps of {recipe.batch_size} images ({epochs:.1f} epochs of "
                f"{self.num_examples:,}), {recipe.precision} on {device}: {length} more at the speed of steps "
                f"{self.start_step + 1}-{self.start_step + self.timed_steps}.")
        if self.resumable:
            said += (f" Saved every {RESUME_EVERY_SECONDS / 60:.0f} min: running the cell again after an interruption "
                     "continues from there.")
        return said

    def _now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)  # the GPU runs ahead of Python: wait for the steps to finish
        return time.perf_counter()


def _train(model: nn.Module, inputs: Tensor, targets: Tensor, run: TrainingRun, val, metrics: Mapping[str, Metric],
           device: torch.device, label: str, progress: bool, on_step: Callable | None, resume: Path | None,
           description: str) -> History:
    recipe, loss_fn, prepare = run.recipe, run.loss_fn, run.prepare
    train_prepare = training_prepare(prepare, recipe)
    torch.manual_seed(run.seed)
    generator = torch.Generator().manual_seed(run.seed)
    if device.type == "cuda":  # the whole dataset lives on the GPU: no host-to-device copies per batch
        inputs, targets = inputs.to(device), targets.to(device)
    model.to(memory_format=torch.channels_last)  # faster convolutions on both GPU and CPU
    steps_per_epoch = math.ceil(len(inputs) / recipe.batch_size)
    total_steps = recipe.total_steps(len(inputs))
    num_epochs = math.ceil(total_steps / steps_per_epoch)
    optimizer = make_optimizer(model, recipe)
    scheduler = make_schedule(optimizer, recipe.schedule, total_steps)
    history, step, first_epoch = History(label=label), 0, 0
    saved = _load_resume_state(resume, model, description, optimizer, scheduler, generator) if resume else None
    if saved is not None:  # an interrupted run of exactly this training: continue after its last saved epoch
        history, step, first_epoch = History.from_dict(saved["history"]), saved["step"], saved["epoch"]
        history.resumed_at_step = step
    start = last_save = time.perf_counter()
    label = label or type(model).__name__
    # at most one redraw a second: in a notebook the bar is a widget and every redraw is a message to the front
    # end; tqdm's default of ten a second sends thousands of them from one long cell
    bar = tqdm(total=total_steps, initial=step, desc=label, disable=not progress, leave=False, mininterval=1.0)
    announcer = _LengthAnnouncer(label, recipe, step, total_steps, len(inputs), device, resume is not None)
    for epoch in range(first_epoch, num_epochs):
        model.train()
        epoch_losses, epoch_correct = [], []
        for x_raw, y_raw in batches(inputs, targets, recipe.batch_size, shuffle=True, generator=generator):
            x, y = train_prepare(x_raw.to(device, non_blocking=True), y_raw.to(device, non_blocking=True), True)
            if x.ndim == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            with autocast_for(device, recipe.precision):
                outputs = model(x).float()
                loss = loss_fn(outputs, y)
            if _is_classification(outputs, y):  # the running training accuracy, as papers measure training error
                epoch_correct.append((outputs.detach().argmax(1) == y).float().mean())
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            epoch_losses.append(loss.detach())
            history.images_seen += len(x)
            step += 1
            bar.update()
            announcer.after_step(step)
            if on_step is not None:
                on_step(model, step)
            if step == total_steps:
                break
        losses = torch.stack(epoch_losses).float().cpu().tolist()  # one sync per epoch, not per step
        history.step_loss.extend(losses)
        record = {"train_loss": sum(losses) / len(losses)}
        if epoch_correct:
            record["train_accuracy"] = torch.stack(epoch_correct).mean().item()
        if val is not None:
            scores = evaluate(model, val, loss_fn=loss_fn, prepare=prepare, metrics=metrics, device=device,
                              precision=recipe.precision)
            record.update({f"val_{name}": value for name, value in scores.items()})
        history.log_epoch(record)
        bar.set_postfix({k: round(v, 4) for k, v in record.items()})
        if resume is not None and epoch + 1 < num_epochs and time.perf_counter() - last_save >= RESUME_EVERY_SECONDS:
            history.seconds += time.perf_counter() - start
            start = last_save = time.perf_counter()
            _save_resume_state(resume, model, description, optimizer, scheduler, history, step, epoch + 1, generator)
    bar.close()
    model.eval()
    history.seconds += time.perf_counter() - start
    return history
