"""Parts every model family shares: conv-norm-ReLU layers, the body-then-head classifier with its pooled linear
head, and stage shapes recorded by hooks."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from ..errors import InputValueError
from ..validate import expect_image_batch, expect_whole_number


def conv_norm_relu(in_channels: int, out_channels: int, kernel_size: int = 3, *, padding: int | None = None,
                   batch_norm: bool = True) -> list[nn.Module]:
    """A convolution (same-padded unless ``padding`` says otherwise), batch norm if asked, ReLU.

    The convolution has a bias only without batch norm, whose shift would cancel it.
    """
    padding = kernel_size // 2 if padding is None else padding
    layers: list[nn.Module] = [nn.Conv2d(in_channels, out_channels, kernel_size, padding=padding, bias=not batch_norm)]
    layers += [nn.BatchNorm2d(out_channels)] if batch_norm else []
    return layers + [nn.ReLU(inplace=True)]


class BodyAndHead(nn.Module):
    """A classifier in two parts, as in timm: ``forward_features`` (the convolutional body, ``features``) and
    ``forward_head`` (pooling and the classifier, ``head``). Subclasses set ``features``, ``head``, ``in_channels``
    and, where the body halves its input k times, ``smallest_input = 2**k``."""

    in_channels: int
    smallest_input: int = 1

    def forward_features(self, x: Tensor) -> Tensor:
        expect_image_batch(x, channels=self.in_channels, who=type(self).__name__, smallest=self.smallest_input)
        return self.features(x)  # (N, last width, H / 2^pools, W / 2^pools)

    def forward_head(self, features: Tensor) -> Tensor:
        return self.head(features)  # (N, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))


class PooledLinearHead(nn.Sequential):
    """Global average pool, flatten, one linear layer: (N, C, H, W) -> (N, num_classes)."""

    def __init__(self, in_channels: int, num_classes: int) -> None:
        expect_whole_number(num_classes, name="num_classes", minimum=1)
        super().__init__(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_channels, num_classes))


Probe = tuple[str, nn.Module, str]  # (stage name, module, "input" or "output")


@torch.no_grad()
def record_shapes(model: nn.Module, x: Tensor, probes: Sequence[Probe]) -> list[tuple[str, tuple[int, ...]]]:
    """Run ``model(x)`` once and return (stage name, shape) at each probe, in the order they were computed.

    Forward hooks watch the modules, so ``forward`` stays free of bookkeeping; each module must run once.
    """
    entries: dict[int, list[tuple[str, str]]] = {}
    modules: dict[int, nn.Module] = {}
    for name, module, side in probes:
        if side not in ("input", "output"):
            raise InputValueError(f"A probe records the 'input' or the 'output' of a module; got {side!r}.")
        entries.setdefault(id(module), []).append((name, side))
        modules[id(module)] = module
    shapes: list[tuple[str, tuple[int, ...]]] = []

    def hook(module: nn.Module, inputs: tuple, output: Tensor) -> None:
        for name, side in entries[id(module)]:
            shapes.append((name, tuple((inputs[0] if side == "input" else output).shape)))

    handles = [module.register_forward_hook(hook) for module in modules.values()]
    try:
        model(x)
    finally:
        for handle in handles:
            handle.remove()
    return shapes
