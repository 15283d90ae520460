"""Transfer learning: reuse a network trained on one task for another.

Three ways to train for a new target task, compared in the course on the same data and budget:

- ``scratch``: the same architecture, freshly initialized, every layer trained;
- ``feature_extraction`` (classic transfer learning): the pretrained convolutional body is frozen,
  weights and batch-norm statistics alike, and only a new head is trained;
- ``fine_tuning``: the pretrained body and a new head are all trained, the body at a smaller
  learning rate (``lr_multipliers``) so that its features are adjusted rather than overwritten.

The ImageNet VGG-16 of torchvision is loaded only from the torch cache, or downloaded when asked:
without its weights ``load_imagenet_vgg16`` says so and raises, and never falls back to random weights.
"""

from __future__ import annotations

import copy
import os
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence
from urllib.parse import urlparse

import torch
from torch import Tensor, nn

from .data.containers import ImageData
from .errors import CourseError
from .train import History, Prepare, default_prepare, evaluate, fit, weights_fingerprint

MODES = ("scratch", "feature_extraction", "fine_tuning")
PRETRAINED_LR_FACTOR = 0.1  # fine-tuning trains the pretrained body 10x slower than the new head


class WeightsUnavailableError(CourseError, FileNotFoundError):
    """Pretrained weights are neither in the local cache nor allowed to be downloaded."""


def freeze(module: nn.Module) -> nn.Module:
    """Stop training every parameter of ``module`` (requires_grad=False); returns it."""
    for parameter in module.parameters():
        parameter.requires_grad_(False)
    return module


def unfreeze(module: nn.Module) -> nn.Module:
    """Train every parameter of ``module`` again (requires_grad=True); returns it."""
    for parameter in module.parameters():
        parameter.requires_grad_(True)
    return module


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """{'trainable': ..., 'frozen': ..., 'total': ...} parameters of ``model``."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    frozen = sum(p.numel() for p in model.parameters() if not p.requires_grad)
    return {"trainable": trainable, "frozen": frozen, "total": trainable + frozen}


def reinitialize(module: nn.Module) -> nn.Module:
    """Fresh random weights (and batch-norm statistics) for every layer of ``module``; returns it."""
    for layer in module.modules():
        if hasattr(layer, "reset_parameters"):
            layer.reset_parameters()
    return module


def _is_frozen(module: nn.Module) -> bool:
    parameters = list(module.parameters())
    return bool(parameters) and not any(p.requires_grad for p in parameters)


class TransferModel(nn.Module):
    """A (pretrained) ``body`` and a new ``head``. Frozen batch-norm layers stay in eval mode when training.

    A frozen batch-norm layer in train mode would still overwrite its running statistics and
    normalize with each batch's statistics: the "frozen" features would change after all.
    """

    def __init__(self, body: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.body = body
        self.head = head
        self.train()  # frozen batch-norm layers to eval mode from the start

    def train(self, mode: bool = True) -> "TransferModel":
        super().train(mode)
        for layer in self.modules():
            if isinstance(layer, nn.modules.batchnorm._BatchNorm) and _is_frozen(layer):
                layer.eval()
        return self

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.body(x))  # (N, num_classes)


def _last_linear(module: nn.Module) -> nn.Linear:
    linears = [m for m in module.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError(f"{type(module).__name__} has no linear layer to replace.")
    return linears[-1]


def new_head(in_features: int, num_classes: int) -> nn.Sequential:
    """A fresh head for a feature map of ``in_features`` channels: global average pool, linear."""
    return nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(in_features, num_classes))


def transfer_model(source: nn.Module, mode: str, num_classes: int) -> TransferModel:
    """A copy of ``source.features`` with a new head for ``num_classes``, prepared for ``mode`` (see MODES)."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
    if not hasattr(source, "features") or not hasattr(source, "head"):
        raise ValueError(f"The source model needs .features and .head (like models.VGG); got {type(source).__name__}.")
    body = copy.deepcopy(source.features)
    if mode == "scratch":
        reinitialize(body)
    elif mode == "feature_extraction":
        freeze(body)
    else:
        unfreeze(body)
    head = new_head(_last_linear(source.head).in_features, num_classes)
    return TransferModel(body, head)


def lr_multipliers_for(mode: str, factor: float = PRETRAINED_LR_FACTOR) -> dict[str, float] | None:
    """The ``fit(lr_multipliers=...)`` of each mode: only fine-tuning slows down the pretrained body."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}; got {mode!r}.")
    return {"body": factor} if mode == "fine_tuning" else None


@dataclass(frozen=True)
class TransferSettings:
    """How each target model is trained: the same for every mode, so only the starting point differs."""

    lr: float = 0.05
    batch_size: int = 32
    epochs: int = 30  # passes over the target images, with at least ``min_steps`` optimizer steps
    min_steps: int = 60
    weight_decay: float = 5e-4
    seed: int = 0

    def steps_for(self, num_images: int) -> int:
        """Optimizer steps for ``num_images`` target images."""
        return max(self.min_steps, self.epochs * -(-num_images // self.batch_size))


def train_target(source: nn.Module, mode: str, train_data: ImageData, *, settings: TransferSettings,
                 prepare: Prepare = default_prepare, cache_name: str | None = None,
                 progress: bool = False) -> tuple[TransferModel, History]:
    """Build the ``mode`` model from ``source`` and train it on ``train_data``."""
    model = transfer_model(source, mode, train_data.num_classes)
    history = fit(model, train_data, steps=settings.steps_for(len(train_data)), batch_size=settings.batch_size,
                  lr=settings.lr, weight_decay=settings.weight_decay, prepare=prepare, seed=settings.seed,
                  lr_multipliers=lr_multipliers_for(mode), cache_name=cache_name, label=mode, progress=progress)
    return model, history


def compare_transfer(source: nn.Module, train_pool: ImageData, test_data: ImageData, sizes: Sequence[int], *,
                     settings: TransferSettings = TransferSettings(), prepare: Prepare = default_prepare,
                     modes: Sequence[str] = MODES, cache_prefix: str | None = "transfer",
                     progress: bool = False) -> dict[str, dict[int, float]]:
    """Test accuracy of every mode trained on ``n`` labelled images per class, for each n in ``sizes``.

    The subsets are nested (the 50 images of a class are among its 200), and every mode sees the
    same images for the same number of steps.
    """
    source_id = weights_fingerprint(source)[:8]
    results: dict[str, dict[int, float]] = {mode: {} for mode in modes}
    for n in sizes:
        subset = train_pool.subset(n, seed=settings.seed)
        for mode in modes:
            name = f"{cache_prefix}-{mode}-{n}-{source_id}" if cache_prefix else None
            model, _ = train_target(source, mode, subset, settings=settings, prepare=prepare, cache_name=name,
                                    progress=progress)
            results[mode][n] = evaluate(model, test_data, prepare=prepare)["accuracy"]
    return results


# --- ImageNet VGG-16 -----------------------------------------------------------------------------------------


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
            return f"The ImageNet VGG-16 weights are in the torch cache: {self.path}."
        if self.downloadable:
            return f"The ImageNet VGG-16 weights (528 MB) will be downloaded to {self.path}."
        return (f"The ImageNet VGG-16 weights are not here: {self.path} does not exist and they were not "
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


def fine_tune_imagenet_vgg16(train_data: ImageData, test_data: ImageData, *, steps: int, batch_size: int = 32,
                             lr: float = 0.01, download: bool = False,
                             cache_name: str | None = "imagenet-vgg16") -> dict[str, float]:
    """Fine-tune the ImageNet VGG-16 (features at lr / 10) on ``train_data``; its accuracy before and after."""
    model = load_imagenet_vgg16(train_data.num_classes, download=download)
    prepare = ImagenetPrepare()
    before = evaluate(model, test_data, prepare=prepare, batch_size=batch_size)["accuracy"]
    fit(model, train_data, steps=steps, batch_size=batch_size, lr=lr, prepare=prepare,
        lr_multipliers={"features": PRETRAINED_LR_FACTOR}, cache_name=cache_name, label="ImageNet VGG-16")
    after = evaluate(model, test_data, prepare=prepare, batch_size=batch_size)["accuracy"]
    return {"accuracy_new_head_untrained": before, "accuracy_fine_tuned": after}
