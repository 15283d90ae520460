"""A look at a network's codes: project them to 2-D with PCA (an exact SVD) and see whether similar images
lie together (nearest-centroid accuracy)."""

from __future__ import annotations

import torch
from torch import Tensor


def pca_2d(codes: Tensor) -> Tensor:
    """The coordinates of the rows of ``codes`` (N, ...) along their first two principal components: (N, 2)."""
    flat = codes.detach().double().flatten(1)  # (N, D)
    centred = flat - flat.mean(0)
    _, _, directions = torch.linalg.svd(centred, full_matrices=False)  # rows: principal directions, by variance
    return (centred @ directions[:2].T).float()  # (N, 2)


def nearest_centroid_accuracy(points: Tensor, labels: Tensor) -> float:
    """How often a point is nearer to the mean of its own class than to any other class mean (0..1)."""
    classes = labels.unique()
    centroids = torch.stack([points[labels == c].mean(0) for c in classes])  # (K, D)
    nearest = torch.cdist(points.float(), centroids.float()).argmin(1)
    return float((classes[nearest] == labels).float().mean())
