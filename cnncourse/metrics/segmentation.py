"""Metrics of a binary segmentation (1 = foreground, here cell interior) against its label mask.

Masks are (H, W) or a stack (N, H, W), as tensors or NumPy arrays of 0/1 or booleans. Pixel
error, IoU and Dice pool all pixels of the stack; the Rand error is computed per slice and averaged.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from scipy import ndimage
from skimage.measure import label as connected_components
from skimage.metrics import adapted_rand_error
from skimage.segmentation import expand_labels
from torch import Tensor

from ..errors import InputShapeError, InputValueError
from ..text_table import text_table
from ..validate import is_real_scalar

Mask = Tensor | np.ndarray


def _as_bool(mask: Mask, name: str) -> np.ndarray:
    array = mask.detach().cpu().numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if array.ndim not in (2, 3):
        raise InputShapeError(f"{name} must be a mask (H, W) or a stack (N, H, W); got shape {array.shape}.")
    if array.dtype != bool and not np.isin(array, (0, 1)).all():
        raise InputShapeError(f"{name} must hold only 0 and 1 (or booleans); threshold probabilities first, "
                              "e.g. probability > 0.5.")
    return array.astype(bool)


def _pair(prediction: Mask, target: Mask) -> tuple[np.ndarray, np.ndarray]:
    predicted, true = _as_bool(prediction, "prediction"), _as_bool(target, "target")
    if predicted.shape != true.shape:
        raise InputShapeError(f"prediction {predicted.shape} and target {true.shape} must have the same shape.")
    return predicted, true


def pixel_error(prediction: Mask, target: Mask) -> float:
    """Fraction of pixels whose predicted class differs from the label (1 - pixel accuracy)."""
    predicted, true = _pair(prediction, target)
    return float((predicted != true).mean())


def foreground_iou(prediction: Mask, target: Mask) -> float:
    """Intersection over union of the foreground: |P and T| / |P or T| (1.0 when both are empty)."""
    predicted, true = _pair(prediction, target)
    union = np.logical_or(predicted, true).sum()
    return 1.0 if union == 0 else float(np.logical_and(predicted, true).sum() / union)


def dice(prediction: Mask, target: Mask) -> float:
    """Dice coefficient of the foreground: 2 |P and T| / (|P| + |T|) (1.0 when both are empty)."""
    predicted, true = _pair(prediction, target)
    total = predicted.sum() + true.sum()
    return 1.0 if total == 0 else float(2 * np.logical_and(predicted, true).sum() / total)


def rand_error(prediction: Mask, target: Mask) -> float:
    """Adapted Rand error of the cells (connected components of the foreground), averaged over slices.

    ``skimage.metrics.adapted_rand_error`` with the label's membranes (0) ignored: 0 means every pair
    of pixels is grouped into the same cell in both; merging two cells or splitting one raises it.
    """
    predicted, true = _pair(prediction, target)
    if predicted.ndim == 2:
        predicted, true = predicted[None], true[None]
    errors = [adapted_rand_error(connected_components(t, connectivity=1), connected_components(p, connectivity=1),
                                 ignore_labels=(0,))[0]
              for p, t in zip(predicted, true)]
    return float(np.mean(errors))


def rand_error_of_cells(prediction: Mask, target: Mask) -> float:
    """The Rand error after giving every membrane pixel to its nearest cell, in prediction and label alike.

    ``rand_error`` ignores the label's membranes but not the predicted ones: a predicted membrane pixel inside
    a labelled cell counts as a wrong grouping, so drawing membranes thicker raises it even when every cell is
    right. Here ``skimage.segmentation.expand_labels`` grows each cell over the membranes around it first, so
    only how pixels are grouped into cells counts: a gap that merges two cells, or a wall that splits one.
    """
    predicted, true = _pair(prediction, target)
    if predicted.ndim == 2:
        predicted, true = predicted[None], true[None]
    reach = max(predicted.shape[-2:])  # far enough to reach every membrane pixel

    def cells(mask: np.ndarray) -> np.ndarray:
        return expand_labels(connected_components(mask, connectivity=1), distance=reach)

    return float(np.mean([adapted_rand_error(cells(t), cells(p))[0] for p, t in zip(predicted, true)]))


def segmentation_scores(prediction: Mask, target: Mask) -> dict[str, float]:
    """All four metrics: pixel error, foreground IoU, Dice and Rand error."""
    return {"pixel error": pixel_error(prediction, target), "foreground IoU": foreground_iou(prediction, target),
            "Dice": dice(prediction, target), "Rand error": rand_error(prediction, target)}


def scores_by_threshold(probabilities: Tensor, target: Mask, thresholds: Sequence[float]) -> dict[str, list[float]]:
    """Pixel error, Rand error and Rand error of cells of ``probabilities`` thresholded at each threshold."""
    metrics = {"pixel error": pixel_error, "Rand error": rand_error, "Rand error of cells": rand_error_of_cells}
    predictions = [threshold_probabilities(probabilities, t) for t in thresholds]
    return {name: [metric(p, target) for p in predictions] for name, metric in metrics.items()}


def threshold_probabilities(probabilities: Tensor, threshold: float = 0.5) -> Tensor:
    """Foreground where the predicted probability exceeds ``threshold``: a 0/1 uint8 mask of the same shape."""
    if not is_real_scalar(threshold) or not 0.0 <= threshold <= 1.0:
        raise InputValueError(f"threshold must be a probability between 0 and 1; got {threshold!r}.")
    return (torch.as_tensor(probabilities) > threshold).to(torch.uint8)


# The U-Net paper's ISBI 2012 results (Ronneberger et al. 2015, Table 1) on the challenge's hidden test labels.
PAPER_ISBI2012 = {"warping error": 0.000353, "Rand error": 0.0382, "pixel error": 0.0611}


def distance_to_membrane(mask: Tensor) -> Tensor:
    """For each pixel of masks (N, H, W), its distance in pixels to the nearest labelled membrane pixel."""
    return torch.stack([torch.from_numpy(ndimage.distance_transform_edt(m.numpy() > 0)).float() for m in mask])


def error_breakdown(prediction: Tensor, masks: Tensor, images: Tensor, *, near: float = 2.0,
                    dark_threshold: int) -> dict[str, float]:
    """Where the errors are: the share within ``near`` px of a labelled membrane, and the error rate on
    dark pixels labelled interior (organelles such as mitochondria, darker than ``dark_threshold``).

    ``prediction`` and ``masks`` are stacks (N, H, W) of 0/1, ``images`` the slices (N, 1, H, W) as 0..255.
    """
    predicted, true = _pair(prediction, masks)
    if true.ndim != 3 or not isinstance(images, Tensor) or images.ndim != 4 or \
            (images.shape[0], *images.shape[2:]) != true.shape:
        shape = tuple(images.shape) if isinstance(images, Tensor) else type(images).__name__
        raise InputShapeError(f"error_breakdown expects masks (N, H, W) and their images (N, 1, H, W); got masks "
                              f"{true.shape} and images {shape}.")
    if not is_real_scalar(near) or near < 0:
        raise InputValueError(f"near is a distance in pixels, 0 or more; got {near!r}.")
    if not is_real_scalar(dark_threshold) or not 0 <= dark_threshold <= 255:
        raise InputValueError(f"dark_threshold is a grey level between 0 and 255; got {dark_threshold!r}.")
    masks = torch.from_numpy(true)
    wrong = torch.from_numpy(predicted != true)
    distance = distance_to_membrane(masks)
    dark_interior = masks & (images[:, 0].cpu() <= dark_threshold)
    return {"share of errors near membranes": float((wrong & (distance <= near)).sum() / wrong.sum().clamp_min(1)),
            "share of pixels near membranes": float((distance <= near).float().mean()),
            "error rate on dark interior pixels": float(wrong[dark_interior].float().mean()),
            "share of interior pixels that are dark": float(dark_interior.sum() / masks.bool().sum())}


def format_scores(rows: dict[str, dict[str, float]]) -> str:
    """A text table: one row per method, one column per metric."""
    metrics = list(next(iter(rows.values())))
    return text_table("", metrics, [(name, [f"{scores[metric]:.4f}" for metric in metrics])
                                    for name, scores in rows.items()],
                      label_width=max(len(name) for name in rows), column_width=16)
