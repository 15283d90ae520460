"""Transfer learning: reuse a network trained on one task for another.

Three ways to train for a new target task, compared in the course on the same data and budget:

- ``scratch``: the same architecture, freshly initialized, every layer trained;
- ``feature_extraction`` (classic transfer learning): the pretrained convolutional body is frozen,
  weights and batch-norm statistics alike, and only a new head is trained;
- ``fine_tuning``: the pretrained body and a new head are all trained, the body at a smaller
  learning rate (``lr_multipliers``) so that its features are adjusted rather than overwritten.
"""

from __future__ import annotations

import copy

from torch import Tensor, nn

from ..errors import InputValueError
from .parts import PooledLinearHead


MODES = ("scratch", "feature_extraction", "fine_tuning")


PRETRAINED_LR_FACTOR = 0.1  # fine-tuning trains the pretrained body 10x slower than the new head


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
        raise InputValueError(f"{type(module).__name__} has no linear layer to replace.")
    return linears[-1]


def transfer_model(source: nn.Module, mode: str, num_classes: int) -> TransferModel:
    """A copy of ``source.features`` with a new head for ``num_classes``, prepared for ``mode`` (see MODES)."""
    if mode not in MODES:
        raise InputValueError(f"mode must be one of {MODES}; got {mode!r}.")
    if not hasattr(source, "features") or not hasattr(source, "head"):
        raise InputValueError(f"The source model needs .features and .head (like models.VGG); got {type(source).__name__}.")
    body = copy.deepcopy(source.features)
    if mode == "scratch":
        reinitialize(body)
    body.requires_grad_(mode != "feature_extraction")  # feature extraction: the body's weights stay fixed
    head = PooledLinearHead(_last_linear(source.head).in_features, num_classes)
    return TransferModel(body, head)


def lr_multipliers_for(mode: str, factor: float = PRETRAINED_LR_FACTOR) -> dict[str, float] | None:
    """The ``fit(lr_multipliers=...)`` of each mode: only fine-tuning slows down the pretrained body."""
    if mode not in MODES:
        raise InputValueError(f"mode must be one of {MODES}; got {mode!r}.")
    return {"body": factor} if mode == "fine_tuning" else None
