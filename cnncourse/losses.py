"""Losses beyond ``torch.nn``'s: the U-Net paper's pixel-wise cross-entropy weighted by w(x)."""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor
from torchvision.transforms.v2.functional import center_crop

from .errors import InputShapeError, InputValueError
from .validate import describe


@dataclass(frozen=True)
class PixelCrossEntropy:
    """Cross-entropy of every pixel, averaged; with ``border_weights`` each pixel's loss is multiplied by w(x).

    Targets are (B, 2, H, W) (mask, weight) or a mask (B, H, W); they are centre-cropped to the output
    size, so the same loss serves padded and unpadded ('valid') U-Nets.
    """

    border_weights: bool = True

    def __call__(self, logits: Tensor, targets: Tensor) -> Tensor:
        mask, weight = (targets, None) if targets.ndim == 3 else (targets[:, 0], targets[:, 1])
        size = list(logits.shape[-2:])
        if any(have < need for have, need in zip(mask.shape[-2:], size)):
            raise InputShapeError(f"The targets {describe(targets)} are smaller than the outputs {describe(logits)}: "
                                  "give targets at least the outputs' size (they are centre-cropped to it).")
        mask = center_crop(mask, size).long()  # (B, h, w)
        loss = F.cross_entropy(logits, mask, reduction="none")  # (B, h, w)
        if self.border_weights:
            if weight is None:
                raise InputValueError("border_weights=True needs targets (B, 2, H, W) that carry the weight map.")
            loss = loss * center_crop(weight, size)
        return loss.mean()
