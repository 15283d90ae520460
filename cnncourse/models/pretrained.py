"""torchvision's ImageNet VGG-16, loaded only from the torch cache or downloaded when asked.

Without its weights ``load_imagenet_vgg16`` says so and raises, and never falls back to random weights.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable
from urllib.parse import urlparse

import torch
from torch import Tensor, nn

from ..config import shown_path
from ..errors import WeightsUnavailableError


def imagenet_weights_path() -> Path:
    """Where torchvision keeps the ImageNet VGG-16 weights: $TORCH_HOME/hub/checkpoints/vgg16-397923af.pth."""
    from torchvision.models import VGG16_Weights

    filename = os.path.basename(urlparse(VGG16_Weights.IMAGENET1K_V1.url).path)
    return Path(torch.hub.get_dir()) / "checkpoints" / filename


def can_reach(url: str, timeout: float = 5.0) -> bool:
    """Whether a HEAD request to ``url`` succeeds within ``timeout`` seconds."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, method="HEAD"), timeout=timeout):
            return True
    except OSError:
        return False


@dataclass(frozen=True)
class WeightsStatus:
    """Whether the ImageNet VGG-16 weights can be used here, and why not."""

    cached: bool
    downloadable: bool
    path: Path

    @property
    def usable(self) -> bool:
        return self.cached or self.downloadable

    def explain(self) -> str:
        """A sentence for the learner."""
        if self.cached:
            return f"The ImageNet VGG-16 weights are in the torch cache: {shown_path(self.path)}."
        if self.downloadable:
            return f"The ImageNet VGG-16 weights (528 MB) will be downloaded to {shown_path(self.path)}."
        return (f"The ImageNet VGG-16 weights are not here: {shown_path(self.path)} does not exist and they were not "
                "downloaded (no internet connection, or this profile does not download 528 MB). "
                "The ImageNet section is skipped; nothing replaces the weights. To run it, use the full "
                "profile with internet access, or copy vgg16-397923af.pth into that folder.")


def imagenet_weights_status(*, allow_download: bool = False) -> WeightsStatus:
    """Are the ImageNet VGG-16 weights cached, or (only if ``allow_download``) reachable for download?"""
    from torchvision.models import VGG16_Weights

    path = imagenet_weights_path()
    cached = path.is_file()
    downloadable = not cached and allow_download and can_reach(VGG16_Weights.IMAGENET1K_V1.url)
    return WeightsStatus(cached, downloadable, path)


def load_imagenet_vgg16(num_classes: int | None = None, *, download: bool = False) -> nn.Module:
    """torchvision's VGG-16 with ImageNet weights; with ``num_classes`` its last layer replaced by a new one.

    Raises WeightsUnavailableError when the weights are not cached and ``download`` is False.
    """
    from torchvision.models import VGG16_Weights, vgg16

    status = imagenet_weights_status()
    if not status.cached and not download:
        raise WeightsUnavailableError(status.explain())
    model = vgg16(weights=VGG16_Weights.IMAGENET1K_V1, progress=False)
    if num_classes is not None:
        old = model.classifier[6]
        model.classifier[6] = nn.Linear(old.in_features, num_classes)  # 4096 -> num_classes, freshly initialized
    return model


@dataclass(frozen=True)
class ImagenetPrepare:
    """A uint8 batch turned into what the ImageNet weights expect: resized, centre-cropped, standardized."""

    def __call__(self, images: Tensor, labels: Tensor, train: bool = False) -> tuple[Tensor, Tensor]:
        from torchvision.models import VGG16_Weights

        transform: Callable[[Tensor], Tensor] = VGG16_Weights.IMAGENET1K_V1.transforms()
        return transform(images), labels  # (N, 3, 224, 224) float, ImageNet mean/std
