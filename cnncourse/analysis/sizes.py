"""How big a network is: parameters (in total, per part, in convolution kernels) and multiply-adds."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..errors import InputTypeError


def count_parameters(module: nn.Module, *, trainable_only: bool = False) -> int:
    """The number of parameters of ``module`` (only those with requires_grad if ``trainable_only``)."""
    if not isinstance(module, nn.Module):
        raise InputTypeError(f"count_parameters expects a model (a torch.nn.Module); got {type(module).__name__}.")
    return sum(p.numel() for p in module.parameters() if p.requires_grad or not trainable_only)


def parameters_by_child(model: nn.Module) -> dict[str, int]:
    """Parameters of each top-level child of ``model``, e.g. {'features': ..., 'classifier': ...}."""
    return {name: count_parameters(child) for name, child in model.named_children()}


def conv_weight_count(module: nn.Module) -> int:
    """The number of convolution weights (kernels only, no biases or batch-norm) in ``module``."""
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))


def multiply_adds(model: nn.Module, input_shape: tuple[int, ...]) -> int:
    """Multiply-adds of one forward pass ("FLOPs" as He et al. 2015 count them): PyTorch's FLOP count / 2.

    ``FlopCounterMode`` counts a multiply and an add as two FLOPs, in convolutions and matrix products.
    Works on a model built on the meta device (``with torch.device("meta"): ...``), so even VGG-16 costs nothing.
    """
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.zeros(input_shape, device=next(model.parameters()).device))
    return counter.get_total_flops() // 2
