"""VGG-style networks (Simonyan and Zisserman 2014): stacks of 3x3 convolutions between 2x2 max-pools.

As in torchvision, a variant is data: a list of output widths with ``"M"`` for a max-pool
(``CFGS["vgg_small"] = [32, 32, "M", 64, 64, "M", 128, 128, "M"]``). The course's CIFAR
variants end in global average pooling and one linear layer instead of VGG's three large fully
connected layers, which hold most of the parameters of the ImageNet VGG-16.
"""

from __future__ import annotations

from typing import Sequence

from torch import nn

from ..errors import InputValueError
from ..validate import expect_whole_number
from .parts import BodyAndHead, PooledLinearHead, conv_norm_relu

Cfg = Sequence[int | str]

CFGS: dict[str, list[int | str]] = {
    "vgg_tiny": [16, "M", 32, "M", 64, "M"],
    "vgg_small": [32, 32, "M", 64, 64, "M", 128, 128, "M"],
    "vgg_medium": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M"],
}


def make_layers(cfg: Cfg, *, in_channels: int = 3, batch_norm: bool = True) -> nn.Sequential:
    """3x3 conv (+ BN) + ReLU for every width in ``cfg``, a 2x2 max-pool for every ``"M"``."""
    layers: list[nn.Module] = []
    channels = in_channels
    for item in cfg:
        if item == "M":
            layers.append(nn.MaxPool2d(2))  # halves H and W
            continue
        layers += conv_norm_relu(channels, int(item), batch_norm=batch_norm)
        channels = int(item)
    return nn.Sequential(*layers)


def out_channels_of(cfg: Cfg, in_channels: int = 3) -> int:
    """The width of the last convolution in ``cfg``."""
    widths = [int(item) for item in cfg if item != "M"]
    return widths[-1] if widths else in_channels


class VGG(BodyAndHead):
    """``features`` (the cfg's conv stacks and pools), then ``head``: global average pool, linear."""

    def __init__(self, cfg: Cfg, *, in_channels: int = 3, num_classes: int = 10, batch_norm: bool = True) -> None:
        super().__init__()
        expect_whole_number(in_channels, name="in_channels", minimum=1)
        if not any(item != "M" for item in cfg) or any(item != "M" and (isinstance(item, bool) or not isinstance(
                item, int) or item < 1) for item in cfg):
            raise InputValueError(f"cfg lists convolution widths (whole numbers, at least one) and 'M' for a max-pool, "
                                  f"e.g. [32, 'M', 64, 'M']; got {list(cfg)!r}.")
        self.in_channels = in_channels
        self.smallest_input = 2 ** sum(layer == "M" for layer in cfg)  # each pool halves the image
        self.features = make_layers(cfg, in_channels=in_channels, batch_norm=batch_norm)
        width = out_channels_of(cfg, in_channels)
        self.head = PooledLinearHead(width, num_classes)


def conv_stack(channels: int, *, depth: int, kernel_size: int = 3, bias: bool = False) -> nn.Sequential:
    """``depth`` same-padded ``kernel_size`` convolutions of ``channels`` channels with a ReLU between them."""
    layers: list[nn.Module] = []
    for index in range(depth):
        layers.append(nn.Conv2d(channels, channels, kernel_size, padding=kernel_size // 2, bias=bias))
        if index < depth - 1:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def vgg_tiny(*, in_channels: int = 3, num_classes: int = 10, **kwargs) -> VGG:
    """One 3x3 conv per stage, 16-32-64 channels."""
    return VGG(CFGS["vgg_tiny"], in_channels=in_channels, num_classes=num_classes, **kwargs)


def vgg_small(*, in_channels: int = 3, num_classes: int = 10, **kwargs) -> VGG:
    """Two 3x3 convs per stage, 32-64-128 channels: the course's VGG-style network."""
    return VGG(CFGS["vgg_small"], in_channels=in_channels, num_classes=num_classes, **kwargs)


def vgg_medium(*, in_channels: int = 3, num_classes: int = 10, **kwargs) -> VGG:
    """Two, two and three 3x3 convs per stage, 64-128-256 channels (the first three stages of VGG-16)."""
    return VGG(CFGS["vgg_medium"], in_channels=in_channels, num_classes=num_classes, **kwargs)
