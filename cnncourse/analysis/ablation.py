"""Deleting parts of a trained network: Veit et al. 2016, "Residual Networks Behave Like Ensembles of
Relatively Shallow Networks". Delete one block at a time and measure what the network still knows."""

from __future__ import annotations

from typing import Sequence

from torch import nn

from ..train import Prepare, default_prepare, evaluate


def deletion_sweep(model: nn.Module, test, *, prepare: Prepare = default_prepare, precision: str = "fp32") -> list[float]:
    """Test accuracy after deleting each block in turn (``model.without_block(i)``), one value per block."""
    if not hasattr(model, "without_block"):
        raise TypeError(f"{type(model).__name__} has no without_block(index); use a CifarResNet.")
    return [evaluate(model.without_block(index), test, prepare=prepare, precision=precision)["accuracy"]
            for index in range(len(model.blocks))]


def kept_skill(accuracies: Sequence[float], intact: float, *, chance: float) -> float:
    """Mean over deletions of (accuracy - chance) / (intact accuracy - chance): 1 = unharmed, 0 = chance."""
    if intact <= chance:
        raise ValueError(f"The intact net ({intact:.3f}) is no better than chance ({chance:.3f}): nothing to keep.")
    return (sum(accuracies) / len(accuracies) - chance) / (intact - chance)
