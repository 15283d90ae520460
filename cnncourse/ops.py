"""The ground floor: small tensor operations that data, models, metrics and plots all use."""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor

from .errors import InputShapeError
from .validate import describe


def to_float(images: Tensor) -> Tensor:
    """uint8 images in 0..255 to float32 in 0..1."""
    return images.float().div_(255.0)


def mirror_pad(x: Tensor, top: int, bottom: int, left: int, right: int) -> Tensor:
    """Pad a batch (N, C, H, W) by mirroring its border (the paper's way to give edge pixels context).

    Padding wider than the image mirrors the mirrored image again, as ``numpy.pad(mode="reflect")`` does.
    """
    if min(x.shape[-2:]) < 2 and max(top, bottom, left, right) > 0:
        raise InputShapeError(f"Mirror padding needs an image of at least 2 x 2 pixels; got {describe(x)}.")
    while max(top, bottom, left, right) > 0:
        height, width = x.shape[-2:]
        step = (min(left, width - 1), min(right, width - 1), min(top, height - 1), min(bottom, height - 1))
        x = F.pad(x, step, mode="reflect")
        left, right, top, bottom = left - step[0], right - step[1], top - step[2], bottom - step[3]
    return x
