"""The U-Net paper's loss weights (Ronneberger et al. 2015, eq. 2) and the training targets that carry them.

Training targets travel as one float tensor (N, 2, H, W): channel 0 is the mask (1 = cell interior,
0 = membrane), channel 1 the per-pixel loss weight, so that crops, flips and elastic deformations
(``segmentation.SegmentationAugment``) move both together with the image.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from scipy import ndimage
from skimage.measure import label as connected_components
from torch import Tensor

from ..errors import InputValueError
from .cache import cached_tensors, fingerprint
from .containers import SegmentationData


def class_balance_weights(masks: Tensor) -> tuple[float, float]:
    """(weight of class 0, weight of class 1) = 1 / (2 * class frequency), so both classes weigh the same in total."""
    interior = float(masks.float().mean())
    return 1.0 / (2.0 * (1.0 - interior)), 1.0 / (2.0 * interior)


def cell_distances(mask: np.ndarray, reach: float) -> tuple[np.ndarray, np.ndarray]:
    """(d1, d2): distance of every pixel to the nearest and to the second-nearest cell (np.inf beyond ``reach``).

    Cells are the connected components (4-connectivity) of the cell-interior mask. Each cell's distance
    transform is computed only in its bounding box grown by ``reach``; farther pixels count as infinitely far.
    """
    cells = connected_components(mask.astype(bool), connectivity=1)
    d1 = np.full(mask.shape, np.inf)
    d2 = np.full(mask.shape, np.inf)
    grow = int(math.ceil(reach))
    for index, box in enumerate(ndimage.find_objects(cells), start=1):
        if box is None:
            continue
        window = tuple(slice(max(s.start - grow, 0), s.stop + grow) for s in box)
        distance = ndimage.distance_transform_edt(cells[window] != index)  # 0 inside the cell
        distance[distance > reach] = np.inf
        near, second = d1[window], d2[window]
        second[...] = np.minimum(second, np.maximum(near, distance))
        near[...] = np.minimum(near, distance)
    return d1, d2


def border_weight_map(mask: Tensor | np.ndarray, *, w0: float = 10.0, sigma: float = 5.0,
                      class_weights: tuple[float, float] | None = None) -> Tensor:
    """The U-Net loss weight w(x) = w_c(x) + w0 * exp(-(d1 + d2)^2 / (2 sigma^2)) of one mask (H, W).

    w_c balances the two classes (``class_balance_weights`` of this mask unless given); the border term
    is added on membrane pixels, where d1 and d2 are the distances to the nearest and second-nearest cell,
    so thin membranes between two touching cells weigh most.
    """
    mask_np = mask.numpy() if isinstance(mask, Tensor) else np.asarray(mask)
    if mask_np.ndim != 2:
        raise InputValueError(f"border_weight_map expects one mask (H, W); got shape {mask_np.shape}.")
    interior = mask_np.astype(bool)
    w_membrane, w_interior = class_weights or class_balance_weights(torch.from_numpy(interior))
    reach = sigma * math.sqrt(2 * math.log(w0 * 1e5))  # where d1 + d2 > reach the border term is < 1e-5
    d1, d2 = cell_distances(interior, reach)
    border = w0 * np.exp(-((d1 + d2) ** 2) / (2 * sigma**2))  # exp(-inf) = 0 where no two cells are near
    weight = np.where(interior, w_interior, w_membrane + border)
    return torch.from_numpy(weight.astype(np.float32))


def weight_maps(data: SegmentationData, *, w0: float = 10.0, sigma: float = 5.0) -> Tensor:
    """Border-weight maps (N, H, W) of every mask in ``data`` (class weights from all its masks); cached."""
    if data.masks is None:
        raise InputValueError(f"{data!r} has no masks, so it has no weight maps.")
    class_weights = class_balance_weights(data.masks)
    key = fingerprint(data.name, data.ids, int(data.masks.sum()), w0, sigma, class_weights)

    def compute() -> dict:
        maps = [border_weight_map(mask, w0=w0, sigma=sigma, class_weights=class_weights) for mask in data.masks]
        return {"weights": torch.stack(maps)}

    return cached_tensors(f"{data.name}-weights", key, compute)["weights"]


def training_targets(data: SegmentationData, weights: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(images (N, 1, H, W) uint8, targets (N, 2, H, W) float: mask, weight) for ``fit``; weight 1 if none given."""
    if data.masks is None:
        raise InputValueError(f"{data!r} has no masks, so it cannot be used for training.")
    masks = data.masks.float()
    weights = torch.ones_like(masks) if weights is None else weights
    return data.images, torch.stack([masks, weights], dim=1)
