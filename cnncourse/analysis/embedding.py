"""A look at a network's codes: project them to 2-D with PCA (an exact SVD) and see whether similar images
lie together (nearest-centroid accuracy)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import InputShapeError
from ..validate import describe


def pca_2d(codes: Tensor) -> Tensor:
    """The coordinates of the rows of ``codes`` (N, ...) along their first two principal components: (N, 2)."""
    if not isinstance(codes, Tensor) or codes.ndim < 2 or codes.shape[0] < 2 or codes[0].numel() < 2:
        raise InputShapeError(f"codes must hold two or more codes (N, ...) of two or more numbers each; got "
                              f"{describe(codes)}.")
    flat = codes.detach().double().flatten(1)  # (N, D)
    centred = flat - flat.mean(0)
    _, _, directions = torch.linalg.svd(centred, full_matrices=False)  # rows: principal directions, by variance
    return (centred @ directions[:2].T).float()  # (N, 2)


def nearest_centroid_accuracy(points: Tensor, labels: Tensor) -> float:
    """How often a point is nearer to the mean of its own class than to any other class mean (0..1)."""
    if not (isinstance(points, Tensor) and isinstance(labels, Tensor) and points.ndim == 2 and labels.ndim == 1
            and len(points) == len(labels) and len(points) > 0):
        raise InputShapeError(f"points (N, D) and labels (N,) must describe the same N > 0 items; got points "
                              f"{describe(points)} and labels {describe(labels)}.")
    classes = labels.unique()
    centroids = torch.stack([points[labels == c].mean(0) for c in classes])  # (K, D)
    nearest = torch.cdist(points.float(), centroids.float()).argmin(1)
    return float((classes[nearest] == labels).float().mean())
