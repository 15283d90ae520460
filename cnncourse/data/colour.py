"""Colour as the only clue: real images tinted with colours of equal brightness (luma)."""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor

from ..config import seeded_generator
from ..errors import InputValueError
from .containers import LUMA_WEIGHTS, ImageData


# Two clearly different colours with the same luma (0.4968): a grayscale copy cannot tell them apart.
EQUAL_LUMA_TINTS: dict[str, tuple[float, float, float]] = {
    "orange": (0.8, 0.4, 0.2),
    "blue-teal": (0.2, 0.6, 0.7439),
}


def luma(colour: tuple[float, float, float] | Tensor) -> float:
    """Brightness of an RGB colour (0..1 per channel) as a grayscale conversion sees it."""
    rgb = torch.as_tensor(colour, dtype=torch.float64)
    if rgb.shape != (3,):
        raise InputValueError(f"A colour has three values (R, G, B); got shape {tuple(rgb.shape)}.")
    return float((rgb * torch.tensor(LUMA_WEIGHTS, dtype=torch.float64)).sum())


def tint(images: Tensor, colour: tuple[float, float, float]) -> Tensor:
    """Grayscale versions of uint8 images (N, 3, H, W) painted in ``colour``: pixel = luma × colour, uint8."""
    gray = (images.float() * torch.tensor(LUMA_WEIGHTS).view(1, 3, 1, 1)).sum(1, keepdim=True)  # (N, 1, H, W)
    painted = gray * torch.tensor(colour, dtype=torch.float32).view(1, 3, 1, 1)  # (N, 3, H, W)
    return painted.round().clamp(0, 255).to(torch.uint8)


def colour_only_task(source: ImageData, tints: dict[str, tuple[float, float, float]] | None = None, *,
                     seed: int = 0) -> ImageData:
    """Each image of ``source`` tinted with a randomly chosen tint; the label is the tint, nothing else.

    The picture (airplane, cat, ...) is unrelated to the label, and with tints of equal luma the
    grayscale versions of the two classes have the same brightness: only colour carries the label.
    """
    tints = EQUAL_LUMA_TINTS if tints is None else tints
    colours = list(tints.values())
    generator = seeded_generator(seed)
    labels = torch.randint(0, len(colours), (len(source),), generator=generator)
    images = source.images.clone()
    for index, colour in enumerate(colours):
        chosen = labels == index
        images[chosen] = tint(source.images[chosen], colour)
    return replace(source, images=images, labels=labels, classes=tuple(tints), name=f"{source.name}-tinted")
