"""Lesson 06's comparison: denoising networks against tuned classical filters, across noise levels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

from torch import Tensor, nn

from ..baselines import TunedFilter, tuned_baselines
from ..data.corruption import noisy_version
from ..data.transforms import Preprocess
from ..errors import InputValueError
from ..evaluation import predict
from ..metrics.image_quality import psnr
from ..ops import to_float
from ..text_table import text_table
from .seeds import spread


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
        def cell(name: str, i: int) -> str:
            return f"{self.psnr[name][i]:.2f}" + (f" ± {self.psnr_std[name][i]:.2f}" if name in self.psnr_std else "")

        rows = [(f"{level:.2f}", [cell(n, i) for n in names]) for i, level in enumerate(self.noise_levels)]
        return text_table("noise std", names, rows, label_width=10, column_width=max(14, *(len(n) + 2 for n in names)))


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
        raise InputValueError("average_sweeps needs sweeps of the same methods at the same noise levels.")
    by_method = {name: [spread(sweep.psnr[name][i] for sweep in sweeps) for i in range(len(levels))]
                 for name in sweeps[0].psnr}
    stds = {name: [s.std for s in values] for name, values in by_method.items() if len(sweeps) > 1}
    return NoiseSweep(list(levels), {name: [s.mean for s in values] for name, values in by_method.items()},
                      sweeps[0].filters, stds)
