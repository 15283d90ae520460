"""U-Net (Ronneberger, Fischer and Brox, 2015): an encoder-decoder that labels every pixel.

One class; depth, base width and the padding mode are parameters. ``padding="valid"`` is the
paper's network (unpadded 3x3 convolutions, encoder maps cropped before concatenation, so the
output is smaller than the input: 572 -> 388 at depth 4); ``padding="same"`` keeps every size.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torchvision.transforms.v2.functional import center_crop

from ..errors import InputShapeError, InputValueError
from ..validate import describe, expect_image_batch, expect_whole_number
from .parts import conv_norm_relu, record_shapes

PADDING_MODES = ("same", "valid")


class DoubleConv(nn.Sequential):
    """Two (3x3 conv, [batch norm], ReLU); each 'valid' conv trims 1 pixel from every side."""

    def __init__(self, in_channels: int, out_channels: int, *, padding: str, batch_norm: bool) -> None:
        pixels = 1 if padding == "same" else 0
        super().__init__(*[layer for channels in (in_channels, out_channels)
                           for layer in conv_norm_relu(channels, out_channels, padding=pixels, batch_norm=batch_norm)])


class UNet(nn.Module):
    """Contracting path, bottleneck, expanding path with skip connections, 1x1 conv to ``num_classes``."""

    def __init__(self, *, in_channels: int = 1, num_classes: int = 2, depth: int = 4, base_width: int = 64,
                 padding: str = "valid", batch_norm: bool = False) -> None:
        super().__init__()
        if padding not in PADDING_MODES:
            raise InputValueError(f"padding must be one of {PADDING_MODES}, not {padding!r}.")
        for name, value in (("in_channels", in_channels), ("num_classes", num_classes), ("depth", depth),
                            ("base_width", base_width)):
            expect_whole_number(value, name=name, minimum=1)
        self.in_channels, self.num_classes = in_channels, num_classes
        self.depth, self.base_width, self.padding = depth, base_width, padding
        widths = [base_width * 2**level for level in range(depth + 1)]  # e.g. 64, 128, 256, 512, 1024
        self.down = nn.ModuleList()
        channels = in_channels
        for width in widths[:-1]:
            self.down.append(DoubleConv(channels, width, padding=padding, batch_norm=batch_norm))
            channels = width
        self.pools = nn.ModuleList(nn.MaxPool2d(2) for _ in range(depth))  # one per level, so hooks can tell them apart
        self.bottleneck = DoubleConv(widths[-2], widths[-1], padding=padding, batch_norm=batch_norm)
        self.up = nn.ModuleList(nn.ConvTranspose2d(wide, narrow, 2, stride=2)  # "up-convolution": halves channels
                                for wide, narrow in zip(widths[:0:-1], widths[-2::-1]))
        self.up_convs = nn.ModuleList(DoubleConv(2 * narrow, narrow, padding=padding, batch_norm=batch_norm)
                                      for narrow in widths[-2::-1])
        self.head = nn.Conv2d(base_width, num_classes, 1)
        for module in self.modules():  # the paper's initialization: Gaussian with std sqrt(2 / fan_in)
            if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(module.weight, nonlinearity="relu")
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def __repr__(self) -> str:
        return (f"UNet(in_channels={self.in_channels}, num_classes={self.num_classes}, depth={self.depth}, "
                f"base_width={self.base_width}, padding={self.padding!r})\n" + super().__repr__())

    # ----- sizes -------------------------------------------------------------------------------
    def output_size(self, size: int) -> int:
        """The output height (or width) for an input of ``size`` pixels; InputShapeError if it does not fit."""
        out = _output_size_or_none(size, self.depth, self.padding)
        if out is None:
            raise InputShapeError(self._size_message(size))
        return out

    def valid_input_sizes(self, near: int, count: int = 3) -> list[int]:
        """The ``count`` input sizes closest to ``near`` that this network can take."""
        candidates = [s for s in range(max(1, near - 64 * 2**self.depth), near + 64 * 2**self.depth)
                      if _output_size_or_none(s, self.depth, self.padding) is not None]
        return sorted(sorted(candidates, key=lambda s: (abs(s - near), s))[:count])

    def margin(self, size: int | None = None) -> int:
        """Pixels lost on each side in 'valid' mode ((input - output) / 2); 0 in 'same' mode."""
        if self.padding == "same":
            return 0
        size = size or self.valid_input_sizes(572, 1)[0]
        return (size - self.output_size(size)) // 2

    def context_radius(self) -> int:
        """An upper bound on how far (in input pixels) one output pixel can see: its receptive-field radius."""
        # 3x3 convs: 2 per level on the way down and up, 2 in the bottleneck; each pool / up-conv adds < 2^level
        convs = sum(2 * 2**level for level in range(self.depth)) * 2 + 2 * 2**self.depth
        resampling = sum(2 * 2**level for level in range(self.depth))
        return convs + resampling

    def _size_message(self, size: int) -> str:
        rule = (f"its height and width must be divisible by 2^depth = {2**self.depth}"
                if self.padding == "same" else
                "with unpadded ('valid') convolutions every map before a 2x2 pooling must have an even size")
        return (f"This U-Net (depth={self.depth}, padding={self.padding!r}) cannot take an input of {size} pixels: "
                f"{rule}. Sizes that work near {size}: {self.valid_input_sizes(size)}. "
                "Crop or mirror-pad the image to one of them, or use overlap-tile inference.")

    def check_input(self, x: Tensor) -> Tensor:
        expect_image_batch(x, channels=self.in_channels, who="UNet")
        for size in x.shape[-2:]:
            if _output_size_or_none(int(size), self.depth, self.padding) is None:
                raise InputShapeError(self._size_message(int(size)) + f" It received {describe(x)}.")
        return x

    # ----- forward -----------------------------------------------------------------------------
    def stages(self, x: Tensor) -> list[tuple[str, tuple[int, ...]]]:
        """(stage name, output shape) of every stage for input ``x``: the "U" as a list."""
        probes = []
        for level, (block, pool) in enumerate(zip(self.down, self.pools), start=1):
            probes += [(f"down {level}: 2 x conv3x3", block, "output"), (f"down {level}: max-pool 2x2", pool, "output")]
        probes.append(("bottleneck: 2 x conv3x3", self.bottleneck, "output"))
        for level, (up, block) in zip(range(self.depth, 0, -1), zip(self.up, self.up_convs)):
            probes += [(f"up {level}: up-conv 2x2", up, "output"), (f"up {level}: concatenate skip", block, "input"),
                       (f"up {level}: 2 x conv3x3", block, "output")]
        probes.append(("head: conv1x1", self.head, "output"))
        return [("input", tuple(x.shape))] + record_shapes(self, x, probes)

    def forward(self, x: Tensor) -> Tensor:
        self.check_input(x)
        skips = []
        for block, pool in zip(self.down, self.pools):
            x = block(x)  # (N, base_width * 2^level, H_l, W_l)
            skips.append(x)
            x = pool(x)  # halves height and width
        x = self.bottleneck(x)
        for up, block, skip in zip(self.up, self.up_convs, reversed(skips)):
            x = up(x)  # doubles height and width, halves channels
            x = torch.cat([center_crop(skip, list(x.shape[-2:])), x], dim=1)  # copy and crop
            x = block(x)
        return self.head(x)  # (N, num_classes, H_out, W_out)


def _output_size_or_none(size: int, depth: int, padding: str) -> int | None:
    """Follow one side length through the network; None where a pooling would see an odd size."""
    if padding == "same":
        return size if size > 0 and size % 2**depth == 0 else None
    for _ in range(depth):
        size -= 4  # two unpadded 3x3 convs
        if size <= 0 or size % 2:
            return None
        size //= 2
    size -= 4  # bottleneck
    if size <= 0:
        return None
    for _ in range(depth):
        size = 2 * size - 4  # up-conv, then two unpadded convs
    return size if size > 0 else None


def unet(*, in_channels: int = 1, num_classes: int = 2, **kwargs) -> UNet:
    """The paper's U-Net: depth 4, 64 to 1024 channels, unpadded convolutions (572 -> 388)."""
    return UNet(in_channels=in_channels, num_classes=num_classes, **kwargs)


def unet_small(*, in_channels: int = 1, num_classes: int = 2, **kwargs) -> UNet:
    """A CPU-sized U-Net: depth 3, 16 to 128 channels, padded convolutions and batch norm."""
    options = {"depth": 3, "base_width": 16, "padding": "same", "batch_norm": True, **kwargs}
    return UNet(in_channels=in_channels, num_classes=num_classes, **options)
