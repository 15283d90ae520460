"""What to beat without learning: classical denoising filters tuned on validation images, and the
global-intensity threshold for membrane segmentation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
from scipy import ndimage
from torch import Tensor

from .errors import InputValueError
from .ops import to_float
from .data.corruption import noisy_version
from .metrics.image_quality import psnr


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


def tune_filter(name: str, noisy: Tensor, clean: Tensor, parameters: Sequence[float] | None = None) -> TunedFilter:
    """Try every parameter of filter ``name`` on validation images; keep the one with the best mean PSNR."""
    if name not in FILTERS:
        raise InputValueError(f"tune_filter: unknown filter name {name!r}; choose one of {sorted(FILTERS)}.")
    clean = to_float(clean) if clean.dtype == torch.uint8 else clean
    scores = {p: float(psnr(clean, FILTERS[name](noisy, p).clamp(0, 1)).mean())
              for p in (parameters or PARAMETER_GRIDS[name])}
    return TunedFilter(name, max(scores, key=scores.get), scores)


def tuned_baselines(validation_images: Tensor, noise_std: float, *, seed: int = 1) -> dict[str, TunedFilter]:
    """Every classical filter tuned on noisy copies (at ``noise_std``) of the validation images."""
    noisy = noisy_version(validation_images, noise_std, seed=seed)
    return {name: tune_filter(name, noisy, validation_images) for name in FILTERS}


def best_global_threshold(images: Tensor, masks: Tensor) -> int:
    """The intensity t (0..255) for which 'interior where pixel > t' makes the fewest pixel errors on these slices."""
    intensity = images[:, 0].flatten().long()
    interior = masks.flatten().bool()
    interior_counts = torch.bincount(intensity[interior], minlength=256)
    membrane_counts = torch.bincount(intensity[~interior], minlength=256)
    # errors(t) = interior pixels at or below t + membrane pixels above t
    errors = interior_counts.cumsum(0) + (membrane_counts.sum() - membrane_counts.cumsum(0))
    return int(errors.argmin())


def threshold_baseline(images: Tensor, threshold: int) -> Tensor:
    """The global-intensity baseline: 1 (interior) where the pixel is brighter than ``threshold``. (N, H, W)."""
    return (images[:, 0] > threshold).to(torch.uint8)
