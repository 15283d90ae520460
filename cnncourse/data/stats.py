"""Per-channel statistics of an image set, computed batch by batch (never a float copy of the whole set)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import torch
from torch import Tensor

from ..config import seeded_generator
from ..errors import InputShapeError, InputValueError
from ..validate import describe
from .containers import ImageData
from .transforms import Preprocess


@dataclass(frozen=True)
class ChannelStats:
    """Mean and standard deviation of each channel over all pixels of ``count`` images (values on a 0..1 scale)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    count: int

    def __str__(self) -> str:
        mean = ", ".join(f"{m:.4f}" for m in self.mean)
        std = ", ".join(f"{s:.4f}" for s in self.std)
        return f"mean ({mean}), std ({std}) over {self.count:,} images"


def _as_images(images: ImageData | Tensor) -> Tensor:
    x = images.images if isinstance(images, ImageData) else images
    if not isinstance(x, Tensor) or x.ndim != 4:
        raise InputShapeError(f"Expected images (N, C, H, W) or ImageData; got {describe(x)}.")
    return x


def channel_stats(images: ImageData | Tensor, *, batch_size: int = 1024,
                  transform: Callable[[Tensor], Tensor] | None = None) -> ChannelStats:
    """Per-channel mean and (population) std of (N, C, H, W) images, ``batch_size`` images at a time.

    uint8 images are read on the 0..1 scale (divided by 255), then passed through ``transform`` if given
    (e.g. a normalization, to check what a network would see). Each batch adds its pixel count, sum and
    sum of squares to float64 totals, so memory stays at one batch whatever N is.
    """
    x = _as_images(images)
    scale = 255.0 if x.dtype == torch.uint8 else 1.0
    channels = x.shape[1]
    total = torch.zeros(channels, dtype=torch.float64)
    total_sq = torch.zeros(channels, dtype=torch.float64)
    pixels = 0
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size].to(torch.float64) / scale  # (B, C, H, W), one batch only
        if transform is not None:
            batch = transform(batch)
        total += batch.sum(dim=(0, 2, 3))
        total_sq += batch.square().sum(dim=(0, 2, 3))
        pixels += batch.numel() // channels
    if pixels == 0:
        raise InputValueError("channel_stats needs at least one image.")
    mean = total / pixels
    variance = (total_sq / pixels - mean.square()).clamp_min(0)  # float64 keeps E[x²] - E[x]² accurate here
    return ChannelStats(tuple(mean.tolist()), tuple(variance.sqrt().tolist()), len(x))


def stats_standard_error(images: ImageData | Tensor, *, chunks: int = 10, population: int | None = None,
                         seed: int = 0, batch_size: int = 1024) -> ChannelStats:
    """How far the statistics of these images may lie from those of the population they were drawn from.

    The images are shuffled into ``chunks`` equal groups; the spread of the groups' statistics, divided by
    sqrt(chunks), estimates the standard error of the statistics of all images. When the images are drawn
    from a finite ``population`` (e.g. 50,000 CIFAR-10 training images) the error shrinks by
    sqrt(1 - N / population), and is zero when the images are the whole population.
    """
    x = _as_images(images)
    if chunks < 2 or len(x) < chunks:
        raise InputValueError(f"Need at least 2 chunks and one image per chunk; got {chunks} chunks for {len(x)} images.")
    order = torch.randperm(len(x), generator=seeded_generator(seed))
    size = len(x) // chunks
    parts = [channel_stats(x[order[i * size:(i + 1) * size]], batch_size=batch_size) for i in range(chunks)]
    means = torch.tensor([p.mean for p in parts], dtype=torch.float64)  # (chunks, C)
    stds = torch.tensor([p.std for p in parts], dtype=torch.float64)
    correction = math.sqrt(max(0.0, 1 - len(x) / population)) if population else 1.0
    mean_error = means.std(dim=0) / math.sqrt(chunks) * correction
    std_error = stds.std(dim=0) / math.sqrt(chunks) * correction
    return ChannelStats(tuple(mean_error.tolist()), tuple(std_error.tolist()), len(x))


def mean_of_image_stds(images: ImageData | Tensor, *, batch_size: int = 1024) -> tuple[float, ...]:
    """The average over images of each image's own per-channel std (0..1 scale): NOT the dataset's std."""
    x = _as_images(images)
    scale = 255.0 if x.dtype == torch.uint8 else 1.0
    total = torch.zeros(x.shape[1], dtype=torch.float64)
    for start in range(0, len(x), batch_size):
        batch = x[start:start + batch_size].to(torch.float64) / scale  # (B, C, H, W)
        total += batch.std(dim=(2, 3), correction=0).sum(0)  # (C,)
    return tuple((total / len(x)).tolist())


def standardizer(images: ImageData | Tensor, *, batch_size: int = 1024) -> Preprocess:
    """The ``Preprocess`` that standardizes each channel with the statistics of ``images`` (0..1 scale)."""
    stats = channel_stats(images, batch_size=batch_size)
    return Preprocess(mean=stats.mean, std=stats.std)
