"""Training and evaluation as a notebook calls them: ``fit``, and ``evaluate`` and ``predict`` from
``cnncourse.evaluation``.

Batches come straight from in-memory uint8 tensors (moved to the GPU once on CUDA); a ``prepare``
function turns each batch into (input, target) on the device: scaling, normalization, augmentation,
noise. How to train is a ``Recipe`` (``cnncourse.recipes``). bf16 autocast and channels_last are used
where the hardware gains from them. ``fit`` wraps the loop (``cnncourse.loop``) in the checkpoint cache
(``cnncourse.checkpoints``), so that re-running a notebook reloads, not retrains, and in the callbacks
(``cnncourse.callbacks``) that show progress and keep a long run resumable.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import torch
from torch import Tensor, nn

from .callbacks import LengthAnnouncer, ProgressBar, ResumeFile, resume_path
from .checkpoints import checkpoint_description, checkpoint_path, load_checkpoint, save_checkpoint
from .config import course_seed, pick_device
from .evaluation import Metric, as_tensors, default_metrics, default_prepare, evaluate, predict
from .history import History
from .loop import Callback, LoopState, Prepare, TrainingRun, train_epochs
from .optim import make_optimizer, make_schedule
from .precision import gradient_scaler, resolve_precision
from .recipes import Recipe

__all__ = ["History", "Metric", "Prepare", "Task", "default_prepare", "evaluate", "fit", "predict"]

@dataclass(frozen=True)
class Task:
    """What a model is trained for: its loss, how a batch becomes (input, target), and what validation reports.

    ``Task()`` is image classification: cross-entropy, uint8 images scaled to 0..1, accuracy.
    """

    loss_fn: Callable = field(default_factory=nn.CrossEntropyLoss)
    prepare: Prepare = default_prepare
    metrics: Mapping[str, Metric] | None = None  # None: accuracy for a classification loss, nothing for others

    def validation_metrics(self) -> Mapping[str, Metric]:
        return default_metrics(self.loss_fn) if self.metrics is None else self.metrics


def fit(model: nn.Module, train, recipe: Recipe, task: Task | None = None, *, val=None, seed: int = 0,
        cache_name: str | None = None, label: str = "", callbacks: Sequence[Callback] | None = None) -> History:
    """Train ``model`` on ``train`` for ``task`` (classification by default) as ``recipe`` says; return its History.

    Parameters with requires_grad=False stay fixed. With ``recipe.augment`` training batches go through
    ``task.prepare.augmented()``. ``val`` is scored after every epoch. With ``cache_name`` the trained weights,
    history and recipe are stored in the checkpoint cache and reloaded on the next call with the same model,
    starting weights, data and run. ``callbacks`` run around the loop instead of the progress bar (``()``: no bar);
    a long run says first how long it will take either way. The global torch random state after the call does not
    depend on whether the run trained or came from the cache.
    """
    task = task or Task()
    inputs, targets = as_tensors(train)
    device = pick_device()
    run = TrainingRun(recipe.but(precision=resolve_precision(recipe.precision, device)), course_seed(seed),
                      task.prepare, task.loss_fn)
    model.to(device)
    description = checkpoint_description(model, run, inputs, targets) if cache_name else ""
    path = checkpoint_path(cache_name, description) if cache_name else None
    saved = load_checkpoint(model, path, description) if path is not None else None
    if saved is not None:
        history = History.from_dict(saved["history"])
        history.from_cache = True
    else:
        resume = resume_path(path) if path is not None else None
        # training draws random numbers (shuffling, augmentation); a cache hit draws none. Forking the generator
        # leaves the caller's random state the same either way, so a model built after this call gets the same
        # initial weights whether this run trained or came from the cache.
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            history = _train(model, inputs, targets, run, val, task.validation_metrics(), device, label, callbacks,
                             resume, description)
        if path is not None:
            save_checkpoint(path, model, description, history=history.to_dict(), recipe=asdict(run.recipe))
            resume.unlink(missing_ok=True)
    model.to(memory_format=torch.channels_last).eval()  # the same state after a cache hit as after training
    return history


def _train(model: nn.Module, inputs: Tensor, targets: Tensor, run: TrainingRun, val, metrics: Mapping[str, Metric],
           device: torch.device, label: str, callbacks: Sequence[Callback] | None, resume: Path | None,
           description: str) -> History:
    """Seed, build the optimizer, schedule and callbacks, continue from a resume file if there is one, train."""
    torch.manual_seed(run.seed)
    generator = torch.Generator().manual_seed(run.seed)
    if device.type == "cuda":  # the whole dataset lives on the GPU: no host-to-device copies per batch
        inputs, targets = inputs.to(device), targets.to(device)
    model.to(memory_format=torch.channels_last)  # faster convolutions on both GPU and CPU
    total_steps = run.recipe.total_steps(len(inputs))
    optimizer = make_optimizer(model, run.recipe)
    state = LoopState(model, optimizer, make_schedule(optimizer, run.recipe.schedule, total_steps), generator,
                      gradient_scaler(device, run.recipe.precision), History(label=label))
    resume_file = None if resume is None else ResumeFile(resume, description, total_steps)
    if resume_file is not None:
        resume_file.restore(state)
    label = label or type(model).__name__
    shown = [ProgressBar(label, total_steps, state.step)] if callbacks is None else list(callbacks)
    announcer = LengthAnnouncer(label, run.recipe, state.step, total_steps, len(inputs), device, resume is not None)
    around = [*shown, announcer, *([resume_file] if resume_file else [])]

    def validate(trained: nn.Module) -> dict[str, float]:
        return evaluate(trained, val, loss_fn=run.loss_fn, prepare=run.prepare, metrics=metrics, device=device,
                        precision=run.recipe.precision)

    return train_epochs(state, inputs, targets, run, total_steps, device, validate if val is not None else None,
                        around)
