"""Inception-style networks (Szegedy et al. 2015, GoogLeNet): parallel branches of different kernel sizes, concatenated.

An Inception module looks at its input through four branches at once: a 1x1 conv, a 3x3 conv,
a 5x5 receptive field and a 3x3 max-pool, concatenated along the channel axis. GoogLeNet (v1) has a real
5x5 conv there; Inception v2/v3 (Szegedy et al. 2016, section 3.1) factorize it into two stacked 3x3 convs,
as the course's networks do by default. Cheap 1x1 convolutions first reduce the channels that the expensive
branches see (GoogLeNet's Figure 2b; without them, the "naive" module of its Figure 2a).
A network is data: a list of module widths and ``"M"`` pools.
"""

from __future__ import annotations

from typing import NamedTuple, Sequence

import torch
from torch import Tensor, nn

from ..validate import expect_whole_number
from .parts import BodyAndHead, PooledLinearHead, conv_norm_relu


class Widths(NamedTuple):
    """Output channels of each branch of one Inception module, and of its 1x1 reductions."""

    c1: int  # 1x1 branch
    r3: int  # 1x1 reduction before the 3x3
    c3: int  # 3x3 branch
    r5: int  # 1x1 reduction before the stacked 3x3s (a 5x5 receptive field)
    c5: int  # stacked-3x3 branch
    pool: int  # 1x1 projection after the 3x3 max-pool

    @property
    def out_channels(self) -> int:
        return self.c1 + self.c3 + self.c5 + self.pool


GOOGLENET_3A = Widths(c1=64, r3=96, c3=128, r5=16, c5=32, pool=32)  # Szegedy et al. 2015 (GoogLeNet), Table 1, module 3a


def conv_bn_relu(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    """A same-padded conv, batch norm and ReLU."""
    return nn.Sequential(*conv_norm_relu(in_channels, out_channels, kernel_size))


class InceptionModule(nn.Module):
    """Four parallel branches (1x1; 1x1-3x3; 1x1-3x3-3x3; pool-1x1) concatenated along channels.

    ``factorized_5x5=False`` puts GoogLeNet's single 5x5 conv in the third branch; ``reductions=False`` builds
    the naive module (no 1x1 before the 3x3 and 5x5, no projection after the pool, whose ``in_channels``
    then pass straight to the output; the ``r3``, ``r5`` and ``pool`` widths are unused).
    """

    def __init__(self, in_channels: int, widths: Widths | Sequence[int], *, factorized_5x5: bool = True,
                 reductions: bool = True) -> None:
        super().__init__()
        w = Widths(*widths)
        self.widths = w
        into3, into5 = (w.r3, w.r5) if reductions else (in_channels, in_channels)
        reduce3 = [conv_bn_relu(in_channels, w.r3, 1)] if reductions else []
        reduce5 = [conv_bn_relu(in_channels, w.r5, 1)] if reductions else []
        five = [conv_bn_relu(into5, w.c5, 3), conv_bn_relu(w.c5, w.c5, 3)] if factorized_5x5 else [
            conv_bn_relu(into5, w.c5, 5)]
        self.branch1 = conv_bn_relu(in_channels, w.c1, 1)
        self.branch3 = nn.Sequential(*reduce3, conv_bn_relu(into3, w.c3, 3))
        self.branch5 = nn.Sequential(*reduce5, *five)
        project = [conv_bn_relu(in_channels, w.pool, 1)] if reductions else []
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1), *project)
        self.out_channels = w.c1 + w.c3 + w.c5 + (w.pool if reductions else in_channels)

    def forward(self, x: Tensor) -> Tensor:
        branches = [self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)]
        return torch.cat(branches, dim=1)  # (N, c1 + c3 + c5 + pool, H, W)


CFGS: dict[str, list] = {
    # a 3x3 stem of 32 channels, then Inception modules (Widths) and 2x2 max-pools ("M")
    "inception_small": ["M", (32, 32, 48, 16, 32, 16), "M", (64, 64, 96, 24, 48, 32), (80, 64, 112, 24, 48, 48), "M"],
}


class InceptionNet(BodyAndHead):
    """A 3x3 stem, then the cfg's Inception modules and pools, global average pool and a linear layer."""

    def __init__(self, cfg: Sequence, *, in_channels: int = 3, num_classes: int = 10, stem_channels: int = 32) -> None:
        super().__init__()
        expect_whole_number(in_channels, name="in_channels", minimum=1)
        expect_whole_number(stem_channels, name="stem_channels", minimum=1)
        self.in_channels = in_channels
        self.smallest_input = 2 ** sum(item == "M" for item in cfg)  # each pool halves the image
        layers: list[nn.Module] = [conv_bn_relu(in_channels, stem_channels, 3)]
        channels = stem_channels
        for item in cfg:
            if item == "M":
                layers.append(nn.MaxPool2d(2))  # halves H and W
                continue
            module = InceptionModule(channels, item)
            layers.append(module)
            channels = module.out_channels
        self.features = nn.Sequential(*layers)
        self.head = PooledLinearHead(channels, num_classes)


def inception_small(*, in_channels: int = 3, num_classes: int = 10, **kwargs) -> InceptionNet:
    """A small Inception-style network for 32x32 images, about the size of ``vgg_small``."""
    return InceptionNet(CFGS["inception_small"], in_channels=in_channels, num_classes=num_classes, **kwargs)
