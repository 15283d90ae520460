"""Denoising without and with learning: classical filters tuned on validation data, a trained network,
and their comparison across noise levels (PSNR from scikit-image, on 0..1 images)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib.axes import Axes
from scipy import ndimage
from torch import Tensor, nn

from .config import seeded_generator
from .data.containers import to_float
from .data.corruption import add_gaussian_noise
from .metrics.image_quality import psnr, ssim
from .plot import axes_or_new
from .seeds import spread


def gaussian_blur(images: Tensor, sigma: float) -> Tensor:
    """Each image (N, C, H, W) blurred by a Gaussian of std ``sigma`` pixels, as skimage.filters.gaussian does."""
    x = images.detach().cpu().double().numpy()
    return torch.from_numpy(ndimage.gaussian_filter(x, sigma=(0, 0, sigma, sigma), mode="nearest", truncate=4.0)).float()


def median_filter(images: Tensor, size: int) -> Tensor:
    """Each image (N, C, H, W) replaced by the median of its ``size`` x ``size`` neighbourhoods (borders reflected)."""
    x = images.detach().cpu().float().numpy()
    return torch.from_numpy(ndimage.median_filter(x, size=(1, 1, size, size), mode="reflect"))


FILTERS: dict[str, Callable[[Tensor, float], Tensor]] = {"Gaussian blur": gaussian_blur, "median filter": median_filter}
PARAMETER_GRIDS: dict[str, tuple[float, ...]] = {  # sigma in pixels; window size in pixels
    "Gaussian blur": (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0),
    "median filter": (3, 5, 7),
}


@dataclass(frozen=True)
class TunedFilter:
    """A classical filter with the parameter that scored the best mean PSNR on validation images."""

    name: str
    parameter: float
    validation_psnr: dict[float, float] = field(repr=False)  # parameter -> mean PSNR (dB) on validation images

    def __call__(self, noisy: Tensor) -> Tensor:
        return FILTERS[self.name](noisy, self.parameter).clamp(0, 1)

    @property
    def label(self) -> str:
        unit = "sigma" if self.name == "Gaussian blur" else "size"
        value = f"{self.parameter:g}" if unit == "sigma" else f"{int(self.parameter)}x{int(self.parameter)}"
        return f"{self.name} ({unit} {value})"


def noisy_version(images: Tensor, noise_std: float, *, seed: int = 0) -> Tensor:
    """A reproducible noisy copy of uint8 or 0..1 images: the same seed gives the same noise."""
    return add_gaussian_noise(images, noise_std, generator=seeded_generator(seed))


def tune_filter(name: str, noisy: Tensor, clean: Tensor, parameters: Sequence[float] | None = None) -> TunedFilter:
    """Try every parameter of filter ``name`` on validation images; keep the one with the best mean PSNR."""
    if name not in FILTERS:
        raise ValueError(f"Unknown filter {name!r}; choose one of {sorted(FILTERS)}.")
    clean = to_float(clean) if clean.dtype == torch.uint8 else clean
    scores = {p: float(psnr(clean, FILTERS[name](noisy, p).clamp(0, 1)).mean())
              for p in (parameters or PARAMETER_GRIDS[name])}
    return TunedFilter(name, max(scores, key=scores.get), scores)


def tuned_baselines(validation_images: Tensor, noise_std: float, *, seed: int = 1) -> dict[str, TunedFilter]:
    """Every classical filter tuned on noisy copies (at ``noise_std``) of the validation images."""
    noisy = noisy_version(validation_images, noise_std, seed=seed)
    return {name: tune_filter(name, noisy, validation_images) for name in FILTERS}


@torch.no_grad()
def denoise_with_model(model: nn.Module, noisy: Tensor, *, batch_size: int = 500) -> Tensor:
    """The model's output for each noisy image, clipped to 0..1 (the range of an image), on the CPU."""
    model.eval()
    device = next(model.parameters()).device
    outputs = [model(noisy[i:i + batch_size].to(device)).float().cpu() for i in range(0, len(noisy), batch_size)]
    return torch.cat(outputs).clamp(0, 1)


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
        estimates.update({name: denoise_with_model(model, noisy) for name, model in models.items()})
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


def quality_table(clean: Tensor, estimates: Mapping[str, Tensor]) -> dict[str, dict[str, float]]:
    """Mean PSNR (dB) and SSIM of each estimate against the clean images: {method: {"psnr", "ssim"}}."""
    clean = to_float(clean) if clean.dtype == torch.uint8 else clean
    return {name: {"psnr": float(psnr(clean, x).mean()), "ssim": float(ssim(clean, x).mean())}
            for name, x in estimates.items()}


def plot_noise_sweep(sweep: NoiseSweep, *, trained_at: float | Sequence[float] | None = None,
                     ax: Axes | None = None, title: str = "") -> Axes:
    """PSNR against noise level, one line per method (± one std across seeds as a band, where averaged);
    the training noise level (or range) is marked."""
    ax = axes_or_new(ax, (6.5, 4))
    for name, values in sweep.psnr.items():
        style = {"linestyle": ":", "color": "gray"} if name == "noisy input" else {}
        line, = ax.plot(sweep.noise_levels, values, marker="o", label=name, **style)
        if name in sweep.psnr_std and name != "noisy input":  # ± one standard deviation across seeds
            low = [m - s for m, s in zip(values, sweep.psnr_std[name])]
            high = [m + s for m, s in zip(values, sweep.psnr_std[name])]
            ax.fill_between(sweep.noise_levels, low, high, color=line.get_color(), alpha=0.25, linewidth=0)
    if trained_at is not None:
        low, high = (trained_at, trained_at) if np.isscalar(trained_at) else trained_at
        if low == high:
            ax.axvline(low, color="black", linewidth=0.8, linestyle="--", label=f"trained at {low:g}")
        else:
            ax.axvspan(low, high, color="gold", alpha=0.2, label=f"trained on {low:g}-{high:g}")
    ax.set_xlabel("noise standard deviation (images in 0..1)")
    ax.set_ylabel("mean PSNR on test images (dB)")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return ax


def plot_examples(clean: Tensor, estimates: Mapping[str, Tensor], *, count: int = 6,
                  axes: Sequence[Axes] | None = None) -> list[Axes]:
    """One row per method (the clean images first), one column per example image, PSNR under each."""
    clean = (to_float(clean) if clean.dtype == torch.uint8 else clean)[:count]
    rows = {"clean": clean, **{name: x[:count] for name, x in estimates.items()}}
    if axes is None:
        _, grid = plt.subplots(len(rows), count, figsize=(1.3 * count + 1.6, 1.45 * len(rows)), squeeze=False,
                               layout="constrained")
        axes = list(grid.flat)
    for r, (name, images) in enumerate(rows.items()):
        scores = psnr(clean, images) if name != "clean" else None
        for c in range(count):
            ax = axes[r * count + c]
            ax.imshow(images[c, 0].clamp(0, 1).numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([]), ax.set_yticks([])
            if scores is not None:
                ax.set_xlabel(f"{float(scores[c]):.1f} dB", fontsize=8)
            if c == 0:
                ax.set_ylabel(name, fontsize=8)
    return list(axes)
