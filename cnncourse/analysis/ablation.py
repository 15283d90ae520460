"""Deleting parts of a trained network: Veit et al. 2016, "Residual Networks Behave Like Ensembles of
Relatively Shallow Networks". Delete one block at a time, or several at random, or swap neighbouring blocks,
and measure what the network still knows."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from ..train import Prepare, default_prepare, evaluate


def deletion_sweep(model: nn.Module, test, *, prepare: Prepare = default_prepare, precision: str = "fp32") -> list[float]:
    """Test accuracy after deleting each block in turn (``model.without_block(i)``), one value per block."""
    _expect_blocks(model, "without_block")
    return [evaluate(model.without_block(index), test, prepare=prepare, precision=precision)["accuracy"]
            for index in range(len(model.blocks))]


def random_deletions(model: nn.Module, test, count: int, *, draws: int, generator: torch.Generator,
                     prepare: Prepare = default_prepare, precision: str = "fp32") -> list[float]:
    """Test accuracy after deleting ``count`` blocks chosen at random, for ``draws`` independent choices."""
    _expect_blocks(model, "without_block")
    accuracies = []
    for _ in range(draws):
        pruned = model
        for index in torch.randperm(len(model.blocks), generator=generator)[:count].tolist():
            pruned = pruned.without_block(index)
        accuracies.append(evaluate(pruned, test, prepare=prepare, precision=precision)["accuracy"])
    return accuracies


def random_swaps(model: nn.Module, test, count: int, *, draws: int, generator: torch.Generator,
                 prepare: Prepare = default_prepare, precision: str = "fp32") -> list[float]:
    """Test accuracy after ``count`` exchanges of two neighbouring blocks of the same shape (distinct pairs, at random)."""
    _expect_blocks(model, "with_blocks_swapped")
    pairs = model.swappable_pairs()
    accuracies = []
    for _ in range(draws):
        shuffled = model
        for pick in torch.randperm(len(pairs), generator=generator)[:count].tolist():  # distinct pairs
            shuffled = shuffled.with_blocks_swapped(pairs[pick])
        accuracies.append(evaluate(shuffled, test, prepare=prepare, precision=precision)["accuracy"])
    return accuracies


def _expect_blocks(model: nn.Module, method: str) -> None:
    if not hasattr(model, method):
        raise TypeError(f"{type(model).__name__} has no {method}(index); use a CifarResNet.")


def kept_skill(accuracies: Sequence[float], intact: float, *, chance: float) -> float:
    """Mean over deletions of (accuracy - chance) / (intact accuracy - chance): 1 = unharmed, 0 = chance."""
    if intact <= chance:
        raise ValueError(f"The intact net ({intact:.3f}) is no better than chance ({chance:.3f}): nothing to keep.")
    return (sum(accuracies) / len(accuracies) - chance) / (intact - chance)
