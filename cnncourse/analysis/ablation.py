"""Deleting parts of a trained network: Veit et al. 2016, "Residual Networks Behave Like Ensembles of
Relatively Shallow Networks". Delete one block at a time, or several at random, or swap neighbouring blocks,
and measure what the network still knows."""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
from torch import Tensor, nn

from ..config import course_seed, seeded_generator
from ..errors import InputShapeError, InputTypeError, InputValueError
from ..evaluation import default_prepare, evaluate
from ..loop import Prepare
from ..stored_results import stored_result
from ..validate import expect_whole_number, is_number


def deletion_sweep(model: nn.Module, test, *, prepare: Prepare = default_prepare, precision: str = "fp32",
                   cache_name: str | None = None) -> list[float]:
    """Test accuracy after deleting each block in turn (``model.without_block(i)``), one value per block.

    With a ``cache_name`` a re-run loads the result an earlier run stored for the same net, data and settings.
    """
    _expect_blocks(model, "without_block")
    return stored_result(cache_name, lambda: [evaluate(model.without_block(index), test, prepare=prepare,
                                                       precision=precision)["accuracy"]
                                              for index in range(len(model.blocks))],
                         model, test, prepare, precision)


def random_deletions(model: nn.Module, test, count: int, *, draws: int, generator: torch.Generator,
                     prepare: Prepare = default_prepare, precision: str = "fp32") -> list[float]:
    """Test accuracy after deleting ``count`` blocks chosen at random, for ``draws`` independent choices."""
    _expect_blocks(model, "without_block")
    _expect_draws(count, len(model.blocks), "blocks", draws, generator)
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
    _expect_draws(count, len(pairs), "swappable pairs of neighbouring blocks", draws, generator)
    accuracies = []
    for _ in range(draws):
        shuffled = model
        for pick in torch.randperm(len(pairs), generator=generator)[:count].tolist():  # distinct pairs
            shuffled = shuffled.with_blocks_swapped(pairs[pick])
        accuracies.append(evaluate(shuffled, test, prepare=prepare, precision=precision)["accuracy"])
    return accuracies


def random_damage(models: Mapping[str, nn.Module], test, counts: Sequence[int], *, draws: int, seed: int,
                  prepare: Prepare = default_prepare, precision: str = "fp32",
                  cache_name: str | None = None) -> dict[tuple[str, str], Tensor]:
    """Accuracy after random damage: {(model name, damage): (len(counts), draws)}, damage one of ``DAMAGES``.

    One generator seeded with ``seed`` draws every choice, model by model, damage by damage, count by count.
    With a ``cache_name`` a re-run loads the result an earlier run stored for the same nets, data and settings.
    """
    def measure() -> dict[tuple[str, str], Tensor]:
        generator = seeded_generator(seed)
        return {(name, damage): torch.tensor([damage_model(model, test, count, draws=draws, generator=generator,
                                                           prepare=prepare, precision=precision)
                                              for count in counts])
                for name, model in models.items() for damage, damage_model in DAMAGES.items()}

    return stored_result(cache_name, measure, dict(models), test, tuple(counts), draws, course_seed(seed), prepare,
                         precision)


DAMAGES = {"blocks deleted": random_deletions, "neighbouring pairs swapped": random_swaps}


def _expect_blocks(model: nn.Module, method: str) -> None:
    if not hasattr(model, method):
        raise InputTypeError(f"model: {type(model).__name__} has no {method}(index); use a CifarResNet.")


def _expect_draws(count: object, available: int, what: str, draws: object, generator: object) -> None:
    expect_whole_number(count, name="count", minimum=1)
    expect_whole_number(draws, name="draws", minimum=1)
    if count > available:
        raise InputValueError(f"count={count} asks for more changes than the net has {what} ({available}).")
    if not isinstance(generator, torch.Generator):
        raise InputTypeError(f"generator must be a torch.Generator (cnncourse.config.seeded_generator(seed)); "
                             f"got {generator!r}.")


def kept_skill(accuracies: Sequence[float], intact: float, *, chance: float) -> float:
    """Mean over deletions of (accuracy - chance) / (intact accuracy - chance): 1 = unharmed, 0 = chance."""
    if not accuracies:
        raise InputValueError("accuracies is empty: pass the accuracy after each deletion.")
    _expect_skill_inputs(list(accuracies), intact, chance)
    return (sum(accuracies) / len(accuracies) - chance) / (intact - chance)


def kept_skill_by_count(accuracies: Tensor, intact: float, *, chance: float) -> Tensor:
    """``kept_skill`` for each number of changes: ``accuracies`` (changes, draws) as ``random_damage`` gives them."""
    if not isinstance(accuracies, Tensor) or accuracies.ndim != 2 or accuracies.numel() == 0:
        raise InputShapeError("accuracies must be a tensor (changes, draws) as random_damage returns it; got "
                              f"{type(accuracies).__name__} of shape {tuple(getattr(accuracies, 'shape', ()))}.")
    _expect_skill_inputs(accuracies.flatten().tolist(), intact, chance)
    return (accuracies.mean(1) - chance) / (intact - chance)  # (changes,)


def _expect_skill_inputs(accuracies: list, intact: float, chance: float) -> None:
    if not 0 <= chance < 1:
        raise InputValueError(f"chance is an accuracy in 0..1 (0.1 for ten classes); got {chance}.")
    if not all(is_number(a) and 0 <= a <= 1 for a in [*accuracies, intact]):
        raise InputValueError(f"accuracies and intact are accuracies in 0..1 (fractions, not percentages); got "
                              f"accuracies {accuracies} and intact {intact!r}.")
    if intact <= chance:
        raise InputValueError(f"The intact net ({intact:.3f}) is no better than chance ({chance:.3f}): nothing to "
                              "keep; intact must be above chance.")
