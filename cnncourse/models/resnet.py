"""The CIFAR ResNet family of He et al. 2015 (6n+2 layers) and its plain counterparts.

Plain and residual networks are the same class: ``block="plain"`` switches the skip connection
off, ``block="preact"`` uses the pre-activation block of He et al. 2016. Shortcuts that change
shape use the paper's option A (stride-2 subsampling and zero-padded channels: no parameters),
so the parameter counts match the paper's table (ResNet-20: 0.27M ... ResNet-110: 1.7M).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch.nn.functional as F
from torch import Tensor, nn

from ..validate import expect_image_batch

BLOCK_TYPES = ("residual", "plain", "preact")


class PaperResult(NamedTuple):
    """One row of He et al. 2015, Table 6 (CIFAR-10): parameters in millions, test error in percent."""

    params_m: float
    test_error: float


PAPER_TABLE6 = {20: PaperResult(0.27, 8.75), 32: PaperResult(0.46, 7.51), 44: PaperResult(0.66, 7.17),
                56: PaperResult(0.85, 6.97), 110: PaperResult(1.7, 6.43)}


def _shortcut(x: Tensor, out_channels: int, stride: int) -> Tensor:
    """Option A: subsample by ``stride`` and zero-pad the extra channels. (N, C, H, W) -> (N, C', H/s, W/s)."""
    if stride > 1:
        x = x[:, :, ::stride, ::stride]
    extra = out_channels - x.shape[1]
    return F.pad(x, (0, 0, 0, 0, extra // 2, extra - extra // 2)) if extra else x


class Shortcut(nn.Module):
    """The skip path of a block on its own: identity, or option A where the shape changes."""

    def __init__(self, out_channels: int, stride: int) -> None:
        super().__init__()
        self.out_channels, self.stride = out_channels, stride

    def extra_repr(self) -> str:
        return f"out_channels={self.out_channels}, stride={self.stride}"

    def forward(self, x: Tensor) -> Tensor:
        return _shortcut(x, self.out_channels, self.stride)


class BasicBlock(nn.Module):
    """Two 3x3 conv-BN layers; ``block`` decides if and where the skip connection is added."""

    def __init__(self, in_channels: int, out_channels: int, stride: int, block: str, batch_norm: bool = True) -> None:
        super().__init__()
        self.block, self.out_channels, self.stride = block, out_channels, stride
        norm_in = in_channels if block == "preact" else out_channels
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=not batch_norm)
        self.bn1 = nn.BatchNorm2d(norm_in) if batch_norm else nn.Identity()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()

    def forward(self, x: Tensor) -> Tensor:
        if self.block == "preact":  # BN-ReLU-conv twice, then add: nothing after the addition
            out = self.conv1(F.relu(self.bn1(x)))
            out = self.conv2(F.relu(self.bn2(out)))
            return out + _shortcut(x, self.out_channels, self.stride)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.block == "residual":
            out = out + _shortcut(x, self.out_channels, self.stride)
        return F.relu(out)


class CifarResNet(nn.Module):
    """6n+2 layers: a 3x3 conv, three stages of n blocks (16, 32, 64 filters), global pool, linear."""

    def __init__(self, depth: int = 20, *, block: str = "residual", num_classes: int = 10, in_channels: int = 3,
                 widths: tuple[int, int, int] = (16, 32, 64), batch_norm: bool = True,
                 init_scale: float = 1.0) -> None:
        super().__init__()
        if (depth - 2) % 6 or depth < 8:
            raise ValueError(f"CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110, ...); got {depth}.")
        if block not in BLOCK_TYPES:
            raise ValueError(f"block must be one of {BLOCK_TYPES}; got {block!r}.")
        if init_scale <= 0:
            raise ValueError(f"init_scale multiplies the He initialization and must be positive; got {init_scale}.")
        self.depth, self.block, self.in_channels, self.init_scale = depth, block, in_channels, init_scale
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=not batch_norm))
        if block != "preact":  # a pre-activation net normalizes inside its first block instead
            self.stem.append(nn.BatchNorm2d(widths[0]) if batch_norm else nn.Identity())
            self.stem.append(nn.ReLU(inplace=True))
        blocks, channels = [], widths[0]
        for stage, width in enumerate(widths):
            for index in range(n):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(BasicBlock(channels, width, stride, block, batch_norm))
                channels = width
        self.blocks = nn.Sequential(*blocks)
        final = [nn.BatchNorm2d(channels), nn.ReLU(inplace=True)] if block == "preact" and batch_norm else []
        self.head = nn.Sequential(*final, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, num_classes))
        self._init_weights()

    def extra_repr(self) -> str:
        return f"depth={self.depth}, block={self.block!r}, init_scale={self.init_scale}"

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):  # He et al. 2015 init, times init_scale (1 = the paper's)
                nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                module.weight.data.mul_(self.init_scale)
        # the classifier keeps PyTorch's default init (as torchvision's ResNets do): He init there would make the
        # first logits of a deep residual net, whose features grow with depth, needlessly large

    def forward_features(self, x: Tensor) -> Tensor:
        expect_image_batch(x, channels=self.in_channels, who=f"{type(self).__name__}-{self.depth}")
        return self.blocks(self.stem(x))  # (N, 64, H/4, W/4)

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.forward_features(x))  # (N, num_classes)

    def without_block(self, index: int) -> "CifarResNet":
        """A copy in which block ``index`` (0 .. 3n-1) is replaced by its shortcut (Veit et al. 2016).

        For a residual block this keeps only the skip path; for a plain block, which has no skip path,
        it is the same identity (or option-A) mapping, so both nets lose exactly the same layers.
        """
        if not -len(self.blocks) <= index < len(self.blocks):
            raise IndexError(f"This {self.depth}-layer net has blocks 0..{len(self.blocks) - 1}; got {index}.")
        pruned = copy.deepcopy(self)
        removed = pruned.blocks[index]
        pruned.blocks[index] = Shortcut(removed.out_channels, removed.stride)
        return pruned


def _builder(depth: int, block: str):
    def build(**kwargs) -> CifarResNet:
        return CifarResNet(depth, block=block, **kwargs)
    build.__name__ = f"{'plain' if block == 'plain' else 'resnet'}{depth}"
    build.__doc__ = f"CIFAR {'plain net' if block == 'plain' else 'ResNet'}-{depth} (He et al. 2015)."
    return build


resnet20, resnet32, resnet44, resnet56, resnet110 = (_builder(d, "residual") for d in (20, 32, 44, 56, 110))
plain20, plain32, plain44, plain56, plain110 = (_builder(d, "plain") for d in (20, 32, 44, 56, 110))
