"""Results over seeds: a ``Spread`` of one number per seed, and running an experiment for each seed.

A difference between two methods counts only if it is larger than the difference between two seeds of the
same method; one seed on one machine is a coin toss.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from ..errors import InputValueError


SEEDS = (0, 1, 2)  # the course's default: enough to see the spread, cheap enough for a laptop


@dataclass(frozen=True)
class Spread:
    """Values of one quantity, one per seed."""

    values: tuple[float, ...]

    @property
    def mean(self) -> float:
        return sum(self.values) / len(self.values)

    @property
    def std(self) -> float:
        """The sample standard deviation across seeds (0 for a single seed)."""
        if len(self.values) < 2:
            return 0.0
        return math.sqrt(sum((v - self.mean) ** 2 for v in self.values) / (len(self.values) - 1))

    @property
    def lowest(self) -> float:
        return min(self.values)

    @property
    def highest(self) -> float:
        return max(self.values)

    def __format__(self, spec: str) -> str:
        spec = spec or ".3g"
        diverged = sum(not math.isfinite(v) for v in self.values)
        if diverged:  # a run that diverged has no finite value to average (final_losses counts it as inf)
            return f"diverged in {diverged} of {len(self.values)} seeds"
        return f"{self.mean:{spec}} ± {self.std:{spec.lstrip('+')}}"

    def __str__(self) -> str:
        return format(self)


def spread(values: Iterable[float]) -> Spread:
    """The ``Spread`` of ``values`` (at least one)."""
    values = tuple(float(v) for v in values)
    if not values:
        raise InputValueError("spread needs at least one value (one per seed).")
    return Spread(values)


def below_in_every_seed(lower: Spread, higher: Spread) -> bool:
    """Whether ``lower`` is below ``higher`` seed by seed (both measured over the same seeds, in the same order)."""
    if len(lower.values) != len(higher.values):
        raise InputValueError(f"Compare spreads over the same seeds: got {len(lower.values)} and {len(higher.values)} values.")
    return all(a < b for a, b in zip(lower.values, higher.values))


def over_seeds(experiment: Callable[[int], Mapping[str, float]], seeds: Sequence[int] = SEEDS) -> dict[str, Spread]:
    """Run ``experiment(seed)`` (named numbers, e.g. an accuracy per method) for every seed; a Spread per name."""
    runs = [experiment(seed) for seed in seeds]
    return {name: spread(run[name] for run in runs) for name in runs[0]}
