"""The CIFAR ResNet family of He et al. 2015 (6n+2 layers) and its plain counterparts.

Plain and residual networks are the same class with another block passed in, as in torchvision:
``PlainBlock`` (no skip connection), ``BasicBlock`` (the residual block of He et al. 2015) and
``PreActBlock`` (the pre-activation block of He et al. 2016). Shortcuts that change shape use the
paper's option A (stride-2 subsampling and zero-padded channels: no parameters), so the parameter
counts match the paper's table (ResNet-20: 0.27M ... ResNet-110: 1.7M).

The activation is ReLU with He initialization, as in the papers; ``activation=nn.Tanh`` or ``nn.Sigmoid``
builds the same net with the activation and the initialization (Glorot's) of the nets before them.
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch.nn.functional as F
from torch import Tensor, nn

from ..errors import InputTypeError, InputValueError
from ..validate import expect_finite_number, expect_image_batch, expect_whole_number
from .parts import BodyAndHead, PooledLinearHead


class PaperResult(NamedTuple):
    """One row of He et al. 2015, Table 6 (CIFAR-10): parameters in millions, test error in percent."""

    params_m: float
    test_error: float


# activation -> the initialization it is used with: He et al. 2015 ("Delving deep") for ReLU, Glorot & Bengio
# 2010 for the saturating activations before it
INITIALIZATION = {nn.ReLU: "He", nn.Tanh: "Glorot", nn.Sigmoid: "Glorot"}

PAPER_TABLE6 = {20: PaperResult(0.27, 8.75), 32: PaperResult(0.46, 7.51), 44: PaperResult(0.66, 7.17),
                56: PaperResult(0.85, 6.97), 110: PaperResult(1.7, 6.43)}


def option_a_shortcut(x: Tensor, out_channels: int, stride: int) -> Tensor:
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
        return option_a_shortcut(x, self.out_channels, self.stride)


class PlainBlock(nn.Module):
    """conv-BN-ReLU-conv-BN-ReLU with no skip connection: the "plain net" of He et al. 2015."""

    preactivation = False  # True: batch norm and ReLU come before each conv (He et al. 2016)

    def __init__(self, in_channels: int, out_channels: int, stride: int = 1, *, batch_norm: bool = True,
                 activation: type[nn.Module] = nn.ReLU) -> None:
        super().__init__()
        self.out_channels, self.stride = out_channels, stride
        self.activation = activation()  # no state: one module serves both places
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=not batch_norm)
        bn1_channels = in_channels if self.preactivation else out_channels
        self.bn1 = nn.BatchNorm2d(bn1_channels) if batch_norm else nn.Identity()
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=not batch_norm)
        self.bn2 = nn.BatchNorm2d(out_channels) if batch_norm else nn.Identity()

    def shortcut(self, x: Tensor) -> Tensor:
        return option_a_shortcut(x, self.out_channels, self.stride)

    def residual(self, x: Tensor) -> Tensor:
        """The two weight layers: (N, C_in, H, W) -> (N, C_out, H / stride, W / stride)."""
        return self.bn2(self.conv2(self.activation(self.bn1(self.conv1(x)))))

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.residual(x))


class BasicBlock(PlainBlock):
    """The residual block of He et al. 2015: ReLU(F(x) + x), with option-A shortcuts."""

    def forward(self, x: Tensor) -> Tensor:
        return self.activation(self.residual(x) + self.shortcut(x))


class PreActBlock(PlainBlock):
    """The pre-activation block of He et al. 2016: BN-ReLU-conv twice, then add; nothing after the addition."""

    preactivation = True

    def residual(self, x: Tensor) -> Tensor:
        return self._after_preactivation(self.activation(self.bn1(x)))

    def _after_preactivation(self, activated: Tensor) -> Tensor:
        return self.conv2(self.activation(self.bn2(self.conv1(activated))))

    def forward(self, x: Tensor) -> Tensor:
        activated = self.activation(self.bn1(x))
        if self.stride == 1 and self.out_channels == x.shape[1]:
            return self._after_preactivation(activated) + x  # the identity: nothing on the skip path
        # where the shape changes, the shortcut starts after the shared BN-ReLU (He et al. 2016, as in their code)
        return self._after_preactivation(activated) + self.shortcut(activated)


class CifarResNet(BodyAndHead):
    """6n+2 layers: a 3x3 conv, three stages of n blocks (16, 32, 64 filters), global pool, linear."""

    def __init__(self, depth: int = 20, *, block: type[PlainBlock] = BasicBlock, num_classes: int = 10,
                 in_channels: int = 3, widths: tuple[int, int, int] = (16, 32, 64), batch_norm: bool = True,
                 activation: type[nn.Module] = nn.ReLU, init_scale: float = 1.0,
                 norm_before_head: bool | None = None) -> None:
        super().__init__()
        if isinstance(depth, bool) or not isinstance(depth, int):
            raise InputTypeError(f"depth must be a whole number 6n+2 (20, 32, 44, 56, 110, ...); got {depth!r}.")
        if (depth - 2) % 6 or depth < 8:
            raise InputValueError(f"CIFAR ResNet depth must be 6n+2 (20, 32, 44, 56, 110, ...); got {depth}.")
        if not (isinstance(block, type) and issubclass(block, PlainBlock)):
            raise InputTypeError(f"block must be PlainBlock, BasicBlock or PreActBlock (the class); got {block!r}.")
        if activation not in INITIALIZATION:
            raise InputTypeError(f"activation must be one of nn.ReLU, nn.Tanh, nn.Sigmoid (the class); got {activation!r}.")
        expect_finite_number(init_scale, name="init_scale", strictly=True)  # multiplies the initialization
        expect_whole_number(in_channels, name="in_channels", minimum=1)
        if not (isinstance(widths, (tuple, list)) and len(widths) == 3):
            raise InputValueError(f"widths gives the three stages' channels, e.g. widths=(16, 32, 64); got {widths!r}.")
        for width in widths:
            expect_whole_number(width, name="each of widths", minimum=1)
        if norm_before_head is None:  # as published: a pre-activation net ends in BN-ReLU (its last addition is bare)
            norm_before_head = block.preactivation and batch_norm
        if norm_before_head and not batch_norm:
            raise InputValueError("norm_before_head adds a BN-ReLU before the classifier; it needs batch_norm=True.")
        self.depth, self.block, self.in_channels, self.init_scale = depth, block, in_channels, init_scale
        self.activation_class = activation
        n = (depth - 2) // 6
        self.stem = nn.Sequential(nn.Conv2d(in_channels, widths[0], 3, 1, 1, bias=not batch_norm))
        if not block.preactivation:  # a pre-activation net normalizes inside its first block instead
            self.stem.append(nn.BatchNorm2d(widths[0]) if batch_norm else nn.Identity())
            self.stem.append(activation())
        blocks, channels = [], widths[0]
        for stage, width in enumerate(widths):
            for index in range(n):
                stride = 2 if stage > 0 and index == 0 else 1
                blocks.append(block(channels, width, stride, batch_norm=batch_norm, activation=activation))
                channels = width
        self.blocks = nn.Sequential(*blocks)
        self.final_norm = nn.Sequential(nn.BatchNorm2d(channels), activation()) if norm_before_head else nn.Identity()
        self.head = PooledLinearHead(channels, num_classes)
        self._init_weights()

    def extra_repr(self) -> str:
        return (f"depth={self.depth}, block={self.block.__name__}, activation={self.activation_class.__name__}, "
                f"init_scale={self.init_scale}, norm_before_head={not isinstance(self.final_norm, nn.Identity)}")

    def _init_weights(self) -> None:
        for module in self.modules():
            if isinstance(module, nn.Conv2d):  # the activation's initialization, times init_scale (1 = as published)
                if INITIALIZATION[self.activation_class] == "He":
                    nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
                else:
                    nn.init.xavier_normal_(module.weight)
                module.weight.data.mul_(self.init_scale)
        # the classifier keeps PyTorch's default init (as torchvision's ResNets do): He init there would make the
        # first logits of a deep residual net, whose features grow with depth, needlessly large

    def forward_features(self, x: Tensor) -> Tensor:
        expect_image_batch(x, channels=self.in_channels, who=f"{type(self).__name__}-{self.depth}")
        return self.final_norm(self.blocks(self.stem(x)))  # (N, 64, H/4, W/4)

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

    def swappable_pairs(self) -> list[int]:
        """Indices i whose blocks i and i+1 can change places: both keep the shape of their input."""
        keeps_shape = [isinstance(block, PlainBlock) and block.stride == 1
                       and block.conv1.in_channels == block.out_channels for block in self.blocks]
        return [index for index in range(len(self.blocks) - 1) if keeps_shape[index] and keeps_shape[index + 1]]

    def with_blocks_swapped(self, index: int) -> "CifarResNet":
        """A copy in which blocks ``index`` and ``index + 1`` have changed places (Veit et al. 2016)."""
        pairs = self.swappable_pairs()
        if index not in pairs:
            raise IndexError(f"Blocks {index} and {index + 1} cannot change places: both must keep the shape of "
                             f"their input. Pairs that can: {pairs}.")
        swapped = copy.deepcopy(self)
        swapped.blocks[index], swapped.blocks[index + 1] = swapped.blocks[index + 1], swapped.blocks[index]
        return swapped


def resnet20(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR ResNet-20 (He et al. 2015, Table 6)."""
    return CifarResNet(20, block=BasicBlock, num_classes=num_classes, **kwargs)


def resnet32(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR ResNet-32 (He et al. 2015, Table 6)."""
    return CifarResNet(32, block=BasicBlock, num_classes=num_classes, **kwargs)


def resnet44(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR ResNet-44 (He et al. 2015, Table 6)."""
    return CifarResNet(44, block=BasicBlock, num_classes=num_classes, **kwargs)


def resnet56(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR ResNet-56 (He et al. 2015, Table 6)."""
    return CifarResNet(56, block=BasicBlock, num_classes=num_classes, **kwargs)


def resnet110(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR ResNet-110 (He et al. 2015, Table 6)."""
    return CifarResNet(110, block=BasicBlock, num_classes=num_classes, **kwargs)


def plain20(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR plain net-20 (He et al. 2015, Table 6)."""
    return CifarResNet(20, block=PlainBlock, num_classes=num_classes, **kwargs)


def plain32(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR plain net-32 (He et al. 2015, Table 6)."""
    return CifarResNet(32, block=PlainBlock, num_classes=num_classes, **kwargs)


def plain44(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR plain net-44 (He et al. 2015, Table 6)."""
    return CifarResNet(44, block=PlainBlock, num_classes=num_classes, **kwargs)


def plain56(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR plain net-56 (He et al. 2015, Table 6)."""
    return CifarResNet(56, block=PlainBlock, num_classes=num_classes, **kwargs)


def plain110(*, num_classes: int = 10, **kwargs) -> CifarResNet:
    """CIFAR plain net-110 (He et al. 2015, Table 6)."""
    return CifarResNet(110, block=PlainBlock, num_classes=num_classes, **kwargs)
