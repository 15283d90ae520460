"""Metrics on model outputs: classification here; segmentation and image quality join them."""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import InputShapeError
from ..validate import describe, expect_class_labels, expect_whole_number


def accuracy(y_hat: Tensor, y: Tensor) -> float:
    """Fraction of items whose highest-scoring class equals the label. y_hat (N, K, ...), y (N, ...)."""
    expect_class_labels(y_hat, y, who="accuracy")
    return (y_hat.argmax(1) == y).float().mean().item()


def confusion_matrix(y_hat: Tensor, y: Tensor, num_classes: int) -> Tensor:
    """(num_classes, num_classes) counts: row = true class, column = predicted class."""
    expect_whole_number(num_classes, name="num_classes", minimum=1)
    if y_hat.ndim != 2 or y_hat.shape[1] != num_classes:
        raise InputShapeError(f"confusion_matrix expects scores (N, num_classes={num_classes}); it received "
                              f"{describe(y_hat)}. Pass the model's number of classes as num_classes.")
    expect_class_labels(y_hat, y, who="confusion_matrix")
    predicted = y_hat.argmax(1)
    return torch.bincount(y * num_classes + predicted, minlength=num_classes**2).view(num_classes, num_classes)
