"""What happened during training: the loss of every step and the metrics of every epoch."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Mapping

import torch

from .errors import InputValueError


@dataclass
class History:
    """What happened during training: the loss of every step and the metrics of every epoch."""

    label: str = ""
    step_loss: list[float] = field(default_factory=list)
    epochs: dict[str, list[float]] = field(default_factory=dict)  # e.g. {"train_loss": [...], "val_accuracy": [...]}
    seconds: float = 0.0
    images_seen: int = 0
    from_cache: bool = False
    resumed_at_step: int = 0  # where an interrupted run was continued from its resume file (0: trained in one go)

    def log_epoch(self, values: Mapping[str, float]) -> None:
        for name, value in values.items():
            self.epochs.setdefault(name, []).append(float(value))

    def last(self, name: str) -> float:
        """The last recorded value of epoch metric ``name`` (``"train_loss"``, ``"val_accuracy"``, ...)."""
        if name not in self.epochs:
            raise InputValueError(f"No metric {name!r} was recorded; recorded: {sorted(self.epochs)}.")
        return self.epochs[name][-1]

    def smoothed_loss(self, window: int = 10) -> list[float]:
        """The step losses averaged over a sliding window (for plots and fair end-of-training comparisons)."""
        losses = torch.tensor(self.step_loss, dtype=torch.float64)
        if len(losses) < window:
            return losses.tolist()
        return losses.unfold(0, window, 1).mean(1).tolist()

    def final_train_loss(self, last_steps: int = 10) -> float:
        """The mean training loss of the last ``last_steps`` steps."""
        return float(torch.tensor(self.step_loss[-last_steps:]).mean())

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "History":
        return cls(**values)
