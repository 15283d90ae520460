"""A look at a network's codes: project them to 2-D with PCA (an exact SVD) and see whether similar images lie together."""

from __future__ import annotations

from typing import Sequence

import torch
from matplotlib.axes import Axes
from torch import Tensor

from .plot import axes_or_new


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


def plot_embedding(points: Tensor, labels: Tensor, *, classes: Sequence[str] | None = None, ax: Axes | None = None,
                   title: str = "") -> Axes:
    """A scatter plot of 2-D points (N, 2), one colour per class, with each class's name at its centre."""
    ax = axes_or_new(ax, (6, 5))
    points, labels = points.detach().cpu().numpy(), labels.cpu().numpy()
    for c in sorted(set(labels.tolist())):
        chosen = points[labels == c]  # (n_c, 2)
        name = classes[c] if classes is not None else str(c)
        ax.scatter(chosen[:, 0], chosen[:, 1], s=6, alpha=0.6, color=f"C{c % 10}", label=name)
        centre = chosen.mean(0)
        ax.annotate(name, (float(centre[0]), float(centre[1])), fontsize=12, weight="bold", ha="center",
                    bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.7})
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(title)
    ax.legend(markerscale=3, fontsize=7, ncol=2)
    return ax
