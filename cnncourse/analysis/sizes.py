"""How big a network is: parameters (in total, per part, in convolution kernels), multiply-adds, and the measured
time of one forward pass."""

from __future__ import annotations

import statistics
import time

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..errors import InputTypeError
from ..validate import expect_whole_number


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


def forward_seconds(model: nn.Module, input_shape: tuple[int, ...], *, repeats: int = 5) -> float:
    """Seconds of one forward pass of ``model`` on zeros of ``input_shape``: the median of ``repeats`` timed passes
    after one untimed warm-up, without autograd. A measurement: it varies with the machine, its load and the threads.
    """
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"forward_seconds expects a model (a torch.nn.Module); got {type(model).__name__}.")
    expect_whole_number(repeats, name="repeats", minimum=1)
    x = torch.zeros(input_shape, device=next(model.parameters()).device)
    seconds = []
    with torch.inference_mode():
        model(x)   # the first pass also chooses kernels and allocates memory
        for _ in range(repeats):
            start = time.perf_counter()
            model(x)
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)
