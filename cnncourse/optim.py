"""A recipe's optimizer and learning-rate schedule."""

from __future__ import annotations

from typing import Mapping

import torch
from torch import nn

from .errors import InputValueError
from .recipes import Recipe


def parameter_groups(model: nn.Module, lr: float,
                     lr_multipliers: Mapping[str, float] | None = None) -> list[dict]:
    """The trainable parameters in optimizer groups: ``lr`` times the multiplier of the first matching name prefix.

    ``lr_multipliers={"body": 0.1}`` trains parameters named ``body.*`` at lr / 10 and all others at lr.
    """
    multipliers = dict(lr_multipliers or {})
    groups: dict[float, list[nn.Parameter]] = {}
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        factor = next((f for prefix, f in multipliers.items() if name == prefix or name.startswith(prefix + ".")), 1.0)
        groups.setdefault(float(factor), []).append(parameter)
    unused = [prefix for prefix in multipliers
              if not any(n == prefix or n.startswith(prefix + ".") for n, _ in model.named_parameters())]
    if unused:
        raise InputValueError(f"lr_multipliers names {unused}, but the model has no parameters under that name; "
                         f"its top-level parts are {[n for n, _ in model.named_children()]}.")
    return [{"params": params, "lr": lr * factor} for factor, params in groups.items()]


def make_optimizer(model: nn.Module, recipe: Recipe) -> torch.optim.Optimizer:
    """The recipe's optimizer over the trainable parameters (see ``parameter_groups``)."""
    params = parameter_groups(model, recipe.lr, dict(recipe.lr_multipliers))
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(params, lr=recipe.lr, momentum=recipe.momentum, weight_decay=recipe.weight_decay)
    optimizer = torch.optim.Adam if recipe.optimizer == "adam" else torch.optim.AdamW
    return optimizer(params, lr=recipe.lr, weight_decay=recipe.weight_decay)


def make_schedule(optimizer: torch.optim.Optimizer, schedule: str | tuple[float, ...] | None,
                  total_steps: int) -> torch.optim.lr_scheduler.LRScheduler:
    """None (constant), 'cosine', 'onecycle', or a tuple of fractions of training at which lr is divided by 10."""
    if schedule is None:
        return torch.optim.lr_scheduler.ConstantLR(optimizer, factor=1.0, total_iters=0)
    if schedule == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, max(total_steps, 1))
    if schedule == "onecycle":
        max_lr = [group["lr"] for group in optimizer.param_groups]
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=max_lr, total_steps=max(total_steps, 1))
    if isinstance(schedule, tuple):
        milestones = [int(fraction * total_steps) for fraction in schedule]
        return torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=0.1)
    raise InputValueError(f"Unknown schedule {schedule!r}: use None, 'cosine', 'onecycle' or a tuple of fractions.")
