"""Corrupting images on purpose, for denoising and inpainting: Gaussian noise and masked squares.

Noise is added to images already scaled to 0..1, then clipped to 0..1, so that ``noise_std`` means the
same thing whatever the image format. ``add_noise_before_scaling`` shows the common mistake of adding the
noise to 0..255 pixel values first: the same ``noise_std`` then becomes 255 times weaker.
The ``NoisyPairs`` and ``MaskedPairs`` callables are ``prepare`` functions for ``train.fit``: they turn a
uint8 batch into (corrupted input, clean target) on the fly, so every epoch sees fresh corruptions.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..config import seeded_generator
from ..errors import InputShapeError, InputTypeError, InputValueError
from ..validate import describe, expect_noise_level, expect_unit_images, expect_whole_number, is_number
from ..ops import to_float


def _as_unit_float(images: Tensor, who: str) -> Tensor:
    """uint8 images become float 0..1; float images must be in 0..1 already; other types are refused."""
    if not isinstance(images, Tensor):
        raise InputShapeError(f"{who} expects an image tensor; it received {describe(images)}.")
    if images.dtype == torch.uint8:
        return to_float(images)
    if not images.is_floating_point():
        raise InputShapeError(f"{who} expects uint8 (0..255) or float (0..1) images; it received {describe(images)}. "
                              "Convert them with images.to(torch.uint8) or images.float() / 255.")
    return expect_unit_images(images.float(), who=who)


def add_gaussian_noise(images: Tensor, noise_std: float | Tensor, *, generator: torch.Generator | None = None) -> Tensor:
    """Images in 0..1 (uint8 images are scaled first) plus Gaussian noise of std ``noise_std``, clipped to 0..1.

    ``noise_std`` is one number, or one per image (a tensor of shape (N,)).
    """
    clean = _as_unit_float(images, "add_gaussian_noise")
    std = expect_noise_level(noise_std, who="add_gaussian_noise").to(clean.device, clean.dtype)
    return _noisy(clean, std, generator)


def _noisy(clean: Tensor, std: float | Tensor, generator: torch.Generator | None = None) -> Tensor:
    """``clean`` (float 0..1) plus Gaussian noise of std ``std`` (a number or (N,)), clipped: no checks."""
    std = torch.as_tensor(std, dtype=clean.dtype, device=clean.device)
    if std.ndim == 1:
        std = std.view(-1, *([1] * (clean.ndim - 1)))  # (N, 1, 1, 1): one level per image
    noise = torch.randn(clean.shape, generator=generator, device=clean.device, dtype=clean.dtype)
    return (clean + std * noise).clamp(0.0, 1.0)


def add_noise_before_scaling(images: Tensor, noise_std: float, *, generator: torch.Generator | None = None) -> Tensor:
    """The mistake: noise of std ``noise_std`` added to 0..255 pixel values, clipped, and only then scaled to 0..1.

    The result is on the same 0..1 scale as ``add_gaussian_noise``, but its noise is 255 times weaker.
    """
    if not isinstance(images, Tensor) or images.dtype != torch.uint8:
        raise InputTypeError(f"add_noise_before_scaling shows a mistake made on uint8 (0..255) images: images must be "
                             f"uint8; got {describe(images)}.")
    expect_noise_level(noise_std, who="add_noise_before_scaling")
    noise = torch.randn(images.shape, generator=generator, device=images.device)
    return (images.float() + noise_std * noise).clamp(0.0, 255.0) / 255.0


def mask_square(images: Tensor, size: int, *, fill: float = 0.5, margin: int = 4,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Hide a ``size`` x ``size`` square at a random place in each image (at least ``margin`` from the border).

    Returns (masked images in 0..1, boolean mask (N, 1, H, W) that is True inside the square). The square is
    filled with ``fill``: a grey the network can locate, where black would look like background.
    """
    clean = _as_unit_float(images, "mask_square")
    _expect_square(size, fill)
    expect_whole_number(margin, name="margin", minimum=0)
    if clean.ndim != 4:
        raise InputShapeError(f"mask_square expects an image batch (N, C, H, W); it received {describe(images)}.")
    n, _, height, width = clean.shape
    if size + 2 * margin > min(height, width):
        raise InputValueError(f"A {size}x{size} square with margin {margin} does not fit into {height}x{width} images: "
                              "choose a smaller size or margin.")
    top = torch.randint(margin, height - margin - size + 1, (n,), generator=generator).to(clean.device)
    left = torch.randint(margin, width - margin - size + 1, (n,), generator=generator).to(clean.device)
    rows = torch.arange(height, device=clean.device).view(1, height, 1)
    cols = torch.arange(width, device=clean.device).view(1, 1, width)
    inside = ((rows >= top.view(-1, 1, 1)) & (rows < top.view(-1, 1, 1) + size)
              & (cols >= left.view(-1, 1, 1)) & (cols < left.view(-1, 1, 1) + size))  # (N, H, W)
    mask = inside.unsqueeze(1)  # (N, 1, H, W)
    return torch.where(mask, torch.full_like(clean, fill), clean), mask


def _expect_square(size: int, fill: float) -> None:
    expect_whole_number(size, name="size", minimum=1)
    if not is_number(fill) or not 0 <= fill <= 1:
        raise InputValueError(f"fill is the grey the square is filled with, a number in 0..1 (0.5 by default); "
                              f"got {fill!r}.")


@dataclass(frozen=True)
class NoisyPairs:
    """A ``prepare`` for ``fit``: (uint8 images, labels) -> (noisy images, clean images), fresh noise each batch.

    ``noise_std`` is one level, or a (low, high) range from which each image draws its own level uniformly.
    """

    noise_std: float | tuple[float, float]

    def __post_init__(self) -> None:  # checked once here, so the training loop need not check every batch
        expect_noise_level(self.noise_std, who="NoisyPairs")

    def __call__(self, images: Tensor, labels: Tensor, train: bool = False) -> tuple[Tensor, Tensor]:
        clean = to_float(images)
        if isinstance(self.noise_std, tuple):
            low, high = self.noise_std
            std = low + (high - low) * torch.rand(len(clean), device=clean.device)  # (N,) one level per image
        else:
            std = self.noise_std
        return _noisy(clean, std), clean  # made here from uint8: no per-batch checks in the training loop


@dataclass(frozen=True)
class MaskedPairs:
    """A ``prepare`` for ``fit``: (uint8 images, labels) -> (images with a hidden square, clean images)."""

    size: int = 10
    fill: float = 0.5

    def __post_init__(self) -> None:
        _expect_square(self.size, self.fill)

    def __call__(self, images: Tensor, labels: Tensor, train: bool = False) -> tuple[Tensor, Tensor]:
        clean = to_float(images)
        masked, _ = mask_square(clean, self.size, fill=self.fill)
        return masked, clean


def noisy_version(images: Tensor, noise_std: float, *, seed: int = 0) -> Tensor:
    """A reproducible noisy copy of uint8 or 0..1 images: the same seed gives the same noise."""
    return add_gaussian_noise(images, noise_std, generator=seeded_generator(seed))
