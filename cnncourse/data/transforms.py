"""Batch transforms on tensors (on whatever device the batch is): scaling, normalization, augmentation.

These run on a whole batch at once, so there is no per-image PIL work in the training loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from ..errors import InputShapeError, InputTypeError, InputValueError
from ..validate import describe, expect_whole_number, is_number

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # the well-known statistics of the 50,000 training images
CIFAR10_STD = (0.2470, 0.2435, 0.2616)


def random_crop(images: Tensor, padding: int, generator: torch.Generator | None = None) -> Tensor:
    """Pad each image by ``padding`` zeros and cut a random window of the original size. (N, C, H, W) in and out."""
    if not isinstance(images, Tensor) or images.ndim != 4:
        raise InputShapeError(f"random_crop expects a batch (N, C, H, W); got {describe(images)}.")
    expect_whole_number(padding, name="padding", minimum=0)
    n, _, h, w = images.shape
    padded = torch.nn.functional.pad(images, (padding,) * 4)  # (N, C, H+2p, W+2p)
    top = torch.randint(0, 2 * padding + 1, (n,), device=images.device, generator=generator)
    left = torch.randint(0, 2 * padding + 1, (n,), device=images.device, generator=generator)
    rows = (top[:, None] + torch.arange(h, device=images.device))[:, None, :, None]  # (N, 1, H, 1)
    cols = (left[:, None] + torch.arange(w, device=images.device))[:, None, None, :]  # (N, 1, 1, W)
    batch = torch.arange(n, device=images.device)[:, None, None, None]
    channel = torch.arange(images.shape[1], device=images.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]


def random_hflip(images: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Mirror a random half of the images left-right."""
    flip = torch.rand(images.shape[0], device=images.device, generator=generator) < 0.5
    return torch.where(flip[:, None, None, None], images.flip(-1), images)


@dataclass(frozen=True)
class Preprocess:
    """Turn a uint8 batch into network input: divide by ``scale``, standardize per channel, augment.

    ``Preprocess(scale=1)`` keeps raw 0..255 values; ``Preprocess()`` gives 0..1;
    ``Preprocess(mean=CIFAR10_MEAN, std=CIFAR10_STD)`` gives per-channel standardized input.
    """

    scale: float = 255.0
    mean: tuple[float, ...] | None = None
    std: tuple[float, ...] | None = None
    crop_padding: int = 0  # random crop after zero padding (0 = off)
    hflip: bool = False

    def __post_init__(self) -> None:
        if not is_number(self.scale) or not self.scale > 0:
            raise InputValueError(f"scale must be a positive number (255 for 0..1 inputs, 1 for raw values); "
                                  f"got {self.scale!r}.")
        for name in ("mean", "std"):
            values = getattr(self, name)
            if values is not None and not (isinstance(values, tuple) and values and all(map(is_number, values))):
                raise InputTypeError(f"{name} must be a tuple of numbers, one per channel (e.g. {name}="
                                     f"CIFAR10_{name.upper()}), or None; got {values!r}.")
        if (self.mean is None) != (self.std is None) or (self.mean is not None and len(self.mean) != len(self.std)):
            raise InputValueError(f"mean and std go together, one value per channel each; got mean={self.mean}, "
                                  f"std={self.std}.")
        if self.std is not None and min(self.std) <= 0:
            raise InputValueError(f"std must be positive in every channel; got {self.std}.")
        if isinstance(self.crop_padding, bool) or not isinstance(self.crop_padding, int) or self.crop_padding < 0:
            raise InputValueError(f"crop_padding must be a whole number of pixels, 0 or more; got {self.crop_padding!r}.")
        if not isinstance(self.hflip, bool):
            raise InputTypeError(f"hflip must be True or False; got {self.hflip!r}.")

    def __call__(self, images: Tensor, labels: Tensor, train: bool = False) -> tuple[Tensor, Tensor]:
        x = images.float() / self.scale
        if train and self.crop_padding:
            x = random_crop(x, self.crop_padding)
        if train and self.hflip:
            x = random_hflip(x)
        if self.mean is not None:
            x = normalize(x, self.mean, self.std)
        return x, labels

    def augmented(self) -> "Preprocess":
        """The same preprocessing with the standard CIFAR augmentation (4-pixel crop, flips)."""
        return Preprocess(self.scale, self.mean, self.std, crop_padding=4, hflip=True)


def _channel_statistics(x: Tensor, mean: object, std: object, who: str) -> tuple[Tensor, Tensor]:
    """``mean`` and ``std`` as tensors shaped to broadcast over the channels of ``x`` (N, C, H, W) or (C, H, W)."""
    if not isinstance(x, Tensor) or x.ndim not in (3, 4) or not x.is_floating_point():
        raise InputShapeError(f"{who} expects float images (N, C, H, W) or (C, H, W); got {describe(x)}.")
    if std is None:
        raise InputValueError(f"{who} needs std as well as mean.")
    channels = x.shape[-3]
    stats = [torch.as_tensor(values, dtype=torch.float64).flatten() for values in (mean, std)]  # checked on the CPU
    if any(len(values) != channels for values in stats):
        raise InputShapeError(f"{who}: mean and std need one value per channel, {channels} for {describe(x)}; "
                              f"got mean={mean!r}, std={std!r}.")
    if not bool((stats[1] > 0).all()):
        raise InputValueError(f"{who}: every std must be above 0 (a channel's spread); got std={std!r}.")
    return tuple(values.to(x.device, x.dtype).view(-1, 1, 1) for values in stats)


def normalize(x: Tensor, mean: tuple[float, ...], std: tuple[float, ...] | None) -> Tensor:
    """(x - mean) / std per channel of an (N, C, H, W) batch."""
    mean_t, std_t = _channel_statistics(x, mean, std, "normalize")
    return (x - mean_t) / std_t


def denormalize(x: Tensor, mean: tuple[float, ...], std: tuple[float, ...]) -> Tensor:
    """Undo ``normalize``: x * std + mean per channel."""
    mean_t, std_t = _channel_statistics(x, mean, std, "denormalize")
    return x * std_t + mean_t
