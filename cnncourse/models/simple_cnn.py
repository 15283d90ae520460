"""A small CNN for the first lessons: conv blocks then a linear classifier."""

from __future__ import annotations

from ..errors import InputValueError
from ..validate import expect_whole_number
from .vgg import VGG


class SmallCNN(VGG):
    """``len(widths)`` blocks of (3x3 conv, BN optional, ReLU, 2x2 max-pool), global average pool, linear: the
    VGG whose configuration is ``[widths[0], "M", widths[1], "M", ...]``."""

    def __init__(self, *, in_channels: int = 3, num_classes: int = 10, widths: tuple[int, ...] = (32, 64, 128),
                 batch_norm: bool = True) -> None:
        expect_whole_number(in_channels, name="in_channels", minimum=1)
        if not isinstance(widths, (tuple, list)) or not widths:
            raise InputValueError(f"widths must name at least one block's channels, e.g. widths=(32, 64); got {widths!r}.")
        for width in widths:
            expect_whole_number(width, name="each of widths", minimum=1)
        cfg = [item for width in widths for item in (width, "M")]
        super().__init__(cfg, in_channels=in_channels, num_classes=num_classes, batch_norm=batch_norm)


def small_cnn(*, in_channels: int = 3, num_classes: int = 10, **kwargs) -> SmallCNN:
    """The course's small CNN (32-64-128 channels)."""
    return SmallCNN(in_channels=in_channels, num_classes=num_classes, **kwargs)
