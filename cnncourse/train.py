"""One training loop for classification, segmentation and autoencoders.

Batches come straight from in-memory uint8 tensors (moved to the GPU once on CUDA); a ``prepare``
function turns each batch into (input, target) on the device: scaling, normalization, augmentation,
noise. bf16 autocast and channels_last are used where the hardware gains from them. A checkpoint
cache keyed by model, profile, seed, data and settings makes re-running a notebook reload, not retrain.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import hashlib
import math
import time
import types
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Mapping

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from .config import PRECISIONS, cache_dir, course_seed, get_profile, pick_device, precision_setting
from . import __version__
from .data.cache import discard, fingerprint, load_tensors, save_atomic
from .data.containers import ImageData, SegmentationData
from .data.transforms import Preprocess
from .errors import CacheFileError, UndescribableError
from .metrics import accuracy

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
        losses = torch.tensor(self.step_loss)
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


def make_optimizer(model: nn.Module, name: str, lr: float, momentum: float, weight_decay: float,
                   lr_multipliers: Mapping[str, float] | None = None) -> torch.optim.Optimizer:
    """'sgd' (with momentum) or 'adam' / 'adamw' over the trainable parameters (see ``parameter_groups``)."""
    params = parameter_groups(model, lr, lr_multipliers)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name in ("adam", "adamw"):
        return getattr(torch.optim, "Adam" if name == "adam" else "AdamW")(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"optimizer must be 'sgd', 'adam' or 'adamw'; got {name!r}.")


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
class TrainSettings:
    """Everything besides model and data that decides the result of training (part of the cache key)."""

    epochs: int | None
    steps: int | None
    batch_size: int
    lr: float
    optimizer: str
    momentum: float
    weight_decay: float
    schedule: object
    seed: int  # the seed actually used (CNNCOURSE_SEED included)
    precision: str  # 'bf16' or 'fp32': what was actually used, never 'auto'
    prepare: str  # describe(prepare)
    loss: str  # describe(loss_fn)
    lr_multipliers: tuple[tuple[str, float], ...] | None = None  # {name prefix: lr factor}


def describe(function: object) -> str:
    """A stable text of a callable and of every setting that changes what it computes.

    Dataclasses (``Preprocess``, ``NoisyPairs``, ...) by their fields, modules (``nn.CrossEntropyLoss(
    label_smoothing=0.1)``) by their attributes and tensors, ``functools.partial`` by its arguments, plain
    functions by their code. A closure or a lambda that captures values cannot say what it captured:
    it is refused, so two different runs can never share a checkpoint.
    """
    if dataclasses.is_dataclass(function) and not isinstance(function, type):
        fields = (f"{f.name}={_describe_value(getattr(function, f.name))}" for f in dataclasses.fields(function))
        return f"{_qualified_name(type(function))}({', '.join(fields)})"
    if isinstance(function, nn.Module):
        settings = sorted((k, _describe_value(v)) for k, v in vars(function).items()
                          if not k.startswith("_") and k != "training")
        tensors = sorted((k, _describe_value(v)) for k, v in function.state_dict().items())
        return f"{_qualified_name(type(function))}({settings}, {tensors})"
    if isinstance(function, functools.partial):
        return (f"partial({describe(function.func)}, {[_describe_value(a) for a in function.args]}, "
                f"{sorted((k, _describe_value(v)) for k, v in function.keywords.items())})")
    if isinstance(function, types.FunctionType):
        if function.__closure__:
            raise UndescribableError(
                f"{function.__qualname__} captures variables from the code around it, so the checkpoint cache "
                "cannot tell two versions of it apart. Use a dataclass with the values as fields, a "
                "functools.partial, or a function at the top level of a module.")
        code = function.__code__
        return f"{_qualified_name(function)}@{fingerprint(code.co_code, code.co_consts, code.co_names)}"
    raise UndescribableError(
        f"{type(function).__name__} cannot describe its settings for the checkpoint cache; use a dataclass, "
        "an nn.Module, a functools.partial or a top-level function.")


def _qualified_name(obj: object) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', type(obj).__qualname__)}"


def _describe_value(value: object) -> str:
    if isinstance(value, Tensor):
        return f"tensor{tuple(value.shape)}:{value.dtype}:{tensor_sha256(value)[:16]}"
    if isinstance(value, (list, tuple)):
        return "(" + ", ".join(_describe_value(v) for v in value) + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_value(v)}" for k, v in sorted(value.items())) + "}"
    if callable(value) and not isinstance(value, type):
        return describe(value)
    return repr(value)


def tensor_sha256(tensor: Tensor) -> str:
    """The SHA-256 of a tensor's bytes (about 1 GB/s: every byte of the data counts, not a sample)."""
    flat = tensor.detach().cpu().contiguous().reshape(-1)
    return hashlib.sha256(flat.view(torch.uint8).numpy()).hexdigest() if flat.numel() else hashlib.sha256().hexdigest()


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """A hash of the package's source code: checkpoints of an older version of the code are not reused."""
    root = Path(__file__).resolve().parent
    files = sorted(root.rglob("*.py"))
    return fingerprint(__version__, *(fingerprint(path.relative_to(root).as_posix(), path.read_bytes())
                                      for path in files))


def checkpoint_description(model: nn.Module, settings: TrainSettings, inputs: Tensor, targets: Tensor) -> str:
    """Everything that decides a trained model, as text: stored in its checkpoint and checked on load."""
    frozen = [name for name, p in model.named_parameters() if not p.requires_grad]
    parts = [("model", _qualified_name(type(model)), repr(model)), ("profile", get_profile().name),
             ("settings", settings), ("inputs", tuple(inputs.shape), str(inputs.dtype), tensor_sha256(inputs)),
             ("targets", tuple(targets.shape), str(targets.dtype), tensor_sha256(targets)),
             ("frozen", frozen), ("start", weights_fingerprint(model)),
             ("torch", torch.__version__.split("+")[0]), ("code", code_fingerprint())]
    return "\n".join(map(str, parts))


def checkpoint_path(name: str, description: str) -> Path:
    """Where the checkpoint of the run described by ``description`` lives."""
    return cache_dir() / "checkpoints" / f"{name}-{fingerprint(description)}.pt"


def weights_fingerprint(model: nn.Module) -> str:
    """The SHA-256 of every tensor a model holds (weights and buffers): another seed or source, another key."""
    return fingerprint(*((name, tensor_sha256(t)) for name, t in model.state_dict().items()))


def fit(model: nn.Module, train, *, epochs: int | None = None, steps: int | None = None, batch_size: int = 128,
        lr: float = 0.05, optimizer: str = "sgd", momentum: float = 0.9, weight_decay: float = 5e-4,
        schedule: str | tuple[float, ...] | None = "cosine", loss_fn: Callable | None = None,
        prepare: Prepare = default_prepare, val=None, metrics: Mapping[str, Metric] | None = None,
        seed: int = 0, device: torch.device | None = None, precision: str = "auto",
        cache_name: str | None = None, label: str = "", progress: bool = True,
        on_step: Callable[[nn.Module, int], None] | None = None,
        lr_multipliers: Mapping[str, float] | None = None) -> History:
    """Train ``model`` on ``train`` for ``epochs`` (or exactly ``steps``) and return its History.

    Parameters with requires_grad=False stay fixed. ``lr_multipliers`` scales the learning rate of
    parameters by name prefix, e.g. ``{"body": 0.1}`` fine-tunes a pretrained body at lr / 10.
    With ``cache_name`` the trained weights and history are stored in the checkpoint cache and
    reloaded on the next call with the same model, profile, seed, data and settings (frozen
    parameters, lr multipliers and the weights the model starts from included).
    """
    if (epochs is None) == (steps is None):
        raise ValueError("Give exactly one of epochs=... or steps=....")
    inputs, targets = as_tensors(train)
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = default_metrics(loss_fn) if metrics is None else metrics
    multipliers = tuple(sorted((str(k), float(v)) for k, v in lr_multipliers.items())) if lr_multipliers else None
    device = device or pick_device()
    settings = TrainSettings(epochs, steps, batch_size, lr, optimizer, momentum, weight_decay, schedule,
                             course_seed(seed), resolve_precision(precision, device), describe(prepare),
                             describe(loss_fn), multipliers)
    model.to(device)
    description = checkpoint_description(model, settings, inputs, targets) if cache_name else ""
    path = checkpoint_path(cache_name, description) if cache_name else None
    history = _load_checkpoint(model, path, description) if path is not None and path.exists() else None
    if history is None:
        history = _train(model, inputs, targets, settings, loss_fn, prepare, val, metrics, device, label, progress,
                         on_step)
        if path is not None:
            state = {k: v.cpu() for k, v in model.state_dict().items()}
            save_atomic({"state_dict": state, "history": history.to_dict(), "description": description}, path)
    model.to(memory_format=torch.channels_last).eval()  # the same state after a cache hit as after training
    return history


def _load_checkpoint(model: nn.Module, path: Path, description: str) -> History | None:
    """The History of a stored run, its weights loaded into ``model``; None if the file is damaged or another run's."""
    try:
        saved = load_tensors(path)
    except CacheFileError as error:
        discard(path, error)
        return None
    if saved.get("description") != description:  # same hash, other run: never load it
        discard(path, CacheFileError(f"The checkpoint {path} was stored for other settings."))
        return None
    model.load_state_dict(saved["state_dict"])
    history = History.from_dict(saved["history"])
    history.from_cache = True
    return history


def _train(model: nn.Module, inputs: Tensor, targets: Tensor, settings: TrainSettings, loss_fn: Callable,
           prepare: Prepare, val, metrics: Mapping[str, Metric], device: torch.device, label: str,
           progress: bool, on_step: Callable | None) -> History:
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    if device.type == "cuda":  # the whole dataset lives on the GPU: no host-to-device copies per batch
        inputs, targets = inputs.to(device), targets.to(device)
    model.to(memory_format=torch.channels_last)  # faster convolutions on both GPU and CPU
    steps_per_epoch = math.ceil(len(inputs) / settings.batch_size)
    total_steps = settings.steps or settings.epochs * steps_per_epoch
    num_epochs = math.ceil(total_steps / steps_per_epoch)
    optimizer = make_optimizer(model, settings.optimizer, settings.lr, settings.momentum, settings.weight_decay,
                               dict(settings.lr_multipliers or ()))
    scheduler = make_schedule(optimizer, settings.schedule, total_steps)
    history, step, start = History(label=label), 0, time.perf_counter()
    bar = tqdm(total=total_steps, desc=label or type(model).__name__, disable=not progress, leave=False)
    for _ in range(num_epochs):
        model.train()
        epoch_losses = []
        for x_raw, y_raw in batches(inputs, targets, settings.batch_size, shuffle=True, generator=generator):
            x, y = prepare(x_raw.to(device, non_blocking=True), y_raw.to(device, non_blocking=True), True)
            if x.ndim == 4:
                x = x.contiguous(memory_format=torch.channels_last)
            with autocast_for(device, settings.precision):
                loss = loss_fn(model(x).float(), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            epoch_losses.append(loss.detach())
            history.images_seen += len(x)
            step += 1
            bar.update()
            if on_step is not None:
                on_step(model, step)
            if step == total_steps:
                break
        losses = torch.stack(epoch_losses).float().cpu().tolist()  # one sync per epoch, not per step
        history.step_loss.extend(losses)
        record = {"train_loss": sum(losses) / len(losses)}
        if val is not None:
            scores = evaluate(model, val, loss_fn=loss_fn, prepare=prepare, metrics=metrics, device=device,
                              precision=settings.precision)
            record.update({f"val_{name}": value for name, value in scores.items()})
        history.log_epoch(record)
        bar.set_postfix({k: round(v, 4) for k, v in record.items()})
    bar.close()
    model.eval()
    history.seconds = time.perf_counter() - start
    return history
