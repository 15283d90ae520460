"""How big a network is: parameters (in total, per part, in convolution kernels), multiply-adds, and the measured
time of one forward pass."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from ..errors import InputTypeError, InputValueError
from ..validate import is_real_scalar


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


def forward_seconds(model: nn.Module, input_shape: tuple[int, ...], *, min_run_time: float = 0.2) -> float:
    """Seconds of one forward pass of ``model`` on zeros of ``input_shape``, without autograd, by PyTorch's own
    timer (``torch.utils.benchmark.Timer``: warm-up passes first, a GPU synchronized, the course's thread count):
    the median over blocks of passes timed for ``min_run_time`` seconds in all. A measurement: it varies with the
    machine, its load and the threads."""
    if not isinstance(model, nn.Module):
        raise InputTypeError(f"forward_seconds expects a model (a torch.nn.Module); got {type(model).__name__}.")
    if not is_real_scalar(min_run_time):
        raise InputTypeError(f"forward_seconds: min_run_time is a number of seconds; got {min_run_time!r}.")
    if not min_run_time > 0:
        raise InputValueError(f"forward_seconds: min_run_time must be positive, e.g. 0.2 seconds; got {min_run_time}.")
    x = torch.zeros(input_shape, device=next(model.parameters()).device)
    # imported here, not with the module: torch.utils.benchmark loads cpp_extension, which warns on stderr on a
    # machine with a CUDA toolkit but no GPU (Colab's CPU runtime), in every notebook that imports the course
    from torch.utils import benchmark

    timer = benchmark.Timer("model(x)", globals={"model": model, "x": x}, num_threads=torch.get_num_threads())
    with torch.inference_mode():
        return timer.blocked_autorange(min_run_time=min_run_time).median
