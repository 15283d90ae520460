"""A small convolutional autoencoder (CAE): an encoder that pools, a bottleneck, a decoder that upsamples.

Encoder: basic block (3x3 conv, ReLU, 3x3 conv, ReLU) then 2x2 max-pool, ``depth`` times.
Decoder: the mirror image, with nearest-neighbour upsampling in place of pooling, then the same basic block.
The output layer is a plain 3x3 convolution without an activation, so the network predicts pixel values
directly (trained with a mean squared error). Unlike a U-Net there are no skip connections: everything the
decoder knows has passed through the bottleneck.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ..errors import InputValueError
from ..validate import expect_image_batch, expect_whole_number
from .parts import conv_norm_relu, record_shapes


def basic_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3x3 conv, ReLU, 3x3 conv, ReLU; the spatial size is kept (padding 1)."""
    return nn.Sequential(*conv_norm_relu(in_channels, out_channels, batch_norm=False),
                         *conv_norm_relu(out_channels, out_channels, batch_norm=False))


class ConvAutoencoder(nn.Module):
    """Encoder (basic block + max-pool) x depth, decoder (upsample + basic block) x depth, plain conv output."""

    def __init__(self, *, in_channels: int = 1, width: int = 16, depth: int = 2) -> None:
        super().__init__()
        for name, value in (("in_channels", in_channels), ("width", width), ("depth", depth)):
            expect_whole_number(value, name=name, minimum=1)
        self.in_channels, self.width, self.depth = in_channels, width, depth
        encoder: list[nn.Module] = []
        channels = in_channels
        for _ in range(depth):
            encoder += [basic_block(channels, width), nn.MaxPool2d(2)]
            channels = width
        decoder: list[nn.Module] = []
        for _ in range(depth):
            decoder += [nn.Upsample(scale_factor=2, mode="nearest"), basic_block(width, width)]
        self.encoder = nn.Sequential(*encoder)
        self.decoder = nn.Sequential(*decoder)
        self.output = nn.Conv2d(width, in_channels, 3, padding=1)  # no activation: predicts pixel values

    def encode(self, x: Tensor) -> Tensor:
        """The bottleneck code of a batch: (N, C, H, W) -> (N, width, H / 2^depth, W / 2^depth)."""
        expect_image_batch(x, channels=self.in_channels, who=type(self).__name__)
        factor = 2 ** self.depth
        if x.shape[-2] % factor or x.shape[-1] % factor:
            raise InputValueError(f"{type(self).__name__} with depth={self.depth} needs height and width divisible "
                                  f"by {factor}; it received {tuple(x.shape[-2:])}. Pad or crop the images.")
        return self.encoder(x)

    def decode(self, code: Tensor) -> Tensor:
        """Images from bottleneck codes: (N, width, h, w) -> (N, in_channels, h * 2^depth, w * 2^depth)."""
        return self.output(self.decoder(code))

    def forward(self, x: Tensor) -> Tensor:
        return self.decode(self.encode(x))

    def stages(self, x: Tensor) -> list[tuple[str, tuple[int, ...]]]:
        """(stage name, output shape) of every stage for input ``x``, from input to output (as ``UNet.stages``)."""
        kinds = {nn.MaxPool2d: "max-pool 2x2", nn.Upsample: "upsample x2"}
        probes = [(f"{part_name}: {kinds.get(type(layer), '2 x conv3x3')}", layer, "output")
                  for part_name, part in (("encoder", self.encoder), ("decoder", self.decoder)) for layer in part]
        probes.append(("output: conv3x3 (no activation)", self.output, "output"))
        return [("input", tuple(x.shape))] + record_shapes(self, x, probes)


def conv_autoencoder(*, in_channels: int = 1, width: int = 16, depth: int = 2) -> ConvAutoencoder:
    """The course's CAE: 16 channels, two pooling stages (28x28 -> 7x7 bottleneck for MNIST)."""
    return ConvAutoencoder(in_channels=in_channels, width=width, depth=depth)
