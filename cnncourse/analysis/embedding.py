"""A look at a network's codes: project them to 2-D with PCA (an exact SVD) and see whether similar images
lie together (nearest-centroid accuracy); how much of the labels a linear classifier can read from the whole
code (a linear probe)."""

from __future__ import annotations

import torch
from torch import Tensor

from ..errors import InputShapeError, InputTypeError, InputValueError
from ..stored_results import stored_result
from ..validate import describe, expect_whole_number, is_number


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


def linear_probe_accuracy(train_codes: Tensor, train_labels: Tensor, test_codes: Tensor, test_labels: Tensor, *,
                          weight_decay: float = 1e-3, steps: int = 200, cache_name: str | None = None) -> float:
    """Test accuracy (0..1) of a linear classifier fitted to the whole codes of the training items.

    The codes are flattened and standardized with the training items' statistics; a softmax regression with
    an L2 penalty is fitted by L-BFGS from zero weights, so the result does not depend on a random seed. How
    well a *linear* readout finds the labels is the usual measure of what a code makes explicit (a "linear
    probe"); raw pixels and an untrained encoder are the baselines to compare it with. With a ``cache_name`` a
    re-run loads the accuracy an earlier run stored for the same codes, labels and settings.
    """
    items = ((train_codes, train_labels), (test_codes, test_labels))
    if not all(isinstance(c, Tensor) and isinstance(y, Tensor) and y.ndim == 1 and len(c) == len(y) > 0
               for c, y in items) or train_codes[0].numel() != test_codes[0].numel():
        raise InputShapeError(f"codes (N, ...) and labels (N,) must describe the same N > 0 items, train and test "
                              f"codes of the same size; got {describe(train_codes)}, {describe(train_labels)}, "
                              f"{describe(test_codes)}, {describe(test_labels)}.")
    if train_labels.is_floating_point() or test_labels.is_floating_point():
        raise InputTypeError(f"train_labels and test_labels must be class numbers (an integer tensor); got "
                             f"{describe(train_labels)} and {describe(test_labels)}. Use labels.long().")
    if not is_number(weight_decay) or not weight_decay >= 0:
        raise InputValueError(f"weight_decay must be a number of 0 or more (1e-3 by default); got {weight_decay!r}.")
    expect_whole_number(steps, name="steps", minimum=1)
    return stored_result(cache_name, lambda: _fit_linear_probe(train_codes, train_labels, test_codes, test_labels,
                                                               weight_decay, steps),
                         train_codes.detach(), train_labels, test_codes.detach(), test_labels, weight_decay, steps)


def _fit_linear_probe(train_codes: Tensor, train_labels: Tensor, test_codes: Tensor, test_labels: Tensor,
                      weight_decay: float, steps: int) -> float:
    train_x, test_x = (codes.detach().double().flatten(1) for codes in (train_codes, test_codes))
    mean, std = train_x.mean(0), train_x.std(0).clamp_min(1e-8)
    train_x, test_x = (train_x - mean) / std, (test_x - mean) / std
    classes = int(max(train_labels.max(), test_labels.max())) + 1
    linear = torch.nn.Linear(train_x.shape[1], classes, dtype=torch.float64)
    torch.nn.init.zeros_(linear.weight), torch.nn.init.zeros_(linear.bias)
    optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=steps, line_search_fn="strong_wolfe")

    def loss() -> Tensor:
        optimizer.zero_grad()
        value = torch.nn.functional.cross_entropy(linear(train_x), train_labels.long())
        value = value + weight_decay * linear.weight.pow(2).sum() / 2
        value.backward()
        return value

    with torch.enable_grad():
        optimizer.step(loss)
    with torch.no_grad():
        return float((linear(test_x).argmax(1) == test_labels.long()).double().mean())
