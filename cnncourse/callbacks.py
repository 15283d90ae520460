"""What ``train.fit`` wraps around the loop: a progress bar, a run-length announcement, a resume file, a step hook."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

import torch
from torch import nn
from tqdm.auto import tqdm

from .checkpoints import load_checkpoint, save_checkpoint
from .history import History
from .language import say
from .loop import Callback, LoopState
from .recipes import Recipe

ANNOUNCE_ABOVE_SECONDS = 60.0  # a run expected to take longer says first what it will do and for how long
RESUME_EVERY_SECONDS = 180.0  # a long run saves where it is this often: a disconnect loses at most this much


class ProgressBar(Callback):
    """A tqdm bar: one tick a step, the epoch's numbers beside it."""

    def __init__(self, label: str, total_steps: int, first_step: int = 0):
        # at most one redraw a second: in a notebook the bar is a widget and every redraw is a message to the front
        # end; tqdm's default of ten a second sends thousands of them from one long cell
        self.bar = tqdm(total=total_steps, initial=first_step, desc=label, leave=False,
                        mininterval=1.0)

    def after_step(self, state: LoopState) -> None:
        self.bar.update()

    def after_epoch(self, state: LoopState, record: dict[str, float]) -> None:
        self.bar.set_postfix({k: round(v, 4) for k, v in record.items()})

    def after_training(self, state: LoopState) -> None:
        self.bar.close()


class StepHook(Callback):
    """Calls ``on_step(model, step)`` after every step (the benchmark's timer, a test's interruption)."""

    def __init__(self, on_step: Callable[[nn.Module, int], None]):
        self.on_step = on_step

    def after_step(self, state: LoopState) -> None:
        self.on_step(state.model, state.step)


class LengthAnnouncer(Callback):
    """Times a few steps after a warm-up, then says once what a long run will do and about how long it takes."""

    warmup_steps = 3  # not timed: first calls allocate memory and pick kernels
    timed_steps = 5

    def __init__(self, label: str, recipe: Recipe, first_step: int, total_steps: int, num_examples: int,
                 device: torch.device, resumable: bool):
        self.label, self.recipe, self.total_steps, self.num_examples = label, recipe, total_steps, num_examples
        self.device, self.resumable = device, resumable
        self.start_step = first_step + self.warmup_steps
        self.started = 0.0

    def after_step(self, state: LoopState) -> None:
        if state.step == self.start_step:
            self.started = self._now()
        elif state.step == self.start_step + self.timed_steps:
            seconds_per_step = (self._now() - self.started) / self.timed_steps
            remaining = seconds_per_step * (self.total_steps - state.step)
            if remaining > ANNOUNCE_ABOVE_SECONDS:
                print(self.message(remaining), flush=True)

    def message(self, remaining_seconds: float) -> str:
        recipe, epochs = self.recipe, self.total_steps * self.recipe.batch_size / self.num_examples
        device = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else self.device.type
        minutes = remaining_seconds / 60
        length = (say("about {minutes:.0f} min", minutes=minutes) if minutes >= 2 else
                  say("about {seconds:.0f} s", seconds=remaining_seconds))
        said = say("{label}: {steps:,} steps of {batch_size} images ({epochs:.1f} epochs of {examples:,}), {precision} "
                   "on {device}: {length} more at the speed of steps {first}-{last}.", label=self.label,
                   steps=self.total_steps, batch_size=recipe.batch_size, epochs=epochs, examples=self.num_examples,
                   precision=recipe.precision, device=device, length=length, first=self.start_step + 1,
                   last=self.start_step + self.timed_steps)
        if self.resumable:
            said += " " + say("Saved every {minutes:.0f} min: running the cell again after an interruption continues "
                              "from there.", minutes=RESUME_EVERY_SECONDS / 60)
        return said

    def _now(self) -> float:
        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)  # the GPU runs ahead of Python: wait for the steps to finish
        return time.perf_counter()


def resume_path(path: Path) -> Path:
    """Where a run that will be stored at ``path`` keeps its resume state while it trains."""
    return path.with_name(path.stem + ".resume.pt")


class ResumeFile(Callback):
    """Saves a long run's state at the end of an epoch, at most every ``RESUME_EVERY_SECONDS``; restores it."""

    def __init__(self, path: Path, description: str, total_steps: int):
        self.path, self.description, self.total_steps = path, description, total_steps
        self.last_save = time.perf_counter()

    def restore(self, state: LoopState) -> None:
        """Continue an interrupted run of exactly this training after its last saved epoch, if there is one."""
        saved = load_checkpoint(state.model, self.path, self.description)
        if saved is None:
            return
        state.optimizer.load_state_dict(saved["optimizer"])
        state.scheduler.load_state_dict(saved["scheduler"])
        state.scaler.load_state_dict(saved["scaler"])
        state.generator.set_state(saved["generator"])
        torch.set_rng_state(saved["rng"])
        if saved["cuda_rng"]:
            torch.cuda.set_rng_state_all(saved["cuda_rng"])
        state.history, state.step, state.epoch = History.from_dict(saved["history"]), saved["step"], saved["epoch"]
        state.history.resumed_at_step = state.step

    def after_epoch(self, state: LoopState, record: dict[str, float]) -> None:
        if state.step < self.total_steps and time.perf_counter() - self.last_save >= RESUME_EVERY_SECONDS:
            self.last_save = time.perf_counter()
            cuda_rng = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
            save_checkpoint(self.path, state.model, self.description, optimizer=state.optimizer.state_dict(),
                            scheduler=state.scheduler.state_dict(), scaler=state.scaler.state_dict(),
                            history=state.history.to_dict(),
                            step=state.step, epoch=state.epoch, generator=state.generator.get_state(),
                            rng=torch.get_rng_state(), cuda_rng=cuda_rng)
