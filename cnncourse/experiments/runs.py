"""Training variants of a model for a comparison: each from the same seed, each stored in the checkpoint cache."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

from torch import Tensor, nn

from ..analysis.gradients import LandscapeProbe, landscape_along_gradient
from ..config import course_seed, seed_everything
from ..data.containers import ImageData
from ..errors import InputValueError
from ..evaluation import default_prepare, evaluate
from ..loop import Prepare
from ..models import build_model
from ..recipes import Recipe
from ..stored_results import stored_result
from ..train import History, Task, fit
from .seeds import Spread, spread


@dataclass(frozen=True)
class Variant:
    """One run of a comparison: the model to build, its training data, recipe and input preparation."""

    build_model: Callable[[], nn.Module]
    train: object  # ImageData, SegmentationData or an (inputs, targets) pair
    recipe: Recipe
    prepare: Prepare = default_prepare
    test: ImageData | None = None  # where given, the trained model's test accuracy is measured on it
    loss_fn: Callable | None = None  # None: cross-entropy


@dataclass
class Outcome:
    """What one run of a comparison gave."""

    model: nn.Module
    history: History
    test_accuracy: float | None = None


def train_named_model(name: str, train: ImageData, recipe: Recipe, prepare: Prepare, *, val: ImageData | None = None,
                      seed: int = 0, cache_prefix: str = "", **options: object) -> tuple[nn.Module, History]:
    """Build the registered model ``name`` (``models.build_model(name, **options)``) from ``seed`` and train it,
    scored on ``val`` after every epoch, with a progress bar; stored in the checkpoint cache as
    ``cache_prefix + name``."""
    seed_everything(seed)  # the same initial weights and batches for every model of one seed
    model = build_model(name, **options)
    history = fit(model, train, recipe, Task(prepare=prepare), val=val, seed=seed, cache_name=f"{cache_prefix}{name}",
                  label=f"{name}, seed {seed}")
    return model, history


def train_each(variants: Mapping[object, Variant], *, seed: int = 0, cache_name: str | None = None,
               progress: bool = False) -> dict[str, Outcome]:
    """Train every variant from the same seed (same initial weights and batches where the models agree)."""
    outcomes = {}
    for name, variant in variants.items():
        seed_everything(seed)
        model = variant.build_model()
        task = Task(variant.loss_fn or nn.CrossEntropyLoss(), variant.prepare)
        history = fit(model, variant.train, variant.recipe, task, seed=seed, cache_name=cache_name, label=str(name),
                      callbacks=None if progress else ())
        accuracy = None if variant.test is None else evaluate(model, variant.test, prepare=variant.prepare)["accuracy"]
        outcomes[name] = Outcome(model, history, accuracy)
    return outcomes


def train_over_seeds(variants: Mapping[object, Variant], seeds: Sequence[int], *,
                     cache_name: str | None = None) -> dict[object, list[Outcome]]:
    """``train_each`` once per seed: every variant's Outcome of each seed, in the order of ``seeds``."""
    by_seed = [train_each(variants, seed=seed, cache_name=cache_name) for seed in seeds]
    return {name: [outcomes[name] for outcomes in by_seed] for name in variants}


def final_losses(outcomes: Mapping[str, Outcome | History], *, last_steps: int = 20) -> dict[str, float]:
    """Mean training loss over the last ``last_steps`` steps of each run; a diverged run (NaN or inf) counts as inf."""
    histories = {name: getattr(run, "history", run) for name, run in outcomes.items()}
    losses = {name: history.final_train_loss(last_steps) for name, history in histories.items()}
    return {name: loss if math.isfinite(loss) else math.inf for name, loss in losses.items()}


def final_loss_spreads(runs: Mapping[str, Sequence[Outcome | History]], *, last_steps: int = 20) -> dict[str, Spread]:
    """``final_losses`` of every seed of each run (``train_over_seeds``' result), as a Spread over the seeds."""
    return {name: spread(final_losses(dict(enumerate(seeds)), last_steps=last_steps).values())
            for name, seeds in runs.items()}


def landscape_along_training(build_model: Callable[[], nn.Module], train_data, recipe: Recipe, probe_steps: Sequence[int],
                             probe_batch: tuple[Tensor, Tensor], *, prepare: Prepare = default_prepare, seed: int = 0,
                             step_sizes: Sequence[float] = (0.05, 0.1, 0.2, 0.4),
                             cache_name: str | None = None) -> dict[int, LandscapeProbe]:
    """Train a new model as ``recipe`` says and probe the landscape along the gradient after each of ``probe_steps``.

    As Santurkar et al. 2018 (Fig. 4) look along a training run, not at one point. Training runs in segments from
    one probe point to the next, each a ``fit`` with its own checkpoint, so the optimizer's momentum restarts at
    each probe; the recipe must keep its learning rate constant (``schedule=None``) for the segments to add up.
    With a ``cache_name``, a re-run loads the probes an earlier run stored (``stored_results``).
    """
    steps = sorted(set(int(step) for step in probe_steps))
    if recipe.schedule is not None:
        raise InputValueError(f"landscape_along_training trains in segments: use a constant learning rate "
                         f"(recipe.but(schedule=None)), not schedule={recipe.schedule!r}.")
    if not steps or steps[0] < 0:
        raise InputValueError(f"probe_steps must be step counts 0 or more, not {tuple(probe_steps)!r}.")

    def train_and_probe() -> dict[int, dict]:
        seed_everything(seed)
        model = build_model()
        probes, done = {}, 0
        for index, step in enumerate(steps):
            if step > done:   # each segment draws its own batches (seed per segment), from where the last one stopped
                fit(model, train_data, recipe.but(steps=step - done), Task(prepare=prepare), seed=seed * 1000 + index,
                    cache_name=cache_name, label=f"to step {step}", callbacks=())
                done = step
            probes[step] = dataclasses.asdict(landscape_along_gradient(model, *probe_batch, step_sizes=step_sizes))
        return probes

    stored = stored_result(cache_name and f"{cache_name}-probes", train_and_probe, build_model, train_data, recipe,
                           tuple(steps), tuple(probe_batch), prepare, course_seed(seed), tuple(step_sizes))
    return {step: LandscapeProbe(**probe) for step, probe in stored.items()}
