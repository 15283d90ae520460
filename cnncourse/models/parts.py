"""Parts every model family shares: the pooled linear classifier head and stage shapes recorded by hooks."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import Tensor, nn

from ..validate import expect_whole_number


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
            raise ValueError(f"A probe records the 'input' or the 'output' of a module; got {side!r}.")
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
