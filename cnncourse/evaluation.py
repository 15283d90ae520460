"""Scoring a model: ``predict`` its outputs, ``evaluate`` its mean loss and metrics on a dataset.

Below the training loop (``cnncourse.train`` validates with ``evaluate``) and the analyses of trained nets
(``cnncourse.analysis.ablation`` scores nets with blocks deleted), so that neither reaches up into the other.
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
from torch import Tensor, nn

from .data.containers import ImageData, SegmentationData
from .data.transforms import Preprocess
from .errors import InputTypeError, InputValueError
from .loop import Prepare, batches
from .metrics import accuracy
from .precision import autocast_for

Metric = Callable[[Tensor, Tensor], float]


def default_prepare(images: Tensor, targets: Tensor, train: bool = False) -> tuple[Tensor, Tensor]:
    """uint8 images to float 0..1; targets unchanged."""
    return Preprocess()(images, targets, train)


def default_metrics(loss_fn: Callable) -> dict[str, Metric]:
    """Accuracy for a classification loss; none for others (an autoencoder's MSE has no accuracy)."""
    return {"accuracy": accuracy} if isinstance(loss_fn, nn.CrossEntropyLoss) else {}


def as_tensors(data: ImageData | SegmentationData | tuple[Tensor, Tensor]) -> tuple[Tensor, Tensor]:
    """(inputs, targets) of a dataset object or a pair of tensors."""
    if isinstance(data, ImageData):
        return data.images, data.labels
    if isinstance(data, SegmentationData):
        if data.masks is None:
            raise InputValueError(f"{data!r} has no masks, so it cannot be used for training or evaluation.")
        return data.images, data.masks
    if isinstance(data, tuple) and len(data) == 2:
        return data
    raise InputTypeError(f"Expected ImageData, SegmentationData or an (inputs, targets) pair; got {type(data).__name__}.")


@torch.no_grad()
def predict(model: nn.Module, inputs: Tensor, *, prepare: Prepare = default_prepare, batch_size: int = 256,
            device: torch.device | None = None, precision: str = "fp32") -> Tensor:
    """Model outputs for every input (in eval mode), returned on the CPU as float32."""
    device = device or next(model.parameters()).device
    model.eval()
    outputs = []
    for start in range(0, len(inputs), batch_size):
        chunk = inputs[start:start + batch_size].to(device)
        x, _ = prepare(chunk, torch.zeros(len(chunk), device=device), False)
        with autocast_for(device, precision):
            outputs.append(model(x).float().cpu())
    return torch.cat(outputs)


@torch.no_grad()
def evaluate(model: nn.Module, data, *, loss_fn: Callable | None = None, prepare: Prepare = default_prepare,
             metrics: Mapping[str, Metric] | None = None, batch_size: int = 256, device: torch.device | None = None,
             precision: str = "fp32") -> dict[str, float]:
    """Mean loss and metrics of ``model`` on ``data`` (weighted by batch size)."""
    inputs, targets = as_tensors(data)
    device = device or next(model.parameters()).device
    loss_fn = loss_fn or nn.CrossEntropyLoss()
    metrics = default_metrics(loss_fn) if metrics is None else metrics
    model.eval()
    totals = {"loss": 0.0, **{name: 0.0 for name in metrics}}
    for x_raw, y_raw in batches(inputs, targets, batch_size, shuffle=False):
        x, y = prepare(x_raw.to(device), y_raw.to(device), False)
        with autocast_for(device, precision):
            y_hat = model(x).float()
        totals["loss"] += float(loss_fn(y_hat, y)) * len(x)
        for name, metric in metrics.items():
            totals[name] += float(metric(y_hat, y)) * len(x)
    return {name: total / len(inputs) for name, total in totals.items()}
