"""A small CNN for the first lessons: conv blocks then a linear classifier."""

from __future__ import annotations

from torch import Tensor, nn

from ..errors import InputValueError
from ..validate import expect_image_batch, expect_whole_number
from .parts import PooledLinearHead


class SmallCNN(nn.Module):
    """``len(widths)`` blocks of (3x3 conv, BN optional, ReLU, 2x2 max-pool), global average pool, linear."""

    def __init__(self, *, in_channels: int = 3, num_classes: int = 10, widths: tuple[int, ...] = (32, 64, 128),
                 batch_norm: bool = True) -> None:
        super().__init__()
        expect_whole_number(in_channels, name="in_channels", minimum=1)
        expect_whole_number(num_classes, name="num_classes", minimum=1)
        if not isinstance(widths, (tuple, list)) or not widths:
            raise InputValueError(f"widths must name at least one block's channels, e.g. widths=(32, 64); got {widths!r}.")
        for width in widths:
            expect_whole_number(width, name="each of widths", minimum=1)
        self.in_channels = in_channels
        self.smallest_input = 2 ** len(widths)  # each block halves the image
        layers: list[nn.Module] = []
        channels = in_channels
        for width in widths:
            layers += [nn.Conv2d(channels, width, 3, padding=1, bias=not batch_norm)]
            layers += [nn.BatchNorm2d(width)] if batch_norm else []
            layers += [nn.ReLU(inplace=True), nn.MaxPool2d(2)]
            channels = width
        self.features = nn.Sequential(*layers)
        self.head = PooledLinearHead(channels, num_classes)

    def forward_features(self, x: Tensor) -> Tensor:
        expect_image_batch(x, channels=self.in_channels, who=type(self).__name__, smallest=self.smallest_input)
        return self.features(x)  # (N, widths[-1], H / 2^len(widths), W / 2^len(widths))

    def forward_head(self, features: Tensor) -> Tensor:
        return self.head(features)  # (N, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        return self.forward_head(self.forward_features(x))


def small_cnn(*, in_channels: int = 3, num_classes: int = 10, **kwargs) -> SmallCNN:
    """The course's small CNN (32-64-128 channels)."""
    return SmallCNN(in_channels=in_channels, num_classes=num_classes, **kwargs)
