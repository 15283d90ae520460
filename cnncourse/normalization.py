"""Input normalization: compare input scalings in training, and fold normalization into a first conv layer."""

from __future__ import annotations

import math
from typing import Callable, Mapping

import torch
from torch import Tensor, nn

from .config import seed_everything
from .data.containers import ImageData
from .data.stats import standardizer
from .train import History, Prepare, evaluate, fit


def train_each(build_model: Callable[[], nn.Module], train_data, runs: Mapping[str, Mapping[str, object]], *,
               seed: int = 0, **common_options) -> dict[str, History]:
    """Train a freshly built model (same seed, so same initial weights and batches) once per run.

    ``runs`` maps a run's name to the ``fit`` options it changes (e.g. ``{"prepare": ..., "lr": ...}``);
    every other option comes from ``common_options``.
    """
    histories = {}
    for name, options in runs.items():
        seed_everything(seed)
        model = build_model()
        histories[name] = fit(model, train_data, seed=seed, label=name, **{**common_options, **options})
    return histories


def final_losses(histories: Mapping[str, History], *, last_steps: int = 20) -> dict[str, float]:
    """Mean training loss over the last ``last_steps`` steps of each run; a diverged run (NaN or inf) counts as inf."""
    losses = {name: history.final_train_loss(last_steps) for name, history in histories.items()}
    return {name: loss if math.isfinite(loss) else math.inf for name, loss in losses.items()}


def first_layer_gradient_norm(model: nn.Module, images: Tensor, labels: Tensor, prepare: Prepare) -> float:
    """Norm of the loss gradient with respect to the first conv layer's weights, for one batch."""
    first_conv = next(module for module in model.modules() if isinstance(module, nn.Conv2d))
    model.zero_grad(set_to_none=True)
    x, y = prepare(images, labels, False)
    nn.functional.cross_entropy(model(x), y).backward()
    norm = float(first_conv.weight.grad.norm())
    model.zero_grad(set_to_none=True)
    return norm


def fold_normalization(conv: nn.Conv2d, mean: tuple[float, ...], std: tuple[float, ...]) -> nn.Conv2d:
    """A conv layer that gives on 0..1 input what ``conv`` gives on per-channel standardized input.

    conv((x - m) / s) = sum W · (x - m) / s + b = sum (W / s) · x + (b - sum W · m / s):
    new weights W / s, new bias b - sum W · m / s. Exact away from the border; at the border the
    zero padding differs (zero in standardized units is the mean colour, in 0..1 units it is black).
    """
    mean_t = torch.as_tensor(mean, dtype=conv.weight.dtype).view(1, -1, 1, 1)  # (1, C_in, 1, 1)
    std_t = torch.as_tensor(std, dtype=conv.weight.dtype).view(1, -1, 1, 1)
    if mean_t.shape[1] != conv.in_channels or std_t.shape[1] != conv.in_channels:
        raise ValueError(f"mean and std need {conv.in_channels} values, one per input channel of the conv layer.")
    if conv.groups != 1:
        raise ValueError("fold_normalization handles ordinary convolutions (groups=1) only.")
    folded = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, stride=conv.stride,
                       padding=conv.padding, dilation=conv.dilation, bias=True)
    with torch.no_grad():
        weight = conv.weight / std_t  # (C_out, C_in, k, k)
        bias = conv.bias if conv.bias is not None else torch.zeros(conv.out_channels)
        folded.weight.copy_(weight)
        folded.bias.copy_(bias - (weight * mean_t).sum(dim=(1, 2, 3)))
    return folded


def train_and_test_each(build_model: Callable[[int, int], nn.Module],
                        datasets: Mapping[str, tuple[ImageData, ImageData]], *, seed: int = 0,
                        **fit_options) -> dict[str, float]:
    """Train ``build_model(in_channels, num_classes)`` on each (train, test) pair; return each test accuracy.

    Each run standardizes its input with the statistics of its own training images.
    """
    scores = {}
    for name, (train_data, test_data) in datasets.items():
        seed_everything(seed)
        model = build_model(train_data.images.shape[1], train_data.num_classes)
        prepare = standardizer(train_data)
        fit(model, train_data, prepare=prepare, seed=seed, label=name, **fit_options)
        scores[name] = evaluate(model, test_data, prepare=prepare)["accuracy"]
    return scores
