"""The training loop and nothing else: batches, forward, loss, backward, step; after each epoch, validate.

What is wrapped around it (the checkpoint cache in ``train.fit``; the progress bar, the run-length announcement
and the resume file in ``callbacks``) hooks in through a ``Callback``.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import torch
from torch import Tensor, nn

from .errors import InputValueError
from .history import History
from .precision import autocast_for
from .recipes import Recipe

Prepare = Callable[[Tensor, Tensor, bool], tuple[Tensor, Tensor]]


@dataclass(frozen=True)
class TrainingRun:
    """What decides a training run besides the model and the data: the checkpoint key's last part."""

    recipe: Recipe  # its precision resolved to what is actually used: 'bf16' or 'fp32'
    seed: int  # the seed actually used (CNNCOURSE_SEED included)
    prepare: Prepare
    loss_fn: Callable

    def training_prepare(self) -> Prepare:
        """``prepare`` for training batches: its augmented version where the recipe asks for augmentation."""
        if not self.recipe.augment:
            return self.prepare
        if not hasattr(self.prepare, "augmented"):
            raise InputValueError(f"The recipe asks for augmentation, but {type(self.prepare).__name__} has no "
                             "augmented(); use data.Preprocess, or a recipe with augment=False.")
        return self.prepare.augmented()


@dataclass
class LoopState:
    """What changes as a run trains: everything a resume file stores."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    generator: torch.Generator  # shuffles the batches
    scaler: torch.amp.GradScaler  # scales fp16 losses and skips overflowed steps; passes through otherwise
    history: History
    step: int = 0
    epoch: int = 0  # epochs finished


class Callback:
    """Something done around the loop (a progress bar, a resume file, ...): override what it needs."""

    def after_step(self, state: LoopState) -> None:
        pass

    def after_epoch(self, state: LoopState, record: dict[str, float]) -> None:
        pass

    def after_training(self, state: LoopState) -> None:
        pass


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


def is_classification(outputs: Tensor, targets: Tensor) -> bool:
    """Scores (N, classes) against one class index per example."""
    return outputs.ndim == 2 and targets.ndim == 1 and not targets.is_floating_point()


def train_epoch(state: LoopState, inputs: Tensor, targets: Tensor, run: TrainingRun, total_steps: int,
                device: torch.device, callbacks: Sequence[Callback] = ()) -> dict[str, float]:
    """One pass over shuffled batches (or up to ``total_steps``); returns the epoch's mean loss (and accuracy)."""
    model, prepare = state.model.train(), run.training_prepare()
    losses, correct = [], []
    for x_raw, y_raw in batches(inputs, targets, run.recipe.batch_size, shuffle=True, generator=state.generator):
        x, y = prepare(x_raw.to(device, non_blocking=True), y_raw.to(device, non_blocking=True), True)
        if x.ndim == 4:
            x = x.contiguous(memory_format=torch.channels_last)  # (N, C, H, W) stored channels last: faster convs
        with autocast_for(device, run.recipe.precision):
            y_hat = model(x).float()
            loss = run.loss_fn(y_hat, y)
        if is_classification(y_hat, y):  # the running training accuracy, as papers measure training error
            correct.append((y_hat.detach().argmax(1) == y).float().mean())
        state.optimizer.zero_grad(set_to_none=True)
        state.scaler.scale(loss).backward()
        state.scaler.step(state.optimizer)  # in fp16, skipped where a gradient overflowed
        state.scaler.update()
        state.scheduler.step()
        losses.append(loss.detach())
        state.history.images_seen += len(x)
        state.step += 1
        for callback in callbacks:
            callback.after_step(state)
        if state.step == total_steps:
            break
    step_losses = torch.stack(losses).float().cpu().tolist()  # one sync per epoch, not per step
    state.history.step_loss.extend(step_losses)
    record = {"train_loss": sum(step_losses) / len(step_losses)}
    if correct:
        record["train_accuracy"] = torch.stack(correct).mean().item()
    return record


def train_epochs(state: LoopState, inputs: Tensor, targets: Tensor, run: TrainingRun, total_steps: int,
                 device: torch.device, validate: Callable[[nn.Module], dict[str, float]] | None = None,
                 callbacks: Sequence[Callback] = ()) -> History:
    """Train from ``state`` up to ``total_steps``; after each epoch, log its losses and ``validate``'s scores."""
    num_epochs = math.ceil(total_steps / math.ceil(len(inputs) / run.recipe.batch_size))
    while state.epoch < num_epochs:
        started = time.perf_counter()
        record = train_epoch(state, inputs, targets, run, total_steps, device, callbacks)
        if validate is not None:
            record.update({f"val_{name}": value for name, value in validate(state.model).items()})
        state.history.log_epoch(record)
        state.history.seconds += time.perf_counter() - started
        state.epoch += 1
        for callback in callbacks:
            callback.after_epoch(state, record)
    for callback in callbacks:
        callback.after_training(state)
    state.model.eval()
    return state.history
