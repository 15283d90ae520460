"""How far each output pixel can see: the receptive field of a chain of layers, by rule and by gradient.

The receptive field of a chain of layers follows one rule per layer: a kernel of size k widens the
field by (k - 1) * jump, where jump (the distance in input pixels between neighbouring outputs)
grows by each layer's stride. ``gradient_receptive_field`` checks the rule on real modules:
back-propagate from one output pixel and see which input pixels receive any gradient.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
from torch import Tensor, nn

from ..config import seeded_generator
from ..errors import InputShapeError, InputValueError
from ..validate import describe, expect_whole_number, is_number


# layers that change no spatial geometry: they act on each pixel on its own
_POINTWISE = (nn.ReLU, nn.BatchNorm2d, nn.Identity, nn.Dropout, nn.Dropout2d, nn.Sigmoid, nn.Tanh, nn.LeakyReLU)


def _as_pair(value: int | tuple[int, ...]) -> int:
    if isinstance(value, tuple):
        if len(set(value)) != 1:
            raise InputValueError(f"Only square kernels, strides and dilations are supported; got {value}.")
        return value[0]
    return value


def _chain(layers: nn.Module | Sequence[nn.Module]) -> Iterator[tuple[str, nn.Module]]:
    """The leaf layers of a chain, in order; containers other than nn.Sequential are not chains."""
    items = layers.named_children() if isinstance(layers, nn.Module) else ((str(i), m) for i, m in enumerate(layers))
    for name, module in items:
        if isinstance(module, nn.Sequential):
            for inner_name, inner in _chain(module):
                yield f"{name}.{inner_name}", inner
        elif len(list(module.children())) == 0:
            yield name, module
        else:
            raise InputValueError(f"Layer {name} ({type(module).__name__}) is not a plain chain of layers: "
                             "the receptive-field rule needs one path (measure branches with gradient_receptive_field).")


@dataclass(frozen=True)
class FieldStep:
    """The receptive field (input pixels across) and jump (input pixels between outputs) after one layer."""

    name: str
    layer: str
    receptive_field: int
    jump: int


def receptive_fields(layers: nn.Module | Sequence[nn.Module]) -> list[FieldStep]:
    """The receptive field after each convolution or pooling layer of a chain (an nn.Sequential)."""
    if isinstance(layers, nn.Module) and len(list(layers.children())) == 0:
        layers = [layers]
    field, jump, steps = 1, 1, []
    for name, layer in _chain(layers):
        if isinstance(layer, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            kernel, stride = _as_pair(layer.kernel_size), _as_pair(layer.stride)
            dilation = _as_pair(getattr(layer, "dilation", 1))
            field += (kernel - 1) * dilation * jump
            jump *= stride
            steps.append(FieldStep(name, type(layer).__name__, field, jump))
        elif not isinstance(layer, _POINTWISE):
            raise InputValueError(f"Layer {name} ({type(layer).__name__}) has no receptive-field rule here.")
    return steps


def receptive_field(layers: nn.Module | Sequence[nn.Module]) -> int:
    """How many input pixels across one output pixel of a chain of layers depends on."""
    steps = receptive_fields(layers)
    return steps[-1].receptive_field if steps else 1


def gradient_receptive_field(model: nn.Module, *, in_channels: int, size: int = 33, samples: int = 4,
                             seed: int = 0) -> Tensor:
    """|d output(centre pixel) / d input| summed over channels and ``samples`` random inputs: (size, size).

    Non-zero entries are the input pixels that the centre output pixel depends on. Random inputs
    (rather than one) make it unlikely that a ReLU switched off by chance hides a dependence.
    """
    for name, value in (("in_channels", in_channels), ("size", size), ("samples", samples)):
        expect_whole_number(value, name=name, minimum=1)
    generator = seeded_generator(seed)
    x = torch.randn(samples, in_channels, size, size, generator=generator, requires_grad=True)
    was_training = model.training
    model.eval()
    try:
        y = model(x)  # (samples, C_out, H_out, W_out)
        if y.ndim != 4:
            raise InputValueError(f"gradient_receptive_field needs a model that outputs feature maps (N, C, H, W); "
                             f"got shape {tuple(y.shape)}.")
        y[:, :, y.shape[2] // 2, y.shape[3] // 2].sum().backward()
    finally:
        model.train(was_training)
    return x.grad.abs().sum(dim=(0, 1))  # (size, size)


def nonzero_extent(grad_map: Tensor, *, tolerance: float = 0.0) -> tuple[int, int]:
    """(height, width) of the bounding box of the entries of a 2-D map larger than ``tolerance``."""
    if not isinstance(grad_map, Tensor) or grad_map.ndim != 2:
        raise InputShapeError(f"grad_map must be a 2-D map (H, W), as gradient_receptive_field returns; got "
                              f"{describe(grad_map)}.")
    if not is_number(tolerance) or not tolerance >= 0:
        raise InputValueError(f"tolerance must be a number of 0 or more (entries above it count); got {tolerance!r}.")
    rows = torch.nonzero(grad_map.abs().amax(dim=1) > tolerance)
    cols = torch.nonzero(grad_map.abs().amax(dim=0) > tolerance)
    if len(rows) == 0:
        return 0, 0
    return int(rows.max() - rows.min() + 1), int(cols.max() - cols.min() + 1)
