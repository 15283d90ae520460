"""Experiment runners: train variants of a model, over seeds, and summarize each result by its spread.

    accuracy = experiments.over_seeds(lambda seed: {"scratch": ..., "transfer": ...})   # {name: Spread}
    print(f"{accuracy['transfer']:.1%}")                      # 64.8% ± 2.1%
    gain = experiments.spread([...])                          # a Spread of per-seed differences
    assert gain.lowest > 0, "better in every seed"

A difference between two methods counts only if it is larger than the difference between two seeds of the
same method; one seed on one machine is a coin toss.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Iterable, Mapping, Sequence

from torch import Tensor, nn

from .analysis.gradients import LandscapeProbe, landscape_along_gradient
from .baselines import TunedFilter, tuned_baselines
from .checkpoints import weights_fingerprint
from .config import course_seed, seed_everything
from .data.containers import ImageData
from .data.corruption import noisy_version
from .data.transforms import Preprocess
from .evaluation import default_prepare, evaluate, predict
from .loop import Prepare
from .metrics.image_quality import psnr
from .models.pretrained import ImagenetPrepare, load_imagenet_vgg16
from .models.transfer import MODES, lr_multipliers_for, transfer_model
from .ops import to_float
from .recipes import Recipe
from .stored_results import stored_result
from .train import History, Task, fit


SEEDS = (0, 1, 2)  # the course's default: enough to see the spread, cheap enough for a laptop


@dataclass(frozen=True)
class Spread:
    """Values of one quantity, one per seed."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        """The sample standard deviation across seeds (0 for a single seed)."""
        if len(self.values) < 2:
            return 0.0
        return math.sqrt(sum((v - self.mean) ** 2 for v in self.values) / (len(self.values) - 1))

    @property
    def lowest(self) -> float:
        return min(self.values)

    @property
    def highest(self) -> float:
        return max(self.values)

    def __format__(self, spec: str) -> str:
        spec = spec or ".3g"
        return f"{self.mean:{spec}} ± {self.std:{spec.lstrip('+')}}"

    def __str__(self) -> str:
        return format(self)


def spread(values: Iterable[float]) -> Spread:
    """The ``Spread`` of ``values`` (at least one)."""
    values = tuple(float(v) for v in values)
    if not values:
        raise ValueError("spread needs at least one value (one per seed).")
    return Spread(values)


def over_seeds(experiment: Callable[[int], Mapping[str, float]], seeds: Sequence[int] = SEEDS) -> dict[str, Spread]:
    """Run ``experiment(seed)`` (named numbers, e.g. an accuracy per method) for every seed; a Spread per name."""
    runs = [experiment(seed) for seed in seeds]
    return {name: spread(run[name] for run in runs) for name in runs[0]}


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


def final_losses(outcomes: Mapping[str, Outcome | History], *, last_steps: int = 20) -> dict[str, float]:
    """Mean training loss over the last ``last_steps`` steps of each run; a diverged run (NaN or inf) counts as inf."""
    histories = {name: getattr(run, "history", run) for name, run in outcomes.items()}
    losses = {name: history.final_train_loss(last_steps) for name, history in histories.items()}
    return {name: loss if math.isfinite(loss) else math.inf for name, loss in losses.items()}


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
        raise ValueError(f"landscape_along_training trains in segments: use a constant learning rate "
                         f"(recipe.but(schedule=None)), not schedule={recipe.schedule!r}.")
    if not steps or steps[0] < 0:
        raise ValueError(f"probe_steps must be step counts 0 or more, not {tuple(probe_steps)!r}.")

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


def compare_transfer(source: nn.Module, train_pool: ImageData, test_data: ImageData, sizes: Sequence[int],
                     recipe: Recipe, *, seed: int = 0, prepare: Prepare = default_prepare,
                     modes: Sequence[str] = MODES, cache_prefix: str | None = "transfer") -> dict[str, dict[int, float]]:
    """Test accuracy of every mode trained on ``n`` labelled images per class, for each n in ``sizes``.

    The subsets are nested (the 50 images of a class are among its 200), and every mode sees the same images
    for the same number of steps; fine-tuning trains the pretrained body at a tenth of the learning rate.
    """
    cache_name = f"{cache_prefix}-{weights_fingerprint(source)[:8]}" if cache_prefix else None
    results: dict[str, dict[int, float]] = {mode: {} for mode in modes}
    for n in sizes:
        subset = train_pool.subset(n, seed=seed)
        variants = {mode: Variant(partial(transfer_model, source, mode, subset.num_classes), subset,
                                  recipe.but(lr_multipliers=lr_multipliers_for(mode) or ()), prepare, test=test_data)
                    for mode in modes}
        for mode, outcome in train_each(variants, seed=seed, cache_name=cache_name).items():
            results[mode][n] = outcome.test_accuracy
    return results


def fine_tune_imagenet_vgg16(train_data: ImageData, test_data: ImageData, recipe: Recipe, *, download: bool = False,
                             cache_name: str | None = "imagenet-vgg16") -> dict[str, float]:
    """Fine-tune the ImageNet VGG-16 as ``recipe`` says on ``train_data``; its test accuracy before and after."""
    model = load_imagenet_vgg16(train_data.num_classes, download=download)
    prepare = ImagenetPrepare()
    before = evaluate(model, test_data, prepare=prepare, batch_size=recipe.batch_size)["accuracy"]
    fit(model, train_data, recipe, Task(prepare=prepare), cache_name=cache_name, label="ImageNet VGG-16")
    after = evaluate(model, test_data, prepare=prepare, batch_size=recipe.batch_size)["accuracy"]
    return {"accuracy_new_head_untrained": before, "accuracy_fine_tuned": after}


def denoise(model: nn.Module, noisy: Tensor) -> Tensor:
    """The model's output for each noisy image (0..1 floats), clipped to 0..1, the range of an image."""
    return predict(model, noisy, prepare=Preprocess(scale=1), batch_size=500).clamp(0, 1)


@dataclass
class NoiseSweep:
    """Mean test PSNR (dB) of each method at each noise level, and the filter parameters chosen at each."""

    noise_levels: list[float]
    psnr: dict[str, list[float]]
    filters: dict[str, list[TunedFilter]]  # the filters tuned on validation images at each level
    psnr_std: dict[str, list[float]] = field(default_factory=dict)  # across seeds (see `average_sweeps`)

    @property
    def parameters(self) -> dict[str, list[float]]:
        """The parameter each filter used at each noise level."""
        return {name: [f.parameter for f in tuned] for name, tuned in self.filters.items()}

    def best_filters(self) -> dict[float, TunedFilter]:
        """At each noise level, the filter with the best validation PSNR (the test images are not looked at)."""
        best = {}
        for i, level in enumerate(self.noise_levels):
            candidates = [tuned[i] for tuned in self.filters.values()]
            best[level] = max(candidates, key=lambda f: f.validation_psnr[f.parameter])
        return best

    def at(self, noise_std: float) -> dict[str, float]:
        """Mean PSNR of every method at one of the swept noise levels."""
        index = min(range(len(self.noise_levels)), key=lambda i: abs(self.noise_levels[i] - noise_std))
        return {name: values[index] for name, values in self.psnr.items()}

    def table(self) -> str:
        """The sweep as a text table: one row per noise level, one column per method."""
        names = list(self.psnr)
        width = max(14, *(len(n) + 2 for n in names))
        lines = ["noise std".ljust(10) + "".join(n.rjust(width) for n in names)]
        for i, level in enumerate(self.noise_levels):
            cells = (f"{self.psnr[n][i]:.2f}" + (f" ± {self.psnr_std[n][i]:.2f}" if n in self.psnr_std else "")
                     for n in names)
            lines.append(f"{level:<10.2f}" + "".join(cell.rjust(width) for cell in cells))
        return "\n".join(lines)


def sweep_noise_levels(test_images: Tensor, validation_images: Tensor, noise_levels: Sequence[float],
                       models: Mapping[str, nn.Module], *, baselines: bool = True, seed: int = 0) -> NoiseSweep:
    """Mean test PSNR across noise levels for the noisy input, the tuned filters (re-tuned at each level on
    validation images) and each model."""
    clean = to_float(test_images)
    psnr_by_method: dict[str, list[float]] = {}
    filters: dict[str, list[TunedFilter]] = {}
    for level in noise_levels:
        noisy = noisy_version(test_images, level, seed=seed)
        estimates: dict[str, Tensor] = {"noisy input": noisy}
        if baselines:
            for name, tuned in tuned_baselines(validation_images, level, seed=seed + 1).items():
                estimates[name] = tuned(noisy)
                filters.setdefault(name, []).append(tuned)
        estimates.update({name: denoise(model, noisy) for name, model in models.items()})
        for name, estimate in estimates.items():
            psnr_by_method.setdefault(name, []).append(float(psnr(clean, estimate).mean()))
    return NoiseSweep(list(noise_levels), psnr_by_method, filters)


def average_sweeps(sweeps: Sequence[NoiseSweep]) -> NoiseSweep:
    """The mean of several sweeps over the same levels (one per seed), with each method's std across them."""
    levels = sweeps[0].noise_levels
    if any(sweep.noise_levels != levels or sweep.psnr.keys() != sweeps[0].psnr.keys() for sweep in sweeps):
        raise ValueError("average_sweeps needs sweeps of the same methods at the same noise levels.")
    by_method = {name: [spread(sweep.psnr[name][i] for sweep in sweeps) for i in range(len(levels))]
                 for name in sweeps[0].psnr}
    stds = {name: [s.std for s in values] for name, values in by_method.items() if len(sweeps) > 1}
    return NoiseSweep(list(levels), {name: [s.mean for s in values] for name, values in by_method.items()},
                      sweeps[0].filters, stds)
