"""Metrics on model outputs: classification here; segmentation and image quality join them."""

from __future__ import annotations

import torch
from torch import Tensor

from ..validate import expect_labels


def accuracy(y_hat: Tensor, y: Tensor) -> float:
    """Fraction of items whose highest-scoring class equals the label. y_hat (N, K, ...), y (N, ...)."""
    expect_labels(y, batch_size=y_hat.shape[0], who="accuracy", ndim=y_hat.ndim - 1)
    return (y_hat.argmax(1) == y).float().mean().item()


def confusion_matrix(y_hat: Tensor, y: Tensor, num_classes: int) -> Tensor:
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    expect_labels(y, batch_size=y_hat.shape[0], who="confusion_matrix")
    predicted = y_hat.argmax(1)
    return torch.bincount(y * num_classes + predicted, minlength=num_classes**2).view(num_classes, num_classes)
