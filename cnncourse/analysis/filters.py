"""What trained filters look at: how much of a first-layer filter's weight is colour rather than brightness."""

from __future__ import annotations

from torch import Tensor

from ..errors import InputShapeError
from ..validate import describe


def colour_share(weight: Tensor) -> Tensor:
    """For each filter (C_out, C_in, k, k): the fraction of its squared weight that differs between channels.

    0 means the filter weighs R, G and B alike (it sees only brightness); near 1 it compares colours.
    Filters with independent random weights give about (C_in - 1) / C_in, i.e. 2/3 for RGB.
    """
    if not isinstance(weight, Tensor) or weight.ndim != 4 or weight.shape[1] < 2 or not weight.is_floating_point():
        raise InputShapeError(f"weight must be a conv weight (C_out, C_in, k, k) of floats with two or more input "
                              f"channels (layer.weight of a first layer on colour images); got {describe(weight)}.")
    w = weight.detach().float()
    colour_part = w - w.mean(dim=1, keepdim=True)  # what remains after removing the channel average
    return colour_part.pow(2).sum(dim=(1, 2, 3)) / w.pow(2).sum(dim=(1, 2, 3)).clamp_min(1e-12)
